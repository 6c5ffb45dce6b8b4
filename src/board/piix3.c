/* The PIIX3 (Intel 82371SB) PCI-to-ISA bridge, function 01.0 (its IDE
 * function 01.1 is piix3-ide.c).
 *
 * 01.0 holds the PIRQ routing registers (0x60-0x63: PIRQA-D to an ISA IRQ,
 * bit 7 = not routed), the reset control register at I/O 0xcf9 and the
 * edge/level control registers (ELCR) at 0x4d0/0x4d1. Register values,
 * masks and reset behaviour are QEMU 7.2's: every bit of 0x40-0xff is
 * writable, and a reset puts back only the registers the datasheet lists
 * with a default (QEMU's choice), the rest keep what was written.
 *
 * PIRQ routing: the PCI core counts the functions asserting each PIRQ line;
 * a line that is up drives the ISA IRQ its PIRQRC byte names (values 0-15;
 * bit 7, or any value >= 16, leaves it unrouted, as QEMU). Several PIRQs
 * on one IRQ, and an ISA device on the same IRQ, share the line (OR). */
#include "board/pci.h"
#include "board/pc.h"
#include "util/error.h"

#define PIIX3_IORT    0x4c     /* ISA I/O recovery timer */
#define PIIX3_XBCS    0x4e     /* X-bus chip select */
#define PIIX3_PIRQRC  0x60     /* PIRQA-D route control, 4 bytes */
#define PIIX3_TOM     0x69     /* top of memory */
#define PIIX3_MBIRQ0  0x70
#define PIIX3_MBDMA   0x76     /* 2 bytes */
#define PIIX3_PCSC    0x78     /* 2 bytes */
#define PIIX3_APICBASE 0x80
#define PIIX3_DLC     0x82     /* deterministic latency control */
#define PIIX3_SMICNTL 0xa0
#define PIIX3_SMIEN   0xa2     /* 2 bytes */
#define PIIX3_SEE     0xa4     /* 4 bytes */
#define PIIX3_FTMR    0xa8
#define PIIX3_SMIREQ  0xaa     /* 2 bytes */
#define PIIX3_CTLTMR  0xac
#define PIIX3_CTHTMR  0xae
#define PIRQ_DISABLED 0x80

#define RCR_PORT   0xcf9
#define RCR_SRST   0x02        /* system (hard) reset when RCPU fires */
#define RCR_RCPU   0x04        /* reset the CPU */
#define ELCR_PORT  0x4d0

typedef struct Piix3State {
    PciDevice pci;
    uint8_t rcr;
    uint8_t elcr[2];           /* master, slave */
} Piix3State;


/* ---- byte-wide registers ----
 * RCR and the ELCRs are one-byte registers that decode every access
 * starting at their port, whatever its width: QEMU 7.2 (the oracle) splits
 * a wide access into byte accesses to the same register, so a read
 * returns the byte in every lane and a write stores each byte in turn,
 * the last one winning. */
static uint64_t byte_reg_replicate(uint8_t v, unsigned size)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < size; i++) {
        r |= (uint64_t)v << (8 * i);
    }
    return r;
}

/* ---- 0xcf9: reset control ---- */

static uint64_t rcr_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off;
    return byte_reg_replicate(((Piix3State *)opaque)->rcr, size);
}

static void rcr_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Piix3State *s = opaque;
    (void)off;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = val >> (8 * i);
        /* QEMU resets on RCPU set (the datasheet says on its 0->1 edge)
         * and keeps only SRST; hard and soft reset are the same reset
         * here. */
        if (b & RCR_RCPU) {
            machine_request_reset(s->pci.parent.machine, SHUTDOWN_CAUSE_GUEST_RESET);
            return;
        }
        s->rcr = b & RCR_SRST;
    }
}

static const TernRegionOps rcr_ops = { .read = rcr_read, .write = rcr_write };

/* ---- 0x4d0/0x4d1: ELCR ----
 * Under KVM the in-kernel PIC has its own ELCR on these ports and guest
 * accesses never leave the kernel; these registers serve a userspace
 * interrupt controller (the qtest accelerator) and in-process tests. The
 * bits for IRQ 0, 1, 2, 8 and 13 are fixed at edge, as on the 8259s. */
static const uint8_t elcr_wmask[2] = { 0xf8, 0xde };

static uint64_t elcr1_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off;
    return byte_reg_replicate(((Piix3State *)opaque)->elcr[0], size);
}

static uint64_t elcr2_read(void *opaque, uint64_t off, unsigned size)
{
    (void)off;
    return byte_reg_replicate(((Piix3State *)opaque)->elcr[1], size);
}

static void elcr_write(Piix3State *s, unsigned n, uint64_t val, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        s->elcr[n] = (val >> (8 * i)) & elcr_wmask[n];
    }
}

static void elcr1_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)off;
    elcr_write(opaque, 0, val, size);
}

static void elcr2_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)off;
    elcr_write(opaque, 1, val, size);
}

static const TernRegionOps elcr1_ops = { .read = elcr1_read, .write = elcr1_write };
static const TernRegionOps elcr2_ops = { .read = elcr2_read, .write = elcr2_write };

/* ---- PIRQ routing ---- */

static void piix3_update_pirqs(Piix3State *s)
{
    PciBus *bus = s->pci.bus;
    uint16_t levels = 0;
    for (unsigned pirq = 0; pirq < PCI_NUM_PIRQS; pirq++) {
        uint8_t route = s->pci.config[PIIX3_PIRQRC + pirq];
        if (bus->pirq_count[pirq] > 0 && route < PC_ISA_IRQS) {
            levels |= 1u << route;
        }
    }
    machine_set_pci_irq_levels(s->pci.parent.machine, levels);
}

static void piix3_set_pirq(void *opaque, unsigned pirq, int level)
{
    (void)pirq, (void)level;
    piix3_update_pirqs(opaque);
}

static void piix3_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned len)
{
    pci_default_config_write(d, off, val, len);
    if (pci_access_hits(off, len, PIIX3_PIRQRC, PCI_NUM_PIRQS)) {
        piix3_update_pirqs((Piix3State *)d);
    }
}

static const PciDeviceOps piix3_pci_ops = { .config_write = piix3_config_write };

/* ---- the PCI function ---- */

static const PciId piix3_id = {
    .vendor = PCI_VENDOR_ID_INTEL,
    .device = 0x7000,
    .class_id = 0x0601,        /* ISA bridge */
    .header_type = PCI_HEADER_MULTI_FUNCTION,
    .status = PCI_STATUS_DEVSEL_MEDIUM,
};

static void piix3_unmap(Machine *m)
{
    address_space_remove(m->pio, RCR_PORT);
    address_space_remove(m->pio, ELCR_PORT);
    address_space_remove(m->pio, ELCR_PORT + 1);
}

static bool piix3_realize(DeviceState *dev, GError **errp)
{
    Piix3State *s = (Piix3State *)dev;
    Machine *m = dev->machine;
    PciBus *bus = pci_root_bus(m);
    if (!bus) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "PIIX3: no PCI host bridge");
        return false;
    }
    if (!pci_device_init(&s->pci, bus, PCI_DEVFN(1, 0), &piix3_id, &piix3_pci_ops, errp)) {
        return false;
    }
    bus->set_pirq = piix3_set_pirq;
    bus->pirq_opaque = s;
    /* Named as in QEMU's flat I/O view. */
    if (!machine_map_pio(m, "piix3-reset-control", RCR_PORT, 1, &rcr_ops, s, errp) ||
        !machine_map_pio(m, "elcr", ELCR_PORT, 1, &elcr1_ops, s, errp) ||
        !machine_map_pio(m, "elcr", ELCR_PORT + 1, 1, &elcr2_ops, s, errp)) {
        piix3_unmap(m);
        pci_device_exit(&s->pci);
        return false;
    }
    return true;
}

static void piix3_unrealize(DeviceState *dev)
{
    Piix3State *s = (Piix3State *)dev;
    if (s->pci.bus && s->pci.bus->pirq_opaque == s) {
        s->pci.bus->set_pirq = NULL;
        s->pci.bus->pirq_opaque = NULL;
    }
    machine_set_pci_irq_levels(dev->machine, 0);
    piix3_unmap(dev->machine);
    pci_device_exit(&((Piix3State *)dev)->pci);
}

static void piix3_reset(DeviceState *dev)
{
    Piix3State *s = (Piix3State *)dev;
    uint8_t *c = s->pci.config;
    pci_device_reset(&s->pci);
    /* The 82371SB datasheet defaults that QEMU 7.2 restores. */
    c[PIIX3_IORT] = 0x4d;
    c[PIIX3_XBCS] = 0x03;
    c[PIIX3_XBCS + 1] = 0x00;
    memset(c + PIIX3_PIRQRC, PIRQ_DISABLED, 4);
    c[PIIX3_TOM] = 0x02;
    c[PIIX3_MBIRQ0] = 0x80;
    c[PIIX3_MBDMA] = c[PIIX3_MBDMA + 1] = 0x0c;
    c[PIIX3_PCSC] = 0x02;
    c[PIIX3_PCSC + 1] = 0x00;
    c[PIIX3_APICBASE] = 0x00;
    c[PIIX3_DLC] = 0x00;
    c[PIIX3_SMICNTL] = 0x08;
    memset(c + PIIX3_SMIEN, 0, 2);
    memset(c + PIIX3_SEE, 0, 4);
    c[PIIX3_FTMR] = 0x0f;
    memset(c + PIIX3_SMIREQ, 0, 2);
    c[PIIX3_CTLTMR] = 0x00;
    c[PIIX3_CTHTMR] = 0x00;
    s->rcr = 0;
    memset(s->elcr, 0, sizeof(s->elcr));
    piix3_update_pirqs(s);
}

static bool piix3_post_load(void *obj, GError **errp)
{
    Piix3State *s = obj;
    for (unsigned i = 0; i < 2; i++) {
        s->elcr[i] &= elcr_wmask[i];
    }
    s->rcr &= RCR_SRST;
    if (!pci_device_post_load(&s->pci, errp)) {
        return false;
    }
    piix3_update_pirqs(s);
    return true;
}

static const StateField piix3_fields[] = {
    PCI_STATE_CONFIG(Piix3State, pci, 1),
    STATE_UINT(Piix3State, rcr),
    STATE_BUFFER(Piix3State, elcr),
    STATE_END,
};

static const StateDescription piix3_state = {
    .name = "PIIX3", .version = 1, .fields = piix3_fields, .post_load = piix3_post_load,
};

const DeviceInfo piix3_info = {
    .name = "PIIX3",
    /* QEMU's parent is the abstract pci-piix3, which Tern's type list
     * does not have. */
    .parent = "pci-device",
    .desc = "ISA bridge",
    .instance_size = sizeof(Piix3State),
    .realize = piix3_realize,
    .unrealize = piix3_unrealize,
    .reset = piix3_reset,
    .state = &piix3_state,
};
