/* smp.elf: brings up the APs with INIT-SIPI-SIPI, CPL0 only.
 *
 * Parameters: cpus=<N>          expected CPU count incl. the BSP (default 1)
 *             tsc_timeout=<T>   give up after T TSC ticks (default 2^33,
 *                               roughly 3 s at 2.5-3 GHz)
 * BSP: prints "cpu <apic id> up", copies a real-mode trampoline to 0x8000,
 * broadcasts INIT, SIPI, SIPI (vector 0x08) to all-excluding-self through the
 * xAPIC at 0xfee00000, then polls the shared count (starts at 1) until it
 * reaches N: prints "smp: <count> cpus up" and exits with EXIT_OK; or after T
 * ticks prints "smp: timeout, <count> of <N>" and exits with EXIT_FAIL.
 * Each AP: real mode -> lgdt -> 32-bit protected mode, takes a spinlock,
 * prints "cpu <apic id> up", drops the lock, `lock incl` on the count, then
 * cli; hlt forever.  All APs present are woken (broadcast), so N should equal
 * the number of vCPUs.
 */
#include "common.h"

#define LAPIC_BASE   0xfee00000u
#define LAPIC_ID     0x020
#define LAPIC_SVR    0x0f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define TRAMPOLINE   0x8000u

volatile u32 smp_lock;
volatile u32 cpu_count = 1;

extern char smp_tramp[], smp_tramp_gdtr[], smp_tramp_end[];
extern const char gdtr[]; /* entry.S: u16 limit, u32 base */

static u32 lapic_read(u32 reg) { return *(volatile u32 *)(LAPIC_BASE + reg); }
static void lapic_write(u32 reg, u32 v) { *(volatile u32 *)(LAPIC_BASE + reg) = v; }

static void tsc_delay(u64 ticks)
{
    u64 t0 = rdtsc();
    while (rdtsc() - t0 < ticks)
        cpu_pause();
}

static void send_ipi_all_but_self(u32 icr_lo)
{
    lapic_write(LAPIC_ICR_HI, 0);
    lapic_write(LAPIC_ICR_LO, (3u << 18) | icr_lo); /* shorthand: all excluding self */
    for (int i = 0; i < 1000 && (lapic_read(LAPIC_ICR_LO) & (1u << 12)); i++)
        cpu_pause(); /* delivery status */
}

static void spin_lock(void)
{
    while (__atomic_exchange_n(&smp_lock, 1, __ATOMIC_ACQUIRE))
        cpu_pause();
}

static void print_cpu_up(void)
{
    serial_puts("cpu ");
    serial_put_u64(lapic_read(LAPIC_ID) >> 24);
    serial_puts(" up\n");
}

/* Called by each AP (ap_entry32) with smp_lock held and a stack set up. */
void smp_ap_main(void)
{
    print_cpu_up();
}

void payload_main(void)
{
    u64 cpus = 1, timeout = 1ull << 33;
    param_u64("cpus", &cpus);
    param_u64("tsc_timeout", &timeout);
    if (cpus < 1 || cpus > 255)
        fail("smp: cpus must be 1..255");

    print_cpu_up();
    if (cpus > 1) {
        memcpy((void *)TRAMPOLINE, smp_tramp, (uptr)(smp_tramp_end - smp_tramp));
        memcpy((void *)(TRAMPOLINE + (u32)(smp_tramp_gdtr - smp_tramp)), gdtr, 6);
        lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x1ff); /* sw-enable, spurious vector 0xff */
        send_ipi_all_but_self(0x00004500);                      /* INIT, assert, level */
        tsc_delay(10000000);                                    /* a few ms */
        for (int i = 0; i < 2; i++) {
            send_ipi_all_but_self(0x00004600 | (TRAMPOLINE >> 12)); /* SIPI */
            tsc_delay(1000000);
        }
        u64 t0 = rdtsc();
        while (cpu_count < cpus && rdtsc() - t0 < timeout)
            cpu_pause();
    }

    spin_lock(); /* keep APs from printing into our verdict */
    u32 n = cpu_count;
    if (n >= cpus) {
        serial_puts("smp: ");
        serial_put_u64(n);
        serial_puts(" cpus up\n");
        debug_exit(EXIT_OK);
    }
    serial_puts("smp: timeout, ");
    serial_put_u64(n);
    serial_puts(" of ");
    serial_put_u64(cpus);
    serial_puts("\n");
    debug_exit(EXIT_FAIL);
}

__asm__(
    ".pushsection .text\n"
    /* ---- trampoline, copied to 0x8000; APs start here at CS=0x0800 IP=0 ---- */
    ".code16\n"
    ".globl smp_tramp, smp_tramp_gdtr, smp_tramp_end\n"
    "smp_tramp:\n"
    "    cli\n"
    "    cld\n"
    "    movw  %cs, %ax\n"
    "    movw  %ax, %ds\n"
    "    lgdtl (smp_tramp_gdtr - smp_tramp)\n"
    "    movl  %cr0, %eax\n"
    "    orl   $1, %eax\n"
    "    movl  %eax, %cr0\n"
    "    ljmpl $0x08, $ap_entry32\n"
    "    .p2align 2\n"
    "smp_tramp_gdtr:\n"                 /* filled in from entry.S's gdtr */
    "    .word 0\n"
    "    .long 0\n"
    "smp_tramp_end:\n"
    /* ---- AP, 32-bit protected mode, flat segments, no paging ---- */
    ".code32\n"
    "ap_entry32:\n"
    "    movl  $0x10, %eax\n"
    "    movl  %eax, %ds\n"
    "    movl  %eax, %es\n"
    "    movl  %eax, %ss\n"
    "    movl  %eax, %fs\n"
    "    movl  %eax, %gs\n"
    "1:  movl  $1, %eax\n"
    "    xchgl %eax, smp_lock\n"
    "    testl %eax, %eax\n"
    "    jz    2f\n"
    "    pause\n"
    "    jmp   1b\n"
    "2:  movl  $ap_stack_top, %esp\n"   /* one shared stack, used under the lock */
    "    call  smp_ap_main\n"
    "    movl  $0, smp_lock\n"
    "    lock incl cpu_count\n"
    "3:  cli\n"
    "    hlt\n"
    "    jmp   3b\n"
    ".popsection\n"
    ".pushsection .bss\n"
    "    .p2align 4\n"
    "    .space 4096\n"
    "ap_stack_top:\n"
    ".popsection\n");
