/* cpl3-loop.elf: native-speed compute at CPL3.
 *
 * Parameter: n=<count> (default 2^32): iterations of a `dec %rcx; jnz` loop.
 * Results page (0x5000): see README.md.
 * CPL3: doorbell 1 (ready), loop, write results, doorbell 2 (done), ud2
 * (=> triple fault, the run ends).
 */
#include "common.h"

u64 param_n = 1ull << 32;

extern void cpl3_loop_user(void);

void payload_main(void)
{
    param_u64("n", &param_n);
    volatile u64 *res = (volatile u64 *)RESULTS_ADDR;
    memset((void *)RESULTS_ADDR, 0, 4096);
    res[0] = param_n;
    serial_puts("cpl3-loop: n=");
    serial_put_u64(param_n);
    serial_puts("\ncpl3: entering\n");
    enter_cpl3(cpl3_loop_user);
}

__asm__(
    ".pushsection .text\n"
    ".code64\n"
    ".globl cpl3_loop_user\n"
    "cpl3_loop_user:\n"
    "    movl  $0xd0000000, %edi\n"
    "    movl  $1, (%rdi)\n"              /* doorbell: ready */
    "    movq  param_n(%rip), %rcx\n"
    "    movq  %rcx, %r8\n"
    "    rdtsc\n"
    "    shlq  $32, %rdx\n"
    "    orq   %rdx, %rax\n"
    "    movq  %rax, %r9\n"               /* tsc at start */
    "    testq %rcx, %rcx\n"
    "    jz    2f\n"
    "    .p2align 4\n"
    "1:  decq  %rcx\n"
    "    jnz   1b\n"
    "2:  rdtsc\n"
    "    shlq  $32, %rdx\n"
    "    orq   %rdx, %rax\n"
    "    subq  %rcx, %r8\n"               /* iterations done */
    "    movl  $0x5000, %ebx\n"
    "    movq  %r8, 0x08(%rbx)\n"
    "    movq  %r9, 0x18(%rbx)\n"
    "    movq  %rax, 0x20(%rbx)\n"
    "    movq  $0x454e4f44, 0x10(%rbx)\n" /* "DONE" */
    "    movl  $2, (%rdi)\n"              /* doorbell: done */
    "    ud2\n"                           /* no way back to CPL0: triple fault */
    ".code32\n"
    ".popsection\n");
