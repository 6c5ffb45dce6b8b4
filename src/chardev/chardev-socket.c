/* socket backend: unix (path=) or tcp (host=, port=), as server
 * (server=on, wait=on|off) or client, or an inherited fd= (a listening
 * socket is served, a connected one used as is, as libvirt passes them).
 * A server takes one client at a time and listens again when it leaves. */
#include "chardev/chardev.h"
#include "util/error.h"
#include "util/opts.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static bool socket_validate(TernOpts *opts, GError **errp)
{
    bool b;
    uint64_t n;
    const char *path = opts_get(opts, "path");
    const char *host = opts_get(opts, "host");
    const char *port = opts_get(opts, "port");
    const char *fd = opts_get(opts, "fd");
    int kinds = !!path + !!(host || port) + !!fd;
    if (kinds == 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "chardev: socket: no host given");
        return false;
    }
    if (kinds > 1) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "chardev: socket: 'path', 'host'/'port' and 'fd' are mutually exclusive");
        return false;
    }
    if ((host || port) && !port) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "chardev: socket: no port given");
        return false;
    }
    if (path && strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "UNIX socket path '%s' is too long", path);
        return false;
    }
    if (fd && !parse_u64(fd, &n)) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Parameter 'fd' expects a number");
        return false;
    }
    opts_accept(opts, "to");
    return opts_get_bool(opts, "server", false, &b, errp) &&
           opts_get_bool(opts, "wait", true, &b, errp) &&
           opts_get_bool(opts, "delay", true, &b, errp) &&
           opts_get_bool(opts, "telnet", false, &b, errp) &&
           opts_get_bool(opts, "ipv4", false, &b, errp) &&
           opts_get_bool(opts, "ipv6", false, &b, errp) &&
           opts_get_bool(opts, "abstract", false, &b, errp) &&
           opts_get_u64(opts, "reconnect", 0, &n, errp);
}

static void set_nonblock_cloexec(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void watch_listener(Chardev *chr);

static gboolean client_arrived(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) {
        return G_SOURCE_CONTINUE;
    }
    g_source_unref(chr->listen_watch);
    chr->listen_watch = NULL;
    chardev_attach_fds(chr, conn, conn);
    return G_SOURCE_REMOVE;
}

static void watch_listener(Chardev *chr)
{
    if (chr->listen_watch || chr->listen_fd < 0) {
        return;
    }
    chr->listen_watch = g_unix_fd_source_new(chr->listen_fd, G_IO_IN);
    g_source_set_callback(chr->listen_watch, G_SOURCE_FUNC(client_arrived), chr, NULL);
    g_source_attach(chr->listen_watch, chr->ctx);
}

static int open_unix(const char *path, bool server, GError **errp)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Failed to create socket: %s",
                    g_strerror(errno));
        return -1;
    }
    if (server) {
        unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Failed to bind socket to %s: %s", path, g_strerror(errno));
            close(fd);
            return -1;
        }
    } else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Failed to connect to '%s': %s", path, g_strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int open_tcp(const char *host, const char *port, bool server, GError **errp)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = server ? AI_PASSIVE : 0 };
    struct addrinfo *res;
    if (host && !*host) {
        host = NULL;
    }
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "address resolution failed for %s:%s: %s", host ? host : "", port,
                    gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        if (server) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0) {
                break;
            }
        } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Failed to %s socket %s:%s: %s",
                    server ? "bind" : "connect", host ? host : "", port, g_strerror(err));
    }
    return fd;
}

/* One end of a socket as QEMU prints it: "unix:PATH" or "tcp:HOST:PORT",
 * IPv6 hosts in brackets when bracket is set. */
static char *describe_end(int fd, bool peer, bool bracket)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                  : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc < 0) {
        return g_strdup("");
    }
    if (ss.ss_family == AF_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
        size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? len - offsetof(struct sockaddr_un, sun_path) : 0;
        return g_strdup_printf("unix:%.*s", (int)strnlen(sun->sun_path, n), sun->sun_path);
    }
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV)) {
        return g_strdup("");
    }
    bool v6 = bracket && ss.ss_family == AF_INET6;
    return g_strdup_printf("tcp:%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* QEMU's query-chardev filename: the live connection when there is one
 * ("tcp:L,server=on <-> R" over TCP, just the local end over unix
 * sockets), else "disconnected:" and the address listened on or, for a
 * client, the configured one. */
static char *socket_describe(Chardev *chr)
{
    const char *server = chr->listen_fd >= 0 ? ",server=on" : "";
    if (chr->connected && chr->in_fd >= 0) {
        g_autofree char *local = describe_end(chr->in_fd, false, true);
        if (g_str_has_prefix(local, "unix:")) {
            return g_strdup_printf("%s%s", local, server);
        }
        g_autofree char *remote = describe_end(chr->in_fd, true, true);
        return g_strdup_printf("%s%s <-> %s", local, server, remote + strlen("tcp:"));
    }
    if (chr->listen_fd >= 0) {
        g_autofree char *local = describe_end(chr->listen_fd, false, false);
        return g_strdup_printf("disconnected:%s%s", local, server);
    }
    return g_strdup_printf("disconnected:%s", chr->filename);
}

static bool socket_open(Chardev *chr, TernOpts *opts, GError **errp)
{
    bool server, wait;
    opts_get_bool(opts, "server", false, &server, NULL);
    opts_get_bool(opts, "wait", true, &wait, NULL);
    const char *path = opts_get(opts, "path");
    const char *fdstr = opts_get(opts, "fd");
    int fd;

    if (fdstr) {
        uint64_t n;
        int acceptconn = 0;
        socklen_t len = sizeof(acceptconn);
        parse_u64(fdstr, &n);
        fd = (int)n;
        if (n > INT32_MAX ||
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acceptconn, &len) < 0) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "File descriptor '%s' is not a socket", fdstr);
            return false;
        }
        server = acceptconn;
        wait = false;
        chr->filename = g_strdup_printf("fd:%d", fd);
    } else if (path) {
        fd = open_unix(path, server, errp);
        chr->filename = g_strdup_printf("unix:%s%s", path, server ? ",server=on" : "");
    } else {
        const char *host = opts_get(opts, "host");
        const char *port = opts_get(opts, "port");
        fd = open_tcp(host, port, server, errp);
        chr->filename = g_strdup_printf("tcp:%s:%s%s", host ? host : "", port,
                                        server ? ",server=on" : "");
    }
    if (fd < 0) {
        return false;
    }
    set_nonblock_cloexec(fd);
    if (!server) {
        chardev_attach_fds(chr, fd, fd);
        return true;
    }
    chr->listen_fd = fd;
    if (wait) {
        /* QEMU blocks start-up until the first client connects. */
        g_autofree char *where = socket_describe(chr);
        fprintf(stderr, "tern: waiting for connection on: %s\n", where);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (conn >= 0) {
            chardev_attach_fds(chr, conn, conn);
            return true;
        }
    }
    watch_listener(chr);
    return true;
}

static void socket_disconnected(Chardev *chr)
{
    if (chr->in_fd >= 0) {
        close(chr->in_fd);
    }
    chr->in_fd = chr->out_fd = -1;
    watch_listener(chr);
}

static void socket_close(Chardev *chr)
{
    if (chr->in_fd >= 0) {
        close(chr->in_fd);
    }
    if (chr->listen_fd >= 0) {
        close(chr->listen_fd);
    }
}

const ChardevBackendOps chardev_socket_ops = {
    .name = "socket",
    .validate = socket_validate,
    .open = socket_open,
    .close = socket_close,
    .disconnected = socket_disconnected,
    .describe = socket_describe,
};
