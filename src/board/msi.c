/* Plain MSI, and the KVM routes MSI-X vectors are delivered through. See
 * msi.h. */
#define G_LOG_DOMAIN "tern-pci"
#include "board/msi.h"
#include "board/pc.h"
#include "util/error.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Register offsets inside the capability, which depend on its shape. */
static unsigned data_off(const PciMsiState *m)
{
    return m->is_64bit ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
}

static unsigned mask_off(const PciMsiState *m)
{
    return m->is_64bit ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;
}

static unsigned pending_off(const PciMsiState *m)
{
    return mask_off(m) + 4;
}

static uint16_t msi_flags(PciDevice *d)
{
    return pci_get_word(d->config + d->msi.cap + PCI_MSI_FLAGS);
}

bool msi_init(PciDevice *d, uint8_t offset, unsigned nvectors, bool is_64bit,
              bool per_vector_mask, GError **errp)
{
    g_assert(nvectors >= 1 && nvectors <= 32 && !(nvectors & (nvectors - 1)));
    uint8_t size = (is_64bit ? 14 : 10) + (per_vector_mask ? 10 : 0);
    uint8_t cap = pci_add_capability(d, PCI_CAP_ID_MSI, offset, size, errp);
    if (!cap) {
        return false;
    }
    PciMsiState *m = &d->msi;
    *m = (PciMsiState){ .cap = cap, .nvectors = nvectors, .is_64bit = is_64bit,
                        .per_vector_mask = per_vector_mask };
    uint16_t flags = (__builtin_ctz(nvectors) << 1) | (is_64bit ? PCI_MSI_FLAGS_64BIT : 0) |
                     (per_vector_mask ? PCI_MSI_FLAGS_MASKBIT : 0);
    pci_set_word(d->config + cap + PCI_MSI_FLAGS, flags);
    pci_set_word(d->wmask + cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
    pci_set_long(d->wmask + cap + PCI_MSI_ADDRESS_LO, 0xfffffffc);
    if (is_64bit) {
        pci_set_long(d->wmask + cap + PCI_MSI_ADDRESS_HI, 0xffffffff);
    }
    pci_set_word(d->wmask + cap + data_off(m), 0xffff);
    if (per_vector_mask) {
        uint32_t bits = nvectors == 32 ? 0xffffffffu : (1u << nvectors) - 1;
        pci_set_long(d->wmask + cap + mask_off(m), bits);
    }
    return true;
}

void msi_uninit(PciDevice *d)
{
    /* The capability stays in config space (Tern never removes one); the
     * function simply stops sending. */
    d->msi.cap = 0;
}

bool msi_enabled(PciDevice *d)
{
    return d->msi.cap && (msi_flags(d) & PCI_MSI_FLAGS_ENABLE);
}

void msi_reset(PciDevice *d)
{
    PciMsiState *m = &d->msi;
    if (!m->cap) {
        return;
    }
    pci_set_word(d->config + m->cap + PCI_MSI_FLAGS,
                 msi_flags(d) & ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE));
    if (m->per_vector_mask) {
        pci_set_long(d->config + m->cap + mask_off(m), 0);
        pci_set_long(d->config + m->cap + pending_off(m), 0);
    }
}

/* The messages the guest enabled (Multiple Message Enable), at most what
 * the function can send. */
static unsigned enabled_vectors(PciDevice *d)
{
    unsigned mme = (msi_flags(d) & PCI_MSI_FLAGS_QSIZE) >> 4;
    return MIN(1u << MIN(mme, 5u), d->msi.nvectors);
}

static void send(PciDevice *d, unsigned vector)
{
    PciMsiState *m = &d->msi;
    const uint8_t *c = d->config + m->cap;
    uint64_t addr = pci_get_long(c + PCI_MSI_ADDRESS_LO);
    if (m->is_64bit) {
        addr |= (uint64_t)pci_get_long(c + PCI_MSI_ADDRESS_HI) << 32;
    }
    uint32_t data = pci_get_word(c + data_off(m));
    /* The low bits of the data carry the vector number (6.8.1.6). */
    data = (data & ~(enabled_vectors(d) - 1)) | vector;
    machine_send_msi(d->bus->machine, addr, data);
}

void msi_notify(PciDevice *d, unsigned vector)
{
    PciMsiState *m = &d->msi;
    if (!msi_enabled(d) || vector >= enabled_vectors(d)) {
        return;
    }
    if (m->per_vector_mask) {
        uint8_t *c = d->config + m->cap;
        if (pci_get_long(c + mask_off(m)) & (1u << vector)) {
            pci_set_long(c + pending_off(m), pci_get_long(c + pending_off(m)) | 1u << vector);
            return;
        }
    }
    send(d, vector);
}

void msi_config_written(PciDevice *d, unsigned off, unsigned len)
{
    PciMsiState *m = &d->msi;
    if (!m->cap || !pci_access_hits(off, len, m->cap, pending_off(m) + 4)) {
        return;
    }
    pci_update_intx(d);
    if (!msi_enabled(d) || !m->per_vector_mask) {
        return;
    }
    /* Unmasked vectors with a message waiting get it now. */
    uint8_t *c = d->config + m->cap;
    uint32_t ready = pci_get_long(c + pending_off(m)) & ~pci_get_long(c + mask_off(m));
    for (unsigned v = 0; v < enabled_vectors(d); v++) {
        if (ready & (1u << v)) {
            pci_set_long(c + pending_off(m), pci_get_long(c + pending_off(m)) & ~(1u << v));
            send(d, v);
        }
    }
}

/* ---- routes ---- */

void msi_route_init(MsiRoute *r)
{
    *r = (MsiRoute){ .gsi = -1, .fd = -1 };
}

bool msi_route_set(Machine *m, MsiRoute *r, uint64_t addr, uint32_t data, GError **errp)
{
    if (!m->has_kvm) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "MSI routes need KVM");
        return false;
    }
    if (r->gsi >= 0) {
        if (!kvm_irq_update_msi_route(&m->kvm, r->gsi, addr, data, errp)) {
            return false;
        }
    } else {
        int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (fd < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "eventfd: %s", g_strerror(errno));
            return false;
        }
        int gsi = kvm_irq_add_msi_route(&m->kvm, addr, data, errp);
        if (gsi < 0) {
            close(fd);
            return false;
        }
        if (!kvm_irqfd_assign(&m->kvm, fd, gsi, errp)) {
            kvm_irq_release_route(&m->kvm, gsi);
            close(fd);
            return false;
        }
        r->gsi = gsi;
        r->fd = fd;
    }
    r->addr = addr;
    r->data = data;
    return true;
}

void msi_route_release(Machine *m, MsiRoute *r)
{
    if (r->gsi < 0) {
        return;
    }
    kvm_irqfd_deassign(&m->kvm, r->fd, r->gsi);
    kvm_irq_release_route(&m->kvm, r->gsi);
    close(r->fd);
    msi_route_init(r);
}

void msi_route_fire(const MsiRoute *r)
{
    uint64_t one = 1;
    /* EAGAIN: the counter is full of unconsumed signals already, which
     * deliver the message anyway. */
    if (write(r->fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        g_warning("MSI eventfd (GSI %d): %s", r->gsi, g_strerror(errno));
    }
}
