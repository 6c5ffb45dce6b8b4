#include "util/iov.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static size_t iov_copy(const struct iovec *iov, unsigned n, size_t offset, uint8_t *buf,
                       size_t len, bool to_buf)
{
    size_t done = 0;
    for (unsigned i = 0; i < n && done < len; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t l = iov[i].iov_len - offset;
        l = l < len - done ? l : len - done;
        uint8_t *p = (uint8_t *)iov[i].iov_base + offset;
        memcpy(to_buf ? buf + done : p, to_buf ? p : buf + done, l);
        done += l;
        offset = 0;
    }
    return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len)
{
    return iov_copy(iov, n, offset, buf, len, true);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset, const void *buf,
                    size_t len)
{
    return iov_copy(iov, n, offset, (uint8_t *)buf, len, false);
}

size_t iov_size(const struct iovec *iov, unsigned n)
{
    size_t s = 0;
    for (unsigned i = 0; i < n; i++) {
        s += iov[i].iov_len;
    }
    return s;
}
