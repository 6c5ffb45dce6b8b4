/* Kernel loaders (src/board/loader.h) on in-memory images: Linux bzImage
 * (Documentation/arch/x86/boot.rst), multiboot v1 (Multiboot Specification
 * 0.6.96, sections 3.1 and 3.3), ELF, and the BootImage blob list. Every
 * malformed image must fail with a message, never crash (run under ASan). */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "board/e820.h"
#include "board/loader.h"
#include "kvm/memory.h"
#include "util/error.h"

#include "fake-images.h"
#include "unit-common.h"

#define MiB (1ULL << 20)

/* Zero-page offsets (struct boot_params). */
#define ZP_E820_ENTRIES 0x1e8
#define ZP_VID_MODE 0x1fa
#define ZP_TYPE_OF_LOADER 0x210
#define ZP_LOADFLAGS 0x211
#define ZP_RAMDISK_IMAGE 0x218
#define ZP_RAMDISK_SIZE 0x21c
#define ZP_CMD_LINE_PTR 0x228
#define ZP_E820_TABLE 0x2d0

/* Multiboot info offsets. */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_LOADER_NAME 64

/* ---- fixture: guest RAM, a boot image and a scratch directory ---- */

typedef struct {
    GuestRam ram;
    BootImage bi;
    char *dir;
} Fixture;

static void fixture_setup_size(Fixture *f, uint64_t ram_size)
{
    g_autoptr(GError) err = NULL;
    g_assert_true(guest_ram_init(&f->ram, ram_size, ram_size, &err));
    boot_image_init(&f->bi);
    f->dir = g_dir_make_tmp("tern-loader-XXXXXX", &err);
    g_assert_no_error(err);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    fixture_setup_size(f, 64 * MiB);
}

static void fixture_setup_16m(Fixture *f, gconstpointer data)
{
    fixture_setup_size(f, 16 * MiB);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    boot_image_clear(&f->bi);
    guest_ram_destroy(&f->ram);
    g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
    for (const char *n; d && (n = g_dir_read_name(d));) {
        g_autofree char *p = g_build_filename(f->dir, n, NULL);
        g_unlink(p);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
}

/* Writes a file of `size` bytes, pm_byte() pattern offset by `seed`. */
static char *write_file(Fixture *f, const char *name, size_t size, unsigned seed)
{
    char *path = g_build_filename(f->dir, name, NULL);
    g_autofree uint8_t *data = g_malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++) {
        data[i] = pm_byte(i + seed);
    }
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_set_contents(path, (const char *)data, size, &err));
    return path;
}

/* A sparse file of zeros, cheap at any size. */
static char *sparse_file(Fixture *f, const char *name, uint64_t size)
{
    char *path = g_build_filename(f->dir, name, NULL);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(ftruncate(fd, size), ==, 0);
    close(fd);
    return path;
}

static char *write_bytes(Fixture *f, const char *name, const void *data, size_t size)
{
    char *path = g_build_filename(f->dir, name, NULL);
    g_autoptr(GError) err = NULL;
    g_assert_true(g_file_set_contents(path, data, size, &err));
    return path;
}

static uint8_t *gpa(Fixture *f, uint64_t addr, uint64_t len)
{
    uint8_t *p = guest_ram_ptr(&f->ram, addr, len);
    g_assert_nonnull(p);
    return p;
}

#define assert_err_contains(err, s) \
    do { \
        g_assert_nonnull(err); \
        g_assert_error((err), TERN_ERROR, TERN_ERROR_GENERIC); \
        if (!strstr((err)->message, (s))) { \
            g_error("message \"%s\" lacks \"%s\"", (err)->message, (s)); \
        } \
        g_assert_null(strchr((err)->message, '\n')); \
    } while (0)

/* A fresh exact-size heap copy, so ASan catches reads past len. */
static uint8_t *exact_copy(const uint8_t *data, size_t len)
{
    uint8_t *p = g_malloc(len ? len : 1);
    memcpy(p, data, len);
    return p;
}

static bool load_bz(Fixture *f, const BzSpec *s, const BootParams *p, GError **errp)
{
    g_autoptr(GByteArray) img = bz_build(s);
    g_autofree uint8_t *copy = exact_copy(img->data, img->len);
    return loader_load_bzimage(&f->bi, &f->ram, p, copy, img->len, errp);
}

/* ---- bzImage ---- */

static void test_is_bzimage(void)
{
    BzSpec s = bz_default();
    g_autoptr(GByteArray) img = bz_build(&s);
    g_assert_true(loader_is_bzimage(img->data, img->len));
    /* Exactly up to the end of the magic. */
    g_assert_true(loader_is_bzimage(img->data, 0x206));
    g_assert_false(loader_is_bzimage(img->data, 0x205));
    g_assert_false(loader_is_bzimage(img->data, 0));
    img->data[0x203] = 'x';
    g_assert_false(loader_is_bzimage(img->data, img->len));
}

static void test_bz_load(Fixture *f, gconstpointer data)
{
    BzSpec s = bz_default();
    g_autoptr(GByteArray) img = bz_build(&s);
    const char *cmdline = "console=ttyS0 root=/dev/vda panic=-1";
    BootParams p = { .kernel = "bzImage", .cmdline = cmdline, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(loader_load_bzimage(&f->bi, &f->ram, &p, img->data, img->len, &err));
    g_assert_no_error(err);

    /* The protected-mode part at 1 MiB, entered at its 64-bit entry. */
    g_assert_cmpint(f->bi.protocol, ==, BOOT_LINUX64);
    g_assert_cmphex(f->bi.entry, ==, 0x100200);
    g_assert_cmphex(f->bi.info, ==, BOOT_ZERO_PAGE_ADDR);
    size_t setup = bz_setup_size(&s);
    g_assert_cmpmem(gpa(f, BOOT_KERNEL_ADDR, s.pm_size), s.pm_size, img->data + setup, s.pm_size);

    /* The zero page. */
    const uint8_t *zp = gpa(f, 0x7000, 4096);
    g_assert_cmphex(zp[ZP_TYPE_OF_LOADER], ==, 0xff);
    g_assert_true(zp[ZP_LOADFLAGS] & 0x01);
    g_assert_cmphex(get16(zp + ZP_VID_MODE), ==, 0xffff);
    g_assert_cmpmem(zp + 0x202, 4, "HdrS", 4);
    g_assert_cmphex(get16(zp + 0x206), ==, 0x020f);
    g_assert_cmphex(get32(zp + ZP_CMD_LINE_PTR), ==, 0x20000);
    g_assert_cmpstr((const char *)gpa(f, 0x20000, strlen(cmdline) + 1), ==, cmdline);
    g_assert_cmphex(get32(zp + ZP_RAMDISK_IMAGE), ==, 0);
    g_assert_cmphex(get32(zp + ZP_RAMDISK_SIZE), ==, 0);

    /* The e820 map, the same one e820_build gives. */
    g_autoptr(GArray) e820 = e820_build(&f->ram);
    g_assert_cmpuint(zp[ZP_E820_ENTRIES], ==, e820->len);
    g_assert_cmpuint(zp[ZP_E820_ENTRIES], ==, 4);
    for (guint i = 0; i < e820->len; i++) {
        const E820Entry *e = &g_array_index(e820, E820Entry, i);
        const uint8_t *d = zp + ZP_E820_TABLE + i * 20;
        g_assert_cmphex(get64(d), ==, e->addr);
        g_assert_cmphex(get64(d + 8), ==, e->size);
        g_assert_cmphex(get32(d + 16), ==, e->type);
    }
}

static void test_bz_no_cmdline(Fixture *f, gconstpointer data)
{
    BzSpec s = bz_default();
    BootParams p = { .kernel = "bzImage", .ncpus = 1 };
    /* Scribble where the command line goes: it must become "". */
    memset(gpa(f, 0x20000, 16), 'x', 16);
    g_autoptr(GError) err = NULL;
    g_assert_true(load_bz(f, &s, &p, &err));
    g_assert_cmphex(get32(gpa(f, 0x7000, 4096) + ZP_CMD_LINE_PTR), ==, 0x20000);
    g_assert_cmpuint(*gpa(f, 0x20000, 1), ==, 0);
}

static void test_bz_initrd(Fixture *f, gconstpointer data)
{
    BzSpec s = bz_default();
    /* initrd_addr_max below the top of RAM: the initrd goes under it. */
    s.initrd_addr_max = 0x1ffffff;
    const size_t size = 100000 + 3;   /* not a page multiple */
    g_autofree char *path = write_file(f, "initrd", size, 11);
    BootParams p = { .kernel = "bzImage", .initrd = path, .cmdline = "", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(load_bz(f, &s, &p, &err));
    g_assert_no_error(err);

    const uint8_t *zp = gpa(f, 0x7000, 4096);
    uint32_t addr = get32(zp + ZP_RAMDISK_IMAGE);
    g_assert_cmpuint(get32(zp + ZP_RAMDISK_SIZE), ==, size);
    g_assert_cmphex(addr % 4096, ==, 0);
    g_assert_cmphex((uint64_t)addr + size - 1, <=, s.initrd_addr_max);
    /* As high as allowed: within a page of the limit. */
    g_assert_cmphex((uint64_t)addr + size, >, (uint64_t)s.initrd_addr_max + 1 - 4096);
    /* Above the kernel. */
    g_assert_cmphex(addr, >=, BOOT_KERNEL_ADDR + s.pm_size);
    const uint8_t *rd = gpa(f, addr, size);
    for (size_t i = 0; i < size; i++) {
        if (rd[i] != pm_byte(i + 11)) {
            g_error("initrd byte %zu differs", i);
        }
    }
}

static void test_bz_initrd_top_of_ram(Fixture *f, gconstpointer data)
{
    /* initrd_addr_max above RAM: the end of RAM is the limit. */
    BzSpec s = bz_default();
    s.initrd_addr_max = 0x7fffffff;
    const size_t size = 3 * 4096;
    g_autofree char *path = write_file(f, "initrd", size, 0);
    BootParams p = { .kernel = "bzImage", .initrd = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(load_bz(f, &s, &p, &err));
    uint32_t addr = get32(gpa(f, 0x7000, 4096) + ZP_RAMDISK_IMAGE);
    g_assert_cmphex(addr, ==, f->ram.below_4g - size);
}

static void test_bz_initrd_exact_fit(Fixture *f, gconstpointer data)
{
    /* Boot protocol: the initrd may not overlap the kernel's memory
     * (load address + max(file size, init_size)). With an initrd that
     * exactly fills the room above an unaligned kernel end, rounding the
     * address down to a page must not move it into the kernel. */
    BzSpec s = bz_default();
    s.pm_size = 0x1800;                         /* kernel ends at 0x101800 */
    g_autoptr(GByteArray) img = bz_build(&s);
    uint64_t kernel_end = BOOT_KERNEL_ADDR + s.pm_size;
    size_t size = f->ram.below_4g - kernel_end;
    g_autofree char *path = sparse_file(f, "initrd", size);
    BootParams p = { .kernel = "bzImage", .initrd = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    bool ok = loader_load_bzimage(&f->bi, &f->ram, &p, img->data, img->len, &err);
    if (!ok) {
        /* Refusing is fine too. */
        assert_err_contains(err, "initrd");
        return;
    }
    uint32_t addr = get32(gpa(f, 0x7000, 4096) + ZP_RAMDISK_IMAGE);
    g_assert_cmpint(memcmp(gpa(f, BOOT_KERNEL_ADDR, s.pm_size),
                           img->data + bz_setup_size(&s), s.pm_size), ==, 0);
    g_assert_cmphex(addr, >=, kernel_end);
}

static void test_bz_init_size_reserves(Fixture *f, gconstpointer data)
{
    /* init_size larger than the file: the initrd must stay above
     * 1 MiB + init_size. */
    BzSpec s = bz_default();
    s.init_size = 48 * MiB;
    const size_t size = 64 * MiB - BOOT_KERNEL_ADDR - s.init_size - 8192;
    g_autofree char *path = sparse_file(f, "initrd", size);
    BootParams p = { .kernel = "bzImage", .initrd = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(load_bz(f, &s, &p, &err));
    uint32_t addr = get32(gpa(f, 0x7000, 4096) + ZP_RAMDISK_IMAGE);
    g_assert_cmphex(addr, >=, BOOT_KERNEL_ADDR + s.init_size);

    /* One page more than fits: refused. */
    boot_image_clear(&f->bi);
    boot_image_init(&f->bi);
    g_autofree char *path2 = sparse_file(f, "initrd2",
                                         64 * MiB - BOOT_KERNEL_ADDR - s.init_size + 1);
    p.initrd = path2;
    g_autoptr(GError) err2 = NULL;
    g_assert_false(load_bz(f, &s, &p, &err2));
    assert_err_contains(err2, "too large for guest RAM");
}

static void test_bz_kernel_too_big(Fixture *f, gconstpointer data)
{
    BzSpec s = bz_default();
    s.init_size = 16 * MiB;     /* needs 1 MiB + 16 MiB in a 16 MiB guest */
    BootParams p = { .kernel = "bzImage", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(load_bz(f, &s, &p, &err));
    assert_err_contains(err, "kernel needs");
}

static void test_bz_truncated(Fixture *f, gconstpointer data)
{
    BzSpec s = bz_default();
    BootParams p = { .kernel = "bzImage", .ncpus = 1 };
    g_autoptr(GByteArray) img = bz_build(&s);
    g_autofree uint8_t *copy = exact_copy(img->data, 0x3ff);
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_bzimage(&f->bi, &f->ram, &p, copy, 0x3ff, &err));
    assert_err_contains(err, "truncated bzImage");
}

static void test_bz_setup_beyond_file(Fixture *f, gconstpointer data)
{
    /* setup_sects says 61 sectors of setup, the file has 8 KiB. */
    BzSpec s = bz_default();
    g_autoptr(GByteArray) img = bz_build(&s);
    g_assert_cmpuint(img->len, <, 62 * 512);
    img->data[0x1f1] = 61;
    BootParams p = { .kernel = "bzImage", .ncpus = 1 };
    g_autofree uint8_t *copy = exact_copy(img->data, img->len);
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_bzimage(&f->bi, &f->ram, &p, copy, img->len, &err));
    assert_err_contains(err, "truncated bzImage");
    assert_err_contains(err, "setup");

    /* Setup that is exactly the file: nothing left to load. */
    BzSpec s2 = bz_default();
    s2.pm_size = 0;
    g_autoptr(GError) err2 = NULL;
    g_assert_false(load_bz(f, &s2, &p, &err2));
    assert_err_contains(err2, "truncated bzImage");
}

static void test_bz_old_protocol(Fixture *f, gconstpointer data)
{
    BootParams p = { .kernel = "bzImage", .ncpus = 1 };
    BzSpec s = bz_default();
    s.version = 0x020b;             /* 2.11: before the 64-bit entry */
    g_autoptr(GError) err = NULL;
    g_assert_false(load_bz(f, &s, &p, &err));
    assert_err_contains(err, "no 64-bit entry point");
    assert_err_contains(err, "2.11");

    BzSpec s2 = bz_default();
    s2.xloadflags = 0;              /* 2.15 but a 32-bit only kernel */
    g_autoptr(GError) err2 = NULL;
    g_assert_false(load_bz(f, &s2, &p, &err2));
    assert_err_contains(err2, "no 64-bit entry point");
    g_assert_cmpuint(f->bi.blobs->len, ==, 0);
}

static void test_bz_bad_boot_flag(Fixture *f, gconstpointer data)
{
    BootParams p = { .kernel = "bzImage", .ncpus = 1 };
    BzSpec s = bz_default();
    s.boot_flag = 0x55aa;
    g_autoptr(GError) err = NULL;
    g_assert_false(load_bz(f, &s, &p, &err));
    assert_err_contains(err, "bad boot flag");
}

static void test_bz_cmdline_too_long(Fixture *f, gconstpointer data)
{
    BzSpec s = bz_default();
    s.cmdline_size = 16;
    /* cmdline_size excludes the terminating NUL: 16 characters fit. */
    BootParams ok = { .kernel = "bzImage", .cmdline = "0123456789abcdef", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(load_bz(f, &s, &ok, &err));
    g_assert_no_error(err);
    g_assert_cmpstr((const char *)gpa(f, 0x20000, 17), ==, "0123456789abcdef");

    boot_image_clear(&f->bi);
    boot_image_init(&f->bi);
    BootParams bad = { .kernel = "bzImage", .cmdline = "0123456789abcdefg", .ncpus = 1 };
    g_autoptr(GError) err2 = NULL;
    g_assert_false(load_bz(f, &s, &bad, &err2));
    assert_err_contains(err2, "command line too long");
    assert_err_contains(err2, "17 bytes");
}

static void test_bz_initrd_too_large(Fixture *f, gconstpointer data)
{
    /* 16 MiB guest. A 15 MiB initrd does not fit above the kernel; a
     * 32 MiB (sparse) one is larger than RAM altogether. */
    BzSpec s = bz_default();
    g_autofree char *path = sparse_file(f, "big", 15 * MiB);
    BootParams p = { .kernel = "bzImage", .initrd = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(load_bz(f, &s, &p, &err));
    assert_err_contains(err, "too large for guest RAM");
    assert_err_contains(err, path);

    g_autofree char *huge = sparse_file(f, "huge", 32 * MiB);
    p.initrd = huge;
    g_autoptr(GError) err2 = NULL;
    g_assert_false(load_bz(f, &s, &p, &err2));
    assert_err_contains(err2, "too large for guest RAM");
    assert_err_contains(err2, huge);
}

static void test_bz_initrd_empty(Fixture *f, gconstpointer data)
{
    BzSpec s = bz_default();
    g_autofree char *path = write_file(f, "empty", 0, 0);
    BootParams p = { .kernel = "bzImage", .initrd = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(load_bz(f, &s, &p, &err));
    assert_err_contains(err, "is empty");
    assert_err_contains(err, path);
}

static void test_bz_initrd_missing(Fixture *f, gconstpointer data)
{
    BzSpec s = bz_default();
    g_autofree char *path = g_build_filename(f->dir, "does-not-exist", NULL);
    BootParams p = { .kernel = "bzImage", .initrd = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(load_bz(f, &s, &p, &err));
    assert_err_contains(err, "could not open initrd file");
    assert_err_contains(err, path);
    assert_err_contains(err, g_strerror(ENOENT));
}

static void test_bz_every_truncation(Fixture *f, gconstpointer data)
{
    /* Every prefix of a valid image, with an exact-size buffer: loads or
     * fails, never reads past the end. */
    BzSpec s = bz_default();
    s.pm_size = 0x200;
    g_autoptr(GByteArray) img = bz_build(&s);
    BootParams p = { .kernel = "bzImage", .cmdline = "x", .ncpus = 1 };
    for (size_t len = 0; len <= img->len; len++) {
        g_autofree uint8_t *copy = exact_copy(img->data, len);
        g_autoptr(GError) err = NULL;
        boot_image_clear(&f->bi);
        boot_image_init(&f->bi);
        bool ok = loader_is_bzimage(copy, len) &&
                  loader_load_bzimage(&f->bi, &f->ram, &p, copy, len, &err);
        g_assert_cmpint(ok, ==, len > bz_setup_size(&s));
        if (!ok && err) {
            g_assert_nonnull(strstr(err->message, "truncated"));
        }
    }
}

static void test_bz_random_headers(Fixture *f, gconstpointer data)
{
    /* Random setup headers behind a valid magic: must not crash. */
    GRand *rand = g_rand_new_with_seed(1234);
    BootParams p = { .kernel = "bzImage", .cmdline = "quiet", .ncpus = 1 };
    for (int iter = 0; iter < 300; iter++) {
        size_t len = g_rand_int_range(rand, 0x206, 0x3000);
        g_autofree uint8_t *img = g_malloc(len);
        for (size_t i = 0; i < len; i++) {
            img[i] = g_rand_int(rand);
        }
        memcpy(img + 0x202, "HdrS", 4);
        if (len >= 0x400 && iter % 2) {
            put16(img + 0x1fe, 0xaa55);
            put16(img + 0x206, 0x020f);
            put16(img + 0x236, 1);
            img[0x1f1] = g_rand_int_range(rand, 0, 8);
        }
        g_autoptr(GError) err = NULL;
        boot_image_clear(&f->bi);
        boot_image_init(&f->bi);
        if (!loader_load_bzimage(&f->bi, &f->ram, &p, img, len, &err)) {
            g_assert_nonnull(err);
        }
    }
    g_rand_free(rand);
}

/* ---- multiboot ---- */

static void test_mb_find(void)
{
    g_autofree uint8_t *img = g_malloc0(16384);
    g_assert_cmpint(loader_find_multiboot(img, 16384), ==, -1);

    mb_put_header(img + 0x40, 0x10003);
    g_assert_cmpint(loader_find_multiboot(img, 16384), ==, 0x40);
    memset(img, 0, 16384);

    /* The last position where all 12 bytes are within 8 KiB. */
    mb_put_header(img + 8192 - 12, 0);
    g_assert_cmpint(loader_find_multiboot(img, 16384), ==, 8192 - 12);
    memset(img, 0, 16384);

    /* Beyond 8 KiB: not found. */
    mb_put_header(img + 8192, 0);
    g_assert_cmpint(loader_find_multiboot(img, 16384), ==, -1);
    memset(img, 0, 16384);
    mb_put_header(img + 8192 - 8, 0);
    g_assert_cmpint(loader_find_multiboot(img, 16384), ==, -1);
    memset(img, 0, 16384);

    /* Not 4-byte aligned: not found. */
    mb_put_header(img + 0x42, 0);
    g_assert_cmpint(loader_find_multiboot(img, 16384), ==, -1);
    memset(img, 0, 16384);

    /* Bad checksum. */
    mb_put_header(img + 0x100, 0x3);
    put32(img + 0x108, get32(img + 0x108) + 1);
    g_assert_cmpint(loader_find_multiboot(img, 16384), ==, -1);

    /* A file too short for the header it starts. */
    memset(img, 0, 16384);
    mb_put_header(img + 0x10, 0);
    g_autofree uint8_t *shrt = exact_copy(img, 0x10 + 11);
    g_assert_cmpint(loader_find_multiboot(shrt, 0x10 + 11), ==, -1);
    g_autofree uint8_t *fits = exact_copy(img, 0x10 + 12);
    g_assert_cmpint(loader_find_multiboot(fits, 0x10 + 12), ==, 0x10);
    g_assert_cmpint(loader_find_multiboot(img, 0), ==, -1);
}

static MbSpec mb_default(void)
{
    return (MbSpec){
        .file_len = 0x2345,
        .header_off = 0x40,
        .flags = (1u << 16) | (1u << 1) | (1u << 0),
        .load_addr = 0x200000,
        .load_end = 0,
        .bss_end = 0x200000 + 0x2345 + 0x3000,
        .entry = 0x200080,
    };
}

static void test_mb_aout_load(Fixture *f, gconstpointer data)
{
    MbSpec s = mb_default();
    g_autoptr(GByteArray) img = mb_build(&s);
    /* Garbage where the bss goes: it must be zeroed. */
    memset(gpa(f, 0x200000, 0x10000), 0xcc, 0x10000);
    const char *kernel = "/boot/kernel.mb";
    BootParams p = { .kernel = kernel, .cmdline = "root=/dev/sda1 quiet", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(loader_load_multiboot(&f->bi, &f->ram, &p, img->data, img->len, &err));
    g_assert_no_error(err);

    g_assert_cmpint(f->bi.protocol, ==, BOOT_MULTIBOOT);
    g_assert_cmphex(f->bi.entry, ==, 0x200080);
    g_assert_cmpmem(gpa(f, 0x200000, img->len), img->len, img->data, img->len);
    const uint8_t *bss = gpa(f, 0x200000 + img->len, 0x3000);
    for (size_t i = 0; i < 0x3000; i++) {
        if (bss[i]) {
            g_error("bss byte %zu is 0x%x", i, bss[i]);
        }
    }

    /* The info structure: after the kernel, page aligned. */
    uint64_t info_addr = f->bi.info;
    g_assert_cmphex(info_addr % 4096, ==, 0);
    g_assert_cmphex(info_addr, >=, s.bss_end);
    const uint8_t *mbi = gpa(f, info_addr, 88);
    uint32_t flags = get32(mbi + MBI_FLAGS);
    g_assert_true(flags & (1u << 0));   /* mem_* */
    g_assert_true(flags & (1u << 2));   /* cmdline */
    g_assert_true(flags & (1u << 6));   /* mmap_* */
    g_assert_true(flags & (1u << 9));   /* boot_loader_name */
    g_assert_false(flags & (1u << 3));  /* no modules */
    g_assert_cmpuint(get32(mbi + MBI_MEM_LOWER), ==, 640);
    g_assert_cmpuint(get32(mbi + MBI_MEM_UPPER), ==, (64 * MiB - 1 * MiB) / 1024);

    uint32_t cl = get32(mbi + MBI_CMDLINE);
    const char *want = "/boot/kernel.mb root=/dev/sda1 quiet";
    g_assert_cmpstr((const char *)gpa(f, cl, strlen(want) + 1), ==, want);
    uint32_t name = get32(mbi + MBI_LOADER_NAME);
    g_assert_cmpstr((const char *)gpa(f, name, 5), ==, "tern");

    /* mmap: one 24-byte record (size = 20) per e820 entry. */
    g_autoptr(GArray) e820 = e820_build(&f->ram);
    uint32_t mmap_len = get32(mbi + MBI_MMAP_LENGTH);
    uint32_t mmap_addr = get32(mbi + MBI_MMAP_ADDR);
    g_assert_cmpuint(mmap_len, ==, 24 * e820->len);
    const uint8_t *mm = gpa(f, mmap_addr, mmap_len);
    for (guint i = 0; i < e820->len; i++) {
        const E820Entry *e = &g_array_index(e820, E820Entry, i);
        const uint8_t *r = mm + i * 24;
        g_assert_cmpuint(get32(r), ==, 20);
        g_assert_cmphex(get64(r + 4), ==, e->addr);
        g_assert_cmphex(get64(r + 12), ==, e->size);
        g_assert_cmpuint(get32(r + 20), ==, e->type);
    }
}

static void test_mb_no_cmdline(Fixture *f, gconstpointer data)
{
    MbSpec s = mb_default();
    g_autoptr(GByteArray) img = mb_build(&s);
    BootParams p = { .kernel = "kern", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(loader_load_multiboot(&f->bi, &f->ram, &p, img->data, img->len, &err));
    const uint8_t *mbi = gpa(f, f->bi.info, 88);
    g_assert_cmpstr((const char *)gpa(f, get32(mbi + MBI_CMDLINE), 5), ==, "kern");
}

static void test_mb_load_end(Fixture *f, gconstpointer data)
{
    /* load_end before the end of the file: only that much is loaded, and
     * the header offset maps into the file. */
    MbSpec s = mb_default();
    s.header_off = 0x1000;
    s.load_end = s.load_addr + 0x1800;
    s.bss_end = 0;
    g_autoptr(GByteArray) img = mb_build(&s);
    memset(gpa(f, 0x200000, 0x4000), 0xcc, 0x4000);
    BootParams p = { .kernel = "k", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(loader_load_multiboot(&f->bi, &f->ram, &p, img->data, img->len, &err));
    g_assert_cmpmem(gpa(f, 0x200000, 0x1800), 0x1800, img->data, 0x1800);
    g_assert_cmpuint(*gpa(f, 0x201800, 1), ==, 0xcc);
    g_assert_cmphex(f->bi.info, ==, 0x202000);
}

static void test_mb_modules(Fixture *f, gconstpointer data)
{
    MbSpec s = mb_default();
    g_autoptr(GByteArray) img = mb_build(&s);
    g_autofree char *m1 = write_file(f, "mod1", 5000, 1);
    g_autofree char *m2 = write_file(f, "mod2", 4096, 2);
    g_autofree char *spec = g_strdup_printf("%s arg1 arg2,%s", m1, m2);
    BootParams p = { .kernel = "k", .initrd = spec, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(loader_load_multiboot(&f->bi, &f->ram, &p, img->data, img->len, &err));
    g_assert_no_error(err);
    const uint8_t *mbi = gpa(f, f->bi.info, 88);
    g_assert_true(get32(mbi + MBI_FLAGS) & (1u << 3));
    g_assert_cmpuint(get32(mbi + MBI_MODS_COUNT), ==, 2);
    const uint8_t *mods = gpa(f, get32(mbi + MBI_MODS_ADDR), 32);
    static const size_t sizes[] = { 5000, 4096 };
    for (guint i = 0; i < 2; i++) {
        uint32_t start = get32(mods + i * 16), end = get32(mods + i * 16 + 4);
        g_assert_cmphex(start % 4096, ==, 0);
        g_assert_cmpuint(end - start, ==, sizes[i]);
        const uint8_t *d = gpa(f, start, sizes[i]);
        for (size_t k = 0; k < sizes[i]; k++) {
            g_assert_cmpuint(d[k], ==, pm_byte(k + i + 1));
        }
    }
    g_autofree char *s0 = g_strdup_printf("%s arg1 arg2", m1);
    g_assert_cmpstr((const char *)gpa(f, get32(mods + 8), strlen(s0) + 1), ==, s0);
    g_assert_cmpstr((const char *)gpa(f, get32(mods + 16 + 8), strlen(m2) + 1), ==, m2);

    /* A missing module fails with its name. */
    boot_image_clear(&f->bi);
    boot_image_init(&f->bi);
    p.initrd = "/nonexistent/module";
    g_autoptr(GError) err2 = NULL;
    g_assert_false(loader_load_multiboot(&f->bi, &f->ram, &p, img->data, img->len, &err2));
    assert_err_contains(err2, "/nonexistent/module");
}

static void test_mb_bad_headers(Fixture *f, gconstpointer data)
{
    BootParams p = { .kernel = "k", .ncpus = 1 };
    struct {
        const char *what;
        void (*tweak)(MbSpec *s);
        const char *msg;
    } cases[] = {
        { "header_addr below load_addr", NULL, "inconsistent" },
        { "load_end before load_addr", NULL, "exceeds the file" },
        { "load range beyond the file", NULL, "exceeds the file" },
        { "outside RAM", NULL, "does not fit in guest RAM" },
        { "bss outside RAM", NULL, "does not fit in guest RAM" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        MbSpec s = mb_default();
        g_autoptr(GByteArray) img = mb_build(&s);
        uint8_t *h = img->data + s.header_off;
        switch (i) {
        case 0:
            put32(h + 12, s.load_addr - 4);
            break;
        case 1:
            put32(h + 20, s.load_addr - 1);
            break;
        case 2:
            put32(h + 20, s.load_addr + s.file_len + 1);
            break;
        case 3:
            put32(h + 12, 0xf0000000u + s.header_off);
            put32(h + 16, 0xf0000000u);
            put32(h + 24, 0);
            break;
        case 4:
            put32(h + 24, s.load_addr + 128 * MiB);
            break;
        }
        g_autofree uint8_t *copy = exact_copy(img->data, img->len);
        g_autoptr(GError) err = NULL;
        boot_image_clear(&f->bi);
        boot_image_init(&f->bi);
        if (loader_load_multiboot(&f->bi, &f->ram, &p, copy, img->len, &err)) {
            g_error("multiboot image with %s was loaded", cases[i].what);
        }
        assert_err_contains(err, cases[i].msg);
    }
}

static void test_mb_truncated_header(Fixture *f, gconstpointer data)
{
    /* An a.out kludge header cut short by the end of the file. */
    g_autofree uint8_t *img = g_malloc0(0x20);
    mb_put_header(img + 0x10, 1u << 16);
    g_assert_cmpint(loader_find_multiboot(img, 0x20), ==, 0x10);
    BootParams p = { .kernel = "k", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_multiboot(&f->bi, &f->ram, &p, img, 0x20, &err));
    assert_err_contains(err, "truncated multiboot header");
}

static void test_mb_no_header(Fixture *f, gconstpointer data)
{
    /* Called on an image without a header (the public API allows it): must
     * fail, not read before/after the buffer. Run in a child: ASan. */
    if (g_test_subprocess()) {
        g_autofree uint8_t *img = g_malloc0(4);
        BootParams p = { .kernel = "k", .ncpus = 1 };
        g_autoptr(GError) err = NULL;
        g_assert_false(loader_load_multiboot(&f->bi, &f->ram, &p, img, 4, &err));
        g_assert_nonnull(err);
        return;
    }
    /* Not reachable through loader_load_kernel (it looks for the header
     * first), hence a known bug rather than a failure. */
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed();
}

static void test_mb_not_aout_not_elf(Fixture *f, gconstpointer data)
{
    MbSpec s = mb_default();
    s.flags = 0x3;
    g_autoptr(GByteArray) img = mb_build(&s);
    BootParams p = { .kernel = "k", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_multiboot(&f->bi, &f->ram, &p, img->data, img->len, &err));
    assert_err_contains(err, "neither ELF nor has load addresses");
}

/* ---- ELF ---- */

static void test_elf_load(Fixture *f, gconstpointer data)
{
    ElfSeg segs[] = {
        { PT_LOAD, 0x200000, 0x1234, 0x5000, NULL },
        { PT_LOAD, 0x400000, 0x100, 0x100, NULL },
        { PT_LOAD, 0x500000, 0, 0, NULL },      /* empty: skipped */
    };
    g_autoptr(GByteArray) img = elf64_build(0x200010, segs, 3);
    memset(gpa(f, 0x200000, 0x6000), 0xcc, 0x6000);
    uint64_t entry = 0, high = 0, pvh = 1;
    g_autoptr(GError) err = NULL;
    g_assert_true(elf_load(&f->bi, &f->ram, img->data, img->len, &entry, &high, &pvh, &err));
    g_assert_no_error(err);
    g_assert_cmphex(entry, ==, 0x200010);
    g_assert_cmphex(high, ==, 0x400100);
    g_assert_cmphex(pvh, ==, 0);
    const uint8_t *seg = gpa(f, 0x200000, 0x5000);
    for (size_t i = 0; i < 0x5000; i++) {
        g_assert_cmpuint(seg[i], ==, i < 0x1234 ? pm_byte(i) : 0);
    }
    g_assert_cmpuint(*gpa(f, 0x205000, 1), ==, 0xcc);
}

static void test_elf_vmlinux(Fixture *f, gconstpointer data)
{
    /* A 64-bit ELF without a PVH note: entered like a bzImage's 64-bit
     * entry, with a zero page. */
    ElfSeg seg = { PT_LOAD, 0x1000000, 0x800, 0x2000, NULL };
    g_autoptr(GByteArray) img = elf64_build(0x1000000, &seg, 1);
    BootParams p = { .kernel = "vmlinux", .cmdline = "console=ttyS0", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(loader_load_elf_kernel(&f->bi, &f->ram, &p, img->data, img->len, &err));
    g_assert_no_error(err);
    g_assert_cmpint(f->bi.protocol, ==, BOOT_LINUX64);
    g_assert_cmphex(f->bi.entry, ==, 0x1000000);
    g_assert_cmphex(f->bi.info, ==, 0x7000);
    const uint8_t *zp = gpa(f, 0x7000, 4096);
    g_assert_cmpmem(zp + 0x202, 4, "HdrS", 4);
    g_assert_cmphex(zp[ZP_TYPE_OF_LOADER], ==, 0xff);
    g_assert_cmphex(get32(zp + ZP_CMD_LINE_PTR), ==, 0x20000);
    g_assert_cmpstr((const char *)gpa(f, 0x20000, 14), ==, "console=ttyS0");
}

static void test_elf_pvh(Fixture *f, gconstpointer data)
{
    /* XEN_ELFNOTE_PHYS32_ENTRY (18), name "Xen". */
    uint8_t note[20] = { 0 };
    put32(note, 4);
    put32(note + 4, 4);
    put32(note + 8, 18);
    memcpy(note + 12, "Xen", 4);
    put32(note + 16, 0x1000123);
    ElfSeg segs[] = {
        { PT_NOTE, 0, sizeof(note), sizeof(note), note },
        { PT_LOAD, 0x1000000, 0x400, 0x400, NULL },
    };
    g_autoptr(GByteArray) img = elf64_build(0xffffffff81000000ULL, segs, 2);
    BootParams p = { .kernel = "vmlinux", .cmdline = "quiet", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(loader_load_elf_kernel(&f->bi, &f->ram, &p, img->data, img->len, &err));
    g_assert_no_error(err);
    g_assert_cmpint(f->bi.protocol, ==, BOOT_PVH);
    g_assert_cmphex(f->bi.entry, ==, 0x1000123);
    /* hvm_start_info: magic, version 1, cmdline and memmap. */
    const uint8_t *si = gpa(f, f->bi.info, 56);
    g_assert_cmphex(get32(si), ==, 0x336ec578);
    g_assert_cmpuint(get32(si + 4), ==, 1);
    g_assert_cmphex(get64(si + 24), ==, 0x20000);
    g_assert_cmpstr((const char *)gpa(f, 0x20000, 6), ==, "quiet");
    g_autoptr(GArray) e820 = e820_build(&f->ram);
    g_assert_cmpuint(get32(si + 48), ==, e820->len);
}

static void test_elf32_without_pvh(Fixture *f, gconstpointer data)
{
    uint8_t img[sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr) + 16] = { 0 };
    Elf32_Ehdr eh = {
        .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT, .e_entry = 0x100000,
        .e_phoff = sizeof(Elf32_Ehdr), .e_ehsize = sizeof(Elf32_Ehdr),
        .e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1,
    };
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    Elf32_Phdr ph = { .p_type = PT_LOAD, .p_offset = sizeof(eh) + sizeof(ph),
                      .p_paddr = 0x100000, .p_filesz = 16, .p_memsz = 16 };
    memcpy(img, &eh, sizeof(eh));
    memcpy(img + sizeof(eh), &ph, sizeof(ph));
    BootParams p = { .kernel = "k32", .ncpus = 1 };
    g_assert_true(loader_is_elf(img, sizeof(img)));
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_elf_kernel(&f->bi, &f->ram, &p, img, sizeof(img), &err));
    assert_err_contains(err, "32-bit ELF kernel without multiboot header or PVH note");
}

typedef void (*ElfCorruptor)(GByteArray *img);
static void corrupt_phoff(GByteArray *img) { elf64_ehdr(img)->e_phoff = img->len + 1; }
static void corrupt_phoff_huge(GByteArray *img) { elf64_ehdr(img)->e_phoff = UINT64_MAX - 8; }
static void corrupt_phnum(GByteArray *img) { elf64_ehdr(img)->e_phnum = 0xffff; }
static void corrupt_phentsize(GByteArray *img) { elf64_ehdr(img)->e_phentsize = 32; }
static void corrupt_filesz(GByteArray *img) { elf64_phdr(img, 0)->p_filesz = 0x3000; }
static void corrupt_offset(GByteArray *img) { elf64_phdr(img, 0)->p_offset = img->len - 4; }
static void corrupt_offset_huge(GByteArray *img) { elf64_phdr(img, 0)->p_offset = UINT64_MAX - 1; }
static void corrupt_outside_ram(GByteArray *img) { elf64_phdr(img, 0)->p_paddr = 0x80000000; }
static void corrupt_memsz_huge(GByteArray *img) { elf64_phdr(img, 0)->p_memsz = UINT64_MAX; }
static void corrupt_paddr_wraps(GByteArray *img)
{
    elf64_phdr(img, 0)->p_paddr = UINT64_MAX - 0xfff;
}
static void corrupt_class(GByteArray *img) { img->data[EI_CLASS] = 7; }
static void corrupt_endian(GByteArray *img) { img->data[EI_DATA] = ELFDATA2MSB; }
static void corrupt_no_load(GByteArray *img) { elf64_phdr(img, 0)->p_type = PT_NULL; }

static void test_elf_corrupt(Fixture *f, gconstpointer data)
{
    static const struct {
        const char *what;
        ElfCorruptor fn;
        const char *msg;
    } cases[] = {
        { "phoff beyond the file", corrupt_phoff, "truncated or corrupt ELF" },
        { "phoff near 2^64", corrupt_phoff_huge, "truncated or corrupt ELF" },
        { "phnum huge", corrupt_phnum, "truncated or corrupt ELF" },
        { "wrong phentsize", corrupt_phentsize, "program header size" },
        { "filesz > memsz", corrupt_filesz, "truncated or corrupt ELF" },
        { "segment data past the end", corrupt_offset, "truncated or corrupt ELF" },
        { "p_offset near 2^64", corrupt_offset_huge, "truncated or corrupt ELF" },
        { "segment outside RAM", corrupt_outside_ram, "outside guest RAM" },
        { "memsz 2^64-1", corrupt_memsz_huge, "outside guest RAM" },
        { "paddr + memsz wraps", corrupt_paddr_wraps, "outside guest RAM" },
        { "bad class", corrupt_class, "not a little-endian ELF32/ELF64" },
        { "big endian", corrupt_endian, "not a little-endian ELF32/ELF64" },
        { "no PT_LOAD", corrupt_no_load, "no loadable segment" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        ElfSeg seg = { PT_LOAD, 0x200000, 0x1000, 0x2000, NULL };
        g_autoptr(GByteArray) img = elf64_build(0x200000, &seg, 1);
        cases[i].fn(img);
        g_autofree uint8_t *copy = exact_copy(img->data, img->len);
        BootParams p = { .kernel = "bad.elf", .ncpus = 1 };
        g_autoptr(GError) err = NULL;
        boot_image_clear(&f->bi);
        boot_image_init(&f->bi);
        if (loader_load_elf_kernel(&f->bi, &f->ram, &p, copy, img->len, &err)) {
            g_error("ELF with %s was loaded", cases[i].what);
        }
        if (!err || !strstr(err->message, cases[i].msg)) {
            g_error("ELF with %s: message \"%s\" lacks \"%s\"", cases[i].what,
                    err ? err->message : "(none)", cases[i].msg);
        }
        /* elf_load directly, too. */
        uint64_t entry, high, pvh;
        g_autoptr(GError) err2 = NULL;
        g_assert_false(elf_load(&f->bi, &f->ram, copy, img->len, &entry, &high, &pvh, &err2));
        g_assert_nonnull(err2);
    }
}

static void test_elf_every_truncation(Fixture *f, gconstpointer data)
{
    uint8_t note[20] = { 0 };
    put32(note, 4);
    put32(note + 4, 4);
    put32(note + 8, 18);
    memcpy(note + 12, "Xen", 4);
    put32(note + 16, 0x200000);
    ElfSeg segs[] = {
        { PT_NOTE, 0, sizeof(note), sizeof(note), note },
        { PT_LOAD, 0x200000, 0x80, 0x100, NULL },
    };
    g_autoptr(GByteArray) img = elf64_build(0x200000, segs, 2);
    BootParams p = { .kernel = "t.elf", .ncpus = 1 };
    for (size_t len = 0; len <= img->len; len++) {
        g_autofree uint8_t *copy = exact_copy(img->data, len);
        g_autoptr(GError) err = NULL;
        boot_image_clear(&f->bi);
        boot_image_init(&f->bi);
        bool ok = loader_is_elf(copy, len) &&
                  loader_load_elf_kernel(&f->bi, &f->ram, &p, copy, len, &err);
        g_assert_cmpint(ok, ==, len == img->len);
    }
}

static void test_elf_bad_notes(Fixture *f, gconstpointer data)
{
    /* Note sizes that run past the segment: ignored, not over-read. */
    uint8_t note[24] = { 0 };
    put32(note, 0xfffffff0u);
    put32(note + 4, 4);
    put32(note + 8, 18);
    ElfSeg segs[] = {
        { PT_NOTE, 0, sizeof(note), sizeof(note), note },
        { PT_LOAD, 0x200000, 0x80, 0x80, NULL },
    };
    g_autoptr(GByteArray) img = elf64_build(0x200000, segs, 2);
    g_autofree uint8_t *copy = exact_copy(img->data, img->len);
    uint64_t entry, high, pvh = 1;
    g_assert_true(elf_load(&f->bi, &f->ram, copy, img->len, &entry, &high, &pvh, NULL));
    g_assert_cmphex(pvh, ==, 0);
}

/* ---- loader_load_kernel: files ---- */

static void test_kernel_missing(Fixture *f, gconstpointer data)
{
    BootParams p = { .kernel = "/nonexistent/vmlinuz", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_kernel(&f->bi, &f->ram, &p, &err));
    assert_err_contains(err, "could not open kernel file '/nonexistent/vmlinuz'");
}

static void test_kernel_directory(Fixture *f, gconstpointer data)
{
    BootParams p = { .kernel = f->dir, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_kernel(&f->bi, &f->ram, &p, &err));
    assert_err_contains(err, f->dir);
    assert_err_contains(err, "not a regular file");
}

static void test_kernel_garbage(Fixture *f, gconstpointer data)
{
    GRand *rand = g_rand_new_with_seed(99);
    uint8_t junk[10000];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = g_rand_int(rand);
    }
    g_rand_free(rand);
    g_autofree char *path = write_bytes(f, "junk", junk, sizeof(junk));
    BootParams p = { .kernel = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_kernel(&f->bi, &f->ram, &p, &err));
    g_autofree char *want = g_strdup_printf("kernel '%s' is not a bzImage, ELF or multiboot "
                                            "image", path);
    g_assert_cmpstr(err->message, ==, want);

    /* An empty file too. */
    g_autofree char *empty = write_file(f, "empty", 0, 0);
    p.kernel = empty;
    g_autoptr(GError) err2 = NULL;
    g_assert_false(loader_load_kernel(&f->bi, &f->ram, &p, &err2));
    assert_err_contains(err2, "is not a bzImage, ELF or multiboot image");
}

static void test_kernel_larger_than_ram(Fixture *f, gconstpointer data)
{
    g_autofree char *path = sparse_file(f, "huge", 17 * MiB);
    BootParams p = { .kernel = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_kernel(&f->bi, &f->ram, &p, &err));
    assert_err_contains(err, "too large for guest RAM");
    assert_err_contains(err, path);
}

static void test_kernel_dispatch(Fixture *f, gconstpointer data)
{
    /* The same loaders, picked from the file's contents. */
    BzSpec bs = bz_default();
    g_autoptr(GByteArray) bz = bz_build(&bs);
    g_autofree char *bzp = write_bytes(f, "bzImage", bz->data, bz->len);
    BootParams p = { .kernel = bzp, .cmdline = "a", .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(loader_load_kernel(&f->bi, &f->ram, &p, &err));
    g_assert_cmpint(f->bi.protocol, ==, BOOT_LINUX64);

    boot_image_clear(&f->bi);
    boot_image_init(&f->bi);
    MbSpec ms = mb_default();
    g_autoptr(GByteArray) mb = mb_build(&ms);
    g_autofree char *mbp = write_bytes(f, "mb", mb->data, mb->len);
    p.kernel = mbp;
    g_assert_true(loader_load_kernel(&f->bi, &f->ram, &p, &err));
    g_assert_cmpint(f->bi.protocol, ==, BOOT_MULTIBOOT);

    /* A failing format loader's message names the file. */
    boot_image_clear(&f->bi);
    boot_image_init(&f->bi);
    BzSpec bad = bz_default();
    bad.boot_flag = 0;
    g_autoptr(GByteArray) bzb = bz_build(&bad);
    g_autofree char *bzbp = write_bytes(f, "bad-bzImage", bzb->data, bzb->len);
    p.kernel = bzbp;
    g_assert_false(loader_load_kernel(&f->bi, &f->ram, &p, &err));
    g_autofree char *want = g_strdup_printf("kernel '%s': bzImage has a bad boot flag", bzbp);
    g_assert_cmpstr(err->message, ==, want);
}

static void test_kernel_truncated_file(Fixture *f, gconstpointer data)
{
    /* The first 1 KiB of a bzImage. */
    BzSpec bs = bz_default();
    g_autoptr(GByteArray) bz = bz_build(&bs);
    g_autofree char *path = write_bytes(f, "bzImage.1k", bz->data, 1024);
    BootParams p = { .kernel = path, .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(loader_load_kernel(&f->bi, &f->ram, &p, &err));
    assert_err_contains(err, path);
    assert_err_contains(err, "truncated bzImage");
}

/* ---- BootImage ---- */

static void test_boot_image_reinstall(Fixture *f, gconstpointer data)
{
    BootImage *bi = &f->bi;
    g_assert_cmpint(bi->protocol, ==, BOOT_NONE);
    g_assert_nonnull(bi->blobs);
    g_assert_cmpuint(bi->blobs->len, ==, 0);

    static const char a[] = "first blob";
    uint8_t b[3 * 4096];
    for (size_t i = 0; i < sizeof(b); i++) {
        b[i] = pm_byte(i);
    }
    g_autoptr(GError) err = NULL;
    g_assert_true(boot_image_add(bi, &f->ram, 0x1000, a, sizeof(a), "a", &err));
    g_assert_true(boot_image_add(bi, &f->ram, 0x300000 + 5, b, sizeof(b), "b", &err));
    /* Empty blobs are not recorded. */
    g_assert_true(boot_image_add(bi, &f->ram, 0x5000, b, 0, "empty", &err));
    g_assert_cmpuint(bi->blobs->len, ==, 2);
    g_assert_cmpmem(gpa(f, 0x1000, sizeof(a)), sizeof(a), a, sizeof(a));

    /* The guest scribbles over all of RAM; a reset puts the blobs back. */
    memset(f->ram.host, 0xee, f->ram.size);
    boot_image_reinstall(bi, &f->ram);
    g_assert_cmpmem(gpa(f, 0x1000, sizeof(a)), sizeof(a), a, sizeof(a));
    g_assert_cmpmem(gpa(f, 0x300005, sizeof(b)), sizeof(b), b, sizeof(b));
    /* Nothing else is touched. */
    g_assert_cmpuint(*gpa(f, 0x1000 + sizeof(a), 1), ==, 0xee);
    g_assert_cmpuint(*gpa(f, 0x300004, 1), ==, 0xee);
    g_assert_cmpuint(*gpa(f, 0x5000, 1), ==, 0xee);

    /* Blobs are copies: changing the source later does not matter. */
    b[0] ^= 0xff;
    memset(f->ram.host, 0, f->ram.size);
    boot_image_reinstall(bi, &f->ram);
    g_assert_cmpuint(*gpa(f, 0x300005, 1), ==, pm_byte(0));

    boot_image_clear(bi);
    g_assert_null(bi->blobs);
    boot_image_clear(bi);   /* twice is harmless */
    boot_image_init(bi);
}

static void test_boot_image_reinstall_linux(Fixture *f, gconstpointer data)
{
    /* After a full bzImage load, a reset restores kernel, command line,
     * initrd and zero page byte for byte. */
    BzSpec s = bz_default();
    g_autofree char *rd = write_file(f, "initrd", 50000, 3);
    BootParams p = { .kernel = "bzImage", .initrd = rd, .cmdline = "console=ttyS0",
                     .ncpus = 1 };
    g_autoptr(GError) err = NULL;
    g_assert_true(load_bz(f, &s, &p, &err));
    g_autofree uint8_t *snapshot = g_memdup2(f->ram.host, f->ram.size);
    memset(f->ram.host, 0, f->ram.size);
    boot_image_reinstall(&f->bi, &f->ram);
    g_assert_true(memcmp(snapshot, f->ram.host, f->ram.size) == 0);
}

static void test_boot_image_add_outside(Fixture *f, gconstpointer data)
{
    uint8_t b[16] = { 1 };
    g_autoptr(GError) err = NULL;
    g_assert_false(boot_image_add(&f->bi, &f->ram, f->ram.size - 8, b, sizeof(b), "thing",
                                  &err));
    assert_err_contains(err, "thing");
    assert_err_contains(err, "does not fit in guest RAM");
    g_assert_cmpuint(f->bi.blobs->len, ==, 0);
}

#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
#define ADD16(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup_16m, fn, fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/loader/bzimage/is-bzimage", test_is_bzimage);
    ADD("/loader/bzimage/load", test_bz_load);
    ADD("/loader/bzimage/no-cmdline", test_bz_no_cmdline);
    ADD("/loader/bzimage/initrd", test_bz_initrd);
    ADD("/loader/bzimage/initrd-top-of-ram", test_bz_initrd_top_of_ram);
    ADD16("/loader/bzimage/initrd-exact-fit", test_bz_initrd_exact_fit);
    ADD("/loader/bzimage/init-size-reserves", test_bz_init_size_reserves);
    ADD16("/loader/bzimage/kernel-too-big", test_bz_kernel_too_big);
    ADD("/loader/bzimage/truncated", test_bz_truncated);
    ADD("/loader/bzimage/setup-beyond-file", test_bz_setup_beyond_file);
    ADD("/loader/bzimage/old-protocol", test_bz_old_protocol);
    ADD("/loader/bzimage/bad-boot-flag", test_bz_bad_boot_flag);
    ADD("/loader/bzimage/cmdline-too-long", test_bz_cmdline_too_long);
    ADD16("/loader/bzimage/initrd-too-large", test_bz_initrd_too_large);
    ADD("/loader/bzimage/initrd-empty", test_bz_initrd_empty);
    ADD("/loader/bzimage/initrd-missing", test_bz_initrd_missing);
    ADD("/loader/bzimage/every-truncation", test_bz_every_truncation);
    ADD("/loader/bzimage/random-headers", test_bz_random_headers);
    g_test_add_func("/loader/multiboot/find", test_mb_find);
    ADD("/loader/multiboot/aout-load", test_mb_aout_load);
    ADD("/loader/multiboot/no-cmdline", test_mb_no_cmdline);
    ADD("/loader/multiboot/load-end", test_mb_load_end);
    ADD("/loader/multiboot/modules", test_mb_modules);
    ADD("/loader/multiboot/bad-headers", test_mb_bad_headers);
    ADD("/loader/multiboot/truncated-header", test_mb_truncated_header);
    ADD("/loader/multiboot/no-header", test_mb_no_header);
    ADD("/loader/multiboot/not-aout-not-elf", test_mb_not_aout_not_elf);
    ADD("/loader/elf/load", test_elf_load);
    ADD("/loader/elf/vmlinux", test_elf_vmlinux);
    ADD("/loader/elf/pvh", test_elf_pvh);
    ADD("/loader/elf/elf32-without-pvh", test_elf32_without_pvh);
    ADD("/loader/elf/corrupt", test_elf_corrupt);
    ADD("/loader/elf/every-truncation", test_elf_every_truncation);
    ADD("/loader/elf/bad-notes", test_elf_bad_notes);
    ADD("/loader/kernel/missing", test_kernel_missing);
    ADD("/loader/kernel/directory", test_kernel_directory);
    ADD("/loader/kernel/garbage", test_kernel_garbage);
    ADD16("/loader/kernel/larger-than-ram", test_kernel_larger_than_ram);
    ADD("/loader/kernel/dispatch", test_kernel_dispatch);
    ADD("/loader/kernel/truncated-file", test_kernel_truncated_file);
    ADD("/loader/boot-image/reinstall", test_boot_image_reinstall);
    ADD("/loader/boot-image/reinstall-linux", test_boot_image_reinstall_linux);
    ADD("/loader/boot-image/add-outside", test_boot_image_add_outside);

    return g_test_run();
}
