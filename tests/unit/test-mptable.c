/* MP tables (src/board/mptable.h), checked against the Intel
 * MultiProcessor Specification 1.4: 4.1 floating pointer, 4.2 configuration
 * table header, 4.3 base table entries. */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "board/mptable.h"
#include "main/config.h"

#define MP_ENTRY_PROCESSOR 0
#define MP_ENTRY_BUS 1
#define MP_ENTRY_IOAPIC 2
#define MP_ENTRY_IOINT 3
#define MP_ENTRY_LINT 4

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++) {
        s += p[i];
    }
    return s;
}

/* Size of a base table entry by type (spec table 4-3). */
static size_t entry_len(uint8_t type)
{
    return type == MP_ENTRY_PROCESSOR ? 20 : 8;
}

typedef struct {
    GByteArray *b;
    const uint8_t *fp;     /* floating pointer */
    const uint8_t *hdr;    /* configuration table */
    uint16_t len, count;
} MpTable;

/* APIC IDs 0..n-1, as for -smp n (cores only). */
static const uint32_t identity_ids[64] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
    42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
};

static void mp_build(MpTable *t, unsigned ncpus)
{
    t->b = mptable_build(ncpus, identity_ids, MPTABLE_ADDR);
    g_assert_nonnull(t->b);
    g_assert_cmpuint(t->b->len, >=, 16 + 44);
    t->fp = t->b->data;
    uint32_t table = rd32(t->fp + 4);
    /* The pointer is a guest physical address within the blob. */
    g_assert_cmphex(table, >=, MPTABLE_ADDR);
    g_assert_cmphex(table - MPTABLE_ADDR + 44, <=, t->b->len);
    t->hdr = t->b->data + (table - MPTABLE_ADDR);
    t->len = rd16(t->hdr + 4);
    t->count = rd16(t->hdr + 34);
    g_assert_cmpuint((size_t)(t->hdr - t->b->data) + t->len, <=, t->b->len);
}

static void mp_free(MpTable *t)
{
    g_byte_array_unref(t->b);
}

/* Calls fn for each base entry; returns how many there were. */
static guint mp_walk(MpTable *t, void (*fn)(const uint8_t *e, void *opaque), void *opaque)
{
    const uint8_t *p = t->hdr + 44, *end = t->hdr + t->len;
    guint n = 0;
    while (p < end) {
        size_t l = entry_len(p[0]);
        g_assert_cmpuint(p[0], <=, MP_ENTRY_LINT);
        g_assert_true(p + l <= end);
        if (fn) {
            fn(p, opaque);
        }
        p += l;
        n++;
    }
    g_assert_true(p == end);
    return n;
}

static void test_floating_pointer(void)
{
    MpTable t;
    mp_build(&t, 1);
    g_assert_cmpmem(t.fp, 4, "_MP_", 4);
    g_assert_cmpuint(t.fp[8], ==, 1);       /* length in paragraphs */
    g_assert_cmpuint(t.fp[9], ==, 4);       /* revision 1.4 */
    g_assert_cmpuint(t.fp[11], ==, 0);      /* feature byte 1: a table is present */
    g_assert_cmpuint(sum8(t.fp, 16), ==, 0);
    /* 16-byte aligned, as the OS scans paragraph by paragraph. */
    g_assert_cmpuint(MPTABLE_ADDR % 16, ==, 0);
    g_assert_cmphex(rd32(t.fp + 4) % 4, ==, 0);
    mp_free(&t);
}

static void test_header(void)
{
    MpTable t;
    mp_build(&t, 2);
    g_assert_cmpmem(t.hdr, 4, "PCMP", 4);
    g_assert_cmpuint(t.hdr[6], ==, 4);
    g_assert_cmpuint(sum8(t.hdr, t.len), ==, 0);
    g_assert_cmphex(rd32(t.hdr + 36), ==, LAPIC_ADDR);
    /* No extended table. */
    g_assert_cmpuint(rd16(t.hdr + 40), ==, 0);
    mp_free(&t);
}

static void test_entry_count(void)
{
    for (unsigned n = 1; n <= 64; n *= 2) {
        MpTable t;
        mp_build(&t, n);
        g_assert_cmpuint(mp_walk(&t, NULL, NULL), ==, t.count);
        g_assert_cmpuint(sum8(t.hdr, t.len), ==, 0);
        g_assert_cmpuint(sum8(t.fp, 16), ==, 0);
        mp_free(&t);
    }
}

typedef struct {
    guint cpus, bsp, buses, ioapics, ioints, lints;
    uint8_t apic_ids[256];
    uint8_t ioapic_id;
    uint32_t ioapic_addr;
    bool irq0_to_pin2, irq2_routed;
    guint irq_seen[16];
} Census;

static void count_entry(const uint8_t *e, void *opaque)
{
    Census *c = opaque;
    switch (e[0]) {
    case MP_ENTRY_PROCESSOR:
        g_assert_true(e[3] & 1);             /* enabled */
        if (e[3] & 2) {
            c->bsp++;
            g_assert_cmpuint(e[1], ==, 0);   /* the BSP is APIC 0 */
        }
        c->apic_ids[c->cpus++] = e[1];
        break;
    case MP_ENTRY_BUS:
        c->buses++;
        g_assert_cmpmem(e + 2, 6, "ISA   ", 6);
        break;
    case MP_ENTRY_IOAPIC:
        c->ioapics++;
        c->ioapic_id = e[1];
        g_assert_true(e[3] & 1);
        c->ioapic_addr = rd32(e + 4);
        break;
    case MP_ENTRY_IOINT: {
        c->ioints++;
        uint8_t irq = e[5], pin = e[7];
        g_assert_cmpuint(e[4], ==, 0);       /* source bus: ISA */
        g_assert_cmpuint(irq, <, 16);
        c->irq_seen[irq & 15]++;
        if (irq == 0 && pin == 2) {
            c->irq0_to_pin2 = true;
        }
        if (irq == 2) {
            c->irq2_routed = true;
        }
        if (irq != 0) {
            g_assert_cmpuint(pin, ==, irq);
        }
        break;
    }
    case MP_ENTRY_LINT:
        c->lints++;
        break;
    default:
        g_assert_not_reached();
    }
}

static void test_processors(void)
{
    static const unsigned counts[] = { 1, 2, 3, 8, 64 };
    for (guint k = 0; k < G_N_ELEMENTS(counts); k++) {
        unsigned n = counts[k];
        MpTable t;
        mp_build(&t, n);
        Census c = { 0 };
        mp_walk(&t, count_entry, &c);
        g_assert_cmpuint(c.cpus, ==, n);
        g_assert_cmpuint(c.bsp, ==, 1);
        for (unsigned i = 0; i < n; i++) {
            g_assert_cmpuint(c.apic_ids[i], ==, i);
        }
        /* The IOAPIC's id must not collide with a LAPIC's. */
        for (unsigned i = 0; i < n; i++) {
            g_assert_cmpuint(c.apic_ids[i], !=, c.ioapic_id);
        }
        mp_free(&t);
    }
}

static void test_ioapic_and_irqs(void)
{
    MpTable t;
    mp_build(&t, 4);
    Census c = { 0 };
    mp_walk(&t, count_entry, &c);
    g_assert_cmpuint(c.buses, ==, 1);
    g_assert_cmpuint(c.ioapics, ==, 1);
    g_assert_cmphex(c.ioapic_addr, ==, 0xfec00000u);
    g_assert_cmphex(c.ioapic_addr, ==, IOAPIC_ADDR);
    /* ISA IRQ 0 (the PIT) goes to IOAPIC pin 2, as on every PC. */
    g_assert_true(c.irq0_to_pin2);
    g_assert_false(c.irq2_routed);
    for (guint irq = 0; irq < 16; irq++) {
        g_assert_cmpuint(c.irq_seen[irq], ==, irq == 2 ? 0 : 1);
    }
    g_assert_cmpuint(c.ioints, ==, 15);
    g_assert_cmpuint(c.lints, ==, 2);
    mp_free(&t);
}

static void test_base_relocates(void)
{
    /* The floating pointer points at base + 16, wherever base is. */
    GByteArray *b = mptable_build(2, identity_ids, 0x9fc00);
    g_assert_cmphex(rd32(b->data + 4), ==, 0x9fc00 + 16);
    g_assert_cmpuint(sum8(b->data, 16), ==, 0);
    g_byte_array_unref(b);
}

/* /mptable/sparse-apic-ids: CPUs keep their topology APIC IDs (e.g. cores=3
 * leaves gaps) and the IOAPIC takes an ID above all of them. */
static void test_sparse_apic_ids(void)
{
    static const uint32_t ids[] = { 0, 1, 2, 4, 5, 6 };
    GByteArray *b = mptable_build(6, ids, MPTABLE_ADDR);
    const uint8_t *e = b->data + 16 + 44;
    for (unsigned i = 0; i < 6; i++, e += 20) {
        g_assert_cmpuint(e[0], ==, 0);
        g_assert_cmpuint(e[1], ==, ids[i]);
    }
    e += 8;                              /* the bus entry */
    g_assert_cmpuint(e[0], ==, 2);       /* IOAPIC */
    g_assert_cmpuint(e[1], ==, 7);
    g_byte_array_unref(b);
}

/* /topology/apic-id: thread, core and socket fields of power-of-two widths. */
static void test_apic_ids(void)
{
    MachineConfig *cfg = machine_config_new();
    cfg->threads = 2, cfg->cores = 3, cfg->dies = 1, cfg->sockets = 2;
    /* thread bits 1, core bits 2: socket 1 starts at APIC ID 8. */
    static const unsigned want[] = { 0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13 };
    for (unsigned i = 0; i < G_N_ELEMENTS(want); i++) {
        g_assert_cmpuint(machine_config_apic_id(cfg, i), ==, want[i]);
    }
    cfg->threads = 1, cfg->cores = 4, cfg->sockets = 1;
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmpuint(machine_config_apic_id(cfg, i), ==, i);
    }
    machine_config_free(cfg);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mptable/sparse-apic-ids", test_sparse_apic_ids);
    g_test_add_func("/topology/apic-id", test_apic_ids);

    g_test_add_func("/mptable/floating-pointer", test_floating_pointer);
    g_test_add_func("/mptable/header", test_header);
    g_test_add_func("/mptable/entry-count", test_entry_count);
    g_test_add_func("/mptable/processors", test_processors);
    g_test_add_func("/mptable/ioapic-and-irqs", test_ioapic_and_irqs);
    g_test_add_func("/mptable/base-relocates", test_base_relocates);

    return g_test_run();
}
