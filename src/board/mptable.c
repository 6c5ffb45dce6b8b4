#include "board/mptable.h"

#include <string.h>

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        sum += p[i];
    }
    return -sum;
}

static void put(GByteArray *b, const void *p, size_t len)
{
    g_byte_array_append(b, p, len);
}

static void put_irq(GByteArray *b, uint8_t entry_type, uint8_t int_type, uint8_t bus,
                    uint8_t irq, uint8_t dst_id, uint8_t dst_pin)
{
    uint8_t e[8] = { entry_type, int_type, 0, 0, bus, irq, dst_id, dst_pin };
    put(b, e, sizeof(e));
}

GByteArray *mptable_build(unsigned ncpus, const uint32_t *apic_ids, uint32_t base)
{
    GByteArray *b = g_byte_array_new();
    const uint32_t table = base + 16;
    uint8_t ioapic_id = 0;
    for (unsigned i = 0; i < ncpus; i++) {
        ioapic_id = MAX(ioapic_id, apic_ids[i] + 1);
    }

    /* Floating pointer structure. */
    uint8_t fp[16] = { '_', 'M', 'P', '_' };
    memcpy(fp + 4, &table, 4);
    fp[8] = 1;      /* length in 16-byte units */
    fp[9] = 4;      /* spec revision 1.4 */
    fp[10] = checksum(fp, 16);
    put(b, fp, 16);

    /* Configuration table header, patched when the entries are known. */
    uint8_t hdr[44] = { 'P', 'C', 'M', 'P' };
    hdr[6] = 4;
    memcpy(hdr + 8, "TERN    ", 8);
    memcpy(hdr + 16, "i440FX-PC   ", 12);
    uint32_t lapic = LAPIC_ADDR;
    memcpy(hdr + 36, &lapic, 4);
    guint hdr_pos = b->len;
    put(b, hdr, sizeof(hdr));
    uint16_t count = 0;

    for (unsigned i = 0; i < ncpus; i++, count++) {
        uint8_t cpu[20] = { 0, (uint8_t)apic_ids[i], 0x14, (uint8_t)(1 | (i == 0 ? 2 : 0)) };
        uint32_t signature = 0x600, features = 0x201;  /* family 6; FPU, APIC */
        memcpy(cpu + 4, &signature, 4);
        memcpy(cpu + 8, &features, 4);
        put(b, cpu, sizeof(cpu));
    }
    uint8_t bus[8] = { 1, 0, 'I', 'S', 'A', ' ', ' ', ' ' };
    put(b, bus, sizeof(bus));
    count++;
    uint8_t ioapic[8] = { 2, ioapic_id, 0x11, 1 };
    memcpy(ioapic + 4, &(uint32_t){ IOAPIC_ADDR }, 4);
    put(b, ioapic, sizeof(ioapic));
    count++;
    /* ISA IRQs: identity on the IOAPIC, except the timer on pin 2. */
    for (uint8_t irq = 0; irq < 16; irq++) {
        if (irq == 2) {
            continue;
        }
        put_irq(b, 3, 0, 0, irq, ioapic_id, irq == 0 ? 2 : irq);
        count++;
    }
    put_irq(b, 4, 3, 0, 0, 0xff, 0);   /* ExtINT → LINT0 */
    put_irq(b, 4, 1, 0, 0, 0xff, 1);   /* NMI → LINT1 */
    count += 2;

    uint8_t *h = b->data + hdr_pos;
    uint16_t len = b->len - hdr_pos;
    memcpy(h + 4, &len, 2);
    memcpy(h + 34, &count, 2);
    h[7] = checksum(h, len);
    return b;
}
