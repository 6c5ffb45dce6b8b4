/* A small PCI core: bus 0 with 256 device/function slots, configuration
 * mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2) and the 256-byte type 0
 * configuration space of each function, with the write masks that make
 * registers read-only or write-1-to-clear.
 *
 * A PCI device type embeds PciDevice first (it embeds DeviceState), calls
 * pci_device_init() from its realize and pci_device_reset() from its reset,
 * then sets its own registers. Register names come from Linux's
 * <linux/pci_regs.h>, which is the PCI spec's table.
 *
 * Layout follows QEMU 7.2, the oracle: header registers are read-only
 * except COMMAND (IO, MEM, MASTER, SERR, INTX_DISABLE), CACHE_LINE_SIZE,
 * INTERRUPT_LINE and implemented BAR bits; the status error bits are
 * write-1-to-clear; the device-specific bytes 0x40-0xff are writable
 * unless a device (or a capability) says otherwise. */
#pragma once
#include <glib.h>

#include "board/address-space.h"
#include <linux/pci_regs.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "board/device.h"

#define PCI_CONFIG_SPACE_SIZE 0x100
#define PCI_DEVFN(slot, fn) ((((slot) & 0x1f) << 3) | ((fn) & 0x07))
#define PCI_DEVFN_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_DEVFN_FUNC(devfn) ((devfn) & 0x07)
#define PCI_HEADER_MULTI_FUNCTION 0x80
#define PCI_VENDOR_ID_INTEL 0x8086

/* The subsystem every QEMU 7.2 PCI function reports unless told otherwise
 * (Red Hat's vendor id, "QEMU" subsystem): guests see it, so Tern does. */
#define PCI_SUBSYSTEM_VENDOR_QEMU 0x1af4
#define PCI_SUBSYSTEM_QEMU        0x1100

typedef struct Machine Machine;
typedef struct PciDevice PciDevice;

/* INTx: PCI interrupt pins A-D of the root bus's slots end on four PIRQ
 * lines; the board (PIIX3) routes those to ISA IRQs. */
#define PCI_NUM_PIRQS 4

/* MSI-X: the most vectors one function can have in Tern (QEMU allows
 * 2048). The table lives inline in PciDevice so that it can be saved as
 * a fixed-size buffer. */
#define MSIX_MAX_VECTORS 256

/* An MSI message KVM delivers when an eventfd is written (a GSI route of
 * type MSI plus an irqfd), or nothing yet (gsi < 0). Derived state: not
 * saved, rebuilt from the MSI-X table. See msi.h. */
typedef struct MsiRoute {
    int gsi;
    int fd;
    uint64_t addr;
    uint32_t data;
} MsiRoute;

/* MSI-X state (msix.c owns it). The table and PBA are the guest's view:
 * list them with PCI_STATE_MSIX in the device's state description. */
typedef struct PciMsixState {
    unsigned nvectors;         /* 0: no MSI-X */
    unsigned bar;
    uint32_t table_off, pba_off;
    uint8_t cap;               /* capability offset in config space */
    bool function_masked;      /* !enabled || MASKALL, as last applied */
    uint8_t table[MSIX_MAX_VECTORS * 16];
    uint8_t pba[MSIX_MAX_VECTORS / 8];
    MsiRoute routes[MSIX_MAX_VECTORS];
} PciMsixState;

/* Plain MSI state (msi.c owns it); the registers are in config space. */
typedef struct PciMsiState {
    uint8_t cap;               /* 0: no MSI */
    unsigned nvectors;         /* 1, 2, 4, ..., 32 */
    bool is_64bit, per_vector_mask;
} PciMsiState;

/* The root bus: the functions and the CONFIG_ADDRESS latch (0xcf8). The
 * host bridge that owns it embeds it, so the latch is in the bridge's
 * saved state. */
typedef struct PciBus {
    Machine *machine;
    PciDevice *devices[256];   /* by devfn */
    uint32_t config_addr;      /* CONFIG_ADDRESS as last written */
    /* How many functions assert each PIRQ line (derived, not saved), and
     * who is told when a line's level changes (the PIIX3). */
    int pirq_count[PCI_NUM_PIRQS];
    void (*set_pirq)(void *opaque, unsigned pirq, int level);
    void *pirq_opaque;
} PciBus;

/* Hooks for registers with side effects. Each replaces the default access
 * for its device; call pci_default_config_read/write from it for the
 * stored bytes. off + len never crosses the 256-byte space. */
typedef struct PciDeviceOps {
    uint32_t (*config_read)(PciDevice *d, unsigned off, unsigned len);
    void (*config_write)(PciDevice *d, unsigned off, uint32_t val, unsigned len);
} PciDeviceOps;

/* Base Address Registers: the address bits below the size read as zero,
 * the type bits are read-only, and a BAR with ops is mapped into the I/O
 * or memory space at its address while COMMAND's IO or MEM bit is set
 * (as QEMU: not at address 0, not past 64 KiB for I/O, not wrapping). */
typedef struct PciBar {
    uint64_t size;             /* 0: not implemented (reads 0, not writable) */
    uint8_t type;              /* PCI_BASE_ADDRESS_SPACE_IO or _MEM_* bits */
    const TernRegionOps *ops;  /* NULL: sizing only */
    void *opaque;
    const char *name;
    bool mapped;               /* derived from config: not saved */
    uint64_t mapped_at;
} PciBar;

/* What a function is: the fixed header fields. */
typedef struct PciId {
    uint16_t vendor, device;
    uint8_t revision;
    uint16_t class_id;         /* base class << 8 | sub-class */
    uint8_t prog_if;
    uint8_t header_type;       /* 0, or PCI_HEADER_MULTI_FUNCTION on fn 0 */
    uint16_t status;           /* read-only status bits (DEVSEL timing, ...) */
    uint8_t interrupt_pin;     /* 0 none, 1..4 INTA..INTD */
    uint16_t subsystem_vendor; /* 0: PCI_SUBSYSTEM_VENDOR_QEMU */
    uint16_t subsystem;        /* 0 with subsystem_vendor 0: PCI_SUBSYSTEM_QEMU */
} PciId;

struct PciDevice {
    DeviceState parent;
    PciBus *bus;               /* NULL until pci_device_init */
    int devfn;
    const PciDeviceOps *ops;
    uint8_t config[PCI_CONFIG_SPACE_SIZE];   /* what the guest reads: saved state */
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];    /* 1: writable bit */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE];  /* 1: write-1-to-clear bit */
    /* Bytes a loaded stream must not change (identity, capability
     * headers), and the values they have. */
    uint8_t cmask[PCI_CONFIG_SPACE_SIZE];
    uint8_t fixed[PCI_CONFIG_SPACE_SIZE];
    uint32_t used[PCI_CONFIG_SPACE_SIZE / 32];  /* bytes taken by the header and capabilities */
    PciBar bars[6];

    /* Common -device properties (DEFINE_PCI_DEVICE_PROPS). */
    int32_t addr;              /* devfn, -1: the first free slot */
    bool multifunction;
    char *romfile;
    uint32_t rombar;           /* 0: the ROM is not exposed through a BAR */
    uint32_t romsize;          /* UINT32_MAX: the file's size rounded up */
    uint32_t acpi_index;       /* stored only (no ACPI _DSM index yet) */
    char *failover_pair_id;    /* only on PCI Express in QEMU: refused */
    bool x_pcie_lnksta_dllla, x_pcie_extcap_init;   /* PCIe only: stored */

    /* INTx: the level the device drives on its pin (saved with
     * PCI_STATE_INTX) and whether it counts on its PIRQ (derived: the
     * level, unless COMMAND.INTX_DISABLE or MSI-X/MSI is on). */
    uint32_t intx_level;
    bool intx_asserted;

    /* The expansion ROM (romfile=): its bytes, padded to a power of two. */
    GBytes *rom;
    bool rom_mapped;
    uint64_t rom_mapped_at;

    PciMsixState msix;
    PciMsiState msi;
};

/* The config bytes as saved state: list it in the device's StateDescription
 * (`type` embeds PciDevice as `field`). */
#define PCI_STATE_CONFIG(type, field, v)                                        \
    { .name = "config", .offset = offsetof(type, field.config),                \
      .size = PCI_CONFIG_SPACE_SIZE, .is_buffer = true, .since_version = (v) }

/* The INTx level as saved state (a device that raises INTx lists it). */
#define PCI_STATE_INTX(type, field, v)                                          \
    { .name = "intx_level", .offset = offsetof(type, field.intx_level),        \
      .size = sizeof(uint32_t), .since_version = (v) }

/* The MSI-X table and pending bits as saved state. */
#define PCI_STATE_MSIX(type, field, v)                                          \
    { .name = "msix_table", .offset = offsetof(type, field.msix.table),        \
      .size = sizeof(((PciMsixState *)0)->table), .is_buffer = true,           \
      .since_version = (v) },                                                  \
    { .name = "msix_pba", .offset = offsetof(type, field.msix.pba),            \
      .size = sizeof(((PciMsixState *)0)->pba), .is_buffer = true,             \
      .since_version = (v) }

/* The properties every user-creatable PCI device has, as QEMU's (struct
 * `st` embeds PciDevice as `fld`): put this line in the property table. */
#define DEFINE_PCI_DEVICE_PROPS(st, fld)                                    \
    { .name = "addr", .type = PROP_PCI_DEVFN, .offset = offsetof(st, fld.addr), \
      .def = (uint64_t)-1,                                                     \
      .desc = "Slot and optional function number, example: 06.0 or 06" },     \
    { .name = "multifunction", .type = PROP_BOOL,                              \
      .offset = offsetof(st, fld.multifunction), .def = false, .desc = "on/off" }, \
    DEFINE_PROP_STRING("romfile", st, fld.romfile),                        \
    DEFINE_PROP_U32("romsize", st, fld.romsize, UINT32_MAX),               \
    DEFINE_PROP_U32("rombar", st, fld.rombar, 1),                          \
    DEFINE_PROP_U32("acpi-index", st, fld.acpi_index, 0),                  \
    DEFINE_PROP_STRING("failover_pair_id", st, fld.failover_pair_id),      \
    { .name = "x-pcie-lnksta-dllla", .type = PROP_BOOL,                        \
      .offset = offsetof(st, fld.x_pcie_lnksta_dllla), .def = true, .desc = "on/off" }, \
    { .name = "x-pcie-extcap-init", .type = PROP_BOOL,                         \
      .offset = offsetof(st, fld.x_pcie_extcap_init), .def = true, .desc = "on/off" }

/* ---- the bus ---- */

void pci_bus_init(PciBus *bus, Machine *m);
/* Configuration mechanism #1: CONFIG_ADDRESS at 0xcf8 (0xcf9 is left to
 * the PIIX3's reset control register) and CONFIG_DATA at 0xcfc-0xcff. */
bool pci_bus_map_config_ports(PciBus *bus, GError **errp);
void pci_bus_unmap_config_ports(PciBus *bus);
/* A configuration access as the data port makes it; absent functions read
 * as all ones and ignore writes. For tests, the monitor and firmware-like
 * set-up. */
uint32_t pci_bus_config_read(PciBus *bus, unsigned devfn, unsigned off, unsigned len);
void pci_bus_config_write(PciBus *bus, unsigned devfn, unsigned off, uint32_t val,
                          unsigned len);

/* The board's root bus (the i440FX host bridge owns it), NULL without one. */
PciBus *pci_root_bus(Machine *m);
/* The function at devfn on the root bus, or NULL. */
PciDevice *pci_bus_find(Machine *m, unsigned devfn);

/* ---- functions ---- */

/* Puts the function at devfn on `bus` and writes its header and default
 * masks. Fails if the slot is taken. */
bool pci_device_init(PciDevice *d, PciBus *bus, unsigned devfn, const PciId *id,
                     const PciDeviceOps *ops, GError **errp);
/* For user-creatable devices (DEFINE_PCI_DEVICE_PROPS): puts the function
 * on the root bus at addr= or, without it, function 0 of the first free
 * slot (QEMU's order), checks QEMU's multifunction rules (multifunction=on
 * sets the header bit; a function > 0 needs a multifunction function 0 if
 * there is one, a single-function function 0 needs an empty slot), and
 * loads romfile= into the expansion ROM BAR (PCI_ROM_ADDRESS) unless
 * rombar=0. The errors are QEMU's texts. Undo with pci_device_exit. */
bool pci_device_realize(PciDevice *d, const PciId *id, const PciDeviceOps *ops,
                        GError **errp);
/* Takes it off its bus (unrealize): unmaps its BARs and ROM, lowers its
 * INTx, releases MSI-X routes and the ROM. */
void pci_device_exit(PciDevice *d);

/* INTx: drives the function's interrupt pin (INTERRUPT_PIN) to level.
 * STATUS.INTERRUPT follows the level; the line reaches its PIRQ (slot S,
 * pin P = 1..4 -> PIRQ (S + P - 2) mod 4, as the DSDT's _PRT says) unless
 * COMMAND.INTX_DISABLE is set. Machine lock held. */
void pci_set_irq(PciDevice *d, int level);
/* The PIRQ line (0-3 for A-D) the function's pin reaches, -1 if no pin. */
int pci_intx_pirq(const PciDevice *d);
/* Re-evaluates whether the pin's level counts on its PIRQ (after a change
 * of COMMAND.INTX_DISABLE or of the MSI/MSI-X enables). */
void pci_update_intx(PciDevice *d);
/* What PCI reset does to any function (spec 6.2): COMMAND, the status
 * error bits, CACHE_LINE_SIZE, INTERRUPT_LINE and the BAR addresses go
 * to 0. Device-specific registers are the device's business. */
void pci_device_reset(PciDevice *d);
/* Checks a loaded config space: the identity bytes must be this device's
 * (a stream is untrusted). Call from the device's post_load. */
bool pci_device_post_load(PciDevice *d, GError **errp);

/* Declares BAR n (0-5): type is PCI_BASE_ADDRESS_SPACE_IO or memory type
 * bits; size a power of two (>= 4 for I/O, >= 16 for memory). A 64-bit
 * memory BAR takes n and n + 1. */
void pci_register_bar(PciDevice *d, unsigned n, uint8_t type, uint64_t size);
/* The same, with the registers behind it (name as QEMU's `info mtree`). */
void pci_register_bar_ops(PciDevice *d, unsigned n, uint8_t type, uint64_t size,
                          const char *name, const TernRegionOps *ops, void *opaque);
/* Maps and unmaps BARs to match COMMAND and the BAR registers: after a
 * load, and called by the core after config writes and resets. */
void pci_update_mappings(PciDevice *d);

/* The expansion ROM BAR (PCI_ROM_ADDRESS): declares a ROM holding
 * `contents`, padded with zeros to `size` (a power of two; 0: the next
 * power of two), mapped
 * read-only while its enable bit and COMMAND.MEM are set.
 * pci_device_realize does this for romfile=. */
void pci_register_rom(PciDevice *d, GBytes *contents, uint64_t size);
/* Where romfile=NAME is: NAME itself if it has a '/' or exists, else in
 * QEMU's data directories. */
char *pci_find_romfile(const char *name);

/* Adds a capability of `size` bytes with id `cap_id` at `offset` (0: the
 * first free dword-aligned space from 0x40) and links it at the head of
 * the list. Its bytes become read-only: the caller then opens the bits the
 * guest may write in wmask. Returns the offset, or 0 with errp set. */
uint8_t pci_add_capability(PciDevice *d, uint8_t cap_id, uint8_t offset, uint8_t size,
                           GError **errp);
/* The offset of the first capability with id cap_id, 0 if none. */
uint8_t pci_find_capability(PciDevice *d, uint8_t cap_id);

/* The stored bytes through the masks: what the hooks fall back to. */
uint32_t pci_default_config_read(PciDevice *d, unsigned off, unsigned len);
void pci_default_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned len);

/* True when an access [off, off + len) touches [reg, reg + reg_len). */
static inline bool pci_access_hits(unsigned off, unsigned len, unsigned reg, unsigned reg_len)
{
    return off < reg + reg_len && reg < off + len;
}

/* Little-endian fields in a config space. */
static inline uint16_t pci_get_word(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static inline uint32_t pci_get_long(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    pci_set_word(p, v);
    pci_set_word(p + 2, v >> 16);
}
