/* MC146818A real-time clock and CMOS RAM (Motorola MC146818A datasheet;
 * Dallas DS12887 for the century byte). Index port 0x70, data port 0x71.
 *
 * Guest time is the virtual clock plus a base, so it stops while the VM is
 * stopped, moves exactly with a manual (qtest) clock, can be set by the
 * guest and migrates. While the clock runs the time registers are derived
 * from it on every read; with SET or the divider held in reset they hold
 * whatever was latched or written. The update flags (UF, AF) are worked
 * out from the seconds that passed whenever someone looks; timers on the
 * virtual clock run only for interrupts that are enabled (UIE, AIE, PIE,
 * or SQWE for PF), so an idle RTC arms none, as QEMU's default one arms
 * nothing on the virtual clock. IRQ 8 always follows
 * IRQF = (C & B & (PF|AF|UF)) != 0.
 *
 * Where the datasheet and QEMU 7.2 disagree, QEMU's observable behaviour
 * wins (see the comments marked "QEMU"). */
#include "board/pc.h"
#include "util/error.h"

#include <string.h>
#include <time.h>

#define RTC_SECONDS        0x00
#define RTC_SECONDS_ALARM  0x01
#define RTC_MINUTES        0x02
#define RTC_MINUTES_ALARM  0x03
#define RTC_HOURS          0x04
#define RTC_HOURS_ALARM    0x05
#define RTC_DOW            0x06
#define RTC_DOM            0x07
#define RTC_MONTH          0x08
#define RTC_YEAR           0x09
#define RTC_REG_A          0x0a
#define RTC_REG_B          0x0b
#define RTC_REG_C          0x0c
#define RTC_REG_D          0x0d
#define RTC_CENTURY        0x32   /* IBM AT century byte */
#define RTC_PS2_CENTURY    0x37   /* PS/2 century byte: QEMU aliases it to 0x32 */

#define REG_A_UIP   0x80
#define REG_A_DV    0x70          /* divider select */
#define REG_A_RS    0x0f          /* rate select */

#define REG_B_SET   0x80
#define REG_B_PIE   0x40
#define REG_B_AIE   0x20
#define REG_B_UIE   0x10
#define REG_B_SQWE  0x08
#define REG_B_DM    0x04          /* binary (1) or BCD (0) */
#define REG_B_24H   0x02
#define REG_B_DSE   0x01

#define REG_C_IRQF  0x80
#define REG_C_PF    0x40
#define REG_C_AF    0x20
#define REG_C_UF    0x10
#define REG_C_FLAGS (REG_C_PF | REG_C_AF | REG_C_UF)

#define REG_D_VRT   0x80          /* valid RAM and time */

#define NS_PER_SEC  1000000000LL
#define RTC_HZ      32768         /* time-base crystal */
/* UIP rises 244 us (8 time-base cycles) before each update (tBUC). */
#define UIP_NS      (8 * NS_PER_SEC / RTC_HZ)
/* When the divider leaves reset the first update comes half a second later. */
#define DIVIDER_START_NS 500000000LL

#define ALARM_DONT_CARE 0xc0

typedef struct RtcState {
    DeviceState parent;
    const TernIrq *irq;
    TernTimer *update_timer;     /* next second boundary: UF and AF */
    TernTimer *periodic_timer;   /* next periodic tick: PF */
    uint8_t index;
    uint8_t cmos[128];
    /* Guest time = base_sec s + base_frac_ns ns + virtual time. */
    int64_t base_sec;
    int64_t base_frac_ns;        /* 0 .. NS_PER_SEC - 1 */
    int64_t last_update_sec;     /* the guest second UF/AF already account for */
} RtcState;

/* ---- guest time ---- */

static int64_t rtc_virtual_ns(RtcState *s)
{
    return tern_clock_virtual_ns(&s->parent.machine->clock);
}

/* The guest clock at virtual time now, as whole seconds and nanoseconds. */
static void rtc_guest_time(RtcState *s, int64_t now, int64_t *sec, int64_t *frac)
{
    int64_t ns = now % NS_PER_SEC + s->base_frac_ns;
    *sec = s->base_sec + now / NS_PER_SEC + ns / NS_PER_SEC;
    *frac = ns % NS_PER_SEC;
}

/* Makes the guest clock read sec + frac at virtual time now. */
static void rtc_set_guest_time(RtcState *s, int64_t now, int64_t sec, int64_t frac)
{
    int64_t f = frac - now % NS_PER_SEC;
    int64_t borrow = 0;
    if (f < 0) {
        f += NS_PER_SEC;
        borrow = 1;
    }
    s->base_sec = sec - now / NS_PER_SEC - borrow;
    s->base_frac_ns = f;
}

/* DV = 000, 001 or 010: the divider chain runs (QEMU accepts all three as
 * the 32.768 kHz base); 11x holds it in reset, 011 and 10x are test modes. */
static bool rtc_divider_running(RtcState *s)
{
    return (s->cmos[RTC_REG_A] & REG_A_DV) <= 0x20;
}

/* The time registers follow the clock (no SET, divider running). */
static bool rtc_registers_live(RtcState *s)
{
    return !(s->cmos[RTC_REG_B] & REG_B_SET) && rtc_divider_running(s);
}

/* ---- register encodings: BCD or binary, 12 or 24 hours ---- */

static uint8_t rtc_to_reg(RtcState *s, int v)
{
    if (s->cmos[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    return ((v / 10) << 4) | (v % 10);
}

static int rtc_from_reg(RtcState *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t rtc_hours_to_reg(RtcState *s, int hour)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_to_reg(s, hour);
    }
    int h12 = hour % 12 ? hour % 12 : 12;
    return rtc_to_reg(s, h12) | (hour >= 12 ? 0x80 : 0);
}

/* 12-hour mode: 12 AM is 0 h, 12 PM is 12 h; bit 7 is PM. */
static int rtc_hours_from_reg(RtcState *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        return rtc_from_reg(s, v);
    }
    return rtc_from_reg(s, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

static void rtc_store_time(RtcState *s, int64_t sec)
{
    time_t t = sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900;
    s->cmos[RTC_SECONDS] = rtc_to_reg(s, tm.tm_sec);
    s->cmos[RTC_MINUTES] = rtc_to_reg(s, tm.tm_min);
    s->cmos[RTC_HOURS] = rtc_hours_to_reg(s, tm.tm_hour);
    s->cmos[RTC_DOW] = rtc_to_reg(s, tm.tm_wday + 1);   /* Sunday is 1 */
    s->cmos[RTC_DOM] = rtc_to_reg(s, tm.tm_mday);
    s->cmos[RTC_MONTH] = rtc_to_reg(s, tm.tm_mon + 1);
    s->cmos[RTC_YEAR] = rtc_to_reg(s, year % 100);
    s->cmos[RTC_CENTURY] = rtc_to_reg(s, year / 100);
}

/* The time the registers say; the day of the week is ignored, as the
 * date determines it. */
static int64_t rtc_load_time(RtcState *s)
{
    struct tm tm = { 0 };
    tm.tm_sec = rtc_from_reg(s, s->cmos[RTC_SECONDS]);
    tm.tm_min = rtc_from_reg(s, s->cmos[RTC_MINUTES]);
    tm.tm_hour = rtc_hours_from_reg(s, s->cmos[RTC_HOURS]);
    tm.tm_mday = rtc_from_reg(s, s->cmos[RTC_DOM]);
    tm.tm_mon = rtc_from_reg(s, s->cmos[RTC_MONTH]) - 1;
    tm.tm_year = rtc_from_reg(s, s->cmos[RTC_CENTURY]) * 100 +
                 rtc_from_reg(s, s->cmos[RTC_YEAR]) - 1900;
    return timegm(&tm);
}

/* Brings the time registers up to date while they follow the clock. */
static void rtc_latch(RtcState *s)
{
    if (rtc_registers_live(s)) {
        int64_t sec, frac;
        rtc_guest_time(s, rtc_virtual_ns(s), &sec, &frac);
        rtc_store_time(s, sec);
    }
}

/* The guest set the time through the registers; frac is the position in
 * the second to restart from. */
static void rtc_take_time(RtcState *s, int64_t frac)
{
    int64_t sec = rtc_load_time(s);
    rtc_set_guest_time(s, rtc_virtual_ns(s), sec, frac);
    /* A new time is no update cycle: the next boundary is. */
    s->last_update_sec = sec;
}

static int64_t rtc_current_frac(RtcState *s)
{
    int64_t sec, frac;
    rtc_guest_time(s, rtc_virtual_ns(s), &sec, &frac);
    return frac;
}

/* ---- interrupts and timers ---- */

static void rtc_update_irq(RtcState *s)
{
    if (s->cmos[RTC_REG_C] & s->cmos[RTC_REG_B] & REG_C_FLAGS) {
        s->cmos[RTC_REG_C] |= REG_C_IRQF;
    } else {
        s->cmos[RTC_REG_C] &= ~REG_C_IRQF;
    }
    tern_irq_set(s->irq, !!(s->cmos[RTC_REG_C] & REG_C_IRQF));
}

/* Periodic rate in time-base cycles, or 0 when off. RS 1 and 2 give 256 and
 * 128 Hz, not 16 and 8 kHz, with a 32.768 kHz base (datasheet table 5). */
static unsigned rtc_period_cycles(RtcState *s)
{
    unsigned rs = s->cmos[RTC_REG_A] & REG_A_RS;
    if (rs == 0) {
        return 0;
    }
    return rs <= 2 ? 1u << (rs + 6) : 1u << (rs - 1);
}

/* Virtual time of time-base cycle `cycle` of second `sec`, rounded up. */
static int64_t rtc_cycle_ns(int64_t sec, int64_t cycle)
{
    return sec * NS_PER_SEC + (cycle * NS_PER_SEC + RTC_HZ - 1) / RTC_HZ;
}

/* QEMU: the periodic flag runs while PIE or SQWE is set, whatever the
 * divider says, on a grid of the time base counted from virtual time 0. */
static void rtc_arm_periodic(RtcState *s)
{
    unsigned period = rtc_period_cycles(s);
    if (!period || !(s->cmos[RTC_REG_B] & (REG_B_PIE | REG_B_SQWE))) {
        tern_timer_del(s->periodic_timer);
        return;
    }
    int64_t now = rtc_virtual_ns(s);
    int64_t sec = now / NS_PER_SEC;
    int64_t cycle = now % NS_PER_SEC * RTC_HZ / NS_PER_SEC;
    int64_t next = (cycle / period + 1) * period;   /* a period divides RTC_HZ */
    tern_timer_mod(s->periodic_timer, rtc_cycle_ns(sec, next));
}

static void rtc_periodic_tick(void *opaque)
{
    RtcState *s = opaque;
    s->cmos[RTC_REG_C] |= REG_C_PF;
    rtc_update_irq(s);
    rtc_arm_periodic(s);
}

static bool rtc_alarm_field_matches(uint8_t alarm, int value, int alarm_value)
{
    return (alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE || alarm_value == value;
}

/* The alarm bytes, compared in the current data mode; 0xC0-0xFF match any
 * value. Guest time has no leap seconds, so a day is 86400 s. */
static bool rtc_alarm_matches(RtcState *s, int64_t sec)
{
    int64_t sod = ((sec % 86400) + 86400) % 86400;
    uint8_t as = s->cmos[RTC_SECONDS_ALARM];
    uint8_t am = s->cmos[RTC_MINUTES_ALARM];
    uint8_t ah = s->cmos[RTC_HOURS_ALARM];
    return rtc_alarm_field_matches(as, sod % 60, rtc_from_reg(s, as)) &&
           rtc_alarm_field_matches(am, sod / 60 % 60, rtc_from_reg(s, am)) &&
           rtc_alarm_field_matches(ah, sod / 3600, rtc_hours_from_reg(s, ah));
}

/* Accounts for the update cycles since the last look: each guest second
 * boundary sets UF, and AF if the alarm matched that second. The update
 * cycle runs while the divider runs, SET or not (QEMU: UF and AF still come
 * under SET). Any alarm that can match does so within a day. */
static void rtc_sync_updates(RtcState *s)
{
    if (!rtc_divider_running(s)) {
        return;
    }
    int64_t sec, frac;
    rtc_guest_time(s, rtc_virtual_ns(s), &sec, &frac);
    if (sec <= s->last_update_sec) {
        return;
    }
    uint8_t flags = REG_C_UF;
    int64_t n = MIN(sec - s->last_update_sec, 86400);
    for (int64_t k = 0; k < n && !(s->cmos[RTC_REG_C] & REG_C_AF); k++) {
        if (rtc_alarm_matches(s, sec - k)) {
            flags |= REG_C_AF;
            break;
        }
    }
    s->last_update_sec = sec;
    s->cmos[RTC_REG_C] |= flags;
    rtc_update_irq(s);
}

/* A timer at the next second boundary, needed only to raise IRQ 8 on
 * time for an enabled flag that is not set yet. */
static void rtc_arm_update(RtcState *s)
{
    uint8_t b = s->cmos[RTC_REG_B], c = s->cmos[RTC_REG_C];
    bool wanted = ((b & REG_B_UIE) && !(c & REG_C_UF)) || ((b & REG_B_AIE) && !(c & REG_C_AF));
    if (!rtc_divider_running(s) || !wanted) {
        tern_timer_del(s->update_timer);
        return;
    }
    /* One reading of the clock: a running clock must not move between the
     * two, or the timer would fire just before the boundary. */
    int64_t now = rtc_virtual_ns(s), sec, frac;
    rtc_guest_time(s, now, &sec, &frac);
    tern_timer_mod(s->update_timer, now + NS_PER_SEC - frac);
}

static void rtc_update_tick(void *opaque)
{
    RtcState *s = opaque;
    rtc_sync_updates(s);
    rtc_arm_update(s);
}

/* ---- port I/O ---- */

static uint8_t rtc_reg_a_value(RtcState *s)
{
    uint8_t a = s->cmos[RTC_REG_A];
    if (rtc_registers_live(s) && rtc_current_frac(s) >= NS_PER_SEC - UIP_NS) {
        a |= REG_A_UIP;
    }
    return a;
}

static bool rtc_is_time_reg(uint8_t i)
{
    return i == RTC_SECONDS || i == RTC_MINUTES || i == RTC_HOURS ||
           (i >= RTC_DOW && i <= RTC_YEAR) || i == RTC_CENTURY;
}

static uint8_t rtc_read_data(RtcState *s)
{
    if (s->index == RTC_PS2_CENTURY) {
        s->index = RTC_CENTURY;      /* QEMU: the PS/2 byte is the century register */
    }
    uint8_t i = s->index;
    if (rtc_is_time_reg(i)) {
        rtc_latch(s);
        return s->cmos[i];
    }
    switch (i) {
    case RTC_REG_A:
        return rtc_reg_a_value(s);
    case RTC_REG_C: {
        /* Reading C clears every flag and so lowers IRQ 8. */
        rtc_sync_updates(s);
        uint8_t v = s->cmos[RTC_REG_C];
        s->cmos[RTC_REG_C] = 0;
        rtc_update_irq(s);
        rtc_arm_update(s);
        return v;
    }
    default:
        return s->cmos[i];
    }
}

static void rtc_write_reg_a(RtcState *s, uint8_t val)
{
    bool was_running = rtc_divider_running(s);
    rtc_sync_updates(s);
    if (was_running) {
        rtc_latch(s);                /* freeze the registers as they are now */
    }
    s->cmos[RTC_REG_A] = val & ~REG_A_UIP;   /* UIP is read-only */
    if (!was_running && rtc_divider_running(s)) {
        /* Half a second into the current second: the update is 500 ms away. */
        rtc_take_time(s, NS_PER_SEC - DIVIDER_START_NS);
    }
    rtc_arm_periodic(s);
    rtc_arm_update(s);
}

static void rtc_write_reg_b(RtcState *s, uint8_t val)
{
    uint8_t old = s->cmos[RTC_REG_B];
    rtc_sync_updates(s);             /* past seconds count in the old data mode */
    if ((val & REG_B_SET) && !(old & REG_B_SET)) {
        rtc_latch(s);
    }
    if (val & REG_B_SET) {
        /* The datasheet clears UIE as SET goes high; QEMU clears it on
         * every write that has SET, so UIE cannot be set while SET is. */
        val &= ~REG_B_UIE;
    }
    if (!(val & REG_B_SET) && (old & REG_B_SET)) {
        /* The registers were written in the data mode SET was held in,
         * so they are read in that one, not the one this write brings
         * (QEMU does the same). The divider kept running under SET, so
         * the position in the second is kept. */
        if (rtc_divider_running(s)) {
            rtc_take_time(s, rtc_current_frac(s));
        }
    }
    s->cmos[RTC_REG_B] = val;
    rtc_update_irq(s);
    rtc_arm_periodic(s);
    rtc_arm_update(s);
}

static void rtc_write_data(RtcState *s, uint8_t val)
{
    if (s->index == RTC_PS2_CENTURY) {
        s->index = RTC_CENTURY;
    }
    uint8_t i = s->index;
    if (rtc_is_time_reg(i)) {
        /* Writing one field while the clock runs moves the clock to the
         * registers, the others being current: latch them first. */
        bool live = rtc_registers_live(s);
        rtc_sync_updates(s);
        rtc_latch(s);
        s->cmos[i] = val;
        if (live) {
            rtc_take_time(s, rtc_current_frac(s));
            rtc_arm_update(s);
        }
        return;
    }
    switch (i) {
    case RTC_REG_A:
        rtc_write_reg_a(s, val);
        break;
    case RTC_REG_B:
        rtc_write_reg_b(s, val);
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        break;                       /* read-only */
    case RTC_SECONDS_ALARM:
    case RTC_MINUTES_ALARM:
    case RTC_HOURS_ALARM:
        rtc_sync_updates(s);         /* a new alarm counts from the next update */
        s->cmos[i] = val;
        rtc_arm_update(s);
        break;
    default:
        s->cmos[i] = val;
        break;
    }
}

/* Even offsets are the index port, odd ones the data port; wider accesses
 * are split into bytes (QEMU: inl 0x70 reads 0x70-0x73 that way). */
static uint8_t rtc_read_byte(void *opaque, uint64_t off)
{
    return (off & 1) ? rtc_read_data(opaque) : 0xff;
}

static void rtc_write_byte(void *opaque, uint64_t off, uint8_t v)
{
    RtcState *s = opaque;
    if (off & 1) {
        rtc_write_data(s, v);
    } else {
        s->index = v & 0x7f;  /* bit 7 masks NMI, which a PC ignores here */
    }
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
    return region_read_bytes(opaque, off, size, rtc_read_byte);
}

static void rtc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    region_write_bytes(opaque, off, val, size, rtc_write_byte);
}

static const TernRegionOps rtc_ops = {
    .read = rtc_read,
    .write = rtc_write,
};

/* The RESET pin (QEMU: UIE survives it, unlike the datasheet says). */
static bool rtc_set_boot_order(RtcState *s, const char *order, GError **errp);

static void rtc_reset(DeviceState *dev)
{
    RtcState *s = (RtcState *)dev;
    rtc_sync_updates(s);             /* what happened before the reset is gone */
    MachineConfig *cfg = dev->machine->cfg;
    if (cfg->boot_once && dev->machine->resets) {
        /* -boot once= is over: the normal order is back, as on QEMU. */
        rtc_set_boot_order(s, cfg->boot_order ? cfg->boot_order : "cad", NULL);
    }
    s->cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_SQWE);
    s->cmos[RTC_REG_C] = 0;
    rtc_update_irq(s);
    rtc_arm_periodic(s);
    rtc_arm_update(s);
}

/* ---- what the PC BIOS expects in CMOS (QEMU 7.2 -M pc writes it at boot) ---- */

static void rtc_set_memory(RtcState *s, const GuestRam *ram, unsigned ncpus)
{
    uint64_t below = ram->below_4g, above = ram->size - ram->below_4g;
    uint64_t ext_kb = below > (1 << 20) ? MIN((below - (1 << 20)) / 1024, 0xffffULL) : 0;
    uint64_t hi64k = below > (16 << 20) ? MIN((below - (16 << 20)) >> 16, 0xffffULL) : 0;
    uint64_t above64k = above >> 16;
    s->cmos[0x15] = 640 & 0xff;           /* base memory, KiB */
    s->cmos[0x16] = 640 >> 8;
    s->cmos[0x17] = s->cmos[0x30] = ext_kb & 0xff;   /* memory above 1 MiB, KiB */
    s->cmos[0x18] = s->cmos[0x31] = ext_kb >> 8;
    s->cmos[0x34] = hi64k & 0xff;         /* memory above 16 MiB, 64 KiB units */
    s->cmos[0x35] = hi64k >> 8;
    s->cmos[0x5b] = above64k & 0xff;      /* memory above 4 GiB, 64 KiB units */
    s->cmos[0x5c] = above64k >> 8;
    s->cmos[0x5d] = above64k >> 16;
    s->cmos[0x5f] = ncpus - 1;
}

/* Boot devices as SeaBIOS reads them: floppy 1, disk 2, CD-ROM 3, net 4;
 * first and second in 0x3d, third in the high nibble of 0x38, whose bit 0
 * set would skip the floppy boot-sector check. */
static bool rtc_set_boot_order(RtcState *s, const char *order, GError **errp)
{
    static const char letters[] = "abcdn";
    static const uint8_t codes[] = { 1, 1, 2, 3, 4 };
    uint8_t dev[3] = { 0 };
    if (strlen(order) > G_N_ELEMENTS(dev)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Too many boot devices for PC");
        return false;
    }
    for (unsigned i = 0; order[i]; i++) {
        const char *p = strchr(letters, order[i]);
        if (!p) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Invalid boot device for PC: '%c'", order[i]);
            return false;
        }
        dev[i] = codes[p - letters];
    }
    s->cmos[0x3d] = dev[0] | (dev[1] << 4);
    s->cmos[0x38] = dev[2] << 4;
    return true;
}

static bool rtc_init_cmos(RtcState *s, GError **errp)
{
    Machine *m = s->parent.machine;
    MachineConfig *cfg = m->cfg;
    s->cmos[RTC_REG_A] = 0x26;            /* 32.768 kHz divider, 1024 Hz rate */
    s->cmos[RTC_REG_B] = REG_B_24H;       /* BCD, 24 hours */
    s->cmos[RTC_REG_D] = REG_D_VRT;
    s->cmos[0x14] = 0x02 | 0x04;          /* equipment: FPU, PS/2 mouse; no floppy */
    rtc_set_memory(s, &m->ram, cfg->smp_cpus);
    /* -boot once= holds until the first reset (rtc_reset). */
    const char *order = cfg->boot_once ? cfg->boot_once : cfg->boot_order;
    return rtc_set_boot_order(s, order ? order : "cad", errp);
}

/* ---- device ---- */

static int64_t rtc_start_time(Machine *m)
{
    MachineConfig *cfg = m->cfg;
    int64_t now = tern_clock_wall_base_ns(&m->clock) / NS_PER_SEC;
    if (cfg->rtc_base_epoch >= 0) {
        return cfg->rtc_base_epoch;
    }
    if (cfg->rtc_localtime) {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(now);
        now += g_date_time_get_utc_offset(dt) / G_TIME_SPAN_SECOND;
    }
    return now;
}

static bool rtc_realize(DeviceState *dev, GError **errp)
{
    RtcState *s = (RtcState *)dev;
    Machine *m = dev->machine;
    s->irq = machine_isa_irq(m, 8);
    if (!rtc_init_cmos(s, errp)) {
        return false;
    }
    s->update_timer = tern_timer_new(&m->timers, rtc_update_tick, s);
    s->periodic_timer = tern_timer_new(&m->timers, rtc_periodic_tick, s);
    rtc_set_guest_time(s, rtc_virtual_ns(s), rtc_start_time(m), 0);
    rtc_latch(s);
    s->last_update_sec = rtc_load_time(s);
    /* QEMU fills the PS/2 century byte once, at start. */
    s->cmos[RTC_PS2_CENTURY] = s->cmos[RTC_CENTURY];
    return machine_map_pio(m, "rtc", 0x70, 2, &rtc_ops, s, errp);
}

static void rtc_unrealize(DeviceState *dev)
{
    RtcState *s = (RtcState *)dev;
    tern_timer_free(s->update_timer);
    tern_timer_free(s->periodic_timer);
}

/* The stream is untrusted: keep only states the chip can be in, then
 * derive the IRQ line and the timers from the registers. */
static bool rtc_post_load(void *obj, GError **errp)
{
    RtcState *s = obj;
    if (s->base_frac_ns < 0 || s->base_frac_ns >= NS_PER_SEC) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "mc146818rtc: base_frac_ns %" G_GINT64_FORMAT " out of range",
                    s->base_frac_ns);
        return false;
    }
    s->index &= 0x7f;
    s->cmos[RTC_REG_A] &= ~REG_A_UIP;
    s->cmos[RTC_REG_D] = REG_D_VRT;
    rtc_update_irq(s);
    rtc_arm_periodic(s);
    rtc_arm_update(s);
    return true;
}

static const StateField rtc_fields[] = {
    STATE_UINT(RtcState, index),
    STATE_BUFFER(RtcState, cmos),
    STATE_UINT(RtcState, base_sec),
    STATE_UINT_V(RtcState, base_frac_ns, 2),
    STATE_UINT_V(RtcState, last_update_sec, 2),
    STATE_END,
};

/* Version 2: the guest clock keeps its position within the second, and
 * the update flags know which second they last accounted for. */
static const StateDescription rtc_state = {
    .name = "mc146818rtc", .version = 2, .fields = rtc_fields, .post_load = rtc_post_load,
};

const DeviceInfo mc146818rtc_info = {
    .name = "mc146818rtc",
    .desc = "MC146818 real-time clock and CMOS",
    .instance_size = sizeof(RtcState),
    .realize = rtc_realize,
    .unrealize = rtc_unrealize,
    .reset = rtc_reset,
    .state = &rtc_state,
};
