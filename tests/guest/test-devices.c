/* The PC legacy devices, driven through the machine's port I/O space the
 * way a guest driver would (vCPUs held in prelaunch with -S). */
#include "board/acpi.h"
#include "board/pc.h"
#include "board.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    MachineConfig *cfg;
    Machine *m;
    int peer;          /* host end of COM1's chardev */
} DevBoard;

/* COM1 is wired to a socketpair; the test holds the host end. */
static void dev_board_init(DevBoard *b, const char *const *extra)
{
    int sv[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    b->peer = sv[0];
    g_autofree char *chr = g_strdup_printf("socket,id=com1,fd=%d", sv[1]);
    const char *const base[] = { "-M", "pc", "-m", "64", "-smp", "2", "-nodefaults", "-S",
                                 "-chardev", chr, "-serial", "chardev:com1", NULL };
    Board board;
    board_init_args(&board, base, extra);
    b->cfg = board.cfg;
    b->m = board.m;
}

static void dev_board_free(DevBoard *b)
{
    machine_free(b->m);
    machine_config_free(b->cfg);
    close(b->peer);
}

static uint8_t inb(DevBoard *b, uint16_t port)
{
    uint64_t v;
    address_space_read(b->m->pio, port, &v, 1);
    return v;
}

static uint32_t inl(DevBoard *b, uint16_t port)
{
    uint64_t v;
    address_space_read(b->m->pio, port, &v, 4);
    return v;
}

static void outb(DevBoard *b, uint16_t port, uint8_t v)
{
    address_space_write(b->m->pio, port, v, 1);
}

#define COM1 0x3f8

/* /serial/tx: bytes written to THR reach the chardev; THRE stays set. */
static void test_serial_tx(void)
{
    DevBoard b;
    dev_board_init(&b, NULL);
    g_assert_cmphex(inb(&b, COM1 + 5) & 0x60, ==, 0x60);
    for (const char *p = "hi!"; *p; p++) {
        outb(&b, COM1, *p);
    }
    char buf[8] = { 0 };
    g_assert_cmpint(read(b.peer, buf, sizeof(buf)), ==, 3);
    g_assert_cmpstr(buf, ==, "hi!");
    dev_board_free(&b);
}

/* /serial/iir/thri: enabling THRI with THR empty raises it; reading IIR clears it. */
static void test_serial_thri(void)
{
    DevBoard b;
    dev_board_init(&b, NULL);
    g_assert_cmphex(inb(&b, COM1 + 2), ==, 0x01);     /* no interrupt */
    outb(&b, COM1 + 1, 0x02);                         /* IER.ETBEI */
    g_assert_cmphex(inb(&b, COM1 + 2), ==, 0x02);     /* THRI, cleared by this read */
    g_assert_cmphex(inb(&b, COM1 + 2), ==, 0x01);
    outb(&b, COM1, 'x');                              /* THR empties again → THRI */
    g_assert_cmphex(inb(&b, COM1 + 2), ==, 0x02);
    outb(&b, COM1 + 2, 0x01);                         /* FIFO on: IIR bits 6-7 */
    g_assert_cmphex(inb(&b, COM1 + 2) & 0xc0, ==, 0xc0);
    dev_board_free(&b);
}

/* /serial/loopback: MCR.LOOP feeds TX back to RX and MCR into MSR. */
static void test_serial_loopback(void)
{
    DevBoard b;
    dev_board_init(&b, NULL);
    outb(&b, COM1 + 4, 0x10 | 0x02 | 0x01);           /* LOOP, RTS, DTR */
    g_assert_cmphex(inb(&b, COM1 + 6) & 0xf0, ==, 0x30); /* CTS, DSR */
    outb(&b, COM1, 0x5a);
    g_assert_cmphex(inb(&b, COM1 + 5) & 0x01, ==, 0x01);
    g_assert_cmphex(inb(&b, COM1), ==, 0x5a);
    g_assert_cmphex(inb(&b, COM1 + 5) & 0x01, ==, 0x00);
    dev_board_free(&b);
}

/* /serial/rx: bytes from the host arrive in the FIFO and raise RDI/CTI. */
static void test_serial_rx(void)
{
    DevBoard b;
    dev_board_init(&b, NULL);
    outb(&b, COM1 + 2, 0x01);                         /* FIFO on, trigger 1 */
    outb(&b, COM1 + 1, 0x01);                         /* IER.ERBFI */
    g_assert_cmpint(write(b.peer, "abc", 3), ==, 3);
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!(inb(&b, COM1 + 5) & 0x01) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, TRUE);
    }
    /* 3 bytes below trigger 1? No: 3 ≥ 1, so received-data-available. */
    g_assert_cmphex(inb(&b, COM1 + 2) & 0x0f, ==, 0x04);
    char got[4] = { 0 };
    for (int i = 0; i < 3; i++) {
        if (!(inb(&b, COM1 + 5) & 1)) {
            g_main_context_iteration(NULL, TRUE);
        }
        got[i] = inb(&b, COM1);
    }
    g_assert_cmpstr(got, ==, "abc");
    g_assert_cmphex(inb(&b, COM1 + 2) & 0x0f, ==, 0x01);
    dev_board_free(&b);
}

/* /serial/divisor: DLAB exposes the divisor latch instead of RBR/IER. */
static void test_serial_divisor(void)
{
    DevBoard b;
    dev_board_init(&b, NULL);
    outb(&b, COM1 + 3, 0x80);
    outb(&b, COM1, 0x01);
    outb(&b, COM1 + 1, 0x00);
    g_assert_cmphex(inb(&b, COM1), ==, 0x01);
    outb(&b, COM1 + 3, 0x03);
    g_assert_cmphex(inb(&b, COM1 + 1), ==, 0x00);     /* IER untouched */
    g_assert_cmphex(inb(&b, COM1 + 3), ==, 0x03);
    dev_board_free(&b);
}

/* /i8042/self-test and /i8042/reset */
static void test_i8042(void)
{
    DevBoard b;
    dev_board_init(&b, NULL);
    outb(&b, 0x64, 0xaa);
    g_assert_cmphex(inb(&b, 0x64) & 0x01, ==, 0x01);
    g_assert_cmphex(inb(&b, 0x60), ==, 0x55);
    g_assert_cmphex(inb(&b, 0x64) & 0x05, ==, 0x04);  /* buffer empty, system flag */
    outb(&b, 0x60, 0xff);                             /* keyboard reset */
    g_assert_cmphex(inb(&b, 0x60), ==, 0xfa);
    g_assert_cmphex(inb(&b, 0x60), ==, 0xaa);
    g_assert_cmpint(b.m->pending_reset, ==, 0);
    outb(&b, 0x64, 0xfe);                             /* pulse reset line */
    g_assert_cmpint(b.m->pending_reset, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    dev_board_free(&b);
}

/* /port92/reset: reads 0 at start as in QEMU; bit 1 (A20) reads back; a
 * 0→1 edge on bit 0 resets. */
static void test_port92(void)
{
    DevBoard b;
    dev_board_init(&b, NULL);
    g_assert_cmphex(inb(&b, 0x92), ==, 0x00);
    outb(&b, 0x92, 0x02);
    g_assert_cmphex(inb(&b, 0x92), ==, 0x02);
    outb(&b, 0x92, 0x00);
    g_assert_cmphex(inb(&b, 0x92), ==, 0x00);
    g_assert_cmpint(b.m->pending_reset, ==, 0);
    outb(&b, 0x92, 0x01);
    g_assert_cmpint(b.m->pending_reset, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    dev_board_free(&b);
}

/* /state/hostile: every board device's saved state, corrupted byte by
 * byte (all ones, which puts every field out of its range), is either
 * refused or loaded into something the device can run on: no crash, and
 * the registers still answer. The HPET and the PIT must refuse it. */
static void test_hostile_state(void)
{
    const char *extra[] = { "-accel", "qtest", "-device", "pvpanic", "-device", "pc-testdev",
                            NULL };
    DevBoard b;
    dev_board_init(&b, extra);
    g_mutex_lock(&b.m->lock);
    for (guint i = 0; i < b.m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(b.m->devices, i);
        const StateDescription *desc = d->info->state;
        if (!desc || !desc->fields[0].name) {
            continue;   /* nothing saved (pvpanic) */
        }
        g_autoptr(GByteArray) saved = g_byte_array_new();
        vmstate_save(desc, d, saved);
        g_autoptr(GByteArray) bad = g_byte_array_new();
        g_byte_array_append(bad, saved->data, saved->len);
        memset(bad->data, 0xff, bad->len);
        g_autoptr(GError) err = NULL;
        bool ok = vmstate_load(desc, d, desc->version, bad->data, bad->len, &err);
        g_test_message("%s: %s", d->info->name, ok ? "loaded" : err->message);
        if (!strcmp(d->info->name, "hpet") || !strcmp(d->info->name, "isa-pit")) {
            g_assert_false(ok);
        }
        /* Truncated streams are refused. */
        g_clear_error(&err);
        g_assert_false(vmstate_load(desc, d, desc->version, saved->data, saved->len / 2, &err) &&
                       saved->len > 1);
        g_clear_error(&err);
        g_assert_true(vmstate_load(desc, d, desc->version, saved->data, saved->len, &err));
    }
    machine_reset(b.m, SHUTDOWN_CAUSE_GUEST_RESET);
    g_mutex_unlock(&b.m->lock);
    g_assert_cmphex(inb(&b, 0x3fd) & 0x60, ==, 0x60);   /* COM1 LSR: THR empty */
    dev_board_free(&b);
}

/* /pio/unassigned: nothing at a port reads as all ones. */
static void test_unassigned(void)
{
    DevBoard b;
    dev_board_init(&b, NULL);
    g_assert_cmphex(inb(&b, 0x2f8), ==, 0xff);        /* no COM2 */
    g_assert_cmphex(inl(&b, 0xcfc), ==, 0xffffffff);
    dev_board_free(&b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_file_test("/dev/kvm", G_FILE_TEST_EXISTS)) {
        g_test_skip("no /dev/kvm");
        return g_test_run();
    }
    g_test_add_func("/serial/tx", test_serial_tx);
    g_test_add_func("/serial/iir/thri", test_serial_thri);
    g_test_add_func("/serial/loopback", test_serial_loopback);
    g_test_add_func("/serial/rx", test_serial_rx);
    g_test_add_func("/serial/divisor", test_serial_divisor);
    g_test_add_func("/i8042/self-test-and-reset", test_i8042);
    g_test_add_func("/port92/reset", test_port92);
    g_test_add_func("/pio/unassigned", test_unassigned);
    g_test_add_func("/state/hostile", test_hostile_state);
    return g_test_run();
}
