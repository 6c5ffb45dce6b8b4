/* -blockdev and -drive: their strings turned into node trees and backends
 * with QEMU's defaults and error texts. */
#define G_LOG_DOMAIN "tern-block"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "block/block-int.h"
#include "monitor/json-reader.h"
#include "util/error.h"
#include "util/opts.h"

BlockNode *block_graph_add_blockdev_str(BlockGraph *g, const char *arg, GError **errp)
{
    g_autoptr(JsonObject) obj = NULL;
    BlockOptsMode mode = BLOCK_OPTS_KEYVAL;
    if (arg[0] == '{') {
        /* QMP's parser: QEMU's nesting limit, duplicate keys refused. */
        g_autoptr(JsonNode) root = qjson_parse(arg, errp);
        if (!root) {
            return NULL;
        }
        if (!JSON_NODE_HOLDS_OBJECT(root)) {
            tern_fail(errp, "Parameter 'driver' does not accept value '%s'", arg);
            return NULL;
        }
        obj = json_object_ref(json_node_get_object(root));
        mode = BLOCK_OPTS_JSON;
    } else {
        obj = block_keyval_parse(arg, errp);
        if (!obj) {
            return NULL;
        }
    }
    BlockNode *n = block_node_new_from_options(g, obj, mode, errp);
    if (n) {
        n->monitor_owned = true;
    }
    return n;
}

/* ---- -drive ---- */

typedef struct CacheMode {
    const char *name;
    bool writeback, direct, no_flush;
} CacheMode;

static const CacheMode cache_modes[] = {
    { "writeback", true, false, false },
    { "none", true, true, false },
    { "off", true, true, false },
    { "writethrough", false, false, false },
    { "directsync", false, true, false },
    { "unsafe", true, false, true },
};

static const char *const if_names[] = {
    "none", "ide", "scsi", "floppy", "pflash", "mtd", "sd", "virtio", "xen", NULL,
};

static bool parse_on_error(const char *s, bool is_read, BlockOnError *out, GError **errp)
{
    static const struct { const char *name; BlockOnError v; } map[] = {
        { "report", BLOCK_ON_ERROR_REPORT },
        { "ignore", BLOCK_ON_ERROR_IGNORE },
        { "enospc", BLOCK_ON_ERROR_ENOSPC },
        { "stop", BLOCK_ON_ERROR_STOP },
    };
    for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
        if (!strcmp(s, map[i].name) && !(is_read && map[i].v == BLOCK_ON_ERROR_ENOSPC)) {
            *out = map[i].v;
            return true;
        }
    }
    return tern_fail(errp, "'%s' invalid %s error action", s, is_read ? "read" : "write");
}

/* -drive's throttling.* keys, QEMU's names for each bucket. */
static const char *const throttle_keys[THROTTLE_BUCKETS] = {
    [THROTTLE_BPS_TOTAL] = "bps-total",
    [THROTTLE_BPS_READ] = "bps-read",
    [THROTTLE_BPS_WRITE] = "bps-write",
    [THROTTLE_OPS_TOTAL] = "iops-total",
    [THROTTLE_OPS_READ] = "iops-read",
    [THROTTLE_OPS_WRITE] = "iops-write",
};

/* QEMU's number options: "-5" wraps around to 2^64 - 5 (the throttle
 * checks then refuse it, except iops-size, which keeps it), and values past
 * 2^64 have their own message. */
static bool drive_number(TernOpts *o, const char *key, uint64_t *out, GError **errp)
{
    const char *v = opts_get(o, key);
    if (!v) {
        return true;
    }
    bool neg = v[0] == '-';
    if ((neg && (v[1] == '+' || v[1] == '-')) || !parse_u64(neg ? v + 1 : v, out)) {
        errno = 0;
        char *end;
        strtoull(neg ? v + 1 : v, &end, 0);
        if (errno == ERANGE && !*end && !g_ascii_isspace(v[neg])) {
            return tern_fail(errp, "Value '%s' is too large for parameter '%s'", v, key);
        }
        return tern_fail(errp, "Parameter '%s' expects a number", key);
    }
    if (neg) {
        *out = -*out;
    }
    return true;
}

static bool drive_throttle(TernOpts *o, ThrottleConfig *cfg, GError **errp)
{
    for (int i = 0; i < THROTTLE_BUCKETS; i++) {
        g_autofree char *k = g_strdup_printf("throttling.%s", throttle_keys[i]);
        g_autofree char *kmax = g_strdup_printf("throttling.%s-max", throttle_keys[i]);
        g_autofree char *klen = g_strdup_printf("throttling.%s-max-length", throttle_keys[i]);
        cfg->limits[i].burst_length = 1;
        if (!drive_number(o, k, &cfg->limits[i].avg, errp) ||
            !drive_number(o, kmax, &cfg->limits[i].max, errp) ||
            !drive_number(o, klen, &cfg->limits[i].burst_length, errp)) {
            return false;
        }
    }
    if (!drive_number(o, "throttling.iops-size", &cfg->iops_size, errp)) {
        return false;
    }
    cfg->group = g_strdup(opts_get(o, "throttling.group"));
    return true;
}

/* The protocol a -drive file= names: null-co://, a host block device, or
 * a plain file. */
static const char *guess_protocol(const char *filename)
{
    if (g_str_has_prefix(filename, "null-co://")) {
        return "null-co";
    }
    struct stat st;
    if (g_str_has_prefix(filename, "/dev/") && stat(filename, &st) == 0 &&
        (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))) {
        return "host_device";
    }
    return "file";
}

/* QEMU's identifiers: letters, digits, '-', '.', '_', starting with a letter. */
static bool id_valid(const char *id)
{
    if (!g_ascii_isalpha(id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_') {
            return false;
        }
    }
    return true;
}

/* Keys -drive handles itself; everything else goes to the format node. */
static const char *const drive_keys[] = {
    "id", "if", "index", "bus", "unit", "media", "snapshot", "format", "file", "cache",
    "aio", "readonly", "werror", "rerror", "copy-on-read", "serial", NULL,
};

static bool is_drive_key(const char *k)
{
    if (g_str_has_prefix(k, "throttling.")) {
        return true;
    }
    return g_strv_contains(drive_keys, k);
}

/* Members of a given JSON type, NULL otherwise: keys like "file.driver.x"
 * can make any member an object where a string is expected. */
static JsonObject *obj_member(JsonObject *o, const char *k)
{
    JsonNode *n = json_object_get_member(o, k);
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static const char *str_member(JsonObject *o, const char *k)
{
    JsonNode *n = json_object_get_member(o, k);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
        ? json_node_get_string(n) : NULL;
}

/* Builds the format node's options (all values strings, as QEMU's
 * flattened QDict). */
static JsonObject *drive_node_options(TernOpts *o, const char *format, const CacheMode *cache)
{
    JsonObject *top = json_object_new();
    JsonObject *file = NULL;
    json_object_set_string_member(top, "driver", format);
    json_object_set_string_member(top, "auto-read-only", "on");
    const char *fname = opts_get(o, "file");
    for (guint i = 0; i < opts_count(o); i++) {
        const char *k = opts_key_at(o, i), *v = opts_value_at(o, i);
        if (is_drive_key(k)) {
            continue;
        }
        JsonObject *dst = top;
        if (g_str_has_prefix(k, "file.")) {
            if (!file) {
                file = json_object_new();
            }
            dst = file;
            k += 5;
        }
        g_auto(GStrv) parts = g_strsplit(k, ".", 2);
        if (parts[1] && json_object_has_member(dst, parts[0]) && !obj_member(dst, parts[0])) {
            /* "discard=unmap,discard.x=1": kept whole, so the node reports
             * it as an option it does not support, as QEMU does. */
            json_object_set_string_member(dst, k, v);
        } else if (parts[1]) {
            /* cache.direct, cache.no-flush */
            JsonObject *sub = obj_member(dst, parts[0]);
            if (!sub) {
                sub = json_object_new();
                json_object_set_object_member(dst, parts[0], sub);
            }
            json_object_set_string_member(sub, parts[1], v);
        } else {
            json_object_set_string_member(dst, k, v);
        }
    }
    if (cache) {
        JsonObject *c = obj_member(top, "cache");
        if (!c) {
            c = json_object_new();
            json_object_set_object_member(top, "cache", c);
        }
        if (!json_object_has_member(c, "direct")) {
            json_object_set_string_member(c, "direct", cache->direct ? "on" : "off");
        }
        if (!json_object_has_member(c, "no-flush")) {
            json_object_set_string_member(c, "no-flush", cache->no_flush ? "on" : "off");
        }
    }
    const char *ro = opts_get(o, "readonly");
    if (ro) {
        json_object_set_string_member(top, "read-only", ro);
    }
    if (fname || file) {
        if (!file) {
            file = json_object_new();
        }
        if (fname && !json_object_has_member(file, "driver")) {
            json_object_set_string_member(file, "driver", guess_protocol(fname));
        }
        const char *drv = str_member(file, "driver");
        if (fname && (!drv || strcmp(drv, "null-co"))) {
            json_object_set_string_member(file, "filename", fname);
        }
        const char *aio = opts_get(o, "aio");
        if (aio) {
            json_object_set_string_member(file, "aio", aio);
        }
        json_object_set_object_member(top, "file", file);
    }
    return top;
}

static bool drive_checks(TernOpts *o, const CacheMode **cache, GError **errp)
{
    const char *v;
    if ((v = opts_get(o, "cache"))) {
        for (guint i = 0; i < G_N_ELEMENTS(cache_modes); i++) {
            if (!strcmp(cache_modes[i].name, v)) {
                *cache = &cache_modes[i];
            }
        }
        if (!*cache) {
            return tern_fail(errp, "invalid cache option");
        }
    }
    if ((v = opts_get(o, "aio")) && strcmp(v, "threads") && strcmp(v, "native") &&
        strcmp(v, "io_uring")) {
        return tern_fail(errp, "invalid aio option");
    }
    if ((v = opts_get(o, "discard")) && strcmp(v, "ignore") && strcmp(v, "unmap") &&
        strcmp(v, "on") && strcmp(v, "off")) {
        return tern_fail(errp, "Invalid discard option");
    }
    if ((v = opts_get(o, "detect-zeroes")) && strcmp(v, "on") && strcmp(v, "off") &&
        strcmp(v, "unmap")) {
        return tern_fail(errp, "invalid parameter value: %s", v);
    }
    bool b;
    if ((v = opts_get(o, "readonly")) && !parse_bool(v, &b)) {
        return tern_fail(errp, "Parameter 'read-only' expects 'on' or 'off'");
    }
    if ((v = opts_get(o, "snapshot")) && parse_bool(v, &b) && b) {
        return tern_fail(errp, "snapshot=on is not supported by Tern");
    }
    return true;
}

BlockBackend *block_graph_add_drive(BlockGraph *g, const char *arg, char **if_out,
                                    GError **errp)
{
    g_autoptr(TernOpts) o = opts_parse(arg, NULL, errp);
    if (!o) {
        return NULL;
    }
    const char *id = opts_get(o, "id");
    if (id && !id_valid(id)) {
        tern_fail(errp, "Parameter 'id' expects an identifier\n"
                   "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter.");
        return NULL;
    }
    const char *if_name = opts_get(o, "if");
    if (!if_name) {
        if_name = "ide";   /* the pc machine's default */
    }
    if (!g_strv_contains((const char *const *)if_names, if_name)) {
        tern_fail(errp, "unsupported bus type '%s'", if_name);
        return NULL;
    }
    const CacheMode *cache = NULL;
    BlockOnError rerror = BLOCK_ON_ERROR_REPORT, werror = BLOCK_ON_ERROR_ENOSPC;
    g_auto(ThrottleConfig) tcfg;
    throttle_config_init(&tcfg);
    const char *v;
    if (!drive_checks(o, &cache, errp) ||
        ((v = opts_get(o, "werror")) && !parse_on_error(v, false, &werror, errp)) ||
        ((v = opts_get(o, "rerror")) && !parse_on_error(v, true, &rerror, errp)) ||
        !drive_throttle(o, &tcfg, errp) || !throttle_config_check(&tcfg, errp)) {
        return NULL;
    }
    if (id && block_graph_find_backend(g, id)) {
        tern_fail(errp, "Duplicate ID '%s' for drive", id);
        return NULL;
    }
    if (id && block_graph_find_node(g, id)) {
        tern_fail(errp, "Device name '%s' conflicts with an existing node name", id);
        return NULL;
    }
    opts_accept(o, "index");
    opts_accept(o, "bus");
    opts_accept(o, "unit");
    opts_accept(o, "media");
    opts_accept(o, "copy-on-read");

    BlockNode *root = NULL;
    const char *fname = opts_get(o, "file");
    bool has_file_opts = false;
    for (guint i = 0; i < opts_count(o); i++) {
        has_file_opts |= g_str_has_prefix(opts_key_at(o, i), "file.");
    }
    if (fname || has_file_opts) {
        const char *format = opts_get(o, "format");
        /* Without format=, the probe warning comes once the protocol node
         * is open (block_node_open_child prints it). */
        g->probe_warning = !format;
        g_autoptr(JsonObject) opts = drive_node_options(o, format ? format : "raw", cache);
        root = block_node_new_from_options(g, opts, BLOCK_OPTS_DRIVE, errp);
        g->probe_warning = false;
        if (!root) {
            return NULL;
        }
    }

    g_autofree char *name = NULL;
    if (!id) {
        guint idx = GPOINTER_TO_UINT(g_hash_table_lookup(g->drive_index, if_name));
        g_hash_table_insert(g->drive_index, g_strdup(if_name), GUINT_TO_POINTER(idx + 1));
        name = g_strdup_printf("%s%u", if_name, idx);
    }
    BlockBackend *blk = blk_new(g, id ? id : name, root);
    block_node_unref(root);   /* the backend holds it now */
    blk->if_type = g_strdup(if_name);
    blk->on_read_error = rerror;
    blk->on_write_error = werror;
    blk->write_cache = cache ? cache->writeback : true;
    if (throttle_config_enabled(&tcfg) && !blk_set_throttle(blk, &tcfg, errp)) {
        blk_free(blk);
        return NULL;
    }
    if (if_out) {
        *if_out = strcmp(if_name, "none") ? g_strdup(if_name) : NULL;
    }
    return blk;
}
