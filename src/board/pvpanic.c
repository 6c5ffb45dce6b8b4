/* isa-pvpanic: the guest writes bit 0 to its port when it panics (Linux's
 * pvpanic driver does), which raises GUEST_PANICKED and applies the panic
 * action. Reads tell the guest which events the device accepts. */
#include "board/acpi.h"
#include "board/aml.h"
#include "board/pc.h"

#define PVPANIC_PANICKED      (1 << 0)
#define PVPANIC_CRASH_LOADED  (1 << 1)

typedef struct PvPanicState {
    DeviceState parent;
    uint32_t ioport;
    uint32_t events;
} PvPanicState;

static uint64_t pvpanic_read(void *opaque, uint64_t off, unsigned size)
{
    PvPanicState *s = opaque;
    return s->events;
}

static void pvpanic_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PvPanicState *s = opaque;
    if (val & s->events & PVPANIC_PANICKED) {
        machine_request_panic(s->parent.machine);
    }
}

static const TernRegionOps pvpanic_ops = {
    .read = pvpanic_read,
    .write = pvpanic_write,
};

static bool pvpanic_realize(DeviceState *dev, GError **errp)
{
    PvPanicState *s = (PvPanicState *)dev;
    return machine_map_pio(dev->machine, "pvpanic", s->ioport, 1, &pvpanic_ops, s, errp);
}

/* Linux's pvpanic driver finds the port through ACPI ID QEMU0001. */
static void pvpanic_acpi_aml(DeviceState *dev, GByteArray *aml)
{
    PvPanicState *s = (PvPanicState *)dev;
    g_autoptr(GByteArray) crs = g_byte_array_new();
    aml_rt_io(crs, s->ioport, s->ioport, 1, 1);
    acpi_isa_device(aml, "PEVT", "QEMU0001", -1, crs);
}

static const DeviceProperty pvpanic_props[] = {
    DEFINE_PROP_U32("ioport", PvPanicState, ioport, 0x505),
    DEFINE_PROP_U32("events", PvPanicState, events, PVPANIC_PANICKED | PVPANIC_CRASH_LOADED),
    DEFINE_PROP_END,
};

static const StateField no_fields[] = { STATE_END };
static const StateDescription pvpanic_state = {
    .name = "pvpanic", .version = 1, .fields = no_fields,
};

const DeviceInfo isa_pvpanic_info = {
    .name = "pvpanic",   /* QEMU's -device name for the ISA variant */
    .desc = "pvpanic device: the guest reports panics (GUEST_PANICKED)",
    .instance_size = sizeof(PvPanicState),
    .user_creatable = true,
    .props = pvpanic_props,
    .realize = pvpanic_realize,
    .acpi_aml = pvpanic_acpi_aml,
    .state = &pvpanic_state,
};
