/* rtc-irq.elf: CPL0 only.  Reads the MC146818 RTC's clock, then takes RTC
 * interrupts through the IOAPIC and the local APIC.
 *
 * Parameters: n=<N>            periodic interrupts to wait for (default 64)
 *             rs=<RS>          register A rate select, 3..15 (default 6:
 *                              1024 Hz; rate = 32768 >> (RS - 1))
 *             timeout_ms=<T>   LAPIC timer watchdog (default 10000)
 *             iret=1           return from interrupts with iret (see
 *                              DEFINE_ISR in common.h; fails on this host)
 * Output:
 *   rtc: CCYY-MM-DD hh:mm:ss regB=0xBB   the time registers' raw BCD digits
 *   ioapic: id=0xII ver=0xVVVVVVVV
 *   rtc-irq: T periodic interrupts, P in one second, 2 update interrupts
 * (T >= N: it waits for N periodic and 2 update-ended interrupts) then
 * EXIT_OK; or, if the watchdog fires first,
 *   rtc-irq: timeout, K of N periodic interrupts, U update interrupts
 * and EXIT_FAIL.
 *
 * The RTC (ISA IRQ 8) is routed through IOAPIC pin 8 to vector 0x30 (edge,
 * active high, fixed, physical destination = our APIC ID); both 8259s are
 * masked so only the IOAPIC delivers.  The handler reads register C (which
 * acknowledges and lowers IRQ 8) and writes the LAPIC EOI.  Periodic (PIE) and
 * update-ended (UIE) interrupts are both on: P is the number of periodic
 * interrupts between the first two update-ended ones, i.e. in one RTC second.
 * The watchdog is the LAPIC timer (vector 0x31, one-shot, divide by 128; the
 * LAPIC timer counts at 1 GHz under KVM and QEMU) and needs no IOAPIC.
 */
#include "common.h"

#define CMOS_INDEX   0x70
#define CMOS_DATA    0x71
#define RTC_SEC      0x00
#define RTC_MIN      0x02
#define RTC_HOUR     0x04
#define RTC_DAY      0x07
#define RTC_MONTH    0x08
#define RTC_YEAR     0x09
#define RTC_REG_A    0x0a
#define RTC_REG_B    0x0b
#define RTC_REG_C    0x0c
#define RTC_CENTURY  0x32          /* PC CMOS convention */
#define REG_A_UIP    0x80
#define REG_A_DV_ON  0x20          /* divider: 32.768 kHz time base, running */
#define REG_B_PIE    0x40
#define REG_B_UIE    0x10
#define REG_C_PF     0x40
#define REG_C_UF     0x10

#define IOAPIC_BASE  0xfec00000u
#define IOAPIC_ID    0x00
#define IOAPIC_VER   0x01
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define RTC_PIN      8
#define RTC_VECTOR   0x30
#define WDOG_VECTOR  0x31
#define SPURIOUS_VECTOR 0xff

#define LAPIC_BASE   0xfee00000u
#define LAPIC_ID     0x020
#define LAPIC_EOI    0x0b0
#define LAPIC_SVR    0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TMICT  0x380
#define LAPIC_TDCR   0x3e0
#define LAPIC_TDCR_DIV128 0xa
#define LAPIC_TICKS_PER_MS (1000000u / 128)

static volatile u32 periodic, updates, periodic_at_update[2], watchdog_fired;

static u8 cmos_read(u8 reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static void cmos_write(u8 reg, u8 v)
{
    outb(CMOS_INDEX, reg);
    outb(CMOS_DATA, v);
}

static u32 lapic_read(u32 reg) { return *(volatile u32 *)(LAPIC_BASE + reg); }
static void lapic_write(u32 reg, u32 v) { *(volatile u32 *)(LAPIC_BASE + reg) = v; }

static u32 ioapic_read(u32 reg)
{
    *(volatile u32 *)IOAPIC_BASE = reg;              /* IOREGSEL */
    return *(volatile u32 *)(IOAPIC_BASE + 0x10);    /* IOWIN */
}

static void ioapic_write(u32 reg, u32 v)
{
    *(volatile u32 *)IOAPIC_BASE = reg;
    *(volatile u32 *)(IOAPIC_BASE + 0x10) = v;
}

void rtc_irq(void)
{
    u8 c = cmos_read(RTC_REG_C);   /* clears the flags and lowers IRQ 8 */
    if (c & REG_C_PF)
        periodic++;
    if ((c & REG_C_UF) && updates < 2)
        periodic_at_update[updates++] = periodic;
    lapic_write(LAPIC_EOI, 0);
}
DEFINE_ISR(rtc_isr, rtc_irq);

void watchdog_irq(void)
{
    watchdog_fired = 1;
    lapic_write(LAPIC_EOI, 0);
}
DEFINE_ISR(watchdog_isr, watchdog_irq);

void spurious_irq(void)
{
    /* no EOI for the spurious vector */
}
DEFINE_ISR(spurious_isr, spurious_irq);

static void put_bcd(u8 v)
{
    serial_putc((char)('0' + (v >> 4)));
    serial_putc((char)('0' + (v & 0xf)));
}

/* Two identical snapshots, each started with UIP clear, cannot straddle an
 * update: emulated port I/O is too slow to finish one snapshot inside the
 * 244 us that UIP warns ahead. */
static void rtc_read_time(u8 t[7])
{
    static const u8 regs[7] = { RTC_CENTURY, RTC_YEAR, RTC_MONTH, RTC_DAY, RTC_HOUR, RTC_MIN, RTC_SEC };
    u8 prev[7];
    for (int tries = 0;; tries++) {
        while (cmos_read(RTC_REG_A) & REG_A_UIP)
            cpu_pause();
        for (int i = 0; i < 7; i++)
            t[i] = cmos_read(regs[i]);
        if (tries > 0) {
            int same = 1;
            for (int i = 0; i < 7; i++)
                same &= t[i] == prev[i];
            if (same)
                return;
        }
        memcpy(prev, t, 7);
    }
}

static void print_time(void)
{
    u8 t[7];
    rtc_read_time(t);
    serial_puts("rtc: ");
    put_bcd(t[0]);
    put_bcd(t[1]);
    serial_putc('-');
    put_bcd(t[2]);
    serial_putc('-');
    put_bcd(t[3]);
    serial_putc(' ');
    put_bcd(t[4]);
    serial_putc(':');
    put_bcd(t[5]);
    serial_putc(':');
    put_bcd(t[6]);
    serial_puts(" regB=");
    serial_put_hex(cmos_read(RTC_REG_B));
    serial_putc('\n');
}

void payload_main(void)
{
    u64 n = 64, rs = 6, timeout_ms = 10000, iret = 0;
    param_u64("n", &n);
    param_u64("iret", &iret);
    isr_use_iret = iret != 0;
    param_u64("rs", &rs);
    param_u64("timeout_ms", &timeout_ms);
    if (rs < 3 || rs > 15)
        fail("rtc-irq: rs must be 3..15");
    if (timeout_ms < 1 || timeout_ms > 500000)
        fail("rtc-irq: timeout_ms must be 1..500000");

    print_time();

    idt_init();
    idt_set_gate(RTC_VECTOR, (const void *)rtc_isr);
    idt_set_gate(WDOG_VECTOR, (const void *)watchdog_isr);
    idt_set_gate(SPURIOUS_VECTOR, (const void *)spurious_isr);

    outb(0x21, 0xff); /* mask both 8259s: only the IOAPIC may deliver */
    outb(0xa1, 0xff);

    lapic_write(LAPIC_SVR, 0x100 | SPURIOUS_VECTOR); /* software-enable */
    u32 apic_id = lapic_read(LAPIC_ID) >> 24;

    serial_puts("ioapic: id=");
    serial_put_hex(ioapic_read(IOAPIC_ID));
    serial_puts(" ver=");
    serial_put_hex(ioapic_read(IOAPIC_VER));
    serial_putc('\n');
    /* high dword first, so the entry is complete when it gets unmasked */
    ioapic_write(IOAPIC_REDTBL(RTC_PIN) + 1, apic_id << 24);
    ioapic_write(IOAPIC_REDTBL(RTC_PIN), RTC_VECTOR); /* fixed, physical, high, edge, unmasked */

    lapic_write(LAPIC_TDCR, LAPIC_TDCR_DIV128);
    lapic_write(LAPIC_LVT_TIMER, WDOG_VECTOR);      /* one-shot, unmasked */
    lapic_write(LAPIC_TMICT, (u32)timeout_ms * LAPIC_TICKS_PER_MS);

    cmos_read(RTC_REG_C); /* drop stale flags, so the first edge is a fresh one */
    cmos_write(RTC_REG_A, (u8)(REG_A_DV_ON | rs));
    cmos_write(RTC_REG_B, cmos_read(RTC_REG_B) | REG_B_PIE | REG_B_UIE);

    while ((periodic < n || updates < 2) && !watchdog_fired)
        cpu_sti_hlt_cli();

    cmos_write(RTC_REG_B, cmos_read(RTC_REG_B) & ~(REG_B_PIE | REG_B_UIE));
    lapic_write(LAPIC_TMICT, 0);

    serial_puts("rtc-irq: ");
    if (watchdog_fired) {
        serial_puts("timeout, ");
        serial_put_u64(periodic);
        serial_puts(" of ");
        serial_put_u64(n);
        serial_puts(" periodic interrupts, ");
        serial_put_u64(updates);
        serial_puts(" update interrupts\n");
        debug_exit(EXIT_FAIL);
    }
    serial_put_u64(periodic);
    serial_puts(" periodic interrupts, ");
    serial_put_u64(periodic_at_update[1] - periodic_at_update[0]);
    serial_puts(" in one second, ");
    serial_put_u64(updates);
    serial_puts(" update interrupts\n");
    debug_exit(EXIT_OK);
}
