/* MC146818 RTC and CMOS memory (Motorola MC146818A datasheet). Time is the
 * virtual clock plus a base, so it stops while the VM is stopped and a
 * guest can set it. This is the minimal part a kernel needs to read the
 * date and the board needs for memory sizes; alarms and the periodic
 * interrupt come with the full board. */
#include "board/pc.h"

#include <string.h>
#include <time.h>

#define RTC_SECONDS  0x00
#define RTC_MINUTES  0x02
#define RTC_HOURS    0x04
#define RTC_DOW      0x06
#define RTC_DOM      0x07
#define RTC_MONTH    0x08
#define RTC_YEAR     0x09
#define RTC_REG_A    0x0a
#define RTC_REG_B    0x0b
#define RTC_REG_C    0x0c
#define RTC_REG_D    0x0d
#define RTC_CENTURY  0x32

#define REG_B_SET    0x80
#define REG_B_24H    0x02
#define REG_B_BINARY 0x04

typedef struct RtcState {
    DeviceState parent;
    uint8_t index;
    uint8_t cmos[128];
    int64_t base_sec;        /* guest time (s since epoch) at virtual time 0 */
} RtcState;

static int64_t guest_now(RtcState *s)
{
    return s->base_sec + tern_clock_virtual_ns(&s->parent.machine->clock) / 1000000000LL;
}

static uint8_t to_reg(RtcState *s, int v)
{
    if (s->cmos[RTC_REG_B] & REG_B_BINARY) {
        return v;
    }
    return ((v / 10) << 4) | (v % 10);
}

static int from_reg(RtcState *s, uint8_t v)
{
    if (s->cmos[RTC_REG_B] & REG_B_BINARY) {
        return v;
    }
    return (v >> 4) * 10 + (v & 0x0f);
}

static void rtc_fill_time(RtcState *s)
{
    time_t t = guest_now(s);
    struct tm tm;
    gmtime_r(&t, &tm);
    s->cmos[RTC_SECONDS] = to_reg(s, tm.tm_sec);
    s->cmos[RTC_MINUTES] = to_reg(s, tm.tm_min);
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        s->cmos[RTC_HOURS] = to_reg(s, tm.tm_hour);
    } else {
        int h = tm.tm_hour % 12;
        s->cmos[RTC_HOURS] = to_reg(s, h ? h : 12) | (tm.tm_hour >= 12 ? 0x80 : 0);
    }
    s->cmos[RTC_DOW] = to_reg(s, tm.tm_wday + 1);
    s->cmos[RTC_DOM] = to_reg(s, tm.tm_mday);
    s->cmos[RTC_MONTH] = to_reg(s, tm.tm_mon + 1);
    s->cmos[RTC_YEAR] = to_reg(s, tm.tm_year % 100);
    s->cmos[RTC_CENTURY] = to_reg(s, (tm.tm_year + 1900) / 100);
}

/* The guest wrote the time registers: move the base to match them. */
static void rtc_take_time(RtcState *s)
{
    struct tm tm = { 0 };
    tm.tm_sec = from_reg(s, s->cmos[RTC_SECONDS]);
    tm.tm_min = from_reg(s, s->cmos[RTC_MINUTES]);
    uint8_t h = s->cmos[RTC_HOURS];
    if (s->cmos[RTC_REG_B] & REG_B_24H) {
        tm.tm_hour = from_reg(s, h);
    } else {
        tm.tm_hour = from_reg(s, h & 0x7f) % 12 + ((h & 0x80) ? 12 : 0);
    }
    tm.tm_mday = from_reg(s, s->cmos[RTC_DOM]);
    tm.tm_mon = from_reg(s, s->cmos[RTC_MONTH]) - 1;
    tm.tm_year = from_reg(s, s->cmos[RTC_CENTURY]) * 100 + from_reg(s, s->cmos[RTC_YEAR]) - 1900;
    time_t t = timegm(&tm);
    if (t != (time_t)-1) {
        s->base_sec = t - tern_clock_virtual_ns(&s->parent.machine->clock) / 1000000000LL;
    }
}

static bool is_time_reg(uint8_t i)
{
    return i <= RTC_YEAR || i == RTC_CENTURY;
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned size)
{
    RtcState *s = opaque;
    if (off == 0) {
        return 0xff;
    }
    uint8_t i = s->index;
    if (is_time_reg(i) && !(s->cmos[RTC_REG_B] & REG_B_SET)) {
        rtc_fill_time(s);
    }
    uint8_t v = s->cmos[i];
    if (i == RTC_REG_C) {
        s->cmos[RTC_REG_C] = 0;   /* read to clear */
    }
    return v;
}

static void rtc_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    RtcState *s = opaque;
    if (off == 0) {
        s->index = val & 0x7f;   /* bit 7 is the NMI mask */
        return;
    }
    uint8_t i = s->index;
    switch (i) {
    case RTC_REG_A:
        s->cmos[i] = (val & 0x7f) | (s->cmos[i] & 0x80);   /* UIP is read-only */
        break;
    case RTC_REG_B:
        if (!(val & REG_B_SET) && (s->cmos[i] & REG_B_SET)) {
            s->cmos[i] = val;
            rtc_take_time(s);
        } else {
            if ((val & REG_B_SET) && !(s->cmos[i] & REG_B_SET)) {
                rtc_fill_time(s);   /* freeze the registers as they are now */
            }
            s->cmos[i] = val;
        }
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        break;                    /* read-only */
    default:
        s->cmos[i] = val;
        if (is_time_reg(i) && !(s->cmos[RTC_REG_B] & REG_B_SET)) {
            rtc_take_time(s);
        }
        break;
    }
}

static const TernRegionOps rtc_ops = {
    .read = rtc_read,
    .write = rtc_write,
};

static void rtc_reset(DeviceState *dev)
{
    RtcState *s = (RtcState *)dev;
    s->cmos[RTC_REG_A] = 0x26;     /* 32.768 kHz divider, 1024 Hz rate */
    s->cmos[RTC_REG_B] = REG_B_24H;
    s->cmos[RTC_REG_C] = 0;
    s->cmos[RTC_REG_D] = 0x80;     /* valid RAM and time */
}

/* Memory sizes in CMOS, where a BIOS or an old OS looks for them. */
static void rtc_set_memory(RtcState *s, const GuestRam *ram, unsigned ncpus)
{
    uint64_t below = ram->below_4g, above = ram->size - ram->below_4g;
    uint64_t ext_kb = below > (1 << 20) ? MIN((below - (1 << 20)) / 1024, 0xffffULL) : 0;
    uint64_t hi64k = below > (16 << 20) ? MIN((below - (16 << 20)) >> 16, 0xffffULL) : 0;
    uint64_t above64k = above >> 16;
    s->cmos[0x15] = 640 & 0xff;
    s->cmos[0x16] = 640 >> 8;
    s->cmos[0x17] = s->cmos[0x30] = ext_kb & 0xff;
    s->cmos[0x18] = s->cmos[0x31] = ext_kb >> 8;
    s->cmos[0x34] = hi64k & 0xff;
    s->cmos[0x35] = hi64k >> 8;
    s->cmos[0x5b] = above64k & 0xff;
    s->cmos[0x5c] = above64k >> 8;
    s->cmos[0x5d] = above64k >> 16;
    s->cmos[0x5f] = ncpus - 1;
}

static bool rtc_realize(DeviceState *dev, GError **errp)
{
    RtcState *s = (RtcState *)dev;
    Machine *m = dev->machine;
    MachineConfig *cfg = m->cfg;
    int64_t now = tern_clock_wall_base_ns(&m->clock) / 1000000000LL;
    if (cfg->rtc_base_epoch >= 0) {
        now = cfg->rtc_base_epoch;
    } else if (cfg->rtc_localtime) {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local(now);
        now += g_date_time_get_utc_offset(dt) / G_TIME_SPAN_SECOND;
    }
    s->base_sec = now;
    rtc_set_memory(s, &m->ram, cfg->smp_cpus);
    return machine_map_pio(m, "rtc", 0x70, 2, &rtc_ops, s, errp);
}

static bool rtc_post_load(void *obj, GError **errp)
{
    RtcState *s = obj;
    s->index &= 0x7f;
    return true;
}

static const StateField rtc_fields[] = {
    STATE_UINT(RtcState, index),
    STATE_BUFFER(RtcState, cmos),
    STATE_UINT(RtcState, base_sec),
    STATE_END,
};

static const StateDescription rtc_state = {
    .name = "mc146818rtc", .version = 1, .fields = rtc_fields, .post_load = rtc_post_load,
};

const DeviceInfo mc146818rtc_info = {
    .name = "mc146818rtc",
    .desc = "MC146818 real-time clock and CMOS",
    .instance_size = sizeof(RtcState),
    .realize = rtc_realize,
    .reset = rtc_reset,
    .state = &rtc_state,
};
