/* counter.elf: endless CPL3 loop for pause/resume and migration tests.
 *
 * Results area (starts at 0x5000, extends to 0x60ff):
 *   0x5000 u64 counter C: iterations completed
 *   0x5008 u64 magic 0x544e554f43 ("COUNT"), written at CPL0
 *   0x5100 u64 slot[512]: iteration i stores i into slot[i % 512]
 * Iteration i (i = 0, 1, ...): slot[i % 512] = i; then C = i + 1.
 * Invariant at any instant the vCPU is stopped (C read first, then slots):
 *   slot[j % 512] == j for every j with max(0, C - 511) <= j < C, and
 *   slot[C % 512] is C (iteration C already stored) or its older value
 *   (C - 512, or 0 if C < 512).  Across pause/resume C only grows.
 * CPL3: doorbell 1 (ready) then the loop, forever; nothing else is written.
 */
#include "common.h"

extern void counter_user(void);

void payload_main(void)
{
    volatile u64 *res = (volatile u64 *)RESULTS_ADDR;
    memset((void *)RESULTS_ADDR, 0, 0x1100);
    res[1] = 0x544e554f43ull;
    serial_puts("counter: endless loop, results at 0x5000\ncpl3: entering\n");
    enter_cpl3(counter_user);
}

__asm__(
    ".pushsection .text\n"
    ".code64\n"
    ".globl counter_user\n"
    "counter_user:\n"
    "    movl  $0xd0000000, %edi\n"
    "    movl  $1, (%rdi)\n"              /* doorbell: ready */
    "    movl  $0x5000, %ebx\n"
    "    xorl  %eax, %eax\n"              /* i */
    "    .p2align 4\n"
    "1:  movl  %eax, %ecx\n"
    "    andl  $511, %ecx\n"
    "    movq  %rax, 0x100(%rbx,%rcx,8)\n" /* slot[i % 512] = i */
    "    incq  %rax\n"
    "    movq  %rax, (%rbx)\n"            /* C = i + 1 */
    "    jmp   1b\n"
    ".code32\n"
    ".popsection\n");
