/* blk-bench: Tern's block layer alone, as `qemu-img bench` drives QEMU's:
 * a fixed number of 4 KiB requests at random aligned offsets, keeping
 * `depth` in flight, completions on a GMainContext. Prints one line:
 *   ops N depth D write 0|1 aio A seconds S iops I
 * Offsets are random (aligned to the request size) unless -S gives a step,
 * which is qemu-img bench's sequential pattern.
 *
 * -a puts the buffers one byte off alignment, so that O_DIRECT requests go
 * through the engine's bounce buffers.
 *
 * usage: blk-bench [-c count] [-d depth] [-s bytes] [-S step] [-w] [-a]
 *                  [-i io_uring|threads] [-t none|writeback] FILE */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block-int.h"

typedef struct Bench {
    BlockBackend *blk;
    uint64_t blocks;           /* request-sized slots in the file */
    uint64_t issued, done, target;
    unsigned size;
    bool write;
    uint64_t step;             /* bytes between requests; 0: random offsets */
    int error;
    GRand *rand;
} Bench;

typedef struct Slot {
    BlockRequest req;
    struct iovec iov;
    Bench *b;
} Slot;

static void issue(Slot *s);

static void on_done(BlockRequest *req, int ret)
{
    Slot *s = (Slot *)req;
    Bench *b = s->b;
    b->done++;
    if (ret < 0 && !b->error) {
        b->error = ret;
    }
    if (b->issued < b->target) {
        issue(s);
    }
}

static void issue(Slot *s)
{
    Bench *b = s->b;
    s->req.op = b->write ? BLOCK_OP_WRITE : BLOCK_OP_READ;
    if (b->step) {
        /* qemu-img bench's pattern: from 0 by step, wrapping at the end. */
        s->req.offset = (b->issued * b->step) % (b->blocks * b->size);
    } else {
        s->req.offset = (uint64_t)g_rand_int_range(b->rand, 0, (gint32)MIN(b->blocks, G_MAXINT32)) *
                        b->size;
    }
    s->req.bytes = b->size;
    s->req.iov = &s->iov;
    s->req.niov = 1;
    s->req.cb = on_done;
    b->issued++;
    blk_submit(b->blk, &s->req);
}

int main(int argc, char **argv)
{
    uint64_t count = 100000;
    unsigned depth = 1, size = 4096;
    bool write = false, misalign = false;
    uint64_t step = 0;
    const char *aio = "io_uring", *cache = "none";
    int c;
    while ((c = getopt(argc, argv, "c:d:s:S:wai:t:")) != -1) {
        switch (c) {
        case 'c': count = strtoull(optarg, NULL, 0); break;
        case 'd': depth = strtoul(optarg, NULL, 0); break;
        case 's': size = strtoul(optarg, NULL, 0); break;
        case 'S': step = strtoull(optarg, NULL, 0); break;
        case 'w': write = true; break;
        case 'a': misalign = true; break;
        case 'i': aio = optarg; break;
        case 't': cache = optarg; break;
        default:
            fprintf(stderr, "usage: blk-bench [-c count] [-d depth] [-s bytes] [-S step] [-w] [-a] "
                            "[-i io_uring|threads] [-t none|writeback] FILE\n");
            return 2;
        }
    }
    if (optind != argc - 1 || !depth || !size || !count) {
        fprintf(stderr, "blk-bench: one FILE, and non-zero -c, -d, -s\n");
        return 2;
    }
    GMainContext *ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    BlockGraph *g = block_graph_new(ctx, NULL);
    g_autofree char *arg = g_strdup_printf("file=%s,format=raw,if=none,id=bench,cache=%s,aio=%s",
                                           argv[optind], cache, aio);
    GError *err = NULL;
    BlockBackend *blk = block_graph_add_drive(g, arg, NULL, &err);
    if (!blk) {
        fprintf(stderr, "blk-bench: -drive %s: %s\n", arg, err->message);
        return 1;
    }
    Bench b = { .blk = blk, .blocks = blk_length(blk) / size, .target = count, .size = size,
                .write = write, .step = step, .rand = g_rand_new_with_seed(42) };
    if (!b.blocks) {
        fprintf(stderr, "blk-bench: %s is smaller than one request\n", argv[optind]);
        return 1;
    }
    depth = MIN((uint64_t)depth, count);
    Slot *slots = g_new0(Slot, depth);
    for (unsigned i = 0; i < depth; i++) {
        void *buf;
        if (posix_memalign(&buf, 4096, size + 1)) {
            return 1;
        }
        memset(buf, 0x5a, size + 1);
        slots[i].iov = (struct iovec){ (char *)buf + misalign, size };
        slots[i].b = &b;
    }
    int64_t t0 = g_get_monotonic_time();
    for (unsigned i = 0; i < depth; i++) {
        issue(&slots[i]);
    }
    uint64_t iterations = 0;
    while (b.done < b.target) {
        g_main_context_iteration(ctx, TRUE);
        iterations++;
    }
    double secs = (g_get_monotonic_time() - t0) / 1e6;
    if (b.error) {
        fprintf(stderr, "blk-bench: a request failed: %s\n", g_strerror(-b.error));
        return 1;
    }
    printf("ops %" G_GUINT64_FORMAT " depth %u write %d aio %s loops %" G_GUINT64_FORMAT
           " seconds %.3f iops %.0f\n", count, depth, write, aio, iterations, secs, count / secs);
    for (unsigned i = 0; i < depth; i++) {
        free((char *)slots[i].iov.iov_base - misalign);
    }
    g_free(slots);
    g_rand_free(b.rand);
    block_graph_free(g);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
    return 0;
}
