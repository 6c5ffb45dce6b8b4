/* Character backends (QEMU's -chardev): byte streams between a frontend
 * (a serial port, a monitor) and the host. All backends are file
 * descriptors watched by the main loop; frontends never see the fds. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/opts.h"

typedef struct Chardev Chardev;

typedef enum {
    CHR_EVENT_OPENED,  /* a peer connected (sockets) or the backend opened */
    CHR_EVENT_CLOSED,  /* the peer went away */
} ChardevEvent;

typedef struct ChardevFrontend {
    /* How many bytes the frontend can take now; 0 pauses input until
     * chardev_accept_input(). */
    int (*can_receive)(void *opaque);
    void (*receive)(void *opaque, const uint8_t *buf, int len);
    void (*event)(void *opaque, ChardevEvent event);
    void *opaque;
} ChardevFrontend;

typedef struct ChardevBackendOps ChardevBackendOps;

struct Chardev {
    char *id;
    const ChardevBackendOps *ops;
    int in_fd;          /* -1 when there is nothing to read */
    int out_fd;         /* -1 when output is discarded */
    bool out_blocking;  /* stdio/file: never drop output */
    int listen_fd;      /* socket servers */
    bool connected;
    char *filename;     /* QEMU's "filename" for query-chardev */
    ChardevFrontend fe;
    bool has_fe;
    GSource *in_watch;
    GSource *listen_watch;
    GMainContext *ctx;
    /* mux=on (mon:stdio): QEMU's C-a escapes are handled here. */
    bool mux;
    bool mux_escape;
    GByteArray *mux_pending;   /* input the frontend has not taken yet */
    void (*mux_quit)(void *opaque);
    void *mux_quit_opaque;
    /* Descriptors that arrived with the input (SCM_RIGHTS on unix
     * sockets), oldest first, for QMP getfd/add-fd. */
    GArray *recv_fds;
};

struct ChardevBackendOps {
    const char *name;
    /* Validates options without side effects (for the command line). */
    bool (*validate)(TernOpts *opts, GError **errp);
    bool (*open)(Chardev *chr, TernOpts *opts, GError **errp);
    void (*close)(Chardev *chr);
    /* The peer hung up: servers go back to listening. */
    void (*disconnected)(Chardev *chr);
    /* query-chardev's "filename" when it depends on the connection;
     * NULL: chr->filename. */
    char *(*describe)(Chardev *chr);
};

/* The backends -chardev accepts, NULL-terminated, in the order QEMU's
 * query-chardev-backends lists them. */
extern const ChardevBackendOps *const chardev_backends[];

/* Converts QEMU's legacy -serial/-qmp spec ("stdio", "file:P", "unix:P,server=on",
 * "tcp:H:P,...", "pty", "null", "mon:stdio") to -chardev options with the given id. */
TernOpts *chardev_opts_from_legacy(const char *spec, const char *id, GError **errp);
bool chardev_opts_validate(TernOpts *opts, GError **errp);

Chardev *chardev_open(TernOpts *opts, GMainContext *ctx, GError **errp);
void chardev_close(Chardev *chr);
/* QEMU's "filename" for query-chardev, e.g. "disconnected:unix:P,server=on". */
char *chardev_describe(Chardev *chr);

void chardev_set_frontend(Chardev *chr, const ChardevFrontend *fe);
void chardev_accept_input(Chardev *chr);
/* Writes all of buf (blocking backends) or what the peer takes now. */
int chardev_write(Chardev *chr, const uint8_t *buf, int len);

/* Takes the oldest descriptor received with the last message that
 * carried any (a newer message's descriptors replace unclaimed ones, as
 * in QEMU), or -1. */
int chardev_take_fd(Chardev *chr);
/* Closes descriptors nobody claimed (the peer went away). */
void chardev_drop_fds(Chardev *chr);

/* Handles C-a escapes in buf (in place); returns the bytes left. */
int chardev_mux_filter(Chardev *chr, uint8_t *buf, int len);

/* Helpers for backends. */
void chardev_attach_fds(Chardev *chr, int in_fd, int out_fd);
void chardev_hangup(Chardev *chr);

extern const ChardevBackendOps chardev_stdio_ops;
extern const ChardevBackendOps chardev_null_ops;
extern const ChardevBackendOps chardev_file_ops;
extern const ChardevBackendOps chardev_pty_ops;
extern const ChardevBackendOps chardev_socket_ops;
