#include "libqtest.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT_MS 20000
#define MAX_GSI 24

struct QTestState {
    pid_t pid;
    bool exited;
    int status;
    char *dir;
    int qfd, qmpfd;
    GString *qbuf, *qmpbuf;
    bool irq_level[MAX_GSI];
    GPtrArray *irq_lines;
    GQueue events;              /* QMP event lines not yet waited for */
};

static const char *binary(void)
{
    const char *b = g_getenv("TERN_BINARY");
    b = b ? b : g_getenv("QTEST_QEMU_BINARY");
    if (!b) {
        g_error("set TERN_BINARY to Tern's binary");
    }
    return b;
}

static int listen_at(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert(strlen(path) < sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert(fd >= 0);
    g_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    g_assert(listen(fd, 1) == 0);
    return fd;
}

static void check_alive(QTestState *s)
{
    if (!s->exited && waitpid(s->pid, &s->status, WNOHANG) == s->pid) {
        s->exited = true;
    }
    if (s->exited) {
        g_error("Tern exited early (status 0x%x)", s->status);
    }
}

/* Tern connects as a client; until it does, it must still be running. */
static int accept_from(QTestState *s, int lfd)
{
    for (int waited = 0; waited < TIMEOUT_MS; waited += 100) {
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, 100) > 0) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            g_assert(fd >= 0);
            return fd;
        }
        check_alive(s);
    }
    g_error("Tern did not connect within %d ms", TIMEOUT_MS);
}

/* The next line from fd without its newline, or NULL at EOF. */
static char *read_line(int fd, GString *buf)
{
    for (;;) {
        char *nl = memchr(buf->str, '\n', buf->len);
        if (nl) {
            char *line = g_strndup(buf->str, nl - buf->str);
            g_string_erase(buf, 0, nl - buf->str + 1);
            if (*line && line[strlen(line) - 1] == '\r') {
                line[strlen(line) - 1] = '\0';
            }
            return line;
        }
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int rc = poll(&p, 1, TIMEOUT_MS);
        if (rc == 0) {
            g_error("no reply from Tern within %d ms", TIMEOUT_MS);
        }
        char tmp[65536];
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return NULL;
        }
        g_string_append_len(buf, tmp, n);
    }
}

static void send_all(int fd, const char *text)
{
    size_t len = strlen(text), done = 0;
    while (done < len) {
        ssize_t n = send(fd, text + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        g_assert(n > 0);
        done += n;
    }
}

static QTestState *start(const char *args, const char *log)
{
    QTestState *s = g_new0(QTestState, 1);
    g_autoptr(GError) err = NULL;
    s->dir = g_dir_make_tmp("tern-qtest-XXXXXX", &err);
    g_assert_no_error(err);
    g_autofree char *qsock = g_build_filename(s->dir, "qtest.sock", NULL);
    g_autofree char *qmpsock = g_build_filename(s->dir, "qtest.qmp", NULL);
    int ql = listen_at(qsock), qmpl = listen_at(qmpsock);
    if (!log) {
        log = g_getenv("QTEST_LOG") ? "/dev/fd/2" : "/dev/null";
    }
    /* libqtest's launch line, word for word. */
    g_autofree char *cmd = g_strdup_printf(
        "exec %s -qtest unix:%s -qtest-log %s -chardev socket,path=%s,id=char0 "
        "-mon chardev=char0,mode=control -display none %s -accel qtest",
        binary(), qsock, log, qmpsock, args ? args : "");
    s->pid = fork();
    g_assert(s->pid >= 0);
    if (s->pid == 0) {
        /* A test that fails on an assertion must not leave Tern behind
         * holding the test runner's pipes. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execlp("sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    s->qfd = accept_from(s, ql);
    s->qmpfd = accept_from(s, qmpl);
    close(ql);
    close(qmpl);
    unlink(qsock);
    unlink(qmpsock);
    s->qbuf = g_string_new(NULL);
    s->qmpbuf = g_string_new(NULL);
    s->irq_lines = g_ptr_array_new_with_free_func(g_free);
    g_queue_init(&s->events);

    g_autofree char *endian = qtest_raw(s, "endianness");
    g_assert_cmpstr(endian, ==, "OK little");
    g_autofree char *greeting = read_line(s->qmpfd, s->qmpbuf);
    g_assert(greeting && strstr(greeting, "\"QMP\""));
    g_autofree char *caps = qtest_qmp(s, "{\"execute\": \"qmp_capabilities\"}");
    g_assert_cmpstr(caps, ==, "{\"return\": {}}");
    return s;
}

QTestState *qtest_init(const char *args)
{
    return start(args, NULL);
}

QTestState *qtest_init_with_log(const char *args, const char *log_path)
{
    return start(args, log_path);
}

static void destroy(QTestState *s)
{
    close(s->qfd);
    close(s->qmpfd);
    g_rmdir(s->dir);
    g_free(s->dir);
    g_string_free(s->qbuf, TRUE);
    g_string_free(s->qmpbuf, TRUE);
    g_ptr_array_unref(s->irq_lines);
    g_queue_clear_full(&s->events, g_free);
    g_free(s);
}

static int reap(QTestState *s)
{
    if (!s->exited) {
        for (int waited = 0; waitpid(s->pid, &s->status, WNOHANG) != s->pid; waited += 10) {
            if (waited >= TIMEOUT_MS) {
                kill(s->pid, SIGKILL);
                g_error("Tern did not exit within %d ms", TIMEOUT_MS);
            }
            g_usleep(10000);
        }
        s->exited = true;
    }
    return s->status;
}

void qtest_quit(QTestState *s)
{
    if (!s->exited) {
        kill(s->pid, SIGTERM);
    }
    int status = reap(s);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    destroy(s);
}

int qtest_wait_exit(QTestState *s)
{
    int status = reap(s);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* ---- the qtest protocol ---- */

static bool irq_line(QTestState *s, const char *line)
{
    int n;
    char what[8];
    if (sscanf(line, "IRQ %7s %d", what, &n) != 2) {
        return false;
    }
    g_assert(n >= 0 && n < MAX_GSI);
    g_assert(!strcmp(what, "raise") || !strcmp(what, "lower"));
    s->irq_level[n] = !strcmp(what, "raise");
    g_ptr_array_add(s->irq_lines, g_strdup(line));
    return true;
}

char *qtest_raw(QTestState *s, const char *line)
{
    g_autofree char *text = g_strdup_printf("%s\n", line);
    send_all(s->qfd, text);
    for (;;) {
        char *reply = read_line(s->qfd, s->qbuf);
        if (!reply) {
            g_error("qtest connection closed after '%s'", line);
        }
        if (!irq_line(s, reply)) {
            return reply;
        }
        g_free(reply);
    }
}

GPtrArray *qtest_take_irq_lines(QTestState *s)
{
    GPtrArray *lines = s->irq_lines;
    s->irq_lines = g_ptr_array_new_with_free_func(g_free);
    return lines;
}

static void G_GNUC_PRINTF(2, 3) cmd_ok(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *reply = qtest_raw(s, line);
    if (strcmp(reply, "OK")) {
        g_error("'%s' answered '%s'", line, reply);
    }
}

/* "OK VALUE": the value as a number. */
static uint64_t G_GNUC_PRINTF(2, 3) cmd_value(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *reply = qtest_raw(s, line);
    if (strncmp(reply, "OK ", 3)) {
        g_error("'%s' answered '%s'", line, reply);
    }
    return g_ascii_strtoull(reply + 3, NULL, 0);
}

void qtest_outb(QTestState *s, uint16_t port, uint8_t v) { cmd_ok(s, "outb 0x%x 0x%x", port, v); }
void qtest_outw(QTestState *s, uint16_t port, uint16_t v) { cmd_ok(s, "outw 0x%x 0x%x", port, v); }
void qtest_outl(QTestState *s, uint16_t port, uint32_t v) { cmd_ok(s, "outl 0x%x 0x%x", port, v); }
uint8_t qtest_inb(QTestState *s, uint16_t port) { return cmd_value(s, "inb 0x%x", port); }
uint16_t qtest_inw(QTestState *s, uint16_t port) { return cmd_value(s, "inw 0x%x", port); }
uint32_t qtest_inl(QTestState *s, uint16_t port) { return cmd_value(s, "inl 0x%x", port); }

#define ADDR "0x%" G_GINT64_MODIFIER "x"
void qtest_writeb(QTestState *s, uint64_t a, uint8_t v) { cmd_ok(s, "writeb " ADDR " 0x%x", a, v); }
void qtest_writew(QTestState *s, uint64_t a, uint16_t v) { cmd_ok(s, "writew " ADDR " 0x%x", a, v); }
void qtest_writel(QTestState *s, uint64_t a, uint32_t v) { cmd_ok(s, "writel " ADDR " 0x%x", a, v); }
void qtest_writeq(QTestState *s, uint64_t a, uint64_t v)
{
    cmd_ok(s, "writeq " ADDR " " ADDR, a, v);
}
uint8_t qtest_readb(QTestState *s, uint64_t a) { return cmd_value(s, "readb " ADDR, a); }
uint16_t qtest_readw(QTestState *s, uint64_t a) { return cmd_value(s, "readw " ADDR, a); }
uint32_t qtest_readl(QTestState *s, uint64_t a) { return cmd_value(s, "readl " ADDR, a); }
uint64_t qtest_readq(QTestState *s, uint64_t a) { return cmd_value(s, "readq " ADDR, a); }

void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t len)
{
    g_autofree char *line = g_strdup_printf("read " ADDR " 0x%zx", addr, len);
    g_autofree char *reply = qtest_raw(s, line);
    g_assert(g_str_has_prefix(reply, "OK 0x"));
    g_assert_cmpuint(strlen(reply), ==, 5 + 2 * len);
    for (size_t i = 0; i < len; i++) {
        ((uint8_t *)buf)[i] = g_ascii_xdigit_value(reply[5 + 2 * i]) << 4 |
                              g_ascii_xdigit_value(reply[6 + 2 * i]);
    }
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf, size_t len)
{
    GString *line = g_string_new(NULL);
    g_string_printf(line, "write " ADDR " 0x%zx 0x", addr, len);
    for (size_t i = 0; i < len; i++) {
        g_string_append_printf(line, "%02x", ((const uint8_t *)buf)[i]);
    }
    g_autofree char *text = g_string_free(line, FALSE);
    cmd_ok(s, "%s", text);
}

void qtest_bufread(QTestState *s, uint64_t addr, void *buf, size_t len)
{
    g_autofree char *line = g_strdup_printf("b64read " ADDR " 0x%zx", addr, len);
    g_autofree char *reply = qtest_raw(s, line);
    g_assert(g_str_has_prefix(reply, "OK "));
    gsize n;
    g_autofree uint8_t *data = g_base64_decode(reply + 3, &n);
    g_assert_cmpuint(n, ==, len);
    memcpy(buf, data, len);
}

void qtest_bufwrite(QTestState *s, uint64_t addr, const void *buf, size_t len)
{
    g_autofree char *b64 = g_base64_encode(buf, len);
    cmd_ok(s, "b64write " ADDR " 0x%zx %s", addr, len, b64);
}

void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t len)
{
    cmd_ok(s, "memset " ADDR " 0x%zx 0x%02x", addr, len, pattern);
}

int64_t qtest_clock_step(QTestState *s, int64_t ns)
{
    return cmd_value(s, "clock_step %" G_GINT64_FORMAT, ns);
}

int64_t qtest_clock_step_next(QTestState *s)
{
    return cmd_value(s, "clock_step");
}

int64_t qtest_clock_set(QTestState *s, int64_t ns)
{
    return cmd_value(s, "clock_set %" G_GINT64_FORMAT, ns);
}

/* Whether one of the IRQ lines from index `from` on raises line num. */
static bool irq_raised_since(QTestState *s, guint from, int num)
{
    g_autofree char *want = g_strdup_printf("IRQ raise %d", num);
    for (guint i = from; i < s->irq_lines->len; i++) {
        if (!strcmp(g_ptr_array_index(s->irq_lines, i), want)) {
            return true;
        }
    }
    return false;
}

int64_t qtest_clock_step_until_irq(QTestState *s, int num, int64_t max_ns)
{
    g_assert(num >= 0 && num < MAX_GSI);
    int64_t now = qtest_clock_step(s, 0);
    int64_t deadline = now + max_ns;
    /* Every stop moves the clock by at least 1 ns, so this ends; the
     * count is only a guard against a timer that re-arms 1 ns ahead. */
    for (unsigned steps = 0; steps < 1000000; steps++) {
        guint seen = s->irq_lines->len;
        int64_t next = qtest_clock_step_next(s);
        if (next > deadline || next == now) {
            return -1;               /* past the bound, or nothing armed */
        }
        now = next;
        if (irq_raised_since(s, seen, num)) {
            return now;
        }
    }
    return -1;
}

void qtest_irq_intercept_in(QTestState *s, const char *path)
{
    cmd_ok(s, "irq_intercept_in %s", path);
}

void qtest_irq_intercept_out(QTestState *s, const char *path)
{
    cmd_ok(s, "irq_intercept_out %s", path);
}

void qtest_set_irq_in(QTestState *s, const char *path, const char *name, int num, int level)
{
    cmd_ok(s, "set_irq_in %s %s %d %d", path, name, num, level);
}

bool qtest_get_irq(QTestState *s, int num)
{
    g_assert(num >= 0 && num < MAX_GSI);
    /* Flush IRQ lines that arrived without a command (timers). */
    g_autofree char *r = qtest_raw(s, "endianness");
    return s->irq_level[num];
}

/* ---- QMP ---- */

static bool is_event(const char *line)
{
    return g_str_has_prefix(line, "{\"timestamp\"");
}

char *qtest_qmp(QTestState *s, const char *json)
{
    g_autofree char *text = g_strdup_printf("%s\n", json);
    send_all(s->qmpfd, text);
    for (;;) {
        char *line = read_line(s->qmpfd, s->qmpbuf);
        if (!line) {
            g_error("QMP connection closed after %s", json);
        }
        if (!is_event(line)) {
            return line;
        }
        g_queue_push_tail(&s->events, line);
    }
}

char *qtest_qmp_eventwait(QTestState *s, const char *name)
{
    g_autofree char *key = g_strdup_printf("\"event\": \"%s\"", name);
    while (!g_queue_is_empty(&s->events)) {
        char *line = g_queue_pop_head(&s->events);
        if (strstr(line, key)) {
            return line;
        }
        g_free(line);
    }
    for (;;) {
        char *line = read_line(s->qmpfd, s->qmpbuf);
        if (!line) {
            g_error("QMP connection closed while waiting for %s", name);
        }
        if (is_event(line) && strstr(line, key)) {
            return line;
        }
        g_free(line);
    }
}
