/* PC devices through qtest: one behaviour per test, a fresh Tern each. */
#include "libqtest.h"

#include <string.h>

#define ARGS "-M pc -nodefaults -serial null"

/* ---- 16550A (PC16550D datasheet, table 2: register reset values) ---- */

#define COM1 0x3f8
enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static void test_serial_reset_values(void)
{
    QTestState *s = qtest_init(ARGS);
    g_assert_cmphex(qtest_inb(s, COM1 + IER), ==, 0x00);
    g_assert_cmphex(qtest_inb(s, COM1 + IIR), ==, 0x01);   /* no interrupt pending */
    g_assert_cmphex(qtest_inb(s, COM1 + LCR), ==, 0x00);
    g_assert_cmphex(qtest_inb(s, COM1 + MCR), ==, 0x08);   /* OUT2, as QEMU resets it */
    g_assert_cmphex(qtest_inb(s, COM1 + LSR), ==, 0x60);   /* THRE | TEMT */
    g_assert_cmphex(qtest_inb(s, COM1 + MSR), ==, 0xb0);   /* DCD, DSR, CTS */
    g_assert_cmphex(qtest_inb(s, COM1 + SCR), ==, 0x00);
    qtest_quit(s);
}

static void test_serial_divisor(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_outb(s, COM1 + LCR, 0x80);                         /* DLAB */
    g_assert_cmphex(qtest_inb(s, COM1 + 0), ==, 0x0c);      /* 9600 baud */
    qtest_outb(s, COM1 + 0, 0x01);
    qtest_outb(s, COM1 + 1, 0x00);
    g_assert_cmphex(qtest_inb(s, COM1 + 0), ==, 0x01);
    qtest_outb(s, COM1 + LCR, 0x03);                         /* 8N1 */
    g_assert_cmphex(qtest_inb(s, COM1 + LCR), ==, 0x03);
    qtest_quit(s);
}

/* MCR.LOOP: what is sent comes back on RBR (section 8.6, loopback). */
static void test_serial_loopback(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_outb(s, COM1 + MCR, 0x10);
    qtest_outb(s, COM1 + RBR, 'A');
    g_assert_cmphex(qtest_inb(s, COM1 + LSR), ==, 0x61);    /* data ready */
    g_assert_cmphex(qtest_inb(s, COM1 + RBR), ==, 'A');
    g_assert_cmphex(qtest_inb(s, COM1 + LSR), ==, 0x60);
    qtest_quit(s);
}

static void test_serial_fifo(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_outb(s, COM1 + FCR, 0x07);
    g_assert_cmphex(qtest_inb(s, COM1 + IIR), ==, 0xc1);    /* FIFOs enabled */
    qtest_outb(s, COM1 + MCR, 0x10);
    for (int i = 0; i < 4; i++) {
        qtest_outb(s, COM1 + RBR, '0' + i);
    }
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(qtest_inb(s, COM1 + RBR), ==, '0' + i);
    }
    qtest_outb(s, COM1 + FCR, 0x00);
    g_assert_cmphex(qtest_inb(s, COM1 + IIR), ==, 0x01);
    qtest_quit(s);
}

static void test_serial_thre_irq(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_irq_intercept_in(s, "ioapic");
    qtest_outb(s, COM1 + IER, 0x02);
    g_assert_true(qtest_get_irq(s, 4));
    g_assert_cmphex(qtest_inb(s, COM1 + IIR), ==, 0x02);
    g_assert_false(qtest_get_irq(s, 4));
    qtest_quit(s);
}

/* ---- i8042 ---- */

static void test_i8042_self_test(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_irq_intercept_in(s, "ioapic");
    qtest_outb(s, 0x64, 0xaa);
    g_assert_cmphex(qtest_inb(s, 0x64) & 0x01, ==, 0x01);   /* output buffer full */
    g_assert_true(qtest_get_irq(s, 1));
    g_assert_cmphex(qtest_inb(s, 0x60), ==, 0x55);
    g_assert_false(qtest_get_irq(s, 1));
    qtest_outb(s, 0x64, 0xab);                               /* keyboard interface test */
    g_assert_cmphex(qtest_inb(s, 0x60), ==, 0x00);
    qtest_quit(s);
}

/* ---- port 0x92 ---- */

static void test_port92_a20(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_outb(s, 0x92, 0x02);
    g_assert_cmphex(qtest_inb(s, 0x92) & 0x02, ==, 0x02);
    qtest_outb(s, 0x92, 0x00);
    g_assert_cmphex(qtest_inb(s, 0x92) & 0x02, ==, 0x00);
    qtest_quit(s);
}

/* ---- ACPI PM (PIIX4 layout at 0x600) ---- */

#define PM_BASE 0x600
#define PM_TMR (PM_BASE + 8)

/* Reset leaves the PM block off (as QEMU's): put it at PM_BASE and turn
 * it on, as firmware does (PMBA 0x40, PMREGMISC 0x80 of PCI 00:01.3). */
static QTestState *pm_init(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_outl(s, 0xcf8, 0x80000b40);
    qtest_outl(s, 0xcfc, PM_BASE | 1);
    qtest_outl(s, 0xcf8, 0x80000b80);
    qtest_outb(s, 0xcfc, 0x01);
    return s;
}

/* ACPI 6.5, 4.8.3.3: the PM timer counts at 3.579545 MHz. */
static void test_pm_timer_rate(void)
{
    QTestState *s = pm_init();
    g_assert_cmphex(qtest_inl(s, PM_TMR), ==, 0);           /* virtual time 0 */
    int64_t steps[] = { 1000, 279, 1000000, 123456789, 1000000000 };
    int64_t now = 0;
    for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
        now = qtest_clock_step(s, steps[i]);
        uint32_t want = (uint32_t)((unsigned __int128)now * 3579545 / 1000000000) & 0xffffff;
        g_assert_cmphex(qtest_inl(s, PM_TMR), ==, want);
    }
    qtest_quit(s);
}

/* 24 bits: it wraps after 2^24 ticks (about 4.69 s). */
static void test_pm_timer_wraps(void)
{
    QTestState *s = pm_init();
    int64_t ns = (int64_t)((16777216ULL * 1000000000ULL + 3579544) / 3579545);
    qtest_clock_set(s, ns);
    g_assert_cmphex(qtest_inl(s, PM_TMR), <, 2);
    qtest_quit(s);
}

/* system_powerdown presses the power button: PWRBTN_STS (PM1a bit 8),
 * and SCI on IRQ 9 once PWRBTN_EN is set. */
static void test_powerdown(void)
{
    QTestState *s = pm_init();
    qtest_irq_intercept_in(s, "ioapic");
    g_free(qtest_qmp(s, "{\"execute\": \"system_powerdown\"}"));
    g_free(qtest_qmp_eventwait(s, "POWERDOWN"));
    g_assert_cmphex(qtest_inw(s, PM_BASE) & 0x100, ==, 0x100);
    g_assert_false(qtest_get_irq(s, 9));
    qtest_outw(s, PM_BASE + 2, 0x100);                       /* PWRBTN_EN */
    g_assert_true(qtest_get_irq(s, 9));
    qtest_outw(s, PM_BASE, 0x100);                           /* write 1 to clear */
    g_assert_cmphex(qtest_inw(s, PM_BASE) & 0x100, ==, 0);
    g_assert_false(qtest_get_irq(s, 9));
    qtest_quit(s);
}

/* Reset leaves the block off and PMBA = 1 (QEMU's values). */
static void test_pm_reset_off(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_outl(s, 0xcf8, 0x80000b40);
    g_assert_cmphex(qtest_inl(s, 0xcfc), ==, 0x1);
    g_assert_cmphex(qtest_inw(s, PM_BASE + 4), ==, 0xffff);   /* nothing there */
    qtest_quit(s);
}

/* SLP_TYP 0 + SLP_EN: soft-off ends the VM with SHUTDOWN, exit 0. */
static void test_soft_off(void)
{
    QTestState *s = pm_init();
    qtest_outw(s, PM_BASE + 4, 0x2000);
    g_autofree char *ev = qtest_qmp_eventwait(s, "SHUTDOWN");
    g_assert_nonnull(strstr(ev, "\"guest-shutdown\""));
    g_assert_cmpint(qtest_wait_exit(s), ==, 0);
    qtest_quit(s);
}

/* ---- pc-testdev ---- */

/* Its interrupt ports cover 24 lines but a PC has 16 ISA IRQs: QEMU
 * aborts on a write to 0x2010-0x2017; Tern ignores it and goes on. */
static void test_testdev_high_lines(void)
{
    QTestState *s = qtest_init(ARGS " -device pc-testdev");
    qtest_irq_intercept_in(s, "ioapic");
    for (uint16_t port = 0x2010; port < 0x2018; port++) {
        qtest_outb(s, port, 1);
    }
    qtest_outb(s, 0x2005, 1);                  /* a real line still works */
    g_autoptr(GPtrArray) lines = qtest_take_irq_lines(s);
    g_assert_cmpuint(lines->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(lines, 0), ==, "IRQ raise 5");
    qtest_quit(s);
}

/* ---- pvpanic ---- */

static void test_pvpanic(void)
{
    QTestState *s = qtest_init(ARGS " -device pvpanic -action panic=pause");
    g_assert_cmphex(qtest_inb(s, 0x505), ==, 0x03);   /* PANICKED | CRASH_LOADED supported */
    qtest_outb(s, 0x505, 0x01);
    g_autofree char *ev = qtest_qmp_eventwait(s, "GUEST_PANICKED");
    g_assert_nonnull(strstr(ev, "\"action\": \"pause\""));
    g_autofree char *st = qtest_qmp(s, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(strstr(st, "\"guest-panicked\""));
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/serial/reset-values", test_serial_reset_values);
    g_test_add_func("/qtest/serial/divisor", test_serial_divisor);
    g_test_add_func("/qtest/serial/loopback", test_serial_loopback);
    g_test_add_func("/qtest/serial/fifo", test_serial_fifo);
    g_test_add_func("/qtest/serial/thre-irq", test_serial_thre_irq);
    g_test_add_func("/qtest/i8042/self-test", test_i8042_self_test);
    g_test_add_func("/qtest/port92/a20", test_port92_a20);
    g_test_add_func("/qtest/pm/timer-rate", test_pm_timer_rate);
    g_test_add_func("/qtest/pm/timer-wraps", test_pm_timer_wraps);
    g_test_add_func("/qtest/pm/powerdown", test_powerdown);
    g_test_add_func("/qtest/pm/soft-off", test_soft_off);
    g_test_add_func("/qtest/pm/reset-off", test_pm_reset_off);
    g_test_add_func("/qtest/pc-testdev/high-lines", test_testdev_high_lines);
    g_test_add_func("/qtest/pvpanic/guest-panicked", test_pvpanic);
    return g_test_run();
}
