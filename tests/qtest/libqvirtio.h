/* A small virtio-pci driver for qtest (our own code; virtio 1.2 spec
 * section 4.1 for the PCI transport, 2.7 for split virtqueues). The test
 * is the firmware and the guest: it finds the function by scanning config
 * space, assigns its BARs, walks the vendor capabilities, negotiates
 * features (modern or legacy), puts the rings in guest RAM with qtest
 * memory writes, and waits for completions by polling the used ring, an
 * MSI-X message address in RAM, or the INTx line (irq_intercept_in).
 *
 * It talks to Tern or, for differential evidence, to QEMU 7.2 running a
 * hlt BIOS: every wait polls with qtest reads against a wall-clock
 * deadline, since QEMU's device works asynchronously. */
#pragma once
#include "libqtest.h"

#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

/* Wall-clock bound for every wait on the device. */
#define QVIRTIO_TIMEOUT_US (5 * G_USEC_PER_SEC)

/* Guest RAM handed out by a bump allocator (the test has no guest OS). */
typedef struct QGuestAlloc {
    uint64_t next, end;
} QGuestAlloc;

/* Where one virtio structure lives (a vendor capability). */
typedef struct QVirtioRegion {
    bool present;
    uint8_t bar;
    uint32_t offset, length;
    uint64_t addr;              /* bar address + offset */
} QVirtioRegion;

typedef struct QVirtioPci {
    QTestState *qts;
    uint8_t devfn;
    uint16_t device_id;
    bool legacy;                /* driving the legacy I/O BAR */
    uint64_t bar_addr[6];
    uint64_t bar_size[6];
    bool bar_io[6];
    QVirtioRegion common, notify, isr, device, pci_cfg;
    uint32_t notify_off_multiplier;
    uint8_t msix_cap;           /* 0: none */
    uint16_t msix_entries;
    uint64_t msix_table, msix_pba;
    bool msix_enabled;
    uint64_t features;          /* negotiated */
    QGuestAlloc alloc;
} QVirtioPci;

typedef struct QVirtQueue {
    QVirtioPci *dev;
    uint16_t index, size;
    uint64_t desc, avail, used;
    uint16_t avail_idx;         /* driver's shadow of avail->idx */
    uint16_t last_used;         /* used entries consumed so far */
    uint16_t free_head;         /* descriptors are handed out in order */
    uint64_t notify_addr;
    bool event_idx;
    int msix_vector;            /* -1: none */
    uint64_t msix_addr;         /* RAM word the MSI-X message lands in */
    uint32_t msix_data;
} QVirtQueue;

/* One buffer of a chain. */
typedef struct QVirtioBuf {
    uint64_t addr;
    uint32_t len;
    bool write;                 /* device-writable */
} QVirtioBuf;

/* ---- PCI config space (mechanism #1, bus 0) ---- */
uint8_t qpci_cfg_readb(QTestState *qts, uint8_t devfn, uint8_t off);
uint16_t qpci_cfg_readw(QTestState *qts, uint8_t devfn, uint8_t off);
uint32_t qpci_cfg_readl(QTestState *qts, uint8_t devfn, uint8_t off);
void qpci_cfg_writeb(QTestState *qts, uint8_t devfn, uint8_t off, uint8_t v);
void qpci_cfg_writew(QTestState *qts, uint8_t devfn, uint8_t off, uint16_t v);
void qpci_cfg_writel(QTestState *qts, uint8_t devfn, uint8_t off, uint32_t v);
/* The devfn of the nth (0-based) function with vendor 0x1af4 and this
 * device id on bus 0, or -1. */
int qpci_find(QTestState *qts, uint16_t device_id, int nth);

/* ---- guest RAM ---- */
uint64_t qguest_alloc(QGuestAlloc *a, size_t size, size_t align);

/* ---- the device ---- */
/* Finds the nth function with device_id, assigns its BARs, enables
 * IO/MEM/MASTER and walks its capabilities. legacy selects the I/O BAR
 * interface instead of the modern capabilities. */
QVirtioPci *qvirtio_pci_new(QTestState *qts, uint16_t device_id, int nth, bool legacy);
void qvirtio_pci_free(QVirtioPci *d);
/* Routes the four PIIX3 PIRQ lines as SeaBIOS does (10, 10, 11, 11) and
 * returns the IOAPIC/PIC input the function's INTx pin lands on. */
int qvirtio_pci_route_intx(QVirtioPci *d);

uint8_t qvirtio_get_status(QVirtioPci *d);
void qvirtio_set_status(QVirtioPci *d, uint8_t status);
/* Writes 0 and checks the device reads back 0 (4.1.4.3.2). */
void qvirtio_reset(QVirtioPci *d);
uint64_t qvirtio_get_features(QVirtioPci *d);
/* Writes the driver features; for a modern device also sets FEATURES_OK
 * and returns whether the device kept it. */
bool qvirtio_set_features(QVirtioPci *d, uint64_t features);
/* ACKNOWLEDGE | DRIVER, then features & wanted; asserts FEATURES_OK.
 * Returns the negotiated set. */
uint64_t qvirtio_negotiate(QVirtioPci *d, uint64_t wanted);
void qvirtio_driver_ok(QVirtioPci *d);
uint8_t qvirtio_read_isr(QVirtioPci *d);
uint16_t qvirtio_num_queues(QVirtioPci *d);   /* modern only */

/* Device config space. */
uint8_t qvirtio_config_readb(QVirtioPci *d, unsigned off);
uint16_t qvirtio_config_readw(QVirtioPci *d, unsigned off);
uint32_t qvirtio_config_readl(QVirtioPci *d, unsigned off);
uint64_t qvirtio_config_readq(QVirtioPci *d, unsigned off);

/* MSI-X: enables the capability (function unmasked). Messages go to
 * RAM words the test polls. */
void qvirtio_msix_enable(QVirtioPci *d);
/* Programs table entry `entry` to write `data` at `addr`, unmasked. */
void qvirtio_msix_set_entry(QVirtioPci *d, uint16_t entry, uint64_t addr, uint32_t data);
/* Sets the config vector; returns what the device read back. */
uint16_t qvirtio_set_config_vector(QVirtioPci *d, uint16_t vector);

/* ---- virtqueues ---- */
/* Selects queue `index`, takes min(size, max) entries (size 0: the
 * device's maximum), places the rings in guest RAM and enables it. With
 * MSI-X enabled, the queue gets vector msix_vector (-1: NO_VECTOR) whose
 * message lands in a fresh RAM word. */
QVirtQueue *qvirtqueue_setup(QVirtioPci *d, uint16_t index, uint16_t size, int msix_vector);
void qvirtqueue_free(QVirtQueue *vq);
/* Writes a chain of n buffers (NEXT-linked descriptors) and returns its
 * head; does not publish it. */
uint16_t qvirtqueue_add_chain(QVirtQueue *vq, const QVirtioBuf *bufs, unsigned n);
/* One descriptor pointing at an indirect table of n entries in RAM. */
uint16_t qvirtqueue_add_indirect(QVirtQueue *vq, const QVirtioBuf *bufs, unsigned n);
/* Writes a raw descriptor (for hostile chains). */
void qvirtqueue_write_desc(QVirtQueue *vq, uint16_t i, uint64_t addr, uint32_t len,
                           uint16_t flags, uint16_t next);
/* Puts head on the avail ring and bumps avail->idx. */
void qvirtqueue_publish(QVirtQueue *vq, uint16_t head);
void qvirtqueue_kick(QVirtQueue *vq);
/* used_event (event idx): the used index after which to interrupt. */
void qvirtqueue_set_used_event(QVirtQueue *vq, uint16_t idx);
uint16_t qvirtqueue_avail_event(QVirtQueue *vq);
uint16_t qvirtqueue_used_idx(QVirtQueue *vq);
/* Polls until the used ring has an entry not consumed yet (or the device
 * sets DEVICE_NEEDS_RESET: then false). Takes it: *id, *len. */
bool qvirtqueue_get_used(QVirtQueue *vq, uint32_t *id, uint32_t *len);
/* Asserts the MSI-X message for vq arrived within the timeout and clears
 * the RAM word. */
void qvirtqueue_wait_msix(QVirtQueue *vq);
/* Whether the MSI-X message for vq has arrived (no waiting); clears it. */
bool qvirtqueue_msix_seen(QVirtQueue *vq);
/* Polls the status register until bits appear; false on timeout. */
bool qvirtio_wait_status(QVirtioPci *d, uint8_t bits);
/* Polls until used->idx has reached idx; false after timeout_us. */
bool qvirtqueue_wait_used_idx(QVirtQueue *vq, uint16_t idx, int64_t timeout_us);
/* Polls a RAM word (an MSI-X message's target) until it reads value;
 * false after timeout_us. */
bool qvirtio_wait_ram32(QTestState *qts, uint64_t addr, uint32_t value, int64_t timeout_us);
/* config_generation (4.1.4.3; modern only). */
uint8_t qvirtio_config_generation(QVirtioPci *d);

/* TERN_QTEST_QEMU=1 runs a test binary against QEMU 7.2 instead of Tern:
 * TERN_BINARY is pointed at QEMU (QEMU_BINARY or qemu-system-x86_64) and
 * the returned arguments ("-accel tcg -bios HLT") make it run a 64 KiB BIOS
 * of hlt, since Debian's QEMU has no qtest accelerator and its virtio
 * needs a running machine. NULL without TERN_QTEST_QEMU. The BIOS lives in
 * a temp dir that qvirtio_qemu_mode_end() removes. */
char *qvirtio_qemu_mode_begin(void);
void qvirtio_qemu_mode_end(void);
