#include "board/aml.h"

#include <string.h>

/* Opcodes (ACPI 6.4, 20.3). */
enum {
    ZERO_OP = 0x00, ONE_OP = 0x01, ONES_OP = 0xff,
    BYTE_PREFIX = 0x0a, WORD_PREFIX = 0x0b, DWORD_PREFIX = 0x0c, STRING_PREFIX = 0x0d,
    QWORD_PREFIX = 0x0e,
    NAME_OP = 0x08, SCOPE_OP = 0x10, BUFFER_OP = 0x11, PACKAGE_OP = 0x12, METHOD_OP = 0x14,
    DUAL_NAME_PREFIX = 0x2e, MULTI_NAME_PREFIX = 0x2f, EXT_OP_PREFIX = 0x5b,
    ROOT_CHAR = 0x5c, PARENT_PREFIX = 0x5e,
    LOCAL0_OP = 0x60, ARG0_OP = 0x68, STORE_OP = 0x70, SHIFT_LEFT_OP = 0x79, NOTIFY_OP = 0x86, AND_OP = 0x7b, OR_OP = 0x7d,
    CREATE_DWORD_FIELD_OP = 0x8a, LLESS_OP = 0x95, IF_OP = 0xa0, RETURN_OP = 0xa4,
    EXT_OP_REGION = 0x80, EXT_FIELD = 0x81, EXT_DEVICE = 0x82,
};

static void put8(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

static void put_le(GByteArray *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        put8(b, v >> (8 * i));
    }
}

static void name_seg(GByteArray *b, const char *seg, size_t len)
{
    g_assert(len >= 1 && len <= 4);
    char s[4] = { '_', '_', '_', '_' };
    memcpy(s, seg, len);
    g_byte_array_append(b, (const uint8_t *)s, 4);
}

void aml_name_string(GByteArray *b, const char *path)
{
    if (*path == '\\') {
        put8(b, ROOT_CHAR);
        path++;
    }
    while (*path == '^') {
        put8(b, PARENT_PREFIX);
        path++;
    }
    g_auto(GStrv) segs = *path ? g_strsplit(path, ".", -1) : g_new0(char *, 1);
    guint n = g_strv_length(segs);
    if (n == 0) {
        put8(b, 0x00);   /* NullName */
        return;
    }
    if (n == 2) {
        put8(b, DUAL_NAME_PREFIX);
    } else if (n > 2) {
        put8(b, MULTI_NAME_PREFIX);
        put8(b, n);
    }
    for (guint i = 0; i < n; i++) {
        name_seg(b, segs[i], strlen(segs[i]));
    }
}

void aml_int(GByteArray *b, uint64_t v)
{
    if (v == 0) {
        put8(b, ZERO_OP);
    } else if (v == 1) {
        put8(b, ONE_OP);
    } else if (v <= 0xff) {
        put8(b, BYTE_PREFIX);
        put8(b, v);
    } else if (v <= 0xffff) {
        put8(b, WORD_PREFIX);
        put_le(b, v, 2);
    } else if (v <= 0xffffffff) {
        put8(b, DWORD_PREFIX);
        put_le(b, v, 4);
    } else {
        put8(b, QWORD_PREFIX);
        put_le(b, v, 8);
    }
}

void aml_string(GByteArray *b, const char *s)
{
    put8(b, STRING_PREFIX);
    g_byte_array_append(b, (const uint8_t *)s, strlen(s) + 1);
}

/* Compressed EISA ID: three 5-bit letters and four hex digits, stored
 * big-endian in a DWord. */
void aml_eisaid(GByteArray *b, const char *id)
{
    g_assert(strlen(id) == 7);
    uint16_t vendor = ((id[0] - 0x40) & 0x1f) << 10 | ((id[1] - 0x40) & 0x1f) << 5 |
                      ((id[2] - 0x40) & 0x1f);
    uint16_t product = (uint16_t)g_ascii_strtoull(id + 3, NULL, 16);
    put8(b, DWORD_PREFIX);
    put8(b, vendor >> 8);
    put8(b, vendor);
    put8(b, product >> 8);
    put8(b, product);
}

static AmlBlock open_block(GByteArray *b, const uint8_t *op, guint oplen)
{
    g_byte_array_append(b, op, oplen);
    return b->len;
}

/* PkgLength counts its own bytes: 1 byte up to 63, else a lead byte
 * (count of extra bytes in bits 7:6, low nibble in 3:0) and up to 3 more. */
void aml_close(GByteArray *b, AmlBlock at)
{
    guint body = b->len - at;
    guint n = body + 1 < 0x40 ? 1 : body + 2 < 0x1000 ? 2 : body + 3 < 0x100000 ? 3 : 4;
    guint total = body + n;
    uint8_t enc[4];
    if (n == 1) {
        enc[0] = total;
    } else {
        enc[0] = (uint8_t)((n - 1) << 6 | (total & 0xf));
        for (guint i = 1; i < n; i++) {
            enc[i] = total >> (4 + 8 * (i - 1));
        }
    }
    g_byte_array_set_size(b, b->len + n);
    memmove(b->data + at + n, b->data + at, body);
    memcpy(b->data + at, enc, n);
}

void aml_buffer(GByteArray *b, const uint8_t *data, guint len)
{
    const uint8_t op = BUFFER_OP;
    AmlBlock at = open_block(b, &op, 1);
    aml_int(b, len);
    g_byte_array_append(b, data, len);
    aml_close(b, at);
}

void aml_name_decl(GByteArray *b, const char *name)
{
    put8(b, NAME_OP);
    aml_name_string(b, name);
}

AmlBlock aml_scope_open(GByteArray *b, const char *path)
{
    const uint8_t op = SCOPE_OP;
    AmlBlock at = open_block(b, &op, 1);
    aml_name_string(b, path);
    return at;
}

AmlBlock aml_device_open(GByteArray *b, const char *name)
{
    const uint8_t op[] = { EXT_OP_PREFIX, EXT_DEVICE };
    AmlBlock at = open_block(b, op, 2);
    aml_name_string(b, name);
    return at;
}

AmlBlock aml_method_open(GByteArray *b, const char *name, unsigned nargs, bool serialized)
{
    g_assert(nargs <= 7);
    const uint8_t op = METHOD_OP;
    AmlBlock at = open_block(b, &op, 1);
    aml_name_string(b, name);
    put8(b, nargs | (serialized ? 1 << 3 : 0));
    return at;
}

AmlBlock aml_package_open(GByteArray *b, unsigned nelems)
{
    g_assert(nelems <= 0xff);
    const uint8_t op = PACKAGE_OP;
    AmlBlock at = open_block(b, &op, 1);
    put8(b, nelems);
    return at;
}

AmlBlock aml_if_open(GByteArray *b)
{
    const uint8_t op = IF_OP;
    return open_block(b, &op, 1);
}

void aml_op_region(GByteArray *b, const char *name, uint8_t space, uint64_t offset, uint64_t len)
{
    put8(b, EXT_OP_PREFIX);
    put8(b, EXT_OP_REGION);
    aml_name_string(b, name);
    put8(b, space);
    aml_int(b, offset);
    aml_int(b, len);
}

/* Field (region, flags) { names[i], width bits each } */
static void field(GByteArray *b, const char *region, uint8_t flags, uint8_t width,
                  const char *const *names, unsigned n)
{
    const uint8_t op[] = { EXT_OP_PREFIX, EXT_FIELD };
    AmlBlock at = open_block(b, op, 2);
    aml_name_string(b, region);
    put8(b, flags);
    for (unsigned i = 0; i < n; i++) {
        name_seg(b, names[i], strlen(names[i]));
        put8(b, width);   /* a one-byte PkgLength */
    }
    aml_close(b, at);
}

void aml_field_bytes(GByteArray *b, const char *region, const char *const *names, unsigned n)
{
    field(b, region, 0x01, 8, names, n);    /* ByteAcc, NoLock, Preserve */
}

void aml_field_dwords(GByteArray *b, const char *region, const char *const *names, unsigned n)
{
    field(b, region, 0x43, 32, names, n);   /* DWordAcc, NoLock, WriteAsZeros */
}

void aml_return(GByteArray *b) { put8(b, RETURN_OP); }
void aml_shift_left(GByteArray *b) { put8(b, SHIFT_LEFT_OP); }
void aml_notify(GByteArray *b) { put8(b, NOTIFY_OP); }

void aml_local(GByteArray *b, unsigned n)
{
    g_assert(n <= 7);
    put8(b, LOCAL0_OP + n);
}
void aml_store(GByteArray *b) { put8(b, STORE_OP); }
void aml_and(GByteArray *b) { put8(b, AND_OP); }
void aml_or(GByteArray *b) { put8(b, OR_OP); }
void aml_lless(GByteArray *b) { put8(b, LLESS_OP); }
void aml_null_target(GByteArray *b) { put8(b, 0x00); }
void aml_create_dword_field(GByteArray *b) { put8(b, CREATE_DWORD_FIELD_OP); }

void aml_arg(GByteArray *b, unsigned n)
{
    g_assert(n <= 6);
    put8(b, ARG0_OP + n);
}

/* Resource descriptors (ACPI 6.4, 6.4.2 small and 6.4.3 large items). */

void aml_rt_io(GByteArray *rt, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    put8(rt, 0x47);      /* I/O port, 7 bytes */
    put8(rt, 0x01);      /* 16-bit decode */
    put_le(rt, min, 2);
    put_le(rt, max, 2);
    put8(rt, align);
    put8(rt, len);
}

void aml_rt_irq_noflags(GByteArray *rt, uint16_t mask)
{
    put8(rt, 0x22);      /* IRQ, 2 bytes: edge, active high, exclusive */
    put_le(rt, mask, 2);
}

void aml_rt_interrupt(GByteArray *rt, bool level, bool active_low, bool shared,
                      const uint32_t *irqs, unsigned n)
{
    put8(rt, 0x89);      /* Extended Interrupt */
    put_le(rt, 2 + 4 * n, 2);
    put8(rt, 0x01 | (level ? 0 : 1 << 1) | (active_low ? 1 << 2 : 0) | (shared ? 1 << 3 : 0));
    put8(rt, n);
    for (unsigned i = 0; i < n; i++) {
        put_le(rt, irqs[i], 4);
    }
}

/* Address space descriptors: a producer with fixed min and max and
 * positive decode (general flags 0x0c). */
static void address_head(GByteArray *rt, uint8_t tag, uint16_t len, uint8_t type, uint8_t tflags)
{
    put8(rt, tag);
    put_le(rt, len, 2);
    put8(rt, type);
    put8(rt, 0x0c);
    put8(rt, tflags);
}

/* Granularity 0, min, max, translation 0, length: each `width` bytes. */
static void address_ranges(GByteArray *rt, unsigned width, uint64_t min, uint64_t max)
{
    put_le(rt, 0, width);
    put_le(rt, min, width);
    put_le(rt, max, width);
    put_le(rt, 0, width);
    put_le(rt, max - min + 1, width);
}

void aml_rt_word_bus(GByteArray *rt, uint16_t min, uint16_t max)
{
    address_head(rt, 0x88, 13, 2, 0);
    address_ranges(rt, 2, min, max);
}

void aml_rt_word_io(GByteArray *rt, uint16_t min, uint16_t max)
{
    address_head(rt, 0x88, 13, 1, 0x03);   /* EntireRange */
    address_ranges(rt, 2, min, max);
}

void aml_rt_dword_mem(GByteArray *rt, bool cacheable, uint32_t min, uint32_t max)
{
    address_head(rt, 0x87, 23, 0, cacheable ? 0x03 : 0x01);   /* ReadWrite */
    address_ranges(rt, 4, min, max);
}

void aml_rt_qword_mem(GByteArray *rt, bool cacheable, uint64_t min, uint64_t max)
{
    address_head(rt, 0x8a, 43, 0, cacheable ? 0x03 : 0x01);
    address_ranges(rt, 8, min, max);
}

void aml_rt_memory32_fixed(GByteArray *rt, bool writable, uint32_t base, uint32_t len)
{
    put8(rt, 0x86);      /* Memory32Fixed: large item, 9 bytes (6.4.3.4) */
    put_le(rt, 9, 2);
    put8(rt, writable ? 0x01 : 0x00);
    put_le(rt, base, 4);
    put_le(rt, len, 4);
}

void aml_rt_end(GByteArray *rt)
{
    put8(rt, 0x79);      /* End Tag; checksum 0 means "none" */
    put8(rt, 0x00);
}
