/* HPET (IA-PC HPET specification 1.0a) through qtest, one behaviour per
 * test and a fresh Tern each. The counter runs at 100 MHz: one tick per
 * 10 ns of virtual time, from the moment ENABLE_CNF is set. Expected
 * values are QEMU 7.2's (see src/board/hpet.c). */
#include "libqtest.h"

#include <string.h>

#define ARGS "-M pc -nodefaults"

#define HPET        0xfed00000ULL
#define CAP         (HPET + 0x000)
#define CFG         (HPET + 0x010)
#define ISR         (HPET + 0x020)
#define COUNTER     (HPET + 0x0f0)
#define TN_CFG(n)   (HPET + 0x100 + 0x20 * (n))
#define TN_CMP(n)   (HPET + 0x108 + 0x20 * (n))
#define TN_FSB(n)   (HPET + 0x110 + 0x20 * (n))

#define CFG_ENABLE  0x1
#define CFG_LEGACY  0x2

#define TN_LEVEL    0x002
#define TN_INT_ENB  0x004
#define TN_PERIODIC 0x008
#define TN_VAL_SET  0x040
#define TN_32BIT    0x100
#define TN_ROUTE(g) ((g) << 9)

#define TICK_NS     10

/* The PIT (left alone) toggles ISA IRQ 0 every 27 ms; mode 0 with the
 * largest count keeps it low for the first 55 ms of these tests. */
static void quiet_pit(QTestState *s)
{
    qtest_outb(s, 0x43, 0x30);
    qtest_outb(s, 0x40, 0);
    qtest_outb(s, 0x40, 0);
}

static QTestState *hpet_start(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_irq_intercept_in(s, "ioapic");
    quiet_pit(s);
    return s;
}

/* Spec 2.3.4 and QEMU: vendor 8086, LEG_RT_CAP, COUNT_SIZE_CAP, three
 * timers, revision 1, a 10 ns (10^7 fs) period; timers route to GSI 2
 * only and can be periodic and 64-bit. */
static void test_capabilities(void)
{
    QTestState *s = qtest_init(ARGS);
    g_assert_cmphex(qtest_readq(s, CAP), ==, 0x009896808086a201ULL);
    g_assert_cmphex(qtest_readl(s, CAP), ==, 0x8086a201);
    g_assert_cmphex(qtest_readl(s, CAP + 4), ==, 0x00989680);
    for (int n = 0; n < 3; n++) {
        g_assert_cmphex(qtest_readq(s, TN_CFG(n)), ==, 0x0000000400000030ULL);
        g_assert_cmphex(qtest_readq(s, TN_CMP(n)), ==, UINT64_MAX);
        g_assert_cmphex(qtest_readq(s, TN_FSB(n)), ==, 0);
    }
    g_assert_cmphex(qtest_readq(s, TN_CFG(3)), ==, 0);           /* no fourth timer */
    /* Narrow and unaligned accesses read 0 (QEMU). */
    g_assert_cmphex(qtest_readw(s, CAP), ==, 0);
    g_assert_cmphex(qtest_readb(s, CAP + 1), ==, 0);
    g_assert_cmphex(qtest_readl(s, CAP + 2), ==, 0);
    qtest_quit(s);
}

/* Only ENABLE_CNF and LEG_RT_CNF are writable; the capabilities are
 * read-only; a timer's writable bits are 1-3, 6 and 8-14. */
static void test_write_masks(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_writeq(s, CAP, UINT64_MAX);
    g_assert_cmphex(qtest_readq(s, CAP), ==, 0x009896808086a201ULL);
    qtest_writeq(s, CFG, UINT64_MAX & ~1ULL);
    g_assert_cmphex(qtest_readq(s, CFG), ==, CFG_LEGACY);
    qtest_writeq(s, TN_CFG(1), UINT64_MAX & ~(uint64_t)TN_INT_ENB);
    g_assert_cmphex(qtest_readq(s, TN_CFG(1)), ==, 0x0000000400007f7aULL);
    /* 32-bit mode keeps the low half of the comparator. */
    qtest_writeq(s, TN_CMP(1), 0x123456789abcdef0ULL);
    g_assert_cmphex(qtest_readq(s, TN_CMP(1)), ==, 0x9abcdef0);
    qtest_writeq(s, TN_FSB(1), 0x123456789abcdef0ULL);
    g_assert_cmphex(qtest_readq(s, TN_FSB(1)), ==, 0x123456789abcdef0ULL);
    qtest_quit(s);
}

/* The counter counts only while enabled, one tick per 10 ns, and takes
 * writes only while stopped. */
static void test_counter(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_clock_step(s, 1000);
    g_assert_cmphex(qtest_readq(s, COUNTER), ==, 0);
    qtest_writeq(s, COUNTER, 0x100000000ULL);
    qtest_writeq(s, CFG, CFG_ENABLE);
    qtest_clock_step(s, 12345);
    g_assert_cmphex(qtest_readq(s, COUNTER), ==, 0x100000000ULL + 1234);
    g_assert_cmphex(qtest_readl(s, COUNTER), ==, 1234);
    g_assert_cmphex(qtest_readl(s, COUNTER + 4), ==, 1);
    qtest_writeq(s, COUNTER, 7);                          /* dropped */
    qtest_clock_step(s, 5);                               /* 12350 ns */
    g_assert_cmphex(qtest_readq(s, COUNTER), ==, 0x100000000ULL + 1235);
    qtest_writeq(s, CFG, 0);
    qtest_clock_step(s, 100000);
    g_assert_cmphex(qtest_readq(s, COUNTER), ==, 0x100000000ULL + 1235);
    qtest_writel(s, COUNTER, 42);
    g_assert_cmphex(qtest_readq(s, COUNTER), ==, 0x100000000ULL + 42);
    qtest_quit(s);
}

/* An edge-triggered one-shot pulses its routed GSI when the counter
 * reaches the comparator, once; the status register stays clear. */
static void test_oneshot(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB);
    qtest_writeq(s, TN_CMP(0), 1000);
    int64_t t0 = qtest_clock_step(s, 0);
    qtest_writeq(s, CFG, CFG_ENABLE);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==, t0 + 1000 * TICK_NS);
    g_autoptr(GPtrArray) lines = qtest_take_irq_lines(s);
    g_assert_cmpuint(lines->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(lines, 0), ==, "IRQ raise 2");
    g_assert_cmpstr(g_ptr_array_index(lines, 1), ==, "IRQ lower 2");
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==, -1);
    qtest_quit(s);
}

/* Periodic, programmed as Linux does (32-bit mode, 32-bit writes):
 * VAL_SET lets the first write set the comparator, the second sets only
 * the period; the comparator then advances by the period at each match. */
static void test_periodic(void)
{
    QTestState *s = hpet_start();
    qtest_writel(s, TN_CFG(2), TN_ROUTE(2) | TN_INT_ENB | TN_PERIODIC | TN_VAL_SET | TN_32BIT);
    qtest_writel(s, TN_CMP(2), 300);
    g_assert_cmphex(qtest_readl(s, TN_CFG(2)) & TN_VAL_SET, ==, 0);
    qtest_writel(s, TN_CMP(2), 500);
    g_assert_cmphex(qtest_readq(s, TN_CMP(2)), ==, 300);
    int64_t t0 = qtest_clock_step(s, 0);
    qtest_writel(s, CFG, CFG_ENABLE);
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==,
                        t0 + (300 + 500 * i) * TICK_NS);
        g_assert_cmphex(qtest_readq(s, TN_CMP(2)), ==, 300 + 500 * (i + 1));
        g_ptr_array_unref(qtest_take_irq_lines(s));
    }
    /* Without INT_ENB nothing is armed and the comparator stands. */
    qtest_writel(s, TN_CFG(2), TN_ROUTE(2) | TN_PERIODIC | TN_32BIT);
    qtest_clock_step(s, 1000 * 500 * TICK_NS);
    g_assert_cmphex(qtest_readq(s, TN_CMP(2)), ==, 2300);
    qtest_quit(s);
}

/* QEMU splits a 64-bit access into two 32-bit ones: with VAL_SET in
 * periodic mode the low half sets comparator and period and clears
 * VAL_SET, so the high half reaches only the period. The accumulator then
 * wraps the 64-bit comparator round to the first value ahead. */
static void test_periodic_64bit_write(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB | TN_PERIODIC | TN_VAL_SET);
    qtest_writeq(s, TN_CMP(0), 0x1000);
    g_assert_cmphex(qtest_readq(s, TN_CMP(0)), ==, 0xffffffff00001000ULL);
    qtest_writeq(s, TN_CMP(0), 0x30000);                     /* the period */
    int64_t t0 = qtest_clock_step(s, 0);
    qtest_writeq(s, CFG, CFG_ENABLE);
    /* Behind the counter: it matches one tick later. */
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==, t0 + TICK_NS);
    /* 0xffffffff00001000 + 21846 * 0x30000 wraps to 0x21000, the first one
     * ahead (QEMU: 0x81000 two periods later). */
    g_assert_cmphex(qtest_readq(s, TN_CMP(0)), ==, 0x21000);
    qtest_quit(s);
}

/* A 32-bit one-shot also fires when the counter's low half wraps, then at
 * the comparator; the main counter itself keeps 64 bits. */
static void test_32bit_wrap(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, COUNTER, 0xfffffff0ULL);
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB | TN_32BIT);
    qtest_writeq(s, TN_CMP(0), 0x500000010ULL);
    g_assert_cmphex(qtest_readq(s, TN_CMP(0)), ==, 0x10);
    int64_t t0 = qtest_clock_step(s, 0);
    qtest_writeq(s, CFG, CFG_ENABLE);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==, t0 + 0x10 * TICK_NS);
    g_assert_cmphex(qtest_readq(s, COUNTER), ==, 0x100000000ULL);
    g_ptr_array_unref(qtest_take_irq_lines(s));
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==, t0 + 0x20 * TICK_NS);
    qtest_quit(s);
}

/* Level-triggered: the status bit and the line stay up until the bit is
 * written with 1; writing 0 changes nothing. */
static void test_level_w1c(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(1), TN_ROUTE(2) | TN_INT_ENB | TN_LEVEL);
    qtest_writeq(s, TN_CMP(1), 50);
    int64_t t0 = qtest_clock_step(s, 0);
    qtest_writeq(s, CFG, CFG_ENABLE);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==, t0 + 50 * TICK_NS);
    g_assert_true(qtest_get_irq(s, 2));
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0x2);
    qtest_writeq(s, ISR, 0x5);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0x2);
    g_assert_true(qtest_get_irq(s, 2));
    qtest_writel(s, ISR, 0x2);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0);
    g_assert_false(qtest_get_irq(s, 2));
    qtest_quit(s);
}

/* With the interrupt disabled a level timer sets no status (QEMU);
 * enabling it on a comparator already passed fires one tick later. */
static void test_int_disabled(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_LEVEL);
    qtest_writeq(s, TN_CMP(0), 10);
    qtest_writeq(s, CFG, CFG_ENABLE);
    qtest_clock_step(s, 1000);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0);
    int64_t t1 = qtest_clock_step(s, 0);
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_LEVEL | TN_INT_ENB);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==, t1 + TICK_NS);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 1);
    /* Stopping the counter clears the status and drops the line. */
    qtest_writeq(s, CFG, 0);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0);
    g_assert_false(qtest_get_irq(s, 2));
    qtest_quit(s);
}

/* Rewriting the configuration of a passed one-shot does not fire it
 * again, nor does switching a pending level interrupt to edge drop it; a
 * comparator write re-arms (QEMU). */
static void test_rearm(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB | TN_LEVEL);
    qtest_writeq(s, TN_CMP(0), 10);
    qtest_writeq(s, CFG, CFG_ENABLE);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), >, 0);
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 1);
    g_assert_true(qtest_get_irq(s, 2));
    qtest_writeq(s, ISR, 1);
    g_assert_false(qtest_get_irq(s, 2));
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB | TN_LEVEL);
    qtest_clock_step(s, 1000);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0);
    int64_t t1 = qtest_clock_step(s, 0);
    qtest_writeq(s, TN_CMP(0), 10);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), ==, t1 + TICK_NS);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 1);
    qtest_quit(s);
}

/* Legacy replacement: timer 0 takes ISA IRQ 0 and timer 1 IRQ 8, whatever
 * their route fields say. */
static void test_legacy_routing(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB | TN_LEVEL);
    qtest_writeq(s, TN_CMP(0), 100);
    qtest_writeq(s, TN_CFG(1), TN_ROUTE(2) | TN_INT_ENB | TN_LEVEL);
    qtest_writeq(s, TN_CMP(1), 200);
    int64_t t0 = qtest_clock_step(s, 0);
    qtest_writeq(s, CFG, CFG_ENABLE | CFG_LEGACY);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 0, 1000000), ==, t0 + 100 * TICK_NS);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 8, 1000000), ==, t0 + 200 * TICK_NS);
    g_assert_false(qtest_get_irq(s, 2));
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0x3);
    /* Leaving legacy mode moves both lines to their routes. */
    qtest_writeq(s, CFG, CFG_ENABLE);
    g_assert_false(qtest_get_irq(s, 0));
    g_assert_false(qtest_get_irq(s, 8));
    g_assert_true(qtest_get_irq(s, 2));
    qtest_quit(s);
}

/* system_reset: every register back to its power-on value, lines low. */
static void test_reset(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB | TN_LEVEL | TN_PERIODIC | TN_VAL_SET);
    qtest_writeq(s, TN_CMP(0), 10);
    qtest_writeq(s, TN_FSB(0), 0x1234);
    qtest_writeq(s, CFG, CFG_ENABLE);
    g_assert_cmpint(qtest_clock_step_until_irq(s, 2, 1000000), >, 0);
    g_free(qtest_qmp(s, "{\"execute\": \"system_reset\"}"));
    g_free(qtest_qmp_eventwait(s, "RESET"));
    g_assert_false(qtest_get_irq(s, 2));
    g_assert_cmphex(qtest_readq(s, CFG), ==, 0);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0);
    g_assert_cmphex(qtest_readq(s, COUNTER), ==, 0);
    g_assert_cmphex(qtest_readq(s, TN_CFG(0)), ==, 0x0000000400000030ULL);
    g_assert_cmphex(qtest_readq(s, TN_CMP(0)), ==, UINT64_MAX);
    g_assert_cmphex(qtest_readq(s, TN_FSB(0)), ==, 0);
    qtest_quit(s);
}

/* A periodic comparator written without VAL_SET sets only the period; the
 * comparator keeps its reset value (all ones), and enabling the counter
 * leaves such a timer unarmed: no interrupt, as QEMU 7.2 (checked with its
 * clock running). */
static void test_enable_unwritten_cmp(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB | TN_LEVEL | TN_PERIODIC);
    qtest_writeq(s, TN_CMP(0), 10);
    qtest_writeq(s, CFG, CFG_ENABLE);
    qtest_clock_step(s, 100000000);
    g_assert_cmphex(qtest_readq(s, TN_CMP(0)), ==, UINT64_MAX);
    g_assert_cmphex(qtest_readq(s, ISR), ==, 0);
    g_assert_false(qtest_get_irq(s, 2));
    qtest_quit(s);
}

/* A 32-bit periodic timer's period stays below 2^31, as QEMU keeps it. */
static void test_period_mask(void)
{
    QTestState *s = hpet_start();
    qtest_writeq(s, TN_CFG(0), TN_ROUTE(2) | TN_INT_ENB | TN_PERIODIC | TN_32BIT | TN_VAL_SET);
    qtest_writel(s, TN_CMP(0), 0x10);                /* comparator (and period) */
    qtest_writel(s, TN_CMP(0), 0xffffffff);          /* the period only: VAL_SET is spent */
    qtest_writeq(s, CFG, CFG_ENABLE);
    int64_t first = qtest_clock_step_until_irq(s, 2, 1000000);
    g_assert_cmpint(first, ==, 0x10 * 10);
    /* The next one is 0x7fffffff ticks later (~21.5 s), not 2^32 - 1. */
    g_assert_cmphex(qtest_readl(s, TN_CMP(0)), ==, 0x10 + 0x7fffffffu);
    qtest_quit(s);
}

/* -machine hpet=off removes the device: the window reads as no device. */
static void test_hpet_off(void)
{
    QTestState *s = qtest_init("-M pc,hpet=off -nodefaults");
    g_assert_cmphex(qtest_readq(s, CAP), !=, 0x009896808086a201ULL);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/hpet/capabilities", test_capabilities);
    g_test_add_func("/qtest/hpet/write-masks", test_write_masks);
    g_test_add_func("/qtest/hpet/counter", test_counter);
    g_test_add_func("/qtest/hpet/oneshot", test_oneshot);
    g_test_add_func("/qtest/hpet/periodic", test_periodic);
    g_test_add_func("/qtest/hpet/periodic-64bit-write", test_periodic_64bit_write);
    g_test_add_func("/qtest/hpet/32bit-wrap", test_32bit_wrap);
    g_test_add_func("/qtest/hpet/level-w1c", test_level_w1c);
    g_test_add_func("/qtest/hpet/int-disabled", test_int_disabled);
    g_test_add_func("/qtest/hpet/rearm", test_rearm);
    g_test_add_func("/qtest/hpet/legacy-routing", test_legacy_routing);
    g_test_add_func("/qtest/hpet/reset", test_reset);
    g_test_add_func("/qtest/hpet/enable-unwritten-cmp", test_enable_unwritten_cmp);
    g_test_add_func("/qtest/hpet/period-mask", test_period_mask);
    g_test_add_func("/qtest/hpet/hpet-off", test_hpet_off);
    return g_test_run();
}
