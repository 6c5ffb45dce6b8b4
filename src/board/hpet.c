/* High Precision Event Timer (IA-PC HPET specification 1.0a) at
 * 0xfed00000: a 64-bit main counter at 100 MHz and three comparators,
 * register-exact with QEMU 7.2's "hpet" on -M pc (observed over qtest).
 *
 * Nothing ticks. While enabled, the counter is the value it held when
 * enabled plus the 10 ns periods of virtual time since then; a comparator
 * with interrupts enabled arms a virtual-clock timer for the exact time
 * the counter reaches it, so an idle (or disabled) HPET arms none.
 *
 * QEMU's behaviour, where the specification leaves room:
 * - Only 32- and 64-bit accesses at 4-byte aligned offsets do anything:
 *   narrower or unaligned ones read 0 and are dropped. A 64-bit access is
 *   two 32-bit ones, low address first: a 64-bit comparator write in
 *   periodic mode with Tn_VAL_SET_CNF sets only the comparator's low half
 *   (the high half then goes to the period), and a 64-bit access at
 *   offset 4 spans two registers.
 * - Tn_VAL_SET_CNF reads back set until the next comparator write.
 * - In periodic mode a comparator write without Tn_VAL_SET_CNF sets only
 *   the period; with it, both the comparator and the period.
 * - Writes to the main counter while it runs are dropped.
 * - The status bit of a level-triggered timer is set only while its
 *   interrupt is enabled; disabling the interrupt or the counter clears it
 *   and drops the line. Switching a pending level interrupt to edge keeps
 *   both.
 * - Rewriting a timer's configuration re-arms nothing (a passed one-shot
 *   stays passed) unless it turns the interrupt on; a comparator write
 *   re-arms.
 * - A 32-bit one-shot timer also fires when the counter's low half wraps.
 * - Route 0 and the other unlisted routes are not refused: the line is
 *   driven wherever Tn_INT_ROUTE_CNF points, as QEMU does.
 * - Tn_FSB_EN_CNF and the FSB route registers are plain storage: QEMU's
 *   default HPET has no FSB delivery (Tn_FSB_INT_DEL_CAP clear).
 * - Legacy replacement gates the PIT's and the RTC's interrupts, as QEMU
 *   does (machine_set_hpet_legacy; with KVM the in-kernel PIT's flag). */
#include "board/acpi.h"
#include "board/aml.h"
#include "board/pc.h"
#include "util/error.h"

#define HPET_BASE       HPET_ADDR
#define HPET_SIZE       0x400
#define HPET_TIMERS     3
#define HPET_PERIOD_NS  10            /* 100 MHz */
#define HPET_PERIOD_FS  (HPET_PERIOD_NS * 1000000ULL)

/* General capabilities and ID (spec 2.3.4): vendor 8086, LEG_RT_CAP,
 * COUNT_SIZE_CAP, NUM_TIM_CAP = timers - 1, revision 1. */
#define HPET_CAP        (HPET_PERIOD_FS << 32 | 0x8086u << 16 | 1u << 15 | 1u << 13 | \
                         (HPET_TIMERS - 1u) << 8 | 0x01)

G_STATIC_ASSERT((HPET_CAP & 0xffffffffu) == HPET_BLOCK_ID);   /* the ACPI table's copy */

/* Register offsets. */
#define HPET_REG_CAP    0x000
#define HPET_REG_CFG    0x010
#define HPET_REG_ISR    0x020
#define HPET_REG_COUNT  0x0f0
#define HPET_REG_TIMER  0x100         /* + 0x20 * N */
#define HPET_TN_CFG     0x00
#define HPET_TN_CMP     0x08
#define HPET_TN_FSB     0x10

#define CFG_ENABLE      (1u << 0)
#define CFG_LEGACY      (1u << 1)
#define CFG_WRITABLE    (CFG_ENABLE | CFG_LEGACY)

#define TN_LEVEL        (1u << 1)     /* Tn_INT_TYPE_CNF */
#define TN_INT_ENB      (1u << 2)
#define TN_PERIODIC     (1u << 3)     /* Tn_TYPE_CNF */
#define TN_PER_CAP      (1u << 4)
#define TN_SIZE_CAP     (1u << 5)     /* 64-bit comparator */
#define TN_VAL_SET      (1u << 6)
#define TN_32BIT        (1u << 8)
#define TN_ROUTE_SHIFT  9
#define TN_ROUTE_MASK   (0x1fu << TN_ROUTE_SHIFT)
#define TN_FSB_EN       (1u << 14)
#define TN_WRITABLE     (TN_LEVEL | TN_INT_ENB | TN_PERIODIC | TN_VAL_SET | TN_32BIT | \
                         TN_ROUTE_MASK | TN_FSB_EN)
#define TN_CAPS         (TN_PER_CAP | TN_SIZE_CAP)

/* QEMU's -M pc routes every comparator to IOAPIC input 2 only. */
#define HPET_PC_INTCAP  0x4

typedef struct HpetTimer {
    uint64_t config;         /* writable bits; capabilities are added on read */
    uint64_t cmp;
    uint64_t period;         /* periodic mode: added to cmp on each match */
    uint64_t fsb;
    uint8_t wrap;            /* 32-bit one-shot: armed for the wrap, not cmp */
    uint8_t line;            /* the level this timer drives its GSI to */
    uint8_t line_gsi;
} HpetTimer;

typedef struct HpetState {
    DeviceState parent;
    uint32_t intcap;         /* Tn_INT_ROUTE_CAP */
    uint64_t config;
    uint64_t isr;
    uint64_t counter;        /* while disabled: the value; while enabled: at enable_ns */
    int64_t enable_ns;
    HpetTimer t[HPET_TIMERS];
    TernTimer *timer[HPET_TIMERS];
} HpetState;

static int64_t hpet_now(HpetState *s)
{
    return tern_clock_virtual_ns(&s->parent.machine->clock);
}

static bool hpet_enabled(HpetState *s)
{
    return s->config & CFG_ENABLE;
}

static uint64_t hpet_counter(HpetState *s)
{
    if (!hpet_enabled(s)) {
        return s->counter;
    }
    int64_t d = hpet_now(s) - s->enable_ns;
    return s->counter + (d > 0 ? (uint64_t)d / HPET_PERIOD_NS : 0);
}

/* ---- interrupts ---- */

/* Legacy replacement: timer 0 takes ISA IRQ 0 (the PIT's line, which the
 * board sends to IOAPIC input 2) and timer 1 IRQ 8 (the RTC's). */
static unsigned hpet_route(HpetState *s, unsigned n)
{
    if (n < 2 && (s->config & CFG_LEGACY)) {
        return n == 0 ? 0 : 8;
    }
    return (s->t[n].config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT;
}

static void hpet_drive(HpetState *s, unsigned n, unsigned gsi, bool level)
{
    if (gsi < PC_GSI_PINS) {
        machine_set_gsi(s->parent.machine, gsi, level);
    }
    s->t[n].line = level;
    s->t[n].line_gsi = gsi;
}

/* Drops the line this timer holds high, wherever it was routed. */
static void hpet_release(HpetState *s, unsigned n)
{
    if (s->t[n].line) {
        hpet_drive(s, n, s->t[n].line_gsi, false);
    }
}

/* fire: the comparator matched. Otherwise the interrupt's inputs changed:
 * one that can no longer be active clears its status bit and drops its
 * line, and a line held high follows the timer's route. QEMU keeps the
 * status bit and the line of a level interrupt switched to edge. */
static void hpet_update_irq(HpetState *s, unsigned n, bool fire)
{
    HpetTimer *t = &s->t[n];
    uint64_t bit = 1ull << n;
    unsigned gsi = hpet_route(s, n);
    if (!hpet_enabled(s) || !(t->config & TN_INT_ENB)) {
        s->isr &= ~bit;
        hpet_release(s, n);
    } else if (fire && (t->config & TN_LEVEL)) {
        s->isr |= bit;
        if (!t->line || t->line_gsi != gsi) {
            hpet_release(s, n);
            hpet_drive(s, n, gsi, true);
        }
    } else if (fire) {
        s->isr &= ~bit;
        hpet_release(s, n);
        hpet_drive(s, n, gsi, true);     /* edge: a pulse */
        hpet_drive(s, n, gsi, false);
    } else if (t->line && t->line_gsi != gsi) {
        hpet_release(s, n);
        hpet_drive(s, n, gsi, true);
    }
}

/* ---- comparators ---- */

/* The virtual time at which the counter reads `ticks` more than now. */
static int64_t hpet_deadline(HpetState *s, uint64_t cur, uint64_t ticks)
{
    unsigned __int128 t = (unsigned __int128)(cur + ticks - s->counter) * HPET_PERIOD_NS;
    t += s->enable_ns;
    return t > INT64_MAX ? INT64_MAX : (int64_t)t;
}

/* Arms timer n for its next match (or, 32-bit one-shot, the wrap of the
 * counter's low half if that comes first). QEMU: a comparator not ahead
 * of the counter (a 32-bit one more than 2^31 ticks ahead counts as
 * behind) matches one tick from now. */
static void hpet_arm(HpetState *s, unsigned n)
{
    HpetTimer *t = &s->t[n];
    if (!hpet_enabled(s) || !(t->config & TN_INT_ENB)) {
        tern_timer_del(s->timer[n]);
        return;
    }
    uint64_t cur = hpet_counter(s);
    uint64_t diff;
    t->wrap = 0;
    if (t->config & TN_32BIT) {
        uint32_t d32 = (uint32_t)t->cmp - (uint32_t)cur;
        diff = (int32_t)d32 > 0 ? d32 : 1;
        uint32_t to_wrap = 0xffffffffu - (uint32_t)cur;
        if (!(t->config & TN_PERIODIC) && to_wrap < diff) {
            diff = to_wrap + 1;
            t->wrap = 1;
        }
    } else {
        diff = (int64_t)(t->cmp - cur) > 0 ? t->cmp - cur : 1;
    }
    tern_timer_mod(s->timer[n], hpet_deadline(s, cur, diff));
}

static void hpet_timer_fired(HpetState *s, unsigned n)
{
    HpetTimer *t = &s->t[n];
    uint64_t cur = hpet_counter(s);
    bool wrapped = t->wrap;
    if ((t->config & TN_PERIODIC) && t->period) {
        /* The accumulator: add the period until the comparator is ahead
         * (in as many periods at once as a long clock step skipped). */
        if (t->config & TN_32BIT) {
            uint32_t behind = (uint32_t)cur - (uint32_t)t->cmp, p = t->period;
            if (p && (int32_t)behind >= 0) {
                t->cmp = (uint32_t)(t->cmp + (uint64_t)p * (behind / p + 1));
            }
        } else if ((int64_t)(cur - t->cmp) >= 0) {
            t->cmp += t->period * ((cur - t->cmp) / t->period + 1);
        }
        hpet_arm(s, n);
    } else if (wrapped) {
        hpet_arm(s, n);      /* now for the comparator itself */
    }
    hpet_update_irq(s, n, true);
}

#define HPET_TIMER_CB(n) \
    static void hpet_timer##n(void *opaque) { hpet_timer_fired(opaque, n); }
HPET_TIMER_CB(0)
HPET_TIMER_CB(1)
HPET_TIMER_CB(2)
static const TernTimerFn hpet_timer_fns[HPET_TIMERS] = { hpet_timer0, hpet_timer1, hpet_timer2 };

/* ---- registers ---- */

static uint64_t hpet_timer_config(HpetState *s, unsigned n)
{
    return (uint64_t)s->intcap << 32 | TN_CAPS | s->t[n].config;
}

static uint64_t hpet_reg_read(HpetState *s, uint64_t reg)
{
    switch (reg) {
    case HPET_REG_CAP:
        return HPET_CAP;
    case HPET_REG_CFG:
        return s->config;
    case HPET_REG_ISR:
        return s->isr;
    case HPET_REG_COUNT:
        return hpet_counter(s);
    }
    if (reg >= HPET_REG_TIMER && reg < HPET_REG_TIMER + 0x20 * HPET_TIMERS) {
        unsigned n = (reg - HPET_REG_TIMER) / 0x20;
        switch ((reg - HPET_REG_TIMER) % 0x20) {
        case HPET_TN_CFG:
            return hpet_timer_config(s, n);
        case HPET_TN_CMP:
            return s->t[n].cmp;
        case HPET_TN_FSB:
            return s->t[n].fsb;
        }
    }
    return 0;
}

static void hpet_write_config(HpetState *s, uint64_t val)
{
    uint64_t old = s->config;
    if (!(old & CFG_ENABLE) && (val & CFG_ENABLE)) {
        s->enable_ns = hpet_now(s);
    } else if ((old & CFG_ENABLE) && !(val & CFG_ENABLE)) {
        s->counter = hpet_counter(s);
    }
    s->config = val & CFG_WRITABLE;
    for (unsigned n = 0; n < HPET_TIMERS; n++) {
        /* QEMU: enabling leaves a timer whose comparator never was
         * written (still all ones) unarmed. */
        bool enabling = !(old & CFG_ENABLE) && (s->config & CFG_ENABLE);
        if (((old ^ s->config) & CFG_ENABLE) && !(enabling && s->t[n].cmp == UINT64_MAX)) {
            hpet_arm(s, n);
        }
        hpet_update_irq(s, n, false);
        if (n == 0 && ((old ^ s->config) & CFG_LEGACY)) {
            /* QEMU's order: timer 0's line, then the PIT's, then timer 1's. */
            machine_set_hpet_legacy(s->parent.machine, s->config & CFG_LEGACY);
        }
    }
}

static void hpet_write_timer_config(HpetState *s, unsigned n, uint64_t val)
{
    HpetTimer *t = &s->t[n];
    uint64_t old = t->config;
    t->config = val & TN_WRITABLE;
    if (t->config & TN_32BIT) {
        t->cmp = (uint32_t)t->cmp;
        t->period = (uint32_t)t->period;
    }
    /* QEMU: only turning the interrupt on or off arms or stops the timer;
     * rewriting the configuration leaves a passed comparator passed. */
    if ((old ^ t->config) & TN_INT_ENB) {
        hpet_arm(s, n);
    }
    hpet_update_irq(s, n, false);
}

/* mask: the bits of the 64-bit register this access covers. */
static void hpet_write_cmp(HpetState *s, unsigned n, uint64_t val, uint64_t mask)
{
    HpetTimer *t = &s->t[n];
    if (t->config & TN_32BIT) {
        mask &= 0xffffffffu;
    }
    if (!(t->config & TN_PERIODIC) || (t->config & TN_VAL_SET)) {
        t->cmp = (t->cmp & ~mask) | (val & mask);
    }
    if (t->config & TN_PERIODIC) {
        /* QEMU keeps a period below half the counter's range. */
        t->period = ((t->period & ~mask) | (val & mask)) &
                    ((t->config & TN_32BIT) ? 0x7fffffffu : (uint64_t)INT64_MAX);
    }
    t->config &= ~TN_VAL_SET;
    hpet_arm(s, n);
}

static void hpet_reg_write(HpetState *s, uint64_t reg, uint64_t val, uint64_t mask)
{
    uint64_t merged = (hpet_reg_read(s, reg) & ~mask) | (val & mask);
    switch (reg) {
    case HPET_REG_CFG:
        hpet_write_config(s, merged);
        return;
    case HPET_REG_ISR: {
        uint64_t clear = s->isr & val & mask;
        s->isr &= ~clear;
        for (unsigned n = 0; n < HPET_TIMERS; n++) {
            if (clear & (1ull << n)) {
                hpet_release(s, n);
            }
        }
        return;
    }
    case HPET_REG_COUNT:
        if (!hpet_enabled(s)) {
            s->counter = merged;
        }
        return;
    }
    if (reg >= HPET_REG_TIMER && reg < HPET_REG_TIMER + 0x20 * HPET_TIMERS) {
        unsigned n = (reg - HPET_REG_TIMER) / 0x20;
        switch ((reg - HPET_REG_TIMER) % 0x20) {
        case HPET_TN_CFG:
            hpet_write_timer_config(s, n, merged);
            break;
        case HPET_TN_CMP:
            hpet_write_cmp(s, n, val, mask);
            break;
        case HPET_TN_FSB:
            s->t[n].fsb = merged;
            break;
        }
    }
}

/* One aligned 32-bit half of a register. */
static uint32_t hpet_read32(HpetState *s, uint64_t off)
{
    return hpet_reg_read(s, off & ~7ull) >> (off & 4) * 8;
}

static void hpet_write32(HpetState *s, uint64_t off, uint32_t val)
{
    unsigned shift = (off & 4) * 8;
    hpet_reg_write(s, off & ~7ull, (uint64_t)val << shift, 0xffffffffull << shift);
}

/* QEMU serves the HPET 32 bits at a time: a 64-bit access is the low
 * half, then the high half, each with its own side effects. */
static uint64_t hpet_read(void *opaque, uint64_t off, unsigned size)
{
    if ((size != 4 && size != 8) || (off & 3)) {
        return 0;
    }
    uint64_t v = hpet_read32(opaque, off);
    if (size == 8) {
        v |= (uint64_t)hpet_read32(opaque, off + 4) << 32;
    }
    return v;
}

static void hpet_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    if ((size != 4 && size != 8) || (off & 3)) {
        return;
    }
    hpet_write32(opaque, off, val);
    if (size == 8) {
        hpet_write32(opaque, off + 4, val >> 32);
    }
}

static const TernRegionOps hpet_ops = {
    .read = hpet_read,
    .write = hpet_write,
};

/* ---- device ---- */

static void hpet_reset(DeviceState *dev)
{
    HpetState *s = (HpetState *)dev;
    for (unsigned n = 0; n < HPET_TIMERS; n++) {
        hpet_release(s, n);
        tern_timer_del(s->timer[n]);
        s->t[n] = (HpetTimer){ .cmp = UINT64_MAX };
    }
    s->config = 0;
    machine_set_hpet_legacy(dev->machine, false);
    s->isr = 0;
    s->counter = 0;
    s->enable_ns = 0;
}

static bool hpet_realize(DeviceState *dev, GError **errp)
{
    HpetState *s = (HpetState *)dev;
    Machine *m = dev->machine;
    for (unsigned n = 0; n < HPET_TIMERS; n++) {
        s->timer[n] = tern_timer_new(&m->timers, hpet_timer_fns[n], s);
        s->t[n].cmp = UINT64_MAX;
    }
    return machine_map_mmio(m, "hpet", HPET_BASE, HPET_SIZE, &hpet_ops, s, errp);
}

static void hpet_unrealize(DeviceState *dev)
{
    HpetState *s = (HpetState *)dev;
    address_space_remove(dev->machine->mmio, HPET_BASE);
    for (unsigned n = 0; n < HPET_TIMERS; n++) {
        hpet_release(s, n);
        tern_timer_free(s->timer[n]);
    }
    machine_set_hpet_legacy(dev->machine, false);
}

/* The DSDT's Device (HPET): QEMU's _CRS, a read-only 1 KiB window. */
static void hpet_acpi_aml(DeviceState *dev, GByteArray *aml)
{
    g_autoptr(GByteArray) crs = g_byte_array_new();
    aml_rt_memory32_fixed(crs, false, HPET_BASE, HPET_SIZE);
    acpi_isa_device(aml, "HPET", "PNP0103", 0, crs);
}

/* The stream is untrusted: only register values the device can hold,
 * then the lines and timers follow from them. */
static bool hpet_post_load(void *obj, GError **errp)
{
    HpetState *s = obj;
    if ((s->config & ~(uint64_t)CFG_WRITABLE) || (s->isr >> HPET_TIMERS) || s->enable_ns < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "hpet: general registers out of range");
        return false;
    }
    machine_set_hpet_legacy(s->parent.machine, s->config & CFG_LEGACY);
    for (unsigned n = 0; n < HPET_TIMERS; n++) {
        HpetTimer *t = &s->t[n];
        if ((t->config & ~(uint64_t)TN_WRITABLE) || t->wrap > 1) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "hpet: timer %u state out of range", n);
            return false;
        }
        if (t->config & TN_32BIT) {
            t->cmp = (uint32_t)t->cmp;
            t->period = (uint32_t)t->period & 0x7fffffffu;
        }
        hpet_release(s, n);                  /* what it held before the load */
        hpet_arm(s, n);
        if ((s->isr >> n & 1) && (t->config & TN_LEVEL)) {
            hpet_update_irq(s, n, true);     /* a pending level interrupt */
        } else {
            hpet_update_irq(s, n, false);
        }
    }
    return true;
}

#define HPET_TIMER_FIELDS(i)                 \
    STATE_UINT(HpetState, t[i].config),      \
    STATE_UINT(HpetState, t[i].cmp),         \
    STATE_UINT(HpetState, t[i].period),      \
    STATE_UINT(HpetState, t[i].fsb),         \
    STATE_UINT(HpetState, t[i].wrap)

static const StateField hpet_fields[] = {
    STATE_UINT(HpetState, config),
    STATE_UINT(HpetState, isr),
    STATE_UINT(HpetState, counter),
    STATE_UINT(HpetState, enable_ns),
    HPET_TIMER_FIELDS(0),
    HPET_TIMER_FIELDS(1),
    HPET_TIMER_FIELDS(2),
    STATE_END,
};

static const StateDescription hpet_state = {
    .name = "hpet", .version = 1, .fields = hpet_fields, .post_load = hpet_post_load,
};

static const DeviceProperty hpet_props[] = {
    DEFINE_PROP_U32("hpet-intcap", HpetState, intcap, HPET_PC_INTCAP),
    DEFINE_PROP_END,
};

const DeviceInfo hpet_info = {
    .name = "hpet",
    .parent = "sys-bus-device",
    .desc = "HPET (High Precision Event Timer)",
    .instance_size = sizeof(HpetState),
    .props = hpet_props,
    .realize = hpet_realize,
    .reset = hpet_reset,
    .unrealize = hpet_unrealize,
    .acpi_aml = hpet_acpi_aml,
    .state = &hpet_state,
};
