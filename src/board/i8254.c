/* Intel 8254 programmable interval timer (Intel 82C54 datasheet, order
 * number 231244) at ports 0x40-0x43, and the bits of port 0x61 (system
 * control port B, IBM PC/AT technical reference) that a PC wires to it.
 * The board creates it only without KVM (qtest mode): with KVM the
 * in-kernel PIT (KVM_CREATE_PIT2) serves these ports.
 *
 * Nothing ticks. A channel remembers the virtual time its count was loaded
 * (or its gate restarted it) and derives its counter and OUT from the
 * 1.193182 MHz clock ticks since then. Channel 0 drives IRQ 0 through a
 * timer armed for the next OUT edge, so under clock_step every edge lands
 * on its exact tick.
 *
 * QEMU 7.2 is the reference where it and the datasheet differ (observed
 * with QEMU running and stopped):
 * - OUT is QEMU's: mode 1 high until terminal count, mode 2 high only for
 *   the tick at which the count reloads, modes 4 and 5 high only for the
 *   tick at terminal count; modes 6 and 7 keep their number in the status
 *   and drive OUT as mode 0 does (the datasheet makes them 2 and 3).
 * - The gate matters only on a rising edge, which restarts modes 1, 2, 3
 *   and 5; a low gate does not stop the count.
 * - A control word neither stops the counter nor drops pending latches,
 *   and the status never shows null count.
 * - Reset sets mode 3, count 0x10000 and channel 2's gate low, arms the
 *   timer without touching IRQ 0, and keeps everything else.
 * Two differences, seen only while the clock runs: BCD counters count in
 * BCD here (QEMU counts them in binary and only reports the bit), and in
 * mode 2 IRQ 0 follows OUT, high for one tick per period, where QEMU's
 * timer rounding leaves the line high for most of the period; both give
 * one rising edge per period. */
#include "board/pc.h"
#include "util/error.h"

#define NS_PER_SEC   1000000000LL
#define PIT_HZ       1193182        /* input clock, Hz */
#define PIT_NEVER    UINT64_MAX     /* no OUT edge ahead */
#define PIT_IOBASE   0x40
#define PIT_CHANNELS 3

#define PORT61_GATE2    0x01        /* channel 2 gate */
#define PORT61_SPEAKER  0x02        /* speaker data enable */
#define PORT61_REFRESH  0x10        /* toggles on every read */
#define PORT61_OUT2     0x20        /* channel 2 OUT */

/* Access modes (control word bits 5-4) and where a byte flip-flop stands. */
enum {
    RW_NONE = 0,        /* never programmed; QEMU reads and writes the LSB */
    RW_LSB = 1,
    RW_MSB = 2,
    RW_WORD = 3,        /* LSB then MSB: the LSB is next */
    RW_WORD_MSB = 4,    /* LSB then MSB: the MSB is next */
};

typedef struct PitChannel {
    int64_t start_ns;        /* virtual time the count was loaded or restarted */
    uint16_t count;          /* initial count as written; 0 is the largest */
    uint16_t latched_count;
    uint8_t latch_state;     /* bytes of latched_count left (RW_*), 0 if none */
    uint8_t status;          /* the latched status byte */
    uint8_t status_latched;
    uint8_t rw_mode;         /* access mode from the control word */
    uint8_t read_state;
    uint8_t write_state;
    uint8_t write_lsb;       /* first byte of an LSB-then-MSB count */
    uint8_t mode;            /* 0-7 as written */
    uint8_t bcd;
    uint8_t gate;
} PitChannel;

typedef struct PitState {
    DeviceState parent;
    uint32_t iobase;
    const TernIrq *irq;
    TernTimer *timer;        /* channel 0's next OUT edge */
    PitChannel ch[PIT_CHANNELS];
    uint8_t speaker;         /* port 0x61 bit 1 */
    uint8_t refresh;         /* port 0x61 bit 4 */
} PitState;

/* ---- counting ---- */

static int64_t pit_now(PitState *s)
{
    return tern_clock_virtual_ns(&s->parent.machine->clock);
}

/* Ticks per period: a count of 0 is 2^16, or 10^4 in BCD. */
static uint32_t pit_period(const PitChannel *c)
{
    if (!c->bcd) {
        return c->count ? c->count : 0x10000;
    }
    uint32_t n = 0;
    for (int shift = 12; shift >= 0; shift -= 4) {
        n = n * 10 + ((c->count >> shift) & 0xf);
    }
    return n ? n : 10000;
}

static uint16_t pit_to_bcd(uint32_t v)
{
    return (v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10;
}

/* Whole ticks since the channel started at virtual time now. */
static uint64_t pit_ticks(const PitChannel *c, int64_t now)
{
    if (now <= c->start_ns) {
        return 0;
    }
    return (unsigned __int128)(now - c->start_ns) * PIT_HZ / NS_PER_SEC;
}

/* The first virtual time at which tick `tick` has begun: rounded up, so a
 * timer armed for it sees exactly that tick. */
static int64_t pit_tick_time(const PitChannel *c, uint64_t tick)
{
    unsigned __int128 t = ((unsigned __int128)tick * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
    t += c->start_ns;
    return t > INT64_MAX ? INT64_MAX : (int64_t)t;
}

static bool pit_out(const PitChannel *c, uint64_t d)
{
    uint32_t n = pit_period(c);
    switch (c->mode) {
    case 1:
        return d < n;
    case 2:
        return d != 0 && d % n == 0;
    case 3:
        return d % n < (n + 1) / 2;
    case 4:
    case 5:
        return d == n;
    default:                 /* 0, and QEMU's 6 and 7 */
        return d >= n;
    }
}

/* The first tick after d at which OUT changes, or PIT_NEVER. */
static uint64_t pit_next_edge(const PitChannel *c, uint64_t d)
{
    uint32_t n = pit_period(c);
    uint64_t base = d - d % n;
    switch (c->mode) {
    case 2:
        if (n == 1) {
            return d == 0 ? 1 : PIT_NEVER;  /* high from the first tick on */
        }
        return pit_out(c, d) ? d + 1 : base + n;
    case 3: {
        uint32_t high = (n + 1) / 2;
        if (high == n) {
            return PIT_NEVER;                /* a count of 1 stays high */
        }
        return d - base < high ? base + high : base + n;
    }
    case 4:
    case 5:
        return d < n ? n : d == n ? n + 1 : PIT_NEVER;
    default:                 /* 0, 1, 6, 7: one edge at terminal count */
        return d < n ? n : PIT_NEVER;
    }
}

/* What the counting element holds at tick d, 1..n (n reads as 0 when it
 * is the full range). One-shot modes count on past zero, wrapping; mode 3
 * counts down by two each tick, twice a period (QEMU's formula, exact for
 * even counts). */
static uint32_t pit_element(const PitChannel *c, uint64_t d)
{
    uint32_t n = pit_period(c);
    uint32_t range = c->bcd ? 10000 : 0x10000;
    switch (c->mode) {
    case 0:
    case 1:
    case 4:
    case 5:
        return (n + range - d % range) % range;
    case 3:
        return n - (2 * d) % n;
    default:                 /* 2, and QEMU's 6 and 7 */
        return n - d % n;
    }
}

/* The counter as the guest reads it. A counter at its initial count holds
 * exactly the bits written, as the chip loads them. */
static uint16_t pit_read_counter(PitState *s, const PitChannel *c)
{
    uint32_t v = pit_element(c, pit_ticks(c, pit_now(s)));
    if (v == pit_period(c)) {
        return c->count;
    }
    return c->bcd ? pit_to_bcd(v % 10000) : v & 0xffff;
}

static bool pit_out_now(PitState *s, const PitChannel *c)
{
    return pit_out(c, pit_ticks(c, pit_now(s)));
}

/* ---- IRQ 0 ---- */

/* Arms the timer for channel 0's next OUT edge; with set_line, first
 * drives IRQ 0 to OUT as it is now. QEMU sets the line on every update,
 * not only on changes, and the qtest interceptor reports what differs. */
static void pit_update_irq(PitState *s, bool set_line)
{
    PitChannel *c = &s->ch[0];
    uint64_t d = pit_ticks(c, pit_now(s));
    if (set_line) {
        tern_irq_set(s->irq, pit_out(c, d));
    }
    uint64_t next = pit_next_edge(c, d);
    if (next == PIT_NEVER) {
        tern_timer_del(s->timer);
    } else {
        tern_timer_mod(s->timer, pit_tick_time(c, next));
    }
}

static void pit_timer_fired(void *opaque)
{
    pit_update_irq(opaque, true);
}

/* ---- programming ---- */

static void pit_restart(PitState *s, unsigned i)
{
    s->ch[i].start_ns = pit_now(s);
    if (i == 0) {
        pit_update_irq(s, true);
    }
}

static void pit_set_gate(PitState *s, unsigned i, bool gate)
{
    PitChannel *c = &s->ch[i];
    bool rising = gate && !c->gate;
    c->gate = gate;
    if (rising && (c->mode == 1 || c->mode == 2 || c->mode == 3 || c->mode == 5)) {
        pit_restart(s, i);
    }
}

static bool pit_state_is_msb(uint8_t state)
{
    return state == RW_MSB || state == RW_WORD_MSB;
}

/* The flip-flop after one byte. */
static uint8_t pit_state_next(uint8_t state)
{
    return state == RW_WORD ? RW_WORD_MSB : state == RW_WORD_MSB ? RW_WORD : state;
}

static void pit_latch_count(PitState *s, PitChannel *c)
{
    if (c->latch_state) {
        return;              /* a latched count holds until read */
    }
    c->latched_count = pit_read_counter(s, c);
    c->latch_state = c->rw_mode;   /* QEMU: none if never programmed */
}

static void pit_latch_status(PitState *s, PitChannel *c)
{
    if (c->status_latched) {
        return;
    }
    c->status = pit_out_now(s, c) << 7 | c->rw_mode << 4 | c->mode << 1 | c->bcd;
    c->status_latched = 1;
}

/* Read-back command (datasheet figure 10): bit 5 clear latches the counts,
 * bit 4 clear the status, of the channels in bits 1-3. */
static void pit_read_back(PitState *s, uint8_t v)
{
    for (unsigned i = 0; i < PIT_CHANNELS; i++) {
        if (!(v & (2u << i))) {
            continue;
        }
        if (!(v & 0x20)) {
            pit_latch_count(s, &s->ch[i]);
        }
        if (!(v & 0x10)) {
            pit_latch_status(s, &s->ch[i]);
        }
    }
}

static void pit_write_control(PitState *s, uint8_t v)
{
    unsigned sel = v >> 6;
    if (sel == 3) {
        pit_read_back(s, v);
        return;
    }
    PitChannel *c = &s->ch[sel];
    uint8_t rw = (v >> 4) & 3;
    if (rw == RW_NONE) {
        pit_latch_count(s, c);   /* counter latch command */
        return;
    }
    c->rw_mode = c->read_state = c->write_state = rw;
    c->mode = (v >> 1) & 7;
    c->bcd = v & 1;
}

static void pit_write_count(PitState *s, unsigned i, uint8_t v)
{
    PitChannel *c = &s->ch[i];
    switch (c->write_state) {
    case RW_WORD:
        c->write_lsb = v;
        c->write_state = RW_WORD_MSB;
        return;
    case RW_WORD_MSB:
        c->count = c->write_lsb | v << 8;
        c->write_state = RW_WORD;
        break;
    case RW_MSB:
        c->count = v << 8;
        break;
    default:                 /* RW_LSB, and RW_NONE as QEMU */
        c->count = v;
        break;
    }
    pit_restart(s, i);
}

/* Status first, then a latched count, then the live counter. */
static uint8_t pit_read_channel(PitState *s, PitChannel *c)
{
    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->latch_state) {
        bool msb = c->latch_state == RW_MSB;
        c->latch_state = c->latch_state == RW_WORD ? RW_MSB : RW_NONE;
        return msb ? c->latched_count >> 8 : c->latched_count & 0xff;
    }
    uint16_t v = pit_read_counter(s, c);
    bool msb = pit_state_is_msb(c->read_state);
    c->read_state = pit_state_next(c->read_state);
    return msb ? v >> 8 : v & 0xff;
}

/* ---- port I/O ---- */

/* Wider accesses act byte by byte from the first port; bytes past 0x43
 * belong to no device (QEMU: inl 0x42 reads 0xffff....). */
static uint64_t pit_read(void *opaque, uint64_t off, unsigned size)
{
    PitState *s = opaque;
    uint64_t v = 0;
    for (unsigned b = 0; b < size; b++) {
        uint64_t port = off + b;
        uint8_t byte = port < PIT_CHANNELS ? pit_read_channel(s, &s->ch[port])
                       : port == 3 ? 0 : 0xff;   /* the control port reads 0 */
        v |= (uint64_t)byte << (8 * b);
    }
    return v;
}

static void pit_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PitState *s = opaque;
    for (unsigned b = 0; b < size; b++) {
        uint64_t port = off + b;
        uint8_t byte = val >> (8 * b);
        if (port < PIT_CHANNELS) {
            pit_write_count(s, port, byte);
        } else if (port == 3) {
            pit_write_control(s, byte);
        }
    }
}

static const TernRegionOps pit_ops = {
    .read = pit_read,
    .write = pit_write,
};

/* Port 0x61 as QEMU's pcspk serves it: every byte of a wider access is
 * another access to 0x61. Bits 2-3 and 6-7 (parity and I/O check) read 0. */
static uint64_t port61_read(void *opaque, uint64_t off, unsigned size)
{
    PitState *s = opaque;
    uint64_t v = 0;
    for (unsigned b = 0; b < size; b++) {
        s->refresh ^= 1;     /* BIOS delay loops wait for this bit to flip */
        PitChannel *c = &s->ch[2];
        uint8_t byte = (c->gate ? PORT61_GATE2 : 0) | (s->speaker ? PORT61_SPEAKER : 0) |
                       (s->refresh ? PORT61_REFRESH : 0) | (pit_out_now(s, c) ? PORT61_OUT2 : 0);
        v |= (uint64_t)byte << (8 * b);
    }
    return v;
}

static void port61_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    PitState *s = opaque;
    for (unsigned b = 0; b < size; b++) {
        uint8_t byte = val >> (8 * b);
        s->speaker = !!(byte & PORT61_SPEAKER);
        pit_set_gate(s, 2, byte & PORT61_GATE2);
    }
}

static const TernRegionOps port61_ops = {
    .read = port61_read,
    .write = port61_write,
};

/* ---- device ---- */

static void pit_reset(DeviceState *dev)
{
    PitState *s = (PitState *)dev;
    int64_t now = pit_now(s);
    for (unsigned i = 0; i < PIT_CHANNELS; i++) {
        PitChannel *c = &s->ch[i];
        c->mode = 3;
        c->count = 0;
        c->gate = i != 2;    /* channel 2's gate is port 0x61 bit 0 */
        c->start_ns = now;
    }
    pit_update_irq(s, true);
}

static bool pit_realize(DeviceState *dev, GError **errp)
{
    PitState *s = (PitState *)dev;
    Machine *m = dev->machine;
    if (s->iobase == UINT32_MAX) {
        s->iobase = PIT_IOBASE;
    }
    s->irq = machine_isa_irq(m, 0);
    s->timer = tern_timer_new(&m->timers, pit_timer_fired, s);
    return machine_map_pio(m, "pit", s->iobase, 4, &pit_ops, s, errp) &&
           machine_map_pio(m, "pcspk", 0x61, 1, &port61_ops, s, errp);
}

static void pit_unrealize(DeviceState *dev)
{
    PitState *s = (PitState *)dev;
    tern_timer_free(s->timer);
}

/* The stream is untrusted: keep only states the chip can be in, then
 * derive IRQ 0 and the timer from them. */
static bool pit_post_load(void *obj, GError **errp)
{
    PitState *s = obj;
    for (unsigned i = 0; i < PIT_CHANNELS; i++) {
        PitChannel *c = &s->ch[i];
        if (c->start_ns < 0 || c->mode > 7 || c->rw_mode > RW_WORD ||
            c->read_state > RW_WORD_MSB || c->write_state > RW_WORD_MSB ||
            c->latch_state > RW_WORD || c->status_latched > 1 || c->bcd > 1 || c->gate > 1) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "isa-pit: channel %u state out of range", i);
            return false;
        }
    }
    s->speaker = !!s->speaker;
    s->refresh = !!s->refresh;
    pit_update_irq(s, true);
    return true;
}

#define PIT_CHANNEL_FIELDS(i)                      \
    STATE_UINT(PitState, ch[i].start_ns),          \
    STATE_UINT(PitState, ch[i].count),             \
    STATE_UINT(PitState, ch[i].latched_count),     \
    STATE_UINT(PitState, ch[i].latch_state),       \
    STATE_UINT(PitState, ch[i].status),            \
    STATE_UINT(PitState, ch[i].status_latched),    \
    STATE_UINT(PitState, ch[i].rw_mode),           \
    STATE_UINT(PitState, ch[i].read_state),        \
    STATE_UINT(PitState, ch[i].write_state),       \
    STATE_UINT(PitState, ch[i].write_lsb),         \
    STATE_UINT(PitState, ch[i].mode),              \
    STATE_UINT(PitState, ch[i].bcd),               \
    STATE_UINT(PitState, ch[i].gate)

static const StateField pit_fields[] = {
    PIT_CHANNEL_FIELDS(0),
    PIT_CHANNEL_FIELDS(1),
    PIT_CHANNEL_FIELDS(2),
    STATE_UINT(PitState, speaker),
    STATE_UINT(PitState, refresh),
    STATE_END,
};

static const StateDescription pit_state = {
    .name = "i8254", .version = 1, .fields = pit_fields, .post_load = pit_post_load,
};

static const DeviceProperty pit_props[] = {
    DEFINE_PROP_U32("iobase", PitState, iobase, UINT32_MAX),   /* QEMU: -1, the board's 0x40 */
    DEFINE_PROP_END,
};

const DeviceInfo isa_pit_info = {
    .name = "isa-pit",
    .parent = "pit-common",
    .desc = "Intel 8254 programmable interval timer",
    .instance_size = sizeof(PitState),
    .props = pit_props,
    .realize = pit_realize,
    .reset = pit_reset,
    .unrealize = pit_unrealize,
    .state = &pit_state,
};
