#include "main/runstate.h"

const char *runstate_name(RunState s)
{
    switch (s) {
    case RUN_STATE_PRELAUNCH: return "prelaunch";
    case RUN_STATE_RUNNING: return "running";
    case RUN_STATE_PAUSED: return "paused";
    case RUN_STATE_SHUTDOWN: return "shutdown";
    case RUN_STATE_INTERNAL_ERROR: return "internal-error";
    case RUN_STATE_GUEST_PANICKED: return "guest-panicked";
    case RUN_STATE_IO_ERROR: return "io-error";
    case RUN_STATE__MAX: break;
    }
    return "unknown";
}

const char *shutdown_cause_name(ShutdownCause c)
{
    switch (c) {
    case SHUTDOWN_CAUSE_NONE: return "none";
    case SHUTDOWN_CAUSE_HOST_ERROR: return "host-error";
    case SHUTDOWN_CAUSE_HOST_QMP_QUIT: return "host-qmp-quit";
    case SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET: return "host-qmp-system-reset";
    case SHUTDOWN_CAUSE_HOST_SIGNAL: return "host-signal";
    case SHUTDOWN_CAUSE_GUEST_SHUTDOWN: return "guest-shutdown";
    case SHUTDOWN_CAUSE_GUEST_RESET: return "guest-reset";
    case SHUTDOWN_CAUSE_GUEST_PANIC: return "guest-panic";
    case SHUTDOWN_CAUSE__MAX: break;
    }
    return "none";
}

bool runstate_is_running(RunState s)
{
    return s == RUN_STATE_RUNNING;
}

bool shutdown_cause_is_guest(ShutdownCause c)
{
    return c == SHUTDOWN_CAUSE_GUEST_SHUTDOWN || c == SHUTDOWN_CAUSE_GUEST_RESET ||
           c == SHUTDOWN_CAUSE_GUEST_PANIC;
}
