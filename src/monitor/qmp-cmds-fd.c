#include "monitor/qmp-dispatch.h"

const QmpCommandDef qmp_commands_fd[] = {
    { NULL },
};
