/* fw_cfg on the PC's I/O ports (see fw-cfg.h). The register behaviour,
 * including what odd-sized accesses see, was measured on QEMU 7.2 with
 * the qtest protocol (tests/guest/test-fw-cfg.c keeps the figures). */
#define G_LOG_DOMAIN "tern-fw-cfg"
#include "board/fw-cfg.h"
#include "board/acpi-loader.h"
#include "board/acpi.h"
#include "board/pc.h"
#include "board/smbios.h"
#include "util/error.h"

#include <string.h>

#define FW_CFG_CTL_SIZE 2          /* selector; the data port is its second byte */
#define FW_CFG_DMA_SIZE 8
#define FW_CFG_DIR_ENTRY 64
#define FW_CFG_KEY(sel) ((sel) & ~FW_CFG_WRITE_CHANNEL)

/* AMD's HyperTransport range below 1 TiB: QEMU 7.2 reserves it in the
 * e820 map whenever the vCPUs are AMD. */
#define AMD_HT_START 0xfd00000000ULL
#define AMD_HT_SIZE  0x300000000ULL
#define E820_RAM      1
#define E820_RESERVED 2

extern const DeviceInfo fw_cfg_io_info;

typedef struct FwCfgFile {
    char name[FW_CFG_FILE_NAME_MAX];
    GBytes *data;
} FwCfgFile;

struct FwCfgState {
    DeviceState parent;
    /* properties */
    bool dma_enabled;
    uint32_t file_slots;
    bool acpi_mr_restore;
    /* guest-visible state */
    uint16_t selector;
    uint32_t offset;           /* into the selected item */
    uint32_t dma_addr_high;    /* latched by a write to the high half */
    /* contents, rebuilt identically on the destination of a migration */
    GHashTable *items;         /* key → GBytes */
    GArray *files;             /* FwCfgFile, sorted by name */
};

/* ---- items ---- */

static GBytes *item(FwCfgState *s, uint16_t key)
{
    return g_hash_table_lookup(s->items, GUINT_TO_POINTER(FW_CFG_KEY(key)));
}

GBytes *fw_cfg_get(FwCfgState *s, uint16_t key)
{
    return item(s, key);
}

void fw_cfg_add_bytes(FwCfgState *s, uint16_t key, GBytes *data)
{
    g_hash_table_replace(s->items, GUINT_TO_POINTER(FW_CFG_KEY(key)), data);
}

void fw_cfg_add_i16(FwCfgState *s, uint16_t key, uint16_t value)
{
    value = GUINT16_TO_LE(value);
    fw_cfg_add_bytes(s, key, g_bytes_new(&value, sizeof(value)));
}

void fw_cfg_add_i32(FwCfgState *s, uint16_t key, uint32_t value)
{
    value = GUINT32_TO_LE(value);
    fw_cfg_add_bytes(s, key, g_bytes_new(&value, sizeof(value)));
}

void fw_cfg_add_i64(FwCfgState *s, uint16_t key, uint64_t value)
{
    value = GUINT64_TO_LE(value);
    fw_cfg_add_bytes(s, key, g_bytes_new(&value, sizeof(value)));
}

/* The directory: be32 count, then per file be32 size, be16 select,
 * be16 reserved, name[56]. */
static void rebuild_directory(FwCfgState *s)
{
    gsize len = 4 + (gsize)s->files->len * FW_CFG_DIR_ENTRY;
    uint8_t *dir = g_malloc0(len);
    uint32_t count = GUINT32_TO_BE(s->files->len);
    memcpy(dir, &count, 4);
    for (guint i = 0; i < s->files->len; i++) {
        FwCfgFile *f = &g_array_index(s->files, FwCfgFile, i);
        uint8_t *e = dir + 4 + i * FW_CFG_DIR_ENTRY;
        uint32_t size = GUINT32_TO_BE(g_bytes_get_size(f->data));
        uint16_t key = GUINT16_TO_BE(FW_CFG_FILE_FIRST + i);
        memcpy(e, &size, 4);
        memcpy(e + 4, &key, 2);
        memcpy(e + 8, f->name, FW_CFG_FILE_NAME_MAX);
        fw_cfg_add_bytes(s, FW_CFG_FILE_FIRST + i, g_bytes_ref(f->data));
    }
    fw_cfg_add_bytes(s, FW_CFG_FILE_DIR, g_bytes_new_take(dir, len));
}

bool fw_cfg_add_file(FwCfgState *s, const char *name, GBytes *data, GError **errp)
{
    if (strlen(name) >= FW_CFG_FILE_NAME_MAX) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "fw_cfg file name too long: %s", name);
        g_bytes_unref(data);
        return false;
    }
    guint i = 0;
    while (i < s->files->len && strcmp(g_array_index(s->files, FwCfgFile, i).name, name) < 0) {
        i++;
    }
    if (i < s->files->len && !strcmp(g_array_index(s->files, FwCfgFile, i).name, name)) {
        FwCfgFile *f = &g_array_index(s->files, FwCfgFile, i);
        g_bytes_unref(f->data);
        f->data = data;
    } else {
        if (s->files->len >= s->file_slots) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "fw_cfg: no free file slot for %s (x-file-slots=%u)", name,
                        s->file_slots);
            g_bytes_unref(data);
            return false;
        }
        FwCfgFile f = { .data = data };
        g_strlcpy(f.name, name, sizeof(f.name));
        g_array_insert_val(s->files, i, f);
    }
    /* Inserting renumbers the files after it: selectors follow the names. */
    rebuild_directory(s);
    return true;
}

int fw_cfg_file_key(FwCfgState *s, const char *name)
{
    for (guint i = 0; i < s->files->len; i++) {
        if (!strcmp(g_array_index(s->files, FwCfgFile, i).name, name)) {
            return FW_CFG_FILE_FIRST + i;
        }
    }
    return -1;
}

/* ---- the data port ---- */

/* One byte of the selected item; past its end (or with no item) 0. */
static uint8_t data_read_byte(FwCfgState *s)
{
    GBytes *b = item(s, s->selector);
    gsize len;
    const uint8_t *p = b ? g_bytes_get_data(b, &len) : NULL;
    if (!p || s->offset >= len) {
        return 0;
    }
    return p[s->offset++];
}

static void select_item(FwCfgState *s, uint16_t selector)
{
    s->selector = selector;
    s->offset = 0;
}

/* What byte `off` of the device's 12-port window (0x510-0x51b) reads as
 * on its own: QEMU splits a wide access at region boundaries, so inl
 * 0x511 gets one data byte, two unassigned 0xff and the first byte of
 * the DMA signature. */
static uint8_t window_byte(FwCfgState *s, unsigned off)
{
    if (off < FW_CFG_CTL_SIZE) {
        return data_read_byte(s);
    }
    unsigned dma = FW_CFG_DMA_IO_BASE - FW_CFG_IO_BASE;
    if (s->dma_enabled && off >= dma && off < dma + FW_CFG_DMA_SIZE) {
        return FW_CFG_DMA_SIGNATURE >> (8 * (FW_CFG_DMA_SIZE - 1 - (off - dma)));
    }
    return 0xff;
}

static uint64_t window_read(FwCfgState *s, unsigned off, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)window_byte(s, off + i) << (8 * i);
    }
    return v;
}

static uint64_t ctl_read(void *opaque, uint64_t off, unsigned size)
{
    /* The selector is write-only: a 16- or 32-bit read at 0x510 gives 0
     * and does not touch the data offset; a byte read at 0x510 or 0x511
     * reads data. */
    if (off == 0 && size >= 2) {
        return 0;
    }
    return window_read(opaque, off, size);
}

static void ctl_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    FwCfgState *s = opaque;
    /* Only a 16-bit write at 0x510 selects. Data-port writes are no-ops
     * since QEMU 2.4: items are written through DMA only. */
    if (off == 0 && size == 2) {
        select_item(s, val);
    }
}

static const TernRegionOps ctl_ops = {
    .read = ctl_read,
    .write = ctl_write,
};

/* ---- DMA ---- */

static GuestRam *guest_ram(FwCfgState *s)
{
    return &s->parent.machine->ram;
}

/* Reads `len` bytes of the item into guest memory, zeros past its end.
 * Page by page: the guest picks len (up to 4 GiB), and a page outside
 * RAM fails alone, as in QEMU, which writes the parts that are RAM. */
static bool dma_read(FwCfgState *s, uint64_t addr, uint32_t len)
{
    GBytes *b = item(s, s->selector);
    gsize ilen = 0;
    const uint8_t *p = b ? g_bytes_get_data(b, &ilen) : NULL;
    uint8_t page[GUEST_PAGE_SIZE];
    bool ok = true;
    while (len) {
        uint32_t chunk = MIN((uint64_t)len, GUEST_PAGE_SIZE - (addr & (GUEST_PAGE_SIZE - 1)));
        uint32_t avail = s->offset < ilen ? ilen - s->offset : 0;
        uint32_t n = MIN(chunk, avail);
        if (n) {
            memcpy(page, p + s->offset, n);
        }
        memset(page + n, 0, chunk - n);
        s->offset += n;
        ok &= guest_ram_write(guest_ram(s), addr, page, chunk);
        addr += chunk;
        len -= chunk;
    }
    return ok;
}

static void dma_transfer(FwCfgState *s, uint64_t desc)
{
    uint8_t d[16];
    if (!guest_ram_read(guest_ram(s), desc, d, sizeof(d))) {
        return;   /* nowhere to report to */
    }
    uint32_t control, length;
    uint64_t addr;
    memcpy(&control, d, 4);
    memcpy(&length, d + 4, 4);
    memcpy(&addr, d + 8, 8);
    control = GUINT32_FROM_BE(control);
    length = GUINT32_FROM_BE(length);
    addr = GUINT64_FROM_BE(addr);

    if (control & FW_CFG_DMA_SELECT) {
        select_item(s, control >> 16);
    }
    bool error = false;
    GBytes *b = item(s, s->selector);
    gsize ilen = b ? g_bytes_get_size(b) : 0;
    uint32_t remaining = s->offset < ilen ? ilen - s->offset : 0;
    if (control & FW_CFG_DMA_READ) {
        error = !dma_read(s, addr, length);
    } else if (control & FW_CFG_DMA_WRITE) {
        /* No item on this board is guest-writable. */
        error = length > 0;
        s->offset += MIN(length, remaining);
    } else if (control & FW_CFG_DMA_SKIP) {
        s->offset += MIN(length, remaining);
    }
    uint32_t result = GUINT32_TO_BE(error ? FW_CFG_DMA_ERROR : 0);
    guest_ram_write(guest_ram(s), desc, &result, sizeof(result));
}

static uint64_t dma_reg_read(void *opaque, uint64_t off, unsigned size)
{
    FwCfgState *s = opaque;
    return window_read(s, FW_CFG_DMA_IO_BASE - FW_CFG_IO_BASE + off, size);
}

/* The address is big-endian: the guest writes the high half at 0x514,
 * then the low half at 0x518, which starts the transfer. */
static void dma_reg_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    FwCfgState *s = opaque;
    if (off == 0 && size == 4) {
        s->dma_addr_high = GUINT32_FROM_BE((uint32_t)val);
    } else if (off == 4 && size == 4) {
        uint64_t addr = (uint64_t)s->dma_addr_high << 32 | GUINT32_FROM_BE((uint32_t)val);
        s->dma_addr_high = 0;
        dma_transfer(s, addr);
    } else if (off == 0 && size == 8) {
        s->dma_addr_high = 0;
        dma_transfer(s, GUINT64_FROM_BE(val));
    }
}

static const TernRegionOps dma_ops = {
    .read = dma_reg_read,
    .write = dma_reg_write,
};

/* ---- the PC's contents ---- */

static void e820_add(GByteArray *t, uint64_t addr, uint64_t len, uint32_t type)
{
    /* QEMU's struct e820_entry: le64 address, le64 length, le32 type. */
    uint8_t e[20];
    uint64_t a = GUINT64_TO_LE(addr), l = GUINT64_TO_LE(len);
    uint32_t ty = GUINT32_TO_LE(type);
    memcpy(e, &a, 8);
    memcpy(e + 8, &l, 8);
    memcpy(e + 16, &ty, 4);
    g_byte_array_append(t, e, sizeof(e));
}

static bool vcpus_are_amd(Machine *m)
{
    if (!m->has_kvm || !m->kvm.supported_cpuid) {
        return true;   /* QEMU's qemu64 model without KVM is AuthenticAMD */
    }
    const struct kvm_cpuid2 *c = m->kvm.supported_cpuid;
    for (uint32_t i = 0; i < c->nent; i++) {
        if (c->entries[i].function == 0) {
            return !memcmp(&c->entries[i].ebx, "Auth", 4) &&
                   !memcmp(&c->entries[i].edx, "enti", 4) &&
                   !memcmp(&c->entries[i].ecx, "cAMD", 4);
        }
    }
    return false;
}

/* "etc/e820": what firmware must not use, then RAM as whole ranges (the
 * firmware carves out its own areas), in QEMU's order. */
static GBytes *build_e820(Machine *m)
{
    g_autoptr(GByteArray) t = g_byte_array_new();
    if (m->has_kvm) {
        /* KVM's private pages (kvm.h), one range as in QEMU. */
        e820_add(t, KVM_IDENTITY_MAP_ADDR, KVM_IDENTITY_MAP_SIZE + KVM_TSS_SIZE, E820_RESERVED);
    }
    if (vcpus_are_amd(m)) {
        e820_add(t, AMD_HT_START, AMD_HT_SIZE, E820_RESERVED);
    }
    for (unsigned i = 0; i < m->ram.nslots; i++) {
        e820_add(t, m->ram.slots[i].gpa, m->ram.slots[i].size, E820_RAM);
    }
    return g_byte_array_free_to_bytes(g_steal_pointer(&t));
}

/* One past the highest APIC ID any possible vCPU can have: QEMU's
 * MAX_CPUS on the PC, and the size of the NUMA map. */
static unsigned apic_id_limit(const MachineConfig *cfg)
{
    unsigned limit = 0;
    for (unsigned i = 0; i < MAX(cfg->max_cpus, cfg->smp_cpus); i++) {
        limit = MAX(limit, machine_config_apic_id(cfg, i) + 1);
    }
    return limit;
}

bool fw_cfg_add_acpi(FwCfgState *s, Machine *m, GError **errp)
{
    g_autoptr(GByteArray) blob = machine_acpi_tables(m, 0, true);
    AcpiLoaderFiles f;
    if (!acpi_loader_build(blob->data, blob->len, &f, errp)) {
        return false;
    }
    bool ok = fw_cfg_add_file(s, ACPI_LOADER_FILE_RSDP, g_steal_pointer(&f.rsdp), errp) &&
              fw_cfg_add_file(s, ACPI_LOADER_FILE_TABLES, g_steal_pointer(&f.tables), errp) &&
              fw_cfg_add_file(s, ACPI_LOADER_FILE_SCRIPT, g_steal_pointer(&f.loader), errp);
    acpi_loader_files_clear(&f);
    return ok;
}

static bool add_smbios(FwCfgState *s, Machine *m, GError **errp)
{
    SmbiosConfig c;
    GBytes *anchor, *tables;
    smbios_config_from_machine(m, &c);
    smbios_build(&c, &anchor, &tables);
    if (!fw_cfg_add_file(s, SMBIOS_ANCHOR_FILE, anchor, errp)) {
        g_bytes_unref(tables);
        return false;
    }
    return fw_cfg_add_file(s, SMBIOS_TABLES_FILE, tables, errp);
}

/* The HPETs for firmware, as QEMU packs them: a count (0xff: none), then
 * 8 entries of { u32 event timer block ID, u64 address, u16 minimum tick,
 * u8 page protection }, little-endian, no padding. */
#define HPET_ITEM_ENTRIES 8
#define HPET_ITEM_ENTRY   15

static GBytes *build_hpet_item(const MachineConfig *cfg)
{
    uint8_t *p = g_malloc0(1 + HPET_ITEM_ENTRIES * HPET_ITEM_ENTRY);
    p[0] = cfg->hpet ? 1 : 0xff;
    if (cfg->hpet) {
        uint32_t id = GUINT32_TO_LE(HPET_BLOCK_ID);
        uint64_t addr = GUINT64_TO_LE(HPET_ADDR);
        memcpy(p + 1, &id, 4);
        memcpy(p + 5, &addr, 8);
    }
    return g_bytes_new_take(p, 1 + HPET_ITEM_ENTRIES * HPET_ITEM_ENTRY);
}

static GBytes *empty(void)
{
    return g_bytes_new_static("", 0);
}

static bool populate_pc(FwCfgState *s, GError **errp)
{
    Machine *m = s->parent.machine;
    const MachineConfig *cfg = m->cfg;
    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, g_bytes_new_static("QEMU", 4));
    fw_cfg_add_i32(s, FW_CFG_ID, FW_CFG_ID_TRADITIONAL | (s->dma_enabled ? FW_CFG_ID_DMA : 0));
    static const uint8_t no_uuid[16];
    fw_cfg_add_bytes(s, FW_CFG_UUID, g_bytes_new(cfg->has_uuid ? cfg->uuid : no_uuid, 16));
    fw_cfg_add_i64(s, FW_CFG_RAM_SIZE, cfg->ram_size);
    fw_cfg_add_i16(s, FW_CFG_NOGRAPHIC, cfg->nographic);
    fw_cfg_add_i16(s, FW_CFG_NB_CPUS, cfg->smp_cpus);
    fw_cfg_add_i16(s, FW_CFG_BOOT_MENU, cfg->boot_menu);
    unsigned limit = apic_id_limit(cfg);
    fw_cfg_add_i16(s, FW_CFG_MAX_CPUS, limit);
    /* No NUMA nodes: a zero node count, a zero node per APIC ID. */
    fw_cfg_add_bytes(s, FW_CFG_NUMA, g_bytes_new_take(g_malloc0((1 + limit) * 8), (1 + limit) * 8));
    /* The MADT routes ISA IRQ 0 to GSI 2, as the BIOS should be told. */
    fw_cfg_add_i32(s, FW_CFG_IRQ0_OVERRIDE, 1);
    fw_cfg_add_bytes(s, FW_CFG_HPET, build_hpet_item(cfg));

    /* -boot reboot-timeout (ms; -1, the default, never retries) and, with
     * menu=on, splash-time (how long the boot menu waits). */
    uint32_t boot_fail_wait = GUINT32_TO_LE((uint32_t)cfg->boot_reboot_timeout);
    if (cfg->boot_menu && cfg->boot_splash_time >= 0) {
        uint16_t wait = GUINT16_TO_LE((uint16_t)cfg->boot_splash_time);
        if (!fw_cfg_add_file(s, "etc/boot-menu-wait", g_bytes_new(&wait, 2), errp)) {
            return false;
        }
    }
    /* S-state table, S0..S5: bit 7 "supported", low bits SLP_TYP. The
     * DSDT has only \_S5 (SLP_TYP 0); QEMU's also offers S3 and S4. */
    static const uint8_t system_states[6] = { 0x80, 0, 0, 0, 0, 0x80 };
    /* The ACPI files come once every device exists (fw_cfg_add_acpi). */
    return fw_cfg_add_file(s, "bios-geometry", empty(), errp) &&
           fw_cfg_add_file(s, "bootorder", empty(), errp) &&
           fw_cfg_add_file(s, "etc/boot-fail-wait", g_bytes_new(&boot_fail_wait, 4), errp) &&
           fw_cfg_add_file(s, "etc/e820", build_e820(m), errp) &&
           add_smbios(s, m, errp) &&
           fw_cfg_add_file(s, "etc/system-states", g_bytes_new_static(system_states, 6), errp) &&
           fw_cfg_add_file(s, "etc/tpm/log", empty(), errp);
}

/* ---- the device ---- */

static void fw_cfg_free_file(gpointer p)
{
    g_bytes_unref(((FwCfgFile *)p)->data);
}

static void fw_cfg_unrealize(DeviceState *dev)
{
    FwCfgState *s = (FwCfgState *)dev;
    g_clear_pointer(&s->items, g_hash_table_unref);
    g_clear_pointer(&s->files, g_array_unref);
}

static bool fw_cfg_realize(DeviceState *dev, GError **errp)
{
    FwCfgState *s = (FwCfgState *)dev;
    s->items = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_bytes_unref);
    s->files = g_array_new(FALSE, TRUE, sizeof(FwCfgFile));
    g_array_set_clear_func(s->files, fw_cfg_free_file);
    if (!populate_pc(s, errp) ||
        !machine_map_pio(dev->machine, "fwcfg", FW_CFG_IO_BASE, FW_CFG_CTL_SIZE, &ctl_ops, s,
                         errp)) {
        fw_cfg_unrealize(dev);
        return false;
    }
    if (s->dma_enabled && !machine_map_pio(dev->machine, "fwcfg.dma", FW_CFG_DMA_IO_BASE,
                                           FW_CFG_DMA_SIZE, &dma_ops, s, errp)) {
        address_space_remove(dev->machine->pio, FW_CFG_IO_BASE);
        fw_cfg_unrealize(dev);
        return false;
    }
    return true;
}

static void fw_cfg_reset(DeviceState *dev)
{
    FwCfgState *s = (FwCfgState *)dev;
    select_item(s, FW_CFG_SIGNATURE);
    s->dma_addr_high = 0;
}

FwCfgState *fw_cfg_find(Machine *m)
{
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        if (d->info == &fw_cfg_io_info) {
            return (FwCfgState *)d;
        }
    }
    return NULL;
}

/* The stream is untrusted: an offset past the selected item would only
 * read zeros, but keep it where the device itself could have put it. */
static bool fw_cfg_post_load(void *obj, GError **errp)
{
    FwCfgState *s = obj;
    GBytes *b = item(s, s->selector);
    gsize len = b ? g_bytes_get_size(b) : 0;
    if (s->offset > len) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "fw_cfg: offset %u is beyond item 0x%x (%zu bytes)", s->offset,
                    s->selector, (size_t)len);
        return false;
    }
    return true;
}

static const DeviceProperty fw_cfg_props[] = {
    /* QEMU's order. x-file-slots is a uint16 there. */
    DEFINE_PROP_BOOL("acpi-mr-restore", FwCfgState, acpi_mr_restore, true),
    DEFINE_PROP_U32("x-file-slots", FwCfgState, file_slots, 32),
    DEFINE_PROP_BOOL("dma_enabled", FwCfgState, dma_enabled, true),
    DEFINE_PROP_END,
};

static const StateField fw_cfg_fields[] = {
    STATE_UINT(FwCfgState, selector),
    STATE_UINT(FwCfgState, offset),
    STATE_UINT(FwCfgState, dma_addr_high),
    STATE_END,
};

static const StateDescription fw_cfg_state = {
    .name = "fw_cfg", .version = 1, .fields = fw_cfg_fields, .post_load = fw_cfg_post_load,
};

const DeviceInfo fw_cfg_io_info = {
    .name = "fw_cfg_io",
    .parent = "sys-bus-device",
    .desc = "QEMU firmware configuration interface (I/O ports)",
    .instance_size = sizeof(FwCfgState),
    .props = fw_cfg_props,
    .realize = fw_cfg_realize,
    .reset = fw_cfg_reset,
    .unrealize = fw_cfg_unrealize,
    .state = &fw_cfg_state,
};
