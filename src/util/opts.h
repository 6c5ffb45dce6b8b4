/* QEMU-style option strings: "value,key=value,flag,key=a,,b".
 * The first element may omit its key (the "implied" key); ",," is a literal
 * comma. Keys are looked up by the consumer; opts_check_all_used() reports
 * the first key nobody asked for, as QEMU's "Invalid parameter" does. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct TernOpts TernOpts;

TernOpts *opts_parse(const char *str, const char *implied_key, GError **errp);
void opts_free(TernOpts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TernOpts, opts_free)

const char *opts_source(const TernOpts *opts);
/* Last value given for key (QEMU: later wins), marking it used; NULL if absent. */
const char *opts_get(TernOpts *opts, const char *key);
bool opts_has(TernOpts *opts, const char *key);
bool opts_get_bool(TernOpts *opts, const char *key, bool def, bool *out, GError **errp);
bool opts_get_u64(TernOpts *opts, const char *key, uint64_t def, uint64_t *out, GError **errp);
bool opts_get_size(TernOpts *opts, const char *key, uint64_t def, uint64_t *out, GError **errp);
/* Mark a key as used without reading it (accepted and ignored). */
void opts_accept(TernOpts *opts, const char *key);
bool opts_check_all_used(TernOpts *opts, GError **errp);
guint opts_count(const TernOpts *opts);
const char *opts_key_at(const TernOpts *opts, guint i);
const char *opts_value_at(const TernOpts *opts, guint i);

/* Sizes as QEMU parses them: a non-negative number (fractions allowed) with
 * an optional suffix B/k/K/M/G/T/P/E; default_unit applies without suffix. */
bool parse_size(const char *str, uint64_t default_unit, uint64_t *out);
bool parse_u64(const char *str, uint64_t *out);
bool parse_bool(const char *str, bool *out);
