#include "chardev/chardev.h"
#include "util/error.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const ChardevBackendOps *const chardev_backends[] = {
    &chardev_pty_ops,
    &chardev_file_ops,
    &chardev_socket_ops,
    &chardev_null_ops,
    &chardev_stdio_ops,
    NULL,
};

static const ChardevBackendOps *find_backend(const char *name)
{
    for (guint i = 0; chardev_backends[i]; i++) {
        if (!strcmp(chardev_backends[i]->name, name)) {
            return chardev_backends[i];
        }
    }
    return NULL;
}

TernOpts *chardev_opts_from_legacy(const char *spec, const char *id, GError **errp)
{
    g_autofree char *s = NULL;
    if (!strcmp(spec, "stdio")) {
        s = g_strdup_printf("stdio,id=%s", id);
    } else if (!strcmp(spec, "mon:stdio")) {
        s = g_strdup_printf("stdio,id=%s,mux=on", id);
    } else if (!strcmp(spec, "null") || g_str_has_prefix(spec, "vc")) {
        s = g_strdup_printf("null,id=%s", id);
    } else if (!strcmp(spec, "pty")) {
        s = g_strdup_printf("pty,id=%s", id);
    } else if (g_str_has_prefix(spec, "file:")) {
        s = g_strdup_printf("file,id=%s,path=%s", id, spec + 5);
    } else if (g_str_has_prefix(spec, "unix:")) {
        s = g_strdup_printf("socket,id=%s,path=%s", id, spec + 5);
    } else if (g_str_has_prefix(spec, "tcp:")) {
        /* tcp:[HOST]:PORT[,opts] */
        const char *rest = spec + 4;
        const char *comma = strchr(rest, ',');
        g_autofree char *addr = comma ? g_strndup(rest, comma - rest) : g_strdup(rest);
        char *colon = strrchr(addr, ':');
        if (!colon) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "'%s' is not a valid char driver (tcp needs HOST:PORT)", spec);
            return NULL;
        }
        *colon = '\0';
        s = g_strdup_printf("socket,id=%s,host=%s,port=%s%s", id, addr, colon + 1,
                            comma ? comma : "");
    } else {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "'%s' is not a valid char driver", spec);
        return NULL;
    }
    return opts_parse(s, "backend", errp);
}

bool chardev_opts_validate(TernOpts *opts, GError **errp)
{
    const char *backend = opts_get(opts, "backend");
    if (!backend) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "chardev: no backend specified");
        return false;
    }
    const ChardevBackendOps *ops = find_backend(backend);
    if (!ops) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "'%s' is not a valid char driver name", backend);
        return false;
    }
    const char *id = opts_get(opts, "id");
    if (!id || !*id) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "chardev: no id specified");
        return false;
    }
    if (!g_ascii_isalpha(id[0])) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Parameter 'id' expects an identifier");
        return false;
    }
    bool b;
    if (!opts_get_bool(opts, "mux", false, &b, errp) ||
        !opts_get_bool(opts, "logappend", false, &b, errp)) {
        return false;
    }
    opts_accept(opts, "logfile");
    opts_accept(opts, "signal");
    if (ops->validate && !ops->validate(opts, errp)) {
        return false;
    }
    return opts_check_all_used(opts, errp);
}

Chardev *chardev_open(TernOpts *opts, GMainContext *ctx, GError **errp)
{
    if (!chardev_opts_validate(opts, errp)) {
        return NULL;
    }
    Chardev *chr = g_new0(Chardev, 1);
    chr->ops = find_backend(opts_get(opts, "backend"));
    chr->id = g_strdup(opts_get(opts, "id"));
    chr->in_fd = chr->out_fd = chr->listen_fd = -1;
    chr->ctx = ctx;
    opts_get_bool(opts, "mux", false, &chr->mux, NULL);
    if (chr->mux) {
        chr->mux_pending = g_byte_array_new();
    }
    if (!chr->ops->open(chr, opts, errp)) {
        g_prefix_error(errp, "chardev '%s': ", chr->id);
        g_free(chr->id);
        g_free(chr);
        return NULL;
    }
    return chr;
}

char *chardev_describe(Chardev *chr)
{
    if (chr->ops->describe) {
        return chr->ops->describe(chr);
    }
    return g_strdup(chr->filename);
}

static void remove_source(GSource **src)
{
    if (*src) {
        g_source_destroy(*src);
        g_source_unref(*src);
        *src = NULL;
    }
}

void chardev_close(Chardev *chr)
{
    if (!chr) {
        return;
    }
    remove_source(&chr->in_watch);
    remove_source(&chr->listen_watch);
    if (chr->ops->close) {
        chr->ops->close(chr);
    }
    if (chr->mux_pending) {
        g_byte_array_unref(chr->mux_pending);
    }
    if (chr->recv_fds) {
        chardev_drop_fds(chr);
        g_array_unref(chr->recv_fds);
    }
    g_free(chr->filename);
    g_free(chr->id);
    g_free(chr);
}

#define MUX_BUFFER 4096

/* Hands buffered mux input to the frontend as far as it takes it. */
static void mux_deliver(Chardev *chr)
{
    while (chr->mux_pending && chr->mux_pending->len) {
        int room = chr->fe.can_receive ? chr->fe.can_receive(chr->fe.opaque) : 4096;
        if (room <= 0) {
            return;
        }
        int n = MIN((guint)room, chr->mux_pending->len);
        chr->fe.receive(chr->fe.opaque, chr->mux_pending->data, n);
        g_byte_array_remove_range(chr->mux_pending, 0, n);
    }
}

#define MAX_RECV_FDS 16

/* Sockets may carry descriptors (SCM_RIGHTS) for QMP's getfd and
 * add-fd; everything else is a plain read. */
static ssize_t read_with_fds(Chardev *chr, int fd, uint8_t *buf, size_t len)
{
    if (chr->ops != &chardev_socket_ops) {
        return read(fd, buf, len);
    }
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(MAX_RECV_FDS * sizeof(int))];
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == ENOTSOCK) {
        return read(fd, buf, len);
    }
    bool got_fds = false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); n >= 0 && c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int fds[MAX_RECV_FDS];
        memcpy(fds, CMSG_DATA(c), MIN(count, (size_t)MAX_RECV_FDS) * sizeof(int));
        if (!chr->recv_fds) {
            chr->recv_fds = g_array_new(FALSE, FALSE, sizeof(int));
        }
        /* QEMU keeps only the latest message's descriptors. */
        if (!got_fds) {
            chardev_drop_fds(chr);
            got_fds = true;
        }
        g_array_append_vals(chr->recv_fds, fds, MIN(count, (size_t)MAX_RECV_FDS));
    }
    return n;
}

int chardev_take_fd(Chardev *chr)
{
    if (!chr->recv_fds || chr->recv_fds->len == 0) {
        return -1;
    }
    int fd = g_array_index(chr->recv_fds, int, 0);
    g_array_remove_index(chr->recv_fds, 0);
    return fd;
}

void chardev_drop_fds(Chardev *chr)
{
    int fd;
    while ((fd = chardev_take_fd(chr)) >= 0) {
        close(fd);
    }
}

static gboolean input_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    int room;
    if (chr->mux) {
        /* Read even when the frontend is full, so escapes (C-a x) always
         * work; keep what the frontend cannot take yet. */
        mux_deliver(chr);
        room = MUX_BUFFER - (int)chr->mux_pending->len;
    } else {
        room = chr->fe.can_receive ? chr->fe.can_receive(chr->fe.opaque) : 4096;
    }
    if (room <= 0) {
        /* Stop polling until the frontend has room (chardev_accept_input). */
        g_source_unref(chr->in_watch);
        chr->in_watch = NULL;
        return G_SOURCE_REMOVE;
    }
    uint8_t buf[4096];
    ssize_t n = read_with_fds(chr, fd, buf, MIN((size_t)room, sizeof(buf)));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        g_source_unref(chr->in_watch);
        chr->in_watch = NULL;
        chardev_hangup(chr);
        return G_SOURCE_REMOVE;
    }
    if (chr->mux) {
        n = chardev_mux_filter(chr, buf, n);
        g_byte_array_append(chr->mux_pending, buf, n);
        mux_deliver(chr);
    } else {
        chr->fe.receive(chr->fe.opaque, buf, n);
    }
    return G_SOURCE_CONTINUE;
}

/* QEMU's mux escapes on a console shared with the monitor: C-a x quits,
 * C-a h prints help, C-a C-a sends one C-a; other escapes are dropped.
 * Filters buf in place and returns the bytes left for the frontend. */
#define MUX_ESCAPE 0x01

static const char mux_help[] =
    "\r\nC-a h    print this help\r\n"
    "C-a x    exit Tern\r\n"
    "C-a C-a  sends C-a\r\n"
    "(the monitor, C-a c, is not available on this console yet)\r\n";

int chardev_mux_filter(Chardev *chr, uint8_t *buf, int len)
{
    int out = 0;
    for (int i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (!chr->mux_escape) {
            if (c == MUX_ESCAPE) {
                chr->mux_escape = true;
            } else {
                buf[out++] = c;
            }
            continue;
        }
        chr->mux_escape = false;
        switch (c) {
        case MUX_ESCAPE:
            buf[out++] = c;
            break;
        case 'x':
            if (chr->mux_quit) {
                static const char msg[] = "tern: terminated (C-a x)\r\n";
                chardev_write(chr, (const uint8_t *)msg, sizeof(msg) - 1);
                chr->mux_quit(chr->mux_quit_opaque);
            }
            break;
        case 'h':
        case '?':
            chardev_write(chr, (const uint8_t *)mux_help, sizeof(mux_help) - 1);
            break;
        default:
            break;
        }
    }
    return out;
}

static void watch_input(Chardev *chr)
{
    if (chr->in_watch || chr->in_fd < 0 || !chr->has_fe || !chr->fe.receive) {
        return;
    }
    chr->in_watch = g_unix_fd_source_new(chr->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(chr->in_watch, G_SOURCE_FUNC(input_ready), chr, NULL);
    g_source_attach(chr->in_watch, chr->ctx);
}

void chardev_set_frontend(Chardev *chr, const ChardevFrontend *fe)
{
    chr->fe = *fe;
    chr->has_fe = true;
    watch_input(chr);
    if (chr->connected && chr->fe.event) {
        chr->fe.event(chr->fe.opaque, CHR_EVENT_OPENED);
    }
}

void chardev_accept_input(Chardev *chr)
{
    if (chr->mux) {
        mux_deliver(chr);
    }
    watch_input(chr);
}

void chardev_attach_fds(Chardev *chr, int in_fd, int out_fd)
{
    chr->in_fd = in_fd;
    chr->out_fd = out_fd;
    chr->connected = true;
    watch_input(chr);
    if (chr->has_fe && chr->fe.event) {
        chr->fe.event(chr->fe.opaque, CHR_EVENT_OPENED);
    }
}

void chardev_hangup(Chardev *chr)
{
    remove_source(&chr->in_watch);
    bool was_connected = chr->connected;
    chr->connected = false;
    if (chr->ops->disconnected) {
        chr->ops->disconnected(chr);
    } else {
        chr->in_fd = -1;
    }
    if (was_connected && chr->has_fe && chr->fe.event) {
        chr->fe.event(chr->fe.opaque, CHR_EVENT_CLOSED);
    }
}

int chardev_write(Chardev *chr, const uint8_t *buf, int len)
{
    if (!chr || chr->out_fd < 0) {
        return len; /* discarded, like a null backend */
    }
    int done = 0;
    while (done < len) {
        ssize_t n;
        if (chr->out_blocking) {
            n = write(chr->out_fd, buf + done, len - done);
        } else {
            n = send(chr->out_fd, buf + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno == ENOTSOCK) {
                n = write(chr->out_fd, buf + done, len - done);
            }
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* A peer that does not read loses output rather than stalling
             * the vCPU; a broken peer is treated as a hang-up later by input. */
            break;
        }
        done += n;
    }
    return done;
}

static bool null_open(Chardev *chr, TernOpts *opts, GError **errp)
{
    chr->filename = g_strdup("null");
    return true;
}

const ChardevBackendOps chardev_null_ops = {
    .name = "null",
    .open = null_open,
};
