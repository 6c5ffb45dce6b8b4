/* The MC146818A RTC and CMOS RAM of -M pc, driven over the qtest protocol:
 * index port 0x70, data port 0x71, IRQ 8 seen through irq_intercept_in on
 * the IOAPIC. Tern's virtual clock moves only on clock_step/clock_set, so
 * every update, alarm and periodic interrupt lands on an exact nanosecond.
 * The PIT runs from power-on too (channel 0, mode 3, IRQ 0 at 18.2 Hz), so
 * the IRQ stream carries IRQ 0 edges and clock_step without NS stops at
 * them: the tests count IRQ 8 lines only and step to IRQ 8 in a loop.
 * Section numbers refer to the MC146818A datasheet; "QEMU" marks where
 * QEMU 7.2's observable behaviour is what the test holds Tern to. */
#include "libqtest.h"

#include <stdio.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL
#define UIP_NS     244140            /* 8 cycles of the 32.768 kHz time base */
#define RTC_IRQ    8

#define REG_A   0x0a
#define REG_B   0x0b
#define REG_C   0x0c
#define REG_D   0x0d
#define CENTURY 0x32

#define LEAP_EVE "-rtc base=2024-02-29T23:59:58"   /* a Thursday */
/* Far from the power-on alarm (00:00:00), for tests that count UF alone. */
#define NOON     "-rtc base=2024-02-29T12:00:00"

typedef struct {
    QTestState *qts;
    bool irq;                        /* IRQ 8 as the IRQ lines left it */
    unsigned raised;                 /* its low → high transitions */
} Rtc;

/* A fresh -M pc with IRQ 8 intercepted; virtual time starts at 0. */
static void rtc_init(Rtc *r, const char *args)
{
    g_autofree char *line = g_strdup_printf("-M pc -nodefaults %s", args ? args : "");
    r->qts = qtest_init(line);
    r->irq = false;
    r->raised = 0;
    qtest_irq_intercept_in(r->qts, "ioapic");
}

static void rtc_quit(Rtc *r)
{
    qtest_quit(r->qts);
}

/* With no vCPU and a manual clock, IRQ lines come only in answer to a
 * command, ahead of its reply: after any command they are all in. Every
 * intercepted IOAPIC input is reported (IRQ 0 from the PIT above all), so
 * only line 8's are counted. */
static void irq_sync(Rtc *r)
{
    g_autoptr(GPtrArray) lines = qtest_take_irq_lines(r->qts);
    for (guint i = 0; i < lines->len; i++) {
        char what[8];
        int n;
        g_assert_cmpint(sscanf(g_ptr_array_index(lines, i), "IRQ %7s %d", what, &n), ==, 2);
        if (n != RTC_IRQ) {
            continue;
        }
        if (!strcmp(what, "raise")) {
            g_assert_false(r->irq);
            r->irq = true;
            r->raised++;
        } else {
            g_assert_cmpstr(what, ==, "lower");
            g_assert_true(r->irq);
            r->irq = false;
        }
    }
}

static int irq_level(Rtc *r)
{
    irq_sync(r);
    return r->irq;
}

static void clock_step(Rtc *r, int64_t ns)
{
    qtest_clock_step(r->qts, ns);
    irq_sync(r);
}

static void clock_set(Rtc *r, int64_t ns)
{
    g_assert_cmpint(qtest_clock_set(r->qts, ns), ==, ns);
    irq_sync(r);
}

/* clock_step without NS, again and again (the PIT's edges stop it too),
 * until IRQ 8 rises or max_ns have passed: the time it rose, or -1. */
static int64_t step_to_irq(Rtc *r, int64_t max_ns)
{
    g_assert_false(irq_level(r));
    int64_t t = qtest_clock_step_until_irq(r->qts, RTC_IRQ, max_ns);
    irq_sync(r);
    return t;
}

static uint8_t cmos_read(Rtc *r, uint8_t reg)
{
    qtest_outb(r->qts, 0x70, reg);
    uint8_t v = qtest_inb(r->qts, 0x71);
    irq_sync(r);
    return v;
}

static void cmos_write(Rtc *r, uint8_t reg, uint8_t val)
{
    qtest_outb(r->qts, 0x70, reg);
    qtest_outb(r->qts, 0x71, val);
    irq_sync(r);
}

/* The seven time fields and the century, as the registers hold them. */
static void assert_time(Rtc *r, uint8_t cen, uint8_t yr, uint8_t mon, uint8_t dom, uint8_t dow,
                        uint8_t hr, uint8_t min, uint8_t sec)
{
    g_assert_cmphex(cmos_read(r, CENTURY), ==, cen);
    g_assert_cmphex(cmos_read(r, 0x09), ==, yr);
    g_assert_cmphex(cmos_read(r, 0x08), ==, mon);
    g_assert_cmphex(cmos_read(r, 0x07), ==, dom);
    g_assert_cmphex(cmos_read(r, 0x06), ==, dow);
    g_assert_cmphex(cmos_read(r, 0x04), ==, hr);
    g_assert_cmphex(cmos_read(r, 0x02), ==, min);
    g_assert_cmphex(cmos_read(r, 0x00), ==, sec);
}

/* ---- time and date registers ---- */

/* /rtc/time/bcd: BCD and 24 hours are the power-on format (register B 0x02). */
static void test_time_bcd(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    g_assert_cmphex(cmos_read(&r, REG_A), ==, 0x26);
    g_assert_cmphex(cmos_read(&r, REG_B), ==, 0x02);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x00);
    g_assert_cmphex(cmos_read(&r, REG_D), ==, 0x80);
    assert_time(&r, 0x20, 0x24, 0x02, 0x29, 0x05, 0x23, 0x59, 0x58);
    rtc_quit(&r);
}

/* /rtc/time/binary: DM set, every time register (century too) in binary. */
static void test_time_binary(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_B, 0x06);
    assert_time(&r, 20, 24, 2, 29, 5, 23, 59, 58);
    rtc_quit(&r);
}

/* /rtc/time/12h: hours 1-12 with bit 7 for PM, BCD and binary (section 4). */
static void test_time_12h(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_B, 0x00);
    g_assert_cmphex(cmos_read(&r, 0x04), ==, 0x91);      /* 11 PM */
    cmos_write(&r, REG_B, 0x04);
    g_assert_cmphex(cmos_read(&r, 0x04), ==, 0x8b);
    clock_step(&r, 2 * NS_PER_SEC);                      /* midnight is 12 AM */
    g_assert_cmphex(cmos_read(&r, 0x04), ==, 12);
    cmos_write(&r, REG_B, 0x00);
    g_assert_cmphex(cmos_read(&r, 0x04), ==, 0x12);
    /* Setting 12 PM in 12-hour mode is noon. */
    cmos_write(&r, REG_B, 0x80);
    cmos_write(&r, 0x04, 0x92);
    cmos_write(&r, REG_B, 0x00);
    g_assert_cmphex(cmos_read(&r, 0x04), ==, 0x92);
    cmos_write(&r, REG_B, 0x02);
    g_assert_cmphex(cmos_read(&r, 0x04), ==, 0x12);
    rtc_quit(&r);
}

/* /rtc/time/advance: stepped seconds carry into minutes, the leap day,
 * the month and the day of the week. */
static void test_time_advance(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    clock_step(&r, NS_PER_SEC - 1);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x58);
    clock_step(&r, 1);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x59);
    clock_step(&r, NS_PER_SEC);
    assert_time(&r, 0x20, 0x24, 0x03, 0x01, 0x06, 0x00, 0x00, 0x00);
    clock_step(&r, 3600 * NS_PER_SEC + 61 * NS_PER_SEC);
    assert_time(&r, 0x20, 0x24, 0x03, 0x01, 0x06, 0x01, 0x01, 0x01);
    rtc_quit(&r);
}

/* /rtc/time/century: the century byte (0x32, DS12887) carries with the
 * year, in BCD and in binary. */
static void test_time_century(void)
{
    Rtc r;
    rtc_init(&r, "-rtc base=2099-12-31T23:59:59");
    assert_time(&r, 0x20, 0x99, 0x12, 0x31, 0x05, 0x23, 0x59, 0x59);   /* a Thursday */
    clock_step(&r, NS_PER_SEC);
    assert_time(&r, 0x21, 0x00, 0x01, 0x01, 0x06, 0x00, 0x00, 0x00);
    cmos_write(&r, REG_B, 0x06);
    g_assert_cmphex(cmos_read(&r, CENTURY), ==, 21);
    g_assert_cmphex(cmos_read(&r, 0x09), ==, 0);
    /* Writing the century moves the clock a hundred years back. */
    cmos_write(&r, CENTURY, 20);
    assert_time(&r, 20, 0, 1, 1, 7, 0, 0, 0);            /* 2000-01-01 was a Saturday */
    rtc_quit(&r);
}

/* /rtc/time/set: SET freezes the registers (section 5, register B bit 7);
 * clearing it starts the clock from what was written. */
static void test_time_set(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_B, 0x82);
    clock_step(&r, 5 * NS_PER_SEC);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x58);      /* no updates under SET */
    cmos_write(&r, CENTURY, 0x19);
    cmos_write(&r, 0x09, 0x99);
    cmos_write(&r, 0x08, 0x12);
    cmos_write(&r, 0x07, 0x31);
    cmos_write(&r, 0x04, 0x23);
    cmos_write(&r, 0x02, 0x59);
    cmos_write(&r, 0x00, 0x59);
    clock_step(&r, 3 * NS_PER_SEC);                      /* still frozen, as written */
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x59);
    g_assert_cmphex(cmos_read(&r, 0x02), ==, 0x59);
    cmos_write(&r, REG_B, 0x02);
    assert_time(&r, 0x19, 0x99, 0x12, 0x31, 0x06, 0x23, 0x59, 0x59);   /* a Friday */
    clock_step(&r, NS_PER_SEC);
    assert_time(&r, 0x20, 0x00, 0x01, 0x01, 0x07, 0x00, 0x00, 0x00);
    /* A single field written while the clock runs: the others stay current. */
    clock_step(&r, 2 * NS_PER_SEC);
    cmos_write(&r, 0x02, 0x30);
    assert_time(&r, 0x20, 0x00, 0x01, 0x01, 0x07, 0x00, 0x30, 0x02);
    /* SET going high clears UIE (register B, UIE); QEMU: so does any
     * write with SET, so UIE and SET are never both set. */
    cmos_write(&r, REG_B, 0x12);
    cmos_write(&r, REG_B, 0x92);
    g_assert_cmphex(cmos_read(&r, REG_B), ==, 0x82);
    cmos_write(&r, REG_B, 0x92);
    g_assert_cmphex(cmos_read(&r, REG_B), ==, 0x82);
    rtc_quit(&r);
}

/* /rtc/time/set-format: registers written under SET are read in the data
 * mode SET was held in, even when the write that clears SET changes the
 * mode (QEMU; the guest wrote them in that mode). */
static void test_time_set_format(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_B, 0x80);                         /* SET, BCD, 12 h */
    cmos_write(&r, 0x04, 0x85);                          /* 5 PM */
    cmos_write(&r, REG_B, 0x06);                         /* binary, 24 h */
    g_assert_cmphex(cmos_read(&r, 0x04), ==, 17);
    g_assert_cmphex(cmos_read(&r, 0x02), ==, 59);
    rtc_quit(&r);
}

/* /rtc/time/set-phase: SET stops the registers, not the divider chain:
 * after SET is cleared the next update comes where the old second would
 * have ended (QEMU keeps the position within the second the same way). */
static void test_time_set_phase(void)
{
    Rtc r;
    rtc_init(&r, NOON);
    clock_set(&r, 300000000);
    cmos_write(&r, REG_B, 0x82);
    clock_step(&r, 2 * NS_PER_SEC);                      /* at 2.3 s */
    cmos_write(&r, REG_B, 0x02);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x00);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x10);     /* updates went on under SET */
    cmos_write(&r, REG_B, 0x12);
    clock_step(&r, 700000000 - 1);
    g_assert_cmpint(irq_level(&r), ==, 0);
    clock_step(&r, 1);
    g_assert_cmpint(irq_level(&r), ==, 1);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x01);
    rtc_quit(&r);
}

/* /rtc/base/date: -rtc base=DATE starts the clock there, with or without
 * a time of day (UTC, as QEMU reads it). */
static void test_base_date(void)
{
    Rtc r;
    rtc_init(&r, "-rtc base=2006-06-17T16:01:21");
    assert_time(&r, 0x20, 0x06, 0x06, 0x17, 0x07, 0x16, 0x01, 0x21);   /* a Saturday */
    rtc_quit(&r);
    rtc_init(&r, "-rtc base=2006-06-17");
    assert_time(&r, 0x20, 0x06, 0x06, 0x17, 0x07, 0x00, 0x00, 0x00);
    rtc_quit(&r);
}

/* Minutes since midnight the registers show (BCD, 24 h). */
static int rtc_minute_of_day(Rtc *r)
{
    uint8_t h = cmos_read(r, 0x04), m = cmos_read(r, 0x02);
    return ((h >> 4) * 10 + (h & 15)) * 60 + (m >> 4) * 10 + (m & 15);
}

static int host_minute_of_day(GDateTime *dt)
{
    return g_date_time_get_hour(dt) * 60 + g_date_time_get_minute(dt);
}

/* Starts Tern with `args` and checks its hour and minute against the host's
 * clock as `tz` shows it, before or after (a minute may turn meanwhile). */
static void check_host_time(const char *args, GTimeZone *tz)
{
    g_autoptr(GDateTime) before = g_date_time_new_now(tz);
    Rtc r;
    rtc_init(&r, args);
    int got = rtc_minute_of_day(&r);
    g_autoptr(GDateTime) after = g_date_time_new_now(tz);
    if (got != host_minute_of_day(before)) {
        g_assert_cmpint(got, ==, host_minute_of_day(after));
    }
    rtc_quit(&r);
}

/* /rtc/base/utc: the default and base=utc start from the host's UTC time;
 * base=localtime from its local time. TZ is set to a half-hour zone so
 * the two cannot agree by accident. */
static void test_base_utc_localtime(void)
{
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GTimeZone) ist = g_time_zone_new_offset(5 * 3600 + 1800);
    g_autofree char *old_tz = g_strdup(g_getenv("TZ"));
    g_setenv("TZ", "IST-5:30", TRUE);
    check_host_time(NULL, utc);
    check_host_time("-rtc base=utc", utc);
    check_host_time("-rtc base=localtime", ist);
    if (old_tz) {
        g_setenv("TZ", old_tz, TRUE);
    } else {
        g_unsetenv("TZ");
    }
}

/* ---- register A: UIP and the divider ---- */

/* /rtc/uip: UIP is set for the 244 us before each update (section 5,
 * register A bit 7), never under SET. */
static void test_uip(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    clock_set(&r, NS_PER_SEC - UIP_NS - 1);
    g_assert_cmphex(cmos_read(&r, REG_A), ==, 0x26);
    clock_step(&r, 1);
    g_assert_cmphex(cmos_read(&r, REG_A), ==, 0xa6);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x58);      /* not updated yet */
    clock_set(&r, NS_PER_SEC - 1);
    g_assert_cmphex(cmos_read(&r, REG_A), ==, 0xa6);
    cmos_write(&r, REG_A, 0xa6);                         /* UIP is read-only */
    cmos_write(&r, REG_B, 0x82);
    g_assert_cmphex(cmos_read(&r, REG_A), ==, 0x26);
    cmos_write(&r, REG_B, 0x02);
    clock_step(&r, 1);
    g_assert_cmphex(cmos_read(&r, REG_A), ==, 0x26);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x59);
    rtc_quit(&r);
}

/* /rtc/divider: DV = 11x (0x60 and 0x70) holds the divider chain in reset:
 * the clock stops, no UIP, no UF. Leaving reset, the first update comes
 * 500 ms later (section 5, register A DV2-DV0). */
static void test_divider(void)
{
    static const uint8_t resets[] = { 0x66, 0x76 };
    for (unsigned i = 0; i < G_N_ELEMENTS(resets); i++) {
        Rtc r;
        rtc_init(&r, LEAP_EVE);
        cmos_write(&r, REG_A, resets[i]);
        cmos_write(&r, REG_B, 0x12);
        clock_set(&r, NS_PER_SEC - UIP_NS / 2);
        g_assert_cmphex(cmos_read(&r, REG_A), ==, resets[i]);   /* no UIP */
        clock_step(&r, 3 * NS_PER_SEC + 123);
        g_assert_cmpint(irq_level(&r), ==, 0);
        g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x58);
        g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x00);
        /* The registers can be set while the chain is held. */
        cmos_write(&r, 0x02, 0x10);
        cmos_write(&r, REG_A, 0x26);
        clock_step(&r, NS_PER_SEC / 2 - UIP_NS - 1);
        g_assert_cmphex(cmos_read(&r, REG_A), ==, 0x26);
        clock_step(&r, 1);
        g_assert_cmphex(cmos_read(&r, REG_A), ==, 0xa6);
        clock_step(&r, UIP_NS - 1);
        g_assert_cmpint(irq_level(&r), ==, 0);
        g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x58);
        clock_step(&r, 1);
        g_assert_cmpint(irq_level(&r), ==, 1);
        g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x59);
        g_assert_cmphex(cmos_read(&r, 0x02), ==, 0x10);
        /* From then on, one second per update. */
        g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x90);
        clock_step(&r, NS_PER_SEC - 1);
        g_assert_cmpint(irq_level(&r), ==, 0);
        clock_step(&r, 1);
        g_assert_cmpint(irq_level(&r), ==, 1);
        g_assert_cmphex(cmos_read(&r, 0x02), ==, 0x11);
        rtc_quit(&r);
    }
}

/* ---- periodic interrupt ---- */

/* Steps `ns` in slices of `slice` ns, shorter than the period, reading C
 * after each, and counts the periodic flags: each slice holds at most one,
 * so none is missed. */
static unsigned count_periodic_sliced(Rtc *r, int64_t ns, int64_t slice)
{
    unsigned n = 0;
    qtest_outb(r->qts, 0x70, REG_C);                     /* the index stays */
    for (int64_t t = 0; t < ns; t += slice) {
        qtest_clock_step(r->qts, MIN(slice, ns - t));
        uint8_t c = qtest_inb(r->qts, 0x71);
        g_assert_cmpint(irq_level(r), ==, 0);
        if (c & 0x40) {
            g_assert_cmphex(c & 0x80, ==, 0x80);        /* counted only with PIE */
            n++;
        }
    }
    return n;
}

/* The same in 100 us slices, shorter than the fastest period (8192 Hz). */
static unsigned count_periodic(Rtc *r, int64_t ns)
{
    return count_periodic_sliced(r, ns, 100000);
}

/* /rtc/periodic/rates: PF at the rate register A selects (table 5). */
static void test_periodic_rates(void)
{
    static const struct { uint8_t rs; unsigned hz; } rates[] = {
        { 0x1, 256 }, { 0x2, 128 }, { 0x3, 8192 }, { 0x6, 1024 }, { 0xf, 2 },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(rates); i++) {
        Rtc r;
        rtc_init(&r, LEAP_EVE);
        cmos_write(&r, REG_A, 0x20 | rates[i].rs);
        cmos_write(&r, REG_B, 0x42);
        /* Three quarters of a period: one round trip less per flag than
         * 100 us slices for the slow rates, and still never two flags. */
        int64_t slice = 3 * NS_PER_SEC / 4 / rates[i].hz;
        g_assert_cmpuint(count_periodic_sliced(&r, NS_PER_SEC, slice), ==, rates[i].hz);
        g_assert_cmpuint(r.raised, ==, rates[i].hz);
        g_assert_cmpuint(count_periodic_sliced(&r, 3 * NS_PER_SEC, slice), ==, 3 * rates[i].hz);
        rtc_quit(&r);
    }
}

/* /rtc/periodic/phase: the periodic taps count from virtual time 0 (QEMU:
 * a grid of the time base), so at 2 Hz PF comes at 0.5 s and 1 s. */
static void test_periodic_phase(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_A, 0x2f);
    cmos_write(&r, REG_B, 0x42);
    clock_step(&r, NS_PER_SEC / 2 - 1);
    g_assert_cmpint(irq_level(&r), ==, 0);
    clock_step(&r, 1);
    g_assert_cmpint(irq_level(&r), ==, 1);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0xc0);
    g_assert_cmpint(step_to_irq(&r, NS_PER_SEC), ==, NS_PER_SEC);
    g_assert_cmpint(irq_level(&r), ==, 1);
    rtc_quit(&r);
}

/* /rtc/periodic/off: rate 0 or PIE clear means no PF (QEMU: unless SQWE). */
static void test_periodic_off(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_A, 0x20);
    cmos_write(&r, REG_B, 0x42);
    g_assert_cmpuint(count_periodic(&r, NS_PER_SEC / 10), ==, 0);
    cmos_write(&r, REG_A, 0x26);
    cmos_write(&r, REG_B, 0x02);
    g_assert_cmpuint(count_periodic(&r, NS_PER_SEC / 10), ==, 0);
    cmos_write(&r, REG_B, 0x0a);                         /* SQWE: PF without IRQ */
    clock_step(&r, NS_PER_SEC / 1024);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x40);
    g_assert_cmpuint(r.raised, ==, 0);
    rtc_quit(&r);
}

/* ---- alarm ---- */

/* /rtc/alarm/seconds: hours and minutes "don't care" (0xC0-0xFF): AF when
 * the seconds match, at that update and not before (section 5, alarm). */
static void test_alarm_seconds(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, 0x01, 0x05);
    cmos_write(&r, 0x03, 0xc0);
    cmos_write(&r, 0x05, 0xff);
    cmos_write(&r, REG_B, 0x22);
    clock_step(&r, 7 * NS_PER_SEC - 1);                  /* 00:00:04.999999999 */
    g_assert_cmpint(irq_level(&r), ==, 0);
    clock_step(&r, 1);
    g_assert_cmpint(irq_level(&r), ==, 1);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x05);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0xb0);     /* IRQF AF UF */
    g_assert_cmpint(irq_level(&r), ==, 0);
    clock_step(&r, 59 * NS_PER_SEC);
    g_assert_cmpint(irq_level(&r), ==, 0);
    clock_step(&r, NS_PER_SEC);                          /* the next minute */
    g_assert_cmpint(irq_level(&r), ==, 1);
    g_assert_cmpuint(r.raised, ==, 2);
    rtc_quit(&r);
}

/* /rtc/alarm/full: an exact hh:mm:ss alarm, binary and 12-hour. */
static void test_alarm_full(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_B, 0x04);                         /* binary, 12 h */
    cmos_write(&r, 0x01, 3);
    cmos_write(&r, 0x03, 1);
    cmos_write(&r, 0x05, 12);                            /* 12 AM */
    cmos_write(&r, REG_B, 0x24);
    clock_step(&r, 62 * NS_PER_SEC);                     /* 00:01:00 */
    g_assert_cmpint(irq_level(&r), ==, 0);
    clock_step(&r, 3 * NS_PER_SEC);
    g_assert_cmpint(irq_level(&r), ==, 1);
    g_assert_cmphex(cmos_read(&r, 0x02), ==, 1);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 3);
    rtc_quit(&r);
}

/* Steps one second at a time from the current update, counting the
 * seconds whose update set AF. */
static unsigned count_alarms(Rtc *r, unsigned seconds)
{
    unsigned n = 0;
    for (unsigned i = 0; i < seconds; i++) {
        clock_step(r, NS_PER_SEC);
        if (cmos_read(r, REG_C) & 0x20) {
            n++;
        }
    }
    return n;
}

/* /rtc/alarm/dont-care: any alarm byte with its two top bits set (0xC0 to
 * 0xFF) matches every value of its field: all three give an alarm each
 * second, a minute alone one each second of that minute (section 5). */
static void test_alarm_dont_care(void)
{
    Rtc r;
    rtc_init(&r, NOON);
    cmos_write(&r, 0x01, 0xc0);
    cmos_write(&r, 0x03, 0xd7);
    cmos_write(&r, 0x05, 0xff);
    cmos_write(&r, REG_B, 0x22);
    clock_step(&r, NS_PER_SEC);
    g_assert_cmpint(irq_level(&r), ==, 1);
    g_assert_cmpuint(count_alarms(&r, 5), ==, 5);
    /* Minutes 01 of any hour, any second: 12:01:00 to 12:01:59. */
    cmos_write(&r, 0x03, 0x01);
    cmos_write(&r, 0x01, 0xe5);
    cmos_read(&r, REG_C);
    g_assert_cmphex(cmos_read(&r, 0x02), ==, 0x00);
    g_assert_cmpuint(count_alarms(&r, 53), ==, 0);       /* to 12:00:59 */
    g_assert_cmpuint(count_alarms(&r, 60), ==, 60);
    g_assert_cmpuint(count_alarms(&r, 60), ==, 0);
    /* 0x80-0xBF is no don't-care: in BCD it matches nothing. */
    cmos_write(&r, 0x01, 0x80);
    cmos_write(&r, 0x03, 0xc0);
    g_assert_cmpuint(count_alarms(&r, 120), ==, 0);
    rtc_quit(&r);
}

/* ---- update-ended interrupt and register C ---- */

/* /rtc/update/interrupt: UF once per second on the second boundary. */
static void test_update_interrupt(void)
{
    Rtc r;
    rtc_init(&r, NOON);
    clock_set(&r, NS_PER_SEC / 2);
    cmos_write(&r, REG_B, 0x12);
    for (int i = 0; i < 5; i++) {
        clock_step(&r, NS_PER_SEC / 2 - 1);
        g_assert_cmpint(irq_level(&r), ==, 0);
        clock_step(&r, 1);
        g_assert_cmpint(irq_level(&r), ==, 1);
        g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x90);
        clock_step(&r, NS_PER_SEC / 2);
    }
    g_assert_cmpuint(r.raised, ==, 5);
    /* UF is set whether or not UIE is; only IRQF needs the enable. */
    cmos_write(&r, REG_B, 0x02);
    clock_step(&r, NS_PER_SEC);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x10);
    g_assert_cmpint(step_to_irq(&r, 2 * NS_PER_SEC), ==, -1);
    g_assert_cmpuint(r.raised, ==, 5);
    /* An alarm that matched while nobody looked is still reported. */
    cmos_write(&r, 0x01, 0x00);
    cmos_write(&r, 0x03, 0x30);
    cmos_write(&r, 0x05, 0x12);
    clock_step(&r, 3600 * NS_PER_SEC);                   /* past 12:30:00 */
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x30);
    clock_step(&r, 3600 * NS_PER_SEC);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x10);
    rtc_quit(&r);
}

/* /rtc/update/next: with UIE, clock_step without NS stops on the second
 * boundary (among the PIT's edges) and IRQ 8 rises exactly there. */
static void test_update_next(void)
{
    Rtc r;
    rtc_init(&r, NOON);
    clock_set(&r, 250000000);
    cmos_write(&r, REG_B, 0x12);
    for (int i = 1; i <= 3; i++) {
        g_assert_cmpint(step_to_irq(&r, NS_PER_SEC), ==, i * NS_PER_SEC);
        g_assert_cmpint(irq_level(&r), ==, 1);
        g_assert_cmphex(cmos_read(&r, 0x00), ==, i);
        g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x90);
    }
    rtc_quit(&r);
}

/* /rtc/reg-c/clear: reading C returns the flags once, clears them and
 * lowers IRQ 8; enabling an interrupt whose flag is already set raises it. */
static void test_reg_c_clear(void)
{
    Rtc r;
    rtc_init(&r, NOON);
    clock_step(&r, NS_PER_SEC);                          /* UF, no IRQ */
    g_assert_cmpint(irq_level(&r), ==, 0);
    cmos_write(&r, REG_B, 0x12);
    g_assert_cmpint(irq_level(&r), ==, 1);
    cmos_write(&r, REG_C, 0x00);                         /* read-only */
    g_assert_cmpint(irq_level(&r), ==, 1);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x90);
    g_assert_cmpint(irq_level(&r), ==, 0);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x00);
    /* Disabling the enable lowers the line but keeps the flag. */
    clock_step(&r, NS_PER_SEC);
    g_assert_cmpint(irq_level(&r), ==, 1);
    cmos_write(&r, REG_B, 0x02);
    g_assert_cmpint(irq_level(&r), ==, 0);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x10);
    /* While IRQF stays set the line does not pulse again: a second flag
     * adds to C but raises nothing new. */
    cmos_write(&r, REG_A, 0x2f);                         /* 2 Hz */
    cmos_write(&r, REG_B, 0x52);
    clock_set(&r, 5 * NS_PER_SEC / 2);                   /* PF at 2.5 s */
    g_assert_cmpint(irq_level(&r), ==, 1);
    unsigned raised = r.raised;
    clock_set(&r, 3 * NS_PER_SEC);                       /* UF at 3 s */
    g_assert_cmpuint(r.raised, ==, raised);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0xd0);
    g_assert_cmpint(irq_level(&r), ==, 0);
    rtc_quit(&r);
}

/* ---- ports and reset ---- */

/* /rtc/ports: the NMI bit is not part of the index; 0x37 is the century
 * register; wider accesses split into index/data bytes (as QEMU 7.2). */
static void test_ports(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    QTestState *s = r.qts;
    qtest_outb(s, 0x70, 0x8a);
    g_assert_cmphex(qtest_inb(s, 0x71), ==, 0x26);
    g_assert_cmphex(qtest_inb(s, 0x70), ==, 0xff);
    g_assert_cmphex(qtest_inw(s, 0x70), ==, 0x26ff);
    qtest_outl(s, 0x70, 0x55014402);                     /* minutes 0x44, alarm 0x55 */
    g_assert_cmphex(cmos_read(&r, 0x02), ==, 0x44);
    g_assert_cmphex(cmos_read(&r, 0x01), ==, 0x55);
    g_assert_cmphex(cmos_read(&r, 0x37), ==, 0x20);
    cmos_write(&r, 0x37, 0x21);
    g_assert_cmphex(cmos_read(&r, CENTURY), ==, 0x21);
    g_assert_cmphex(cmos_read(&r, 0x37), ==, 0x21);
    cmos_write(&r, REG_D, 0x00);
    g_assert_cmphex(cmos_read(&r, REG_D), ==, 0x80);
    cmos_write(&r, 0x7f, 0xa5);                          /* plain NVRAM */
    g_assert_cmphex(cmos_read(&r, 0x7f), ==, 0xa5);
    rtc_quit(&r);
}

/* /rtc/reset: system reset clears PIE, AIE and SQWE and the flags, and
 * keeps UIE, the data format, the time and the NVRAM (QEMU 7.2). */
static void test_reset(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_B, 0x7e);
    cmos_write(&r, 0x40, 0x5a);
    clock_step(&r, NS_PER_SEC);
    g_assert_cmpint(irq_level(&r), ==, 1);
    g_autofree char *reply = qtest_qmp(r.qts, "{\"execute\": \"system_reset\"}");
    g_assert_cmpstr(reply, ==, "{\"return\": {}}");
    g_free(qtest_qmp_eventwait(r.qts, "RESET"));
    g_assert_cmpint(qtest_get_irq(r.qts, RTC_IRQ), ==, 0);
    irq_sync(&r);
    g_assert_cmphex(cmos_read(&r, REG_B), ==, 0x16);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x00);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 59);
    g_assert_cmphex(cmos_read(&r, 0x40), ==, 0x5a);
    rtc_quit(&r);
}

/* ---- CMOS NVRAM as QEMU 7.2 fills it ---- */

/* What QEMU 7.2 -M pc -nodefaults shows in all 128 bytes, read through
 * ports 0x70/0x71 with -qtest stdio, the time bytes left out
 * (tests/qtest/scripts/rtc-cmos*.qt check some against QEMU itself). */
typedef struct {
    const char *args;
    const char *bytes;               /* "index=value" for the nonzero ones */
} CmosCase;

static const CmosCase qemu_cmos[] = {
    { "-m 128 -smp 2", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff 32=20 "
                       "35=07 37=20 38=30 3d=12 5f=01" },
    { "-m 64 -smp 1", "0a=26 0b=02 0d=80 14=06 15=80 16=02 18=fc 31=fc 32=20 35=03 37=20 "
                      "38=30 3d=12" },
    { "-m 4096 -smp 4", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff 32=20 "
                        "35=bf 37=20 38=30 3d=12 5c=40 5f=03" },
    { "-m 16 -smp 1", "0a=26 0b=02 0d=80 14=06 15=80 16=02 18=3c 31=3c 32=20 37=20 38=30 "
                      "3d=12" },
    { "-m 1024 -smp 8", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff 32=20 "
                        "35=3f 37=20 38=30 3d=12 5f=07" },
    { "-m 3584 -smp 3", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff 32=20 "
                        "35=bf 37=20 38=30 3d=12 5c=20 5f=02" },
    { "-m 3583", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff 32=20 34=f0 "
                 "35=de 37=20 38=30 3d=12" },
    { "-m 17", "0a=26 0b=02 0d=80 14=06 15=80 16=02 18=40 31=40 32=20 34=10 37=20 38=30 "
               "3d=12" },
    { "-m 8G", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff 32=20 35=bf "
               "37=20 38=30 3d=12 5c=40 5d=01" },
    { "-m 128 -smp 2,maxcpus=4", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff "
                                 "31=ff 32=20 35=07 37=20 38=30 3d=12 5f=01" },
    { "-m 128 -boot order=nc", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff "
                               "32=20 35=07 37=20 3d=24" },
    { "-m 128 -boot d", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff 32=20 "
                        "35=07 37=20 3d=03" },
    { "-m 4096 -smp 4 -boot order=dc", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff "
                                       "30=ff 31=ff 32=20 35=bf 37=20 3d=23 5c=40 5f=03" },
    { "-m 128 -boot order=a", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff "
                              "32=20 35=07 37=20 3d=01" },
};

static bool is_time_byte(unsigned i)
{
    return i <= 0x09 && i != 0x01 && i != 0x03 && i != 0x05;
}

/* /rtc/cmos/qemu: every byte but the time matches QEMU's for the same options. */
static void test_cmos_vs_qemu(void)
{
    for (unsigned c = 0; c < G_N_ELEMENTS(qemu_cmos); c++) {
        uint8_t want[128] = { 0 };
        g_auto(GStrv) pairs = g_strsplit(qemu_cmos[c].bytes, " ", -1);
        for (char **p = pairs; *p; p++) {
            unsigned i, v;
            g_assert_cmpint(sscanf(*p, "%x=%x", &i, &v), ==, 2);
            want[i] = v;
        }
        g_autofree char *args = g_strdup_printf("-rtc base=2024-05-06T07:08:09 %s",
                                                qemu_cmos[c].args);
        Rtc r;
        rtc_init(&r, args);
        for (unsigned i = 0; i < 128; i++) {
            if (is_time_byte(i)) {
                continue;
            }
            uint8_t got = cmos_read(&r, i);
            if (got != want[i]) {
                g_error("%s: CMOS 0x%02x is 0x%02x, QEMU has 0x%02x", qemu_cmos[c].args, i, got,
                        want[i]);
            }
        }
        rtc_quit(&r);
    }
}

/* /rtc/cmos/boot-order: QEMU's errors for what a PC cannot boot from;
 * Tern stops before it opens the qtest socket, so run it directly. */
static void test_boot_order_errors(void)
{
    static const struct { const char *order, *error; } cases[] = {
        { "cdna", "Too many boot devices for PC" },
        { "e", "Invalid boot device for PC: 'e'" },
    };
    const char *bin = g_getenv("TERN_BINARY");
    g_assert_nonnull(bin);
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *argv[] = { (char *)bin, "-M", "pc", "-nodefaults", "-display", "none",
                         "-accel", "qtest", "-boot", (char *)cases[i].order, NULL };
        g_autofree char *out = NULL, *err_text = NULL;
        g_autoptr(GError) err = NULL;
        int status;
        g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                   &err_text, &status, &err));
        g_assert_no_error(err);
        g_assert_false(g_spawn_check_wait_status(status, NULL));
        g_assert_nonnull(strstr(err_text, cases[i].error));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtc/time/bcd", test_time_bcd);
    g_test_add_func("/rtc/time/binary", test_time_binary);
    g_test_add_func("/rtc/time/12h", test_time_12h);
    g_test_add_func("/rtc/time/advance", test_time_advance);
    g_test_add_func("/rtc/time/century", test_time_century);
    g_test_add_func("/rtc/time/set", test_time_set);
    g_test_add_func("/rtc/time/set-format", test_time_set_format);
    g_test_add_func("/rtc/time/set-phase", test_time_set_phase);
    g_test_add_func("/rtc/base/date", test_base_date);
    g_test_add_func("/rtc/base/utc-localtime", test_base_utc_localtime);
    g_test_add_func("/rtc/uip", test_uip);
    g_test_add_func("/rtc/divider", test_divider);
    g_test_add_func("/rtc/periodic/rates", test_periodic_rates);
    g_test_add_func("/rtc/periodic/phase", test_periodic_phase);
    g_test_add_func("/rtc/periodic/off", test_periodic_off);
    g_test_add_func("/rtc/alarm/seconds", test_alarm_seconds);
    g_test_add_func("/rtc/alarm/full", test_alarm_full);
    g_test_add_func("/rtc/alarm/dont-care", test_alarm_dont_care);
    g_test_add_func("/rtc/update/interrupt", test_update_interrupt);
    g_test_add_func("/rtc/update/next", test_update_next);
    g_test_add_func("/rtc/reg-c/clear", test_reg_c_clear);
    g_test_add_func("/rtc/ports", test_ports);
    g_test_add_func("/rtc/reset", test_reset);
    g_test_add_func("/rtc/cmos/qemu", test_cmos_vs_qemu);
    g_test_add_func("/rtc/cmos/boot-order", test_boot_order_errors);
    return g_test_run();
}
