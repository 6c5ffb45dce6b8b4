/* Writes json-glib nodes the way QEMU's QMP does, so replies are
 * byte-for-byte what QEMU clients see: ", " and ": " separators, every
 * non-ASCII character as \uXXXX (upper-case hex), doubles with 17
 * significant digits, and QEMU's 4-space layout for pretty=on. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

void qjson_write(GString *out, JsonNode *node, bool pretty);
char *qjson_to_string(JsonNode *node, bool pretty);
