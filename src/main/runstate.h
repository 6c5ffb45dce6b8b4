/* Run states, named as QMP's query-status reports them. */
#pragma once
#include <stdbool.h>

typedef enum {
    RUN_STATE_PRELAUNCH,
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,
    RUN_STATE_SHUTDOWN,
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE_GUEST_PANICKED,
    RUN_STATE_IO_ERROR,         /* werror/rerror=stop */
    RUN_STATE__MAX,
} RunState;

/* Why the VM is going down or resetting (QMP's ShutdownCause). */
typedef enum {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_HOST_ERROR,
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    SHUTDOWN_CAUSE_HOST_SIGNAL,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
    SHUTDOWN_CAUSE_GUEST_RESET,
    SHUTDOWN_CAUSE_GUEST_PANIC,
    SHUTDOWN_CAUSE__MAX,
} ShutdownCause;

const char *runstate_name(RunState s);
const char *shutdown_cause_name(ShutdownCause c);
bool runstate_is_running(RunState s);
/* True when the guest caused it (the SHUTDOWN/RESET events' "guest" field). */
bool shutdown_cause_is_guest(ShutdownCause c);
