/* pc-testdev: QEMU's device for guest test suites (kvm-unit-tests), with
 * the registers QEMU 7.2 shows (tests/qtest/scripts/pc-testdev.qt):
 *   0xe0-0xe3  a 32-bit scratch register, any width at any offset
 *   0xe4-0xe7  "flush page": writes take an address, nothing to do here
 *   0xe8-0xeb  the same scratch register again
 *   0x2000-0x2017  one byte per ISA interrupt line: nonzero raises IRQ n,
 *              zero lowers it (QEMU asserts on lines 16-23; Tern ignores
 *              them)
 *   0xff000000 64 KiB of scratch memory */
#include "board/pc.h"

#include <string.h>

#define TESTDEV_IRQ_LINES 24
#define TESTDEV_IOMEM_BASE 0xff000000ULL
#define TESTDEV_IOMEM_SIZE 0x10000

typedef struct PcTestdevState {
    DeviceState parent;
    uint32_t scratch;
    uint8_t iomem[TESTDEV_IOMEM_SIZE];
} PcTestdevState;

static uint64_t scratch_read(void *opaque, uint64_t off, unsigned size)
{
    PcTestdevState *s = opaque;
    return (uint64_t)s->scratch >> (8 * off) & (size >= 4 ? UINT32_MAX : (1u << (8 * size)) - 1);
}

static void scratch_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PcTestdevState *s = opaque;
    for (unsigned i = 0; i < size && off + i < 4; i++) {
        unsigned shift = 8 * (off + i);
        s->scratch = (s->scratch & ~(0xffu << shift)) | (uint32_t)((val >> (8 * i)) & 0xff) << shift;
    }
}

static uint64_t zero_read(void *opaque, uint64_t off, unsigned size)
{
    return 0;
}

static void ignore_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
}

static void irq_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PcTestdevState *s = opaque;
    for (unsigned i = 0; i < size && off + i < PC_ISA_IRQS; i++) {
        tern_irq_set(machine_isa_irq(s->parent.machine, off + i), (val >> (8 * i)) & 0xff ? 1 : 0);
    }
}

static uint64_t iomem_read(void *opaque, uint64_t off, unsigned size)
{
    PcTestdevState *s = opaque;
    uint64_t v = 0;
    memcpy(&v, s->iomem + off, MIN(size, TESTDEV_IOMEM_SIZE - off));
    return v;
}

static void iomem_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PcTestdevState *s = opaque;
    memcpy(s->iomem + off, &val, MIN(size, TESTDEV_IOMEM_SIZE - off));
}

static const TernRegionOps scratch_ops = { .read = scratch_read, .write = scratch_write };
static const TernRegionOps flush_ops = { .read = zero_read, .write = ignore_write };
static const TernRegionOps irq_ops = { .read = zero_read, .write = irq_write };
static const TernRegionOps iomem_ops = { .read = iomem_read, .write = iomem_write };

/* The regions, in the order realize maps them. */
static const struct {
    const char *name;
    bool mmio;
    uint64_t base, size;
    const TernRegionOps *ops;
} regions[] = {
    { "pc-testdev-ioport", false, 0xe0, 4, &scratch_ops },
    { "pc-testdev-flush-page", false, 0xe4, 4, &flush_ops },
    { "pc-testdev-ioport-byte", false, 0xe8, 4, &scratch_ops },
    { "pc-testdev-irq-line", false, 0x2000, TESTDEV_IRQ_LINES, &irq_ops },
    { "pc-testdev-iomem", true, TESTDEV_IOMEM_BASE, TESTDEV_IOMEM_SIZE, &iomem_ops },
};

static void unmap_regions(Machine *m, guint n)
{
    for (guint i = 0; i < n; i++) {
        address_space_remove(regions[i].mmio ? m->mmio : m->pio, regions[i].base);
    }
}

static bool testdev_realize(DeviceState *dev, GError **errp)
{
    Machine *m = dev->machine;
    for (guint i = 0; i < G_N_ELEMENTS(regions); i++) {
        bool ok = regions[i].mmio
            ? machine_map_mmio(m, regions[i].name, regions[i].base, regions[i].size,
                               regions[i].ops, dev, errp)
            : machine_map_pio(m, regions[i].name, regions[i].base, regions[i].size,
                              regions[i].ops, dev, errp);
        if (!ok) {
            unmap_regions(m, i);   /* nothing may point at a device that is not created */
            return false;
        }
    }
    return true;
}

static void testdev_unrealize(DeviceState *dev)
{
    unmap_regions(dev->machine, G_N_ELEMENTS(regions));
}

static const StateField testdev_fields[] = {
    STATE_UINT(PcTestdevState, scratch),
    STATE_BUFFER(PcTestdevState, iomem),
    STATE_END,
};

static const StateDescription testdev_state = {
    .name = "pc-testdev", .version = 1, .fields = testdev_fields,
};

const DeviceInfo pc_testdev_info = {
    .name = "pc-testdev",
    .parent = "isa-device",
    .desc = "PC Testdev (QEMU's device for guest test suites)",
    .instance_size = sizeof(PcTestdevState),
    .user_creatable = true,
    .realize = testdev_realize,
    .unrealize = testdev_unrealize,
    .state = &testdev_state,
};
