/* Error domain for Tern. Codes mirror QMP's error classes so the monitor can
 * report them unchanged; everything not listed is a GenericError. */
#pragma once
#include <glib.h>
#include <stdbool.h>

#define TERN_ERROR tern_error_quark()
GQuark tern_error_quark(void);

typedef enum {
    TERN_ERROR_GENERIC,
    TERN_ERROR_COMMAND_NOT_FOUND,
    TERN_ERROR_DEVICE_NOT_FOUND,
    TERN_ERROR_DEVICE_NOT_ACTIVE,
    TERN_ERROR_KVM_MISSING_CAP,
} TernErrorClass;

const char *tern_error_class_name(const GError *err);

/* Sets a GenericError and returns false: `return tern_fail(errp, ...)`. */
bool tern_fail(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
