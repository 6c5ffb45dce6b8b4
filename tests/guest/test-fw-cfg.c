/* fw_cfg on the PC board, driven through the I/O ports and guest RAM as
 * firmware would (vCPUs held with -S). Expected values were recorded from
 * QEMU 7.2 (Debian 1:7.2+dfsg-7) with the qtest protocol, e.g.
 *   printf 'outw 0x510 0x0000\ninb 0x511\n' |
 *     qemu-system-x86_64 -M pc -accel kvm -S -nodefaults -display none -qtest stdio
 * Reference: QEMU's docs/specs/fw_cfg (selector, data, DMA, directory). */
#include "board/acpi-loader.h"
#include "board/fw-cfg.h"
#include "board/pc.h"
#include "board.h"

#include <string.h>

static uint64_t in(Board *b, uint16_t port, unsigned size)
{
    return board_in(b, port, size);
}

static uint8_t inb(Board *b, uint16_t port) { return in(b, port, 1); }

static void out(Board *b, uint16_t port, uint64_t v, unsigned size)
{
    board_out(b, port, v, size);
}

static void fw_select(Board *b, uint16_t key)
{
    out(b, FW_CFG_IO_BASE, key, 2);
}

static void fw_read(Board *b, uint16_t key, void *buf, size_t len)
{
    fw_select(b, key);
    for (size_t i = 0; i < len; i++) {
        ((uint8_t *)buf)[i] = inb(b, FW_CFG_IO_BASE + 1);
    }
}

static uint64_t fw_read_le(Board *b, uint16_t key, unsigned size)
{
    uint8_t buf[8] = { 0 };
    fw_read(b, key, buf, size);
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;) {
        v = v << 8 | buf[i];
    }
    return v;
}

typedef struct {
    char name[56];
    uint16_t key;
    uint32_t size;
} DirEntry;

static GArray *fw_dir(Board *b)
{
    uint32_t count;
    fw_read(b, FW_CFG_FILE_DIR, &count, 4);
    count = GUINT32_FROM_BE(count);
    GArray *dir = g_array_new(FALSE, TRUE, sizeof(DirEntry));
    for (uint32_t i = 0; i < count; i++) {
        uint8_t e[64];
        for (int j = 0; j < 64; j++) {
            e[j] = inb(b, FW_CFG_IO_BASE + 1);
        }
        DirEntry d;
        memcpy(d.name, e + 8, 56);
        d.size = (uint32_t)e[0] << 24 | e[1] << 16 | e[2] << 8 | e[3];
        d.key = e[4] << 8 | e[5];
        g_array_append_val(dir, d);
    }
    return dir;
}

static GBytes *fw_file(Board *b, const char *name)
{
    g_autoptr(GArray) dir = fw_dir(b);
    for (guint i = 0; i < dir->len; i++) {
        DirEntry *d = &g_array_index(dir, DirEntry, i);
        if (!strcmp(d->name, name)) {
            uint8_t *buf = g_malloc(d->size + 1);
            fw_read(b, d->key, buf, d->size);
            return g_bytes_new_take(buf, d->size);
        }
    }
    return NULL;
}

/* /fw_cfg/signature: "QEMU", then zeros past the end. */
static void test_signature(void)
{
    Board b;
    board_init(&b, NULL);
    char sig[6];
    fw_read(&b, FW_CFG_SIGNATURE, sig, 6);
    g_assert_cmpmem(sig, 6, "QEMU\0\0", 6);
    /* Reset selects the signature; bit 14 (write access) is not part of
     * the key; an unknown key reads zeros. */
    fw_select(&b, FW_CFG_ID);
    device_reset((DeviceState *)fw_cfg_find(b.m));
    g_assert_cmphex(inb(&b, 0x511), ==, 'Q');
    fw_select(&b, FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
    g_assert_cmphex(inb(&b, 0x511), ==, 'Q');
    fw_select(&b, 0x1234);
    g_assert_cmphex(inb(&b, 0x511), ==, 0);
    board_free(&b);
}

/* /fw_cfg/numbers: QEMU 7.2 with -smp 6,sockets=2,cores=3 -uuid ...:
 * ID 3, RAM 0x8000000, NB_CPUS 6, MAX_CPUS 7 (one past the highest
 * APIC ID: cores take two bits), IRQ0_OVERRIDE 1, the UUID's bytes. */
static void test_numbers(void)
{
    const char *extra[] = { "-smp", "6,sockets=2,cores=3", "-uuid",
                            "12345678-9abc-def0-1122-334455667788", NULL };
    Board b;
    board_init(&b, extra);
    g_assert_cmphex(fw_read_le(&b, FW_CFG_ID, 4), ==, 3);
    g_assert_cmphex(fw_read_le(&b, FW_CFG_RAM_SIZE, 8), ==, 0x8000000);
    g_assert_cmpuint(fw_read_le(&b, FW_CFG_NOGRAPHIC, 2), ==, 0);
    g_assert_cmpuint(fw_read_le(&b, FW_CFG_NB_CPUS, 2), ==, 6);
    g_assert_cmpuint(fw_read_le(&b, FW_CFG_MAX_CPUS, 2), ==, 7);
    g_assert_cmpuint(fw_read_le(&b, FW_CFG_IRQ0_OVERRIDE, 4), ==, 1);
    uint8_t uuid[16];
    fw_read(&b, FW_CFG_UUID, uuid, 16);
    static const uint8_t want[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                      0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
    g_assert_cmpmem(uuid, 16, want, 16);
    board_free(&b);
}

/* /fw_cfg/ports/widths: what each access reads on QEMU 7.2, and how many
 * data bytes it consumes (the next inb 0x511 shows it), with the
 * signature item selected. The selector is write-only; a byte read at
 * 0x510 reads data; wide reads are split where QEMU's regions end.
 * Not covered: accesses starting at the unassigned 0x512/0x513 that run
 * into the DMA register (QEMU: inl 0x512 = 0x4551ffff; Tern's address
 * space gives all-ones to any access starting outside a region). */
static void test_port_widths(void)
{
    static const struct { uint16_t port; unsigned size; uint32_t value; uint8_t next; } t[] = {
        { 0x510, 1, 0x51, 'E' }, { 0x510, 2, 0x0000, 'Q' }, { 0x510, 4, 0x0, 'Q' },
        { 0x511, 1, 0x51, 'E' }, { 0x511, 2, 0xff51, 'E' }, { 0x511, 4, 0x51ffff51, 'E' },
        { 0x514, 1, 0x51, 'Q' }, { 0x514, 2, 0x4551, 'Q' }, { 0x514, 4, 0x554d4551, 'Q' },
        { 0x515, 4, 0x20554d45, 'Q' }, { 0x517, 2, 0x2055, 'Q' },
        { 0x518, 4, 0x47464320, 'Q' }, { 0x519, 4, 0xff474643, 'Q' },
        { 0x51a, 4, 0xffff4746, 'Q' }, { 0x51b, 2, 0xff47, 'Q' },
    };
    Board b;
    board_init(&b, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
        fw_select(&b, FW_CFG_SIGNATURE);
        g_assert_cmphex(in(&b, t[i].port, t[i].size), ==, t[i].value);
        g_assert_cmphex(inb(&b, 0x511), ==, t[i].next);
    }
    /* Only a 16-bit write selects; data writes are ignored. */
    fw_select(&b, FW_CFG_ID);
    out(&b, 0x510, FW_CFG_SIGNATURE, 1);
    out(&b, 0x510, FW_CFG_SIGNATURE, 4);
    out(&b, 0x511, 0x99, 1);
    g_assert_cmphex(inb(&b, 0x511), ==, 3);
    /* ID's bytes, one per inw: the second byte of inw is port 0x512. */
    fw_select(&b, FW_CFG_NB_CPUS);
    g_assert_cmphex(in(&b, 0x511, 2), ==, 0xff01);
    board_free(&b);
}

/* /fw_cfg/directory: QEMU 7.2 -M pc -nodefaults (-m 128M, KVM) lists
 *   bios-geometry 0, bootorder 0, etc/acpi/rsdp 20, etc/acpi/tables 131072,
 *   etc/boot-fail-wait 4, etc/e820 60, etc/smbios/smbios-anchor 31,
 *   etc/smbios/smbios-tables 321, etc/system-states 6,
 *   etc/table-loader 4096, etc/tpm/log 0, genroms/kvmvapic.bin 9216
 * at selectors 0x20.. in name order. Tern has no kvmvapic option ROM. */
static void test_directory(void)
{
    static const struct { const char *name; uint32_t size; } want[] = {
        { "bios-geometry", 0 }, { "bootorder", 0 }, { "etc/acpi/rsdp", 20 },
        { "etc/acpi/tables", 131072 }, { "etc/boot-fail-wait", 4 }, { "etc/e820", 60 },
        { "etc/smbios/smbios-anchor", 31 }, { "etc/smbios/smbios-tables", 321 },
        { "etc/system-states", 6 }, { "etc/table-loader", 4096 }, { "etc/tpm/log", 0 },
    };
    Board b;
    board_init(&b, NULL);
    g_autoptr(GArray) dir = fw_dir(&b);
    g_assert_cmpuint(dir->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < dir->len; i++) {
        DirEntry *d = &g_array_index(dir, DirEntry, i);
        g_assert_cmpstr(d->name, ==, want[i].name);
        g_assert_cmpuint(d->size, ==, want[i].size);
        g_assert_cmphex(d->key, ==, FW_CFG_FILE_FIRST + i);
    }
    g_autoptr(GBytes) wait = fw_file(&b, "etc/boot-fail-wait");
    g_assert_cmpmem(g_bytes_get_data(wait, NULL), 4, "\xff\xff\xff\xff", 4);
    /* QEMU: 80 00 00 81 82 80 (S3 and S4 too); Tern's DSDT has only \_S5. */
    g_autoptr(GBytes) states = fw_file(&b, "etc/system-states");
    g_assert_cmpmem(g_bytes_get_data(states, NULL), 6, "\x80\0\0\0\0\x80", 6);
    board_free(&b);
}

static void put_e820(GByteArray *a, uint64_t addr, uint64_t len, uint32_t type)
{
    uint8_t e[20];
    for (int i = 0; i < 8; i++) {
        e[i] = addr >> (8 * i);
        e[8 + i] = len >> (8 * i);
    }
    for (int i = 0; i < 4; i++) {
        e[16 + i] = type >> (8 * i);
    }
    g_byte_array_append(a, e, 20);
}

/* /fw_cfg/e820: QEMU 7.2 with KVM on an AMD host, -m 4G:
 *   feffc000+4000 reserved (KVM's identity map page and TSS),
 *   fd00000000+300000000 reserved (AMD HyperTransport, AMD vCPUs only),
 *   0+c0000000 RAM, 100000000+40000000 RAM.
 * Tern puts KVM's pages where QEMU does (src/kvm/kvm.h): the same bytes. */
static void test_e820(void)
{
    const char *extra[] = { "-m", "4G", NULL };
    Board b;
    board_init(&b, extra);
    g_autoptr(GByteArray) want = g_byte_array_new();
    put_e820(want, 0xfeffc000, 0x4000, 2);
    uint32_t vendor[4];
    __asm__("cpuid" : "=a"(vendor[0]), "=b"(vendor[1]), "=c"(vendor[2]), "=d"(vendor[3])
            : "a"(0));
    if (!memcmp(&vendor[1], "Auth", 4) && !memcmp(&vendor[3], "enti", 4)) {
        put_e820(want, 0xfd00000000ULL, 0x300000000ULL, 2);
    }
    put_e820(want, 0, 0xc0000000, 1);
    put_e820(want, 0x100000000ULL, 0x40000000, 1);
    g_autoptr(GBytes) e820 = fw_file(&b, "etc/e820");
    gsize len;
    const void *p = g_bytes_get_data(e820, &len);
    g_assert_cmpmem(p, len, want->data, want->len);
    board_free(&b);
}

#define DESC 0x1000
#define BUF 0x2000

static uint32_t dma(Board *b, uint32_t control, uint32_t len, uint64_t addr)
{
    uint8_t d[16];
    uint32_t c = GUINT32_TO_BE(control), l = GUINT32_TO_BE(len);
    uint64_t a = GUINT64_TO_BE(addr);
    memcpy(d, &c, 4);
    memcpy(d + 4, &l, 4);
    memcpy(d + 8, &a, 8);
    g_assert_true(guest_ram_write(&b->m->ram, DESC, d, 16));
    out(b, 0x514, 0, 4);
    out(b, 0x518, GUINT32_TO_BE(DESC), 4);
    g_assert_true(guest_ram_read(&b->m->ram, DESC, &c, 4));
    return GUINT32_FROM_BE(c);
}

static uint64_t ram_u64(Board *b, uint64_t gpa)
{
    uint64_t v;
    g_assert_true(guest_ram_read(&b->m->ram, gpa, &v, 8));
    return v;
}

/* /fw_cfg/dma: QEMU 7.2's results (control as written back). */
static void test_dma(void)
{
    Board b;
    board_init(&b, NULL);
    uint64_t fill = 0xaaaaaaaaaaaaaaaaULL;
    guest_ram_write(&b.m->ram, BUF, &fill, 8);
    /* select+read 6: "QEMU" and two zeros; control cleared. */
    g_assert_cmphex(dma(&b, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 6, BUF), ==, 0);
    uint64_t v = ram_u64(&b, BUF);
    g_assert_cmpmem(&v, 8, "QEMU\0\0\xaa\xaa", 8);
    /* A read goes on from the offset; past the end it is zeros. */
    g_assert_cmphex(dma(&b, FW_CFG_DMA_READ, 4, BUF), ==, 0);
    g_assert_cmphex(ram_u64(&b, BUF) & 0xffffffff, ==, 0);
    /* An unknown item reads zeros, without an error. */
    g_assert_cmphex(dma(&b, 0x1234u << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4, BUF), ==, 0);
    /* Skip moves the data offset. */
    g_assert_cmphex(dma(&b, FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP, 2, BUF), ==, 0);
    g_assert_cmphex(inb(&b, 0x511), ==, 'M');
    /* Writes: no item is writable; an empty write is not an error. */
    g_assert_cmphex(dma(&b, FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE, 2, BUF), ==, FW_CFG_DMA_ERROR);
    g_assert_cmphex(dma(&b, 0x1234u << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE, 2, BUF), ==,
                    FW_CFG_DMA_ERROR);
    g_assert_cmphex(dma(&b, FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE, 0, BUF), ==, 0);
    /* Outside RAM: error; across the end of RAM, the RAM part is written. */
    g_assert_cmphex(dma(&b, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4, 0xc0000000), ==,
                    FW_CFG_DMA_ERROR);
    g_assert_cmphex(dma(&b, FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4, 0x7fffffe), ==,
                    FW_CFG_DMA_ERROR);
    g_assert_cmphex(ram_u64(&b, 0x7fffff8), ==, 0x4551000000000000ULL);   /* "QE" */
    board_free(&b);
}

/* ---- a miniature firmware: runs etc/table-loader as SeaBIOS would ---- */

typedef struct {
    const char *name;
    uint8_t *mem;
    uint64_t addr;
    gsize len;
} Placed;

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--) {
        s += *p++;
    }
    return s;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) {
        v = v << 8 | p[i];
    }
    return v;
}

static Placed *find_placed(Placed *p, const char *name)
{
    for (int i = 0; i < 2; i++) {
        if (p[i].name && !strcmp(p[i].name, name)) {
            return &p[i];
        }
    }
    g_assert_not_reached();
}

/* /fw_cfg/acpi/table-loader: allocating the files, patching the pointers
 * and fixing checksums as the script says gives valid tables wherever
 * they land: every checksum is right and RSDP → RSDT/XSDT → FADT →
 * DSDT/FACS all point at their tables. */
static void test_table_loader(void)
{
    const char *extra[] = { "-smp", "2", NULL };
    Board b;
    board_init(&b, extra);
    g_autoptr(GBytes) script = fw_file(&b, ACPI_LOADER_FILE_SCRIPT);
    Placed placed[2] = { 0 };
    const uint64_t where[2] = { 0xf5a30, 0x7f00000 };   /* FSEG, high */
    gsize slen;
    const uint8_t *s = g_bytes_get_data(script, &slen);
    int nalloc = 0;
    for (gsize off = 0; off < slen; off += BIOS_LOADER_COMMAND_SIZE) {
        const uint8_t *c = s + off;
        switch (le(c, 4)) {
        case BIOS_LOADER_ALLOCATE: {
            g_assert_cmpint(nalloc, <, 2);
            Placed *p = &placed[nalloc];
            p->name = (const char *)c + 4;
            GBytes *f = fw_file(&b, p->name);
            g_assert_nonnull(f);
            p->mem = g_bytes_unref_to_data(f, &p->len);
            g_assert_cmpuint(c[64], ==, nalloc == 0 ? BIOS_LOADER_ZONE_FSEG
                                                    : BIOS_LOADER_ZONE_HIGH);
            p->addr = where[nalloc];
            g_assert_cmpuint(p->addr % le(c + 60, 4), ==, 0);
            nalloc++;
            break;
        }
        case BIOS_LOADER_ADD_POINTER: {
            Placed *dst = find_placed(placed, (const char *)c + 4);
            Placed *src = find_placed(placed, (const char *)c + 60);
            uint32_t at = le(c + 116, 4);
            unsigned size = c[120];
            g_assert_cmpuint(at + size, <=, dst->len);
            uint64_t v = le(dst->mem + at, size) + src->addr;
            for (unsigned i = 0; i < size; i++) {
                dst->mem[at + i] = v >> (8 * i);
            }
            break;
        }
        case BIOS_LOADER_ADD_CHECKSUM: {
            Placed *f = find_placed(placed, (const char *)c + 4);
            uint32_t at = le(c + 60, 4), start = le(c + 64, 4), len = le(c + 68, 4);
            g_assert_cmpuint(start + len, <=, f->len);
            f->mem[at] -= sum(f->mem + start, len);
            break;
        }
        case 0:
            break;
        default:
            g_assert_not_reached();
        }
    }
    g_assert_cmpint(nalloc, ==, 2);
    Placed *rsdp = find_placed(placed, ACPI_LOADER_FILE_RSDP);
    Placed *tables = find_placed(placed, ACPI_LOADER_FILE_TABLES);
    g_assert_cmpmem(rsdp->mem, 8, "RSD PTR ", 8);
    g_assert_cmpuint(sum(rsdp->mem, 20), ==, 0);
    g_assert_cmpuint(rsdp->mem[15], ==, 0);     /* ACPI 1.0, as QEMU's pc: RSDT only */
    /* No stale RSDP copy in the tables file. */
    g_assert_null(memmem(tables->mem, tables->len, "RSD PTR ", 8));
#define TABLE(a) (tables->mem + ((a) - tables->addr))
    const uint8_t *rsdt = TABLE(le(rsdp->mem + 16, 4));
    g_assert_cmpmem(rsdt, 4, "RSDT", 4);
    g_assert_null(memmem(tables->mem, tables->len, "XSDT", 4));
    const char *sigs[] = { "FACP", "APIC", "HPET" };
    g_assert_cmpuint(le(rsdt + 4, 4), ==, 36 + 4 * G_N_ELEMENTS(sigs));
    for (guint i = 0; i < G_N_ELEMENTS(sigs); i++) {
        g_assert_cmpuint(sum(rsdt, le(rsdt + 4, 4)), ==, 0);
        const uint8_t *t = TABLE(le(rsdt + 36 + 4 * i, 4));
        g_assert_cmpmem(t, 4, sigs[i], 4);
        g_assert_cmpuint(sum(t, le(t + 4, 4)), ==, 0);
    }
    const uint8_t *fadt = TABLE(le(rsdt + 36, 4));
    const uint8_t *dsdt = TABLE(le(fadt + 40, 4));
    g_assert_cmpmem(dsdt, 4, "DSDT", 4);
    g_assert_cmpuint(sum(dsdt, le(dsdt + 4, 4)), ==, 0);
    g_assert_cmpmem(TABLE(le(fadt + 36, 4)), 4, "FACS", 4);
    g_assert_cmpuint(le(fadt + 36, 4) % 64, ==, 0);
    g_assert_cmpuint(le(fadt + 140, 8), ==, le(fadt + 40, 4));
#undef TABLE
    for (int i = 0; i < 2; i++) {
        g_free(placed[i].mem);
    }
    board_free(&b);
}

/* /fw_cfg/state: selector and offset survive save → load; a stream with
 * the offset past the selected item is refused. */
static void test_state(void)
{
    Board b;
    board_init(&b, NULL);
    DeviceState *s = (DeviceState *)fw_cfg_find(b.m);
    const StateDescription *desc = s->info->state;
    fw_select(&b, FW_CFG_SIGNATURE);
    inb(&b, 0x511);
    g_autoptr(GByteArray) saved = g_byte_array_new();
    vmstate_save(desc, s, saved);
    fw_select(&b, FW_CFG_ID);
    g_autoptr(GError) err = NULL;
    g_assert_true(vmstate_load(desc, s, desc->version, saved->data, saved->len, &err));
    g_assert_cmphex(inb(&b, 0x511), ==, 'E');
    /* selector (2 bytes) then offset (4): an offset of 5 in "QEMU" */
    saved->data[2] = 5;
    g_assert_false(vmstate_load(desc, s, desc->version, saved->data, saved->len, &err));
    board_free(&b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!g_file_test("/dev/kvm", G_FILE_TEST_EXISTS)) {
        g_test_skip("no /dev/kvm");
        return g_test_run();
    }
    g_test_add_func("/fw_cfg/signature", test_signature);
    g_test_add_func("/fw_cfg/numbers", test_numbers);
    g_test_add_func("/fw_cfg/ports/widths", test_port_widths);
    g_test_add_func("/fw_cfg/directory", test_directory);
    g_test_add_func("/fw_cfg/e820", test_e820);
    g_test_add_func("/fw_cfg/dma", test_dma);
    g_test_add_func("/fw_cfg/acpi/table-loader", test_table_loader);
    g_test_add_func("/fw_cfg/state", test_state);
    return g_test_run();
}
