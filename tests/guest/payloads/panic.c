/* panic.elf: CPL0 only.  Reports a guest panic through isa-pvpanic (port
 * 0x505, bit 0), as Linux's pvpanic driver does.  If the VMM lets the
 * guest run on (panic action "none"), it exits with EXIT_OK so a test
 * can tell the actions apart. */
#include "common.h"


void payload_main(void)
{
    serial_puts("panic: reporting a panic\n");
    outb(0x505, 1);
    debug_exit(EXIT_OK);
}
