/* One request executed synchronously with POSIX calls: the thread pool's
 * worker, and the io_uring engine's fallback for write-zeroes where the
 * file system cannot zero a range. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "block/engine.h"

#define ZERO_CHUNK (1u << 20)   /* bytes written per call when zeroing by hand */

bool block_request_aligned(const BlockRequest *req)
{
    uint32_t a = req->leaf->align;
    if (a <= 1) {
        return true;
    }
    if (req->offset % a || req->bytes % a) {
        return false;
    }
    for (unsigned i = 0; i < req->niov; i++) {
        if ((uintptr_t)req->iov[i].iov_base % a || req->iov[i].iov_len % a) {
            return false;
        }
    }
    return true;
}

/* Reads or writes all of iov at off; a read stops at end of file and
 * zero-fills the rest (the file may be shorter than the node says). */
static int rw_all(int fd, bool write, struct iovec *iov, unsigned niov, uint64_t off)
{
    while (niov) {
        ssize_t n = write ? pwritev(fd, iov, niov, off) : preadv(fd, iov, niov, off);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            if (write) {
                return -EIO;
            }
            for (unsigned i = 0; i < niov; i++) {
                memset(iov[i].iov_base, 0, iov[i].iov_len);
            }
            return 0;
        }
        off += n;
        while (niov && (size_t)n >= iov->iov_len) {
            n -= iov->iov_len;
            iov++;
            niov--;
        }
        if (niov) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= n;
        }
    }
    return 0;
}

static int execute_rw(BlockRequest *req)
{
    BlockNode *leaf = req->leaf;
    bool write = req->op == BLOCK_OP_WRITE;
    if (leaf->align > 1 && (req->offset % leaf->align || req->bytes % leaf->align)) {
        return -EINVAL;   /* O_DIRECT needs whole blocks */
    }
    if (block_request_aligned(req)) {
        /* rw_all moves through the array: work on a copy. */
        struct iovec local[8];
        struct iovec *v = req->niov <= G_N_ELEMENTS(local) ? local : g_new(struct iovec, req->niov);
        memcpy(v, req->iov, req->niov * sizeof(*v));
        int ret = rw_all(leaf->fd, write, v, req->niov, req->offset);
        if (v != local) {
            g_free(v);
        }
        return ret;
    }
    /* Guest buffers that O_DIRECT cannot take: through an aligned copy. */
    void *buf;
    if (posix_memalign(&buf, leaf->align, req->bytes)) {
        return -ENOMEM;
    }
    struct iovec b = { buf, req->bytes };
    if (write) {
        uint64_t pos = 0;
        for (unsigned i = 0; i < req->niov; i++) {
            memcpy((char *)buf + pos, req->iov[i].iov_base, req->iov[i].iov_len);
            pos += req->iov[i].iov_len;
        }
    }
    int ret = rw_all(leaf->fd, write, &b, 1, req->offset);
    if (!write && ret == 0) {
        uint64_t pos = 0;
        for (unsigned i = 0; i < req->niov; i++) {
            memcpy(req->iov[i].iov_base, (char *)buf + pos, req->iov[i].iov_len);
            pos += req->iov[i].iov_len;
        }
    }
    free(buf);
    return ret;
}

static int write_zeroes_by_hand(BlockRequest *req)
{
    uint32_t align = MAX(req->leaf->align, 1u);
    size_t chunk = MIN(req->bytes, (uint64_t)ZERO_CHUNK);
    void *zero;
    if (posix_memalign(&zero, MAX(align, (uint32_t)sizeof(void *)), chunk)) {
        return -ENOMEM;
    }
    memset(zero, 0, chunk);
    int ret = 0;
    for (uint64_t done = 0; done < req->bytes && ret == 0;) {
        size_t n = MIN(chunk, req->bytes - done);
        struct iovec v = { zero, n };
        ret = rw_all(req->leaf->fd, true, &v, 1, req->offset + done);
        done += n;
    }
    free(zero);
    return ret;
}

int block_posix_execute(BlockRequest *req)
{
    int fd = req->leaf->fd;
    switch (req->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        return execute_rw(req);
    case BLOCK_OP_FLUSH:
        return fdatasync(fd) < 0 ? -errno : 0;
    case BLOCK_OP_DISCARD:
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, req->offset, req->bytes) < 0) {
            /* Discard is a hint: a file system that cannot punch holes
             * has done nothing wrong. */
            return errno == EOPNOTSUPP ? 0 : -errno;
        }
        return 0;
    case BLOCK_OP_WRITE_ZEROES:
        if (fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, req->offset, req->bytes) == 0) {
            return 0;
        }
        if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENODEV) {
            return -errno;
        }
        return write_zeroes_by_hand(req);
    }
    return -EINVAL;
}
