/* The KVM virtual machine: /dev/kvm, the VM fd, capabilities, the in-kernel
 * irqchip (PIC, IOAPIC, LAPICs) and PIT, and GSI routing. Nothing here
 * knows about boards or devices. */
#pragma once

/* KVM's private guest pages on Intel (real-mode emulation): the EPT
 * identity-map page, then the three-page TSS right after it, where QEMU
 * puts them, so the firmware's e820 map is QEMU's. */
#define KVM_IDENTITY_MAP_ADDR 0xfeffc000ULL
#define KVM_IDENTITY_MAP_SIZE 0x1000ULL
#define KVM_TSS_ADDR          0xfeffd000ULL
#define KVM_TSS_SIZE          0x3000ULL
#include <glib.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct KvmIrqRoutes KvmIrqRoutes;

typedef struct KvmVm {
    KvmIrqRoutes *routes;       /* the GSI routing table (kvm-irq.c) */
    int kvm_fd;
    int vm_fd;
    int vcpu_mmap_size;
    int max_vcpus;
    bool manual_dirty_protect;  /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled */
    struct kvm_cpuid2 *supported_cpuid;
} KvmVm;

/* Opens dev_path (NULL: /dev/kvm), checks the API and the capabilities
 * Tern needs, and creates the VM. */
bool kvm_vm_init(KvmVm *vm, const char *dev_path, GError **errp);
void kvm_vm_destroy(KvmVm *vm);
int kvm_check_extension(KvmVm *vm, int cap);

/* In-kernel PIC+IOAPIC+LAPIC and PIT, with PC routing: ISA IRQ 0 goes to
 * IOAPIC pin 2 (as the MP table says), the others to their own pins. */
bool kvm_vm_create_irqchip(KvmVm *vm, GError **errp);
void kvm_vm_set_irq(KvmVm *vm, unsigned gsi, int level);
/* HPET legacy replacement: the in-kernel PIT stops driving IRQ 0. */
void kvm_vm_set_pit_hpet_legacy(KvmVm *vm, bool on);

bool kvm_vm_set_memory(KvmVm *vm, unsigned slot, uint64_t gpa, uint64_t size,
                       void *host, bool log_dirty, GError **errp);
/* A read-only slot (firmware ROM): guest writes exit as MMIO. */
bool kvm_vm_set_rom(KvmVm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *host,
                    GError **errp);

/* The in-kernel PIC/IOAPIC/PIT state at creation, put back on reset. */
typedef struct KvmIrqchipState KvmIrqchipState;
KvmIrqchipState *kvm_irqchip_save(KvmVm *vm);
void kvm_irqchip_restore(KvmVm *vm, const KvmIrqchipState *s);

/* KVM_IOEVENTFD: a `len`-byte guest write to addr (port I/O when pio)
 * that carries `data` if datamatch signals fd; assign false removes it. */
bool kvm_vm_ioeventfd(KvmVm *vm, int fd, uint64_t addr, unsigned len, bool pio, bool datamatch,
                      uint64_t data, bool assign, GError **errp);

/* ---- GSI routing, irqfds, MSI (kvm-irq.c) ----
 * The routing table holds the irqchip routes kvm_vm_create_irqchip sets
 * plus MSI routes on GSIs from 24 up; every change is pushed to KVM
 * whole (KVM_SET_GSI_ROUTING replaces the table). */

/* The PC irqchip routes (called by kvm_vm_create_irqchip), and freeing. */
bool kvm_irq_routes_init(KvmVm *vm, GError **errp);
void kvm_irq_routes_free(KvmVm *vm);
/* A new MSI route: returns its GSI, or -1 with errp set. */
int kvm_irq_add_msi_route(KvmVm *vm, uint64_t addr, uint32_t data, GError **errp);
bool kvm_irq_update_msi_route(KvmVm *vm, int gsi, uint64_t addr, uint32_t data,
                              GError **errp);
void kvm_irq_release_route(KvmVm *vm, int gsi);
/* Binds eventfd fd to gsi (KVM_IRQFD), or unbinds it. */
bool kvm_irqfd_assign(KvmVm *vm, int fd, int gsi, GError **errp);
void kvm_irqfd_deassign(KvmVm *vm, int fd, int gsi);
/* KVM_SIGNAL_MSI: delivers one message now. */
void kvm_signal_msi(KvmVm *vm, uint64_t addr, uint32_t data);
