/* 16550A UART (National Semiconductor PC16550D datasheet), as QEMU's
 * isa-serial: 16-byte FIFOs, loopback, modem status, and interrupt
 * identification recomputed from the registers after every access.
 * Transmission is instant: THR empties as soon as it is written. */
#include "board/acpi.h"
#include "board/aml.h"
#include "board/pc.h"
#include "util/error.h"

#define UART_FIFO_SIZE 16

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI  0x08

#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_CTI    0x0c
#define IIR_FIFO   0xc0

#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define MCR_OUT2 0x08
#define MCR_OUT1 0x04
#define MCR_RTS  0x02
#define MCR_DTR  0x01

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_INT_ANY (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define MSR_ANY_DELTA 0x0f

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02

typedef struct SerialState {
    DeviceState parent;
    /* properties */
    uint32_t iobase;
    uint32_t irq;
    uint32_t index;
    char *chardev;
    /* guest-visible state */
    uint16_t divider;
    uint8_t ier, iir, lcr, mcr, lsr, msr, scr, fcr;
    uint8_t thr_ipending;
    uint8_t rx_fifo[UART_FIFO_SIZE];
    uint8_t rx_head, rx_count;
    /* wiring */
    Chardev *chr;
    const TernIrq *line;
} SerialState;

static const uint8_t trigger_levels[4] = { 1, 4, 8, 14 };

static void serial_update_irq(SerialState *s)
{
    uint8_t iir = IIR_NO_INT;
    bool fifo = s->fcr & FCR_ENABLE;
    if ((s->ier & IER_RLSI) && (s->lsr & LSR_INT_ANY)) {
        iir = IIR_RLSI;
    } else if ((s->ier & IER_RDI) && (s->lsr & LSR_DR)) {
        /* With the FIFO on, below the trigger level the 16550 reports a
         * character timeout; Tern reports it at once (no 4-character wait). */
        iir = fifo && s->rx_count < trigger_levels[s->fcr >> 6] ? IIR_CTI : IIR_RDI;
    } else if ((s->ier & IER_THRI) && s->thr_ipending) {
        iir = IIR_THRI;
    } else if ((s->ier & IER_MSI) && (s->msr & MSR_ANY_DELTA)) {
        iir = IIR_MSI;
    }
    s->iir = iir | (fifo ? IIR_FIFO : 0);
    tern_irq_set(s->line, iir != IIR_NO_INT);
}

static void rx_push(SerialState *s, uint8_t byte)
{
    unsigned cap = (s->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;
    if (s->rx_count >= cap) {
        s->lsr |= LSR_OE;
        return;
    }
    s->rx_fifo[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = byte;
    s->rx_count++;
    s->lsr |= LSR_DR;
}

static uint8_t rx_pop(SerialState *s)
{
    if (!s->rx_count) {
        return 0;
    }
    uint8_t b = s->rx_fifo[s->rx_head];
    s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
    if (--s->rx_count == 0) {
        s->lsr &= ~LSR_DR;
    }
    return b;
}

static void update_loopback_msr(SerialState *s)
{
    uint8_t old = s->msr, msr = 0;
    if (s->mcr & MCR_LOOP) {
        msr |= (s->mcr & MCR_RTS) ? MSR_CTS : 0;
        msr |= (s->mcr & MCR_DTR) ? MSR_DSR : 0;
        msr |= (s->mcr & MCR_OUT1) ? MSR_RI : 0;
        msr |= (s->mcr & MCR_OUT2) ? MSR_DCD : 0;
    } else {
        /* No modem control from the host: carrier and clear-to-send on. */
        msr = MSR_DCD | MSR_DSR | MSR_CTS;
    }
    uint8_t delta = (old ^ msr) & (MSR_CTS | MSR_DSR | MSR_DCD);
    msr |= (old & MSR_ANY_DELTA) | (delta >> 4);
    if ((old & MSR_RI) && !(msr & MSR_RI)) {
        msr |= MSR_TERI;
    }
    s->msr = msr;
}

static uint64_t serial_read(void *opaque, uint64_t off, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = 0;
    switch (off) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            v = s->divider & 0xff;
        } else {
            v = rx_pop(s);
            if (s->chr) {
                chardev_accept_input(s->chr);
            }
        }
        break;
    case 1:
        v = (s->lcr & LCR_DLAB) ? s->divider >> 8 : s->ier;
        break;
    case 2:
        v = s->iir;
        if ((v & 0x0f) == IIR_THRI) {
            s->thr_ipending = 0;
        }
        break;
    case 3:
        v = s->lcr;
        break;
    case 4:
        v = s->mcr;
        break;
    case 5:
        v = s->lsr;
        s->lsr &= ~LSR_INT_ANY;
        break;
    case 6:
        if (s->mcr & MCR_LOOP) {
            /* Loopback: the modem lines are MCR's outputs, read back as
             * QEMU's UART shows them, without delta bits. */
            v = (s->mcr & MCR_RTS ? MSR_CTS : 0) | (s->mcr & MCR_DTR ? MSR_DSR : 0) |
                (s->mcr & MCR_OUT1 ? MSR_RI : 0) | (s->mcr & MCR_OUT2 ? MSR_DCD : 0);
            break;
        }
        v = s->msr;
        s->msr &= ~MSR_ANY_DELTA;
        break;
    case 7:
        v = s->scr;
        break;
    }
    serial_update_irq(s);
    return v;
}

static void serial_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    SerialState *s = opaque;
    uint8_t b = val;
    switch (off) {
    case 0:
        if (s->lcr & LCR_DLAB) {
            s->divider = (s->divider & 0xff00) | b;
            break;
        }
        if (s->mcr & MCR_LOOP) {
            rx_push(s, b);
        } else if (s->chr) {
            chardev_write(s->chr, &b, 1);
        }
        s->thr_ipending = 1;
        s->lsr |= LSR_THRE | LSR_TEMT;
        break;
    case 1:
        if (s->lcr & LCR_DLAB) {
            s->divider = (s->divider & 0x00ff) | (b << 8);
            break;
        }
        /* Enabling THRI with THR empty raises it (Linux relies on this). */
        if ((b & IER_THRI) && !(s->ier & IER_THRI) && (s->lsr & LSR_THRE)) {
            s->thr_ipending = 1;
        }
        s->ier = b & 0x0f;
        break;
    case 2:
        if ((b ^ s->fcr) & FCR_ENABLE || (b & FCR_CLEAR_RX)) {
            s->rx_head = s->rx_count = 0;
            s->lsr &= ~LSR_DR;
        }
        s->fcr = b & (FCR_ENABLE | 0xc0);
        if (!(s->fcr & FCR_ENABLE)) {
            s->fcr = 0;
        }
        if (s->chr) {
            chardev_accept_input(s->chr);
        }
        break;
    case 3:
        s->lcr = b;
        break;
    case 4:
        s->mcr = b & 0x1f;
        update_loopback_msr(s);
        break;
    case 7:
        s->scr = b;
        break;
    default:
        break;
    }
    serial_update_irq(s);
}

static const TernRegionOps serial_ops = {
    .read = serial_read,
    .write = serial_write,
};

static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;
    if (s->mcr & MCR_LOOP) {
        return 0;
    }
    unsigned cap = (s->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;
    return cap - s->rx_count;
}

static void serial_receive(void *opaque, const uint8_t *buf, int len)
{
    SerialState *s = opaque;
    for (int i = 0; i < len; i++) {
        rx_push(s, buf[i]);
    }
    serial_update_irq(s);
}

static void serial_reset(DeviceState *dev)
{
    SerialState *s = (SerialState *)dev;
    s->divider = 0x0c;   /* 9600 baud */
    s->ier = 0;
    s->lcr = 0;
    s->mcr = MCR_OUT2;
    s->lsr = LSR_TEMT | LSR_THRE;
    s->msr = MSR_DCD | MSR_DSR | MSR_CTS;
    s->scr = 0;
    s->fcr = 0;
    s->thr_ipending = 0;
    s->rx_head = s->rx_count = 0;
    serial_update_irq(s);
}

#define SERIAL_AUTO UINT32_MAX
#define SERIAL_MAX_PORTS 4

/* A property left at -1 ("auto", QEMU's default) takes the PC's usual
 * value for the next free COM port. */
static bool serial_pick_defaults(SerialState *s, GError **errp)
{
    static const uint32_t iobase[SERIAL_MAX_PORTS] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
    static const uint32_t irq[SERIAL_MAX_PORTS] = { 4, 3, 4, 3 };
    Machine *m = s->parent.machine;
    if (s->index == SERIAL_AUTO) {
        s->index = 0;
        for (guint i = 0; i < m->devices->len; i++) {
            DeviceState *d = g_ptr_array_index(m->devices, i);
            s->index += d != &s->parent && !strcmp(d->info->name, "isa-serial");
        }
    }
    if (s->index >= SERIAL_MAX_PORTS &&
        (s->iobase == SERIAL_AUTO || s->irq == SERIAL_AUTO)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Max. supported number of ISA serial ports is %d.", SERIAL_MAX_PORTS);
        return false;
    }
    if (s->iobase == SERIAL_AUTO) {
        s->iobase = iobase[s->index];
    }
    if (s->irq == SERIAL_AUTO) {
        s->irq = irq[s->index];
    }
    return true;
}

static bool serial_realize(DeviceState *dev, GError **errp)
{
    SerialState *s = (SerialState *)dev;
    if (!serial_pick_defaults(s, errp)) {
        return false;
    }
    if (s->irq >= PC_ISA_IRQS) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "isa-serial: irq %u is not an ISA IRQ",
                    s->irq);
        return false;
    }
    if (s->chardev) {
        s->chr = machine_find_chardev(dev->machine, s->chardev);
        if (!s->chr) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Property 'isa-serial.chardev' can't find value '%s'", s->chardev);
            return false;
        }
        ChardevFrontend fe = { .can_receive = serial_can_receive, .receive = serial_receive,
                               .opaque = s };
        chardev_set_frontend(s->chr, &fe);
    }
    s->line = machine_isa_irq(dev->machine, s->irq);
    g_autofree char *name = g_strdup_printf("serial%u", s->index);
    return machine_map_pio(dev->machine, name, s->iobase, 8, &serial_ops, s, errp);
}

/* COMn for the guest's PnP serial driver. */
static void serial_acpi_aml(DeviceState *dev, GByteArray *aml)
{
    SerialState *s = (SerialState *)dev;
    g_autoptr(GByteArray) crs = g_byte_array_new();
    aml_rt_io(crs, s->iobase, s->iobase, 0, 8);
    aml_rt_irq_noflags(crs, 1u << s->irq);
    g_autofree char *name = g_strdup_printf("COM%u", s->index + 1);
    acpi_isa_device(aml, name, "PNP0501", s->index + 1, crs);
}

static bool serial_post_load(void *obj, GError **errp)
{
    SerialState *s = obj;
    if (s->rx_head >= UART_FIFO_SIZE || s->rx_count > UART_FIFO_SIZE) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "serial: bad FIFO state");
        return false;
    }
    serial_update_irq(s);
    return true;
}

static const StateField serial_fields[] = {
    STATE_UINT(SerialState, divider),
    STATE_UINT(SerialState, ier),
    STATE_UINT(SerialState, lcr),
    STATE_UINT(SerialState, mcr),
    STATE_UINT(SerialState, lsr),
    STATE_UINT(SerialState, msr),
    STATE_UINT(SerialState, scr),
    STATE_UINT(SerialState, fcr),
    STATE_UINT(SerialState, thr_ipending),
    STATE_BUFFER(SerialState, rx_fifo),
    STATE_UINT(SerialState, rx_head),
    STATE_UINT(SerialState, rx_count),
    STATE_END,
};

static const StateDescription serial_state = {
    .name = "serial",
    .version = 1,
    .fields = serial_fields,
    .post_load = serial_post_load,
};

static const DeviceProperty serial_props[] = {
    DEFINE_PROP_U32("iobase", SerialState, iobase, SERIAL_AUTO),
    DEFINE_PROP_U32("irq", SerialState, irq, SERIAL_AUTO),
    DEFINE_PROP_U32("index", SerialState, index, SERIAL_AUTO),
    { .name = "chardev", .type = PROP_STRING, .offset = offsetof(SerialState, chardev),
      .desc = "ID of a chardev to use as a backend" },
    DEFINE_PROP_END,
};

const DeviceInfo isa_serial_info = {
    .name = "isa-serial",
    .desc = "16550A UART",
    .instance_size = sizeof(SerialState),
    .user_creatable = false,
    .props = serial_props,
    .realize = serial_realize,
    .reset = serial_reset,
    .acpi_aml = serial_acpi_aml,
    .state = &serial_state,
};
