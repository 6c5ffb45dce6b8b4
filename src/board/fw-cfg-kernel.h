/* -kernel/-initrd/-append handed to firmware through fw_cfg. */
#pragma once
#include <glib.h>
#include <stdbool.h>

typedef struct Machine Machine;

bool fw_cfg_load_kernel(Machine *m, GError **errp);
