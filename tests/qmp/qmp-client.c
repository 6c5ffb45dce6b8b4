#include "qmp-client.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct QmpClient {
    int fd;
    int timeout_ms;
    GString *buf;
};

QmpClient *qmp_connect(const char *path, int timeout_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return NULL;
    }
    QmpClient *c = g_new0(QmpClient, 1);
    c->fd = fd;
    c->timeout_ms = timeout_ms;
    c->buf = g_string_new(NULL);
    return c;
}

int qmp_listen(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    g_assert_cmpint(listen(fd, 4), ==, 0);
    return fd;
}

void qmp_close(QmpClient *c)
{
    close(c->fd);
    g_string_free(c->buf, TRUE);
    g_free(c);
}

char *qmp_read_line(QmpClient *c)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)c->timeout_ms * 1000;
    for (;;) {
        char *nl = memchr(c->buf->str, '\n', c->buf->len);
        if (nl) {
            gsize len = nl - c->buf->str;
            g_assert_true(len > 0 && c->buf->str[len - 1] == '\r');
            char *line = g_strndup(c->buf->str, len - 1);
            g_string_erase(c->buf, 0, len + 1);
            return line;
        }
        int left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0) {
            return NULL;
        }
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        if (poll(&p, 1, left) <= 0) {
            continue;
        }
        char tmp[4096];
        ssize_t n = read(c->fd, tmp, sizeof(tmp));
        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(c->buf, tmp, n);
    }
}

void qmp_send(QmpClient *c, const char *text)
{
    size_t len = strlen(text);
    g_assert_cmpint(write(c->fd, text, len), ==, (ssize_t)len);
}

char *qmp_cmd(QmpClient *c, const char *text)
{
    qmp_send(c, text);
    for (;;) {
        char *line = qmp_read_line(c);
        if (!line || !strstr(line, "\"event\"")) {
            return line;
        }
        g_free(line);
    }
}

char *qmp_wait_event(QmpClient *c, const char *name)
{
    g_autofree char *needle = g_strdup_printf("\"event\": \"%s\"", name);
    for (;;) {
        char *line = qmp_read_line(c);
        if (!line || strstr(line, needle)) {
            return line;
        }
        g_free(line);
    }
}
