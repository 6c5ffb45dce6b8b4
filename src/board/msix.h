/* MSI-X (PCI Local Bus spec 3.0, 6.8.2): the capability, the vector table
 * and the pending-bit array (PBA) of one function, and delivery.
 *
 * msix_init() registers BAR `bar` itself, a 32-bit memory BAR holding the
 * table at table_off and the PBA at pba_off, sized as QEMU sizes its MSI-X
 * BARs: the smallest power of two that holds both, at least 4 KiB. The
 * state lives in PciDevice.msix; list PCI_STATE_MSIX in the device's state
 * description and call msix_post_load() from its post_load.
 *
 * Delivery: with KVM every vector the guest has unmasked (with MSI-X
 * enabled) owns a GSI route of type MSI and an irqfd, and msix_notify()
 * writes its eventfd, so it is cheap from any thread holding the machine
 * lock. Without KVM (qtest) msix_notify() calls machine_send_msi(), which
 * writes the message data at its address in guest RAM, where QEMU's libqos
 * points vectors and polls. A masked vector's message sets its pending
 * bit instead, and unmasking it delivers the message and clears the bit. */
#pragma once
#include "board/pci.h"

/* nvectors in 1..MSIX_MAX_VECTORS; cap_off 0: the first free config space
 * from 0x40. Errors if the table or PBA don't fit or overlap. */
bool msix_init(PciDevice *d, unsigned nvectors, unsigned bar, uint32_t table_off,
               uint32_t pba_off, uint8_t cap_off, GError **errp);
void msix_uninit(PciDevice *d);
/* MSI-X Enable set in Message Control. */
bool msix_enabled(PciDevice *d);
/* Function mask, MSI-X disabled or the vector's own mask bit. */
bool msix_is_masked(PciDevice *d, unsigned vector);
bool msix_is_pending(PciDevice *d, unsigned vector);
/* Sends vector's message, or sets its pending bit while it is masked;
 * nothing while MSI-X is disabled or for a vector out of range. */
void msix_notify(PciDevice *d, unsigned vector);
/* The eventfd that delivers vector with KVM (-1 when it has none now:
 * masked, disabled, or no KVM). Valid until the vector's entry changes. */
int msix_vector_fd(PciDevice *d, unsigned vector);
/* Reset: every vector masked, no pending bits, routes released. The
 * capability's Message Control is cleared by the caller's config reset
 * (pci_device_reset does it). */
void msix_reset(PciDevice *d);
/* After a load: checks the table, rebuilds the routes. */
bool msix_post_load(PciDevice *d, GError **errp);

/* For the PCI core: a config write touched [off, off + len). */
void msix_config_written(PciDevice *d, unsigned off, unsigned len);
