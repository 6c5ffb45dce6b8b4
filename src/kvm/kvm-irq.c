/* The VM's GSI routing table, irqfds and KVM_SIGNAL_MSI.
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so Tern keeps its own
 * copy: the fixed PC irqchip routes (GSIs 0-23) and MSI routes on GSIs
 * allocated from 24 up, and pushes the copy after every change. */
#define G_LOG_DOMAIN "tern-kvm"
#include "kvm/kvm.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#define FIRST_MSI_GSI 24
/* GSIs KVM accepts (KVM_MAX_IRQ_ROUTES is 4096 on x86). */
#define MAX_GSI 4096

struct KvmIrqRoutes {
    GArray *entries;            /* struct kvm_irq_routing_entry */
    guint8 used[MAX_GSI / 8];   /* MSI GSIs in use */
};

static bool commit(KvmVm *vm, GError **errp)
{
    GArray *e = vm->routes->entries;
    g_autofree struct kvm_irq_routing *r =
        g_malloc0(sizeof(*r) + e->len * sizeof(struct kvm_irq_routing_entry));
    r->nr = e->len;
    memcpy(r->entries, e->data, e->len * sizeof(struct kvm_irq_routing_entry));
    if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_SET_GSI_ROUTING: %s",
                    g_strerror(errno));
        return false;
    }
    return true;
}

static void add_irqchip(KvmVm *vm, unsigned gsi, unsigned chip, unsigned pin)
{
    struct kvm_irq_routing_entry e = {
        .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
        .u.irqchip = { .irqchip = chip, .pin = pin },
    };
    g_array_append_val(vm->routes->entries, e);
}

bool kvm_irq_routes_init(KvmVm *vm, GError **errp)
{
    vm->routes = g_new0(KvmIrqRoutes, 1);
    vm->routes->entries = g_array_new(false, true, sizeof(struct kvm_irq_routing_entry));
    /* GSIs 0-15 also reach the PICs (2 is the cascade); IOAPIC pin n for
     * GSI n except the timer, whose ISA IRQ 0 is wired to pin 2. */
    for (unsigned gsi = 0; gsi < 16; gsi++) {
        if (gsi != 2) {
            add_irqchip(vm, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
                        gsi % 8);
        }
    }
    for (unsigned gsi = 0; gsi < 24; gsi++) {
        if (gsi != 2) {
            add_irqchip(vm, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
        }
    }
    return commit(vm, errp);
}

void kvm_irq_routes_free(KvmVm *vm)
{
    if (vm->routes) {
        g_array_unref(vm->routes->entries);
        g_free(vm->routes);
        vm->routes = NULL;
    }
}

static struct kvm_irq_routing_entry msi_entry(int gsi, uint64_t addr, uint32_t data)
{
    return (struct kvm_irq_routing_entry){
        .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
        .u.msi = { .address_lo = (uint32_t)addr, .address_hi = addr >> 32, .data = data },
    };
}

static int find_entry(KvmVm *vm, int gsi)
{
    GArray *e = vm->routes->entries;
    for (guint i = 0; i < e->len; i++) {
        if (g_array_index(e, struct kvm_irq_routing_entry, i).gsi == (uint32_t)gsi) {
            return i;
        }
    }
    return -1;
}

int kvm_irq_add_msi_route(KvmVm *vm, uint64_t addr, uint32_t data, GError **errp)
{
    KvmIrqRoutes *r = vm->routes;
    int gsi = FIRST_MSI_GSI;
    while (gsi < MAX_GSI && (r->used[gsi / 8] & (1u << (gsi % 8)))) {
        gsi++;
    }
    if (gsi == MAX_GSI) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "no free KVM GSI for an MSI route");
        return -1;
    }
    struct kvm_irq_routing_entry e = msi_entry(gsi, addr, data);
    g_array_append_val(r->entries, e);
    if (!commit(vm, errp)) {
        g_array_remove_index(r->entries, r->entries->len - 1);
        return -1;
    }
    r->used[gsi / 8] |= 1u << (gsi % 8);
    return gsi;
}

bool kvm_irq_update_msi_route(KvmVm *vm, int gsi, uint64_t addr, uint32_t data,
                              GError **errp)
{
    int i = find_entry(vm, gsi);
    g_assert(i >= 0 && gsi >= FIRST_MSI_GSI);
    struct kvm_irq_routing_entry *e =
        &g_array_index(vm->routes->entries, struct kvm_irq_routing_entry, i);
    struct kvm_irq_routing_entry old = *e, new = msi_entry(gsi, addr, data);
    if (!memcmp(&old, &new, sizeof(new))) {
        return true;
    }
    *e = new;
    if (!commit(vm, errp)) {
        *e = old;
        return false;
    }
    return true;
}

void kvm_irq_release_route(KvmVm *vm, int gsi)
{
    int i = find_entry(vm, gsi);
    if (i < 0 || gsi < FIRST_MSI_GSI) {
        return;
    }
    g_array_remove_index(vm->routes->entries, i);
    vm->routes->used[gsi / 8] &= ~(1u << (gsi % 8));
    g_autoptr(GError) err = NULL;
    if (!commit(vm, &err)) {
        g_warning("%s", err->message);
    }
}

bool kvm_irqfd_assign(KvmVm *vm, int fd, int gsi, GError **errp)
{
    struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };
    if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "KVM_IRQFD (GSI %d): %s", gsi,
                    g_strerror(errno));
        return false;
    }
    return true;
}

void kvm_irqfd_deassign(KvmVm *vm, int fd, int gsi)
{
    struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };
    if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
        g_warning("KVM_IRQFD deassign (GSI %d): %s", gsi, g_strerror(errno));
    }
}

void kvm_signal_msi(KvmVm *vm, uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = addr >> 32,
                           .data = data };
    /* 0: the guest's APIC ignored it (masked or no such destination). */
    if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0) {
        g_warning("KVM_SIGNAL_MSI 0x%" G_GINT64_MODIFIER "x: %s", addr, g_strerror(errno));
    }
}
