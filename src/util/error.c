#include "util/error.h"

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
