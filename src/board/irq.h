/* An interrupt line as a device sees it: a level it can set. What is on
 * the other end (KVM's irqchip, a qtest interceptor, a test recorder) is
 * the board's business. */
#pragma once

typedef void (*TernIrqHandler)(void *opaque, int n, int level);

typedef struct TernIrq {
    TernIrqHandler handler;
    void *opaque;
    int n;
} TernIrq;

static inline void tern_irq_set(const TernIrq *irq, int level)
{
    if (irq->handler) {
        irq->handler(irq->opaque, irq->n, level);
    }
}
