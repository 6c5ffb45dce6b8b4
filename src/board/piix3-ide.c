/* PCI 01.1: the PIIX3 IDE function. QEMU's pc board has it even with
 * -nodefaults, so guests (and lspci, query-pci later) see the same
 * functions. No drives and no legacy ports at 0x1f0/0x170 yet; what is
 * there is QEMU 7.2's configuration space and the bus-master DMA
 * registers behind BAR4 (per channel: command, status, PRD table
 * address), so a driver or a libqos-style test that maps BAR4 reads what
 * it reads on QEMU (tests/qtest/scripts/pci-ide-bmdma.qt). Guests leave
 * the function alone: the IDE decode enables (IDETIM bit 15 at 0x41 and
 * 0x43) are clear at reset, which is what firmware would set. */
#include "board/pci.h"
#include "board/pc.h"
#include "util/error.h"

#define IDE_BMDMA_BAR  4
#define IDE_BMDMA_SIZE 16          /* two channels of 8 bytes */

#define BM_CMD_START   0x01
#define BM_CMD_MASK    0x09        /* start, read/write */
#define BM_STS_ACTIVE  0x01
#define BM_STS_W1C     0x06        /* error, interrupt */
#define BM_STS_RW      0x60        /* drive 0/1 DMA capable */

typedef struct BmDma {
    uint8_t cmd, status;
    uint32_t prd_addr;
} BmDma;

typedef struct Piix3IdeState {
    PciDevice pci;
    BmDma bm[2];
} Piix3IdeState;

static const PciId piix3_ide_id = {
    .vendor = PCI_VENDOR_ID_INTEL,
    .device = 0x7010,
    .class_id = 0x0101,        /* IDE controller */
    .prog_if = 0x80,           /* legacy mode, bus master capable */
    .status = PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM,
};

/* Command and status (bytes 0 and 2 of a channel) take byte accesses
 * only; anything wider reads all ones and writes nothing, as on QEMU.
 * The PRD address (bytes 4-7) takes any width; its low 2 bits are 0. */
static uint64_t bmdma_read(void *opaque, uint64_t off, unsigned size)
{
    Piix3IdeState *s = opaque;
    BmDma *bm = &s->bm[off >> 3];
    unsigned r = off & 7;
    uint64_t ones = size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
    if (r >= 4) {
        return (bm->prd_addr >> (8 * (r - 4))) & ones;
    }
    if (size != 1) {
        return ones;
    }
    return r == 0 ? bm->cmd : r == 2 ? bm->status : 0xff;
}

static void bmdma_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Piix3IdeState *s = opaque;
    BmDma *bm = &s->bm[off >> 3];
    unsigned r = off & 7;
    if (r >= 4) {
        for (unsigned i = 0; i < size && r + i < 8; i++) {
            unsigned shift = 8 * (r - 4 + i);
            bm->prd_addr = (bm->prd_addr & ~(0xffu << shift)) |
                           (uint32_t)((val >> (8 * i)) & 0xff) << shift;
        }
        bm->prd_addr &= ~3u;
        return;
    }
    if (size != 1) {
        return;
    }
    if (r == 0) {
        /* No drives: starting a transfer only shows it as active. */
        bm->cmd = val & BM_CMD_MASK;
        bm->status = (bm->cmd & BM_CMD_START) ? bm->status | BM_STS_ACTIVE
                                              : bm->status & ~BM_STS_ACTIVE;
    } else if (r == 2) {
        bm->status = (val & BM_STS_RW) | (bm->status & BM_STS_ACTIVE) |
                     (bm->status & ~val & BM_STS_W1C);
    }
}

static const TernRegionOps bmdma_ops = { .read = bmdma_read, .write = bmdma_write };

static bool piix3_ide_realize(DeviceState *dev, GError **errp)
{
    Piix3IdeState *s = (Piix3IdeState *)dev;
    PciBus *bus = pci_root_bus(dev->machine);
    if (!bus) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "piix3-ide: no PCI host bridge");
        return false;
    }
    if (!pci_device_init(&s->pci, bus, PCI_DEVFN(1, 1), &piix3_ide_id, NULL, errp)) {
        return false;
    }
    pci_register_bar_ops(&s->pci, IDE_BMDMA_BAR, PCI_BASE_ADDRESS_SPACE_IO, IDE_BMDMA_SIZE,
                         "piix-bmdma-container", &bmdma_ops, s);
    return true;
}

static void piix3_ide_unrealize(DeviceState *dev)
{
    pci_device_exit(&((Piix3IdeState *)dev)->pci);
}

static void piix3_ide_reset(DeviceState *dev)
{
    Piix3IdeState *s = (Piix3IdeState *)dev;
    memset(s->bm, 0, sizeof(s->bm));
    pci_device_reset(&s->pci);
}

static bool piix3_ide_post_load(void *obj, GError **errp)
{
    Piix3IdeState *s = obj;
    for (unsigned i = 0; i < G_N_ELEMENTS(s->bm); i++) {
        s->bm[i].cmd &= BM_CMD_MASK;
        s->bm[i].prd_addr &= ~3u;
    }
    return pci_device_post_load(&s->pci, errp);
}

static const StateField piix3_ide_fields[] = {
    PCI_STATE_CONFIG(Piix3IdeState, pci, 1),
    STATE_UINT_V(Piix3IdeState, bm[0].cmd, 2),
    STATE_UINT_V(Piix3IdeState, bm[0].status, 2),
    STATE_UINT_V(Piix3IdeState, bm[0].prd_addr, 2),
    STATE_UINT_V(Piix3IdeState, bm[1].cmd, 2),
    STATE_UINT_V(Piix3IdeState, bm[1].status, 2),
    STATE_UINT_V(Piix3IdeState, bm[1].prd_addr, 2),
    STATE_END,
};

static const StateDescription piix3_ide_state = {
    .name = "piix3-ide", .version = 2, .fields = piix3_ide_fields,
    .post_load = piix3_ide_post_load,
};

const DeviceInfo piix3_ide_info = {
    .name = "piix3-ide",
    .parent = "pci-device",    /* QEMU: the abstract pci-ide */
    .desc = "PIIX3 IDE (configuration space and bus-master registers; no drives)",
    .instance_size = sizeof(Piix3IdeState),
    .realize = piix3_ide_realize,
    .unrealize = piix3_ide_unrealize,
    .reset = piix3_ide_reset,
    .state = &piix3_ide_state,
};
