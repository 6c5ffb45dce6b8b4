/* dirty.elf: dirties a known set of pages from CPL3 (dirty-log tests).
 *
 * Parameters (bytes; decimal/0x-hex, k/m/g suffixes):
 *   start=  first address          (default 0x1000000 = 16 MiB)
 *   end=    end address, exclusive (default 0x2000000 = 32 MiB)
 *   stride= distance between pages (default 0x3000 = every 3rd 4 KiB page)
 * Written set: addresses start + k*stride < end, k = 0, 1, ...; at each
 * address one byte, value ((addr >> 12) & 0xff) ^ 0xa5.  With the defaults:
 * 1366 pages, 0x1000000, 0x1003000, ..., 0x1fff000.
 * Between doorbell 1 (ready) and doorbell 2 (done) the payload writes to no
 * other memory (registers only, no stack; page tables have A/D preset);
 * the results page is filled before "ready" and completed after "done".
 */
#include "common.h"

u64 dirty_start = 0x1000000, dirty_end = 0x2000000, dirty_stride = 0x3000;

extern void dirty_user(void);

void payload_main(void)
{
    param_u64("start", &dirty_start);
    param_u64("end", &dirty_end);
    param_u64("stride", &dirty_stride);
    u64 top = mb_ram_top();
    if ((dirty_start & 0xfff) || (dirty_stride & 0xfff) || !dirty_stride)
        fail("dirty: start and stride must be non-zero multiples of 4096");
    if (dirty_start < (u32)_end || dirty_end > 0xc0000000ull || dirty_end <= dirty_start)
        fail("dirty: range must lie above the image, below 3 GiB and be non-empty");
    if (top && dirty_end > top)
        fail("dirty: range ends above RAM (mem_upper)");
    /* pages = ceil((end - start) / stride), without 64-bit division */
    u64 pages = 0;
    for (u64 a = dirty_start; a < dirty_end; a += dirty_stride)
        pages++;

    volatile u64 *res = (volatile u64 *)RESULTS_ADDR;
    memset((void *)RESULTS_ADDR, 0, 4096);
    res[0] = dirty_start;
    res[1] = dirty_end;
    res[2] = dirty_stride;
    res[3] = pages;
    serial_puts("dirty: start=");
    serial_put_hex(dirty_start);
    serial_puts(" end=");
    serial_put_hex(dirty_end);
    serial_puts(" stride=");
    serial_put_hex(dirty_stride);
    serial_puts(" pages=");
    serial_put_u64(pages);
    serial_puts("\ncpl3: entering\n");
    enter_cpl3(dirty_user);
}

__asm__(
    ".pushsection .text\n"
    ".code64\n"
    ".globl dirty_user\n"
    "dirty_user:\n"
    "    movl  $0xd0000000, %edi\n"
    "    movq  dirty_start(%rip), %rsi\n"
    "    movq  dirty_end(%rip), %r8\n"
    "    movq  dirty_stride(%rip), %r9\n"
    "    xorl  %ecx, %ecx\n"              /* pages written */
    "    movl  $1, (%rdi)\n"              /* doorbell: ready */
    "    cmpq  %r8, %rsi\n"
    "    jae   2f\n"
    "1:  movq  %rsi, %rax\n"
    "    shrq  $12, %rax\n"
    "    xorb  $0xa5, %al\n"
    "    movb  %al, (%rsi)\n"
    "    incq  %rcx\n"
    "    addq  %r9, %rsi\n"
    "    cmpq  %r8, %rsi\n"
    "    jb    1b\n"
    "2:  movl  $2, (%rdi)\n"              /* doorbell: done */
    "    movl  $0x5000, %ebx\n"
    "    movq  %rcx, 0x20(%rbx)\n"
    "    movq  $0x454e4f44, 0x28(%rbx)\n" /* "DONE" */
    "    ud2\n"
    ".code32\n"
    ".popsection\n");
