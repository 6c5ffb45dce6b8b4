/* mmio-exits.elf: n MMIO exits from CPL3.
 *
 * Parameter: n=<count> (default 1048576): number of 4-byte writes to
 * 0xd0000010 (value = loop index, low 32 bits), each one an MMIO exit.
 * Results page (0x5000): see README.md.
 * CPL3: doorbell 1 (ready), n writes, write results, doorbell 2 (done), ud2.
 */
#include "common.h"

u64 param_n = 1048576;

extern void mmio_exits_user(void);

void payload_main(void)
{
    param_u64("n", &param_n);
    volatile u64 *res = (volatile u64 *)RESULTS_ADDR;
    memset((void *)RESULTS_ADDR, 0, 4096);
    res[0] = param_n;
    serial_puts("mmio-exits: n=");
    serial_put_u64(param_n);
    serial_puts("\ncpl3: entering\n");
    enter_cpl3(mmio_exits_user);
}

__asm__(
    ".pushsection .text\n"
    ".code64\n"
    ".globl mmio_exits_user\n"
    "mmio_exits_user:\n"
    "    movl  $0xd0000000, %edi\n"
    "    movl  $0xd0000010, %esi\n"
    "    movl  $1, (%rdi)\n"              /* doorbell: ready */
    "    movq  param_n(%rip), %r8\n"
    "    rdtsc\n"
    "    shlq  $32, %rdx\n"
    "    orq   %rdx, %rax\n"
    "    movq  %rax, %r9\n"               /* tsc at start */
    "    xorl  %ecx, %ecx\n"              /* loop index */
    "    testq %r8, %r8\n"
    "    jz    2f\n"
    "1:  movl  %ecx, (%rsi)\n"            /* the MMIO exit */
    "    incq  %rcx\n"
    "    cmpq  %r8, %rcx\n"
    "    jne   1b\n"
    "2:  rdtsc\n"
    "    shlq  $32, %rdx\n"
    "    orq   %rdx, %rax\n"
    "    movl  $0x5000, %ebx\n"
    "    movq  %rcx, 0x08(%rbx)\n"
    "    movq  %r9, 0x18(%rbx)\n"
    "    movq  %rax, 0x20(%rbx)\n"
    "    movq  $0x454e4f44, 0x10(%rbx)\n" /* "DONE" */
    "    movl  $2, (%rdi)\n"              /* doorbell: done */
    "    ud2\n"
    ".code32\n"
    ".popsection\n");
