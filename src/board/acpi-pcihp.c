/* ACPI PCI hotplug registers (see acpi-pcihp.h). Register behaviour as
 * QEMU 7.2 shows it through qtest: 32-bit accesses only (others read 0
 * and are dropped), PCIU clears when read, a write to B0EJ ejects the
 * lowest slot whose bit is set. */
#define G_LOG_DOMAIN "tern-board"
#include "board/acpi-pcihp.h"
#include "board/aml.h"
#include "board/hotplug.h"
#include "board/pc.h"

#define REG_UP   0x00
#define REG_DOWN 0x04
#define REG_EJ   0x08
#define REG_RMV  0x0c
#define REG_SEL  0x10
#define REG_AIDX 0x14

/* Slots 0 and 1 hold the host bridge and the PIIX functions. */
#define REMOVABLE_SLOTS 0xfffffffcu

static uint64_t pcihp_read(void *opaque, uint64_t off, unsigned size)
{
    AcpiPciHp *hp = opaque;
    if (size != 4 || off & 3) {
        return 0;
    }
    bool bus0 = hp->sel == 0;
    uint32_t v = 0;
    switch (off) {
    case REG_UP:
        v = bus0 ? hp->up : 0;
        if (bus0) {
            hp->up = 0;
        }
        break;
    case REG_DOWN:
        v = bus0 ? hp->down : 0;
        break;
    case REG_RMV:
        /* Buses without slots report every slot removable (QEMU 7.2). */
        v = bus0 ? REMOVABLE_SLOTS : 0xffffffffu;
        break;
    case REG_SEL:
        v = hp->sel;
        break;
    case REG_AIDX:
        v = hp->aidx;
        break;
    }
    return v;
}

static void pcihp_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    AcpiPciHp *hp = opaque;
    if (size != 4 || off & 3) {
        return;
    }
    switch (off) {
    case REG_EJ:
        if (hp->sel == 0 && (val & REMOVABLE_SLOTS)) {
            unsigned slot = __builtin_ctz((uint32_t)val & REMOVABLE_SLOTS);
            if ((unsigned)__builtin_ctz((uint32_t)val) == slot) {
                hp->down &= ~(1u << slot);
                machine_pci_eject_slot(hp->machine, slot);
            }
        }
        break;
    case REG_SEL:
        hp->sel = val;
        break;
    case REG_AIDX:
        hp->aidx = 0;   /* no device has an acpi-index */
        break;
    }
}

static const TernRegionOps pcihp_ops = { .read = pcihp_read, .write = pcihp_write };

bool acpi_pcihp_init(AcpiPciHp *hp, Machine *m, void (*gpe)(void *opaque), void *opaque,
                     GError **errp)
{
    hp->machine = m;
    hp->gpe = gpe;
    hp->opaque = opaque;
    return machine_map_pio(m, "acpi-pci-hotplug", ACPI_PCIHP_BASE, ACPI_PCIHP_SIZE,
                           &pcihp_ops, hp, errp);
}

void acpi_pcihp_exit(AcpiPciHp *hp)
{
    address_space_remove(hp->machine->pio, ACPI_PCIHP_BASE);
}

void acpi_pcihp_reset(AcpiPciHp *hp)
{
    hp->up = hp->down = hp->sel = hp->aidx = 0;
}

void acpi_pcihp_plug(AcpiPciHp *hp, unsigned slot)
{
    hp->up |= 1u << slot;
    hp->gpe(hp->opaque);
}

void acpi_pcihp_unplug_request(AcpiPciHp *hp, unsigned slot)
{
    hp->down |= 1u << slot;
    hp->gpe(hp->opaque);
}

/* ---- the DSDT side ---- */

#define FIRST_HOTPLUG_SLOT 2
#define NOTIFY_DEVICE_CHECK 1
#define NOTIFY_EJECT_REQUEST 3

static void slot_name(char out[5], unsigned slot)
{
    g_snprintf(out, 5, "S%02X", slot << 3);   /* by devfn, as QEMU names them */
}

void acpi_pcihp_aml(GByteArray *b)
{
    /* OperationRegion (PCST, SystemIO, 0xae00, 0x14)
     * Field (PCST, DWordAcc, NoLock, WriteAsZeros) { PCIU, PCID, B0EJ, RMV_, BNUM } */
    aml_op_region(b, "PCST", AML_SYSTEM_IO, ACPI_PCIHP_BASE, 0x14);
    static const char *const regs[] = { "PCIU", "PCID", "B0EJ", "RMV_", "BNUM" };
    aml_field_dwords(b, "PCST", regs, G_N_ELEMENTS(regs));

    /* Method (PCEJ, 1) { Store (0, BNUM)  Store (ShiftLeft (1, Arg0), B0EJ) } */
    AmlBlock ej = aml_method_open(b, "PCEJ", 1, false);
    aml_store(b);
    aml_int(b, 0);
    aml_name_string(b, "BNUM");
    aml_store(b);
    aml_shift_left(b);
    aml_int(b, 1);
    aml_arg(b, 0);
    aml_null_target(b);
    aml_name_string(b, "B0EJ");
    aml_close(b, ej);

    /* Device (Sxx) { Name (_ADR, slot << 16)  Name (_SUN, slot)
     *   Method (_EJ0, 1) { PCEJ (_SUN) } } */
    for (unsigned slot = FIRST_HOTPLUG_SLOT; slot < 32; slot++) {
        char name[5];
        slot_name(name, slot);
        AmlBlock dev = aml_device_open(b, name);
        aml_name_decl(b, "_ADR");
        aml_int(b, (uint64_t)slot << 16);
        aml_name_decl(b, "_SUN");
        aml_int(b, slot);
        AmlBlock m = aml_method_open(b, "_EJ0", 1, false);
        aml_name_string(b, "PCEJ");
        aml_name_string(b, "_SUN");
        aml_close(b, m);
        aml_close(b, dev);
    }

    /* Method (PCNT, 0) { Store (0, BNUM)  Store (PCIU, Local0)  Store (PCID, Local1)
     *   If (And (Local0, bit)) { Notify (Sxx, 1) }
     *   If (And (Local1, bit)) { Notify (Sxx, 3) } ... }
     * PCIU clears when read: it is read once. */
    AmlBlock pcnt = aml_method_open(b, "PCNT", 0, true);
    aml_store(b);
    aml_int(b, 0);
    aml_name_string(b, "BNUM");
    aml_store(b);
    aml_name_string(b, "PCIU");
    aml_local(b, 0);
    aml_store(b);
    aml_name_string(b, "PCID");
    aml_local(b, 1);
    for (unsigned slot = FIRST_HOTPLUG_SLOT; slot < 32; slot++) {
        char name[5];
        slot_name(name, slot);
        for (unsigned which = 0; which < 2; which++) {
            AmlBlock cond = aml_if_open(b);
            aml_and(b);
            aml_local(b, which);
            aml_int(b, 1u << slot);
            aml_null_target(b);
            aml_notify(b);
            aml_name_string(b, name);
            aml_int(b, which ? NOTIFY_EJECT_REQUEST : NOTIFY_DEVICE_CHECK);
            aml_close(b, cond);
        }
    }
    aml_close(b, pcnt);
}

void acpi_pcihp_gpe_aml(GByteArray *b)
{
    /* Scope (\_GPE) { Name (_HID, "ACPI0006")  Method (_E01) { \_SB.PCI0.PCNT () } } */
    AmlBlock gpe = aml_scope_open(b, "\\_GPE");
    aml_name_decl(b, "_HID");
    aml_string(b, "ACPI0006");
    AmlBlock e01 = aml_method_open(b, "_E01", 0, false);
    aml_name_string(b, "\\_SB.PCI0.PCNT");
    aml_close(b, e01);
    aml_close(b, gpe);
}
