/* Reading block options out of a JsonObject, typed as QEMU's QAPI schema
 * types them. The same object may come from JSON (-blockdev '{...}',
 * blockdev-add: values typed) or from dotted key=value strings (-blockdev
 * a=b,c.d=e, -drive: every value a string), which changes the error text
 * as QEMU's visitors do. Keys read are remembered so that whatever nobody
 * read is reported as unexpected. */
#pragma once
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    BLOCK_OPTS_JSON,      /* typed values */
    BLOCK_OPTS_KEYVAL,    /* -blockdev dotted: strings */
    BLOCK_OPTS_DRIVE,     /* -drive: strings, -drive's wording for unknown keys */
} BlockOptsMode;

typedef struct BlockOpts {
    JsonObject *obj;          /* referenced */
    char *prefix;             /* "" or "file." (for error messages) */
    BlockOptsMode mode;
    GHashTable *used;         /* keys read */
} BlockOpts;

BlockOpts *block_opts_new(JsonObject *obj, const char *prefix, BlockOptsMode mode);
void block_opts_free(BlockOpts *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BlockOpts, block_opts_free)

bool block_opts_has(BlockOpts *r, const char *key);
/* Each getter leaves *out alone when the key is absent and returns true;
 * false with QEMU's error when the value has the wrong type. */
bool block_opts_str(BlockOpts *r, const char *key, const char **out, GError **errp);
bool block_opts_bool(BlockOpts *r, const char *key, bool *out, GError **errp);
bool block_opts_int(BlockOpts *r, const char *key, int64_t *out, GError **errp);
bool block_opts_size(BlockOpts *r, const char *key, uint64_t *out, GError **errp);
/* An enum given by its QAPI names (NULL-terminated); *out is the index. */
bool block_opts_enum(BlockOpts *r, const char *key, const char *const *names, int *out,
                     GError **errp);
/* A nested object (cache, file); NULL when absent or not an object. */
JsonObject *block_opts_object(BlockOpts *r, const char *key);
/* A child reference: an object (returned in *obj) or a node-name string
 * (in *ref). Missing: both NULL. */
bool block_opts_child(BlockOpts *r, const char *key, JsonObject **obj, const char **ref,
                      GError **errp);
/* Marks a key read without looking at it (accepted and ignored). */
void block_opts_accept(BlockOpts *r, const char *key);
/* The first key nobody read, as QEMU reports it. driver_name is used by the
 * -drive wording ("Block format 'raw' does not support the option 'x'"). */
bool block_opts_check_unused(BlockOpts *r, const char *driver_name, bool is_protocol,
                             GError **errp);
/* "a.b=1,a.c=x,d=y" → {"a": {"b": "1", "c": "x"}, "d": "y"} (values strings).
 * Keys given twice: the later wins (QEMU's keyval too). */
JsonObject *block_keyval_parse(const char *str, GError **errp);
