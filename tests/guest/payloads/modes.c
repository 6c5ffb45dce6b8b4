/* modes.elf: 32-bit protected -> 64-bit long -> 16-bit real mode, CPL0.
 *
 * 1. Entered by the multiboot loader in 32-bit protected mode (checks
 *    CR0.PE=1, PG=0): prints "mode: 32-bit protected".
 * 2. Builds an identity map, enables PAE + EFER.LME + CR0.PG, far-jumps to a
 *    64-bit code segment, checks EFER.LMA: prints "mode: 64-bit long".
 * 3. lretq to a 32-bit compatibility-mode segment, clears CR0.PG (leaves long
 *    mode), EFER.LME, CR4.PAE, far-jumps to a 16-bit protected-mode segment
 *    running a blob copied to 0x7000, clears CR0.PE, far-jumps to real-mode
 *    CS=0x0700, checks CR0.PE=0 (smsw): prints "mode: 16-bit real" with
 *    real-mode port I/O and exits with EXIT_OK from real mode.
 * Any failed check prints "mode: FAIL ..." and exits with EXIT_FAIL.
 * Uses low memory 0x6000-0x7fff (real-mode stack below 0x7000, blob at 0x7000).
 */
#include "common.h"

#define RM_BLOB_ADDR 0x7000u

extern void modes_long64(void);
extern char rm_blob[], rm_blob_end[];

void payload_main(void)
{
    u32 cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    if (!(cr0 & 1) || (cr0 & 0x80000000u))
        fail("mode: FAIL: not in 32-bit protected mode without paging at entry");
    serial_puts("mode: 32-bit protected\n");
    memcpy((void *)RM_BLOB_ADDR, rm_blob, (uptr)(rm_blob_end - rm_blob));
    enter_long_mode(build_identity_map(), modes_long64);
}

__asm__(
    ".pushsection .text\n"
    /* ---- 64-bit long mode, CPL0 ---- */
    ".code64\n"
    ".globl modes_long64\n"
    "modes_long64:\n"
    "    movl  $0xC0000080, %ecx\n"
    "    rdmsr\n"
    "    testl $0x400, %eax\n"             /* EFER.LMA */
    "    jz    1f\n"
    "    movq  $0x123456789, %rax\n"       /* a 64-bit-only operation */
    "    shrq  $32, %rax\n"
    "    cmpq  $1, %rax\n"
    "    jne   1f\n"
    "    leaq  msg64(%rip), %rsi\n"
    "    call  puts64\n"
    "    pushq $0x08\n"                    /* to 32-bit compatibility mode */
    "    leaq  modes_back32(%rip), %rax\n"
    "    pushq %rax\n"
    "    lretq\n"
    "1:  leaq  msg64fail(%rip), %rsi\n"
    "    call  puts64\n"
    "    movl  $0x11, %eax\n"
    "    movw  $0xf4, %dx\n"
    "    outl  %eax, %dx\n"
    "    ud2\n"
    "puts64:\n"                            /* rsi = NUL-terminated string */
    "    lodsb\n"
    "    testb %al, %al\n"
    "    jz    3f\n"
    "    movb  %al, %bl\n"
    "    movw  $0x3fd, %dx\n"
    "    movl  $1000, %ecx\n"
    "2:  inb   %dx, %al\n"
    "    testb $0x20, %al\n"
    "    jnz   4f\n"
    "    decl  %ecx\n"
    "    jnz   2b\n"
    "4:  movw  $0x3f8, %dx\n"
    "    movb  %bl, %al\n"
    "    outb  %al, %dx\n"
    "    jmp   puts64\n"
    "3:  ret\n"
    /* ---- 32-bit compatibility mode -> legacy protected mode ---- */
    ".code32\n"
    "modes_back32:\n"
    "    movl  %cr0, %eax\n"
    "    andl  $0x7fffffff, %eax\n"        /* PG off: leaves long mode */
    "    movl  %eax, %cr0\n"
    "    movl  $0xC0000080, %ecx\n"
    "    rdmsr\n"
    "    andl  $~0x100, %eax\n"            /* LME off */
    "    wrmsr\n"
    "    movl  %cr4, %eax\n"
    "    andl  $~0x20, %eax\n"             /* PAE off */
    "    movl  %eax, %cr4\n"
    "    xorl  %eax, %eax\n"
    "    movl  %eax, %cr3\n"
    "    ljmp  $0x30, $(0x7000 + rm_pm16 - rm_blob)\n"
    /* ---- blob copied to 0x7000: 16-bit protected mode -> real mode ---- */
    ".code16\n"
    ".globl rm_blob, rm_blob_end\n"
    "rm_blob:\n"
    "rm_pm16:\n"
    "    movw  $0x38, %ax\n"
    "    movw  %ax, %ds\n"
    "    movw  %ax, %es\n"
    "    movw  %ax, %ss\n"
    "    movw  %ax, %fs\n"
    "    movw  %ax, %gs\n"
    "    movl  %cr0, %eax\n"
    "    andl  $0xfffffffe, %eax\n"        /* PE off */
    "    movl  %eax, %cr0\n"
    "    ljmp  $0x0700, $(rm_real - rm_blob)\n"
    "rm_real:\n"
    "    movw  $0x0700, %ax\n"
    "    movw  %ax, %ds\n"
    "    movw  %ax, %es\n"
    "    xorw  %ax, %ax\n"
    "    movw  %ax, %fs\n"
    "    movw  %ax, %gs\n"
    "    movw  %ax, %ss\n"
    "    movw  $0x7000, %sp\n"
    "    smsw  %ax\n"
    "    testb $1, %al\n"
    "    jnz   1f\n"
    "    movw  %cs, %ax\n"
    "    cmpw  $0x0700, %ax\n"
    "    jne   1f\n"
    "    movw  $(rm_msg - rm_blob), %si\n"
    "    call  rm_puts\n"
    "    movl  $0x10, %eax\n"
    "    movw  $0xf4, %dx\n"
    "    outl  %eax, %dx\n"
    "2:  cli\n"
    "    hlt\n"
    "    jmp   2b\n"
    "1:  movw  $(rm_msgfail - rm_blob), %si\n"
    "    call  rm_puts\n"
    "    movl  $0x11, %eax\n"
    "    movw  $0xf4, %dx\n"
    "    outl  %eax, %dx\n"
    "    jmp   2b\n"
    "rm_puts:\n"                           /* ds:si = NUL-terminated string */
    "    lodsb\n"
    "    testb %al, %al\n"
    "    jz    3f\n"
    "    movb  %al, %bl\n"
    "    movw  $0x3fd, %dx\n"
    "    movw  $1000, %cx\n"
    "4:  inb   %dx, %al\n"
    "    testb $0x20, %al\n"
    "    jnz   5f\n"
    "    decw  %cx\n"
    "    jnz   4b\n"
    "5:  movw  $0x3f8, %dx\n"
    "    movb  %bl, %al\n"
    "    outb  %al, %dx\n"
    "    jmp   rm_puts\n"
    "3:  ret\n"
    "rm_msg:     .asciz \"mode: 16-bit real\\n\"\n"
    "rm_msgfail: .asciz \"mode: FAIL: not in real mode\\n\"\n"
    "rm_blob_end:\n"
    ".code32\n"
    ".popsection\n"
    ".pushsection .rodata\n"
    "msg64:     .asciz \"mode: 64-bit long\\n\"\n"
    "msg64fail: .asciz \"mode: FAIL: EFER.LMA not set\\n\"\n"
    ".popsection\n");
