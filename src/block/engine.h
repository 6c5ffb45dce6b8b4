/* I/O engines: where a protocol node's requests are executed. Both
 * complete requests on the graph's GMainContext (a GSource per engine),
 * never inside block_engine_submit. */
#pragma once
#include "block/block-int.h"

typedef struct BlockEngineOps {
    void (*submit)(BlockEngine *e, BlockRequest *req);
    void (*flush)(BlockEngine *e);     /* push queued work to the kernel now */
    /* Completes what has finished (callbacks run), first waiting for at
     * least one completion if `wait`; returns false when nothing is in
     * flight. For blk_drain, outside the GSource. */
    bool (*poll)(BlockEngine *e, bool wait);
    void (*free)(BlockEngine *e);
} BlockEngineOps;

struct BlockEngine {
    const BlockEngineOps *ops;
    BlockGraph *graph;
    const char *name;                  /* "io_uring", "threads" */
};

/* NULL with errp set when io_uring cannot be set up here. */
BlockEngine *block_engine_uring_new(BlockGraph *g, GError **errp);
BlockEngine *block_engine_threads_new(BlockGraph *g);

static inline void block_engine_submit(BlockEngine *e, BlockRequest *req)
{
    e->ops->submit(e, req);
}

/* Synchronous execution of one request on a protocol node's fd, for the
 * thread pool and the io_uring engine's fallbacks: returns 0 or -errno. */
int block_posix_execute(BlockRequest *req);
/* O_DIRECT: true when req's offset, length and buffers suit leaf->align. */
bool block_request_aligned(const BlockRequest *req);
