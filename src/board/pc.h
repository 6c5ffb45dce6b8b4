/* The machine: the one global object. It owns guest RAM, the two address
 * spaces, the devices, the IRQ lines, the vCPUs, the clock and the run
 * state, and assembles the i440FX-style PC from devices. Nothing else
 * knows the board layout. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "board/address-space.h"
#include "board/device.h"
#include "board/irq.h"
#include "board/loader.h"
#include "chardev/chardev.h"
#include "kvm/kvm.h"
#include "kvm/memory.h"
#include "kvm/vcpu.h"
#include "main/config.h"
#include "main/runstate.h"
#include "util/clock.h"
#include "util/timer.h"

#define PC_PCI_HOLE_START 0xe0000000ULL   /* below-4G RAM ends here at most */
#define PC_ISA_IRQS 16
#define PC_GSI_PINS 24    /* IOAPIC inputs; ISA IRQ n is GSI n */

typedef struct Machine Machine;

/* Listeners for run-state changes and events (the monitor). */
typedef struct MachineObserver {
    void (*state_changed)(void *opaque, RunState old, RunState state);
    void (*shutdown)(void *opaque, ShutdownCause cause);   /* SHUTDOWN event */
    void (*reset)(void *opaque, ShutdownCause cause);      /* RESET event */
    /* Any other QMP event a device raises (POWERDOWN, GUEST_PANICKED,
     * BLOCK_IO_ERROR, ...); data may be NULL and is borrowed. */
    void (*event)(void *opaque, const char *name, JsonObject *data);
    void *opaque;
} MachineObserver;

struct Machine {
    MachineConfig *cfg;
    GMutex lock;                /* held by whoever touches devices */
    GMainContext *ctx;

    RunState state;
    unsigned resets;            /* system resets so far (not counting creation) */
    bool quit;
    int exit_code;

    /* Requests from vCPU threads, handled on the main loop. */
    int pending_reset;          /* ShutdownCause, 0 if none */
    int pending_shutdown;
    int pending_error;
    int pending_exit;           /* exit status + 1, 0 if none */
    int pending_panic;

    TernClock clock;
    TernTimerList timers;       /* device timers on the virtual clock */
    KvmVm kvm;
    bool has_kvm;
    GuestRam ram;
    struct kvm_cpuid2 *cpuid;
    uint32_t *apic_ids;         /* per vCPU, from the -smp topology */
    VcpuSet *vcpus;

    AddressSpace *pio;
    AddressSpace *mmio;
    TernIrq isa_irq[PC_ISA_IRQS];
    /* The GSI router: every level change on an IOAPIC input lands here,
     * is recorded, shown to the observer (qtest's irq_intercept_in) and,
     * with KVM, passed to the in-kernel irqchip. */
    uint32_t gsi_levels;        /* one bit per GSI */
    uint16_t isa_levels;        /* what each ISA device drives, gated or not */
    uint16_t pci_irq_levels;    /* PCI INTx per ISA IRQ (machine_set_pci_irq_levels) */
    bool hpet_legacy;           /* HPET legacy replacement: PIT and RTC gated */
    void (*gsi_observer)(void *opaque, unsigned gsi, int level);
    void *gsi_observer_opaque;
    GPtrArray *devices;         /* DeviceState, in creation order */
    GPtrArray *chardevs;        /* Chardev */
    BootImage boot;
    GBytes *bios;               /* the firmware ROM, or NULL */
    bool bios_in_ram;           /* its 0xe0000 copy written (pc_bios_install) */
    KvmIrqchipState *irqchip_reset;

    GArray *observers;          /* MachineObserver */
    BlockGraph *block;          /* -drive/-blockdev nodes and backends */
    GPtrArray *virtio_drives;   /* backend names of -drive if=virtio, in order */
};

/* Builds everything the configuration asks for; nothing runs yet. */
Machine *machine_new(MachineConfig *cfg, GError **errp);
void machine_free(Machine *m);
/* Leaves prelaunch: runs the vCPUs unless -S. */
void machine_start(Machine *m);
/* The main loop: runs until the machine quits; returns the exit status. */
int machine_run_loop(Machine *m);

void machine_add_observer(Machine *m, const MachineObserver *obs);
/* Removes the observers registered with this opaque (device unrealize). */
void machine_remove_observer(Machine *m, void *opaque);
/* Raises a QMP event (main loop); takes the data reference. */
void machine_emit_event(Machine *m, const char *name, JsonObject *data);
void machine_set_state(Machine *m, RunState s);

/* Main-loop side (machine lock held). */
bool machine_pause(Machine *m, RunState new_state);
bool machine_resume(Machine *m, GError **errp);
void machine_reset(Machine *m, ShutdownCause cause);
void machine_quit(Machine *m, int exit_code);
/* Shuts down now: SHUTDOWN event, then exit (or pause with -no-shutdown). */
void machine_shutdown(Machine *m, ShutdownCause cause);
/* system_powerdown: presses the ACPI power button, raises POWERDOWN. */
void machine_powerdown(Machine *m);

/* Runs fn(data), then free_data(data), on the main loop with the machine
 * lock held: at once on the main loop's thread, soon from a vCPU thread
 * (events and main-loop sources belong to the main loop). */
void machine_run_on_main_loop(Machine *m, void (*fn)(void *data), void *data,
                              GDestroyNotify free_data);

/* Any thread. */
void machine_request_reset(Machine *m, ShutdownCause cause);
void machine_request_shutdown(Machine *m, ShutdownCause cause);
/* Stops the vCPUs now and exits with the given status (isa-debug-exit). */
void machine_request_exit(Machine *m, int status);
/* The guest panicked (pvpanic): GUEST_PANICKED and the panic action. */
void machine_request_panic(Machine *m);

/* For devices (machine lock held). */
bool machine_map_pio(Machine *m, const char *name, uint64_t base, uint64_t size,
                     const TernRegionOps *ops, void *opaque, GError **errp);
bool machine_map_mmio(Machine *m, const char *name, uint64_t base, uint64_t size,
                      const TernRegionOps *ops, void *opaque, GError **errp);
const TernIrq *machine_isa_irq(Machine *m, unsigned n);
/* HPET legacy replacement mode on/off: the PIT's IRQ 0 and the RTC's IRQ 8
 * stop reaching the interrupt controllers (the HPET's timers 0 and 1 drive
 * those lines instead), and come back with their current level. */
void machine_set_hpet_legacy(Machine *m, bool on);
/* Drives IOAPIC input gsi (< PC_GSI_PINS) as a device line would. */
void machine_set_gsi(Machine *m, unsigned gsi, int level);
/* PCI INTx as the PIIX3 routes it: bit n set when some PIRQ routed to ISA
 * IRQ n is asserted. A GSI's level is the OR of its ISA device's level
 * and this. */
void machine_set_pci_irq_levels(Machine *m, uint16_t levels);
/* An MSI message from a device: KVM_SIGNAL_MSI with KVM; in qtest mode a
 * 4-byte write of data at addr when addr is guest RAM (libqos's way of
 * watching vectors), else nothing. */
void machine_send_msi(Machine *m, uint64_t addr, uint32_t data);
Chardev *machine_find_chardev(Machine *m, const char *id);
void machine_add_device(Machine *m, DeviceState *dev);
DeviceState *machine_find_device(Machine *m, const char *id);
