/* poweroff.elf: CPL0 only.  Prints one line, then requests ACPI soft-off
 * (S5) through PM1a_CNT at 0x604, the port Tern's FADT names: SLP_TYP 0
 * (the DSDT's \_S5) with SLP_EN.  If the VMM ignores it: EXIT_FAIL. */
#include "common.h"

static inline void outw(u16 port, u16 v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }

void payload_main(void)
{
    serial_puts("poweroff: requesting S5\n");
    outw(0x604, 1 << 13);
    debug_exit(EXIT_FAIL);
}
