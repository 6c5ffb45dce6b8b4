/* The PIIX4 (Intel 82371AB) power-management function, PCI 01.3, and the
 * ACPI registers the FADT points at (PIIX4 layout at 0x600, as QEMU's pc
 * board): PM1 event status/enable, PM1 control with soft-off (SLP_TYP 0 +
 * SLP_EN ends the VM), the 24-bit 3.579545 MHz PM timer on the virtual
 * clock, and the GPE0 block at 0xafe0 (fixed, as in QEMU).
 *
 * The PM block sits where PMBA (config 0x40) says while PMREGMISC (0x80)
 * bit 0 enables it, so a guest can move it. Config values and masks are
 * QEMU 7.2's, with one exception: QEMU comes out of reset with PMBA = 1
 * and PMREGMISC = 0 (block off) and lets SeaBIOS set 0x601 and 1. Tern
 * boots without firmware, so its reset leaves the values SeaBIOS would,
 * which is where Tern's FADT points. The SMBus base (0x90, 0xb100) and
 * host config (0xd2) are QEMU's, but no SMBus controller is behind them. */
#define G_LOG_DOMAIN "tern-board"
#include "board/acpi.h"
#include "board/pc.h"
#include "board/pci.h"
#include "util/error.h"

#include <string.h>

#define PM_TIMER_HZ 3579545ULL
#define PM1_PWRBTN  (1 << 8)
#define PM1_TMR     (1 << 0)
#define CNT_SCI_EN  (1 << 0)
#define CNT_SLP_EN  (1 << 13)

#define PIIX4_PMBA      0x40   /* PM base address, 4 bytes */
#define PIIX4_PMBA_MASK 0xffc0 /* a 64-byte block in I/O space */
#define PIIX4_DEVACTA   0x58   /* device activity A, 4 bytes */
#define PIIX4_DEVRESB   0x5f
#define PIIX4_DEVRESD   0x63
#define PIIX4_PMREGMISC 0x80
#define PMREGMISC_PMIOSE 0x01  /* PM I/O space enable */
#define PIIX4_SMBBA     0x90   /* SMBus base address, 4 bytes */
#define PIIX4_SMBHSTCFG 0xd2
#define PM_SIZE         12     /* bytes of the block Tern implements */
#define QEMU_SMB_BASE   0xb100

typedef struct Piix4PmState {
    PciDevice pci;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint8_t gpe0[4];
    const TernIrq *sci;
    /* Where the PM block is mapped: derived from config, not saved. */
    bool pm_mapped;
    uint16_t pm_base;
} Piix4PmState;

static void pm_update_sci(Piix4PmState *s)
{
    tern_irq_set(s->sci, (s->pm1_sts & s->pm1_en & (PM1_PWRBTN | PM1_TMR)) != 0);
}

static uint32_t pm_timer(Piix4PmState *s)
{
    int64_t ns = tern_clock_virtual_ns(&s->pci.parent.machine->clock);
    return (uint32_t)(((unsigned __int128)ns * PM_TIMER_HZ) / 1000000000ULL) & 0xffffff;
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned size)
{
    Piix4PmState *s = opaque;
    uint8_t regs[12];
    memcpy(regs, &s->pm1_sts, 2);
    memcpy(regs + 2, &s->pm1_en, 2);
    memcpy(regs + 4, &s->pm1_cnt, 2);
    memset(regs + 6, 0, 2);
    uint32_t t = pm_timer(s);
    memcpy(regs + 8, &t, 4);
    uint64_t v = 0;
    memcpy(&v, regs + off, MIN((uint64_t)size, sizeof(regs) - off));
    return v;
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Piix4PmState *s = opaque;
    if (off == 0 && size >= 2) {
        s->pm1_sts &= ~val;             /* write 1 to clear */
        if (size == 4) {
            s->pm1_en = val >> 16;
        }
    } else if (off == 0) {
        s->pm1_sts &= ~val;
    } else if (off == 2) {
        s->pm1_en = val;
    } else if (off == 4) {
        s->pm1_cnt = (val & ~CNT_SLP_EN) | CNT_SCI_EN;
        if ((val & CNT_SLP_EN) && ((val >> 10) & 7) == 0) {
            machine_request_shutdown(s->pci.parent.machine, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
        }
    }
    pm_update_sci(s);
}

static const TernRegionOps pm_ops = { .read = pm_read, .write = pm_write };

static uint64_t gpe_read(void *opaque, uint64_t off, unsigned size)
{
    Piix4PmState *s = opaque;
    uint64_t v = 0;
    memcpy(&v, s->gpe0 + off, MIN((uint64_t)size, sizeof(s->gpe0) - off));
    return v;
}

static void gpe_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Piix4PmState *s = opaque;
    for (unsigned i = 0; i < size && off + i < 4; i++) {
        uint8_t b = val >> (8 * i);
        if (off + i < 2) {
            s->gpe0[off + i] &= ~b;     /* status: write 1 to clear */
        } else {
            s->gpe0[off + i] = b;
        }
    }
}

static const TernRegionOps gpe_ops = { .read = gpe_read, .write = gpe_write };

/* Maps the PM block where PMBA and PMREGMISC say (QEMU 7.2 reads all of
 * PMBA and keeps bits 15:6). A base that collides with another region
 * leaves the block unmapped, as the guest asked for something Tern
 * cannot give. */
static void pm_io_update(Piix4PmState *s)
{
    Machine *m = s->pci.parent.machine;
    const uint8_t *c = s->pci.config;
    bool on = c[PIIX4_PMREGMISC] & PMREGMISC_PMIOSE;
    uint16_t base = pci_get_long(c + PIIX4_PMBA) & PIIX4_PMBA_MASK;
    if (on == s->pm_mapped && (!on || base == s->pm_base)) {
        return;
    }
    if (s->pm_mapped) {
        address_space_remove(m->pio, s->pm_base);
        s->pm_mapped = false;
    }
    if (on) {
        g_autoptr(GError) err = NULL;
        s->pm_mapped = machine_map_pio(m, "acpi-pm", base, PM_SIZE, &pm_ops, s, &err);
        s->pm_base = base;
        if (!s->pm_mapped) {
            g_debug("PIIX4 PM block not mapped: %s", err->message);
        }
    }
}

static void pm_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned len)
{
    pci_default_config_write(d, off, val, len);
    if (pci_access_hits(off, len, PIIX4_PMBA, 4) || pci_access_hits(off, len, PIIX4_PMREGMISC, 1)) {
        pm_io_update((Piix4PmState *)d);
    }
}

static const PciDeviceOps pm_pci_ops = { .config_write = pm_config_write };

static void pm_reset(DeviceState *dev)
{
    Piix4PmState *s = (Piix4PmState *)dev;
    uint8_t *c = s->pci.config;
    pci_device_reset(&s->pci);
    /* What QEMU 7.2's reset restores, but PMBA and PMREGMISC as firmware
     * leaves them (see the top of the file). */
    pci_set_long(c + PIIX4_PMBA, ACPI_PM_BASE | PCI_BASE_ADDRESS_SPACE_IO);
    memset(c + PIIX4_DEVACTA, 0, 4);
    c[PIIX4_PMREGMISC] = PMREGMISC_PMIOSE;
    pm_io_update(s);
    s->pm1_sts = s->pm1_en = 0;
    s->pm1_cnt = CNT_SCI_EN;
    memset(s->gpe0, 0, sizeof(s->gpe0));
    pm_update_sci(s);
}

static void pm_power_button(DeviceState *dev)
{
    Piix4PmState *s = (Piix4PmState *)dev;
    s->pm1_sts |= PM1_PWRBTN;
    pm_update_sci(s);
}

static const PciId pm_id = {
    .vendor = PCI_VENDOR_ID_INTEL,
    .device = 0x7113,
    .revision = 0x03,
    .class_id = 0x0680,        /* other bridge */
    .status = PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MEDIUM,
    .interrupt_pin = 1,        /* INTA */
};

static bool pm_realize(DeviceState *dev, GError **errp)
{
    Piix4PmState *s = (Piix4PmState *)dev;
    Machine *m = dev->machine;
    PciBus *bus = pci_root_bus(m);
    if (!bus) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "PIIX4_PM: no PCI host bridge");
        return false;
    }
    if (!pci_device_init(&s->pci, bus, PCI_DEVFN(1, 3), &pm_id, &pm_pci_ops, errp)) {
        return false;
    }
    /* Power-on values QEMU 7.2 sets once; a reset keeps what was written. */
    uint8_t *c = s->pci.config;
    c[PIIX4_DEVRESB] = 0x10;
    c[PIIX4_DEVRESD] = 0x60;
    pci_set_long(c + PIIX4_SMBBA, QEMU_SMB_BASE | PCI_BASE_ADDRESS_SPACE_IO);
    c[PIIX4_SMBHSTCFG] = 0x09;
    s->pm_mapped = false;
    s->sci = machine_isa_irq(m, ACPI_SCI_IRQ);
    if (!machine_map_pio(m, "acpi-gpe0", ACPI_GPE0_BASE, 4, &gpe_ops, s, errp)) {
        pci_device_exit(&s->pci);
        return false;
    }
    return true;
}

static void pm_unrealize(DeviceState *dev)
{
    Piix4PmState *s = (Piix4PmState *)dev;
    Machine *m = dev->machine;
    if (s->pm_mapped) {
        address_space_remove(m->pio, s->pm_base);
    }
    address_space_remove(m->pio, ACPI_GPE0_BASE);
    pci_device_exit(&s->pci);
}

/* Loaded state is untrusted: the identity bytes must be a PIIX4's; the
 * PM block then goes where the loaded PMBA says. */
static bool pm_post_load(void *obj, GError **errp)
{
    Piix4PmState *s = obj;
    if (!pci_device_post_load(&s->pci, errp)) {
        return false;
    }
    pm_io_update(s);
    pm_update_sci(s);
    return true;
}

static const StateField pm_fields[] = {
    STATE_UINT(Piix4PmState, pm1_sts),
    STATE_UINT(Piix4PmState, pm1_en),
    STATE_UINT(Piix4PmState, pm1_cnt),
    STATE_BUFFER(Piix4PmState, gpe0),
    PCI_STATE_CONFIG(Piix4PmState, pci, 2),
    STATE_END,
};

static const StateDescription pm_state = {
    .name = "piix4_pm", .version = 2, .fields = pm_fields, .post_load = pm_post_load,
};

const DeviceInfo piix4_pm_info = {
    .name = "PIIX4_PM",
    .parent = "pci-device",
    .desc = "ACPI power management (PIIX4 registers)",
    .instance_size = sizeof(Piix4PmState),
    .realize = pm_realize,
    .unrealize = pm_unrealize,
    .reset = pm_reset,
    .power_button = pm_power_button,
    .state = &pm_state,
};
