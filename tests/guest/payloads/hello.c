/* hello.elf: CPL0 only.  Prints one line on COM1 and exits with EXIT_OK. */
#include "common.h"

void payload_main(void)
{
    serial_puts("hello from tern payload\n");
    debug_exit(EXIT_OK);
}
