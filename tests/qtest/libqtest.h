/* A qtest client for Tern's device tests, modelled on what QEMU's
 * libqtest offers (our own code): it listens on two unix sockets, starts
 * Tern with libqtest's launch line, and then speaks the qtest protocol on
 * one and QMP on the other. Every read has a timeout, so a silent Tern
 * fails the test instead of hanging it. The binary comes from
 * $TERN_BINARY (or $QTEST_QEMU_BINARY). */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct QTestState QTestState;

/* Starts Tern:
 *   sh -c "exec BINARY -qtest unix:T.sock -qtest-log LOG -chardev socket,path=T.qmp,id=char0
 *          -mon chardev=char0,mode=control -display none ARGS -accel qtest"
 * (LOG is /dev/null, or /dev/fd/2 with $QTEST_LOG set), checks
 * "endianness" and negotiates QMP. */
QTestState *qtest_init(const char *args);
/* The same with the qtest log going to log_path. */
QTestState *qtest_init_with_log(const char *args, const char *log_path);
/* SIGTERM, then waits: Tern must exit with status 0. */
void qtest_quit(QTestState *s);
/* Waits for Tern to exit by itself; returns its exit status. */
int qtest_wait_exit(QTestState *s);

/* One raw protocol line (no newline); returns the reply line, after
 * consuming any asynchronous IRQ lines before it. */
char *qtest_raw(QTestState *s, const char *line);
/* The IRQ lines seen so far, in order ("IRQ raise 4", ...); cleared by
 * the call. */
GPtrArray *qtest_take_irq_lines(QTestState *s) G_GNUC_WARN_UNUSED_RESULT;

void qtest_outb(QTestState *s, uint16_t port, uint8_t v);
void qtest_outw(QTestState *s, uint16_t port, uint16_t v);
void qtest_outl(QTestState *s, uint16_t port, uint32_t v);
uint8_t qtest_inb(QTestState *s, uint16_t port);
uint16_t qtest_inw(QTestState *s, uint16_t port);
uint32_t qtest_inl(QTestState *s, uint16_t port);

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t v);
void qtest_writew(QTestState *s, uint64_t addr, uint16_t v);
void qtest_writel(QTestState *s, uint64_t addr, uint32_t v);
void qtest_writeq(QTestState *s, uint64_t addr, uint64_t v);
uint8_t qtest_readb(QTestState *s, uint64_t addr);
uint16_t qtest_readw(QTestState *s, uint64_t addr);
uint32_t qtest_readl(QTestState *s, uint64_t addr);
uint64_t qtest_readq(QTestState *s, uint64_t addr);

/* read/write (hex) and b64read/b64write (base64). */
void qtest_memread(QTestState *s, uint64_t addr, void *buf, size_t len);
void qtest_memwrite(QTestState *s, uint64_t addr, const void *buf, size_t len);
void qtest_bufread(QTestState *s, uint64_t addr, void *buf, size_t len);
void qtest_bufwrite(QTestState *s, uint64_t addr, const void *buf, size_t len);
void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t len);

/* Virtual time, in ns; each returns the clock after the move. */
int64_t qtest_clock_step(QTestState *s, int64_t ns);
int64_t qtest_clock_step_next(QTestState *s);
int64_t qtest_clock_set(QTestState *s, int64_t ns);
/* Steps with clock_step_next (timer to timer: other devices' timers stop
 * it too, e.g. the PIT's IRQ 0 edges) until an "IRQ raise NUM" line comes,
 * and returns the virtual time of that stop. -1 if the line did not rise
 * within max_ns of virtual time or the clock stopped moving. The IRQ lines
 * stay queued for qtest_take_irq_lines. */
int64_t qtest_clock_step_until_irq(QTestState *s, int num, int64_t max_ns);

void qtest_irq_intercept_in(QTestState *s, const char *path);
void qtest_irq_intercept_out(QTestState *s, const char *path);
void qtest_set_irq_in(QTestState *s, const char *path, const char *name, int num, int level);
/* The level of intercepted line num, as the IRQ lines left it. */
bool qtest_get_irq(QTestState *s, int num);

/* QMP: sends one command (a JSON text) and returns the reply line;
 * events that arrive first are kept for qtest_qmp_eventwait. */
char *qtest_qmp(QTestState *s, const char *json);
/* Waits for an event by name; returns its line. */
char *qtest_qmp_eventwait(QTestState *s, const char *name);
