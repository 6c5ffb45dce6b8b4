/* The PCI core in process: a pc machine in qtest mode (no KVM) with small
 * test functions defined here, for what no device Tern has yet shows from
 * outside: INTx through PIIX3's PIRQ routing to the GSI lines (spec 6.2.4,
 * the DSDT's _PRT swizzle), MSI-X table/PBA/masking (spec 6.8.2) and MSI
 * (6.8.1), delivered as memory writes the way qtest mode delivers them. */
#include <glib.h>
#include <linux/pci_regs.h>

#include "board/msi.h"
#include "board/msix.h"
#include "board/pc.h"
#include "board/pci.h"
#include "main/config.h"

#define PIIX3 PCI_DEVFN(1, 0)
#define PIRQRC 0x60
#define BAR_ADDR 0xfe000000ULL
#define MSG_ADDR 0x1000ULL          /* guest RAM: where vectors write */

typedef struct Fixture {
    MachineConfig *cfg;
    Machine *m;
    PciBus *bus;
} Fixture;

typedef struct TestFn {
    PciDevice pci;
} TestFn;

static const DeviceInfo test_fn_info = { .name = "test-fn", .instance_size = sizeof(TestFn) };

/* data: the accelerator ("qtest" unless given). */
static void fixture_setup(Fixture *f, gconstpointer data)
{
    char *accel = data ? (char *)data : "qtest";
    char *argv[] = { "tern", "-M", "pc", "-accel", accel, "-S", "-nodefaults", "-display",
                     "none", NULL };
    g_autoptr(GError) err = NULL;
    bool exit_now = false;
    f->cfg = machine_config_new();
    g_assert_true(options_parse(f->cfg, G_N_ELEMENTS(argv) - 1, argv, &exit_now, &err));
    if (data && !g_file_test("/dev/kvm", G_FILE_TEST_EXISTS)) {
        return;
    }
    f->m = machine_new(f->cfg, &err);
    g_assert_no_error(err);
    f->bus = f->m ? pci_root_bus(f->m) : NULL;
    g_assert_true(!f->m || f->bus);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    machine_free(f->m);   /* NULL-safe */
    machine_config_free(f->cfg);
}

/* A function at addr (devfn, -1 for the first free slot) with INTA. */
static TestFn *test_fn_new(Fixture *f, int addr, uint8_t pin)
{
    TestFn *t = g_new0(TestFn, 1);
    t->pci.parent.info = &test_fn_info;
    t->pci.parent.machine = f->m;
    t->pci.addr = addr;
    t->pci.rombar = 1;
    PciId id = { .vendor = 0x1234, .device = 0x5678, .class_id = 0x00ff,
                 .interrupt_pin = pin };
    g_autoptr(GError) err = NULL;
    g_assert_true(pci_device_realize(&t->pci, &id, NULL, &err));
    g_assert_no_error(err);
    return t;
}

static void test_fn_free(TestFn *t)
{
    pci_device_exit(&t->pci);
    g_free(t);
}

static uint32_t cfg_read(Fixture *f, PciDevice *d, unsigned off, unsigned len)
{
    return pci_bus_config_read(f->bus, d->devfn, off, len);
}

static void cfg_write(Fixture *f, PciDevice *d, unsigned off, uint32_t v, unsigned len)
{
    pci_bus_config_write(f->bus, d->devfn, off, v, len);
}

static void route_pirq(Fixture *f, unsigned pirq, uint8_t irq)
{
    pci_bus_config_write(f->bus, PIIX3, PIRQRC + pirq, irq, 1);
}

static bool gsi(Fixture *f, unsigned n)
{
    return f->m->gsi_levels & (1u << n);
}

/* ---- INTx ---- */

static void test_intx_swizzle(Fixture *f, gconstpointer data)
{
    (void)data;
    /* _PRT: slot 1 INTA is LNKA, each slot and pin one further. */
    TestFn *a = test_fn_new(f, PCI_DEVFN(5, 0), 1);   /* (5 + 1 - 2) % 4: PIRQA */
    TestFn *c = test_fn_new(f, PCI_DEVFN(6, 0), 3);   /* (6 + 3 - 2) % 4: PIRQD */
    TestFn *n = test_fn_new(f, PCI_DEVFN(7, 0), 0);   /* no pin */
    g_assert_cmpint(pci_intx_pirq(&a->pci), ==, 0);
    g_assert_cmpint(pci_intx_pirq(&c->pci), ==, 3);
    g_assert_cmpint(pci_intx_pirq(&n->pci), ==, -1);
    test_fn_free(n);
    test_fn_free(a);
    test_fn_free(c);
}

static void test_intx_routing(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *t = test_fn_new(f, PCI_DEVFN(3, 0), 1);   /* slot 3 INTA -> PIRQC */
    uint32_t base = f->m->gsi_levels;   /* the PIT's IRQ 0 */
    /* Unrouted after reset (PIRQRC = 0x80): the level goes nowhere, but
     * STATUS.INTERRUPT shows it. */
    pci_set_irq(&t->pci, 1);
    g_assert_cmphex(cfg_read(f, &t->pci, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, ==,
                    PCI_STATUS_INTERRUPT);
    g_assert_cmphex(f->m->gsi_levels, ==, base);
    route_pirq(f, 2, 11);
    g_assert_true(gsi(f, 11));
    /* Re-routing moves the level. */
    route_pirq(f, 2, 10);
    g_assert_false(gsi(f, 11));
    g_assert_true(gsi(f, 10));
    /* Bit 7 disables; values >= 16 route nowhere. */
    route_pirq(f, 2, 0x8a);
    g_assert_false(gsi(f, 10));
    route_pirq(f, 2, 0x1a);
    g_assert_cmphex(f->m->gsi_levels, ==, base);
    route_pirq(f, 2, 10);
    pci_set_irq(&t->pci, 0);
    g_assert_false(gsi(f, 10));
    g_assert_cmphex(cfg_read(f, &t->pci, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, ==, 0);
    test_fn_free(t);
}

static void test_intx_disable(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *t = test_fn_new(f, PCI_DEVFN(3, 0), 1);
    route_pirq(f, 2, 11);
    pci_set_irq(&t->pci, 1);
    g_assert_true(gsi(f, 11));
    cfg_write(f, &t->pci, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    g_assert_false(gsi(f, 11));
    g_assert_cmphex(cfg_read(f, &t->pci, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, ==,
                    PCI_STATUS_INTERRUPT);
    cfg_write(f, &t->pci, PCI_COMMAND, 0, 2);
    g_assert_true(gsi(f, 11));
    /* A PCI reset deasserts the pin. */
    pci_device_reset(&t->pci);
    g_assert_false(gsi(f, 11));
    test_fn_free(t);
}

/* Two functions on one PIRQ and an ISA device on the same IRQ: the line
 * is their OR. */
static void test_intx_shared(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *a = test_fn_new(f, PCI_DEVFN(3, 0), 1);   /* PIRQC */
    TestFn *b = test_fn_new(f, PCI_DEVFN(7, 0), 1);   /* (7 + 1 - 2) % 4: PIRQC */
    TestFn *c = test_fn_new(f, PCI_DEVFN(4, 0), 4);   /* (4 + 4 - 2) % 4: PIRQC */
    route_pirq(f, 2, 9);
    pci_set_irq(&a->pci, 1);
    pci_set_irq(&b->pci, 1);
    pci_set_irq(&c->pci, 1);
    pci_set_irq(&a->pci, 0);
    pci_set_irq(&b->pci, 0);
    g_assert_true(gsi(f, 9));
    tern_irq_set(machine_isa_irq(f->m, 9), 1);
    pci_set_irq(&c->pci, 0);
    g_assert_true(gsi(f, 9));
    tern_irq_set(machine_isa_irq(f->m, 9), 0);
    g_assert_false(gsi(f, 9));
    /* Unplugging an asserting function drops its share. */
    pci_set_irq(&b->pci, 1);
    g_assert_true(gsi(f, 9));
    test_fn_free(b);
    g_assert_false(gsi(f, 9));
    test_fn_free(a);
    test_fn_free(c);
}

/* ---- MSI-X ---- */

static TestFn *msix_fn_new(Fixture *f, unsigned nvec)
{
    TestFn *t = test_fn_new(f, PCI_DEVFN(3, 0), 1);
    g_autoptr(GError) err = NULL;
    g_assert_true(msix_init(&t->pci, nvec, 1, 0, 0x800, 0, &err));
    g_assert_no_error(err);
    cfg_write(f, &t->pci, PCI_BASE_ADDRESS_1, BAR_ADDR, 4);
    cfg_write(f, &t->pci, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    return t;
}

static uint32_t mmio_read(Fixture *f, uint64_t addr, unsigned size)
{
    uint64_t v = 0;
    address_space_read(f->m->mmio, addr, &v, size);
    return v;
}

static void mmio_write(Fixture *f, uint64_t addr, uint32_t v)
{
    address_space_write(f->m->mmio, addr, v, 4);
}

static uint32_t ram_read(Fixture *f, uint64_t addr)
{
    uint32_t v = 0;
    g_assert_true(guest_ram_read(&f->m->ram, addr, &v, 4));
    return GUINT32_FROM_LE(v);
}

static void ram_clear(Fixture *f, uint64_t addr)
{
    uint32_t z = 0;
    g_assert_true(guest_ram_write(&f->m->ram, addr, &z, 4));
}

static void set_vector(Fixture *f, unsigned v, uint64_t addr, uint32_t data, bool masked)
{
    uint64_t e = BAR_ADDR + 16 * v;
    mmio_write(f, e + PCI_MSIX_ENTRY_LOWER_ADDR, addr);
    mmio_write(f, e + PCI_MSIX_ENTRY_UPPER_ADDR, addr >> 32);
    mmio_write(f, e + PCI_MSIX_ENTRY_DATA, data);
    mmio_write(f, e + PCI_MSIX_ENTRY_VECTOR_CTRL, masked);
}

static void msix_control(Fixture *f, TestFn *t, uint16_t v)
{
    cfg_write(f, &t->pci, pci_find_capability(&t->pci, PCI_CAP_ID_MSIX) + PCI_MSIX_FLAGS, v, 2);
}

static void test_msix_capability(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *t = msix_fn_new(f, 3);
    uint8_t cap = pci_find_capability(&t->pci, PCI_CAP_ID_MSIX);
    g_assert_cmphex(cap, ==, 0x40);
    g_assert_cmphex(cfg_read(f, &t->pci, PCI_CAPABILITY_LIST, 1), ==, 0x40);
    g_assert_cmphex(cfg_read(f, &t->pci, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, ==,
                    PCI_STATUS_CAP_LIST);
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSIX_FLAGS, 2), ==, 2);   /* 3 vectors */
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSIX_TABLE, 4), ==, 1);   /* BAR 1, 0 */
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSIX_PBA, 4), ==, 0x801);
    /* Only Enable and Function Mask are writable. */
    cfg_write(f, &t->pci, cap + PCI_MSIX_FLAGS, 0xffff, 2);
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSIX_FLAGS, 2), ==, 0xc002);
    cfg_write(f, &t->pci, cap + PCI_MSIX_TABLE, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSIX_TABLE, 4), ==, 1);
    /* The BAR: 4 KiB, 32-bit memory. */
    cfg_write(f, &t->pci, PCI_BASE_ADDRESS_1, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(f, &t->pci, PCI_BASE_ADDRESS_1, 4), ==, 0xfffff000);
    test_fn_free(t);
}

static void test_msix_table(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *t = msix_fn_new(f, 2);
    /* Reset state: every vector masked, nothing pending. */
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 12, 4), ==, 1);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 28, 4), ==, 1);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 0x800, 4), ==, 0);
    /* Past the table, and narrow accesses (QEMU 7.2): zero, dropped. */
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 44, 4), ==, 0);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 12, 1), ==, 0);
    address_space_write(f->m->mmio, BAR_ADDR, 0x12, 1);
    g_assert_cmphex(mmio_read(f, BAR_ADDR, 4), ==, 0);
    /* Vector Control stores what is written; an 8-byte write is two. */
    mmio_write(f, BAR_ADDR + 12, 0xfffffffe);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 12, 4), ==, 0xfffffffe);
    address_space_write(f->m->mmio, BAR_ADDR, 0x1122334455667788ULL, 8);
    g_assert_cmphex(mmio_read(f, BAR_ADDR, 4), ==, 0x55667788);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 4, 4), ==, 0x11223344);
    /* The PBA is read-only. */
    mmio_write(f, BAR_ADDR + 0x800, 0xffffffff);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 0x800, 4), ==, 0);
    /* A reset masks everything again and clears the table. */
    pci_device_reset(&t->pci);
    cfg_write(f, &t->pci, PCI_BASE_ADDRESS_1, BAR_ADDR, 4);
    cfg_write(f, &t->pci, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 12, 4), ==, 1);
    g_assert_cmphex(mmio_read(f, BAR_ADDR, 4), ==, 0);
    test_fn_free(t);
}

static void test_msix_delivery(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *t = msix_fn_new(f, 2);
    ram_clear(f, MSG_ADDR);
    set_vector(f, 1, MSG_ADDR, 0xcafe0001, false);
    /* Disabled: nothing, not even pending. */
    msix_notify(&t->pci, 1);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0);
    g_assert_false(msix_is_pending(&t->pci, 1));
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE);
    g_assert_true(msix_enabled(&t->pci));
    msix_notify(&t->pci, 1);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0xcafe0001);
    /* Out of range: ignored. */
    msix_notify(&t->pci, 2);
    test_fn_free(t);
}

static void test_msix_masking(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *t = msix_fn_new(f, 2);
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE);
    ram_clear(f, MSG_ADDR);
    set_vector(f, 0, MSG_ADDR, 0x4321, true);
    /* Vector mask: pending bit, delivered on unmask. */
    msix_notify(&t->pci, 0);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 0x800, 4), ==, 1);
    mmio_write(f, BAR_ADDR + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0x4321);
    g_assert_cmphex(mmio_read(f, BAR_ADDR + 0x800, 4), ==, 0);
    /* Function mask: the same, for every vector at once. */
    ram_clear(f, MSG_ADDR);
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    g_assert_true(msix_is_masked(&t->pci, 0));
    msix_notify(&t->pci, 0);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0);
    g_assert_true(msix_is_pending(&t->pci, 0));
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0x4321);
    g_assert_false(msix_is_pending(&t->pci, 0));
    test_fn_free(t);
}

/* INTx is silent while MSI-X is enabled. */
static void test_msix_intx(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *t = msix_fn_new(f, 1);
    route_pirq(f, 2, 11);
    pci_set_irq(&t->pci, 1);
    g_assert_true(gsi(f, 11));
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE);
    g_assert_false(gsi(f, 11));
    msix_control(f, t, 0);
    g_assert_true(gsi(f, 11));
    test_fn_free(t);
}

/* Save and load through the state description fields: the table and PBA
 * come back and drive delivery. */
static void test_msix_migrate(Fixture *f, gconstpointer data)
{
    (void)data;
    static const StateField fields[] = {
        PCI_STATE_CONFIG(TestFn, pci, 1),
        PCI_STATE_MSIX(TestFn, pci, 1),
        STATE_END,
    };
    static const StateDescription desc = { .name = "test-fn", .version = 1, .fields = fields };
    TestFn *t = msix_fn_new(f, 2);
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE);
    set_vector(f, 1, MSG_ADDR, 0x77, true);
    msix_notify(&t->pci, 1);
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&desc, t, out);
    test_fn_free(t);

    TestFn *u = msix_fn_new(f, 2);
    g_autoptr(GError) err = NULL;
    g_assert_true(vmstate_load(&desc, u, 1, out->data, out->len, &err));
    g_assert_true(pci_device_post_load(&u->pci, &err));
    g_assert_no_error(err);
    g_assert_true(msix_is_pending(&u->pci, 1));
    ram_clear(f, MSG_ADDR);
    mmio_write(f, BAR_ADDR + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0x77);
    test_fn_free(u);
}

/* With KVM an unmasked vector owns a GSI route and an irqfd; masking
 * (the vector's bit, the function mask, disabling) gives them back. */
static void test_msix_kvm_routes(Fixture *f, gconstpointer data)
{
    (void)data;
    if (!f->m) {
        g_test_skip("no /dev/kvm");
        return;
    }
    g_assert_true(f->m->has_kvm);
    TestFn *t = msix_fn_new(f, 2);
    set_vector(f, 0, 0xfee00000, 0x41, false);
    set_vector(f, 1, 0xfee00000, 0x42, true);
    g_assert_cmpint(msix_vector_fd(&t->pci, 0), ==, -1);   /* MSI-X still disabled */
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE);
    int fd0 = msix_vector_fd(&t->pci, 0);
    g_assert_cmpint(fd0, >=, 0);
    g_assert_cmpint(msix_vector_fd(&t->pci, 1), ==, -1);
    int gsi0 = t->pci.msix.routes[0].gsi;
    g_assert_cmpint(gsi0, >=, PC_GSI_PINS);
    /* A new message keeps the route and its eventfd. */
    mmio_write(f, BAR_ADDR + PCI_MSIX_ENTRY_DATA, 0x51);
    g_assert_cmpint(msix_vector_fd(&t->pci, 0), ==, fd0);
    g_assert_cmpint(t->pci.msix.routes[0].data, ==, 0x51);
    /* Unmasking vector 1 gives it a GSI of its own. */
    mmio_write(f, BAR_ADDR + 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    g_assert_cmpint(t->pci.msix.routes[1].gsi, >=, PC_GSI_PINS);
    g_assert_cmpint(t->pci.msix.routes[1].gsi, !=, gsi0);
    msix_notify(&t->pci, 0);   /* through the irqfd */
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    g_assert_cmpint(msix_vector_fd(&t->pci, 0), ==, -1);
    g_assert_cmpint(msix_vector_fd(&t->pci, 1), ==, -1);
    msix_notify(&t->pci, 1);
    g_assert_true(msix_is_pending(&t->pci, 1));
    /* Unmasking delivers the pending message (an eventfd write). */
    msix_control(f, t, PCI_MSIX_FLAGS_ENABLE);
    g_assert_false(msix_is_pending(&t->pci, 1));
    g_assert_cmpint(msix_vector_fd(&t->pci, 1), >=, 0);
    test_fn_free(t);
}

/* ---- MSI ---- */

static void test_msi(Fixture *f, gconstpointer data)
{
    (void)data;
    TestFn *t = test_fn_new(f, PCI_DEVFN(3, 0), 1);
    g_autoptr(GError) err = NULL;
    g_assert_true(msi_init(&t->pci, 0, 4, true, true, &err));
    uint8_t cap = pci_find_capability(&t->pci, PCI_CAP_ID_MSI);
    g_assert_cmphex(cap, ==, 0x40);
    /* 4 vectors capable, 64-bit, per-vector masking. */
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSI_FLAGS, 2), ==, 0x184);
    cfg_write(f, &t->pci, cap + PCI_MSI_ADDRESS_LO, MSG_ADDR | 3, 4);
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSI_ADDRESS_LO, 4), ==, MSG_ADDR);
    cfg_write(f, &t->pci, cap + PCI_MSI_DATA_64, 0x4440, 2);
    /* Two messages enabled: vector 1 sets data bit 0. */
    cfg_write(f, &t->pci, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | (1 << 4), 2);
    ram_clear(f, MSG_ADDR);
    msi_notify(&t->pci, 1);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0x4441);
    /* Masked: pending, then sent on unmask. */
    ram_clear(f, MSG_ADDR);
    cfg_write(f, &t->pci, cap + PCI_MSI_MASK_64, 1, 4);
    msi_notify(&t->pci, 0);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0);
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSI_PENDING_64, 4), ==, 1);
    cfg_write(f, &t->pci, cap + PCI_MSI_MASK_64, 0, 4);
    g_assert_cmphex(ram_read(f, MSG_ADDR), ==, 0x4440);
    g_assert_cmphex(cfg_read(f, &t->pci, cap + PCI_MSI_PENDING_64, 4), ==, 0);
    /* Reset turns it off. */
    pci_device_reset(&t->pci);
    g_assert_false(msi_enabled(&t->pci));
    test_fn_free(t);
}

/* ---- addressing ---- */

static void test_auto_slot(Fixture *f, gconstpointer data)
{
    (void)data;
    /* -nodefaults pc: slots 0 and 1 are the board's; 2 is first free. */
    TestFn *a = test_fn_new(f, -1, 0);
    TestFn *b = test_fn_new(f, PCI_DEVFN(3, 0), 0);
    TestFn *c = test_fn_new(f, -1, 0);
    g_assert_cmphex(a->pci.devfn, ==, PCI_DEVFN(2, 0));
    g_assert_cmphex(c->pci.devfn, ==, PCI_DEVFN(4, 0));
    test_fn_free(a);
    TestFn *d = test_fn_new(f, -1, 0);
    g_assert_cmphex(d->pci.devfn, ==, PCI_DEVFN(2, 0));
    test_fn_free(b);
    test_fn_free(c);
    test_fn_free(d);
}

#define ADD(path, fn) \
    g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/pci/intx/swizzle", test_intx_swizzle);
    ADD("/pci/intx/routing", test_intx_routing);
    ADD("/pci/intx/disable", test_intx_disable);
    ADD("/pci/intx/shared", test_intx_shared);
    ADD("/pci/msix/capability", test_msix_capability);
    ADD("/pci/msix/table", test_msix_table);
    ADD("/pci/msix/delivery", test_msix_delivery);
    ADD("/pci/msix/masking", test_msix_masking);
    ADD("/pci/msix/intx", test_msix_intx);
    ADD("/pci/msix/migrate", test_msix_migrate);
    g_test_add("/pci/msix/kvm-routes", Fixture, "kvm", fixture_setup, test_msix_kvm_routes,
               fixture_teardown);
    ADD("/pci/msi", test_msi);
    ADD("/pci/auto-slot", test_auto_slot);
    return g_test_run();
}
