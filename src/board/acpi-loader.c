#include "board/acpi-loader.h"
#include "util/error.h"

#include <string.h>

#define ACPI_HDR_LEN      36
#define RSDP_V1_LEN       20
#define RSDP_V2_LEN       36
#define FADT_FACS         36
#define FADT_DSDT         40
#define FADT_X_FACS       132
#define FADT_X_DSDT       140
#define TABLES_MIN_SIZE   0x20000   /* QEMU's fixed size, so the directory matches */
#define SCRIPT_MIN_SIZE   4096

struct BiosLinker {
    GByteArray *cmds;
};

BiosLinker *bios_linker_new(void)
{
    BiosLinker *l = g_new0(BiosLinker, 1);
    l->cmds = g_byte_array_new();
    return l;
}

void bios_linker_free(BiosLinker *l)
{
    if (l) {
        g_byte_array_unref(l->cmds);
        g_free(l);
    }
}

static uint8_t *new_command(BiosLinker *l, uint32_t type)
{
    guint at = l->cmds->len;
    g_byte_array_set_size(l->cmds, at + BIOS_LOADER_COMMAND_SIZE);
    uint8_t *c = l->cmds->data + at;
    memset(c, 0, BIOS_LOADER_COMMAND_SIZE);
    uint32_t le = GUINT32_TO_LE(type);
    memcpy(c, &le, 4);
    return c;
}

static void put_name(uint8_t *p, const char *name)
{
    g_assert(strlen(name) < 56);
    strncpy((char *)p, name, 56);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, 4);
}

/* Layouts (after the 4-byte command): ALLOCATE file[56] align zone;
 * ADD_POINTER dest[56] src[56] offset size; ADD_CHECKSUM file[56]
 * offset start length. */
void bios_linker_allocate(BiosLinker *l, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *c = new_command(l, BIOS_LOADER_ALLOCATE);
    put_name(c + 4, file);
    put_le32(c + 60, align);
    c[64] = zone;
}

void bios_linker_add_pointer(BiosLinker *l, const char *dest_file, uint32_t offset,
                             uint8_t size, const char *src_file)
{
    uint8_t *c = new_command(l, BIOS_LOADER_ADD_POINTER);
    put_name(c + 4, dest_file);
    put_name(c + 60, src_file);
    put_le32(c + 116, offset);
    c[120] = size;
}

void bios_linker_add_checksum(BiosLinker *l, const char *file, uint32_t offset, uint32_t start,
                              uint32_t len)
{
    uint8_t *c = new_command(l, BIOS_LOADER_ADD_CHECKSUM);
    put_name(c + 4, file);
    put_le32(c + 60, offset);
    put_le32(c + 64, start);
    put_le32(c + 68, len);
}

GBytes *bios_linker_finish(BiosLinker *l, size_t min_size)
{
    if (l->cmds->len < min_size) {
        guint at = l->cmds->len;
        g_byte_array_set_size(l->cmds, min_size);
        memset(l->cmds->data + at, 0, min_size - at);
    }
    return g_bytes_new(l->cmds->data, l->cmds->len);
}

/* ---- relocating Tern's tables ---- */

typedef struct {
    const uint8_t *blob;
    size_t len;
    BiosLinker *linker;
    GHashTable *done;       /* table offsets already handled */
} Walk;

static uint64_t get_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;) {
        v = v << 8 | p[i];
    }
    return v;
}

static bool table_at(Walk *w, uint64_t off, uint32_t *len, GError **errp)
{
    if (off > w->len || w->len - off < 8) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "ACPI table at 0x%" G_GINT64_MODIFIER "x is outside the tables", off);
        return false;
    }
    *len = get_le(w->blob + off + 4, 4);
    if (*len < 8 || *len > w->len - off) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "ACPI table at 0x%" G_GINT64_MODIFIER "x has a bad length %u", off, *len);
        return false;
    }
    return true;
}

static bool relocate_table(Walk *w, uint64_t off, GError **errp);

/* A pointer field inside a table: relocate what it points to first, then
 * the field itself. A zero pointer is "absent". */
static bool relocate_pointer(Walk *w, uint64_t table, uint32_t field, unsigned size,
                             GError **errp)
{
    uint64_t target = get_le(w->blob + table + field, size);
    if (!target) {
        return true;
    }
    if (!relocate_table(w, target, errp)) {
        return false;
    }
    bios_linker_add_pointer(w->linker, ACPI_LOADER_FILE_TABLES, table + field, size,
                            ACPI_LOADER_FILE_TABLES);
    return true;
}

static bool relocate_table(Walk *w, uint64_t off, GError **errp)
{
    if (g_hash_table_contains(w->done, GSIZE_TO_POINTER(off))) {
        return true;
    }
    g_hash_table_add(w->done, GSIZE_TO_POINTER(off));
    uint32_t len;
    if (!table_at(w, off, &len, errp)) {
        return false;
    }
    const uint8_t *t = w->blob + off;
    if (!memcmp(t, "FACS", 4)) {
        return true;   /* no checksum, no pointers */
    }
    if (len < ACPI_HDR_LEN) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "ACPI table %.4s is too short", t);
        return false;
    }
    bool ok = true;
    if (!memcmp(t, "RSDT", 4) || !memcmp(t, "XSDT", 4)) {
        unsigned size = t[0] == 'X' ? 8 : 4;
        for (uint32_t f = ACPI_HDR_LEN; ok && f + size <= len; f += size) {
            ok = relocate_pointer(w, off, f, size, errp);
        }
    } else if (!memcmp(t, "FACP", 4)) {
        ok = relocate_pointer(w, off, FADT_FACS, 4, errp) &&
             relocate_pointer(w, off, FADT_DSDT, 4, errp) &&
             (len < FADT_X_FACS + 8 || relocate_pointer(w, off, FADT_X_FACS, 8, errp)) &&
             (len < FADT_X_DSDT + 8 || relocate_pointer(w, off, FADT_X_DSDT, 8, errp));
    }
    if (ok) {
        bios_linker_add_checksum(w->linker, ACPI_LOADER_FILE_TABLES, off + 9, off, len);
    }
    return ok;
}

bool acpi_loader_build(const uint8_t *blob, size_t len, AcpiLoaderFiles *out, GError **errp)
{
    memset(out, 0, sizeof(*out));
    if (len < RSDP_V1_LEN || memcmp(blob, "RSD PTR ", 8)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "ACPI tables do not start with an RSDP");
        return false;
    }
    size_t rsdp_len = blob[15] >= 2 ? RSDP_V2_LEN : RSDP_V1_LEN;
    g_autoptr(BiosLinker) l = bios_linker_new();
    g_autoptr(GHashTable) done = g_hash_table_new(NULL, NULL);
    Walk w = { .blob = blob, .len = len, .linker = l, .done = done };

    /* The RSDP must be found by a scan of the BIOS segment; the rest may
     * go anywhere. 64-byte alignment keeps the FACS's own alignment. */
    bios_linker_allocate(l, ACPI_LOADER_FILE_RSDP, 16, BIOS_LOADER_ZONE_FSEG);
    bios_linker_allocate(l, ACPI_LOADER_FILE_TABLES, 64, BIOS_LOADER_ZONE_HIGH);
    uint64_t rsdt = get_le(blob + 16, 4);
    uint64_t xsdt = rsdp_len == RSDP_V2_LEN ? get_le(blob + 24, 8) : 0;
    if ((rsdt && !relocate_table(&w, rsdt, errp)) || (xsdt && !relocate_table(&w, xsdt, errp))) {
        return false;
    }
    if (rsdt) {
        bios_linker_add_pointer(l, ACPI_LOADER_FILE_RSDP, 16, 4, ACPI_LOADER_FILE_TABLES);
    }
    if (xsdt) {
        bios_linker_add_pointer(l, ACPI_LOADER_FILE_RSDP, 24, 8, ACPI_LOADER_FILE_TABLES);
    }
    /* The ACPI 1.0 checksum first: the extended one covers its byte. */
    bios_linker_add_checksum(l, ACPI_LOADER_FILE_RSDP, 8, 0, RSDP_V1_LEN);
    if (rsdp_len == RSDP_V2_LEN) {
        bios_linker_add_checksum(l, ACPI_LOADER_FILE_RSDP, 32, 0, RSDP_V2_LEN);
    }

    out->rsdp = g_bytes_new(blob, rsdp_len);
    uint8_t *tables = g_malloc0(MAX(len, (size_t)TABLES_MIN_SIZE));
    memcpy(tables + rsdp_len, blob + rsdp_len, len - rsdp_len);
    out->tables = g_bytes_new_take(tables, MAX(len, (size_t)TABLES_MIN_SIZE));
    out->loader = bios_linker_finish(l, SCRIPT_MIN_SIZE);
    return true;
}

void acpi_loader_files_clear(AcpiLoaderFiles *f)
{
    g_clear_pointer(&f->rsdp, g_bytes_unref);
    g_clear_pointer(&f->tables, g_bytes_unref);
    g_clear_pointer(&f->loader, g_bytes_unref);
}
