/* The PC firmware ROM (-bios). The image ends at 4 GiB, where the CPU's
 * reset vector fetches, and its last 128 KiB also show at 0xe0000-0xfffff,
 * the window legacy code and SeaBIOS run from. The top copy is a
 * read-only KVM slot (guest writes exit and are dropped, as on ROM); the
 * low window is RAM loaded with those bytes at every reset. The i440FX
 * PAM registers are not modelled: that RAM is always readable and
 * writable, which is what SeaBIOS programs them to while it runs. */
#include "board/pc-bios.h"
#include "board/acpi.h"
#include "board/pc.h"
#include "board/pci.h"
#include "util/error.h"

#include <string.h>

#define FOUR_GIB          0x100000000ULL
#define ISA_BIOS_MAX      (128 * 1024)
#define BIOS_SIZE_UNIT    (64 * 1024)
#define BIOS_SIZE_MAX     (16 * 1024 * 1024)
#define BIOS_KVM_SLOT     2            /* after the two RAM slots */
#define DEFAULT_BIOS      "bios-256k.bin"

/* Where a bare file name is looked for, as QEMU's data directories. */
static const char *const bios_dirs[] = { "/usr/share/qemu", "/usr/share/seabios" };

static char *find_bios(const char *name)
{
    if (strchr(name, '/') || g_file_test(name, G_FILE_TEST_IS_REGULAR)) {
        return g_strdup(name);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bios_dirs); i++) {
        g_autofree char *p = g_build_filename(bios_dirs[i], name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
            return g_steal_pointer(&p);
        }
    }
    return g_strdup(name);
}

static uint64_t rom_read(void *opaque, uint64_t off, unsigned size)
{
    GBytes *rom = opaque;
    gsize len;
    const uint8_t *p = g_bytes_get_data(rom, &len);
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < len; i++) {
        v |= (uint64_t)p[off + i] << (8 * i);
    }
    return v;
}

static void rom_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)opaque, (void)off, (void)val, (void)size;   /* ROM: writes are dropped */
}

static const TernRegionOps rom_ops = { .read = rom_read, .write = rom_write };

bool pc_bios_wanted(const MachineConfig *cfg)
{
    return cfg->bios || !cfg->kernel;
}

bool pc_bios_load(Machine *m, GError **errp)
{
    const char *name = m->cfg->bios ? m->cfg->bios : DEFAULT_BIOS;
    g_autofree char *path = find_bios(name);
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &data, &len, NULL) || len == 0 || len % BIOS_SIZE_UNIT ||
        len > BIOS_SIZE_MAX) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "could not load PC BIOS '%s'", name);
        return false;
    }
    /* One page-aligned copy: KVM maps it, the MMIO handler reads it. */
    void *host = g_aligned_alloc(1, len, 4096);
    memcpy(host, data, len);
    m->bios = g_bytes_new_with_free_func(host, len, g_aligned_free, host);
    uint64_t base = FOUR_GIB - len;
    if (m->has_kvm && !kvm_vm_set_rom(&m->kvm, BIOS_KVM_SLOT, base, len, host, errp)) {
        return false;
    }
    if (!machine_map_mmio(m, "pc.bios", base, len, &rom_ops, m->bios, errp)) {
        return false;
    }
    return m->has_kvm || pc_bios_install(m, errp);
}

bool pc_bios_install(Machine *m, GError **errp)
{
    if (!m->bios || m->bios_in_ram) {
        return true;
    }
    gsize len;
    const uint8_t *rom = g_bytes_get_data(m->bios, &len);
    gsize isa = MIN(len, (gsize)ISA_BIOS_MAX);
    m->bios_in_ram = true;
    return boot_image_add(&m->boot, &m->ram, 0x100000 - isa, rom + len - isa, isa, "isa-bios",
                          errp);
}

/* What SeaBIOS programs and an OS takes as given: the PIIX4's PM block at
 * the FADT's address, turned on. (PCI interrupt links are left to the OS:
 * the DSDT's _SRS sets them; BARs come with issue 5's devices.) */
void pc_bios_stand_in(Machine *m)
{
    PciBus *bus = pci_root_bus(m);
    if (m->bios || !bus) {
        return;
    }
    pci_bus_config_write(bus, PCI_DEVFN(1, 3), 0x40, ACPI_PM_BASE | 1, 4);   /* PMBA */
    pci_bus_config_write(bus, PCI_DEVFN(1, 3), 0x80, 0x01, 1);               /* PMIOSE */
}
