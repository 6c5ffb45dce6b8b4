/* The block layer's inside: nodes, backends, drivers, engines, statistics
 * and throttling. Devices use block.h; the QMP commands (query-block,
 * query-named-block-nodes, query-blockstats, block_resize,
 * block_set_io_throttle, blockdev-add/del) and the block layer's own files
 * read these structs directly. Fields are read-only outside src/block
 * unless a function below says otherwise. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "block/block.h"
#include "block/block-opts.h"

typedef enum {
    BLOCK_AIO_THREADS,
    BLOCK_AIO_NATIVE,     /* linux-aio in QEMU; Tern serves it with io_uring */
    BLOCK_AIO_IO_URING,
} BlockAioMode;

typedef enum {
    BLOCK_DISCARD_IGNORE,
    BLOCK_DISCARD_UNMAP,
} BlockDiscardMode;

typedef enum {
    BLOCK_DETECT_ZEROES_OFF,
    BLOCK_DETECT_ZEROES_ON,
    BLOCK_DETECT_ZEROES_UNMAP,
} BlockDetectZeroes;

/* QEMU's BlockDeviceIoStatus, kept per backend (query-block io-status). */
typedef enum {
    BLOCK_IO_STATUS_OK,
    BLOCK_IO_STATUS_FAILED,
    BLOCK_IO_STATUS_NOSPACE,
} BlockIoStatus;

typedef struct BlockDriver BlockDriver;
typedef struct BlockEngine BlockEngine;

struct BlockNode {
    BlockGraph *graph;
    char *node_name;          /* given, or "#blockNNN" */
    bool auto_named;          /* QEMU hides these in some listings */
    const BlockDriver *drv;   /* drv->name: "raw", "file", "host_device", "null-co" */
    char *filename;           /* protocol: the path ("null-co://" for null-co);
                               * format: the child's filename; or "json:{...}" */
    JsonObject *name_opts;    /* what a json: filename of it or a parent shows */
    BlockNode *file;          /* format nodes: the protocol child, else NULL */
    bool read_only;           /* as opened (auto-read-only may have made it so) */
    bool auto_read_only;
    bool cache_direct;        /* O_DIRECT */
    bool cache_no_flush;      /* flushes complete at once */
    BlockDiscardMode discard;
    BlockDetectZeroes detect_zeroes;
    BlockAioMode aio;
    uint64_t size;            /* bytes, what the guest sees */
    uint64_t wr_highest_offset; /* query-blockstats per node */
    unsigned refcount;        /* parents + backends + the graph's own (named) ref */
    unsigned parents;         /* nodes that have this one as child */
    unsigned backends;        /* backends whose root this is */
    bool monitor_owned;       /* created by -blockdev/blockdev-add (blockdev-del may remove) */
    /* Protocol nodes. */
    int fd;                   /* -1 for null-co */
    bool read_zeroes;         /* null-co */
    uint32_t align;           /* O_DIRECT request alignment (bytes), 1 without */
};

typedef struct BlockStats {
    uint64_t rd_bytes, wr_bytes, unmap_bytes;
    uint64_t rd_operations, wr_operations, flush_operations, unmap_operations;
    uint64_t rd_total_time_ns, wr_total_time_ns, flush_total_time_ns, unmap_total_time_ns;
    uint64_t failed_rd_operations, failed_wr_operations, failed_flush_operations,
        failed_unmap_operations;
    uint64_t invalid_rd_operations, invalid_wr_operations, invalid_flush_operations,
        invalid_unmap_operations;
    bool account_invalid, account_failed;   /* QEMU's defaults: both true */
    /* Monotonic ns of the last completion, 0 if none (idle_time_ns is
     * block_now_ns() - last_done_ns when non-zero). */
    int64_t last_done_ns;
} BlockStats;

/* One limit of QEMU's throttle config: avg units/s, max burst rate,
 * for burst_length seconds (max 0: no burst beyond avg). */
typedef struct ThrottleLimit {
    uint64_t avg;
    uint64_t max;
    uint64_t burst_length;    /* seconds; QEMU's default 1 */
} ThrottleLimit;

typedef enum {
    THROTTLE_BPS_TOTAL,
    THROTTLE_BPS_READ,
    THROTTLE_BPS_WRITE,
    THROTTLE_OPS_TOTAL,
    THROTTLE_OPS_READ,
    THROTTLE_OPS_WRITE,
    THROTTLE_BUCKETS,
} ThrottleBucketType;

typedef struct ThrottleConfig {
    ThrottleLimit limits[THROTTLE_BUCKETS];
    uint64_t iops_size;       /* bytes per "operation" for iops (0: each is one) */
    char *group;              /* NULL: the backend's own group (its name) */
    /* group is only the name for a backend not throttled yet: one already
     * in a group stays there (block_set_io_throttle without "group"). */
    bool group_default;
} ThrottleConfig;

typedef struct BlockThrottle BlockThrottle;   /* runtime state (block-throttle.c) */

struct BlockBackend {
    BlockGraph *graph;
    char *name;               /* -drive id; "" for anonymous */
    bool anonymous;
    BlockNode *root;          /* NULL: no medium */
    char *dev_id;             /* attached device's id (qdev), NULL if detached */
    bool attached;
    char *if_type;            /* -drive if= ("none", "virtio", ...) */
    BlockOnError on_read_error, on_write_error;
    bool write_cache;         /* cache=writeback (writes acknowledged before flush) */
    bool iostatus_enabled;
    BlockIoStatus iostatus;
    BlockStats stats;
    ThrottleConfig throttle_cfg;   /* all zero: throttling off */
    BlockThrottle *throttle;       /* NULL when off */
    unsigned in_flight;            /* submitted, not completed (incl. throttled) */
    /* Freed while requests were in flight: off the graph's list, and freed
     * by the last completion. */
    bool zombie;
    bool draining;                 /* in blk_drain: a zombie is freed after */
    void (*resize_cb)(void *opaque);
    void *resize_opaque;
};

/* A driver: how requests reach storage. Format drivers (raw) pass them to
 * their `file` child; protocol drivers queue them on an engine. */
struct BlockDriver {
    const char *name;
    bool is_protocol;
    /* Opens n: the common keys are read already; reads its own and
     * reports what is left with block_opts_check_unused before opening. */
    bool (*open)(BlockNode *n, BlockOpts *opts, GError **errp);
    void (*close)(BlockNode *n);
    /* Queues req (offsets already relative to n, range-checked). */
    void (*submit)(BlockNode *n, BlockRequest *req);
    bool (*truncate)(BlockNode *n, uint64_t size, GError **errp);
    /* Bytes allocated on the host (query-block's actual-size); -1 if unknown. */
    int64_t (*actual_size)(BlockNode *n);
};

/* ---- graph internals ---- */

struct BlockGraph {
    GMainContext *ctx;
    BlockGraphHooks hooks;
    GPtrArray *nodes;             /* BlockNode, creation order */
    GPtrArray *backends;          /* BlockBackend, creation order */
    GPtrArray *zombies;           /* freed backends waiting for their requests */
    bool freeing;                 /* block_graph_free: no more waiting */
    GSource *defer_src;           /* deferred completions (a bottom half) */
    BlockRequest *defer_head, *defer_tail;
    BlockEngine *uring, *threads; /* created on first use */
    bool uring_failed;
    uint64_t auto_names;          /* "#block<n><2 random digits>", as QEMU */
    GHashTable *drive_index;      /* if= name -> next index, for "virtio0"-style ids */
    GHashTable *throttle_groups;  /* name -> BlockThrottle */
    /* -drive without format=: the next child opened prints QEMU's probe
     * warning (QEMU probes once the protocol node is open). */
    bool probe_warning;
    /* The clock for stats and throttling; tests replace it. */
    int64_t (*now)(void *opaque);
    void *now_opaque;
};

/* Monotonic ns (stats); block_graph_now() is the graph's clock. */
int64_t block_now_ns(void);
int64_t block_graph_now(BlockGraph *g);
/* QEMU's rule: a device's backend has an io-status (query-block, the
 * event's nospace) only when an error can stop the VM. */
bool blk_iostatus_is_enabled(BlockBackend *blk);
/* Re-runs throttle queues now (the release timer does this by itself). */
void block_graph_throttle_kick(BlockGraph *g);
/* QMP cont: every backend's io-status back to ok. */
void block_graph_iostatus_reset(BlockGraph *g);
GMainContext *block_graph_context(BlockGraph *g);
/* The engine for requests on protocol node n (its aio= mode; threads when
 * io_uring could not be set up). */
BlockEngine *block_graph_engine(BlockGraph *g, BlockAioMode mode);
/* Completes req with ret from the main loop, later (never inside the
 * caller): used by null-co, no-flush and requests failed up front. */
void block_graph_defer_complete(BlockGraph *g, BlockRequest *req, int ret);
/* Completes the deferred requests now (blk_drain). */
void block_graph_run_deferred(BlockGraph *g);
/* Sends blk's throttled requests on at once (drain, detach). */
void block_throttle_release(BlockBackend *blk);
/* Every request reaching its end goes through here: stats, in_flight, cb. */
void block_request_done(BlockRequest *req, int ret);
/* Nodes in creation order / find. */
bool block_node_name_valid(const char *name);
const BlockDriver *block_driver_find(const char *name);
/* The protocol leaf a request on n ends up on (raw → file). */
BlockNode *block_node_leaf(BlockNode *n);

/* block_resize: changes the size of n (and, for a format node, its file)
 * and tells every backend whose root is n (or has n below it). */
bool block_node_truncate(BlockNode *n, uint64_t size, GError **errp);
int64_t block_node_actual_size(BlockNode *n);
/* Used by a backend or a parent node. */
bool block_node_in_use(BlockNode *n);

/* block_set_io_throttle: an all-zero config (every limit's avg and max 0)
 * turns throttling off; QEMU's checks (max >= avg, burst_length needs max,
 * limits at most 1e15, total vs read/write exclusive) give its error text.
 * Requests held by the old config are released under the new one. */
bool blk_set_throttle(BlockBackend *blk, const ThrottleConfig *cfg, GError **errp);
/* Checks a config alone (same errors as blk_set_throttle). */
bool throttle_config_check(const ThrottleConfig *cfg, GError **errp);
bool throttle_config_enabled(const ThrottleConfig *cfg);
void throttle_config_clear(ThrottleConfig *cfg);   /* frees group, zeroes */
void throttle_config_copy(ThrottleConfig *dst, const ThrottleConfig *src);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ThrottleConfig, throttle_config_clear)
/* All limits off with QEMU's default burst_length of 1 (what
 * block_set_io_throttle starts from before applying its arguments). */
void throttle_config_init(ThrottleConfig *cfg);

const char *block_aio_mode_name(BlockAioMode m);          /* "threads", "native", "io_uring" */
const char *block_discard_mode_name(BlockDiscardMode m);  /* "ignore", "unmap" */
const char *block_detect_zeroes_name(BlockDetectZeroes d);/* "off", "on", "unmap" */
const char *block_on_error_name(BlockOnError e);          /* "report", "ignore", "enospc", "stop", "auto" */
const char *block_io_status_name(BlockIoStatus s);        /* "ok", "failed", "nospace" */

/* ---- for the block layer's own files ---- */

char *block_graph_auto_name(BlockGraph *g);
/* QEMU's json: filenames (block-filename.c). opts holds the options that
 * change what the node shows (QEMU's "strong" options, children nested),
 * in QEMU's key order; the node takes it. With json, its filename becomes
 * "json:{...}"; otherwise the plain filename the driver set stays. */
void block_node_set_name_opts(BlockNode *n, JsonObject *opts, bool json);
bool block_node_has_json_name(const BlockNode *n);
/* A value written as QEMU writes JSON ({"a": 1, "b": "x"}). */
char *block_json_to_string(JsonNode *v);
/* Opens a node tree from options; the caller owns the one reference. */
BlockNode *block_node_new_from_options(BlockGraph *g, JsonObject *options, BlockOptsMode mode,
                                       GError **errp);
/* Format drivers: opens/finds the child under `key` and takes a reference. */
BlockNode *block_node_open_child(BlockNode *n, BlockOpts *r, const char *key, GError **errp);
void block_node_unref(BlockNode *n);
void block_node_free(BlockNode *n);
void blk_free(BlockBackend *blk);
/* A backend on root (NULL: no medium), taking one reference on it. */
BlockBackend *blk_new(BlockGraph *g, const char *name, BlockNode *root);
/* Throttle state (block-throttle.c). */
bool block_throttle_intercept(BlockBackend *blk, BlockRequest *req);
void block_throttle_detach(BlockBackend *blk);
void block_request_dispatch(BlockBackend *blk, BlockRequest *req);

extern const BlockDriver block_driver_raw;
extern const BlockDriver block_driver_file;
extern const BlockDriver block_driver_host_device;
extern const BlockDriver block_driver_null_co;
