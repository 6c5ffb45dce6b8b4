/* pci-testdev (Red Hat 1b36:0005): QEMU's PCI device for exercising BAR
 * accesses, a handy user-creatable function for PCI addressing tests.
 *
 * BAR 0 is 4 KiB of memory, BAR 1 256 I/O ports. Six tests are described
 * by a header the guest reads at offset 0 of either BAR: the test number,
 * the access width, the offset a write must hit, the value it must carry,
 * a hit count and a name. A write at offset 0 selects a test (BAR 0
 * selects 0-2, BAR 1 selects 3-5, by its low byte; anything else selects
 * none, and then the header reads 0) and zeroes its count; a write at the
 * selected test's offset, in either BAR, counts if its value matches (any
 * value for the "wildcard" tests). Behaviour observed on QEMU 7.2, where
 * the "-eventfd" tests count through ioeventfds; Tern counts them
 * synchronously, like the others (see docs/devices.md). */
#include "board/pci.h"
#include "board/pc.h"
#include "util/error.h"

#define MMIO_SIZE 4096
#define PIO_SIZE 256
#define NTESTS 6
#define NTESTS_PER_BAR 3
#define HDR_COUNT 12
#define HDR_NAME 16
#define HDR_MAX 64

typedef struct PciTestdevState {
    PciDevice pci;
    uint64_t membar;           /* size of an optional BAR 2 of plain memory */
    int32_t current;           /* selected test, -1 none */
    uint32_t count[NTESTS];
} PciTestdevState;

static const struct {
    const char *name;
    uint32_t offset;           /* in its BAR */
    uint32_t data;
    bool wildcard;
} tests[NTESTS] = {
    { "mmio-no-eventfd", 0x800, 0xfa, false },
    { "mmio-wildcard-eventfd", 0x801, 0xce, true },
    { "mmio-datamatch-eventfd", 0x802, 0xfa, false },
    { "portio-no-eventfd", 0x83, 0xfa, false },
    { "portio-wildcard-eventfd", 0x84, 0xce, true },
    { "portio-datamatch-eventfd", 0x85, 0xfa, false },
};

/* The selected test's header, little endian. */
static void header(const PciTestdevState *s, uint8_t *h)
{
    memset(h, 0, HDR_MAX);
    if (s->current < 0) {
        return;
    }
    h[0] = s->current;
    h[1] = 1;   /* width */
    pci_set_long(h + 4, tests[s->current].offset);
    pci_set_long(h + 8, tests[s->current].data);
    pci_set_long(h + HDR_COUNT, s->count[s->current]);
    strcpy((char *)h + HDR_NAME, tests[s->current].name);
}

static uint64_t testdev_read(void *opaque, uint64_t off, unsigned size)
{
    uint8_t h[HDR_MAX];
    header(opaque, h);
    uint64_t v = 0;
    for (unsigned i = 0; i < size && off + i < HDR_MAX; i++) {
        v |= (uint64_t)h[off + i] << (8 * i);
    }
    return v;
}

static void testdev_write(PciTestdevState *s, unsigned first, uint64_t off, uint64_t val)
{
    if (off == 0) {
        uint8_t n = val;
        s->current = n < NTESTS_PER_BAR ? (int)(first + n) : -1;
        if (s->current >= 0) {
            s->count[s->current] = 0;
        }
        return;
    }
    if (s->current >= 0 && off == tests[s->current].offset &&
        (tests[s->current].wildcard || val == tests[s->current].data)) {
        s->count[s->current]++;
    }
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)size;
    testdev_write(opaque, 0, off, val);
}

static void pio_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    (void)size;
    testdev_write(opaque, NTESTS_PER_BAR, off, val);
}

static const TernRegionOps mmio_ops = { .read = testdev_read, .write = mmio_write };
static const TernRegionOps pio_ops = { .read = testdev_read, .write = pio_write };

static const PciId testdev_id = {
    .vendor = 0x1b36,          /* Red Hat */
    .device = 0x0005,
    .class_id = 0x00ff,        /* QEMU's PCI_CLASS_OTHERS as the 16-bit class word */
};

static bool testdev_realize(DeviceState *dev, GError **errp)
{
    PciTestdevState *s = (PciTestdevState *)dev;
    if (s->membar & (s->membar - 1)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "pci-testdev: membar %" G_GUINT64_FORMAT " is not a power of two", s->membar);
        return false;
    }
    if (!pci_device_realize(&s->pci, &testdev_id, NULL, errp)) {
        return false;
    }
    if (s->membar) {
        /* QEMU's: a 64-bit prefetchable BAR for large-BAR tests, with
         * nothing behind it. */
        pci_register_bar(&s->pci, 2, PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH,
                         MAX(s->membar, 16));
    }
    pci_register_bar_ops(&s->pci, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, MMIO_SIZE,
                         "pci-testdev-mmio", &mmio_ops, s);
    pci_register_bar_ops(&s->pci, 1, PCI_BASE_ADDRESS_SPACE_IO, PIO_SIZE,
                         "pci-testdev-portio", &pio_ops, s);
    s->current = -1;
    return true;
}

static void testdev_unrealize(DeviceState *dev)
{
    pci_device_exit(&((PciTestdevState *)dev)->pci);
}

static void testdev_reset(DeviceState *dev)
{
    pci_device_reset(&((PciTestdevState *)dev)->pci);
}

static bool testdev_post_load(void *obj, GError **errp)
{
    PciTestdevState *s = obj;
    if (s->current < -1 || s->current >= NTESTS) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "pci-testdev: bad test %d",
                    s->current);
        return false;
    }
    return pci_device_post_load(&s->pci, errp);
}

static const DeviceProperty testdev_props[] = {
    DEFINE_PCI_DEVICE_PROPS(PciTestdevState, pci),
    DEFINE_PROP_SIZE("membar", PciTestdevState, membar, 0),
    DEFINE_PROP_END,
};

static const StateField testdev_fields[] = {
    PCI_STATE_CONFIG(PciTestdevState, pci, 1),
    STATE_UINT(PciTestdevState, current),
    STATE_BUFFER(PciTestdevState, count),
    STATE_END,
};

static const StateDescription testdev_state = {
    .name = "pci-testdev", .version = 1, .fields = testdev_fields,
    .post_load = testdev_post_load,
};

const DeviceInfo pci_testdev_info = {
    .name = "pci-testdev",
    .parent = "pci-device",
    .desc = "PCI Test Device",
    .instance_size = sizeof(PciTestdevState),
    .user_creatable = true,
    .props = testdev_props,
    .realize = testdev_realize,
    .unrealize = testdev_unrealize,
    .reset = testdev_reset,
    .state = &testdev_state,
};
