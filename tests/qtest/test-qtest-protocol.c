/* The qtest protocol itself: every command, QEMU 7.2's reply formats,
 * bad input, asynchronous IRQ lines, the manual clock, the log. A fresh
 * Tern per test. */
#include "libqtest.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define ARGS "-M pc -nodefaults -serial null"

static void expect(QTestState *s, const char *line, const char *reply)
{
    g_autofree char *r = qtest_raw(s, line);
    g_assert_cmpstr(r, ==, reply);
}

static void test_endianness(void)
{
    QTestState *s = qtest_init(ARGS);
    expect(s, "endianness", "OK little");
    qtest_quit(s);
}

/* Without /dev/kvm: qtest mode needs no KVM at all. */
static void test_no_kvm(void)
{
    g_setenv("TERN_KVM_DEVICE", "/nonexistent/kvm", TRUE);
    QTestState *s = qtest_init(ARGS);
    g_unsetenv("TERN_KVM_DEVICE");
    expect(s, "endianness", "OK little");
    qtest_quit(s);
}

/* In/out widths and QEMU's formats; unassigned ports read all ones. */
static void test_pio(void)
{
    QTestState *s = qtest_init(ARGS);
    expect(s, "outb 0x3ff 0x5a", "OK");           /* 16550A scratch register */
    expect(s, "inb 0x3ff", "OK 0x005a");
    expect(s, "inb 0x1234", "OK 0x00ff");
    expect(s, "inw 0x1234", "OK 0xffff");
    expect(s, "inl 0x1234", "OK 0xffffffff");
    expect(s, "outw 0x1234 0xffff", "OK");
    expect(s, "outl 0x1234 0xffffffff", "OK");
    g_assert_cmphex(qtest_inb(s, 0x3ff), ==, 0x5a);
    qtest_outb(s, 0x3ff, 0x1ff & 0xff);
    g_assert_cmphex(qtest_inb(s, 0x3ff), ==, 0xff);
    qtest_quit(s);
}

static void test_memory(void)
{
    QTestState *s = qtest_init(ARGS " -m 64");
    /* Every read width prints 16 hex digits, as QEMU 7.2. */
    expect(s, "writel 0x1000 0x12345678", "OK");
    expect(s, "readb 0x1000", "OK 0x0000000000000078");
    expect(s, "readw 0x1000", "OK 0x0000000000005678");
    expect(s, "readl 0x1000", "OK 0x0000000012345678");
    expect(s, "read 0x1000 4", "OK 0x78563412");
    expect(s, "b64read 0x1000 4", "OK eFY0Eg==");
    expect(s, "b64read 0x1000 0", "OK ");
    qtest_writeq(s, 0x2000, 0x0123456789abcdefULL);
    g_assert_cmphex(qtest_readq(s, 0x2000), ==, 0x0123456789abcdefULL);
    qtest_writew(s, 0x2002, 0xbeef);
    g_assert_cmphex(qtest_readl(s, 0x2000), ==, 0xbeefcdef);
    qtest_writeb(s, 0x2001, 0x11);
    g_assert_cmphex(qtest_readw(s, 0x2000), ==, 0x11ef);

    /* write pads with zeros past the data given. */
    expect(s, "write 0x3000 4 0x12", "OK");
    expect(s, "read 0x3000 4", "OK 0x12000000");
    uint8_t buf[300], back[300];
    for (guint i = 0; i < sizeof(buf); i++) {
        buf[i] = i * 7;
    }
    qtest_memwrite(s, 0x4000, buf, sizeof(buf));
    qtest_bufread(s, 0x4000, back, sizeof(back));
    g_assert_cmpmem(buf, sizeof(buf), back, sizeof(back));
    qtest_memset(s, 0x4000, 0xa5, 100);
    qtest_bufwrite(s, 0x4100, buf, 16);
    qtest_memread(s, 0x4000, back, sizeof(back));
    for (guint i = 0; i < 100; i++) {
        g_assert_cmphex(back[i], ==, 0xa5);
    }
    g_assert_cmpmem(back + 0x100, 16, buf, 16);
    expect(s, "memset 0x4000 0 0x55", "OK");

    /* Nothing there: reads 0, writes vanish (QEMU's unassigned memory). */
    expect(s, "readl 0xe0000000", "OK 0x0000000000000000");
    expect(s, "writel 0xe0000000 1", "OK");
    expect(s, "readq 0xffffffffffffffff", "OK 0x0000000000000000");
    expect(s, "read 0x3fffffe 4", "OK 0x00000000");   /* crosses the end of RAM */
    qtest_quit(s);
}

/* A large reply arrives whole (the socket buffer fills in between). */
static void test_large_read(void)
{
    QTestState *s = qtest_init(ARGS " -m 64");
    gsize len = 4 << 20;
    g_autofree uint8_t *buf = g_malloc(len);
    qtest_memset(s, 0x100000, 0x3c, len);
    qtest_bufread(s, 0x100000, buf, len);
    for (gsize i = 0; i < len; i += 4096) {
        g_assert_cmphex(buf[i], ==, 0x3c);
    }
    qtest_quit(s);
}

/* The clock starts at 0 and moves only when told, never backwards. */
static void test_clock(void)
{
    QTestState *s = qtest_init(ARGS);
    g_assert_cmpint(qtest_clock_step(s, 0), ==, 0);
    g_assert_cmpint(qtest_clock_step(s, 100), ==, 100);
    g_assert_cmpint(qtest_clock_set(s, 50), ==, 100);
    g_assert_cmpint(qtest_clock_set(s, 1000000), ==, 1000000);
    g_assert_cmpint(qtest_clock_step(s, -5), ==, 1000000);
    expect(s, "clock_step 0x10", "OK 1000016");
    /* Without NS: to the next timer deadline, if any. */
    g_assert_cmpint(qtest_clock_step_next(s), >=, 1000016);
    qtest_quit(s);

    /* No timer armed at all: clock_step without NS stays put. */
    s = qtest_init("-M none");
    g_assert_cmpint(qtest_clock_step_next(s), ==, 0);
    qtest_quit(s);
}

/* Malformed lines: QEMU 7.2 aborts on most; Tern answers and lives on. */
static void test_bad_input(void)
{
    static const char *const cases[][2] = {
        { "foo", "FAIL Unknown command 'foo'" },
        { "OUTB 0x80 1", "FAIL Unknown command 'OUTB'" },
        { "", "FAIL Unknown command ''" },
        { "outb", "FAIL Missing argument" },
        { "outb 0x80", "FAIL Missing argument" },
        { "outb zz 1", "FAIL Invalid number 'zz'" },
        { "outb  0x80 1", "FAIL Invalid number ''" },
        { "outb 0x10000 1", "FAIL Port 0x10000 out of range" },
        { "inl 0x10000", "FAIL Port 0x10000 out of range" },
        { "readb", "FAIL Missing argument" },
        { "readl 0x12g", "FAIL Invalid number '0x12g'" },
        { "read 0 0", "FAIL Invalid length 0" },
        { "read 0 0xffffffffffff", "FAIL Invalid length 0xffffffffffff" },
        { "write 0 4", "FAIL Missing argument" },
        { "write 0 2 0x", "ERR invalid argument size" },
        { "b64write 0 4 AQ", "ERR invalid argument size" },
        { "memset 0 4", "FAIL Missing argument" },
        { "clock_step x", "FAIL Invalid number 'x'" },
        { "clock_set", "FAIL Missing argument" },
        { "irq_intercept_in", "FAIL Missing argument" },
        { "irq_intercept_in /nonexistent", "FAIL Unknown device" },
        { "irq_intercept_in /machine/ioapic", "FAIL Unknown device" },
        { "set_irq_in ioapic", "FAIL Missing argument" },
        { "set_irq_in nope unnamed-gpio-in 3 1", "FAIL Unknown device" },
        { "set_irq_in ioapic foo 3 1", "FAIL Unknown GPIO 'foo'" },
        { "set_irq_in ioapic unnamed-gpio-in 24 1", "FAIL GPIO 24 out of range" },
        /* Accepted as QEMU accepts them. */
        { "inb 0x80 extra", "OK 0x00ff" },
        { "outb 0x80 0x1ff", "OK" },
        { "write 0 3 0xzz", "OK" },
        { "memset 0 0 1", "OK" },
    };
    QTestState *s = qtest_init(ARGS);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        expect(s, cases[i][0], cases[i][1]);
    }
    expect(s, "endianness", "OK little");
    qtest_quit(s);
}

/* IRQ lines: reported on change only, before the command's own reply;
 * intercepting is once per session. */
static void test_irq(void)
{
    QTestState *s = qtest_init(ARGS);
    expect(s, "irq_intercept_in ioapic", "OK");
    expect(s, "irq_intercept_in /machine/i440fx/ioapic", "OK");
    expect(s, "irq_intercept_out i440fx/ioapic", "OK");
    expect(s, "irq_intercept_in /machine/peripheral-anon", "FAIL IRQ intercept already enabled");
    g_ptr_array_unref(qtest_take_irq_lines(s));
    qtest_set_irq_in(s, "ioapic", "unnamed-gpio-in", 10, 1);
    g_assert_true(qtest_get_irq(s, 10));
    qtest_set_irq_in(s, "ioapic", "unnamed-gpio-in", 10, 1);
    qtest_set_irq_in(s, "ioapic", "unnamed-gpio-in", 10, 0);
    g_assert_false(qtest_get_irq(s, 10));
    qtest_set_irq_in(s, "ioapic", "unnamed-gpio-in", 23, 1);
    g_autoptr(GPtrArray) lines = qtest_take_irq_lines(s);
    g_assert_cmpuint(lines->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(lines, 0), ==, "IRQ raise 10");
    g_assert_cmpstr(g_ptr_array_index(lines, 1), ==, "IRQ lower 10");
    g_assert_cmpstr(g_ptr_array_index(lines, 2), ==, "IRQ raise 23");

    /* A device's line: the serial port's THRE interrupt on ISA IRQ 4. */
    qtest_outb(s, 0x3fc, 0x08);      /* MCR.OUT2 */
    g_assert_false(qtest_get_irq(s, 4));
    qtest_outb(s, 0x3f9, 0x02);      /* IER.ETBEI: THR is empty */
    g_assert_true(qtest_get_irq(s, 4));
    g_assert_cmphex(qtest_inb(s, 0x3fa), ==, 0x02);   /* IIR: THRE, cleared by the read */
    g_assert_false(qtest_get_irq(s, 4));
    qtest_quit(s);
}

static void test_not_intercepted(void)
{
    QTestState *s = qtest_init(ARGS);
    qtest_set_irq_in(s, "ioapic", "unnamed-gpio-in", 5, 1);
    g_autoptr(GPtrArray) lines = qtest_take_irq_lines(s);
    g_assert_cmpuint(lines->len, ==, 0);
    qtest_quit(s);
}

/* QEMU's status in qtest mode: running, or prelaunch with -S. */
static void test_qmp_status(void)
{
    QTestState *s = qtest_init(ARGS);
    g_autofree char *st = qtest_qmp(s, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(strstr(st, "\"status\": \"running\""));
    qtest_quit(s);
    s = qtest_init(ARGS " -S");
    g_autofree char *st2 = qtest_qmp(s, "{\"execute\": \"query-status\"}");
    g_assert_nonnull(strstr(st2, "\"status\": \"prelaunch\""));
    qtest_quit(s);
}

/* -accel qtest as the last of several, and as -machine accel=qtest. */
static void test_accel_spellings(void)
{
    QTestState *s = qtest_init(ARGS " -accel kvm");
    expect(s, "clock_step 5", "OK 5");
    qtest_quit(s);
    s = qtest_init("-machine pc,accel=qtest -nodefaults");
    expect(s, "clock_step 7", "OK 7");
    qtest_quit(s);
}

/* QEMU's log format: "[R +secs] line", "[S +secs] reply", "[I secs] OPENED". */
static void test_log(void)
{
    g_autofree char *dir = g_dir_make_tmp("tern-qtest-log-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "qtest.log", NULL);
    QTestState *s = qtest_init_with_log(ARGS, path);
    expect(s, "inb 0x3ff", "OK 0x0000");
    expect(s, "b64write 0 4 AQIDBAUG", "OK");
    qtest_quit(s);
    g_autofree char *log = NULL;
    g_assert_true(g_file_get_contents(path, &log, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
    g_assert_true(g_str_has_prefix(lines[0], "[I 0."));
    g_assert_true(g_str_has_suffix(lines[0], "] OPENED"));
    g_assert_true(g_regex_match_simple("^\\[R \\+[0-9]+\\.[0-9]{6}\\] endianness$", lines[1], 0, 0));
    g_assert_true(g_regex_match_simple("^\\[S \\+[0-9]+\\.[0-9]{6}\\] OK little$", lines[2], 0, 0));
    g_assert_nonnull(strstr(log, "] inb 0x3ff\n"));
    g_assert_nonnull(strstr(log, "] OK 0x0000\n"));
    g_assert_nonnull(strstr(log, "] b64write: data length mismatch (told 4, found 6)\n"));
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qtest/protocol/endianness", test_endianness);
    g_test_add_func("/qtest/protocol/no-kvm", test_no_kvm);
    g_test_add_func("/qtest/protocol/pio", test_pio);
    g_test_add_func("/qtest/protocol/memory", test_memory);
    g_test_add_func("/qtest/protocol/large-read", test_large_read);
    g_test_add_func("/qtest/protocol/clock", test_clock);
    g_test_add_func("/qtest/protocol/bad-input", test_bad_input);
    g_test_add_func("/qtest/protocol/irq", test_irq);
    g_test_add_func("/qtest/protocol/irq-not-intercepted", test_not_intercepted);
    g_test_add_func("/qtest/protocol/qmp-status", test_qmp_status);
    g_test_add_func("/qtest/protocol/accel-spellings", test_accel_spellings);
    g_test_add_func("/qtest/protocol/log", test_log);
    return g_test_run();
}
