/* The PIIX4 (Intel 82371AB) power-management function, PCI 01.3, and the
 * ACPI registers the FADT points at (PIIX4 layout at 0x600, as QEMU's pc
 * board): PM1 event status/enable, PM1 control with soft-off (SLP_TYP 0 +
 * SLP_EN ends the VM), the 24-bit 3.579545 MHz PM timer on the virtual
 * clock, and the GPE0 block at 0xafe0 (fixed, as in QEMU).
 *
 * The PM block sits where PMBA (config 0x40) says while PMREGMISC (0x80)
 * bit 0 enables it, so a guest can move it. Config values, masks and the
 * PM registers' behaviour (tests/qtest/scripts/pci-config.qt compares them
 * with QEMU 7.2 `-M pc,smm=off`) are QEMU's: reset leaves PMBA = 1,
 * PMREGMISC = 0 (block off) and, as there is no SMM, SCI_EN set (ACPI
 * mode); firmware sets PMBA and PMREGMISC (SeaBIOS, or the direct-boot
 * stand-in in pc-bios.c). ACPI_ENABLE/ACPI_DISABLE written to the APM
 * control port 0xb2 (the FADT's SMI_CMD) switch SCI_EN.
 *
 * Tern has no SMM, so it is QEMU's smm=off machine: DEVACTB's APMC_EN bit
 * is set (SeaBIOS then skips its SMM set-up), and APM control writes only
 * switch ACPI mode. The SMBus base (0x90, 0xb100) and host config (0xd2)
 * are QEMU's, but no SMBus controller is behind them yet. */
#define G_LOG_DOMAIN "tern-board"
#include "board/acpi.h"
#include "board/pc.h"
#include "board/acpi-pcihp.h"
#include "board/pci.h"
#include "util/error.h"

#include <string.h>

#define PM_TIMER_HZ 3579545ULL
#define PM_TIMER_MSB 0x800000  /* TMR_STS is set each time this bit flips */
#define PM1_TMR     (1 << 0)
#define PM1_GBL     (1 << 5)
#define PM1_PWRBTN  (1 << 8)
#define PM1_RTC     (1 << 10)
#define PM1_SCI_EVENTS (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC)
#define CNT_SCI_EN  (1 << 0)
#define CNT_SLP_EN  (1 << 13)

#define PIIX4_PMBA      0x40   /* PM base address, 4 bytes */
#define PIIX4_PMBA_MASK 0xffc0 /* a 64-byte block in I/O space */
#define PIIX4_DEVACTA   0x58   /* device activity A, 4 bytes */
#define PIIX4_DEVACTB_3 0x5b   /* top byte of device activity B */
#define DEVACTB_APMC_EN 0x02   /* APM control writes raise SMI: "done" */
#define APM_CNT_PORT    0xb2   /* the FADT's SMI_CMD */
#define APM_STS_PORT    0xb3
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
    /* PM timer tick at which TMR_STS next goes up (the MSB's next flip
     * after the guest last cleared it); 0 at reset, so TMR_STS reads set
     * from the start, as on QEMU. */
    int64_t tmr_overflow;
    uint8_t gpe0[4];
    uint8_t apm_cnt, apm_sts;  /* APM control and status (0xb2, 0xb3) */
    AcpiPciHp pcihp;           /* the 0xae00 hotplug block */
    const TernIrq *sci;
    TernTimer *tmr_timer;      /* raises the SCI at tmr_overflow */
    /* Where the PM block is mapped: derived from config, not saved. */
    bool pm_mapped;
    uint16_t pm_base;
} Piix4PmState;

static int64_t pm_ticks(Piix4PmState *s)
{
    int64_t ns = tern_clock_virtual_ns(&s->pci.parent.machine->clock);
    return (int64_t)(((unsigned __int128)ns * PM_TIMER_HZ) / 1000000000ULL);
}

/* The first virtual nanosecond at which the timer shows `ticks`. */
static int64_t pm_ticks_to_ns(int64_t ticks)
{
    return (int64_t)(((unsigned __int128)ticks * 1000000000ULL + PM_TIMER_HZ - 1) / PM_TIMER_HZ);
}

static uint16_t pm1_sts_get(Piix4PmState *s)
{
    if (pm_ticks(s) >= s->tmr_overflow) {
        s->pm1_sts |= PM1_TMR;
    }
    return s->pm1_sts;
}

/* SCI is level: derived from status & enable each time (ACPI 6.5, 4.8.3.1),
 * GPE0 included. With TMR_EN on, a timer brings the next MSB flip. */
static void pm_update_sci(Piix4PmState *s)
{
    bool level = (pm1_sts_get(s) & s->pm1_en & PM1_SCI_EVENTS) ||
                 (s->gpe0[0] & s->gpe0[2]) || (s->gpe0[1] & s->gpe0[3]);
    tern_irq_set(s->sci, level);
    if ((s->pm1_en & PM1_TMR) && !(s->pm1_sts & PM1_TMR)) {
        tern_timer_mod(s->tmr_timer, pm_ticks_to_ns(s->tmr_overflow));
    } else {
        tern_timer_del(s->tmr_timer);
    }
}

static void pm_tmr_expired(void *opaque)
{
    pm_update_sci(opaque);
}

static void pm1_sts_write(Piix4PmState *s, uint16_t val)
{
    if (pm1_sts_get(s) & val & PM1_TMR) {
        /* Cleared: the next flip of the MSB sets it again. */
        s->tmr_overflow = (pm_ticks(s) + PM_TIMER_MSB) & ~(int64_t)(PM_TIMER_MSB - 1);
    }
    s->pm1_sts &= ~val;
}

static void pm1_cnt_write(Piix4PmState *s, uint16_t val)
{
    s->pm1_cnt = val & ~CNT_SLP_EN;
    if ((val & CNT_SLP_EN) && ((val >> 10) & 7) == 0) {
        machine_request_shutdown(s->pci.parent.machine, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    }
}

/* The block as QEMU 7.2 lays it out and a guest sees it (measured with
 * the qtest protocol): PM1 event (status, enable) at 0-3, which decodes
 * 16-bit accesses at 0 and 2 only, a narrower one reading or writing the
 * low bytes of that 16-bit access; PM1 control at 4-5 and the timer at
 * 8-11, which ignore the offset (any byte reads the register's low bits,
 * any write replaces PM1 control with the value written); nothing at 6-7.
 * An access is cut into the pieces QEMU's memory core makes: no wider
 * than the register takes (2, 2, 4 bytes) nor than the alignment of its
 * offset inside the register allows. */
typedef enum { PM_EVT, PM_CNT, PM_TMR, PM_HOLE } PmReg;

static PmReg pm_reg_at(unsigned off, unsigned *start, unsigned *max)
{
    if (off < 4) {
        *start = 0, *max = 2;
        return PM_EVT;
    }
    if (off < 6) {
        *start = 4, *max = 2;
        return PM_CNT;
    }
    if (off >= 8 && off < 12) {
        *start = 8, *max = 4;
        return PM_TMR;
    }
    *start = off, *max = 4;   /* unassigned ports: aligned pieces */
    return PM_HOLE;
}

static unsigned pm_piece(unsigned off, unsigned left, unsigned *start, PmReg *reg)
{
    unsigned max, n;
    *reg = pm_reg_at(off, start, &max);
    unsigned rel = *reg == PM_HOLE ? off : off - *start;
    n = MIN(left, max);
    if (rel) {
        n = MIN(n, rel & -rel);
    }
    return n >= 4 ? 4 : n >= 2 ? 2 : 1;
}

static uint32_t pm_reg_read(Piix4PmState *s, PmReg reg, unsigned rel)
{
    switch (reg) {
    case PM_EVT:
        return rel == 0 ? pm1_sts_get(s) : rel == 2 ? s->pm1_en : 0;
    case PM_CNT:
        return s->pm1_cnt;
    case PM_TMR:
        return pm_ticks(s) & 0xffffff;
    case PM_HOLE:
        return UINT32_MAX;
    }
    return UINT32_MAX;
}

static void pm_reg_write(Piix4PmState *s, PmReg reg, unsigned rel, uint32_t val)
{
    switch (reg) {
    case PM_EVT:
        if (rel == 0) {
            pm1_sts_write(s, val);
        } else if (rel == 2) {
            s->pm1_en = val;
        }
        break;
    case PM_CNT:
        pm1_cnt_write(s, val);
        break;
    case PM_TMR:
    case PM_HOLE:
        break;
    }
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned size)
{
    Piix4PmState *s = opaque;
    uint64_t v = 0;
    for (unsigned done = 0; done < size;) {
        unsigned start;
        PmReg reg;
        unsigned n = pm_piece(off + done, size - done, &start, &reg);
        uint64_t piece = pm_reg_read(s, reg, off + done - start) & ((1ULL << (8 * n)) - 1);
        v |= piece << (8 * done);
        done += n;
    }
    return v;
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Piix4PmState *s = opaque;
    for (unsigned done = 0; done < size;) {
        unsigned start;
        PmReg reg;
        unsigned n = pm_piece(off + done, size - done, &start, &reg);
        pm_reg_write(s, reg, off + done - start, (val >> (8 * done)) & ((1ULL << (8 * n)) - 1));
        done += n;
    }
    pm_update_sci(s);
}

static const TernRegionOps pm_ops = { .read = pm_read, .write = pm_write };

static uint64_t gpe_read(void *opaque, uint64_t off, unsigned size)
{
    Piix4PmState *s = opaque;
    uint64_t v = 0;
    /* Bytes past the block are unassigned ports: all ones. */
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)(off + i < sizeof(s->gpe0) ? s->gpe0[off + i] : 0xff) << (8 * i);
    }
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
    pm_update_sci(s);
}

static const TernRegionOps gpe_ops = { .read = gpe_read, .write = gpe_write };

/* A PCI slot changed: GPE0 status bit 1 (the DSDT's \\_GPE._E01). */
static void pm_hotplug_gpe(void *opaque)
{
    Piix4PmState *s = opaque;
    s->gpe0[0] |= 1 << ACPI_PCIHP_GPE_BIT;
    pm_update_sci(s);
}

AcpiPciHp *piix4_pm_pcihp(DeviceState *dev)
{
    return &((Piix4PmState *)dev)->pcihp;
}

/* APM ports, byte registers: a wider access reaches both, repeating
 * (QEMU reads 0x12341234 with inl after outw 0x1234).
 * Without SMM, the control port does what QEMU's does then: ACPI_ENABLE
 * and ACPI_DISABLE (the FADT's values) switch SCI_EN. */
static uint8_t apm_read_byte(void *opaque, uint64_t off)
{
    Piix4PmState *s = opaque;
    return off & 1 ? s->apm_sts : s->apm_cnt;
}

static void apm_write_byte(void *opaque, uint64_t off, uint8_t b)
{
    Piix4PmState *s = opaque;
    if (off & 1) {
        s->apm_sts = b;
        return;
    }
    s->apm_cnt = b;
    if (b == ACPI_ENABLE_VALUE) {
        s->pm1_cnt |= CNT_SCI_EN;
    } else if (b == ACPI_DISABLE_VALUE) {
        s->pm1_cnt &= ~CNT_SCI_EN;
    }
}

static uint64_t apm_read(void *opaque, uint64_t off, unsigned size)
{
    return region_read_bytes(opaque, off, size, apm_read_byte);
}

static void apm_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    region_write_bytes(opaque, off, val, size, apm_write_byte);
}

static const TernRegionOps apm_ops = { .read = apm_read, .write = apm_write };

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
    /* What QEMU 7.2's reset restores (smm=off: see the top of the file);
     * of PMBA only its low byte. */
    c[PIIX4_PMBA] = PCI_BASE_ADDRESS_SPACE_IO;
    memset(c + PIIX4_DEVACTA, 0, 4);
    c[PIIX4_DEVACTB_3] = DEVACTB_APMC_EN;
    c[PIIX4_PMREGMISC] = 0;
    pm_io_update(s);
    s->pm1_sts = s->pm1_en = 0;
    s->tmr_overflow = 0;
    s->pm1_cnt = CNT_SCI_EN;   /* without SMM, QEMU starts in ACPI mode */
    s->apm_cnt = s->apm_sts = 0;
    memset(s->gpe0, 0, sizeof(s->gpe0));
    acpi_pcihp_reset(&s->pcihp);
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
    pci_set_long(c + PIIX4_PMBA, PCI_BASE_ADDRESS_SPACE_IO);
    s->pm_mapped = false;
    s->sci = machine_isa_irq(m, ACPI_SCI_IRQ);
    if (!machine_map_pio(m, "acpi-gpe0", ACPI_GPE0_BASE, 4, &gpe_ops, s, errp) ||
        !machine_map_pio(m, "apm-io", APM_CNT_PORT, 2, &apm_ops, s, errp)) {
        pci_device_exit(&s->pci);
        return false;
    }
    if (!acpi_pcihp_init(&s->pcihp, m, pm_hotplug_gpe, s, errp)) {
        address_space_remove(m->pio, ACPI_GPE0_BASE);
        address_space_remove(m->pio, APM_CNT_PORT);
        pci_device_exit(&s->pci);
        return false;
    }
    s->tmr_timer = tern_timer_new(&m->timers, pm_tmr_expired, s);
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
    address_space_remove(m->pio, APM_CNT_PORT);
    acpi_pcihp_exit(&s->pcihp);
    g_clear_pointer(&s->tmr_timer, tern_timer_free);
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
    STATE_UINT_V(Piix4PmState, tmr_overflow, 3),
    STATE_UINT_V(Piix4PmState, apm_cnt, 4),
    STATE_UINT_V(Piix4PmState, apm_sts, 4),
    STATE_UINT_V(Piix4PmState, pcihp.up, 5),
    STATE_UINT_V(Piix4PmState, pcihp.down, 5),
    STATE_UINT_V(Piix4PmState, pcihp.sel, 5),
    STATE_END,
};

static const StateDescription pm_state = {
    .name = "piix4_pm", .version = 5, .fields = pm_fields, .post_load = pm_post_load,
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
