/* The block layer: a graph of nodes named like QEMU's (node-name), with
 * protocol drivers (file, host_device, null-co) under format drivers (raw),
 * and backends (what a device holds: a -drive id, or an anonymous backend
 * on a node named by drive=). Requests are asynchronous: a device fills a
 * BlockRequest, submits it, and gets its completion callback later on the
 * main loop (never from inside blk_submit). Completions may come in any
 * order.
 *
 * Everything here runs on the main loop thread, or on a vCPU thread, with
 * the machine lock held; the graph belongs to the machine (no globals).
 * Nothing here knows about devices or the board: events and VM stops go
 * through the hooks in BlockGraphHooks. */
#pragma once
#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct BlockGraph BlockGraph;
typedef struct BlockNode BlockNode;
typedef struct BlockBackend BlockBackend;
typedef struct BlockRequest BlockRequest;

typedef enum {
    BLOCK_OP_READ,
    BLOCK_OP_WRITE,
    BLOCK_OP_FLUSH,
    BLOCK_OP_DISCARD,
    BLOCK_OP_WRITE_ZEROES,
} BlockOp;

/* ret is 0 on success or a negative errno (-EIO, -ENOSPC, ...). */
typedef void BlockCompletion(BlockRequest *req, int ret);

/* Owned by the caller (a device embeds it in its own request) and must
 * stay alive until the completion runs. */
struct BlockRequest {
    BlockOp op;
    uint64_t offset;          /* bytes */
    uint64_t bytes;           /* DISCARD/WRITE_ZEROES length; READ/WRITE: sum of iov */
    struct iovec *iov;        /* READ/WRITE: host buffers (guest RAM) */
    unsigned niov;
    BlockCompletion *cb;
    void *opaque;
    /* Private to the block layer. */
    BlockBackend *blk;
    int64_t start_ns;
    BlockRequest *next;       /* throttle and engine queues */
    BlockNode *leaf;          /* the protocol node serving it */
    uint64_t done;            /* engines: bytes transferred so far */
    int ret;                  /* result of deferred and thread-pool completions */
    void *engine_priv;        /* engines: bounce buffer, partial-transfer iovec */
    bool invalid;             /* refused up front (stats: invalid_*) */
};

/* What a device does with a failed request (QEMU's BlockdevOnError and
 * BlockErrorAction). */
typedef enum {
    BLOCK_ON_ERROR_REPORT,
    BLOCK_ON_ERROR_IGNORE,
    BLOCK_ON_ERROR_ENOSPC,
    BLOCK_ON_ERROR_STOP,
    BLOCK_ON_ERROR_AUTO,
} BlockOnError;

typedef enum {
    BLOCK_ERROR_ACTION_REPORT,   /* complete with the error */
    BLOCK_ERROR_ACTION_IGNORE,   /* complete as if it had worked */
    BLOCK_ERROR_ACTION_STOP,     /* keep the request, pause the VM, retry on cont */
} BlockErrorAction;

/* How the graph reaches the machine. */
typedef struct BlockGraphHooks {
    /* A QMP event (BLOCK_IO_ERROR, ...); takes the data reference. */
    void (*event)(void *opaque, const char *name, JsonObject *data);
    /* werror/rerror=stop: pause the VM with run state io-error. */
    void (*stop_vm)(void *opaque);
    void *opaque;
} BlockGraphHooks;

/* ---- the graph ---- */

/* Completions are dispatched on ctx (a GSource per engine). */
BlockGraph *block_graph_new(GMainContext *ctx, const BlockGraphHooks *hooks);
void block_graph_free(BlockGraph *g);
/* The clock of throttling and statistics, in ns (default: the host's
 * monotonic clock). qtest mode gives the machine's virtual clock, as QEMU
 * does, and says when it moved. */
void block_graph_set_clock(BlockGraph *g, int64_t (*now)(void *opaque), void *opaque);
void block_graph_clock_moved(BlockGraph *g);

/* -blockdev (dotted or JSON form) and blockdev-add: options as QEMU's
 * BlockdevOptions, nested objects for children ("file": {...} or a
 * node-name string). Returns the top node. */
BlockNode *block_graph_add_blockdev(BlockGraph *g, JsonObject *options, GError **errp);
/* -blockdev's argument: '{...}' JSON or "driver=raw,file.driver=file,...". */
BlockNode *block_graph_add_blockdev_str(BlockGraph *g, const char *arg, GError **errp);
/* -drive's argument: creates the nodes and a named backend (id=, or
 * "ide0-hd0"-style names QEMU gives when id= is missing). if= is returned
 * so the board can attach if=virtio drives (NULL: if=none). */
BlockBackend *block_graph_add_drive(BlockGraph *g, const char *arg, char **if_out,
                                    GError **errp);
/* blockdev-del: fails if the node is in use (by a backend or a parent). */
bool block_graph_del_node(BlockGraph *g, const char *node_name, GError **errp);
BlockNode *block_graph_find_node(BlockGraph *g, const char *node_name);
BlockBackend *block_graph_find_backend(BlockGraph *g, const char *name);
/* Iteration for the query commands, in creation order. */
guint block_graph_node_count(BlockGraph *g);
BlockNode *block_graph_node_at(BlockGraph *g, guint i);
guint block_graph_backend_count(BlockGraph *g);
BlockBackend *block_graph_backend_at(BlockGraph *g, guint i);

/* ---- backends (what devices use) ---- */

/* A device's drive= property: a backend name, or a node-name (then an
 * anonymous backend is made for it). Fails with QEMU's wording when the
 * name is unknown or the backend is already attached to a device. */
BlockBackend *blk_attach_by_name(BlockGraph *g, const char *name, const char *dev_id,
                                 GError **errp);
/* Gives the backend back (device unrealize); anonymous ones are freed,
 * and so is a -drive backend (QEMU's auto-deletion on unplug). */
void blk_detach(BlockBackend *blk);
/* The same for a device whose realize failed after attaching: a -drive
 * backend stays (QEMU keeps the drive then); anonymous ones are freed. */
void blk_detach_keep(BlockBackend *blk);

const char *blk_name(BlockBackend *blk);      /* "" for anonymous backends */
BlockNode *blk_root(BlockBackend *blk);
uint64_t blk_length(BlockBackend *blk);       /* bytes */
bool blk_is_read_only(BlockBackend *blk);
bool blk_enable_write_cache(BlockBackend *blk);
void blk_set_enable_write_cache(BlockBackend *blk, bool on);
bool blk_discard_enabled(BlockBackend *blk); /* discard=unmap */
BlockErrorAction blk_error_action(BlockBackend *blk, bool is_read, int error);
/* Raises BLOCK_IO_ERROR for a failed request and, for STOP, pauses the
 * VM. The device keeps STOP requests and submits them again on resume. */
void blk_report_error(BlockBackend *blk, BlockErrorAction action, bool is_read, int error);
/* Capacity changes (block_resize) are told to the device. */
void blk_set_resize_cb(BlockBackend *blk, void (*cb)(void *opaque), void *opaque);

/* Submits; req->cb runs later on the main loop with the result. Requests
 * past the end of the device complete with -EIO; writes to a read-only
 * backend with -EPERM. Stats and throttling are applied here. */
void blk_submit(BlockBackend *blk, BlockRequest *req);
/* Submits everything queued so far (the engines batch until the main loop
 * iterates; a caller that must not wait may call this). */
void blk_flush_submissions(BlockBackend *blk);
/* Requests submitted and not yet completed. */
unsigned blk_in_flight(BlockBackend *blk);
/* Completes every request of blk before returning (their callbacks run
 * inside): throttled ones are let through, the engines are waited on
 * without running the main loop. For device reset and unplug, so no DMA
 * into or out of guest RAM happens after them (as QEMU's blk_drain).
 * Never from a completion callback. */
void blk_drain(BlockBackend *blk);
