/* System control port A (0x92): fast A20 gate and fast reset (bit 0). */
#include "board/pc.h"

typedef struct Port92State {
    DeviceState parent;
    uint8_t outport;
} Port92State;

static uint64_t port92_read(void *opaque, uint64_t off, unsigned size)
{
    return ((Port92State *)opaque)->outport;
}

static void port92_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Port92State *s = opaque;
    /* A 0 → 1 transition of bit 0 resets the machine. */
    if ((val & 1) && !(s->outport & 1)) {
        machine_request_reset(s->parent.machine, SHUTDOWN_CAUSE_GUEST_RESET);
    }
    s->outport = val & ~1;
}

static const TernRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
};

static void port92_reset(DeviceState *dev)
{
    /* QEMU reads 0 here; A20 itself is always on (KVM has no A20 gate). */
    ((Port92State *)dev)->outport = 0;
}

static bool port92_realize(DeviceState *dev, GError **errp)
{
    return machine_map_pio(dev->machine, "port92", 0x92, 1, &port92_ops, dev, errp);
}

static const StateField port92_fields[] = {
    STATE_UINT(Port92State, outport),
    STATE_END,
};

static const StateDescription port92_state = {
    .name = "port92", .version = 1, .fields = port92_fields,
};

const DeviceInfo port92_info = {
    .name = "port92",
    .desc = "system control port A",
    .instance_size = sizeof(Port92State),
    .realize = port92_realize,
    .reset = port92_reset,
    .state = &port92_state,
};
