/* Plain MSI (PCI Local Bus spec 3.0, 6.8.1) and MSI delivery shared with
 * MSI-X: an MsiRoute is a message KVM sends when an eventfd is written
 * (GSI route + irqfd). Without KVM there are no routes and messages go
 * through machine_send_msi(). */
#pragma once
#include "board/pci.h"

/* Adds the MSI capability at offset (0: first free): nvectors a power of
 * two in 1..32, 64-bit address and per-vector masking as asked. */
bool msi_init(PciDevice *d, uint8_t offset, unsigned nvectors, bool is_64bit,
              bool per_vector_mask, GError **errp);
void msi_uninit(PciDevice *d);
bool msi_enabled(PciDevice *d);
/* Reset: MSI off, one message, no mask or pending bits. */
void msi_reset(PciDevice *d);
/* Sends message `vector` (data | vector) unless masked, in which case its
 * pending bit is set (with per-vector masking). */
void msi_notify(PciDevice *d, unsigned vector);
/* For the PCI core: a config write touched [off, off + len). */
void msi_config_written(PciDevice *d, unsigned off, unsigned len);

/* ---- routes (KVM) ---- */

/* An unused route: gsi -1, fd -1. */
void msi_route_init(MsiRoute *r);
/* Points r at (addr, data), allocating its GSI and eventfd the first time.
 * False without KVM or when KVM refuses (r stays unused). */
bool msi_route_set(Machine *m, MsiRoute *r, uint64_t addr, uint32_t data, GError **errp);
void msi_route_release(Machine *m, MsiRoute *r);
/* Writes the route's eventfd: KVM delivers the message. */
void msi_route_fire(const MsiRoute *r);
