/* The DSDT of Tern's i440FX PC: \_S5 for soft-off, the PCI root bridge
 * \_SB.PCI0 with its address windows and interrupt routing (_PRT), the
 * PIIX3 link devices LNKA-D backed by its PIRQ route registers, the SCI
 * link LNKS, and the ISA devices the board's device files describe.
 *
 * The routing is QEMU's: slot S, pin P (INTA = 0) goes to PIRQ
 * (S + P - 1) mod 4, except the PIIX4 power management function's INTA
 * (slot 1), which is the SCI on IRQ 9. Links report level, active-high
 * interrupts: that is how the PIIX3 drives the IOAPIC pins, so a guest
 * programs the pins right. */
#include "board/acpi-pcihp.h"
#include "board/acpi.h"
#include "board/aml.h"
#include "board/device.h"
#include "board/pc.h"

#define PCI_SLOTS 32
#define PIRQ_DISABLED 0x80

static void name_int(GByteArray *b, const char *name, uint64_t v)
{
    aml_name_decl(b, name);
    aml_int(b, v);
}

static void name_eisaid(GByteArray *b, const char *name, const char *id)
{
    aml_name_decl(b, name);
    aml_eisaid(b, id);
}

static void name_template(GByteArray *b, const char *name, GByteArray *rt)
{
    aml_rt_end(rt);
    aml_name_decl(b, name);
    aml_buffer(b, rt->data, rt->len);
}

static void root_crs(GByteArray *b, const AcpiBoard *board)
{
    g_autoptr(GByteArray) rt = g_byte_array_new();
    aml_rt_word_bus(rt, 0, 0xff);
    aml_rt_io(rt, 0xcf8, 0xcf8, 1, 8);
    aml_rt_word_io(rt, 0, 0xcf7);
    aml_rt_word_io(rt, 0xd00, 0xffff);
    aml_rt_dword_mem(rt, true, 0xa0000, 0xbffff);   /* VGA window */
    /* The 32-bit hole: from the top of low RAM up to the IOAPIC. */
    aml_rt_dword_mem(rt, false, board->ram_below_4g, 0xfebfffff);
    /* A 2 GiB 64-bit window past high RAM, gigabyte aligned, as QEMU. */
    uint64_t start = (0x100000000ULL + board->ram_above_4g + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
    aml_rt_qword_mem(rt, true, start, start + (2ULL << 30) - 1);
    name_template(b, "_CRS", rt);
}

void acpi_isa_device(GByteArray *b, const char *name, const char *hid, int uid, GByteArray *crs)
{
    AmlBlock dev = aml_device_open(b, name);
    aml_name_decl(b, "_HID");
    if (g_ascii_isdigit(hid[3])) {
        aml_eisaid(b, hid);          /* a PNP ID: compressed */
    } else {
        aml_string(b, hid);          /* an ACPI ID such as QEMU0001 */
    }
    if (uid >= 0) {
        name_int(b, "_UID", uid);
    }
    name_int(b, "_STA", 0x0f);
    name_template(b, "_CRS", crs);
    aml_close(b, dev);
}

static const char *link_for(unsigned slot, unsigned pin)
{
    static const char *const links[] = { "\\_SB.LNKA", "\\_SB.LNKB", "\\_SB.LNKC",
                                         "\\_SB.LNKD" };
    if (slot == 1 && pin == 0) {
        return "\\_SB.LNKS";
    }
    return links[(slot + pin + 3) % 4];
}

static void root_prt(GByteArray *b)
{
    aml_name_decl(b, "_PRT");
    AmlBlock prt = aml_package_open(b, PCI_SLOTS * 4);
    for (unsigned slot = 0; slot < PCI_SLOTS; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            AmlBlock e = aml_package_open(b, 4);
            aml_int(b, (uint64_t)slot << 16 | 0xffff);   /* any function of the slot */
            aml_int(b, pin);
            aml_name_string(b, link_for(slot, pin));
            aml_int(b, 0);
            aml_close(b, e);
        }
    }
    aml_close(b, prt);
}

/* The PIIX3 function: its PIRQ route control bytes (config 0x60-0x63),
 * then whatever the ISA devices add. */
static void isa_bridge(GByteArray *b, Machine *m)
{
    AmlBlock dev = aml_device_open(b, "ISA");
    name_int(b, "_ADR", 0x00010000);
    aml_op_region(b, "P40C", AML_PCI_CONFIG, 0x60, 4);
    static const char *const prq[] = { "PRQ0", "PRQ1", "PRQ2", "PRQ3" };
    aml_field_bytes(b, "P40C", prq, 4);
    for (guint i = 0; m && i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        if (d->info->acpi_aml) {
            d->info->acpi_aml(d, b);
        }
    }
    aml_close(b, dev);
}

static void interrupt_template(GByteArray *b, const char *name, const uint32_t *irqs, unsigned n)
{
    g_autoptr(GByteArray) rt = g_byte_array_new();
    aml_rt_interrupt(rt, true, false, true, irqs, n);
    name_template(b, name, rt);
}

/* Offset of the first interrupt number in an Extended Interrupt
 * descriptor: tag, length (2), flags, count. */
#define INT_FIELD_OFFSET 5

/* LNKx: _STA/_CRS read the route byte (bit 7 = disabled), _SRS writes
 * the IRQ the OS picked, _DIS sets bit 7. */
static void link_device(GByteArray *b, unsigned i)
{
    g_autofree char *name = g_strdup_printf("LNK%c", 'A' + i);
    g_autofree char *reg = g_strdup_printf("\\_SB.PCI0.ISA.PRQ%u", i);
    AmlBlock dev = aml_device_open(b, name);
    name_eisaid(b, "_HID", "PNP0C0F");
    name_int(b, "_UID", i);
    static const uint32_t possible[] = { 5, 10, 11 };
    interrupt_template(b, "_PRS", possible, G_N_ELEMENTS(possible));

    /* Method (_STA) { If (And (PRQn, 0x80)) { Return (0x09) } Return (0x0B) } */
    AmlBlock sta = aml_method_open(b, "_STA", 0, false);
    AmlBlock cond = aml_if_open(b);
    aml_and(b);
    aml_name_string(b, reg);
    aml_int(b, PIRQ_DISABLED);
    aml_null_target(b);
    aml_return(b);
    aml_int(b, 0x09);
    aml_close(b, cond);
    aml_return(b);
    aml_int(b, 0x0b);
    aml_close(b, sta);

    /* Method (_DIS) { Or (PRQn, 0x80, PRQn) } */
    AmlBlock dis = aml_method_open(b, "_DIS", 0, false);
    aml_or(b);
    aml_name_string(b, reg);
    aml_int(b, PIRQ_DISABLED);
    aml_name_string(b, reg);
    aml_close(b, dis);

    /* Method (_CRS, 0, Serialized) { Name (PRR0, <Interrupt {0}>)
     *   CreateDWordField (PRR0, 5, PRRI)
     *   If (LLess (PRQn, 0x80)) { Store (PRQn, PRRI) }  Return (PRR0) } */
    AmlBlock crs = aml_method_open(b, "_CRS", 0, true);
    static const uint32_t none[] = { 0 };
    interrupt_template(b, "PRR0", none, 1);
    aml_create_dword_field(b);
    aml_name_string(b, "PRR0");
    aml_int(b, INT_FIELD_OFFSET);
    aml_name_string(b, "PRRI");
    cond = aml_if_open(b);
    aml_lless(b);
    aml_name_string(b, reg);
    aml_int(b, PIRQ_DISABLED);
    aml_store(b);
    aml_name_string(b, reg);
    aml_name_string(b, "PRRI");
    aml_close(b, cond);
    aml_return(b);
    aml_name_string(b, "PRR0");
    aml_close(b, crs);

    /* Method (_SRS, 1, Serialized) { CreateDWordField (Arg0, 5, PRRI)
     *   Store (PRRI, PRQn) } */
    AmlBlock srs = aml_method_open(b, "_SRS", 1, true);
    aml_create_dword_field(b);
    aml_arg(b, 0);
    aml_int(b, INT_FIELD_OFFSET);
    aml_name_string(b, "PRRI");
    aml_store(b);
    aml_name_string(b, "PRRI");
    aml_name_string(b, reg);
    aml_close(b, srs);
    aml_close(b, dev);
}

/* LNKS: the SCI, fixed on IRQ 9; _SRS accepts that and nothing moves. */
static void sci_link(GByteArray *b)
{
    AmlBlock dev = aml_device_open(b, "LNKS");
    name_eisaid(b, "_HID", "PNP0C0F");
    name_int(b, "_UID", 4);
    name_int(b, "_STA", 0x0b);
    static const uint32_t sci[] = { ACPI_SCI_IRQ };
    interrupt_template(b, "_PRS", sci, 1);
    interrupt_template(b, "_CRS", sci, 1);
    AmlBlock srs = aml_method_open(b, "_SRS", 1, false);
    aml_close(b, srs);
    aml_close(b, dev);
}

GByteArray *acpi_dsdt_build(const AcpiBoard *board, Machine *m)
{
    GByteArray *b = g_byte_array_new();

    /* Name (\_S5, Package () { 0, 0, 0, 0 }): SLP_TYP 0 is soft-off. */
    aml_name_decl(b, "\\_S5");
    AmlBlock s5 = aml_package_open(b, 4);
    for (int i = 0; i < 4; i++) {
        aml_int(b, 0);
    }
    aml_close(b, s5);

    AmlBlock sb = aml_scope_open(b, "\\_SB");
    AmlBlock pci = aml_device_open(b, "PCI0");
    name_eisaid(b, "_HID", "PNP0A03");
    name_int(b, "_ADR", 0);
    name_int(b, "_UID", 0);
    root_crs(b, board);
    root_prt(b);
    isa_bridge(b, m);
    acpi_pcihp_aml(b);
    aml_close(b, pci);
    for (unsigned i = 0; i < 4; i++) {
        link_device(b, i);
    }
    sci_link(b);
    aml_close(b, sb);
    acpi_pcihp_gpe_aml(b);
    return b;
}
