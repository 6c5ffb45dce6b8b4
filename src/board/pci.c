/* The PCI core: configuration mechanism #1 and type 0 configuration
 * spaces. See pci.h for the model; QEMU 7.2 is the oracle for the corner
 * cases the spec leaves open (noted where they are handled). */
#define G_LOG_DOMAIN "tern-pci"
#include "board/pci.h"
#include "board/msi.h"
#include "board/msix.h"
#include "board/pc.h"
#include "util/error.h"

#define CONFIG_ADDR_PORT 0xcf8
#define CONFIG_ADDR_HI_PORT 0xcfa   /* 0xcf9 is the PIIX3 reset control */
#define CONFIG_DATA_PORT 0xcfc
#define CONFIG_ADDR_ENABLE 0x80000000u

/* The header bits QEMU 7.2 lets a guest write (observed with the qtest
 * protocol): COMMAND's decode/master/SERR/INTx-disable bits, and the
 * status error bits, which are write-1-to-clear. */
#define COMMAND_WMASK (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
                       PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
#define STATUS_W1CMASK (PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |      \
                        PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT | \
                        PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

static uint32_t all_ones(unsigned len)
{
    return len >= 4 ? UINT32_MAX : (1u << (len * 8)) - 1;
}

/* ---- the bus ---- */

void pci_bus_init(PciBus *bus, Machine *m)
{
    memset(bus, 0, sizeof(*bus));
    bus->machine = m;
}

uint32_t pci_bus_config_read(PciBus *bus, unsigned devfn, unsigned off, unsigned len)
{
    PciDevice *d = devfn < 256 ? bus->devices[devfn] : NULL;
    if (!d || off >= PCI_CONFIG_SPACE_SIZE) {
        return all_ones(len);
    }
    /* An access running past the end returns only the bytes inside it,
     * the rest reading as zero (QEMU 7.2). */
    len = MIN(len, PCI_CONFIG_SPACE_SIZE - off);
    return d->ops && d->ops->config_read ? d->ops->config_read(d, off, len)
                                         : pci_default_config_read(d, off, len);
}

void pci_bus_config_write(PciBus *bus, unsigned devfn, unsigned off, uint32_t val,
                          unsigned len)
{
    PciDevice *d = devfn < 256 ? bus->devices[devfn] : NULL;
    if (!d || off >= PCI_CONFIG_SPACE_SIZE) {
        return;
    }
    len = MIN(len, PCI_CONFIG_SPACE_SIZE - off);
    g_debug("%02x.%x config[0x%02x] <- 0x%x (%u)", PCI_DEVFN_SLOT(devfn),
            PCI_DEVFN_FUNC(devfn), off, val, len);
    if (d->ops && d->ops->config_write) {
        d->ops->config_write(d, off, val, len);
    } else {
        pci_default_config_write(d, off, val, len);
    }
}

/* Where a CONFIG_DATA access at port byte `k` goes: false if nowhere.
 * Type 1 (bus != 0) has no bus behind it. QEMU 7.2 keeps CONFIG_ADDRESS
 * bits 1:0 and ORs the port's byte offset into them; so does Tern. */
static bool config_data_target(PciBus *bus, unsigned k, unsigned *devfn, unsigned *reg)
{
    uint32_t a = bus->config_addr;
    if (!(a & CONFIG_ADDR_ENABLE) || ((a >> 16) & 0xff) != 0) {
        return false;
    }
    *devfn = (a >> 8) & 0xff;
    *reg = (a & 0xff) | k;
    return true;
}

/* An unaligned access is split into naturally aligned pieces, the part
 * beyond 0xcff hitting nothing: what QEMU's memory core does, and so what
 * a guest sees there. Returns the size of the piece at port byte k. */
static unsigned data_piece(unsigned k, unsigned left)
{
    for (unsigned n = 4;; n /= 2) {
        if (n <= left && k % n == 0) {
            return n;
        }
    }
}

static uint64_t config_data_read(void *opaque, uint64_t off, unsigned size)
{
    PciBus *bus = opaque;
    uint64_t v = 0;
    for (unsigned done = 0; done < size;) {
        unsigned k = off + done, n = data_piece(k, size - done), devfn, reg;
        uint32_t piece = all_ones(n);
        if (k < 4 && config_data_target(bus, k, &devfn, &reg)) {
            piece = pci_bus_config_read(bus, devfn, reg, n);
        }
        v |= (uint64_t)piece << (8 * done);
        done += n;
    }
    return v;
}

static void config_data_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PciBus *bus = opaque;
    for (unsigned done = 0; done < size;) {
        unsigned k = off + done, n = data_piece(k, size - done), devfn, reg;
        if (k < 4 && config_data_target(bus, k, &devfn, &reg)) {
            pci_bus_config_write(bus, devfn, reg, (val >> (8 * done)) & all_ones(n), n);
        }
        done += n;
    }
}

static const TernRegionOps config_data_ops = { .read = config_data_read,
                                               .write = config_data_write };

/* CONFIG_ADDRESS: only a 32-bit write at 0xcf8 latches it (narrower ones
 * go to other ISA devices on real hardware; QEMU drops them). A read of
 * any width starting anywhere in 0xcf8-0xcfb returns its low bytes, as
 * QEMU's. An access that runs past 0xcfb is split the way QEMU 7.2's
 * memory core splits it (naturally aligned pieces counted from 0xcf8),
 * the part from 0xcfc on going to CONFIG_DATA: inl 0xcfa reads two bytes
 * of CONFIG_ADDRESS and two of configuration space. */
static uint64_t config_addr_access(PciBus *bus, unsigned k, uint64_t val, unsigned size,
                                   bool write)
{
    uint64_t v = 0;
    for (unsigned done = 0; done < size;) {
        unsigned at = k + done, n = data_piece(at, size - done);
        if (at >= 4) {
            n = size - done;   /* CONFIG_DATA's: it splits the rest itself */
        }
        uint64_t piece = (val >> (8 * done)) & all_ones(n);
        if (at >= 4 && write) {
            config_data_write(bus, at - 4, piece, n);
        } else if (at >= 4) {
            v |= config_data_read(bus, at - 4, n) << (8 * done);
        } else if (write && at == 0 && n == 4) {
            bus->config_addr = piece;
        } else if (!write) {
            v |= (uint64_t)(bus->config_addr & all_ones(n)) << (8 * done);
        }
        done += n;
    }
    return v;
}

static uint64_t config_addr_read(void *opaque, uint64_t off, unsigned size)
{
    return config_addr_access(opaque, off, 0, size, false);
}

static void config_addr_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    config_addr_access(opaque, off, val, size, true);
}

/* 0xcfa-0xcfb: the same register (0xcf9 between is the PIIX3's). */
static uint64_t config_addr_hi_read(void *opaque, uint64_t off, unsigned size)
{
    return config_addr_access(opaque, off + 2, 0, size, false);
}

static void config_addr_hi_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    config_addr_access(opaque, off + 2, val, size, true);
}

static const TernRegionOps config_addr_ops = { .read = config_addr_read,
                                               .write = config_addr_write };
static const TernRegionOps config_addr_hi_ops = { .read = config_addr_hi_read,
                                                  .write = config_addr_hi_write };

bool pci_bus_map_config_ports(PciBus *bus, GError **errp)
{
    Machine *m = bus->machine;
    /* Named as in QEMU's flat I/O view. */
    return machine_map_pio(m, "pci-conf-idx", CONFIG_ADDR_PORT, 1, &config_addr_ops, bus,
                           errp) &&
           machine_map_pio(m, "pci-conf-idx", CONFIG_ADDR_HI_PORT, 2, &config_addr_hi_ops,
                           bus, errp) &&
           machine_map_pio(m, "pci-conf-data", CONFIG_DATA_PORT, 4, &config_data_ops, bus,
                           errp);
}

void pci_bus_unmap_config_ports(PciBus *bus)
{
    address_space_remove(bus->machine->pio, CONFIG_ADDR_PORT);
    address_space_remove(bus->machine->pio, CONFIG_ADDR_HI_PORT);
    address_space_remove(bus->machine->pio, CONFIG_DATA_PORT);
}

PciDevice *pci_bus_find(Machine *m, unsigned devfn)
{
    PciBus *bus = pci_root_bus(m);
    return bus && devfn < 256 ? bus->devices[devfn] : NULL;
}

/* ---- functions ---- */

static bool byte_used(const PciDevice *d, unsigned i)
{
    return d->used[i / 32] & (1u << (i % 32));
}

static void mark_used(PciDevice *d, unsigned off, unsigned len)
{
    for (unsigned i = off; i < off + len; i++) {
        d->used[i / 32] |= 1u << (i % 32);
    }
}

static void set_fixed(PciDevice *d, unsigned off, unsigned len)
{
    memset(d->cmask + off, 0xff, len);
    memcpy(d->fixed + off, d->config + off, len);
}

bool pci_device_init(PciDevice *d, PciBus *bus, unsigned devfn, const PciId *id,
                     const PciDeviceOps *ops, GError **errp)
{
    if (devfn > 255 || bus->devices[devfn]) {
        const DeviceState *other = devfn > 255 ? NULL : &bus->devices[devfn]->parent;
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "PCI: slot %u function %u not available for %s, in use by %s,id=%s",
                    PCI_DEVFN_SLOT(devfn), PCI_DEVFN_FUNC(devfn), d->parent.info->name,
                    other ? other->info->name : "nothing",
                    other && other->id ? other->id : "(null)");
        return false;
    }
    d->ops = ops;
    memset(d->config, 0, sizeof(d->config));
    memset(d->wmask, 0, sizeof(d->wmask));
    memset(d->w1cmask, 0, sizeof(d->w1cmask));
    memset(d->cmask, 0, sizeof(d->cmask));
    memset(d->used, 0, sizeof(d->used));
    memset(d->bars, 0, sizeof(d->bars));
    memset(&d->msix, 0, sizeof(d->msix));
    memset(&d->msi, 0, sizeof(d->msi));
    d->intx_level = 0;
    d->intx_asserted = false;
    d->rom = NULL;
    d->rom_mapped = false;
    mark_used(d, 0, PCI_STD_HEADER_SIZEOF);

    uint8_t *c = d->config;
    pci_set_word(c + PCI_VENDOR_ID, id->vendor);
    pci_set_word(c + PCI_DEVICE_ID, id->device);
    pci_set_word(c + PCI_STATUS, id->status);
    c[PCI_REVISION_ID] = id->revision;
    c[PCI_CLASS_PROG] = id->prog_if;
    pci_set_word(c + PCI_CLASS_DEVICE, id->class_id);
    c[PCI_HEADER_TYPE] = id->header_type | (d->multifunction ? PCI_HEADER_MULTI_FUNCTION : 0);
    d->multifunction = c[PCI_HEADER_TYPE] & PCI_HEADER_MULTI_FUNCTION;
    bool qemu_subsystem = !id->subsystem_vendor && !id->subsystem;
    pci_set_word(c + PCI_SUBSYSTEM_VENDOR_ID,
                 qemu_subsystem ? PCI_SUBSYSTEM_VENDOR_QEMU : id->subsystem_vendor);
    pci_set_word(c + PCI_SUBSYSTEM_ID, qemu_subsystem ? PCI_SUBSYSTEM_QEMU : id->subsystem);
    c[PCI_INTERRUPT_PIN] = id->interrupt_pin;

    pci_set_word(d->wmask + PCI_COMMAND, COMMAND_WMASK);
    pci_set_word(d->w1cmask + PCI_STATUS, STATUS_W1CMASK);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    memset(d->wmask + PCI_STD_HEADER_SIZEOF, 0xff,
           PCI_CONFIG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF);

    set_fixed(d, PCI_VENDOR_ID, 4);
    set_fixed(d, PCI_REVISION_ID, 4);
    set_fixed(d, PCI_HEADER_TYPE, 1);
    set_fixed(d, PCI_SUBSYSTEM_VENDOR_ID, 4);
    set_fixed(d, PCI_CAPABILITY_LIST, 1);
    set_fixed(d, PCI_INTERRUPT_PIN, 1);

    d->bus = bus;
    d->devfn = devfn;
    bus->devices[devfn] = d;
    return true;
}

static void unmap_bar(PciDevice *d, PciBar *b)
{
    if (b->mapped) {
        Machine *m = d->bus->machine;
        address_space_remove(b->type & PCI_BASE_ADDRESS_SPACE_IO ? m->pio : m->mmio,
                             b->mapped_at);
        b->mapped = false;
    }
}

/* The address BAR n decodes, or UINT64_MAX when it decodes nothing. */
static uint64_t bar_address(const PciDevice *d, unsigned n)
{
    const PciBar *b = &d->bars[n];
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    bool io = b->type & PCI_BASE_ADDRESS_SPACE_IO;
    if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY))) {
        return UINT64_MAX;
    }
    unsigned off = PCI_BASE_ADDRESS_0 + 4 * n;
    uint64_t addr = pci_get_long(d->config + off);
    if (!io && (b->type & PCI_BASE_ADDRESS_MEM_TYPE_64)) {
        addr |= (uint64_t)pci_get_long(d->config + off + 4) << 32;
    }
    addr &= ~(b->size - 1) & ~(uint64_t)(io ? 0x3 : 0xf);
    uint64_t last = addr + b->size - 1;
    bool wide = b->type & PCI_BASE_ADDRESS_MEM_TYPE_64;
    if (!addr || last < addr || (io && last > 0xffff) ||
        (!io && !wide && last >= 0xffffffffULL)) {   /* QEMU: a 32-bit BAR ends below 4 GiB */
        return UINT64_MAX;
    }
    return addr;
}

/* ---- the expansion ROM ---- */

static uint64_t rom_read(void *opaque, uint64_t off, unsigned size)
{
    PciDevice *d = opaque;
    gsize len;
    const uint8_t *p = g_bytes_get_data(d->rom, &len);
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < len; i++) {
        v |= (uint64_t)p[off + i] << (8 * i);
    }
    return v;
}

static void rom_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)opaque, (void)off, (void)val, (void)size;   /* read-only */
}

static const TernRegionOps rom_ops = { .read = rom_read, .write = rom_write };

static uint64_t rom_size(const PciDevice *d)
{
    return d->rom ? g_bytes_get_size(d->rom) : 0;
}

/* The ROM's address while it decodes, else UINT64_MAX: enable bit and
 * COMMAND.MEM set, not at 0, below 4 GiB (a 32-bit register). */
static uint64_t rom_address(const PciDevice *d)
{
    uint32_t reg = pci_get_long(d->config + PCI_ROM_ADDRESS);
    uint64_t addr = reg & PCI_ROM_ADDRESS_MASK & ~(rom_size(d) - 1);
    if (!rom_size(d) || !(reg & PCI_ROM_ADDRESS_ENABLE) ||
        !(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MEMORY) || !addr ||
        addr + rom_size(d) - 1 >= 0xffffffffULL) {
        return UINT64_MAX;
    }
    return addr;
}

static void unmap_rom(PciDevice *d)
{
    if (d->rom_mapped) {
        address_space_remove(d->bus->machine->mmio, d->rom_mapped_at);
        d->rom_mapped = false;
    }
}

static void update_rom_mapping(PciDevice *d)
{
    uint64_t addr = rom_address(d);
    if (d->rom_mapped && d->rom_mapped_at == addr) {
        return;
    }
    unmap_rom(d);
    if (addr == UINT64_MAX) {
        return;
    }
    g_autoptr(GError) err = NULL;
    g_autofree char *name = g_strdup_printf("%s.rom", d->parent.info->name);
    d->rom_mapped = machine_map_mmio(d->bus->machine, name, addr, rom_size(d), &rom_ops, d,
                                     &err);
    d->rom_mapped_at = addr;
    if (!d->rom_mapped) {
        g_debug("%s: ROM not mapped: %s", d->parent.info->name, err->message);
    }
}

void pci_register_rom(PciDevice *d, GBytes *contents, uint64_t size)
{
    gsize len = g_bytes_get_size(contents);
    if (!size) {
        /* The next power of two, as QEMU (no 2 KiB floor, though the
         * spec reserves bits 10:1). */
        size = 1;
        while (size < len) {
            size *= 2;
        }
    }
    g_assert(size >= len && !(size & (size - 1)));
    g_autofree uint8_t *buf = g_malloc0(size);
    memcpy(buf, g_bytes_get_data(contents, NULL), len);
    if (d->rom) {
        g_bytes_unref(d->rom);
    }
    d->rom = g_bytes_new_take(g_steal_pointer(&buf), size);
    pci_set_long(d->wmask + PCI_ROM_ADDRESS,
                 (uint32_t)~(size - 1) | PCI_ROM_ADDRESS_ENABLE);
}

void pci_update_mappings(PciDevice *d)
{
    if (!d->bus) {
        return;
    }
    update_rom_mapping(d);
    Machine *m = d->bus->machine;
    for (unsigned n = 0; n < G_N_ELEMENTS(d->bars); n++) {
        PciBar *b = &d->bars[n];
        if (!b->ops) {
            continue;
        }
        uint64_t addr = bar_address(d, n);
        if (b->mapped && b->mapped_at == addr) {
            continue;
        }
        unmap_bar(d, b);
        if (addr == UINT64_MAX) {
            continue;
        }
        /* A BAR over something else decodes nothing here; the guest
         * asked for an address Tern cannot give. */
        g_autoptr(GError) err = NULL;
        bool io = b->type & PCI_BASE_ADDRESS_SPACE_IO;
        b->mapped = io ? machine_map_pio(m, b->name, addr, b->size, b->ops, b->opaque, &err)
                       : machine_map_mmio(m, b->name, addr, b->size, b->ops, b->opaque, &err);
        b->mapped_at = addr;
        if (!b->mapped) {
            g_debug("%s: BAR %u not mapped: %s", d->parent.info->name, n, err->message);
        }
    }
}

void pci_device_exit(PciDevice *d)
{
    if (d->bus) {
        pci_set_irq(d, 0);
        msix_uninit(d);
        unmap_rom(d);
    }
    if (d->rom) {
        g_bytes_unref(d->rom);
        d->rom = NULL;
    }
    for (unsigned n = 0; d->bus && n < G_N_ELEMENTS(d->bars); n++) {
        unmap_bar(d, &d->bars[n]);
    }
    if (d->bus && d->bus->devices[d->devfn] == d) {
        d->bus->devices[d->devfn] = NULL;
    }
    d->bus = NULL;
}

void pci_device_reset(PciDevice *d)
{
    uint8_t *c = d->config;
    pci_set_word(c + PCI_COMMAND, pci_get_word(c + PCI_COMMAND) & ~COMMAND_WMASK);
    pci_set_word(c + PCI_STATUS, pci_get_word(c + PCI_STATUS) & ~STATUS_W1CMASK);
    c[PCI_CACHE_LINE_SIZE] = 0;
    c[PCI_INTERRUPT_LINE] = 0;
    /* The ROM's address goes, its enable bit too. */
    pci_set_long(c + PCI_ROM_ADDRESS, 0);
    /* A reset function drives no interrupt: INTx down, MSI and MSI-X off
     * (their Message Control is device-specific config QEMU resets). */
    pci_set_irq(d, 0);
    msi_reset(d);
    msix_reset(d);
    for (unsigned n = 0; n < G_N_ELEMENTS(d->bars); n++) {
        const PciBar *b = &d->bars[n];
        if (b->size) {
            unsigned off = PCI_BASE_ADDRESS_0 + 4 * n;
            pci_set_long(c + off, b->type);
            if (b->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
                pci_set_long(c + off + 4, 0);
            }
        }
    }
    pci_update_mappings(d);
}

bool pci_device_post_load(PciDevice *d, GError **errp)
{
    for (unsigned i = 0; i < PCI_CONFIG_SPACE_SIZE; i++) {
        if ((d->config[i] ^ d->fixed[i]) & d->cmask[i]) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "%s: bad config data at 0x%02x: 0x%02x, expected 0x%02x",
                        d->parent.info->name, i, d->config[i], d->fixed[i]);
            return false;
        }
    }
    d->intx_level = !!d->intx_level;
    pci_update_intx(d);
    pci_update_mappings(d);
    return msix_post_load(d, errp);
}

void pci_register_bar(PciDevice *d, unsigned n, uint8_t type, uint64_t size)
{
    bool io = type & PCI_BASE_ADDRESS_SPACE_IO;
    bool wide = !io && (type & PCI_BASE_ADDRESS_MEM_TYPE_64);
    g_assert(n < 6 && (!wide || n < 5));
    g_assert(size && !(size & (size - 1)) && size >= (io ? 4u : 16u));
    unsigned off = PCI_BASE_ADDRESS_0 + 4 * n;
    uint64_t mask = ~(size - 1) & ~(uint64_t)(io ? 0x3 : 0xf);
    d->bars[n] = (PciBar){ .size = size, .type = type, .ops = d->bars[n].ops,
                           .opaque = d->bars[n].opaque, .name = d->bars[n].name };
    pci_set_long(d->config + off, type);
    pci_set_long(d->wmask + off, mask);
    if (wide) {
        pci_set_long(d->config + off + 4, 0);
        pci_set_long(d->wmask + off + 4, mask >> 32);
    }
}

void pci_register_bar_ops(PciDevice *d, unsigned n, uint8_t type, uint64_t size,
                          const char *name, const TernRegionOps *ops, void *opaque)
{
    g_assert(n < 6);
    d->bars[n].ops = ops;
    d->bars[n].opaque = opaque;
    d->bars[n].name = name;
    pci_register_bar(d, n, type, size);
}

static bool cap_space_free(const PciDevice *d, unsigned off, unsigned size)
{
    for (unsigned i = off; i < off + size; i++) {
        if (byte_used(d, i)) {
            return false;
        }
    }
    return true;
}

uint8_t pci_add_capability(PciDevice *d, uint8_t cap_id, uint8_t offset, uint8_t size,
                           GError **errp)
{
    if (!offset) {
        for (unsigned o = PCI_STD_HEADER_SIZEOF; o + size <= PCI_CONFIG_SPACE_SIZE; o += 4) {
            if (cap_space_free(d, o, size)) {
                offset = o;
                break;
            }
        }
    }
    if (offset < PCI_STD_HEADER_SIZEOF || (offset & 3) || size < 2 ||
        offset + size > PCI_CONFIG_SPACE_SIZE || !cap_space_free(d, offset, size)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "%s: no room for PCI capability 0x%02x (%u bytes at 0x%02x)",
                    d->parent.info->name, cap_id, size, offset);
        return 0;
    }
    uint8_t *c = d->config;
    c[offset] = cap_id;
    c[offset + PCI_CAP_LIST_NEXT] = c[PCI_CAPABILITY_LIST];
    c[PCI_CAPABILITY_LIST] = offset;
    pci_set_word(c + PCI_STATUS, pci_get_word(c + PCI_STATUS) | PCI_STATUS_CAP_LIST);
    memset(d->wmask + offset, 0, size);
    memset(d->w1cmask + offset, 0, size);
    mark_used(d, offset, size);
    /* The list itself must survive a load unchanged. */
    set_fixed(d, offset, 2);
    set_fixed(d, PCI_CAPABILITY_LIST, 1);
    d->cmask[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    d->fixed[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    return offset;
}

uint8_t pci_find_capability(PciDevice *d, uint8_t cap_id)
{
    /* Bounded: a list loops only if the config is corrupt, but a walk
     * must end anyway. */
    uint8_t c = d->config[PCI_CAPABILITY_LIST] & ~3;
    for (unsigned hops = 0; c && hops < 64; hops++) {
        if (d->config[c] == cap_id) {
            return c;
        }
        c = d->config[c + PCI_CAP_LIST_NEXT] & ~3;
    }
    return 0;
}

uint32_t pci_default_config_read(PciDevice *d, unsigned off, unsigned len)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len && off + i < PCI_CONFIG_SPACE_SIZE; i++) {
        v |= (uint32_t)d->config[off + i] << (8 * i);
    }
    return v;
}

void pci_default_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned len)
{
    for (unsigned i = 0; i < len && off + i < PCI_CONFIG_SPACE_SIZE; i++) {
        unsigned o = off + i;
        uint8_t b = val >> (8 * i);
        d->config[o] = (d->config[o] & ~d->wmask[o]) | (b & d->wmask[o]);
        d->config[o] &= ~(b & d->w1cmask[o]);
    }
    if (pci_access_hits(off, len, PCI_COMMAND, 2) ||
        pci_access_hits(off, len, PCI_BASE_ADDRESS_0, 24) ||
        pci_access_hits(off, len, PCI_ROM_ADDRESS, 4)) {
        pci_update_mappings(d);
    }
    if (pci_access_hits(off, len, PCI_COMMAND, 2)) {
        pci_update_intx(d);   /* INTX_DISABLE */
    }
    msi_config_written(d, off, len);
    msix_config_written(d, off, len);
}

/* ---- INTx ---- */

int pci_intx_pirq(const PciDevice *d)
{
    unsigned pin = d->config[PCI_INTERRUPT_PIN];
    if (pin < 1 || pin > 4) {
        return -1;
    }
    /* The DSDT's _PRT (QEMU's swizzle): slot S, pin P (1 = INTA) ->
     * LNK[A-D] (S + P - 2) mod 4, so slot 1 INTA is PIRQA. */
    return (PCI_DEVFN_SLOT(d->devfn) + pin + 2) % PCI_NUM_PIRQS;
}

static void pirq_change(PciBus *bus, int pirq, int delta)
{
    int before = bus->pirq_count[pirq];
    bus->pirq_count[pirq] += delta;
    g_assert(bus->pirq_count[pirq] >= 0);
    if (!before != !bus->pirq_count[pirq] && bus->set_pirq) {
        bus->set_pirq(bus->pirq_opaque, pirq, bus->pirq_count[pirq] > 0);
    }
}

void pci_update_intx(PciDevice *d)
{
    int pirq = pci_intx_pirq(d);
    if (!d->bus || pirq < 0) {
        return;
    }
    /* MSI and MSI-X replace INTx while enabled (spec 6.8.1.3, 6.8.2.3). */
    bool on = d->intx_level &&
              !(pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) &&
              !msix_enabled(d) && !msi_enabled(d);
    if (on != d->intx_asserted) {
        d->intx_asserted = on;
        pirq_change(d->bus, pirq, on ? 1 : -1);
    }
}

void pci_set_irq(PciDevice *d, int level)
{
    if (pci_intx_pirq(d) < 0) {
        return;
    }
    d->intx_level = !!level;
    /* STATUS.INTERRUPT shows the pin's state even when INTX_DISABLE keeps
     * it off the bus (spec 6.2.3). */
    uint16_t st = pci_get_word(d->config + PCI_STATUS);
    pci_set_word(d->config + PCI_STATUS,
                 level ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT);
    pci_update_intx(d);
}

/* ---- user-creatable functions ---- */

/* QEMU's rules for the functions sharing a slot. */
static bool check_multifunction(PciBus *bus, PciDevice *d, unsigned devfn, GError **errp)
{
    unsigned slot = PCI_DEVFN_SLOT(devfn), fn = PCI_DEVFN_FUNC(devfn);
    if (fn) {
        PciDevice *f0 = bus->devices[PCI_DEVFN(slot, 0)];
        if (f0 && !f0->multifunction) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "PCI: single function device can't be populated in function %x.%x",
                        slot, fn);
            return false;
        }
        return true;
    }
    if (d->multifunction) {
        return true;
    }
    for (unsigned f = 1; f < 8; f++) {
        if (bus->devices[PCI_DEVFN(slot, f)]) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "PCI: %x.0 indicates single function, but %x.%x is already populated.",
                        slot, slot, f);
            return false;
        }
    }
    return true;
}

static bool load_romfile(PciDevice *d, GError **errp)
{
    if (!d->romfile || !*d->romfile || !d->rombar) {
        /* rombar=0: QEMU would hand a VGA ROM to the firmware through
         * fw_cfg and ignores any other, even a missing file (7.2). */
        return true;
    }
    g_autofree char *path = pci_find_romfile(d->romfile);
    g_autofree char *data = NULL;
    gsize len;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "failed to find romfile \"%s\"",
                    d->romfile);
        return false;
    }
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, &data, &len, &err)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "failed to load romfile \"%s\"",
                    d->romfile);
        return false;
    }
    if (!len) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "romfile \"%s\" is empty",
                    d->romfile);
        return false;
    }
    if (len > (1u << 31)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "romfile \"%s\" too large (size cannot exceed 2 GiB)",
                    d->romfile);
        return false;
    }
    uint64_t size = 0;
    if (d->romsize != UINT32_MAX) {
        if (d->romsize & (d->romsize - 1) || !d->romsize) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "ROM size %u is not a power of two", d->romsize);
            return false;
        }
        if (len > d->romsize) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "romfile \"%s\" (%" G_GSIZE_FORMAT " bytes) is too large for ROM size %u",
                        d->romfile, len, d->romsize);
            return false;
        }
        size = d->romsize;
    }
    g_autoptr(GBytes) bytes = g_bytes_new_take(g_steal_pointer(&data), len);
    pci_register_rom(d, bytes, size);
    return true;
}

char *pci_find_romfile(const char *name)
{
    static const char *const dirs[] = { "/usr/share/qemu", "/usr/share/seabios",
                                        "/usr/lib/ipxe/qemu" };
    if (strchr(name, '/') || g_file_test(name, G_FILE_TEST_IS_REGULAR)) {
        return g_strdup(name);
    }
    for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *p = g_build_filename(dirs[i], name, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
            return g_steal_pointer(&p);
        }
    }
    return g_strdup(name);
}

bool pci_device_realize(PciDevice *d, const PciId *id, const PciDeviceOps *ops,
                        GError **errp)
{
    PciBus *bus = pci_root_bus(d->parent.machine);
    if (!bus) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "No 'PCI' bus found for device '%s'",
                    d->parent.info->name);
        return false;
    }
    if (d->failover_pair_id && *d->failover_pair_id) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "failover primary device must be on PCIExpress bus");
        return false;
    }
    unsigned devfn;
    if (d->addr >= 0) {
        devfn = d->addr;
    } else {
        /* QEMU's order: function 0 of the lowest free slot. */
        for (devfn = 0; devfn < 256 && bus->devices[devfn]; devfn += 8) {
        }
        if (devfn >= 256) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "PCI: no slot/function available for %s, all in use or reserved",
                        d->parent.info->name);
            return false;
        }
    }
    if (!bus->devices[devfn] && !check_multifunction(bus, d, devfn, errp)) {
        return false;
    }
    if (!pci_device_init(d, bus, devfn, id, ops, errp)) {
        return false;
    }
    if (!load_romfile(d, errp)) {
        pci_device_exit(d);
        return false;
    }
    return true;
}
