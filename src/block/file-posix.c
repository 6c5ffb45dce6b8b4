/* Protocol drivers on a host file descriptor: `file` (regular files) and
 * `host_device` (block and character devices). Requests go to the engine
 * the node's aio= picks. */
#define G_LOG_DOMAIN "tern-block"
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block-int.h"
#include "block/engine.h"
#include "util/error.h"

static const char *const aio_names[] = { "threads", "native", "io_uring", NULL };
static const char *const locking_names[] = { "auto", "on", "off", NULL };

static int64_t fd_size(int fd, const struct stat *st)
{
    if (S_ISBLK(st->st_mode)) {
        uint64_t bytes;
        return ioctl(fd, BLKGETSIZE64, &bytes) < 0 ? -errno : (int64_t)bytes;
    }
    return st->st_size;
}

/* O_DIRECT's alignment: the device's logical block size, which is also
 * what statx reports as the file system's direct I/O alignment. */
static uint32_t direct_alignment(int fd, const struct stat *st)
{
    int lbs = 0;
    if (S_ISBLK(st->st_mode) && ioctl(fd, BLKSSZGET, &lbs) == 0 && lbs > 0) {
        return lbs;
    }
#ifdef STATX_DIOALIGN
    struct statx stx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
        return MAX(stx.stx_dio_offset_align, stx.stx_dio_mem_align);
    }
#endif
    return 512;
}

static bool posix_open(BlockNode *n, BlockOpts *r, bool host_device, GError **errp)
{
    const char *filename = NULL;
    int aio = -1, locking = 0;
    int64_t batch = 0;
    bool drop_cache = true;
    if (!block_opts_str(r, "filename", &filename, errp) ||
        !block_opts_enum(r, "aio", aio_names, &aio, errp) ||
        !block_opts_enum(r, "locking", locking_names, &locking, errp) ||
        !block_opts_int(r, "aio-max-batch", &batch, errp) ||
        !block_opts_bool(r, "drop-cache", &drop_cache, errp) ||
        !block_opts_check_unused(r, n->drv->name, true, errp)) {
        return false;
    }
    if (!filename) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter '%sfilename' is missing",
                    r->prefix);
        return false;
    }
    if (aio == BLOCK_AIO_NATIVE && !n->cache_direct) {
        g_set_error_literal(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                            "aio=native was specified, but it requires cache.direct=on, "
                            "which was not specified.");
        return false;
    }
    if (aio >= 0) {
        n->aio = aio;
    }
    n->filename = g_strdup(filename);
    JsonObject *name = json_object_new();
    json_object_set_string_member(name, "driver", n->drv->name);
    json_object_set_string_member(name, "filename", filename);
    block_node_set_name_opts(n, name, false);

    int flags = O_CLOEXEC | (n->cache_direct ? O_DIRECT : 0);
    int fd = open(filename, flags | (n->read_only ? O_RDONLY : O_RDWR));
    if (fd < 0 && !n->read_only && n->auto_read_only &&
        (errno == EACCES || errno == EPERM || errno == EROFS)) {
        fd = open(filename, flags | O_RDONLY);
        if (fd >= 0) {
            n->read_only = true;
        }
    }
    if (fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Could not open '%s': %s", filename,
                    g_strerror(errno));
        return false;
    }
    n->fd = fd;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Could not open '%s': %s", filename,
                    g_strerror(errno));
        return false;
    }
    if (host_device && !S_ISBLK(st.st_mode) && !S_ISCHR(st.st_mode)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "'host_device' driver requires '%s' to be either a character or block device",
                    filename);
        return false;
    }
    if (!host_device && S_ISDIR(st.st_mode)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "'%s' is a directory", filename);
        return false;
    }
    int64_t size = fd_size(fd, &st);
    if (size < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Could not get the size of '%s': %s",
                    filename, g_strerror(-size));
        return false;
    }
    n->size = size;
    n->align = n->cache_direct ? direct_alignment(fd, &st) : 1;
    return true;
}

static bool file_open(BlockNode *n, BlockOpts *r, GError **errp)
{
    return posix_open(n, r, false, errp);
}

static bool host_device_open(BlockNode *n, BlockOpts *r, GError **errp)
{
    return posix_open(n, r, true, errp);
}

static void posix_close(BlockNode *n)
{
    if (n->fd >= 0) {
        close(n->fd);
        n->fd = -1;
    }
}

static void posix_submit(BlockNode *n, BlockRequest *req)
{
    if (req->op == BLOCK_OP_FLUSH && n->cache_no_flush) {
        block_graph_defer_complete(n->graph, req, 0);
        return;
    }
    if (req->op == BLOCK_OP_DISCARD && n->discard == BLOCK_DISCARD_IGNORE) {
        block_graph_defer_complete(n->graph, req, 0);
        return;
    }
    block_engine_submit(block_graph_engine(n->graph, n->aio), req);
}

static bool posix_truncate(BlockNode *n, uint64_t size, GError **errp)
{
    struct stat st;
    if (fstat(n->fd, &st) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Could not stat '%s': %s",
                    n->filename, g_strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        /* A device's size is what it is (QEMU: growing fails, anything
         * else keeps the device's size). */
        if ((int64_t)size > fd_size(n->fd, &st)) {
            g_set_error_literal(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Cannot grow device files");
            return false;
        }
        return true;
    }
    if (ftruncate(n->fd, size) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Failed to resize the file: %s",
                    g_strerror(errno));
        return false;
    }
    n->size = size;
    return true;
}

static int64_t posix_actual_size(BlockNode *n)
{
    struct stat st;
    if (fstat(n->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

const BlockDriver block_driver_file = {
    .name = "file",
    .is_protocol = true,
    .open = file_open,
    .close = posix_close,
    .submit = posix_submit,
    .truncate = posix_truncate,
    .actual_size = posix_actual_size,
};

const BlockDriver block_driver_host_device = {
    .name = "host_device",
    .is_protocol = true,
    .open = host_device_open,
    .close = posix_close,
    .submit = posix_submit,
    .truncate = posix_truncate,
    .actual_size = posix_actual_size,
};
