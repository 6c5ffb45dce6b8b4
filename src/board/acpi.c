#include "board/acpi.h"
#include "board/mptable.h"
#include "board/pc.h"

#include <string.h>

#define HDR_LEN 36

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += p[i];
    }
    return -sum;
}

static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Appends a table: header + body, aligned; returns its address. */
static uint32_t add_table(GByteArray *b, uint32_t base, const char *sig, uint8_t rev,
                          const uint8_t *body, size_t body_len, size_t align)
{
    while (b->len % align) {
        g_byte_array_append(b, (const uint8_t *)"", 1);
    }
    uint32_t addr = base + b->len;
    uint8_t hdr[HDR_LEN] = { 0 };
    memcpy(hdr, sig, 4);
    put_u32(hdr + 4, HDR_LEN + body_len);
    hdr[8] = rev;
    memcpy(hdr + 10, "TERN  ", 6);
    memcpy(hdr + 16, "TERNPC  ", 8);
    put_u32(hdr + 24, 1);
    memcpy(hdr + 28, "TERN", 4);
    put_u32(hdr + 32, 1);
    guint start = b->len;
    g_byte_array_append(b, hdr, HDR_LEN);
    g_byte_array_append(b, body, body_len);
    b->data[start + 9] = checksum(b->data + start, HDR_LEN + body_len);
    return addr;
}

static uint32_t add_madt(GByteArray *b, uint32_t base, unsigned ncpus, const uint32_t *apic_ids)
{
    g_autoptr(GByteArray) m = g_byte_array_new();
    uint8_t head[8];
    put_u32(head, LAPIC_ADDR);
    put_u32(head + 4, 1);               /* PCAT_COMPAT: 8259s present */
    g_byte_array_append(m, head, 8);
    for (unsigned i = 0; i < ncpus; i++) {
        uint8_t lapic[8] = { 0, 8, (uint8_t)i, (uint8_t)apic_ids[i], 1, 0, 0, 0 };
        g_byte_array_append(m, lapic, 8);
    }
    uint8_t ioapic_id = 0;
    for (unsigned i = 0; i < ncpus; i++) {
        ioapic_id = MAX(ioapic_id, apic_ids[i] + 1);
    }
    uint8_t ioapic[12] = { 1, 12, ioapic_id, 0 };
    put_u32(ioapic + 4, IOAPIC_ADDR);
    put_u32(ioapic + 8, 0);
    g_byte_array_append(m, ioapic, 12);
    /* ISA IRQ 0 → GSI 2 (the PIT), and the SCI as level, active high. */
    uint8_t iso0[10] = { 2, 10, 0, 0 };
    put_u32(iso0 + 4, 2);
    put_u16(iso0 + 8, 0);
    g_byte_array_append(m, iso0, 10);
    uint8_t iso9[10] = { 2, 10, 0, ACPI_SCI_IRQ };
    put_u32(iso9 + 4, ACPI_SCI_IRQ);
    put_u16(iso9 + 8, 0x000d);
    g_byte_array_append(m, iso9, 10);
    uint8_t nmi[6] = { 4, 6, 0xff, 0, 0, 1 };   /* all CPUs: LINT1 is NMI */
    g_byte_array_append(m, nmi, 6);
    return add_table(b, base, "APIC", 3, m->data, m->len, 8);
}

static uint32_t add_fadt(GByteArray *b, uint32_t base, uint32_t facs, uint32_t dsdt)
{
    uint8_t f[244 - HDR_LEN] = { 0 };
#define F(off) (f + (off) - HDR_LEN)
    put_u32(F(36), facs);
    put_u32(F(40), dsdt);
    put_u16(F(46), ACPI_SCI_IRQ);
    /* The OS switches to ACPI mode (SCI_EN) through the APM control port. */
    put_u32(F(48), ACPI_SMI_CMD_PORT);
    *F(52) = ACPI_ENABLE_VALUE;
    *F(53) = ACPI_DISABLE_VALUE;
    put_u32(F(56), ACPI_PM_BASE);          /* PM1a_EVT_BLK */
    put_u32(F(64), ACPI_PM_BASE + 4);      /* PM1a_CNT_BLK */
    put_u32(F(76), ACPI_PM_BASE + 8);      /* PM_TMR_BLK */
    put_u32(F(80), ACPI_GPE0_BASE);        /* GPE0_BLK */
    *F(88) = 4;                            /* PM1_EVT_LEN */
    *F(89) = 2;                            /* PM1_CNT_LEN */
    *F(91) = 4;                            /* PM_TMR_LEN */
    *F(92) = 4;                            /* GPE0_BLK_LEN */
    put_u16(F(96), 0xfff);                 /* no C2 */
    put_u16(F(98), 0xfff);                 /* no C3 */
    *F(108) = 0x32;                        /* CMOS century */
    put_u16(F(109), 0x0003);               /* LEGACY_DEVICES | 8042 */
    put_u32(F(112), (1 << 0) | (1 << 2) | (1 << 5) | (1 << 7)); /* WBINVD PROC_C1 SLP_BUTTON RTC_S4 */
    put_u64(F(132), facs);                 /* X_FIRMWARE_CTRL */
    put_u64(F(140), dsdt);                 /* X_DSDT */
#undef F
    return add_table(b, base, "FACP", 3, f, sizeof(f), 8);
}

/* IA-PC HPET specification 1.0a, table 3; QEMU's values. */
static uint32_t add_hpet(GByteArray *b, uint32_t base)
{
    uint8_t h[56 - HDR_LEN] = { 0 };
    put_u32(h, HPET_BLOCK_ID);
    /* Base address: a GAS in system memory (space 0), widths left 0. */
    put_u64(h + 8, HPET_ADDR);
    /* HPET number 0, minimum tick 0, no page protection. */
    return add_table(b, base, "HPET", 1, h, sizeof(h), 8);
}

GByteArray *acpi_build_tables(const AcpiBoard *board, Machine *m, uint32_t base)
{
    GByteArray *b = g_byte_array_new();
    uint8_t rsdp[36] = { 0 };
    unsigned rsdp_len = board->acpi1_rsdp ? 20 : 36;
    g_byte_array_append(b, rsdp, rsdp_len);       /* filled in last */

    /* FACS: no header checksum, 64-byte aligned. */
    while (b->len % 64) {
        g_byte_array_append(b, (const uint8_t *)"", 1);
    }
    uint32_t facs = base + b->len;
    uint8_t facs_t[64] = { 'F', 'A', 'C', 'S' };
    put_u32(facs_t + 4, 64);
    facs_t[32] = 1;   /* version */
    g_byte_array_append(b, facs_t, 64);

    g_autoptr(GByteArray) aml = acpi_dsdt_build(board, m);
    uint32_t dsdt = add_table(b, base, "DSDT", 2, aml->data, aml->len, 8);
    uint32_t fadt = add_fadt(b, base, facs, dsdt);
    uint32_t tables[3] = { fadt, add_madt(b, base, board->ncpus, board->apic_ids) };
    unsigned n = 2;
    if (board->hpet) {
        tables[n++] = add_hpet(b, base);
    }

    uint8_t rsdt_body[4 * G_N_ELEMENTS(tables)], xsdt_body[8 * G_N_ELEMENTS(tables)];
    for (unsigned i = 0; i < n; i++) {
        put_u32(rsdt_body + 4 * i, tables[i]);
        put_u64(xsdt_body + 8 * i, tables[i]);
    }
    uint32_t rsdt = add_table(b, base, "RSDT", 1, rsdt_body, 4 * n, 8);
    uint32_t xsdt = board->acpi1_rsdp ? 0 : add_table(b, base, "XSDT", 1, xsdt_body, 8 * n, 8);

    uint8_t *r = b->data;
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "TERN  ", 6);
    put_u32(r + 16, rsdt);
    if (!board->acpi1_rsdp) {
        r[15] = 2;             /* ACPI 2.0+: length and XSDT follow */
        put_u32(r + 20, 36);
        put_u64(r + 24, xsdt);
    }
    r[8] = checksum(r, 20);    /* covers the first 20 bytes only */
    if (!board->acpi1_rsdp) {
        r[32] = checksum(r, 36);
    }
    return b;
}

GByteArray *machine_acpi_tables(Machine *m, uint32_t base, bool acpi1_rsdp)
{
    AcpiBoard board = {
        .ncpus = m->cfg->smp_cpus,
        .apic_ids = m->apic_ids,
        .ram_below_4g = m->ram.below_4g,
        .ram_above_4g = m->ram.size - m->ram.below_4g,
        .hpet = m->cfg->hpet,     /* pc.c creates it then */
        .acpi1_rsdp = acpi1_rsdp,
    };
    return acpi_build_tables(&board, m, base);
}
