/* isa-debug-exit: a write of V ends Tern with status (V << 1) | 1, as in
 * QEMU, so test payloads can report a result through the exit status. */
#include "board/pc.h"

typedef struct DebugExitState {
    DeviceState parent;
    uint32_t iobase;
    uint32_t iosize;
} DebugExitState;

static void debug_exit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    DebugExitState *s = opaque;
    machine_request_exit(s->parent.machine, (int)((val << 1) | 1));
}

static const TernRegionOps debug_exit_ops = {
    .write = debug_exit_write,
};

static bool debug_exit_realize(DeviceState *dev, GError **errp)
{
    DebugExitState *s = (DebugExitState *)dev;
    return machine_map_pio(dev->machine, "isa-debug-exit", s->iobase, s->iosize,
                           &debug_exit_ops, s, errp);
}

static const DeviceProperty debug_exit_props[] = {
    DEFINE_PROP_U32("iobase", DebugExitState, iobase, 0x501),
    DEFINE_PROP_U32("iosize", DebugExitState, iosize, 0x02),
    DEFINE_PROP_END,
};

static const StateField no_fields[] = { STATE_END };
static const StateDescription debug_exit_state = {
    .name = "isa-debug-exit", .version = 1, .fields = no_fields,
};

const DeviceInfo isa_debug_exit_info = {
    .name = "isa-debug-exit",
    .desc = "exits Tern with a status the guest writes",
    .instance_size = sizeof(DebugExitState),
    .user_creatable = true,
    .props = debug_exit_props,
    .realize = debug_exit_realize,
    .state = &debug_exit_state,
};
