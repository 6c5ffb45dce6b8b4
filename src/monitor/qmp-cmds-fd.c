/* Descriptors passed with commands over a unix socket (SCM_RIGHTS):
 * getfd/closefd keep them by name on the monitor that received them;
 * add-fd/remove-fd/query-fdsets manage the machine-wide fd sets that
 * "/dev/fdset/N" paths open. */
#include "monitor/qmp-fds.h"
#include "board/pc.h"
#include "monitor/monitor-internal.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* The descriptor sent with this command. QEMU uses a message's first
 * descriptor and closes the others. */
static int take_received_fd(QmpContext *ctx, GError **errp)
{
    int fd = -1;
    if (ctx->mon) {
        fd = chardev_take_fd(ctx->mon->chr);
        chardev_drop_fds(ctx->mon->chr);
    }
    if (fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "No file descriptor supplied via SCM_RIGHTS");
    }
    return fd;
}

/* ---- named descriptors ---- */

static JsonNode *qmp_getfd(QmpContext *ctx, JsonObject *args, GError **errp)
{
    const char *name = qmp_arg_str(args, "fdname", NULL);
    int fd = take_received_fd(ctx, errp);
    if (fd < 0) {
        return NULL;
    }
    /* A number would be taken for a descriptor number by fd= options. */
    if (g_ascii_isdigit(name[0])) {
        close(fd);
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter 'fdname' expects a name not starting with a digit");
        return NULL;
    }
    gpointer old;
    if (g_hash_table_lookup_extended(ctx->mon->named_fds, name, NULL, &old)) {
        close(GPOINTER_TO_INT(old));
    }
    g_hash_table_replace(ctx->mon->named_fds, g_strdup(name), GINT_TO_POINTER(fd));
    return qmp_return_empty();
}

static JsonNode *qmp_closefd(QmpContext *ctx, JsonObject *args, GError **errp)
{
    const char *name = qmp_arg_str(args, "fdname", NULL);
    gpointer fd;
    if (!ctx->mon || !g_hash_table_lookup_extended(ctx->mon->named_fds, name, NULL, &fd)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "File descriptor named '%s' not found", name);
        return NULL;
    }
    close(GPOINTER_TO_INT(fd));
    g_hash_table_remove(ctx->mon->named_fds, name);
    return qmp_return_empty();
}

int qmp_fd_take_named(Monitor *mon, const char *name, GError **errp)
{
    gpointer fd;
    if (!mon || !g_hash_table_lookup_extended(mon->named_fds, name, NULL, &fd)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "File descriptor named '%s' has not been found", name);
        return -1;
    }
    g_hash_table_remove(mon->named_fds, name);
    return GPOINTER_TO_INT(fd);
}

/* ---- fd sets ---- */

/* set->fdsets is kept sorted by id. */
static FdSet *fdset_find(MonitorSet *set, gint64 id)
{
    for (guint i = 0; i < set->fdsets->len; i++) {
        FdSet *fs = g_ptr_array_index(set->fdsets, i);
        if (fs->id == id) {
            return fs;
        }
    }
    return NULL;
}

/* The lowest id no set has. */
static gint64 fdset_unused_id(MonitorSet *set)
{
    gint64 id = 0;
    for (guint i = 0; i < set->fdsets->len; i++) {
        FdSet *fs = g_ptr_array_index(set->fdsets, i);
        if (fs->id != id) {
            break;
        }
        id++;
    }
    return id;
}

static FdSet *fdset_new(MonitorSet *set, gint64 id)
{
    FdSet *fs = g_new0(FdSet, 1);
    fs->id = id;
    fs->fds = g_array_new(FALSE, FALSE, sizeof(FdSetEntry));
    guint i = 0;
    while (i < set->fdsets->len && ((FdSet *)g_ptr_array_index(set->fdsets, i))->id < id) {
        i++;
    }
    g_ptr_array_insert(set->fdsets, i, fs);
    return fs;
}

static bool fdset_in_use(const FdSet *fs)
{
    return fs->dup_fds && fs->dup_fds->len;
}

/* QEMU's mon_refcount: a client is on some monitor. */
static bool clients_connected(MonitorSet *set)
{
    for (guint i = 0; i < set->monitors->len; i++) {
        Monitor *mon = g_ptr_array_index(set->monitors, i);
        if (mon->chr->connected) {
            return true;
        }
    }
    return false;
}

/* Closes fs's descriptors that remove-fd released or, with no client
 * left, all of them unless something has the set open; drops the set once
 * it is empty. QEMU 7.2 does this only while the VM runs (it checks the
 * run state here), so a paused VM's query-fdsets still lists removed
 * descriptors. */
static void fdset_cleanup(MonitorSet *set, FdSet *fs)
{
    if (!runstate_is_running(set->m->state)) {
        return;
    }
    bool keep_all = fdset_in_use(fs) || clients_connected(set);
    for (guint j = fs->fds->len; j-- > 0;) {
        FdSetEntry *e = &g_array_index(fs->fds, FdSetEntry, j);
        if (e->removed || !keep_all) {
            close(e->fd);
            g_free(e->opaque);
            g_array_remove_index(fs->fds, j);
        }
    }
    if (fs->fds->len == 0 && !fdset_in_use(fs)) {
        g_clear_pointer(&fs->dup_fds, g_array_unref);
        g_ptr_array_remove(set->fdsets, fs);
    }
}

void qmp_fdsets_cleanup(MonitorSet *set)
{
    for (guint i = set->fdsets->len; i-- > 0;) {
        fdset_cleanup(set, g_ptr_array_index(set->fdsets, i));
    }
}

static JsonNode *qmp_add_fd(QmpContext *ctx, JsonObject *args, GError **errp)
{
    int fd = take_received_fd(ctx, errp);
    if (fd < 0) {
        return NULL;
    }
    FdSet *fs;
    if (qmp_arg_has(args, "fdset-id")) {
        gint64 id = qmp_arg_int(args, "fdset-id", 0);
        fs = fdset_find(ctx->set, id);
        if (!fs && id < 0) {
            close(fd);
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Parameter 'fdset-id' expects a non-negative value");
            return NULL;
        }
        if (!fs) {
            fs = fdset_new(ctx->set, id);
        }
    } else {
        fs = fdset_new(ctx->set, fdset_unused_id(ctx->set));
    }
    FdSetEntry e = { .fd = fd, .opaque = g_strdup(qmp_arg_str(args, "opaque", NULL)) };
    g_array_append_val(fs->fds, e);
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "fd", fd);
    json_object_set_int_member(o, "fdset-id", fs->id);
    return qmp_return_object(o);
}

static JsonNode *qmp_remove_fd(QmpContext *ctx, JsonObject *args, GError **errp)
{
    gint64 id = qmp_arg_int(args, "fdset-id", 0);
    bool one = qmp_arg_has(args, "fd");
    gint64 fd = qmp_arg_int(args, "fd", -1);
    FdSet *fs = fdset_find(ctx->set, id);
    bool found = false;
    for (guint i = 0; fs && i < fs->fds->len; i++) {
        FdSetEntry *e = &g_array_index(fs->fds, FdSetEntry, i);
        if (!one || e->fd == fd) {
            e->removed = true;
            found = true;
        }
    }
    if (!fs || (one && !found)) {
        g_autofree char *what = one ? g_strdup_printf("fdset-id:%" G_GINT64_FORMAT
                                                      ", fd:%" G_GINT64_FORMAT, id, fd)
                                    : g_strdup_printf("fdset-id:%" G_GINT64_FORMAT, id);
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "File descriptor named '%s' not found", what);
        return NULL;
    }
    fdset_cleanup(ctx->set, fs);
    return qmp_return_empty();
}

static JsonNode *qmp_query_fdsets(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonArray *a = json_array_new();
    /* Highest id first, as QEMU lists them. */
    for (guint i = ctx->set->fdsets->len; i-- > 0;) {
        FdSet *fs = g_ptr_array_index(ctx->set->fdsets, i);
        JsonArray *fds = json_array_new();
        for (guint j = 0; j < fs->fds->len; j++) {
            FdSetEntry *e = &g_array_index(fs->fds, FdSetEntry, j);
            JsonObject *fo = json_object_new();
            json_object_set_int_member(fo, "fd", e->fd);
            if (e->opaque) {
                json_object_set_string_member(fo, "opaque", e->opaque);
            }
            json_array_add_object_element(fds, fo);
        }
        JsonObject *o = json_object_new();
        json_object_set_array_member(o, "fds", fds);
        json_object_set_int_member(o, "fdset-id", fs->id);
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

/* ---- opening /dev/fdset/N ---- */

int qmp_fdset_open(MonitorSet *set, const char *path, int flags, GError **errp)
{
    static const char prefix[] = "/dev/fdset/";
    guint64 id;
    if (!g_str_has_prefix(path, prefix) ||
        !g_ascii_string_to_unsigned(path + strlen(prefix), 10, 0, G_MAXINT64, &id, NULL)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Could not parse fdset %s", path);
        return -1;
    }
    FdSet *fs = fdset_find(set, (gint64)id);
    int err = ENOENT;
    for (guint i = fs ? fs->fds->len : 0; i-- > 0;) {
        int fd = g_array_index(fs->fds, FdSetEntry, i).fd;
        int fl = fcntl(fd, F_GETFL);
        err = EACCES;
        if (fl < 0 || (fl & O_ACCMODE) != (flags & O_ACCMODE)) {
            continue;
        }
        int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (dup < 0) {
            err = errno;
            break;
        }
        if (!fs->dup_fds) {
            fs->dup_fds = g_array_new(FALSE, FALSE, sizeof(int));
        }
        g_array_append_val(fs->dup_fds, dup);
        return dup;
    }
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Could not dup FD for %s flags %x: %s",
                path, (unsigned)flags, g_strerror(err));
    return -1;
}

void qmp_fdset_close(MonitorSet *set, int fd)
{
    close(fd);
    for (guint i = 0; i < set->fdsets->len; i++) {
        FdSet *fs = g_ptr_array_index(set->fdsets, i);
        for (guint j = 0; fs->dup_fds && j < fs->dup_fds->len; j++) {
            if (g_array_index(fs->dup_fds, int, j) == fd) {
                g_array_remove_index(fs->dup_fds, j);
                if (fs->dup_fds->len == 0) {
                    g_clear_pointer(&fs->dup_fds, g_array_unref);
                }
                fdset_cleanup(set, fs);
                return;
            }
        }
    }
}

const QmpCommandDef qmp_commands_fd[] = {
    { "getfd", qmp_getfd },
    { "closefd", qmp_closefd },
    { "add-fd", qmp_add_fd },
    { "remove-fd", qmp_remove_fd },
    { "query-fdsets", qmp_query_fdsets },
    { NULL },
};
