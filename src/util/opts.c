#include "util/opts.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    char *value;
    bool used;
} OptPair;

struct TernOpts {
    char *source;
    GArray *pairs; /* OptPair */
};

static void opt_pair_clear(gpointer p)
{
    OptPair *pair = p;
    g_free(pair->key);
    g_free(pair->value);
}

/* Reads up to an unescaped delimiter; ",," yields ','. */
static char *read_token(const char **p, const char *stops)
{
    GString *s = g_string_new(NULL);
    while (**p) {
        if (**p == ',' && (*p)[1] == ',') {
            g_string_append_c(s, ',');
            *p += 2;
            continue;
        }
        if (strchr(stops, **p)) {
            break;
        }
        g_string_append_c(s, **p);
        (*p)++;
    }
    return g_string_free(s, FALSE);
}

TernOpts *opts_parse(const char *str, const char *implied_key, GError **errp)
{
    TernOpts *opts = g_new0(TernOpts, 1);
    opts->source = g_strdup(str);
    opts->pairs = g_array_new(FALSE, TRUE, sizeof(OptPair));
    g_array_set_clear_func(opts->pairs, opt_pair_clear);

    const char *p = str;
    bool first = true;
    while (*p) {
        OptPair pair = { 0 };
        char *tok = read_token(&p, "=,");
        if (*p == '=') {
            p++;
            pair.key = tok;
            pair.value = read_token(&p, ",");
        } else if (first && implied_key) {
            pair.key = g_strdup(implied_key);
            pair.value = tok;
        } else {
            /* A bare key is a boolean flag; "nofoo" is foo=off (QEMU's
             * short form, as in "server,nowait"). */
            if (!*tok) {
                g_free(tok);
                if (*p == ',') {
                    p++;
                }
                first = false;
                continue;
            }
            if (g_str_has_prefix(tok, "no") && tok[2]) {
                pair.key = g_strdup(tok + 2);
                pair.value = g_strdup("off");
                g_free(tok);
            } else {
                pair.key = tok;
                pair.value = g_strdup("on");
            }
        }
        if (!*pair.key) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Invalid parameter ''");
            opt_pair_clear(&pair);
            opts_free(opts);
            return NULL;
        }
        g_array_append_val(opts->pairs, pair);
        if (*p == ',') {
            p++;
        }
        first = false;
    }
    return opts;
}

void opts_free(TernOpts *opts)
{
    if (!opts) {
        return;
    }
    g_array_unref(opts->pairs);
    g_free(opts->source);
    g_free(opts);
}

const char *opts_source(const TernOpts *opts)
{
    return opts->source;
}

static OptPair *find_last(TernOpts *opts, const char *key)
{
    OptPair *found = NULL;
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *pair = &g_array_index(opts->pairs, OptPair, i);
        if (strcmp(pair->key, key) == 0) {
            pair->used = true;
            found = pair;
        }
    }
    return found;
}

const char *opts_get(TernOpts *opts, const char *key)
{
    OptPair *pair = find_last(opts, key);
    return pair ? pair->value : NULL;
}

bool opts_has(TernOpts *opts, const char *key)
{
    for (guint i = 0; i < opts->pairs->len; i++) {
        if (strcmp(g_array_index(opts->pairs, OptPair, i).key, key) == 0) {
            return true;
        }
    }
    return false;
}

void opts_accept(TernOpts *opts, const char *key)
{
    find_last(opts, key);
}

bool parse_bool(const char *str, bool *out)
{
    if (!strcmp(str, "on") || !strcmp(str, "yes") || !strcmp(str, "true") ||
        !strcmp(str, "y")) {
        *out = true;
        return true;
    }
    if (!strcmp(str, "off") || !strcmp(str, "no") || !strcmp(str, "false") ||
        !strcmp(str, "n")) {
        *out = false;
        return true;
    }
    return false;
}

bool opts_get_bool(TernOpts *opts, const char *key, bool def, bool *out, GError **errp)
{
    const char *v = opts_get(opts, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!parse_bool(v, out)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter '%s' expects 'on' or 'off'", key);
        return false;
    }
    return true;
}

bool parse_u64(const char *str, uint64_t *out)
{
    if (!str || !*str || *str == '-' || g_ascii_isspace(*str)) {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(str, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

bool opts_get_u64(TernOpts *opts, const char *key, uint64_t def, uint64_t *out, GError **errp)
{
    const char *v = opts_get(opts, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!parse_u64(v, out)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter '%s' expects a number", key);
        return false;
    }
    return true;
}

static bool suffix_unit(char c, uint64_t *unit)
{
    switch (c) {
    case 'B': case 'b': *unit = 1; return true;
    case 'K': case 'k': *unit = 1ULL << 10; return true;
    case 'M': case 'm': *unit = 1ULL << 20; return true;
    case 'G': case 'g': *unit = 1ULL << 30; return true;
    case 'T': case 't': *unit = 1ULL << 40; return true;
    case 'P': case 'p': *unit = 1ULL << 50; return true;
    case 'E': case 'e': *unit = 1ULL << 60; return true;
    default: return false;
    }
}

bool parse_size(const char *str, uint64_t default_unit, uint64_t *out)
{
    if (!str || !g_ascii_isdigit(*str)) {
        return false;
    }
    const char *p = str;
    uint64_t whole = 0;
    bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    double frac = 0;
    if (hex) {
        p += 2;
        if (!g_ascii_isxdigit(*p)) {
            return false;
        }
        for (; g_ascii_isxdigit(*p); p++) {
            if (whole >> 60) {
                return false;
            }
            whole = whole << 4 | g_ascii_xdigit_value(*p);
        }
    } else {
        for (; g_ascii_isdigit(*p); p++) {
            uint64_t d = *p - '0';
            if (whole > (UINT64_MAX - d) / 10) {
                return false;
            }
            whole = whole * 10 + d;
        }
        /* A fraction needs a unit to mean anything ("1.5G"); no exponents. */
        if (*p == '.') {
            p++;
            double scale = 0.1;
            if (!g_ascii_isdigit(*p)) {
                return false;
            }
            for (; g_ascii_isdigit(*p); p++, scale /= 10) {
                frac += (*p - '0') * scale;
            }
        }
    }
    uint64_t unit = default_unit;
    if (*p) {
        if (!suffix_unit(*p, &unit) || p[1]) {
            return false;
        }
    }
    if (unit && whole > UINT64_MAX / unit) {
        return false;
    }
    uint64_t bytes = whole * unit;
    uint64_t extra = (uint64_t)(frac * (double)unit);
    if (bytes > UINT64_MAX - extra) {
        return false;
    }
    *out = bytes + extra;
    return true;
}

bool opts_get_size(TernOpts *opts, const char *key, uint64_t def, uint64_t *out, GError **errp)
{
    const char *v = opts_get(opts, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!parse_size(v, 1, out)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter '%s' expects a non-negative number below 2^64", key);
        return false;
    }
    return true;
}

bool opts_check_all_used(TernOpts *opts, GError **errp)
{
    for (guint i = 0; i < opts->pairs->len; i++) {
        OptPair *pair = &g_array_index(opts->pairs, OptPair, i);
        if (!pair->used) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Invalid parameter '%s'", pair->key);
            return false;
        }
    }
    return true;
}

guint opts_count(const TernOpts *opts)
{
    return opts->pairs->len;
}

const char *opts_key_at(const TernOpts *opts, guint i)
{
    return g_array_index(opts->pairs, OptPair, i).key;
}

const char *opts_value_at(const TernOpts *opts, guint i)
{
    return g_array_index(opts->pairs, OptPair, i).value;
}
