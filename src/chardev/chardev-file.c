/* file backend: output to path= (truncated, or appended with append=on);
 * input from in= if given. */
#include "chardev/chardev.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static bool file_validate(TernOpts *opts, GError **errp)
{
    bool b;
    if (!opts_get(opts, "path")) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "chardev: file: no filename given");
        return false;
    }
    opts_accept(opts, "in");
    return opts_get_bool(opts, "append", false, &b, errp);
}

static bool file_open(Chardev *chr, TernOpts *opts, GError **errp)
{
    bool append;
    const char *path = opts_get(opts, "path");
    const char *in = opts_get(opts, "in");
    opts_get_bool(opts, "append", false, &append, NULL);
    int out = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0666);
    if (out < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Could not open '%s': %s", path, g_strerror(errno));
        return false;
    }
    int infd = -1;
    if (in) {
        infd = open(in, O_RDONLY | O_CLOEXEC);
        if (infd < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Could not open '%s': %s", in, g_strerror(errno));
            close(out);
            return false;
        }
    }
    chr->out_blocking = true;
    chr->filename = g_strdup("file");   /* QEMU shows no path */
    chardev_attach_fds(chr, infd, out);
    return true;
}

static void file_close(Chardev *chr)
{
    if (chr->in_fd >= 0) {
        close(chr->in_fd);
    }
    if (chr->out_fd >= 0) {
        close(chr->out_fd);
    }
}

static void file_disconnected(Chardev *chr)
{
    if (chr->in_fd >= 0) {
        close(chr->in_fd);
    }
    chr->in_fd = -1;
    chr->connected = true;
}

const ChardevBackendOps chardev_file_ops = {
    .name = "file",
    .validate = file_validate,
    .open = file_open,
    .close = file_close,
    .disconnected = file_disconnected,
};
