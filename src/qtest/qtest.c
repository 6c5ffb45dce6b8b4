/* The qtest protocol server, wire-compatible with QEMU 7.2's -qtest.
 *
 * One command per line, words separated by single spaces; every command
 * gets exactly one reply line ("OK ...", "FAIL ...", "ERR ..."), possibly
 * preceded by asynchronous "IRQ raise N" / "IRQ lower N" lines that the
 * command caused. QEMU asserts (and aborts) on malformed arguments; Tern
 * answers "FAIL <reason>" instead and carries on (docs/qtest.md lists
 * the texts). Everything runs on the main loop with the machine lock
 * held, as chardev input does. */
#define G_LOG_DOMAIN "tern-qtest"
#include "qtest/qtest.h"
#include "block/block.h"
#include "board/pc.h"
#include "monitor/qom.h"
#include "util/error.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

/* One command's data stays far below this; larger requests are refused
 * rather than allocated (QEMU would try, and abort). */
#define QTEST_MAX_LEN (256u << 20)
#define SEND_TIMEOUT_MS 10000

/* The IOAPIC's QOM path in QEMU's pc machine; partial paths ending in it
 * ("ioapic", "i440fx/ioapic") name it too, as object_resolve_path does. */
static const char *const ioapic_path[] = { "machine", "i440fx", "ioapic" };

struct QTestServer {
    Machine *m;
    Chardev *chr;
    FILE *log;
    bool log_owned;
    GTimer *timer;
    GString *inbuf;
    /* irq_intercept_in/out claim one device for the whole session. */
    char *intercept_dev;
    bool intercept_gsi;         /* irq_intercept_in on the IOAPIC */
    uint32_t levels;            /* what the test was last told, per GSI */
};

/* ---- output ---- */

static void log_prefix(QTestServer *q, char kind)
{
    fprintf(q->log, "[%c +%.6f] ", kind, g_timer_elapsed(q->timer, NULL));
}

/* Writes all of text: a test reads replies in lock step, so none may be
 * dropped even when the socket buffer is full (large b64read replies). */
static void write_all(QTestServer *q, const char *text, size_t len)
{
    size_t done = 0;
    while (done < len) {
        int n = chardev_write(q->chr, (const uint8_t *)text + done, (int)MIN(len - done, 65536u));
        done += n > 0 ? (size_t)n : 0;
        if (done == len || q->chr->out_fd < 0) {
            return;
        }
        struct pollfd p = { .fd = q->chr->out_fd, .events = POLLOUT };
        if (poll(&p, 1, SEND_TIMEOUT_MS) <= 0 || (p.revents & (POLLERR | POLLHUP))) {
            g_warning("qtest: peer stopped reading; reply truncated");
            return;
        }
    }
}

static void G_GNUC_PRINTF(2, 3) sendf(QTestServer *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (q->log) {
        log_prefix(q, 'S');
        fputs(text, q->log);
        fflush(q->log);
    }
    write_all(q, text, strlen(text));
}

/* A note in the log only (QEMU's qtest_log_send). */
static void G_GNUC_PRINTF(2, 3) log_note(QTestServer *q, const char *fmt, ...)
{
    if (!q->log) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    log_prefix(q, 'S');
    vfprintf(q->log, fmt, ap);
    fflush(q->log);
    va_end(ap);
}

/* ---- the GSI observer: asynchronous IRQ lines ---- */

static void gsi_changed(void *opaque, unsigned gsi, int level)
{
    QTestServer *q = opaque;
    uint32_t bit = 1u << gsi;
    if (!q->intercept_gsi || !!(q->levels & bit) == !!level) {
        return;
    }
    q->levels ^= bit;
    /* QEMU's words: "raise"/"lower", which libqtest parses. */
    sendf(q, "IRQ %s %u\n", level ? "raise" : "lower", gsi);
}

/* ---- argument parsing: a FAIL reply instead of QEMU's assertion ---- */

static bool need_args(QTestServer *q, char **w, unsigned n)
{
    for (unsigned i = 1; i <= n; i++) {
        if (!w[i]) {
            sendf(q, "FAIL Missing argument\n");
            return false;
        }
    }
    return true;
}

/* Numbers as QEMU's qemu_strtou64/strtoi64 with base 0 take them:
 * decimal, 0x hex or 0 octal, the whole word. */
static bool arg_number(QTestServer *q, const char *word, bool is_signed, uint64_t *v)
{
    char *end;
    errno = 0;
    *v = is_signed ? (uint64_t)g_ascii_strtoll(word, &end, 0) : g_ascii_strtoull(word, &end, 0);
    if (!*word || *end || errno) {
        sendf(q, "FAIL Invalid number '%s'\n", word);
        return false;
    }
    return true;
}

static bool arg_u64(QTestServer *q, const char *word, uint64_t *v)
{
    return arg_number(q, word, false, v);
}

static bool arg_i64(QTestServer *q, const char *word, int64_t *v)
{
    uint64_t u;
    bool ok = arg_number(q, word, true, &u);
    *v = (int64_t)u;
    return ok;
}

static bool arg_port(QTestServer *q, const char *word, uint64_t *port)
{
    if (!arg_u64(q, word, port)) {
        return false;
    }
    if (*port > 0xffff) {
        sendf(q, "FAIL Port 0x%" G_GINT64_MODIFIER "x out of range\n", *port);
        return false;
    }
    return true;
}

static bool arg_len(QTestServer *q, const char *word, bool allow_zero, uint64_t *len)
{
    if (!arg_u64(q, word, len)) {
        return false;
    }
    if ((*len == 0 && !allow_zero) || *len > QTEST_MAX_LEN) {
        sendf(q, "FAIL Invalid length %s\n", word);
        return false;
    }
    return true;
}

/* ---- guest memory as a bus master sees it ---- */

/* The RAM slot holding addr and the bytes left in it, or NULL. */
static const RamSlot *ram_at(const GuestRam *ram, uint64_t addr, uint64_t *left)
{
    for (unsigned i = 0; i < ram->nslots; i++) {
        const RamSlot *s = &ram->slots[i];
        if (addr >= s->gpa && addr - s->gpa < s->size) {
            *left = s->size - (addr - s->gpa);
            return s;
        }
    }
    return NULL;
}

/* RAM is copied; anything else goes to the MMIO space a byte at a time,
 * and unassigned memory reads as 0 (QEMU's unassigned_mem_read). */
static void mem_read(Machine *m, uint64_t addr, uint8_t *buf, uint64_t len)
{
    while (len) {
        uint64_t n;
        if (ram_at(&m->ram, addr, &n)) {
            n = MIN(n, len);
            guest_ram_read(&m->ram, addr, buf, n);
        } else {
            uint64_t v;
            n = 1;
            *buf = address_space_read(m->mmio, addr, &v, 1) ? (uint8_t)v : 0;
        }
        addr += n, buf += n, len -= n;
    }
}

static void mem_write(Machine *m, uint64_t addr, const uint8_t *buf, uint64_t len)
{
    while (len) {
        uint64_t n;
        if (ram_at(&m->ram, addr, &n)) {
            n = MIN(n, len);
            guest_ram_write(&m->ram, addr, buf, n);
        } else {
            n = 1;
            address_space_write(m->mmio, addr, *buf, 1);
        }
        addr += n, buf += n, len -= n;
    }
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (1ULL << (size * 8)) - 1;
}

/* readb/w/l/q: one access of that width, as a CPU load would do. */
static uint64_t mem_read_sized(Machine *m, uint64_t addr, unsigned size)
{
    uint64_t v = 0, left;
    if (!ram_at(&m->ram, addr, &left) || left < size) {
        uint64_t mmio;
        if (address_space_read(m->mmio, addr, &mmio, size)) {
            return mmio & size_mask(size);
        }
    }
    uint8_t b[8];
    mem_read(m, addr, b, size);
    memcpy(&v, b, size);   /* little endian, as the guest */
    return v;
}

static void mem_write_sized(Machine *m, uint64_t addr, uint64_t v, unsigned size)
{
    uint64_t left;
    if ((!ram_at(&m->ram, addr, &left) || left < size) &&
        address_space_write(m->mmio, addr, v & size_mask(size), size)) {
        return;
    }
    uint8_t b[8];
    memcpy(b, &v, size);
    mem_write(m, addr, b, size);
}

/* ---- commands ---- */

static unsigned width_of(char suffix)
{
    switch (suffix) {
    case 'b': return 1;
    case 'w': return 2;
    case 'l': return 4;
    case 'q': return 8;
    }
    return 0;
}

static void cmd_out(QTestServer *q, char **w)
{
    uint64_t port, v;
    if (!need_args(q, w, 2) || !arg_port(q, w[1], &port) || !arg_u64(q, w[2], &v)) {
        return;
    }
    unsigned size = width_of(w[0][3]);
    address_space_write(q->m->pio, port, v & size_mask(size), size);
    sendf(q, "OK\n");
}

static void cmd_in(QTestServer *q, char **w)
{
    uint64_t port, v;
    if (!need_args(q, w, 1) || !arg_port(q, w[1], &port)) {
        return;
    }
    unsigned size = width_of(w[0][2]);
    address_space_read(q->m->pio, port, &v, size);   /* all ones if unassigned */
    sendf(q, "OK 0x%04" G_GINT64_MODIFIER "x\n", v & size_mask(size));
}

static void cmd_write_sized(QTestServer *q, char **w)
{
    uint64_t addr, v;
    if (!need_args(q, w, 2) || !arg_u64(q, w[1], &addr) || !arg_u64(q, w[2], &v)) {
        return;
    }
    mem_write_sized(q->m, addr, v, width_of(w[0][5]));
    sendf(q, "OK\n");
}

static void cmd_read_sized(QTestServer *q, char **w)
{
    uint64_t addr;
    if (!need_args(q, w, 1) || !arg_u64(q, w[1], &addr)) {
        return;
    }
    /* QEMU prints every width with 16 digits. */
    sendf(q, "OK 0x%016" G_GINT64_MODIFIER "x\n", mem_read_sized(q->m, addr, width_of(w[0][4])));
}

static void cmd_read(QTestServer *q, char **w)
{
    uint64_t addr, len;
    if (!need_args(q, w, 2) || !arg_u64(q, w[1], &addr) || !arg_len(q, w[2], false, &len)) {
        return;
    }
    g_autofree uint8_t *data = g_malloc(len);
    mem_read(q->m, addr, data, len);
    g_autofree char *hex = g_malloc(len * 2 + 1);
    for (uint64_t i = 0; i < len; i++) {
        snprintf(hex + i * 2, 3, "%02x", data[i]);
    }
    hex[len * 2] = '\0';
    sendf(q, "OK 0x%s\n", hex);
}

static void cmd_b64read(QTestServer *q, char **w)
{
    uint64_t addr, len;
    if (!need_args(q, w, 2) || !arg_u64(q, w[1], &addr) || !arg_len(q, w[2], true, &len)) {
        return;
    }
    g_autofree uint8_t *data = g_malloc(MAX(len, 1));
    mem_read(q->m, addr, data, len);
    g_autofree char *b64 = g_base64_encode(data, len);
    sendf(q, "OK %s\n", b64);
}

static int hex_nibble(char c)
{
    int v = g_ascii_xdigit_value(c);
    return v < 0 ? 0 : v;   /* QEMU's hex2nib: anything else is 0 */
}

/* write ADDR SIZE 0xHEX: bytes beyond the data given are written as 0. */
static void cmd_write(QTestServer *q, char **w)
{
    uint64_t addr, len;
    if (!need_args(q, w, 3) || !arg_u64(q, w[1], &addr) || !arg_len(q, w[2], true, &len)) {
        return;
    }
    size_t data_len = strlen(w[3]);
    if (data_len < 3) {
        sendf(q, "ERR invalid argument size\n");
        return;
    }
    g_autofree uint8_t *data = g_malloc0(MAX(len, 1));
    for (uint64_t i = 0; i < len && i * 2 + 4 <= data_len; i++) {
        data[i] = hex_nibble(w[3][i * 2 + 2]) << 4 | hex_nibble(w[3][i * 2 + 3]);
    }
    mem_write(q->m, addr, data, len);
    sendf(q, "OK\n");
}

static void cmd_b64write(QTestServer *q, char **w)
{
    uint64_t addr, len;
    if (!need_args(q, w, 3) || !arg_u64(q, w[1], &addr) || !arg_len(q, w[2], true, &len)) {
        return;
    }
    if (strlen(w[3]) < 3) {
        sendf(q, "ERR invalid argument size\n");
        return;
    }
    gsize out_len;
    g_autofree uint8_t *data = g_base64_decode(w[3], &out_len);
    if (out_len != len) {
        log_note(q, "b64write: data length mismatch (told %" G_GUINT64_FORMAT ", found %"
                 G_GSIZE_FORMAT ")\n", len, out_len);
    }
    mem_write(q->m, addr, data, MIN(out_len, len));
    sendf(q, "OK\n");
}

static void cmd_memset(QTestServer *q, char **w)
{
    uint64_t addr, len, pattern;
    if (!need_args(q, w, 3) || !arg_u64(q, w[1], &addr) || !arg_len(q, w[2], true, &len) ||
        !arg_u64(q, w[3], &pattern)) {
        return;
    }
    g_autofree uint8_t *data = g_malloc(MAX(len, 1));
    memset(data, (uint8_t)pattern, len);
    mem_write(q->m, addr, data, len);
    sendf(q, "OK\n");
}

/* Moves virtual time forward to target (never back, as QEMU's
 * qtest_clock_warp), running each due timer at its own deadline. */
static void clock_warp(QTestServer *q, int64_t target)
{
    Machine *m = q->m;
    if (target > tern_clock_virtual_ns(&m->clock)) {
        tern_timer_list_advance(&m->timers, target);
        block_graph_clock_moved(m->block);
    }
    sendf(q, "OK %" G_GINT64_FORMAT "\n", tern_clock_virtual_ns(&m->clock));
}

static void cmd_clock_step(QTestServer *q, char **w)
{
    Machine *m = q->m;
    int64_t now = tern_clock_virtual_ns(&m->clock), ns;
    if (w[1]) {
        if (!arg_i64(q, w[1], &ns)) {
            return;
        }
    } else {
        /* To the next timer; with none armed, nowhere (QEMU's -1). */
        int64_t deadline = tern_timer_list_deadline(&m->timers);
        ns = deadline < 0 ? -1 : MAX(deadline - now, 0);
    }
    clock_warp(q, ns > G_MAXINT64 - now ? G_MAXINT64 : now + ns);
}

static void cmd_clock_set(QTestServer *q, char **w)
{
    int64_t ns;
    if (need_args(q, w, 1) && arg_i64(q, w[1], &ns)) {
        clock_warp(q, ns);
    }
}

static bool is_ioapic(const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    guint n = g_strv_length(parts), want = G_N_ELEMENTS(ioapic_path);
    if (path[0] == '/') {
        /* Absolute: exactly /machine/i440fx/ioapic (empty components skipped). */
        guint k = 0;
        for (guint i = 0; i < n; i++) {
            if (*parts[i] && (k >= want || strcmp(parts[i], ioapic_path[k++]))) {
                return false;
            }
        }
        return k == want;
    }
    /* Partial: the path's components end /machine/i440fx/ioapic. */
    if (n == 0 || n > want) {
        return false;
    }
    for (guint i = 0; i < n; i++) {
        if (strcmp(parts[i], ioapic_path[want - n + i])) {
            return false;
        }
    }
    return true;
}

/* The device a path names, canonically ("ioapic" for every spelling of
 * the IOAPIC); NULL if there is none. */
static char *resolve_device(QTestServer *q, const char *path)
{
    if (is_ioapic(path)) {
        return g_strdup("ioapic");
    }
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonNode) found = qom_list(q->m, path, &err);
    return found ? g_strdup(path) : NULL;
}

static void cmd_irq_intercept(QTestServer *q, char **w)
{
    if (!need_args(q, w, 1)) {
        return;
    }
    g_autofree char *dev = resolve_device(q, w[1]);
    if (!dev) {
        sendf(q, "FAIL Unknown device\n");
        return;
    }
    if (q->intercept_dev) {
        sendf(q, strcmp(q->intercept_dev, dev) ? "FAIL IRQ intercept already enabled\n"
                                               : "OK\n");
        return;
    }
    q->intercept_dev = g_steal_pointer(&dev);
    /* Only the IOAPIC's inputs are lines Tern can watch; other devices
     * have no GPIO lines here (QEMU's ISA devices have none either). */
    q->intercept_gsi = !strcmp(w[0], "irq_intercept_in") && !strcmp(q->intercept_dev, "ioapic");
    sendf(q, "OK\n");
}

/* set_irq_in PATH NAME N LEVEL: drives an input as its source would. */
static void cmd_set_irq_in(QTestServer *q, char **w)
{
    int64_t n, level;
    if (!need_args(q, w, 4)) {
        return;
    }
    g_autofree char *dev = resolve_device(q, w[1]);
    if (!dev) {
        sendf(q, "FAIL Unknown device\n");
        return;
    }
    if (strcmp(dev, "ioapic") || strcmp(w[2], "unnamed-gpio-in")) {
        sendf(q, "FAIL Unknown GPIO '%s'\n", w[2]);
        return;
    }
    if (!arg_i64(q, w[3], &n) || !arg_i64(q, w[4], &level)) {
        return;
    }
    if (n < 0 || n >= PC_GSI_PINS) {
        sendf(q, "FAIL GPIO %" G_GINT64_FORMAT " out of range\n", n);
        return;
    }
    machine_set_gsi(q->m, n, level != 0);
    sendf(q, "OK\n");
}

static void cmd_endianness(QTestServer *q, char **w)
{
    sendf(q, "OK little\n");
}

typedef struct {
    const char *name;
    void (*fn)(QTestServer *q, char **w);
    bool manual_clock;          /* only with -accel qtest, as in QEMU */
} QTestCommand;

static const QTestCommand commands[] = {
    { "irq_intercept_out", cmd_irq_intercept },
    { "irq_intercept_in", cmd_irq_intercept },
    { "set_irq_in", cmd_set_irq_in },
    { "outb", cmd_out }, { "outw", cmd_out }, { "outl", cmd_out },
    { "inb", cmd_in }, { "inw", cmd_in }, { "inl", cmd_in },
    { "writeb", cmd_write_sized }, { "writew", cmd_write_sized },
    { "writel", cmd_write_sized }, { "writeq", cmd_write_sized },
    { "readb", cmd_read_sized }, { "readw", cmd_read_sized },
    { "readl", cmd_read_sized }, { "readq", cmd_read_sized },
    { "read", cmd_read },
    { "b64read", cmd_b64read },
    { "write", cmd_write },
    { "b64write", cmd_b64write },
    { "memset", cmd_memset },
    { "endianness", cmd_endianness },
    { "clock_step", cmd_clock_step, true },
    { "clock_set", cmd_clock_set, true },
};

static void process_line(QTestServer *q, const char *line)
{
    g_auto(GStrv) w = g_strsplit(line, " ", 0);
    if (q->log) {
        fprintf(q->log, "[R +%.6f] %s\n", g_timer_elapsed(q->timer, NULL), line);
        fflush(q->log);
    }
    const char *name = w[0] ? w[0] : "";
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        const QTestCommand *c = &commands[i];
        if (!strcmp(c->name, name) && (!c->manual_clock || q->m->clock.manual)) {
            c->fn(q, w);
            return;
        }
    }
    sendf(q, "FAIL Unknown command '%s'\n", name);
}

/* ---- the chardev frontend ---- */

static int qtest_can_receive(void *opaque)
{
    return 4096;
}

static void qtest_receive(void *opaque, const uint8_t *buf, int len)
{
    QTestServer *q = opaque;
    g_string_append_len(q->inbuf, (const char *)buf, len);
    char *nl;
    while ((nl = memchr(q->inbuf->str, '\n', q->inbuf->len))) {
        g_autofree char *line = g_strndup(q->inbuf->str, nl - q->inbuf->str);
        g_string_erase(q->inbuf, 0, nl - q->inbuf->str + 1);
        process_line(q, line);
    }
}

static void qtest_event(void *opaque, ChardevEvent event)
{
    QTestServer *q = opaque;
    switch (event) {
    case CHR_EVENT_OPENED:
        /* A new session: nothing reported yet, the log clock restarts. */
        q->levels = 0;
        g_timer_start(q->timer);
        if (q->log) {
            fprintf(q->log, "[I %.6f] OPENED\n", g_timer_elapsed(q->timer, NULL));
            fflush(q->log);
        }
        break;
    case CHR_EVENT_CLOSED:
        g_string_truncate(q->inbuf, 0);
        if (q->log) {
            fprintf(q->log, "[I +%.6f] CLOSED\n", g_timer_elapsed(q->timer, NULL));
            fflush(q->log);
        }
        break;
    }
}

QTestServer *qtest_server_new(Machine *m, const char *chr_id, const char *log, GError **errp)
{
    Chardev *chr = machine_find_chardev(m, chr_id);
    if (!chr) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "-qtest chardev:%s: chardev '%s' not found", chr_id, chr_id);
        return NULL;
    }
    if (chr->has_fe) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "-qtest chardev:%s: device '%s' is in use", chr_id, chr_id);
        return NULL;
    }
    QTestServer *q = g_new0(QTestServer, 1);
    q->m = m;
    q->chr = chr;
    q->timer = g_timer_new();
    q->inbuf = g_string_new(NULL);
    if (!log) {
        q->log = stderr;
    } else if (strcmp(log, "none")) {
        q->log = fopen(log, "w+");
        if (!q->log) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "-qtest-log %s: %s", log,
                        g_strerror(errno));
            qtest_server_free(q);
            return NULL;
        }
        q->log_owned = true;
    }
    g_mutex_lock(&m->lock);
    m->gsi_observer = gsi_changed;
    m->gsi_observer_opaque = q;
    ChardevFrontend fe = { .can_receive = qtest_can_receive, .receive = qtest_receive,
                           .event = qtest_event, .opaque = q };
    chardev_set_frontend(chr, &fe);
    g_mutex_unlock(&m->lock);
    return q;
}

void qtest_server_free(QTestServer *q)
{
    if (!q) {
        return;
    }
    if (q->m->gsi_observer_opaque == q) {
        q->m->gsi_observer = NULL;
        q->m->gsi_observer_opaque = NULL;
    }
    if (q->log_owned) {
        fclose(q->log);
    }
    g_timer_destroy(q->timer);
    g_string_free(q->inbuf, TRUE);
    g_free(q->intercept_dev);
    g_free(q);
}
