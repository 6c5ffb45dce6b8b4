/* The ACPI power-management registers the FADT points at (PIIX4 layout at
 * 0x600, as QEMU's pc board): PM1 event status/enable, PM1 control with
 * soft-off (SLP_TYP 0 + SLP_EN ends the VM), the 24-bit 3.579545 MHz PM
 * timer on the virtual clock, and the GPE0 block. The PCI function around
 * it comes with the full board. */
#include "board/acpi.h"
#include "board/pc.h"

#include <string.h>

#define PM_TIMER_HZ 3579545ULL
#define PM1_PWRBTN  (1 << 8)
#define PM1_TMR     (1 << 0)
#define CNT_SCI_EN  (1 << 0)
#define CNT_SLP_EN  (1 << 13)

typedef struct Piix4PmState {
    DeviceState parent;
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint8_t gpe0[4];
    const TernIrq *sci;
} Piix4PmState;

static void pm_update_sci(Piix4PmState *s)
{
    tern_irq_set(s->sci, (s->pm1_sts & s->pm1_en & (PM1_PWRBTN | PM1_TMR)) != 0);
}

static uint32_t pm_timer(Piix4PmState *s)
{
    int64_t ns = tern_clock_virtual_ns(&s->parent.machine->clock);
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
            machine_request_shutdown(s->parent.machine, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
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

static void pm_reset(DeviceState *dev)
{
    Piix4PmState *s = (Piix4PmState *)dev;
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

static bool pm_realize(DeviceState *dev, GError **errp)
{
    Piix4PmState *s = (Piix4PmState *)dev;
    s->sci = machine_isa_irq(dev->machine, ACPI_SCI_IRQ);
    return machine_map_pio(dev->machine, "acpi-pm", ACPI_PM_BASE, 12, &pm_ops, s, errp) &&
           machine_map_pio(dev->machine, "acpi-gpe0", ACPI_GPE0_BASE, 4, &gpe_ops, s, errp);
}

static const StateField pm_fields[] = {
    STATE_UINT(Piix4PmState, pm1_sts),
    STATE_UINT(Piix4PmState, pm1_en),
    STATE_UINT(Piix4PmState, pm1_cnt),
    STATE_BUFFER(Piix4PmState, gpe0),
    STATE_END,
};

static const StateDescription pm_state = {
    .name = "piix4_pm", .version = 1, .fields = pm_fields,
};

const DeviceInfo piix4_pm_info = {
    .name = "PIIX4_PM",
    .desc = "ACPI power management (PIIX4 registers)",
    .instance_size = sizeof(Piix4PmState),
    .realize = pm_realize,
    .reset = pm_reset,
    .power_button = pm_power_button,
    .state = &pm_state,
};
