/* Shared declarations for Tern's guest test payloads.
 *
 * All payloads are freestanding 32-bit (i386) C + asm, linked at 1 MiB into a
 * Multiboot v1 ELF32 image.  See README.md for the conventions.
 * This code runs at CPL0, which the workplace's KVM emulates (~1M instr/s):
 * keep it short.  Anything that must run fast goes into .code64 asm that runs
 * at CPL3 (see enter_cpl3()).
 */
#ifndef TERN_PAYLOAD_COMMON_H
#define TERN_PAYLOAD_COMMON_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr;

#define NORETURN __attribute__((noreturn))

/* ---- conventions (keep in sync with README.md) ---- */
#define COM1_BASE        0x3f8
#define DEBUG_EXIT_PORT  0xf4
#define EXIT_OK          0x10 /* process exit status (0x10<<1)|1 = 33 */
#define EXIT_FAIL        0x11 /* process exit status (0x11<<1)|1 = 35 */

#define DOORBELL_ADDR    0xd0000000u /* 32-bit MMIO write: 1 = ready, 2 = done */
#define MMIO_DATA_ADDR   0xd0000010u /* mmio-exits.elf writes here */
#define DOORBELL_READY   1
#define DOORBELL_DONE    2

#define RESULTS_ADDR     0x5000u
#define DONE_MAGIC       0x454e4f44u /* "DONE" as little-endian bytes */

/* GDT selectors (entry.S) */
#define SEL_CODE32   0x08
#define SEL_DATA     0x10
#define SEL_CODE64   0x18
#define SEL_UDATA    0x23 /* 0x20 | RPL 3 */
#define SEL_UCODE64  0x2b /* 0x28 | RPL 3 */
#define SEL_CODE16   0x30
#define SEL_DATA16   0x38

/* ---- multiboot state saved by entry.S ---- */
extern u32 mb_magic;     /* EAX at entry, 0x2BADB002 if loaded by a multiboot loader */
extern u32 mb_info;      /* EBX at entry */
extern char _end[];      /* end of the loaded image incl. .bss (link.ld) */

/* ---- port I/O, serial, exit ---- */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void cpu_pause(void) { __asm__ volatile("pause" ::: "memory"); }

void serial_putc(char c);
void serial_puts(const char *s);
void serial_put_u64(u64 v);       /* decimal */
void serial_put_hex(u64 v);       /* 0x-prefixed hex */
NORETURN void debug_exit(u32 v);  /* isa-debug-exit; falls back to a triple fault */
NORETURN void fail(const char *msg); /* prints msg + "\n", debug_exit(EXIT_FAIL) */

/* ---- command line ---- */
const char *mb_cmdline(void);      /* NULL when none */
/* Looks up "key=value" in the multiboot command line.  Value: decimal or
 * 0x-hex, optional suffix k/K, m/M, g/G (x 2^10, 2^20, 2^30).
 * Returns 1 and sets *out if present and valid, 0 if absent (*out untouched);
 * prints a message and exits with EXIT_FAIL if present but malformed. */
int param_u64(const char *key, u64 *out);
u64 mb_ram_top(void);             /* 1 MiB + mem_upper KiB, or 0 if unknown */

/* ---- memory ---- */
void *memset(void *d, int c, uptr n);
void *memcpy(void *d, const void *s, uptr n);

/* ---- long mode / CPL3 ---- */
/* Builds the identity map of [0, 4 GiB) with 2 MiB pages (U/S, R/W, A and D
 * preset; 3-4 GiB uncached) and returns the PML4's physical address. */
u32 build_identity_map(void);
/* Enables PAE + long mode with the given PML4 and far-jumps to the 64-bit
 * code at entry64 (CPL0, CS=SEL_CODE64, RSP = current ESP zero-extended). */
NORETURN void enter_long_mode(u32 pml4, void (*entry64)(void));
/* build_identity_map() + enter_long_mode() + iretq to user_entry at CPL3
 * (CS=SEL_UCODE64, SS=SEL_UDATA, RFLAGS=0x2 i.e. IF=0, RSP=user stack in
 * .bss, all GPRs zero).  There is no way back to CPL0 afterwards. */
NORETURN void enter_cpl3(void (*user_entry)(void));

/* ---- interrupts (32-bit protected mode, CPL0) ---- */
#define IDT_VECTORS 256
/* Loads a 256-entry IDT.  Vectors 0-31 get stubs that print
 * "exception <v> at <eip>" (plus the error code where the CPU pushes one)
 * and exit with EXIT_FAIL; every other vector stays an empty descriptor
 * (taking it is a #GP, reported the same way) until idt_set_gate().  On
 * this host `int n` at CPL0 is an emulation failure anyway (HOST.md); `ud2`
 * and other faults are reported.  A payload that never calls
 * this keeps entry.S's null IDT, where any exception triple-faults. */
void idt_init(void);
/* 32-bit interrupt gate (IF cleared on entry, DPL0) on SEL_CODE32.  The
 * handler is an entry stub, normally one made by DEFINE_ISR(). */
void idt_set_gate(u8 vector, const void *handler);

/* DEFINE_ISR(stub, fn) defines the entry stub `stub` for idt_set_gate(): it
 * saves EAX/ECX/EDX, calls the C function `void fn(void)` (which must have
 * external linkage) and leaves through isr_return (entry.S).
 * isr_return does not use `iret`: this host's CPL0 emulator cannot emulate a
 * protected-mode iret (KVM_EXIT_INTERNAL_ERROR, emulation failure; KVM's
 * x86 emulator only implements the real-mode one).  For an interrupt taken
 * at CPL0 with no stack or CS change, `pushl 8(%esp); popfl; ret $8` does the
 * same: EFLAGS from the frame, then pop EIP and drop CS and EFLAGS.  Set
 * isr_use_iret = 1 to return with a real iret instead. */
#define DEFINE_ISR(stub, fn)                                   \
    void fn(void);                                             \
    void stub(void);                                           \
    __asm__(".pushsection .text\n"                             \
            ".p2align 4\n"                                     \
            #stub ":\n"                                        \
            "    pushl %eax\n"                                 \
            "    pushl %ecx\n"                                 \
            "    pushl %edx\n"                                 \
            "    cld\n"                                        \
            "    call " #fn "\n"                               \
            "    popl  %edx\n"                                 \
            "    popl  %ecx\n"                                 \
            "    popl  %eax\n"                                 \
            "    jmp   isr_return\n"                           \
            ".popsection\n")
extern u32 isr_use_iret;
static inline void cpu_sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
/* `sti; hlt` is atomic (the sti shadow covers hlt): an interrupt that becomes
 * pending in between wakes the hlt instead of being taken before it. */
static inline void cpu_sti_hlt_cli(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }

/* Each payload defines payload_main(); entry.S calls payload_start() (which
 * calls payload_main()) with a flat GDT, a stack in .bss and an IDT of
 * limit 0 (any exception triple-faults). */
void payload_main(void);
void payload_start(void);

#endif
