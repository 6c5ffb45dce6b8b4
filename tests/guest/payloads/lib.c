/* Support code shared by all payloads (32-bit, CPL0). */
#include "common.h"

extern void triple_fault(void) NORETURN;
extern void cpl3_trampoline64(void);
extern u32 user_entry;

/* One string instruction each: far fewer emulated instructions than a loop. */
void *memset(void *d, int c, uptr n)
{
    void *p = d;
    if (((uptr)d | n) & 3) {
        __asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
    } else {
        n /= 4;
        __asm__ volatile("rep stosl" : "+D"(p), "+c"(n) : "a"((u8)c * 0x01010101u) : "memory");
    }
    return d;
}

void *memcpy(void *d, const void *s, uptr n)
{
    void *p = d;
    __asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(n) : : "memory");
    return d;
}

/* ---- serial: COM1, polled, no UART programming (the firmware/VMM default
 * is fine for emulated UARTs).  The LSR poll is bounded so that a VMM whose
 * LSR never reports THRE cannot hang the payload. */
void serial_putc(char c)
{
    for (int i = 0; i < 1000; i++)
        if (inb(COM1_BASE + 5) & 0x20)
            break;
    outb(COM1_BASE, (u8)c);
}

void serial_puts(const char *s)
{
    while (*s)
        serial_putc(*s++);
}

void serial_put_u64(u64 v)
{
    /* no 64-bit division available (no libgcc for -m32): subtract powers of ten */
    static const u64 pow10[] = {
        10000000000000000000ull, 1000000000000000000ull, 100000000000000000ull,
        10000000000000000ull, 1000000000000000ull, 100000000000000ull,
        10000000000000ull, 1000000000000ull, 100000000000ull, 10000000000ull,
        1000000000ull, 100000000ull, 10000000ull, 1000000ull, 100000ull,
        10000ull, 1000ull, 100ull, 10ull, 1ull,
    };
    int started = 0;
    for (unsigned i = 0; i < sizeof(pow10) / sizeof(pow10[0]); i++) {
        char d = '0';
        while (v >= pow10[i]) {
            v -= pow10[i];
            d++;
        }
        if (d != '0' || started || i == sizeof(pow10) / sizeof(pow10[0]) - 1) {
            serial_putc(d);
            started = 1;
        }
    }
}

void serial_put_hex(u64 v)
{
    int started = 0;
    serial_puts("0x");
    for (int sh = 60; sh >= 0; sh -= 4) {
        unsigned d = (unsigned)(v >> sh) & 0xf;
        if (d || started || sh == 0) {
            serial_putc((char)(d < 10 ? '0' + d : 'a' + d - 10));
            started = 1;
        }
    }
}

void debug_exit(u32 v)
{
    outl(DEBUG_EXIT_PORT, v);
    /* Still here: no isa-debug-exit device.  End the run deterministically. */
    triple_fault();
}

void fail(const char *msg)
{
    serial_puts(msg);
    serial_putc('\n');
    debug_exit(EXIT_FAIL);
}

/* ---- multiboot ---- */
#define MB_INFO_MAGIC 0x2BADB002u

const char *mb_cmdline(void)
{
    if (mb_magic != MB_INFO_MAGIC || !mb_info)
        return 0;
    const u32 *info = (const u32 *)mb_info;
    if (!(info[0] & (1u << 2)) || !info[4])
        return 0;
    return (const char *)info[4];
}

u64 mb_ram_top(void)
{
    if (mb_magic != MB_INFO_MAGIC || !mb_info)
        return 0;
    const u32 *info = (const u32 *)mb_info;
    if (!(info[0] & 1u))
        return 0;
    return 0x100000ull + (u64)info[2] * 1024;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int param_u64(const char *key, u64 *out)
{
    const char *s = mb_cmdline();
    if (!s)
        return 0;
    while (*s) {
        while (is_space(*s))
            s++;
        const char *k = key, *t = s;
        while (*k && *t == *k)
            k++, t++;
        if (!*k && *t == '=') {
            /* found: parse the value */
            t++;
            u64 v = 0;
            int digits = 0, base = 10;
            if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
                base = 16;
                t += 2;
            }
            for (;; t++, digits++) {
                unsigned d;
                if (*t >= '0' && *t <= '9')
                    d = (unsigned)(*t - '0');
                else if (base == 16 && *t >= 'a' && *t <= 'f')
                    d = (unsigned)(*t - 'a' + 10);
                else if (base == 16 && *t >= 'A' && *t <= 'F')
                    d = (unsigned)(*t - 'A' + 10);
                else
                    break;
                v = (base == 16 ? (v << 4) : (v << 3) + (v << 1)) + d;
            }
            switch (*t) {
            case 'k': case 'K': v <<= 10; t++; break;
            case 'm': case 'M': v <<= 20; t++; break;
            case 'g': case 'G': v <<= 30; t++; break;
            default: break;
            }
            if (!digits || (*t && !is_space(*t))) {
                serial_puts("bad parameter: ");
                serial_puts(key);
                fail("=");
            }
            *out = v;
            return 1;
        }
        while (*s && !is_space(*s))
            s++;
    }
    return 0;
}

/* Called by entry.S. */
void payload_start(void)
{
    if (mb_magic != MB_INFO_MAGIC) {
        serial_puts("warning: no multiboot magic in EAX (");
        serial_put_hex(mb_magic);
        serial_puts("), ignoring EBX: defaults only\n");
    }
    payload_main();
    debug_exit(EXIT_FAIL); /* payload_main returned: should not happen */
}

/* ---- paging ---- */
#define PTE_P   0x001ull
#define PTE_RW  0x002ull
#define PTE_US  0x004ull
#define PTE_PWT 0x008ull
#define PTE_PCD 0x010ull
#define PTE_A   0x020ull
#define PTE_D   0x040ull
#define PTE_PS  0x080ull

static u64 pml4[512] __attribute__((aligned(4096)));
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pd[4][512] __attribute__((aligned(4096)));

u32 build_identity_map(void)
{
    /* A and D are preset everywhere (D is ignored in non-leaf entries), so the
     * page walker never writes to the tables. */
    const u64 table = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
    memset(pml4, 0, sizeof(pml4));
    memset(pdpt, 0, sizeof(pdpt));
    pml4[0] = (u32)pdpt | table;
    for (u32 i = 0; i < 4; i++) {
        u64 leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_PS;
        if (i == 3)
            leaf |= PTE_PCD | PTE_PWT; /* 3-4 GiB: MMIO (doorbell, LAPIC, ...) */
        pdpt[i] = (u32)pd[i] | table;
        for (u32 j = 0; j < 512; j++)
            pd[i][j] = ((u64)(i * 512 + j) << 21) | leaf;
    }
    return (u32)pml4;
}

void enter_cpl3(void (*entry)(void))
{
    user_entry = (u32)entry;
    enter_long_mode(build_identity_map(), cpl3_trampoline64);
}

/* ---- interrupts ---- */
extern char exc_stubs[]; /* entry.S: 32 stubs, EXC_STUB_SIZE bytes apart */
#define EXC_STUB_SIZE 8

static u64 idt[IDT_VECTORS] __attribute__((aligned(8)));

void idt_set_gate(u8 vector, const void *handler)
{
    u32 off = (u32)handler;
    /* present, DPL0, 32-bit interrupt gate (type 0xe) */
    idt[vector] = ((u64)((off & 0xffff0000u) | 0x8e00u) << 32) | ((u32)SEL_CODE32 << 16) | (off & 0xffff);
}

void idt_init(void)
{
    struct __attribute__((packed)) { u16 limit; u32 base; } idtr = { sizeof(idt) - 1, (u32)idt };
    memset(idt, 0, sizeof(idt));
    for (u32 v = 0; v < 32; v++)
        idt_set_gate((u8)v, exc_stubs + v * EXC_STUB_SIZE);
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* Called by entry.S's exception stubs: frame[0] is the vector, then the
 * error code if this vector has one, then EIP. */
NORETURN void exception_report(const u32 *frame);
void exception_report(const u32 *frame)
{
    u32 v = frame[0];
    int has_err = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
    serial_puts("exception ");
    serial_put_u64(v);
    serial_puts(" at ");
    serial_put_hex(frame[1 + has_err]);
    if (has_err) {
        serial_puts(" error ");
        serial_put_hex(frame[1]);
    }
    fail("");
}
