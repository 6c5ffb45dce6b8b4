/* Scatter-gather lists (struct iovec): copying between them and flat
 * buffers, and their total size. */
#pragma once
#include <stddef.h>
#include <sys/uio.h>

/* Copy up to len bytes starting `offset` bytes into the list; return
 * how many were copied (less at the list's end). */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t offset, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t offset, const void *buf,
                    size_t len);
size_t iov_size(const struct iovec *iov, unsigned n);
