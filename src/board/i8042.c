/* i8042 keyboard controller, enough for an OS to probe it and to reset the
 * machine through it: self-test, command byte, output port, keyboard
 * reset/identify, and pulse-reset (0x64 ← 0xfe). No mouse. */
#include "board/acpi.h"
#include "board/aml.h"
#include "board/pc.h"

#define STAT_OBF     0x01
#define STAT_SYS     0x04
#define STAT_CMD     0x08
#define STAT_UNLOCK  0x10

#define MODE_KBD_INT 0x01

#define QUEUE_SIZE 16

typedef struct I8042State {
    DeviceState parent;
    uint8_t status;
    uint8_t mode;          /* the controller command byte */
    uint8_t outport;
    uint8_t pending;       /* controller command awaiting its data byte */
    uint8_t kbd_pending;   /* keyboard command awaiting its parameter */
    uint8_t queue[QUEUE_SIZE];
    uint8_t q_head, q_count;
    const TernIrq *irq;
} I8042State;

static void i8042_update_irq(I8042State *s)
{
    if (s->q_count) {
        s->status |= STAT_OBF;
    } else {
        s->status &= ~STAT_OBF;
    }
    tern_irq_set(s->irq, s->q_count && (s->mode & MODE_KBD_INT));
}

static void push(I8042State *s, uint8_t b)
{
    if (s->q_count < QUEUE_SIZE) {
        s->queue[(s->q_head + s->q_count++) % QUEUE_SIZE] = b;
    }
}

static void request_reset(I8042State *s)
{
    machine_request_reset(s->parent.machine, SHUTDOWN_CAUSE_GUEST_RESET);
}

static void kbd_command(I8042State *s, uint8_t b)
{
    if (s->kbd_pending) {
        /* Parameter of LEDs (0xed) or typematic rate (0xf3). */
        s->kbd_pending = 0;
        push(s, 0xfa);
        return;
    }
    switch (b) {
    case 0xff:          /* reset: ACK, then self-test passed */
        push(s, 0xfa);
        push(s, 0xaa);
        break;
    case 0xf2:          /* identify: MF2 keyboard */
        push(s, 0xfa);
        push(s, 0xab);
        push(s, 0x83);
        break;
    case 0xee:          /* echo */
        push(s, 0xee);
        break;
    case 0xed:
    case 0xf3:
        s->kbd_pending = b;
        push(s, 0xfa);
        break;
    default:
        push(s, 0xfa);
        break;
    }
}

static uint64_t i8042_read(void *opaque, uint64_t off, unsigned size)
{
    I8042State *s = opaque;
    uint8_t v;
    if (off == 0) {
        v = s->q_count ? s->queue[s->q_head] : 0;
        if (s->q_count) {
            s->q_head = (s->q_head + 1) % QUEUE_SIZE;
            s->q_count--;
        }
    } else {
        v = s->status;
    }
    i8042_update_irq(s);
    return v;
}

static void i8042_write_data(I8042State *s, uint8_t b)
{
    uint8_t cmd = s->pending;
    s->pending = 0;
    s->status &= ~STAT_CMD;
    switch (cmd) {
    case 0x60:
        s->mode = b;
        s->status = (s->status & ~STAT_SYS) | (b & STAT_SYS);
        break;
    case 0xd1:
        s->outport = b;
        if (!(b & 1)) {
            request_reset(s);
        }
        break;
    case 0xd2:          /* write keyboard output buffer */
    case 0xd3:          /* write aux output buffer */
        push(s, b);
        break;
    case 0xd4:          /* to the aux device: there is none */
        break;
    default:
        kbd_command(s, b);
        break;
    }
}

static void i8042_write_cmd(I8042State *s, uint8_t b)
{
    s->status |= STAT_CMD;
    switch (b) {
    case 0x20:
        push(s, s->mode);
        break;
    case 0x60:
    case 0xd1:
    case 0xd2:
    case 0xd3:
    case 0xd4:
        s->pending = b;
        break;
    case 0xa7:
        s->mode |= 0x20;
        break;
    case 0xa8:
        s->mode &= ~0x20;
        break;
    case 0xa9:          /* aux interface test: no aux device */
        push(s, 0xff);
        break;
    case 0xaa:          /* controller self-test */
        s->status |= STAT_SYS;
        push(s, 0x55);
        break;
    case 0xab:          /* keyboard interface test */
        push(s, 0x00);
        break;
    case 0xad:
        s->mode |= 0x10;
        break;
    case 0xae:
        s->mode &= ~0x10;
        break;
    case 0xc0:
        push(s, 0x00);
        break;
    case 0xd0:
        push(s, s->outport);
        break;
    default:
        /* 0xf0-0xff pulse output lines; a pulse on bit 0 resets. */
        if (b >= 0xf0 && !(b & 1)) {
            request_reset(s);
        }
        break;
    }
}

static void i8042_data_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    I8042State *s = opaque;
    i8042_write_data(s, val);
    i8042_update_irq(s);
}

static void i8042_cmd_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    I8042State *s = opaque;
    i8042_write_cmd(s, val);
    i8042_update_irq(s);
}

static uint64_t i8042_data_read(void *opaque, uint64_t off, unsigned size)
{
    return i8042_read(opaque, 0, size);
}

static uint64_t i8042_status_read(void *opaque, uint64_t off, unsigned size)
{
    return i8042_read(opaque, 4, size);
}

static const TernRegionOps i8042_ops = {
    .read = i8042_data_read,
    .write = i8042_data_write,
};

static const TernRegionOps i8042_cmd_ops = {
    .read = i8042_status_read,
    .write = i8042_cmd_write,
};

static void i8042_reset(DeviceState *dev)
{
    I8042State *s = (I8042State *)dev;
    s->status = STAT_CMD | STAT_UNLOCK;
    s->mode = MODE_KBD_INT | 0x02;
    s->outport = 0x03;     /* reset line high, A20 on */
    s->pending = s->kbd_pending = 0;
    s->q_head = s->q_count = 0;
    i8042_update_irq(s);
}

static bool i8042_realize(DeviceState *dev, GError **errp)
{
    I8042State *s = (I8042State *)dev;
    s->irq = machine_isa_irq(dev->machine, 1);
    return machine_map_pio(dev->machine, "i8042-data", 0x60, 1, &i8042_ops, s, errp) &&
           machine_map_pio(dev->machine, "i8042-cmd", 0x64, 1, &i8042_cmd_ops, s, errp);
}

/* The keyboard controller and its mouse port, for the guest's PnP
 * drivers. */
static void i8042_acpi_aml(DeviceState *dev, GByteArray *aml)
{
    (void)dev;
    g_autoptr(GByteArray) kbd = g_byte_array_new();
    aml_rt_io(kbd, 0x60, 0x60, 1, 1);
    aml_rt_io(kbd, 0x64, 0x64, 1, 1);
    aml_rt_irq_noflags(kbd, 1u << 1);
    acpi_isa_device(aml, "KBD", "PNP0303", -1, kbd);
    g_autoptr(GByteArray) mou = g_byte_array_new();
    aml_rt_irq_noflags(mou, 1u << 12);
    acpi_isa_device(aml, "MOU", "PNP0F13", -1, mou);
}

static const StateField i8042_fields[] = {
    STATE_UINT(I8042State, status),
    STATE_UINT(I8042State, mode),
    STATE_UINT(I8042State, outport),
    STATE_UINT(I8042State, pending),
    STATE_UINT(I8042State, kbd_pending),
    STATE_BUFFER(I8042State, queue),
    STATE_UINT(I8042State, q_head),
    STATE_UINT(I8042State, q_count),
    STATE_END,
};

static const StateDescription i8042_state = {
    .name = "i8042", .version = 1, .fields = i8042_fields,
};

const DeviceInfo i8042_info = {
    .name = "i8042",
    .desc = "PS/2 keyboard controller",
    .instance_size = sizeof(I8042State),
    .realize = i8042_realize,
    .reset = i8042_reset,
    .acpi_aml = i8042_acpi_aml,
    .state = &i8042_state,
};
