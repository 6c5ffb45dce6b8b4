/* An in-process PC board for device tests: built from a command line as
 * tern would parse it ("-M pc -nodefaults -S" plus extra arguments), with
 * its vCPUs held, so tests drive devices through the port and memory
 * address spaces as firmware would. */
#pragma once
#include <stdint.h>

#include "board/pc.h"

typedef struct Board {
    MachineConfig *cfg;
    Machine *m;
} Board;

/* extra: NULL-terminated arguments after the base line, or NULL. */
void board_init(Board *b, const char *const *extra);
/* The same from a base line of one's own (NULL-terminated, after "tern"). */
void board_init_args(Board *b, const char *const *base, const char *const *extra);
void board_free(Board *b);
uint64_t board_in(Board *b, uint16_t port, unsigned size);
void board_out(Board *b, uint16_t port, uint64_t value, unsigned size);
