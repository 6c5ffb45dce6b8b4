/* PCI configuration space of the pc board (i440FX 00.0, PIIX3 01.0,
 * PIIX3 IDE 01.1, PIIX4 PM 01.3), through configuration mechanism #1 at
 * 0xcf8/0xcfc the way a guest reaches it (vCPUs held in prelaunch with
 * -S), compared with QEMU 7.2.
 *
 * The expected bytes are QEMU 7.2's (Debian 1:7.2+dfsg), dumped with its
 * qtest protocol, 64 times per function:
 *   printf 'outl 0xcf8 0x8000XX00\ninl 0xcfc\n...' |
 *   qemu-system-x86_64 -M pc -accel tcg -S -nodefaults -display none -qtest stdio
 * Tern differs on purpose in one place, listed in tern_differences. */
#include "board/acpi.h"
#include "board/pc.h"
#include "board.h"
#include "board/pci.h"

#include <string.h>

/* ---- QEMU 7.2's configuration spaces at reset ---- */

static const uint8_t qemu_i440fx[256] = {
    0x86, 0x80, 0x37, 0x12, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x1a, 0x00, 0x11,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t qemu_piix3[256] = {
    0x86, 0x80, 0x00, 0x70, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x06, 0x00, 0x00, 0x80, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x1a, 0x00, 0x11,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4d, 0x00, 0x03, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x80, 0x80, 0x80, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t qemu_piix3_ide[256] = {
    0x86, 0x80, 0x10, 0x70, 0x00, 0x00, 0x80, 0x02, 0x00, 0x80, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x1a, 0x00, 0x11,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t qemu_piix4_pm[256] = {
    0x86, 0x80, 0x13, 0x71, 0x00, 0x00, 0x80, 0x02, 0x03, 0x00, 0x80, 0x06, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x1a, 0x00, 0x11,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0xb1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* The device-specific bytes QEMU 7.2's system reset puts back (found by
 * writing 0xa5 everywhere, then `outb 0xcf9 0x06`); all others keep what
 * the guest wrote. The header's writable registers always reset. */
static const uint8_t piix3_reset_regs[] = {
    0x4c, 0x4e, 0x4f, 0x60, 0x61, 0x62, 0x63, 0x69, 0x70, 0x76, 0x77, 0x78, 0x79,
    0x80, 0x82, 0xa0, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xaa, 0xab, 0xac, 0xae, 0,
};
static const uint8_t piix4_pm_reset_regs[] = { 0x40, 0x58, 0x59, 0x5a, 0x5b,
                                               0x80, 0 };

/* Bytes where Tern's machine is not QEMU's, on purpose. */
typedef struct {
    unsigned devfn, off;
    uint8_t tern;
    const char *why;
} Difference;

static const Difference tern_differences[] = {
    /* Tern has no SMM: it is QEMU's -M pc,smm=off, whose PIIX4 sets
     * DEVACTB's APMC_EN so that SeaBIOS skips its SMM set-up. */
    { PCI_DEVFN(1, 3), 0x5b, 0x02, "DEVACTB: APMC_EN, as QEMU with smm=off" },
};

typedef struct {
    const char *name;
    unsigned devfn;
    const uint8_t *qemu;
    const uint8_t *reset_regs;      /* 0-terminated */
    unsigned bar_off, bar_size;     /* an I/O BAR, if any */
} PciFunc;

static const PciFunc funcs[] = {
    { "i440fx", PCI_DEVFN(0, 0), qemu_i440fx, (const uint8_t[]){ 0 } },
    { "piix3", PCI_DEVFN(1, 0), qemu_piix3, piix3_reset_regs },
    { "piix3-ide", PCI_DEVFN(1, 1), qemu_piix3_ide, (const uint8_t[]){ 0 }, 0x20, 16 },
    { "piix4-pm", PCI_DEVFN(1, 3), qemu_piix4_pm, piix4_pm_reset_regs },
};

/* What Tern should read at reset: QEMU's byte unless listed above. */
static uint8_t expected_byte(const PciFunc *f, unsigned off)
{
    for (guint i = 0; i < G_N_ELEMENTS(tern_differences); i++) {
        const Difference *d = &tern_differences[i];
        if (d->devfn == f->devfn && d->off == off) {
            return d->tern;
        }
    }
    return f->qemu[off];
}

static bool is_reset_reg(const PciFunc *f, unsigned off)
{
    for (const uint8_t *r = f->reset_regs; *r; r++) {
        if (*r == off) {
            return true;
        }
    }
    return false;
}

/* QEMU 7.2's write masks (from writing all ones, then all zeros, to each
 * dword): COMMAND 0x0507, CACHE_LINE_SIZE, INTERRUPT_LINE, implemented
 * BAR bits and every device-specific byte. */
static uint8_t qemu_wmask(const PciFunc *f, unsigned off)
{
    if (off >= 0x40 || off == PCI_CACHE_LINE_SIZE || off == PCI_INTERRUPT_LINE) {
        return 0xff;
    }
    if (off == PCI_COMMAND) {
        return 0x07;
    }
    if (off == PCI_COMMAND + 1) {
        return 0x05;
    }
    if (f->bar_size && off >= f->bar_off && off < f->bar_off + 4) {
        return (uint8_t)((~(f->bar_size - 1) & ~3u) >> (8 * (off - f->bar_off)));
    }
    return 0;
}

/* ---- the board ---- */

static const char *const board_args[] = { "-m", "64", NULL };

static uint32_t in(Board *b, uint16_t port, unsigned size)
{
    return board_in(b, port, size);
}

static void out(Board *b, uint16_t port, uint32_t v, unsigned size)
{
    board_out(b, port, v, size);
}

/* Mechanism #1: CONFIG_ADDRESS selects the dword, the data port's byte
 * lanes the bytes within it. */
static uint32_t cfg_read(Board *b, unsigned devfn, unsigned off, unsigned size)
{
    out(b, 0xcf8, 0x80000000u | devfn << 8 | (off & 0xfc), 4);
    return in(b, 0xcfc + (off & 3), size);
}

static void cfg_write(Board *b, unsigned devfn, unsigned off, uint32_t v, unsigned size)
{
    out(b, 0xcf8, 0x80000000u | devfn << 8 | (off & 0xfc), 4);
    out(b, 0xcfc + (off & 3), v, size);
}

static void read_space(Board *b, unsigned devfn, uint8_t *buf)
{
    for (unsigned off = 0; off < 256; off += 4) {
        uint32_t v = cfg_read(b, devfn, off, 4);
        memcpy(buf + off, &v, 4);
    }
}

static void assert_space(const char *what, const uint8_t *got, const uint8_t *want)
{
    for (unsigned i = 0; i < 256; i++) {
        if (got[i] != want[i]) {
            g_test_message("%s: byte 0x%02x is 0x%02x, expected 0x%02x", what, i, got[i],
                           want[i]);
        }
    }
    g_assert_cmpmem(got, 256, want, 256);
}

/* /pci/qemu-defaults/<fn>: every byte at reset is QEMU 7.2's. */
static void test_defaults(gconstpointer data)
{
    const PciFunc *f = data;
    Board b;
    board_init(&b, board_args);
    uint8_t got[256], want[256];
    read_space(&b, f->devfn, got);
    for (unsigned i = 0; i < 256; i++) {
        want[i] = expected_byte(f, i);
    }
    assert_space(f->name, got, want);
    /* Byte and word reads agree with the dwords. */
    for (unsigned off = 0; off < 256; off++) {
        g_assert_cmphex(cfg_read(&b, f->devfn, off, 1), ==, got[off]);
        if (!(off & 1)) {
            g_assert_cmphex(cfg_read(&b, f->devfn, off, 2), ==, got[off] | got[off + 1] << 8);
        }
    }
    board_free(&b);
}

/* /pci/write-masks/<fn>: all ones, then all zeros, into each dword read
 * back through QEMU's masks; identity bytes never change. */
static void test_write_masks(gconstpointer data)
{
    const PciFunc *f = data;
    Board b;
    board_init(&b, board_args);
    uint8_t base[256];
    read_space(&b, f->devfn, base);
    for (unsigned off = 0; off < 256; off += 4) {
        cfg_write(&b, f->devfn, off, 0xffffffff, 4);
        uint32_t ones = cfg_read(&b, f->devfn, off, 4);
        cfg_write(&b, f->devfn, off, 0, 4);
        uint32_t zeros = cfg_read(&b, f->devfn, off, 4);
        for (unsigned i = 0; i < 4; i++) {
            uint8_t wm = qemu_wmask(f, off + i);
            g_assert_cmphex((ones >> (8 * i)) & 0xff, ==, (base[off + i] & ~wm) | wm);
            g_assert_cmphex((zeros >> (8 * i)) & 0xff, ==, base[off + i] & ~wm);
        }
    }
    board_free(&b);
}

/* /pci/reset/<fn>: after 0xa5 everywhere and a system reset, the header
 * and the registers QEMU resets are back, the rest keep 0xa5. */
static void test_reset(gconstpointer data)
{
    const PciFunc *f = data;
    Board b;
    board_init(&b, board_args);
    for (unsigned off = 4; off < 256; off += 4) {
        cfg_write(&b, f->devfn, off, 0xa5a5a5a5, 4);
    }
    g_mutex_lock(&b.m->lock);
    machine_reset(b.m, SHUTDOWN_CAUSE_GUEST_RESET);
    g_mutex_unlock(&b.m->lock);
    uint8_t got[256], want[256];
    read_space(&b, f->devfn, got);
    for (unsigned i = 0; i < 256; i++) {
        want[i] = i < PCI_STD_HEADER_SIZEOF || is_reset_reg(f, i) ? expected_byte(f, i) : 0xa5;
    }
    assert_space(f->name, got, want);
    board_free(&b);
}

/* /pci/absent: functions nobody implements, type 1 cycles (bus 1) and
 * accesses without the enable bit read all ones (spec 3.2.2.3.2). */
static void test_absent(void)
{
    Board b;
    board_init(&b, board_args);
    const unsigned absent[] = { PCI_DEVFN(0, 1), PCI_DEVFN(0, 7), PCI_DEVFN(1, 2),
                                PCI_DEVFN(2, 0), PCI_DEVFN(31, 7) };
    for (guint i = 0; i < G_N_ELEMENTS(absent); i++) {
        g_assert_cmphex(cfg_read(&b, absent[i], 0, 4), ==, 0xffffffff);
        g_assert_cmphex(cfg_read(&b, absent[i], 2, 2), ==, 0xffff);
        g_assert_cmphex(cfg_read(&b, absent[i], 3, 1), ==, 0xff);
        cfg_write(&b, absent[i], 0x40, 0, 4);
        g_assert_cmphex(cfg_read(&b, absent[i], 0x40, 4), ==, 0xffffffff);
    }
    out(&b, 0xcf8, 0x80010000, 4);                    /* bus 1, 00.0 */
    g_assert_cmphex(in(&b, 0xcfc, 4), ==, 0xffffffff);
    out(&b, 0xcf8, 0x00000000, 4);                    /* enable bit clear */
    g_assert_cmphex(in(&b, 0xcfc, 4), ==, 0xffffffff);
    out(&b, 0xcf8, 0x81000000, 4);                    /* reserved bits 30:24 ignored */
    g_assert_cmphex(in(&b, 0xcfc, 4), ==, 0x12378086);
    board_free(&b);
}

/* /pci/config-address: only 32-bit writes latch 0xcf8; narrower reads
 * return its low bytes; 0xcf9 belongs to the PIIX3 (QEMU 7.2). */
static void test_config_address(void)
{
    Board b;
    board_init(&b, board_args);
    g_assert_cmphex(in(&b, 0xcf8, 4), ==, 0);
    out(&b, 0xcf8, 0x80000002, 4);
    g_assert_cmphex(in(&b, 0xcf8, 4), ==, 0x80000002);
    out(&b, 0xcf8, 0x1234, 2);
    out(&b, 0xcfb, 0, 1);
    g_assert_cmphex(in(&b, 0xcf8, 4), ==, 0x80000002);
    g_assert_cmphex(in(&b, 0xcf8, 2), ==, 0x0002);
    g_assert_cmphex(in(&b, 0xcfa, 1), ==, 0x02);
    g_assert_cmphex(in(&b, 0xcf9, 1), ==, 0x00);     /* the reset control register */
    board_free(&b);
}

/* /pci/unaligned: QEMU 7.2 ORs CONFIG_ADDRESS bits 1:0 into the offset and
 * splits unaligned data-port accesses into aligned pieces; same replies. */
static void test_unaligned(void)
{
    Board b;
    board_init(&b, board_args);
    out(&b, 0xcf8, 0x80000001, 4);
    g_assert_cmphex(in(&b, 0xcfc, 4), ==, 0x00123780);
    g_assert_cmphex(in(&b, 0xcfe, 2), ==, 0x0012);
    out(&b, 0xcf8, 0x8000002f, 4);
    g_assert_cmphex(in(&b, 0xcfc, 4), ==, 0x00000011);
    g_assert_cmphex(in(&b, 0xcfd, 2), ==, 0x1111);
    out(&b, 0xcf8, 0x80000003, 4);
    g_assert_cmphex(in(&b, 0xcfd, 4), ==, 0xff001212);
    out(&b, 0xcf8, 0x8000087c, 4);
    out(&b, 0xcfd, 0x11223344, 4);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(1, 0), 0x7c, 4), ==, 0x22334400);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(1, 0), 0x80, 4), ==, 0);
    /* Past the end of the space: only the bytes inside, zero above. */
    cfg_write(&b, PCI_DEVFN(1, 0), 0xfc, 0xaabbccdd, 4);
    out(&b, 0xcf8, 0x800008fe, 4);
    g_assert_cmphex(in(&b, 0xcfc, 4), ==, 0xaabb);
    board_free(&b);
}

/* /pci/status-w1c: the status error bits clear where a 1 is written;
 * DEVSEL timing is read-only. */
static void test_status_w1c(void)
{
    Board b;
    board_init(&b, board_args);
    PciDevice *d = pci_bus_find(b.m, PCI_DEVFN(1, 0));
    g_assert_nonnull(d);
    d->config[PCI_STATUS + 1] |= 0xf9;                /* as if errors were seen */
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(1, 0), PCI_STATUS, 2), ==, 0xfb00);
    cfg_write(&b, PCI_DEVFN(1, 0), PCI_STATUS, 0x2100, 2);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(1, 0), PCI_STATUS, 2), ==, 0xda00);
    cfg_write(&b, PCI_DEVFN(1, 0), PCI_STATUS, 0, 2);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(1, 0), PCI_STATUS, 2), ==, 0xda00);
    cfg_write(&b, PCI_DEVFN(1, 0), PCI_STATUS, 0xffff, 2);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(1, 0), PCI_STATUS, 2), ==, 0x0200);
    board_free(&b);
}

/* /pci/find: the functions of the board by devfn. */
static void test_find(void)
{
    Board b;
    board_init(&b, board_args);
    g_assert_nonnull(pci_root_bus(b.m));
    const struct { unsigned devfn; const char *type; } want[] = {
        { PCI_DEVFN(0, 0), "i440FX" }, { PCI_DEVFN(1, 0), "PIIX3" },
        { PCI_DEVFN(1, 1), "piix3-ide" }, { PCI_DEVFN(1, 3), "PIIX4_PM" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        PciDevice *d = pci_bus_find(b.m, want[i].devfn);
        g_assert_nonnull(d);
        g_assert_cmpstr(d->parent.info->name, ==, want[i].type);
        g_assert_cmpint(d->devfn, ==, want[i].devfn);
    }
    g_assert_null(pci_bus_find(b.m, PCI_DEVFN(2, 0)));
    board_free(&b);
}

/* /piix3/reset-control: SRST reads back; RCPU resets the machine
 * (82371SB RCR at 0xcf9). */
static void test_piix3_rcr(void)
{
    Board b;
    board_init(&b, board_args);
    out(&b, 0xcf9, 0x02, 1);
    g_assert_cmphex(in(&b, 0xcf9, 1), ==, 0x02);
    out(&b, 0xcf9, 0x0b, 1);                          /* other bits do not stick */
    g_assert_cmphex(in(&b, 0xcf9, 1), ==, 0x02);
    g_assert_cmpint(b.m->pending_reset, ==, 0);
    out(&b, 0xcf9, 0x06, 1);
    g_assert_cmpint(b.m->pending_reset, ==, SHUTDOWN_CAUSE_GUEST_RESET);
    board_free(&b);
}

/* /piix3/elcr: IRQ 0, 1, 2, 8 and 13 stay edge-triggered. */
static void test_piix3_elcr(void)
{
    Board b;
    board_init(&b, board_args);
    g_assert_cmphex(in(&b, 0x4d0, 1), ==, 0x00);
    g_assert_cmphex(in(&b, 0x4d1, 1), ==, 0x00);
    out(&b, 0x4d0, 0xff, 1);
    out(&b, 0x4d1, 0xff, 1);
    g_assert_cmphex(in(&b, 0x4d0, 1), ==, 0xf8);
    g_assert_cmphex(in(&b, 0x4d1, 1), ==, 0xde);
    /* Each ELCR is a byte register that takes any access starting at
     * its port: QEMU 7.2 feeds a 16-bit write to 0x4d0 byte by byte into
     * ELCR1 (the last byte wins) and a 16-bit read returns ELCR1 twice. */
    out(&b, 0x4d0, 0x0e20, 2);
    g_assert_cmphex(in(&b, 0x4d0, 2), ==, 0x0808);
    g_assert_cmphex(in(&b, 0x4d1, 1), ==, 0xde);
    board_free(&b);
}

/* /piix4-pm/pmba: the PM block follows PMBA while PMREGMISC enables it. */
static void test_pm_pmba(void)
{
    Board b;
    board_init(&b, board_args);
    const unsigned pm = PCI_DEVFN(1, 3);
    g_assert_cmphex(in(&b, ACPI_PM_BASE + 4, 2), ==, 0xffff);  /* off at reset */
    cfg_write(&b, pm, 0x40, ACPI_PM_BASE | 1, 4);
    cfg_write(&b, pm, 0x80, 1, 1);
    g_assert_cmphex(in(&b, ACPI_PM_BASE + 4, 2) & 1, ==, 1);   /* SCI_EN */
    cfg_write(&b, pm, 0x40, 0x701, 4);
    g_assert_cmphex(in(&b, ACPI_PM_BASE + 4, 2), ==, 0xffff);
    g_assert_cmphex(in(&b, 0x704, 2) & 1, ==, 1);
    cfg_write(&b, pm, 0x80, 0, 1);                    /* PMIOSE off */
    g_assert_cmphex(in(&b, 0x704, 2), ==, 0xffff);
    cfg_write(&b, pm, 0x40, ACPI_PM_BASE | 1, 4);
    cfg_write(&b, pm, 0x80, 1, 1);
    g_assert_cmphex(in(&b, ACPI_PM_BASE + 4, 2) & 1, ==, 1);
    board_free(&b);
}

static GByteArray *save_function(PciDevice *d)
{
    GByteArray *out = g_byte_array_new();
    vmstate_save(d->parent.info->state, d, out);
    return out;
}

static bool load_function(PciDevice *d, GByteArray *in, GError **errp)
{
    const StateDescription *desc = d->parent.info->state;
    return vmstate_load(desc, d, desc->version, in->data, in->len, errp);
}

/* /pci/vmstate: the config bytes travel with the device state, loading
 * re-applies their effect (the PM block moves) and rejects a stream
 * with another device's identity. */
static void test_vmstate(void)
{
    Board b;
    board_init(&b, board_args);
    const unsigned pm = PCI_DEVFN(1, 3);
    PciDevice *piix3 = pci_bus_find(b.m, PCI_DEVFN(1, 0));
    PciDevice *d = pci_bus_find(b.m, pm);
    g_assert_nonnull(piix3->parent.info->state);
    g_assert_nonnull(pci_bus_find(b.m, 0)->parent.info->state);
    g_assert_nonnull(pci_bus_find(b.m, PCI_DEVFN(1, 1))->parent.info->state);

    cfg_write(&b, PCI_DEVFN(1, 0), 0x60, 0x0b0b0a0a, 4);
    g_autoptr(GByteArray) s3 = save_function(piix3);
    cfg_write(&b, PCI_DEVFN(1, 0), 0x60, 0x80808080, 4);
    g_autoptr(GError) err = NULL;
    g_assert_true(load_function(piix3, s3, &err));
    g_assert_no_error(err);
    g_assert_cmphex(cfg_read(&b, PCI_DEVFN(1, 0), 0x60, 4), ==, 0x0b0b0a0a);

    cfg_write(&b, pm, 0x40, 0x701, 4);
    g_autoptr(GByteArray) s = save_function(d);
    cfg_write(&b, pm, 0x40, ACPI_PM_BASE | 1, 4);
    g_assert_true(load_function(d, s, &err));
    g_assert_cmphex(in(&b, ACPI_PM_BASE + 4, 2), ==, 0xffff);
    g_assert_cmphex(in(&b, 0x704, 2) & 1, ==, 1);

    /* Flip the device id inside the saved config bytes. */
    static const uint8_t id[] = { 0x86, 0x80, 0x13, 0x71 };
    guint at = 0;
    while (at + sizeof(id) <= s->len && memcmp(s->data + at, id, sizeof(id))) {
        at++;
    }
    g_assert_cmpuint(at + sizeof(id), <=, s->len);
    s->data[at + PCI_DEVICE_ID] ^= 0x01;
    g_assert_false(load_function(d, s, &err));
    g_assert_nonnull(err);
    g_test_message("%s", err->message);
    board_free(&b);
}

/* ---- the core on its own (no board) ---- */

static const DeviceInfo fake_info = { .name = "fake-pci", .instance_size = sizeof(PciDevice) };

typedef struct {
    PciBus bus;
    PciDevice dev;
} FakeBus;

static void fake_init(FakeBus *f)
{
    memset(f, 0, sizeof(*f));
    pci_bus_init(&f->bus, NULL);
    f->dev.parent.info = &fake_info;
    const PciId id = { .vendor = 0x1234, .device = 0x5678, .class_id = 0x0200 };
    g_autoptr(GError) err = NULL;
    g_assert_true(pci_device_init(&f->dev, &f->bus, PCI_DEVFN(3, 0), &id, NULL, &err));
}

/* /pci/capability: capabilities chain at the head of the list, take free
 * dword-aligned space, are read-only until the device opens bits, and
 * may not overlap. */
static void test_capability(void)
{
    FakeBus f;
    fake_init(&f);
    PciDevice *d = &f.dev;
    g_autoptr(GError) err = NULL;
    g_assert_cmpuint(pci_find_capability(d, 0x05), ==, 0);
    uint8_t msi = pci_add_capability(d, 0x05, 0, 10, &err);    /* MSI, 32-bit */
    g_assert_no_error(err);
    g_assert_cmpuint(msi, ==, 0x40);
    uint8_t msix = pci_add_capability(d, 0x11, 0, 12, &err);   /* MSI-X */
    g_assert_cmpuint(msix, ==, 0x4c);
    unsigned devfn = PCI_DEVFN(3, 0);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST,
                    ==, PCI_STATUS_CAP_LIST);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, PCI_CAPABILITY_LIST, 1), ==, 0x4c);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x4c, 2), ==, 0x4011);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x40, 2), ==, 0x0005);
    g_assert_cmpuint(pci_find_capability(d, 0x05), ==, 0x40);
    g_assert_cmpuint(pci_find_capability(d, 0x11), ==, 0x4c);
    /* Read-only until opened; space after them stays writable. */
    pci_bus_config_write(&f.bus, devfn, 0x42, 0xffff, 2);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x42, 2), ==, 0);
    d->wmask[0x42] = 0x01;                            /* MSI enable */
    pci_bus_config_write(&f.bus, devfn, 0x42, 0xffff, 2);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x42, 2), ==, 0x0001);
    pci_bus_config_write(&f.bus, devfn, 0x58, 0xff, 1);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x58, 1), ==, 0xff);
    /* Overlap, misalignment and the header are refused. */
    g_assert_cmpuint(pci_add_capability(d, 0x09, 0x48, 8, &err), ==, 0);
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpuint(pci_add_capability(d, 0x09, 0x62, 4, &err), ==, 0);
    g_clear_error(&err);
    g_assert_cmpuint(pci_add_capability(d, 0x09, 0x30, 4, &err), ==, 0);
    g_clear_error(&err);
    g_assert_cmpuint(pci_add_capability(d, 0x09, 0xfc, 8, &err), ==, 0);
    g_clear_error(&err);
    /* The list survives a load only unchanged. */
    g_assert_true(pci_device_post_load(d, &err));
    d->config[0x4c + PCI_CAP_LIST_NEXT] = 0x50;
    g_assert_false(pci_device_post_load(d, &err));
}

/* /pci/bar: BAR sizing (write all ones, read the size mask back), type
 * bits read-only, addresses cleared by reset. */
static void test_bar(void)
{
    FakeBus f;
    fake_init(&f);
    unsigned devfn = PCI_DEVFN(3, 0);
    pci_register_bar(&f.dev, 0, PCI_BASE_ADDRESS_SPACE_IO, 0x20);
    pci_register_bar(&f.dev, 2, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
                     1 << 20);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x10, 4), ==, 0x1);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x18, 4), ==, 0xc);
    for (unsigned off = 0x10; off < 0x28; off += 4) {
        pci_bus_config_write(&f.bus, devfn, off, 0xffffffff, 4);
    }
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x10, 4), ==, 0xffffffe1);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x14, 4), ==, 0);    /* none */
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x18, 4), ==, 0xfff0000c);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x1c, 4), ==, 0xffffffff);
    pci_bus_config_write(&f.bus, devfn, 0x10, 0xc040, 4);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x10, 4), ==, 0xc041);
    pci_device_reset(&f.dev);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x10, 4), ==, 0x1);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x18, 4), ==, 0xc);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0x1c, 4), ==, 0);
    /* A taken slot is refused. */
    PciDevice other = { .parent.info = &fake_info };
    const PciId id = { .vendor = 0x1234 };
    g_autoptr(GError) err = NULL;
    g_assert_false(pci_device_init(&other, &f.bus, devfn, &id, NULL, &err));
    g_assert_nonnull(err);
    pci_device_exit(&f.dev);
    g_assert_cmphex(pci_bus_config_read(&f.bus, devfn, 0, 4), ==, 0xffffffff);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pci/capability", test_capability);
    g_test_add_func("/pci/bar", test_bar);
    if (!g_file_test("/dev/kvm", G_FILE_TEST_EXISTS)) {
        g_test_message("no /dev/kvm: board tests skipped");
        return g_test_run();
    }
    for (guint i = 0; i < G_N_ELEMENTS(funcs); i++) {
        g_autofree char *p1 = g_strdup_printf("/pci/qemu-defaults/%s", funcs[i].name);
        g_autofree char *p2 = g_strdup_printf("/pci/write-masks/%s", funcs[i].name);
        g_autofree char *p3 = g_strdup_printf("/pci/reset/%s", funcs[i].name);
        g_test_add_data_func(p1, &funcs[i], test_defaults);
        g_test_add_data_func(p2, &funcs[i], test_write_masks);
        g_test_add_data_func(p3, &funcs[i], test_reset);
    }
    g_test_add_func("/pci/absent", test_absent);
    g_test_add_func("/pci/config-address", test_config_address);
    g_test_add_func("/pci/unaligned", test_unaligned);
    g_test_add_func("/pci/status-w1c", test_status_w1c);
    g_test_add_func("/pci/find", test_find);
    g_test_add_func("/pci/vmstate", test_vmstate);
    g_test_add_func("/piix3/reset-control", test_piix3_rcr);
    g_test_add_func("/piix3/elcr", test_piix3_elcr);
    g_test_add_func("/piix4-pm/pmba", test_pm_pmba);
    return g_test_run();
}
