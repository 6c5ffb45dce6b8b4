/* The MC146818A RTC driven in-process through port I/O, with the machine's
 * virtual clock in manual mode: time moves only when a test steps it, the
 * way qtest's clock_step does, so every interrupt lands on an exact
 * nanosecond. Section numbers refer to the MC146818A datasheet. */
#include "board/pc.h"

#include <string.h>

#define NS_PER_SEC 1000000000LL
#define UIP_NS     244140            /* 8 cycles of the 32.768 kHz time base */

#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d

typedef struct {
    MachineConfig *cfg;
    Machine *m;
    int irq_level;                   /* IRQ 8 as the RTC drives it */
    unsigned irq_raised;             /* low → high transitions */
} Rtc;

static void record_irq(void *opaque, int n, int level)
{
    Rtc *r = opaque;
    g_assert_cmpint(n, ==, 8);
    if (level && !r->irq_level) {
        r->irq_raised++;
    }
    r->irq_level = level;
}

/* A -M pc machine held in prelaunch, its clock manual from virtual time 0
 * (the clock stood at 0 while the board was built) and IRQ 8 recorded. */
static void rtc_init(Rtc *r, const char *args)
{
    g_autofree char *line = g_strdup_printf("tern -M pc -nodefaults -S %s", args ? args : "");
    g_auto(GStrv) argv = g_strsplit(g_strstrip(line), " ", -1);
    r->cfg = machine_config_new();
    g_autoptr(GError) err = NULL;
    bool exit_now;
    g_assert_true(options_parse(r->cfg, g_strv_length(argv), argv, &exit_now, &err));
    r->m = machine_new(r->cfg, &err);
    g_assert_no_error(err);
    tern_clock_set_manual(&r->m->clock);
    r->irq_level = 0;
    r->irq_raised = 0;
    r->m->isa_irq[8] = (TernIrq){ record_irq, r, 8 };
}

static void rtc_free(Rtc *r)
{
    machine_free(r->m);
    machine_config_free(r->cfg);
}

static int64_t clock_now(Rtc *r)
{
    return tern_clock_virtual_ns(&r->m->clock);
}

static void clock_step(Rtc *r, int64_t ns)
{
    tern_timer_list_advance(&r->m->timers, clock_now(r) + ns);
}

static void clock_set(Rtc *r, int64_t ns)
{
    tern_timer_list_advance(&r->m->timers, ns);
}

static uint8_t cmos_read(Rtc *r, uint8_t reg)
{
    uint64_t v;
    address_space_write(r->m->pio, 0x70, reg, 1);
    address_space_read(r->m->pio, 0x71, &v, 1);
    return v;
}

static void cmos_write(Rtc *r, uint8_t reg, uint8_t val)
{
    address_space_write(r->m->pio, 0x70, reg, 1);
    address_space_write(r->m->pio, 0x71, val, 1);
}

static DeviceState *rtc_device(Rtc *r)
{
    for (guint i = 0; i < r->m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(r->m->devices, i);
        if (!strcmp(d->info->name, "mc146818rtc")) {
            return d;
        }
    }
    g_assert_not_reached();
}

/* The seven time fields and the century, as the registers hold them. */
static void assert_time(Rtc *r, uint8_t cen, uint8_t yr, uint8_t mon, uint8_t dom, uint8_t dow,
                        uint8_t hr, uint8_t min, uint8_t sec)
{
    g_assert_cmphex(cmos_read(r, 0x32), ==, cen);
    g_assert_cmphex(cmos_read(r, 0x09), ==, yr);
    g_assert_cmphex(cmos_read(r, 0x08), ==, mon);
    g_assert_cmphex(cmos_read(r, 0x07), ==, dom);
    g_assert_cmphex(cmos_read(r, 0x06), ==, dow);
    g_assert_cmphex(cmos_read(r, 0x04), ==, hr);
    g_assert_cmphex(cmos_read(r, 0x02), ==, min);
    g_assert_cmphex(cmos_read(r, 0x00), ==, sec);
}

#define LEAP_EVE "-rtc base=2024-02-29T23:59:58"   /* a Thursday */
/* Far from the power-on alarm (00:00:00), for tests that count UF alone. */
#define NOON     "-rtc base=2024-02-29T12:00:00"

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
    rtc_free(&r);
}

/* /rtc/time/binary: DM set, every time register (century too) in binary. */
static void test_time_binary(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_B, 0x06);
    assert_time(&r, 20, 24, 2, 29, 5, 23, 59, 58);
    rtc_free(&r);
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
    rtc_free(&r);
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
    rtc_free(&r);
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
    cmos_write(&r, 0x32, 0x19);
    cmos_write(&r, 0x09, 0x99);
    cmos_write(&r, 0x08, 0x12);
    cmos_write(&r, 0x07, 0x31);
    cmos_write(&r, 0x04, 0x23);
    cmos_write(&r, 0x02, 0x59);
    cmos_write(&r, 0x00, 0x59);
    cmos_write(&r, REG_B, 0x02);
    assert_time(&r, 0x19, 0x99, 0x12, 0x31, 0x06, 0x23, 0x59, 0x59);   /* a Friday */
    clock_step(&r, NS_PER_SEC);
    assert_time(&r, 0x20, 0x00, 0x01, 0x01, 0x07, 0x00, 0x00, 0x00);
    /* A single field written while the clock runs: the others stay current. */
    clock_step(&r, 2 * NS_PER_SEC);
    cmos_write(&r, 0x02, 0x30);
    assert_time(&r, 0x20, 0x00, 0x01, 0x01, 0x07, 0x00, 0x30, 0x02);
    /* SET going high clears UIE (register B, UIE). */
    cmos_write(&r, REG_B, 0x12);
    cmos_write(&r, REG_B, 0x92);
    g_assert_cmphex(cmos_read(&r, REG_B), ==, 0x82);
    rtc_free(&r);
}

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
    rtc_free(&r);
}

/* Steps `ns` in slices shorter than the fastest period, reading C after each,
 * and counts the periodic flags. */
static unsigned count_periodic(Rtc *r, int64_t ns)
{
    unsigned n = 0;
    for (int64_t t = 0; t < ns; t += 100000) {
        clock_step(r, 100000);
        uint8_t c = cmos_read(r, REG_C);
        g_assert_cmpint(r->irq_level, ==, 0);
        if (c & 0x40) {
            g_assert_cmphex(c & 0x80, ==, 0x80);
            n++;
        }
    }
    return n;
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
        g_assert_cmpuint(count_periodic(&r, NS_PER_SEC), ==, rates[i].hz);
        g_assert_cmpuint(r.irq_raised, ==, rates[i].hz);
        g_assert_cmpuint(count_periodic(&r, 3 * NS_PER_SEC), ==, 3 * rates[i].hz);
        rtc_free(&r);
    }
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
    g_assert_cmpuint(r.irq_raised, ==, 0);
    rtc_free(&r);
}

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
    g_assert_cmpint(r.irq_level, ==, 0);
    clock_step(&r, 1);
    g_assert_cmpint(r.irq_level, ==, 1);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x05);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0xb0);     /* IRQF AF UF */
    g_assert_cmpint(r.irq_level, ==, 0);
    clock_step(&r, 59 * NS_PER_SEC);
    g_assert_cmpint(r.irq_level, ==, 0);
    clock_step(&r, NS_PER_SEC);                          /* the next minute */
    g_assert_cmpint(r.irq_level, ==, 1);
    g_assert_cmpuint(r.irq_raised, ==, 2);
    rtc_free(&r);
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
    g_assert_cmpint(r.irq_level, ==, 0);
    clock_step(&r, 3 * NS_PER_SEC);
    g_assert_cmpint(r.irq_level, ==, 1);
    g_assert_cmphex(cmos_read(&r, 0x02), ==, 1);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 3);
    rtc_free(&r);
}

/* /rtc/update/interrupt: UF once per second on the second boundary. */
static void test_update_interrupt(void)
{
    Rtc r;
    rtc_init(&r, NOON);
    /* Nothing enabled, nothing armed: clock_step without NS stays put. */
    g_assert_cmpint(tern_timer_list_deadline(&r.m->timers), ==, -1);
    clock_set(&r, NS_PER_SEC / 2);
    cmos_write(&r, REG_B, 0x12);
    for (int i = 0; i < 5; i++) {
        clock_step(&r, NS_PER_SEC / 2 - 1);
        g_assert_cmpint(r.irq_level, ==, 0);
        clock_step(&r, 1);
        g_assert_cmpint(r.irq_level, ==, 1);
        g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x90);
        clock_step(&r, NS_PER_SEC / 2);
    }
    g_assert_cmpuint(r.irq_raised, ==, 5);
    /* UF is set whether or not UIE is; only IRQF needs the enable. */
    cmos_write(&r, REG_B, 0x02);
    clock_step(&r, NS_PER_SEC);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x10);
    g_assert_cmpint(tern_timer_list_deadline(&r.m->timers), ==, -1);
    /* An alarm that matched while nobody looked is still reported. */
    cmos_write(&r, 0x01, 0x00);
    cmos_write(&r, 0x03, 0x30);
    cmos_write(&r, 0x05, 0x12);
    clock_step(&r, 3600 * NS_PER_SEC);                   /* past 12:30:00 */
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x30);
    clock_step(&r, 3600 * NS_PER_SEC);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x10);
    rtc_free(&r);
}

/* /rtc/reg-c/clear: reading C returns the flags once, clears them and
 * lowers IRQ 8; enabling an interrupt whose flag is already set raises it. */
static void test_reg_c_clear(void)
{
    Rtc r;
    rtc_init(&r, NOON);
    clock_step(&r, NS_PER_SEC);                          /* UF, no IRQ */
    g_assert_cmpint(r.irq_level, ==, 0);
    cmos_write(&r, REG_B, 0x12);
    g_assert_cmpint(r.irq_level, ==, 1);
    cmos_write(&r, REG_C, 0x00);                         /* read-only */
    g_assert_cmpint(r.irq_level, ==, 1);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x90);
    g_assert_cmpint(r.irq_level, ==, 0);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x00);
    /* Disabling the enable lowers the line but keeps the flag. */
    clock_step(&r, NS_PER_SEC);
    g_assert_cmpint(r.irq_level, ==, 1);
    cmos_write(&r, REG_B, 0x02);
    g_assert_cmpint(r.irq_level, ==, 0);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x10);
    rtc_free(&r);
}

/* /rtc/divider: DV 11x stops the clock; leaving reset, the first update
 * comes 500 ms later (section 5, register A DV). */
static void test_divider(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_A, 0x76);
    cmos_write(&r, REG_B, 0x12);
    clock_step(&r, 3 * NS_PER_SEC + 123);
    g_assert_cmpint(r.irq_level, ==, 0);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x58);
    cmos_write(&r, REG_A, 0x26);
    clock_step(&r, NS_PER_SEC / 2 - 1);
    g_assert_cmpint(r.irq_level, ==, 0);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x58);
    clock_step(&r, 1);
    g_assert_cmpint(r.irq_level, ==, 1);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 0x59);
    rtc_free(&r);
}

/* /rtc/ports: the NMI bit is not part of the index; 0x37 is the century
 * register; wider accesses split into index/data bytes (as QEMU 7.2). */
static void test_ports(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    uint64_t v;
    address_space_write(r.m->pio, 0x70, 0x8a, 1);
    address_space_read(r.m->pio, 0x71, &v, 1);
    g_assert_cmphex(v, ==, 0x26);
    address_space_read(r.m->pio, 0x70, &v, 1);
    g_assert_cmphex(v, ==, 0xff);
    address_space_read(r.m->pio, 0x70, &v, 2);
    g_assert_cmphex(v, ==, 0x26ff);
    address_space_write(r.m->pio, 0x70, 0x55014402, 4); /* minutes 0x44, alarm 0x55 */
    g_assert_cmphex(cmos_read(&r, 0x02), ==, 0x44);
    g_assert_cmphex(cmos_read(&r, 0x01), ==, 0x55);
    g_assert_cmphex(cmos_read(&r, 0x37), ==, 0x20);
    cmos_write(&r, 0x37, 0x21);
    g_assert_cmphex(cmos_read(&r, 0x32), ==, 0x21);
    g_assert_cmphex(cmos_read(&r, 0x37), ==, 0x21);
    cmos_write(&r, REG_D, 0x00);
    g_assert_cmphex(cmos_read(&r, REG_D), ==, 0x80);
    cmos_write(&r, 0x7f, 0xa5);                          /* plain NVRAM */
    g_assert_cmphex(cmos_read(&r, 0x7f), ==, 0xa5);
    rtc_free(&r);
}

/* /rtc/reset: system reset clears PIE, AIE and SQWE and the flags, and
 * keeps UIE, the data format and the time (QEMU 7.2). */
static void test_reset(void)
{
    Rtc r;
    rtc_init(&r, LEAP_EVE);
    cmos_write(&r, REG_B, 0x7e);
    clock_step(&r, NS_PER_SEC);
    g_assert_cmpint(r.irq_level, ==, 1);
    g_mutex_lock(&r.m->lock);                            /* as on the main loop */
    machine_reset(r.m, SHUTDOWN_CAUSE_GUEST_RESET);
    g_mutex_unlock(&r.m->lock);
    g_assert_cmpint(r.irq_level, ==, 0);
    g_assert_cmphex(cmos_read(&r, REG_B), ==, 0x16);
    g_assert_cmphex(cmos_read(&r, REG_C), ==, 0x00);
    g_assert_cmphex(cmos_read(&r, 0x00), ==, 59);
    rtc_free(&r);
}

/* What QEMU 7.2 -M pc -nodefaults shows in all 128 bytes, read through
 * ports 0x70/0x71 with -qtest stdio, the time bytes left out. */
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
    { "-m 128 -smp 2,maxcpus=4", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff "
                                 "31=ff 32=20 35=07 37=20 38=30 3d=12 5f=01" },
    { "-m 128 -boot order=nc", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff "
                               "32=20 35=07 37=20 3d=24" },
    { "-m 128 -boot d", "0a=26 0b=02 0d=80 14=06 15=80 16=02 17=ff 18=ff 30=ff 31=ff 32=20 "
                        "35=07 37=20 3d=03" },
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
        rtc_free(&r);
    }
}

/* /rtc/cmos/boot-order: QEMU's errors for what a PC cannot boot from. */
static void test_boot_order_errors(void)
{
    static const struct { const char *order, *error; } cases[] = {
        { "cdna", "Too many boot devices for PC" },
        { "e", "Invalid boot device for PC: 'e'" },
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *argv[] = { "tern", "-M", "pc", "-nodefaults", "-S", "-boot", (char *)cases[i].order,
                         NULL };
        g_autoptr(MachineConfig) cfg = machine_config_new();
        g_autoptr(GError) err = NULL;
        bool exit_now;
        g_assert_true(options_parse(cfg, G_N_ELEMENTS(argv) - 1, argv, &exit_now, &err));
        Machine *m = machine_new(cfg, &err);
        g_assert_null(m);
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->message, cases[i].error));
    }
}

/* /rtc/migration: saved at 0.3 s into a second with UIE and an alarm set,
 * loaded into a machine whose clock says something else; it reads the same
 * time and fires the update at the same virtual instant (the virtual clock
 * migrates, as QEMU's does). */
static void test_migration(void)
{
    Rtc a, b;
    rtc_init(&a, LEAP_EVE);
    cmos_write(&a, REG_B, 0x06);                         /* binary */
    cmos_write(&a, 0x01, 0xc0);
    cmos_write(&a, 0x03, 0xc0);
    cmos_write(&a, 0x05, 0xc0);
    cmos_write(&a, 0x40, 0x5a);
    clock_set(&a, 2 * NS_PER_SEC + 300000000);           /* 00:00:00.3 */
    cmos_read(&a, REG_C);
    cmos_write(&a, REG_B, 0x56);                         /* PIE UIE binary 24h */
    const StateDescription *desc = rtc_device(&a)->info->state;
    g_assert_cmpuint(desc->version, ==, 2);
    g_autoptr(GByteArray) saved = g_byte_array_new();
    vmstate_save(desc, rtc_device(&a), saved);

    rtc_init(&b, "-rtc base=2001-01-01");
    clock_set(&b, 2 * NS_PER_SEC + 300000000);
    g_autoptr(GError) err = NULL;
    g_assert_true(vmstate_load(desc, rtc_device(&b), desc->version, saved->data, saved->len,
                               &err));
    g_assert_no_error(err);
    assert_time(&b, 20, 24, 3, 1, 6, 0, 0, 0);
    g_assert_cmphex(cmos_read(&b, 0x40), ==, 0x5a);
    g_assert_cmphex(cmos_read(&b, REG_B), ==, 0x56);
    cmos_write(&b, REG_B, 0x16);
    cmos_write(&a, REG_B, 0x16);
    clock_step(&a, 700000000 - 1);
    clock_step(&b, 700000000 - 1);
    g_assert_cmpint(b.irq_level, ==, 0);
    clock_step(&a, 1);
    clock_step(&b, 1);
    g_assert_cmpint(a.irq_level, ==, 1);
    g_assert_cmpint(b.irq_level, ==, 1);
    g_assert_cmphex(cmos_read(&b, REG_C), ==, cmos_read(&a, REG_C));
    g_assert_cmphex(cmos_read(&b, 0x00), ==, 1);
    rtc_free(&a);
    rtc_free(&b);
}

/* /rtc/migration/periodic: the periodic timer is re-armed by post_load. */
static void test_migration_periodic(void)
{
    Rtc a, b;
    rtc_init(&a, LEAP_EVE);
    cmos_write(&a, REG_B, 0x42);
    clock_set(&a, NS_PER_SEC / 3);
    cmos_read(&a, REG_C);
    const StateDescription *desc = rtc_device(&a)->info->state;
    g_autoptr(GByteArray) saved = g_byte_array_new();
    vmstate_save(desc, rtc_device(&a), saved);
    rtc_init(&b, NULL);
    clock_set(&b, NS_PER_SEC / 3);
    g_autoptr(GError) err = NULL;
    g_assert_true(vmstate_load(desc, rtc_device(&b), desc->version, saved->data, saved->len,
                               &err));
    g_assert_cmpuint(count_periodic(&b, NS_PER_SEC), ==, 1024);
    rtc_free(&a);
    rtc_free(&b);
}

/* /rtc/migration/bad: an impossible sub-second position is refused. */
static void test_migration_bad(void)
{
    Rtc a;
    rtc_init(&a, LEAP_EVE);
    const StateDescription *desc = rtc_device(&a)->info->state;
    g_autoptr(GByteArray) saved = g_byte_array_new();
    vmstate_save(desc, rtc_device(&a), saved);
    memset(saved->data + saved->len - 16, 0xff, 8);      /* base_frac_ns = -1 */
    g_autoptr(GError) err = NULL;
    /* vmstate_load runs post_load, which refuses it. */
    g_assert_false(vmstate_load(desc, rtc_device(&a), desc->version, saved->data, saved->len,
                                &err));
    g_assert_nonnull(strstr(err->message, "base_frac_ns"));
    rtc_free(&a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rtc/time/bcd", test_time_bcd);
    g_test_add_func("/rtc/time/binary", test_time_binary);
    g_test_add_func("/rtc/time/12h", test_time_12h);
    g_test_add_func("/rtc/time/advance", test_time_advance);
    g_test_add_func("/rtc/time/set", test_time_set);
    g_test_add_func("/rtc/uip", test_uip);
    g_test_add_func("/rtc/periodic/rates", test_periodic_rates);
    g_test_add_func("/rtc/periodic/off", test_periodic_off);
    g_test_add_func("/rtc/alarm/seconds", test_alarm_seconds);
    g_test_add_func("/rtc/alarm/full", test_alarm_full);
    g_test_add_func("/rtc/update/interrupt", test_update_interrupt);
    g_test_add_func("/rtc/reg-c/clear", test_reg_c_clear);
    g_test_add_func("/rtc/divider", test_divider);
    g_test_add_func("/rtc/ports", test_ports);
    g_test_add_func("/rtc/reset", test_reset);
    g_test_add_func("/rtc/cmos/qemu", test_cmos_vs_qemu);
    g_test_add_func("/rtc/cmos/boot-order", test_boot_order_errors);
    g_test_add_func("/rtc/migration", test_migration);
    g_test_add_func("/rtc/migration/periodic", test_migration_periodic);
    g_test_add_func("/rtc/migration/bad", test_migration_bad);
    return g_test_run();
}
