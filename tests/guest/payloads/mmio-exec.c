/* mmio-exec.elf: CPL0 only.  Prints one line, then jumps to 0xd0000000,
 * where there is no RAM.  KVM cannot fetch instructions from MMIO, so
 * this produces a KVM internal error (emulation failure) on any host: the
 * way to test the VMM's internal-error report and run state. */
#include "common.h"

void payload_main(void)
{
    serial_puts("mmio-exec: jumping to 0xd0000000\n");
    void (*f)(void) = (void (*)(void))0xd0000000u;
    f();
    debug_exit(EXIT_FAIL);
}
