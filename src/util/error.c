#include "util/error.h"

#include <stdarg.h>

G_DEFINE_QUARK(tern-error-quark, tern_error)

const char *tern_error_class_name(const GError *err)
{
    if (err->domain != TERN_ERROR) {
        return "GenericError";
    }
    switch ((TernErrorClass)err->code) {
    case TERN_ERROR_GENERIC:
        return "GenericError";
    case TERN_ERROR_COMMAND_NOT_FOUND:
        return "CommandNotFound";
    case TERN_ERROR_DEVICE_NOT_FOUND:
        return "DeviceNotFound";
    case TERN_ERROR_DEVICE_NOT_ACTIVE:
        return "DeviceNotActive";
    case TERN_ERROR_KVM_MISSING_CAP:
        return "KVMMissingCap";
    }
    return "GenericError";
}

bool tern_fail(GError **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(errp, TERN_ERROR, TERN_ERROR_GENERIC, msg);
    return false;
}
