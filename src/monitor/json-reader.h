/* A streaming JSON reader for QMP: bytes go in as they arrive, whole
 * top-level values come out. It accepts what QEMU's QMP parser accepts
 * (RFC 8259 plus single-quoted strings) and reports errors with QEMU's
 * texts, so a client sees the same "JSON parse error, ..." replies.
 * Values are json-glib nodes. Limits: nesting depth 1024, 64 MiB and
 * 2 M tokens per message, as QEMU. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_NESTING 1024
#define JSON_MAX_MESSAGE_SIZE (64u << 20)
#define JSON_MAX_TOKEN_COUNT (2u << 20)

typedef struct QJsonReader QJsonReader;

/* Called once per top-level value: exactly one of value/error is set.
 * value is owned by the callee; error is a message such as
 * "JSON parse error, expecting value". */
typedef void (*QJsonReaderEmit)(void *opaque, JsonNode *value, const char *error);

QJsonReader *qjson_reader_new(QJsonReaderEmit emit, void *opaque);
void qjson_reader_free(QJsonReader *r);
void qjson_reader_feed(QJsonReader *r, const char *buf, size_t len);
/* Forgets a partial message (the client went away). */
void qjson_reader_reset(QJsonReader *r);

/* Parses one complete value (tests, command-line JSON). */
JsonNode *qjson_parse(const char *text, GError **errp);

/* \u0000 cannot live in a C string; like QEMU, it is kept as the
 * overlong UTF-8 pair C0 80 and written back as \u0000. */
#define JSON_NUL_UTF8 "\xc0\x80"
