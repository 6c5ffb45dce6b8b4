/* Intel 8254 PIT and port 0x61 through qtest, one behaviour per test and
 * a fresh Tern each. Counts are loaded at virtual time 0 and the clock is
 * then moved to exact tick boundaries: tick t begins at ceil(t * 10^9 /
 * 1193182) ns. Where QEMU 7.2 and the Intel 82C54 datasheet differ the
 * expected values are QEMU's (see src/board/i8254.c). */
#include "libqtest.h"

#include <string.h>

#define ARGS "-M pc -nodefaults"

#define NS_PER_SEC 1000000000LL
#define PIT_HZ     1193182

#define PIT_CH(n)  (0x40 + (n))
#define PIT_CTRL   0x43
#define PORT61     0x61

#define STATUS_OUT 0x80

/* Control word: channel, access mode LSB then MSB, mode, binary or BCD. */
#define CW(ch, mode, bcd) ((ch) << 6 | 0x30 | (mode) << 1 | (bcd))

/* Virtual time at which tick t has begun. */
static int64_t tick_ns(int64_t t)
{
    return (t * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

static void pit_program(QTestState *s, int ch, int mode, int bcd, uint16_t count)
{
    qtest_outb(s, PIT_CTRL, CW(ch, mode, bcd));
    qtest_outb(s, PIT_CH(ch), count & 0xff);
    qtest_outb(s, PIT_CH(ch), count >> 8);
}

/* Two reads of a channel port: LSB, then MSB. */
static uint16_t pit_read16(QTestState *s, int ch)
{
    uint16_t lsb = qtest_inb(s, PIT_CH(ch));
    return lsb | qtest_inb(s, PIT_CH(ch)) << 8;
}

/* Counter latch command, then both bytes. */
static uint16_t pit_latch_read(QTestState *s, int ch)
{
    qtest_outb(s, PIT_CTRL, ch << 6);
    return pit_read16(s, ch);
}

/* Read-back of one channel's status only. */
static uint8_t pit_status(QTestState *s, int ch)
{
    qtest_outb(s, PIT_CTRL, 0xe0 | 2 << ch);
    return qtest_inb(s, PIT_CH(ch));
}

static bool pit_out(QTestState *s, int ch)
{
    return pit_status(s, ch) & STATUS_OUT;
}

/* IRQ lines seen since the last call that match `line`. */
static guint count_irq_lines(QTestState *s, const char *line)
{
    qtest_get_irq(s, 0);     /* flushes lines that timers sent */
    g_autoptr(GPtrArray) lines = qtest_take_irq_lines(s);
    guint n = 0;
    for (guint i = 0; i < lines->len; i++) {
        n += !strcmp(g_ptr_array_index(lines, i), line);
    }
    return n;
}

/* ---- counting ---- */

/* The counter moves with virtual time at 1.193182 MHz, and only then. */
static void test_counting_rate(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 0, 0, 0, 60000);
    g_assert_cmpuint(pit_latch_read(s, 0), ==, 60000);
    g_assert_cmpuint(pit_latch_read(s, 0), ==, 60000);        /* no time, no count */
    qtest_clock_set(s, tick_ns(1) - 1);
    g_assert_cmpuint(pit_latch_read(s, 0), ==, 60000);
    qtest_clock_step(s, 1);
    g_assert_cmpuint(pit_latch_read(s, 0), ==, 59999);
    qtest_clock_set(s, 10 * 1000 * 1000);                       /* 10 ms: 11931 ticks */
    g_assert_cmpuint(pit_latch_read(s, 0), ==, 60000 - 11931);
    qtest_clock_set(s, tick_ns(50000));
    g_assert_cmpuint(pit_latch_read(s, 0), ==, 10000);
    qtest_quit(s);
}

/* Unlatched reads follow the LSB/MSB flip-flop on the live counter. */
static void test_counting_live_read(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 1, 2, 0, 0x1234);
    qtest_clock_set(s, tick_ns(0x34));
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, 0x00);       /* 0x1200 */
    qtest_clock_set(s, tick_ns(0x35));
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, 0x11);       /* MSB of 0x11ff */
    qtest_quit(s);
}

/* ---- modes: OUT as the read-back status shows it ---- */

/* Mode 0, interrupt on terminal count: OUT rises at tick N and stays
 * high while the counter wraps on. */
static void test_mode0(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 1, 0, 0, 1000);
    g_assert_cmphex(pit_status(s, 1), ==, 0x30);
    qtest_clock_set(s, tick_ns(1000) - 1);
    g_assert_false(pit_out(s, 1));
    g_assert_cmpuint(pit_latch_read(s, 1), ==, 1);
    qtest_clock_step(s, 1);
    g_assert_cmphex(pit_status(s, 1), ==, 0xb0);
    g_assert_cmpuint(pit_latch_read(s, 1), ==, 0);
    qtest_clock_set(s, tick_ns(1001));
    g_assert_true(pit_out(s, 1));
    g_assert_cmphex(pit_latch_read(s, 1), ==, 0xffff);
    qtest_quit(s);
}

/* Mode 1 (QEMU): OUT high from the load until terminal count; a gate
 * rising edge starts over. Channel 2, whose gate is port 0x61 bit 0. */
static void test_mode1_gate(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 2, 1, 0, 500);
    g_assert_cmphex(pit_status(s, 2), ==, 0xb2);
    qtest_clock_set(s, tick_ns(500) - 1);
    g_assert_true(pit_out(s, 2));
    qtest_clock_step(s, 1);
    g_assert_false(pit_out(s, 2));
    qtest_outb(s, PORT61, 0x01);                               /* gate rises */
    g_assert_true(pit_out(s, 2));
    g_assert_cmpuint(pit_latch_read(s, 2), ==, 500);
    qtest_outb(s, PORT61, 0x01);                               /* still high: no edge */
    qtest_clock_step(s, tick_ns(100));
    g_assert_cmpuint(pit_latch_read(s, 2), ==, 400);
    qtest_quit(s);
}

/* Mode 2, rate generator (QEMU): OUT high for the one tick at which the
 * count reloads; the counter runs N..1. */
static void test_mode2(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 1, 2, 0, 100);
    g_assert_cmphex(pit_status(s, 1), ==, 0x34);
    qtest_clock_set(s, tick_ns(99));
    g_assert_false(pit_out(s, 1));
    g_assert_cmpuint(pit_latch_read(s, 1), ==, 1);
    qtest_clock_set(s, tick_ns(100));
    g_assert_true(pit_out(s, 1));
    g_assert_cmpuint(pit_latch_read(s, 1), ==, 100);
    qtest_clock_set(s, tick_ns(101));
    g_assert_false(pit_out(s, 1));
    g_assert_cmpuint(pit_latch_read(s, 1), ==, 99);
    qtest_clock_set(s, tick_ns(300));
    g_assert_true(pit_out(s, 1));
    qtest_quit(s);
}

/* Mode 3, square wave: high for the first half of each period (the
 * larger half for odd counts), the counter going down by two. */
static void test_mode3(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 1, 3, 0, 1001);
    g_assert_cmphex(pit_status(s, 1), ==, 0xb6);
    qtest_clock_set(s, tick_ns(500));
    g_assert_true(pit_out(s, 1));
    qtest_clock_set(s, tick_ns(501));
    g_assert_false(pit_out(s, 1));
    qtest_clock_set(s, tick_ns(1001));
    g_assert_true(pit_out(s, 1));
    pit_program(s, 1, 3, 0, 1000);
    qtest_clock_step(s, tick_ns(100));
    g_assert_cmpuint(pit_latch_read(s, 1), ==, 800);
    qtest_quit(s);
}

/* Modes 4 and 5, strobes (QEMU): OUT high only for the tick at terminal
 * count; in mode 5 a gate rising edge triggers the count again. */
static void test_mode4_mode5(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 1, 4, 0, 300);
    g_assert_cmphex(pit_status(s, 1), ==, 0x38);
    qtest_clock_set(s, tick_ns(299));
    g_assert_false(pit_out(s, 1));
    qtest_clock_set(s, tick_ns(300));
    g_assert_true(pit_out(s, 1));
    qtest_clock_set(s, tick_ns(301));
    g_assert_false(pit_out(s, 1));

    pit_program(s, 2, 5, 0, 300);
    int64_t t0 = qtest_clock_step(s, tick_ns(300));
    g_assert_true(pit_out(s, 2));
    qtest_outb(s, PORT61, 0x01);                               /* trigger */
    g_assert_false(pit_out(s, 2));
    g_assert_cmpuint(pit_latch_read(s, 2), ==, 300);
    qtest_clock_set(s, t0 + tick_ns(300));
    g_assert_true(pit_out(s, 2));
    qtest_quit(s);
}

/* ---- IRQ 0 ---- */

/* Mode 2 on channel 0 (1193 ticks, ~1 kHz): one IRQ 0 pulse per period,
 * exactly as many as periods have passed. */
static void test_irq_mode2_count(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_irq_intercept_in(s, "ioapic");
    pit_program(s, 0, 2, 0, 1193);
    g_assert_cmpuint(count_irq_lines(s, "IRQ raise 0"), ==, 0);
    qtest_clock_step(s, 100 * 1000 * 1000);                     /* 119318 ticks */
    g_assert_cmpuint(count_irq_lines(s, "IRQ raise 0"), ==, 100);
    qtest_clock_set(s, tick_ns(1193 * 150) - 1);
    g_assert_cmpuint(count_irq_lines(s, "IRQ raise 0"), ==, 49);
    qtest_clock_step(s, 1);
    g_assert_true(qtest_get_irq(s, 0));
    qtest_clock_set(s, tick_ns(1193 * 150 + 1));
    g_assert_false(qtest_get_irq(s, 0));
    g_assert_cmpuint(count_irq_lines(s, "IRQ raise 0"), ==, 1);
    qtest_quit(s);
}

/* Mode 3 on channel 0: IRQ 0 is a square wave; loading the count raises
 * it at once. */
static void test_irq_mode3_square(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_irq_intercept_in(s, "ioapic");
    pit_program(s, 0, 3, 0, 1000);
    g_assert_true(qtest_get_irq(s, 0));
    g_assert_cmpuint(count_irq_lines(s, "IRQ raise 0"), ==, 1);
    qtest_clock_set(s, tick_ns(499));
    g_assert_true(qtest_get_irq(s, 0));
    qtest_clock_set(s, tick_ns(500));
    g_assert_false(qtest_get_irq(s, 0));
    qtest_clock_set(s, tick_ns(1000));
    g_assert_true(qtest_get_irq(s, 0));
    g_ptr_array_unref(qtest_take_irq_lines(s));   /* drop what came before */
    qtest_clock_set(s, NS_PER_SEC);                             /* 1193182 ticks */
    qtest_get_irq(s, 0);
    g_autoptr(GPtrArray) lines = qtest_take_irq_lines(s);
    guint raises = 0, lowers = 0;
    for (guint i = 0; i < lines->len; i++) {
        raises += !strcmp(g_ptr_array_index(lines, i), "IRQ raise 0");
        lowers += !strcmp(g_ptr_array_index(lines, i), "IRQ lower 0");
    }
    g_assert_cmpuint(raises, ==, 1193 - 1);                     /* ticks 2000 .. 1193000 */
    g_assert_cmpuint(lowers, ==, 1193 - 1);                     /* ticks 1500 .. 1192500 */
    qtest_quit(s);
}

/* Mode 0 on channel 0: a one-shot; clock_step with no argument goes
 * straight to it, as the timer is on the virtual clock. */
static void test_irq_oneshot(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_irq_intercept_in(s, "ioapic");
    pit_program(s, 0, 0, 0, 5000);
    g_assert_false(qtest_get_irq(s, 0));
    g_assert_cmpint(qtest_clock_step_next(s), ==, tick_ns(5000));
    g_assert_true(qtest_get_irq(s, 0));
    qtest_clock_step(s, NS_PER_SEC);
    g_assert_true(qtest_get_irq(s, 0));
    pit_program(s, 0, 0, 0, 5000);                             /* reload lowers it */
    g_assert_false(qtest_get_irq(s, 0));
    qtest_quit(s);
}

/* At power-on channel 0 runs in mode 3 with count 0x10000 (18.2 Hz), as
 * QEMU's does; the line is first driven at the first edge. */
static void test_irq_power_on(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_irq_intercept_in(s, "ioapic");
    g_assert_cmphex(pit_status(s, 0), ==, 0x86);
    qtest_clock_step(s, NS_PER_SEC);
    g_assert_cmpuint(count_irq_lines(s, "IRQ raise 0"), ==, 18);
    qtest_quit(s);
}

/* ---- latches ---- */

/* A latched count holds while time passes and through a new count; a
 * second latch command waits until the first is read. */
static void test_counter_latch(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 0, 2, 0, 10000);
    qtest_clock_set(s, tick_ns(1000));
    qtest_outb(s, PIT_CTRL, 0x00);
    qtest_clock_set(s, tick_ns(2000));
    qtest_outb(s, PIT_CTRL, 0x00);                             /* ignored */
    pit_program(s, 0, 2, 0, 5000);
    g_assert_cmpuint(qtest_inb(s, PIT_CH(0)), ==, 9000 & 0xff);
    g_assert_cmpuint(qtest_inb(s, PIT_CH(0)), ==, 9000 >> 8);
    g_assert_cmpuint(pit_latch_read(s, 0), ==, 5000);
    qtest_quit(s);
}

/* Read-back: several channels latched at one instant, status first. */
static void test_read_back(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 0, 2, 0, 4000);
    pit_program(s, 1, 0, 0, 3000);
    pit_program(s, 2, 3, 0, 2000);
    qtest_clock_set(s, tick_ns(3000));
    qtest_outb(s, PIT_CTRL, 0xce);                             /* count + status, all */
    qtest_clock_set(s, tick_ns(3500));
    g_assert_cmphex(qtest_inb(s, PIT_CH(0)), ==, 0x34);
    g_assert_cmpuint(pit_read16(s, 0), ==, 1000);
    g_assert_cmphex(qtest_inb(s, PIT_CH(1)), ==, 0xb0);        /* OUT high at tick 3000 */
    g_assert_cmpuint(pit_read16(s, 1), ==, 0);
    g_assert_cmphex(qtest_inb(s, PIT_CH(2)), ==, 0x36);        /* second half: OUT low */
    g_assert_cmpuint(pit_read16(s, 2), ==, 2000);               /* a half period starts */
    /* Status only, then count only: each is read once. */
    qtest_outb(s, PIT_CTRL, 0xe2);
    qtest_outb(s, PIT_CTRL, 0xd2);
    g_assert_cmphex(qtest_inb(s, PIT_CH(0)), ==, 0x34);
    g_assert_cmpuint(pit_read16(s, 0), ==, 500);
    qtest_quit(s);
}

/* ---- BCD ---- */

/* A BCD counter counts in decimal digits and wraps from 0000 to 9999. */
static void test_bcd(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 1, 0, 1, 0x1000);
    g_assert_cmphex(pit_status(s, 1), ==, 0x31);
    g_assert_cmphex(pit_latch_read(s, 1), ==, 0x1000);
    qtest_clock_set(s, tick_ns(1));
    g_assert_cmphex(pit_latch_read(s, 1), ==, 0x0999);
    qtest_clock_set(s, tick_ns(999));
    g_assert_cmphex(pit_latch_read(s, 1), ==, 0x0001);
    g_assert_false(pit_out(s, 1));
    qtest_clock_set(s, tick_ns(1000));
    g_assert_true(pit_out(s, 1));
    qtest_clock_set(s, tick_ns(1001));
    g_assert_cmphex(pit_latch_read(s, 1), ==, 0x9999);
    /* Count 0 is 10000 periods: mode 2 reloads after 10000 ticks. */
    pit_program(s, 1, 2, 1, 0x0000);
    int64_t t0 = qtest_clock_step(s, tick_ns(1));
    g_assert_cmphex(pit_latch_read(s, 1), ==, 0x9999);
    qtest_clock_set(s, t0 - tick_ns(1) + tick_ns(10000));
    g_assert_true(pit_out(s, 1));
    qtest_quit(s);
}

/* ---- port 0x61 ---- */

/* Bit 0 is channel 2's gate and bit 1 the speaker enable, both read
 * back; bit 4 flips on every read; bit 5 is channel 2's OUT. */
static void test_port61(void)
{
    QTestState *s = qtest_init(ARGS);
    g_assert_cmphex(qtest_inb(s, PORT61), ==, 0x30);           /* mode 3: OUT high */
    g_assert_cmphex(qtest_inb(s, PORT61), ==, 0x20);
    qtest_outb(s, PORT61, 0xff);
    g_assert_cmphex(qtest_inb(s, PORT61), ==, 0x33);
    qtest_outb(s, PORT61, 0x01);
    pit_program(s, 2, 3, 0, 100);
    qtest_clock_set(s, tick_ns(50));                           /* second half: low */
    g_assert_cmphex(qtest_inb(s, PORT61), ==, 0x01);
    qtest_clock_set(s, tick_ns(100));
    g_assert_cmphex(qtest_inb(s, PORT61), ==, 0x31);
    qtest_quit(s);
}

/* The TSC calibration idiom: gate high, mode 0 on channel 2, poll bit 5. */
static void test_port61_calibration(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_outb(s, PORT61, (qtest_inb(s, PORT61) & ~0x02) | 0x01);
    qtest_outb(s, PIT_CTRL, 0xb0);
    qtest_outb(s, PIT_CH(2), 0xff);
    qtest_outb(s, PIT_CH(2), 0xff);
    g_assert_false(qtest_inb(s, PORT61) & 0x20);
    qtest_clock_set(s, tick_ns(0xffff) - 1);
    g_assert_false(qtest_inb(s, PORT61) & 0x20);
    qtest_clock_step(s, 1);
    g_assert_true(qtest_inb(s, PORT61) & 0x20);
    qtest_quit(s);
}

/* ---- reset ---- */

/* system_reset puts every channel back in mode 3 with count 0x10000 and
 * channel 2's gate low; the access mode stays (QEMU). */
static void test_reset(void)
{
    QTestState *s = qtest_init(ARGS);
    pit_program(s, 0, 0, 0, 1234);
    qtest_outb(s, PORT61, 0x03);
    g_free(qtest_qmp(s, "{\"execute\": \"system_reset\"}"));
    g_assert_cmphex(pit_status(s, 0), ==, 0xb6);
    g_assert_cmphex(pit_latch_read(s, 0), ==, 0x0000);
    g_assert_cmphex(qtest_inb(s, PORT61) & 0x03, ==, 0x02);    /* speaker bit stays */
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/pit/counting/rate", test_counting_rate);
    g_test_add_func("/qtest/pit/counting/live-read", test_counting_live_read);
    g_test_add_func("/qtest/pit/mode0", test_mode0);
    g_test_add_func("/qtest/pit/mode1-gate", test_mode1_gate);
    g_test_add_func("/qtest/pit/mode2", test_mode2);
    g_test_add_func("/qtest/pit/mode3", test_mode3);
    g_test_add_func("/qtest/pit/mode4-mode5", test_mode4_mode5);
    g_test_add_func("/qtest/pit/irq/mode2-count", test_irq_mode2_count);
    g_test_add_func("/qtest/pit/irq/mode3-square", test_irq_mode3_square);
    g_test_add_func("/qtest/pit/irq/oneshot", test_irq_oneshot);
    g_test_add_func("/qtest/pit/irq/power-on", test_irq_power_on);
    g_test_add_func("/qtest/pit/latch", test_counter_latch);
    g_test_add_func("/qtest/pit/read-back", test_read_back);
    g_test_add_func("/qtest/pit/bcd", test_bcd);
    g_test_add_func("/qtest/pit/port61", test_port61);
    g_test_add_func("/qtest/pit/port61-calibration", test_port61_calibration);
    g_test_add_func("/qtest/pit/reset", test_reset);
    return g_test_run();
}
