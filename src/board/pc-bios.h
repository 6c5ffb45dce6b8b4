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
/* Writes the ROM's last 128 KiB to RAM at 0xe0000 (and at every reset
 * after): at the first start with KVM, so that a VM held in prelaunch
 * has touched none of its RAM; at once in qtest mode. */
bool pc_bios_install(Machine *m, GError **errp);
/* A directly booted kernel has no firmware: this does the part of the
 * firmware's work the OS relies on (after every reset). */
void pc_bios_stand_in(Machine *m);
