/* Every command table; a new qmp-cmds-*.c file adds one line here. */
#include "monitor/qmp-dispatch.h"

extern const QmpCommandDef qmp_commands_control[];
extern const QmpCommandDef qmp_commands_run_state[];
extern const QmpCommandDef qmp_commands_machine[];
extern const QmpCommandDef qmp_commands_qom[];
extern const QmpCommandDef qmp_commands_char[];
extern const QmpCommandDef qmp_commands_pci[];
extern const QmpCommandDef qmp_commands_fd[];
extern const QmpCommandDef qmp_commands_hmp[];
extern const QmpCommandDef qmp_commands_block[];
extern const QmpCommandDef qmp_commands_device[];

const QmpCommandDef *const qmp_command_tables[] = {
    qmp_commands_control,
    qmp_commands_run_state,
    qmp_commands_machine,
    qmp_commands_qom,
    qmp_commands_char,
    qmp_commands_pci,
    qmp_commands_fd,
    qmp_commands_hmp,
    qmp_commands_block,
    qmp_commands_device,
    NULL,
};
