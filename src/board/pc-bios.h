/* The PC firmware ROM: -bios FILE, or SeaBIOS when there is no -kernel. */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef struct Machine Machine;
typedef struct MachineConfig MachineConfig;

/* Firmware runs unless a -kernel is booted directly (and no -bios). */
bool pc_bios_wanted(const MachineConfig *cfg);
/* Maps the image below 4 GiB and its last 128 KiB at 0xe0000. */
bool pc_bios_load(Machine *m, GError **errp);
/* A directly booted kernel has no firmware: this does the part of the
 * firmware's work the OS relies on (after every reset). */
void pc_bios_stand_in(Machine *m);
