/* HMP "info" sub-commands. Most print a QMP query the way QEMU's HMP
 * does; registers, mtree and qtree read the machine directly. */
#include "board/pc.h"
#include "monitor/hmp-internal.h"

#include <inttypes.h>
#include <string.h>

/* ---- QMP queries, printed ---- */

static void info_status(Hmp *h, const HmpArgs *a)
{
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-status");
    if (!ret) {
        return;
    }
    JsonObject *o = json_node_get_object(ret);
    bool running = json_object_get_boolean_member(o, "running");
    const char *status = json_object_get_string_member(o, "status");
    hmp_printf(h, "VM status: %s%s", running ? "running" : "paused",
               json_object_get_boolean_member(o, "singlestep") ? " (single step mode)" : "");
    if (!running && strcmp(status, "paused")) {
        hmp_printf(h, " (%s)", status);
    }
    hmp_printf(h, "\n");
}

static void info_version(Hmp *h, const HmpArgs *a)
{
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-version");
    if (!ret) {
        return;
    }
    JsonObject *o = json_node_get_object(ret);
    JsonObject *v = json_object_get_object_member(o, "qemu");
    /* No space before the package: QEMU prints "7.2.0Debian ..." too. */
    hmp_printf(h, "%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT "%s\n",
               json_object_get_int_member(v, "major"), json_object_get_int_member(v, "minor"),
               json_object_get_int_member(v, "micro"),
               json_object_get_string_member(o, "package"));
}

static void info_kvm(Hmp *h, const HmpArgs *a)
{
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-kvm");
    if (!ret) {
        return;
    }
    JsonObject *o = json_node_get_object(ret);
    hmp_printf(h, "kvm support: ");
    if (json_object_get_boolean_member(o, "present")) {
        hmp_printf(h, "%s\n", json_object_get_boolean_member(o, "enabled") ? "enabled"
                                                                           : "disabled");
    } else {
        hmp_printf(h, "not compiled\n");
    }
}

static void info_name(Hmp *h, const HmpArgs *a)
{
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-name");
    if (ret && json_object_has_member(json_node_get_object(ret), "name")) {
        hmp_printf(h, "%s\n", json_object_get_string_member(json_node_get_object(ret), "name"));
    }
}

static void info_uuid(Hmp *h, const HmpArgs *a)
{
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-uuid");
    if (ret) {
        hmp_printf(h, "%s\n", json_object_get_string_member(json_node_get_object(ret), "UUID"));
    }
}

static void info_cpus(Hmp *h, const HmpArgs *a)
{
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-cpus-fast");
    if (!ret) {
        return;
    }
    JsonArray *cpus = json_node_get_array(ret);
    for (guint i = 0; i < json_array_get_length(cpus); i++) {
        JsonObject *c = json_array_get_object_element(cpus, i);
        gint64 index = json_object_get_int_member(c, "cpu-index");
        hmp_printf(h, "%c CPU #%" G_GINT64_FORMAT ": thread_id=%" G_GINT64_FORMAT "\n",
                   index == h->cpu_index ? '*' : ' ', index,
                   json_object_get_int_member(c, "thread-id"));
    }
}

/* ---- chardevs ---- */

static gint chardev_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp((*(Chardev *const *)a)->id, (*(Chardev *const *)b)->id);
}

/* QEMU walks a hash table here; its order comes out sorted by id in
 * practice, so Tern sorts. */
static void info_chardev(Hmp *h, const HmpArgs *a)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_copy(h->m->chardevs, NULL, NULL);
    g_ptr_array_sort(sorted, chardev_cmp);
    for (guint i = 0; i < sorted->len; i++) {
        Chardev *c = g_ptr_array_index(sorted, i);
        hmp_printf(h, "%s: filename=%s\n", c->id, c->filename ? c->filename : "");
    }
}

/* ---- registers: QEMU's x86 layout (32-bit or 64-bit by CS.L) ---- */

#define CR0_PE (1u << 0)
#define EFER_LMA (1u << 10)

typedef struct {
    bool pe, lma, cs64;
} CpuMode;

/* The descriptor's high dword, as QEMU keeps segment flags. */
static uint32_t seg_flags(const struct kvm_segment *s)
{
    return (uint32_t)s->type << 8 | (uint32_t)s->s << 12 | (uint32_t)s->dpl << 13 |
           (uint32_t)(s->present && !s->unusable) << 15 | (uint32_t)s->avl << 20 |
           (uint32_t)s->l << 21 | (uint32_t)s->db << 22 | (uint32_t)s->g << 23;
}

static void print_seg(Hmp *h, const CpuMode *md, const char *name, const struct kvm_segment *s)
{
    static const char *const sys_type[2][16] = {
        { "Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16", "TaskGate",
          "IntGate16", "TrapGate16", "Reserved", "TSS32-avl", "Reserved", "TSS32-busy",
          "CallGate32", "Reserved", "IntGate32", "TrapGate32" },
        { "<hiword>", "Reserved", "LDT", "Reserved", "Reserved", "Reserved", "Reserved",
          "Reserved", "Reserved", "TSS64-avl", "Reserved", "TSS64-busy", "CallGate64",
          "Reserved", "IntGate64", "TrapGate64" },
    };
    uint32_t flags = seg_flags(s);
    if (md->cs64) {
        hmp_printf(h, "%-3s=%04x %016llx %08x %08x", name, s->selector,
                   (unsigned long long)s->base, s->limit, flags & 0x00ffff00);
    } else {
        hmp_printf(h, "%-3s=%04x %08x %08x %08x", name, s->selector, (uint32_t)s->base,
                   s->limit, flags & 0x00ffff00);
    }
    if (md->pe && (flags & 0x8000)) {
        hmp_printf(h, " DPL=%d ", s->dpl);
        if (s->s && (s->type & 8)) {
            hmp_printf(h, "%s [%c%c%c]", s->l ? "CS64" : s->db ? "CS32" : "CS16",
                       s->type & 4 ? 'C' : '-', s->type & 2 ? 'R' : '-',
                       s->type & 1 ? 'A' : '-');
        } else if (s->s) {
            hmp_printf(h, "%s [%c%c%c]", s->db || md->lma ? "DS  " : "DS16",
                       s->type & 4 ? 'E' : '-', s->type & 2 ? 'W' : '-',
                       s->type & 1 ? 'A' : '-');
        } else {
            hmp_printf(h, "%s", sys_type[md->lma][s->type & 15]);
        }
    }
    hmp_printf(h, "\n");
}

static uint64_t xsave_q(const VcpuRegisters *r, unsigned offset)
{
    uint64_t v;
    memcpy(&v, (const uint8_t *)r->xsave.region + offset, 8);
    return v;
}

/* Standard-format XSAVE offsets (CPUID leaf 0xD on every AVX-512 CPU). */
#define XS_FCW 0
#define XS_FSW 2
#define XS_FTW 4
#define XS_MXCSR 24
#define XS_ST 32
#define XS_XMM 160
#define XS_YMM_HI 576
#define XS_OPMASK 1088
#define XS_ZMM_HI256 1152
#define XS_HI16_ZMM 1664
#define XCR0_YMM (1u << 2)
#define XCR0_AVX512 (7u << 5)

static void print_fpu(Hmp *h, const CpuMode *md, const VcpuRegisters *r)
{
    const uint8_t *x = (const uint8_t *)r->xsave.region;
    uint16_t fcw, fsw;
    uint32_t mxcsr;
    memcpy(&fcw, x + XS_FCW, 2);
    memcpy(&fsw, x + XS_FSW, 2);
    memcpy(&mxcsr, x + XS_MXCSR, 4);
    hmp_printf(h, "FCW=%04x FSW=%04x [ST=%d] FTW=%02x MXCSR=%08x\n", fcw, fsw, (fsw >> 11) & 7,
               x[XS_FTW], mxcsr);
    for (unsigned i = 0; i < 8; i++) {
        uint16_t exp;
        memcpy(&exp, x + XS_ST + 16 * i + 8, 2);
        hmp_printf(h, "FPR%u=%016" PRIx64 " %04x%s", i, xsave_q(r, XS_ST + 16 * i), exp,
                   i & 1 ? "\n" : " ");
    }
    if ((r->xcr0 & XCR0_AVX512) == XCR0_AVX512 && r->has_xsave) {
        for (unsigned i = 0; i < 8; i++) {
            hmp_printf(h, "Opmask%02u=%016" PRIx64 "%s", i, xsave_q(r, XS_OPMASK + 8 * i),
                       (i & 3) == 3 ? "\n" : " ");
        }
        unsigned n = md->cs64 ? 32 : 8;
        for (unsigned i = 0; i < n; i++) {
            uint64_t q[8];
            if (i < 16) {
                for (unsigned k = 0; k < 2; k++) {
                    q[k] = xsave_q(r, XS_XMM + 16 * i + 8 * k);
                }
                for (unsigned k = 0; k < 2; k++) {
                    q[2 + k] = xsave_q(r, XS_YMM_HI + 16 * i + 8 * k);
                }
                for (unsigned k = 0; k < 4; k++) {
                    q[4 + k] = xsave_q(r, XS_ZMM_HI256 + 32 * i + 8 * k);
                }
            } else {
                for (unsigned k = 0; k < 8; k++) {
                    q[k] = xsave_q(r, XS_HI16_ZMM + 64 * (i - 16) + 8 * k);
                }
            }
            hmp_printf(h, "ZMM%02u=%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64
                       " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n",
                       i, q[7], q[6], q[5], q[4], q[3], q[2], q[1], q[0]);
        }
    } else if ((r->xcr0 & XCR0_YMM) && r->has_xsave) {
        unsigned n = md->cs64 ? 16 : 8;
        for (unsigned i = 0; i < n; i++) {
            hmp_printf(h, "YMM%02u=%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64
                       "\n", i, xsave_q(r, XS_YMM_HI + 16 * i + 8),
                       xsave_q(r, XS_YMM_HI + 16 * i), xsave_q(r, XS_XMM + 16 * i + 8),
                       xsave_q(r, XS_XMM + 16 * i));
        }
    } else {
        unsigned n = md->cs64 ? 16 : 8;
        for (unsigned i = 0; i < n; i++) {
            hmp_printf(h, "XMM%02u=%016" PRIx64 " %016" PRIx64 "%s", i,
                       xsave_q(r, XS_XMM + 16 * i + 8), xsave_q(r, XS_XMM + 16 * i),
                       i & 1 ? "\n" : " ");
        }
    }
}

static void print_registers(Hmp *h, unsigned index, const VcpuRegisters *r)
{
    const struct kvm_regs *g = &r->regs;
    const struct kvm_sregs *s = &r->sregs;
    CpuMode md = { .pe = s->cr0 & CR0_PE, .lma = s->efer & EFER_LMA };
    md.cs64 = md.lma && s->cs.l;
    uint64_t fl = g->rflags;
    char flags[8] = {
        fl & (1 << 10) ? 'D' : '-', fl & (1 << 11) ? 'O' : '-', fl & (1 << 7) ? 'S' : '-',
        fl & (1 << 6) ? 'Z' : '-',  fl & (1 << 4) ? 'A' : '-',  fl & (1 << 2) ? 'P' : '-',
        fl & 1 ? 'C' : '-',         '\0',
    };
    /* KVM keeps the CPL in SS.DPL; A20 is always on under KVM. */
    g_autofree char *state = g_strdup_printf(
        "[%s] CPL=%d II=%d A20=1 SMM=%d HLT=%d\n", flags, s->ss.dpl,
        r->events.interrupt.shadow != 0, r->events.smi.smm != 0,
        r->mp_state.mp_state == KVM_MP_STATE_HALTED);

    hmp_printf(h, "\nCPU#%u\n", index);
    if (md.cs64) {
        hmp_printf(h, "RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n"
                   "RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n"
                   "R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n"
                   "R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n"
                   "RIP=%016llx RFL=%08x %s",
                   g->rax, g->rbx, g->rcx, g->rdx, g->rsi, g->rdi, g->rbp, g->rsp, g->r8, g->r9,
                   g->r10, g->r11, g->r12, g->r13, g->r14, g->r15, g->rip, (uint32_t)fl, state);
    } else {
        hmp_printf(h, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n"
                   "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n"
                   "EIP=%08x EFL=%08x %s",
                   (uint32_t)g->rax, (uint32_t)g->rbx, (uint32_t)g->rcx, (uint32_t)g->rdx,
                   (uint32_t)g->rsi, (uint32_t)g->rdi, (uint32_t)g->rbp, (uint32_t)g->rsp,
                   (uint32_t)g->rip, (uint32_t)fl, state);
    }
    print_seg(h, &md, "ES", &s->es);
    print_seg(h, &md, "CS", &s->cs);
    print_seg(h, &md, "SS", &s->ss);
    print_seg(h, &md, "DS", &s->ds);
    print_seg(h, &md, "FS", &s->fs);
    print_seg(h, &md, "GS", &s->gs);
    print_seg(h, &md, "LDT", &s->ldt);
    print_seg(h, &md, "TR", &s->tr);
    if (md.lma) {
        hmp_printf(h, "GDT=     %016llx %08x\nIDT=     %016llx %08x\n", s->gdt.base, s->gdt.limit,
                   s->idt.base, s->idt.limit);
        hmp_printf(h, "CR0=%08x CR2=%016llx CR3=%016llx CR4=%08x\n", (uint32_t)s->cr0, s->cr2,
                   s->cr3, (uint32_t)s->cr4);
    } else {
        hmp_printf(h, "GDT=     %08x %08x\nIDT=     %08x %08x\n", (uint32_t)s->gdt.base,
                   s->gdt.limit, (uint32_t)s->idt.base, s->idt.limit);
        hmp_printf(h, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (uint32_t)s->cr0,
                   (uint32_t)s->cr2, (uint32_t)s->cr3, (uint32_t)s->cr4);
    }
    for (unsigned i = 0; i < 4; i++) {
        hmp_printf(h, "DR%u=%016llx ", i, r->debugregs.db[i]);
    }
    hmp_printf(h, "\nDR6=%016llx DR7=%016llx\n", r->debugregs.dr6, r->debugregs.dr7);
    hmp_printf(h, "EFER=%016llx\n", s->efer);
    print_fpu(h, &md, r);
}

typedef struct {
    VcpuRegisters regs;
    GError *err;
    bool ok;
} RegsWork;

static void read_regs_work(Vcpu *cpu, void *opaque)
{
    RegsWork *w = opaque;
    w->ok = vcpu_get_registers(cpu, &w->regs, &w->err);
}

static void dump_cpu(Hmp *h, unsigned index)
{
    Vcpu *cpu = &h->m->vcpus->cpus[index];
    g_autofree RegsWork *w = g_new0(RegsWork, 1);
    /* A running vCPU answers between two KVM_RUNs; its exit handlers may
     * need the machine lock meanwhile. */
    g_mutex_unlock(&h->m->lock);
    bool ran = vcpu_run_on(cpu, read_regs_work, w);
    g_mutex_lock(&h->m->lock);
    if (!ran) {
        hmp_printf(h, "CPU#%u does not respond\n", index);
    } else if (!w->ok) {
        hmp_printf(h, "%s\n", w->err->message);
        g_error_free(w->err);
    } else {
        print_registers(h, index, &w->regs);
    }
}

static void info_registers(Hmp *h, const HmpArgs *a)
{
    unsigned n = h->m->vcpus ? h->m->vcpus->n : 0;
    if (a->flags['a']) {
        for (unsigned i = 0; i < n; i++) {
            dump_cpu(h, i);
        }
        return;
    }
    if (a->has_int && (a->int_val < 0 || a->int_val >= n)) {
        hmp_printf(h, "CPU#%d not available\n", (int)a->int_val);
        return;
    }
    if (n == 0) {
        hmp_printf(h, "No CPU available\n");
        return;
    }
    dump_cpu(h, a->has_int ? (unsigned)a->int_val : h->cpu_index);
}

/* ---- mtree: Tern's two address spaces and guest RAM ---- */

typedef struct {
    Hmp *h;
    const char *indent;
    uint64_t next;           /* flat view: first address not printed yet */
    bool flat_gaps;          /* flat view: gaps belong to the container */
} MtreeWalk;

static void mtree_line(Hmp *h, const char *indent, uint64_t base, uint64_t size,
                       const char *kind, const char *text)
{
    hmp_printf(h, "%s%016" PRIx64 "-%016" PRIx64 " (prio 0, %s): %s\n", indent, base,
               base + size - 1, kind, text);
}

static void mtree_region(void *opaque, const char *name, uint64_t base, uint64_t size)
{
    MtreeWalk *w = opaque;
    if (w->flat_gaps && base > w->next) {
        g_autofree char *gap = g_strdup_printf("io @%016" PRIx64, w->next);
        mtree_line(w->h, w->indent, w->next, base - w->next, "i/o", gap);
    }
    mtree_line(w->h, w->indent, base, size, "i/o", name);
    w->next = base + size;
}

static void mtree_ram(Hmp *h, const char *indent, bool flat, bool above)
{
    GuestRam *ram = &h->m->ram;
    uint64_t below = MIN(ram->below_4g, ram->size);
    uint64_t base = above ? 0x100000000ULL : 0, size = above ? ram->size - below : below;
    uint64_t offset = above ? below : 0;
    if (!size) {
        return;
    }
    g_autofree char *text = NULL;
    if (flat) {
        text = offset ? g_strdup_printf("pc.ram @%016" PRIx64 " KVM", offset)
                      : g_strdup("pc.ram KVM");
    } else {
        text = g_strdup_printf("alias %s @pc.ram %016" PRIx64 "-%016" PRIx64,
                               above ? "ram-above-4g" : "ram-below-4g", offset,
                               offset + size - 1);
    }
    mtree_line(h, indent, base, size, "ram", text);
}

static void mtree_tree(Hmp *h)
{
    Machine *m = h->m;
    hmp_printf(h, "address-space: I/O\n");
    mtree_line(h, "  ", 0, 0x10000, "i/o", "io");
    MtreeWalk w = { .h = h, .indent = "    " };
    address_space_foreach(m->pio, mtree_region, &w);
    hmp_printf(h, "\n");

    /* Every vCPU sees the one memory address space. */
    for (unsigned i = 0; m->vcpus && i < m->vcpus->n; i++) {
        hmp_printf(h, "address-space: cpu-memory-%u\n", i);
    }
    hmp_printf(h, "address-space: memory\n");
    hmp_printf(h, "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n");
    mtree_ram(h, "    ", false, false);
    address_space_foreach(m->mmio, mtree_region, &w);
    mtree_ram(h, "    ", false, true);
    hmp_printf(h, "\n");

    if (m->ram.size) {
        hmp_printf(h, "memory-region: pc.ram\n");
        mtree_line(h, "  ", 0, m->ram.size, "ram", "pc.ram");
        hmp_printf(h, "\n");
    }
}

/* -f: what each address space resolves to. */
static void mtree_flat(Hmp *h)
{
    Machine *m = h->m;
    hmp_printf(h, "FlatView #0\n AS \"memory\", root: system\n");
    for (unsigned i = 0; m->vcpus && i < m->vcpus->n; i++) {
        hmp_printf(h, " AS \"cpu-memory-%u\", root: system\n", i);
    }
    hmp_printf(h, " Root memory region: system\n");
    MtreeWalk w = { .h = h, .indent = "  " };
    mtree_ram(h, "  ", true, false);
    address_space_foreach(m->mmio, mtree_region, &w);
    mtree_ram(h, "  ", true, true);
    hmp_printf(h, "\n");

    /* Unclaimed ports read as all-ones: QEMU shows them as the "io"
     * container's own range. */
    hmp_printf(h, "FlatView #1\n AS \"I/O\", root: io\n Root memory region: io\n");
    MtreeWalk pw = { .h = h, .indent = "  ", .flat_gaps = true };
    address_space_foreach(m->pio, mtree_region, &pw);
    if (pw.next < 0x10000) {
        g_autofree char *gap = g_strdup_printf("io @%016" PRIx64, pw.next);
        mtree_line(h, "  ", pw.next, 0x10000 - pw.next, "i/o", gap);
    }
    hmp_printf(h, "\n");
}

static void info_mtree(Hmp *h, const HmpArgs *a)
{
    if (!h->m->pio || !h->m->mmio) {
        return;
    }
    if (a->flags['f']) {
        mtree_flat(h);
    } else {
        mtree_tree(h);
    }
}

/* ---- qtree: Tern's devices all sit on the system bus ---- */

static void print_number(Hmp *h, const DeviceProperty *p, uint64_t v)
{
    hmp_printf(h, "    %s = %" PRIu64 " (0x%" PRIx64 ")\n", p->name, v, v);
}

static void print_prop(Hmp *h, DeviceState *dev, const DeviceProperty *p)
{
    const char *field = (const char *)dev + p->offset;
    switch (p->type) {
    case PROP_U16:
        print_number(h, p, *(const uint16_t *)field);
        break;
    case PROP_U32:
        print_number(h, p, *(const uint32_t *)field);
        break;
    case PROP_U64:
    case PROP_SIZE:
        print_number(h, p, *(const uint64_t *)field);
        break;
    case PROP_BOOL:
        hmp_printf(h, "    %s = %s\n", p->name, *(const bool *)field ? "true" : "false");
        break;
    case PROP_STRING: {
        const char *v = *(char *const *)field;
        hmp_printf(h, "    %s = \"%s\"\n", p->name, v ? v : "");
        break;
    }
    case PROP_PCI_DEVFN: {
        int32_t v = *(const int32_t *)field;
        if (v < 0) {
            hmp_printf(h, "    %s = -1\n", p->name);
        } else {
            hmp_printf(h, "    %s = %02x.%x\n", p->name, v >> 3, v & 7);
        }
        break;
    }
    case PROP_ENUM:
        hmp_printf(h, "    %s = \"%s\"\n", p->name, p->enum_names[*(const int *)field]);
        break;
    }
}

static void info_qtree(Hmp *h, const HmpArgs *a)
{
    GPtrArray *devs = h->m->devices;
    hmp_printf(h, "bus: main-system-bus\n  type System\n");
    /* Newest first, as QEMU lists a bus's children. */
    for (guint i = devs->len; i-- > 0;) {
        DeviceState *dev = g_ptr_array_index(devs, i);
        hmp_printf(h, "  dev: %s, id \"%s\"\n", dev->info->name, dev->id ? dev->id : "");
        for (const DeviceProperty *p = dev->info->props; p && p->name; p++) {
            print_prop(h, dev, p);
        }
    }
}

/* ---- info block, info blockstats ---- */

/* qemu-img's sizes: the largest binary unit that keeps the number below
 * 1000, three significant digits ("8 MiB", "0.977 KiB"). */
static char *block_size_str(uint64_t v)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    unsigned i = 0;
    while (i + 1 < G_N_ELEMENTS(units) && (double)v / (double)(1ULL << (10 * i)) >= 1000) {
        i++;
    }
    return g_strdup_printf("%0.3g %s", (double)v / (double)(1ULL << (10 * i)), units[i]);
}

static gint64 int_member(JsonObject *o, const char *name)
{
    return json_object_get_int_member_with_default(o, name, 0);
}

static void print_block_image(Hmp *h, JsonObject *image)
{
    gint64 vsize = int_member(image, "virtual-size");
    g_autofree char *vs = block_size_str((uint64_t)vsize);
    hmp_printf(h, "\nImages:\nimage: %s\nfile format: %s\nvirtual size: %s (%" G_GINT64_FORMAT
               " bytes)\n", json_object_get_string_member(image, "filename"),
               json_object_get_string_member(image, "format"), vs, vsize);
    if (json_object_has_member(image, "actual-size")) {
        g_autofree char *ds = block_size_str((uint64_t)int_member(image, "actual-size"));
        hmp_printf(h, "disk size: %s\n", ds);
    } else {
        hmp_printf(h, "disk size: unavailable\n");
    }
    if (json_object_get_boolean_member_with_default(image, "dirty-flag", false)) {
        hmp_printf(h, "cleanly shut down: no\n");
    }
}

/* An inserted node's lines (info is a BlockDeviceInfo). */
static void print_block_node(Hmp *h, JsonObject *info, bool verbose)
{
    JsonObject *cache = json_object_get_object_member(info, "cache");
    hmp_printf(h, "    Cache mode:       %s%s%s\n",
               json_object_get_boolean_member(cache, "writeback") ? "writeback" : "writethrough",
               json_object_get_boolean_member(cache, "direct") ? ", direct" : "",
               json_object_get_boolean_member(cache, "no-flush") ? ", ignore flushes" : "");
    const char *dz = json_object_get_string_member(info, "detect_zeroes");
    if (strcmp(dz, "off")) {
        hmp_printf(h, "    Detect zeroes:    %s\n", dz);
    }
    static const char *const kinds[] = { "bps", "iops" };
    static const char *const dirs[] = { "", "_rd", "_wr" };
    bool throttled = false;
    for (guint k = 0; k < 2; k++) {
        for (guint d = 0; d < 3; d++) {
            g_autofree char *name = g_strdup_printf("%s%s", kinds[k], dirs[d]);
            throttled |= int_member(info, name) != 0;
        }
    }
    if (throttled) {
        /* Per kind: the three averages, then the three burst rates. */
        hmp_printf(h, "    I/O throttling:  ");
        for (guint k = 0; k < 2; k++) {
            for (guint max = 0; max < 2; max++) {
                for (guint d = 0; d < 3; d++) {
                    g_autofree char *name =
                        g_strdup_printf("%s%s%s", kinds[k], dirs[d], max ? "_max" : "");
                    hmp_printf(h, " %s=%" G_GINT64_FORMAT, name, int_member(info, name));
                }
            }
        }
        hmp_printf(h, " iops_size=%" G_GINT64_FORMAT " group=%s\n", int_member(info, "iops_size"),
                   json_object_get_string_member_with_default(info, "group", ""));
    }
    if (verbose) {
        print_block_image(h, json_object_get_object_member(info, "image"));
    }
}

static void print_node_header(Hmp *h, JsonObject *info)
{
    hmp_printf(h, "%s: %s (%s%s)\n", json_object_get_string_member(info, "node-name"),
               json_object_get_string_member(info, "file"),
               json_object_get_string_member(info, "drv"),
               json_object_get_boolean_member(info, "ro") ? ", read-only" : "");
}

/* One query-block entry, as QEMU: "name (node): file (drv)", or the node
 * alone for an anonymous backend. */
static void print_block_backend(Hmp *h, JsonObject *b, bool verbose)
{
    const char *name = json_object_get_string_member(b, "device");
    JsonObject *ins = json_object_has_member(b, "inserted")
                          ? json_object_get_object_member(b, "inserted") : NULL;
    if (ins && *name) {
        hmp_printf(h, "%s (%s): %s (%s%s)\n", name,
                   json_object_get_string_member(ins, "node-name"),
                   json_object_get_string_member(ins, "file"),
                   json_object_get_string_member(ins, "drv"),
                   json_object_get_boolean_member(ins, "ro") ? ", read-only" : "");
    } else if (ins) {
        print_node_header(h, ins);
    } else {
        hmp_printf(h, "%s: [not inserted]\n", name);
    }
    const char *qdev = json_object_get_string_member_with_default(b, "qdev", NULL);
    if (qdev) {
        hmp_printf(h, "    Attached to:      %s\n", qdev);
    }
    if (json_object_get_boolean_member(b, "removable")) {
        hmp_printf(h, "    Removable device: %slocked, tray %s\n",
                   json_object_get_boolean_member(b, "locked") ? "" : "not ",
                   json_object_get_boolean_member_with_default(b, "tray_open", false)
                       ? "open" : "closed");
    }
    const char *io = json_object_get_string_member_with_default(b, "io-status", "ok");
    if (strcmp(io, "ok")) {
        hmp_printf(h, "    I/O status:       %s\n", io);
    }
    if (ins) {
        print_block_node(h, ins, verbose);
    }
}

/* info block [-n] [-v] [device]: backends (not with -n), then named
 * nodes (with -n, or the one named like the argument). As in QEMU, an
 * entry is preceded by a blank line unless it is the first of its list,
 * printed or not. */
static void info_block(Hmp *h, const HmpArgs *a)
{
    bool nodes = a->flags['n'], verbose = a->flags['v'];
    if (!nodes) {
        g_autoptr(JsonNode) ret = hmp_qmp(h, "query-block");
        JsonArray *list = ret ? json_node_get_array(ret) : NULL;
        for (guint i = 0; list && i < json_array_get_length(list); i++) {
            JsonObject *b = json_array_get_object_element(list, i);
            if (a->str && strcmp(a->str, json_object_get_string_member(b, "device"))) {
                continue;
            }
            hmp_printf(h, "%s", i ? "\n" : "");
            print_block_backend(h, b, verbose);
        }
    }
    if (!nodes && !a->str) {
        return;
    }
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-named-block-nodes");
    JsonArray *list = ret ? json_node_get_array(ret) : NULL;
    for (guint i = 0; list && i < json_array_get_length(list); i++) {
        JsonObject *n = json_array_get_object_element(list, i);
        if (a->str && strcmp(a->str, json_object_get_string_member(n, "node-name"))) {
            continue;
        }
        hmp_printf(h, "%s", i ? "\n" : "");
        print_node_header(h, n);
        print_block_node(h, n, verbose);
    }
}

static void info_blockstats(Hmp *h, const HmpArgs *a)
{
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-blockstats");
    JsonArray *list = ret ? json_node_get_array(ret) : NULL;
    static const char *const fields[] = {
        "rd_bytes", "wr_bytes", "rd_operations", "wr_operations", "flush_operations",
        "wr_total_time_ns", "rd_total_time_ns", "flush_total_time_ns", "rd_merged",
        "wr_merged", "idle_time_ns",
    };
    for (guint i = 0; list && i < json_array_get_length(list); i++) {
        JsonObject *e = json_array_get_object_element(list, i);
        JsonObject *s = json_object_get_object_member(e, "stats");
        hmp_printf(h, "%s:", json_object_get_string_member_with_default(e, "device", ""));
        for (guint f = 0; f < G_N_ELEMENTS(fields); f++) {
            hmp_printf(h, " %s=%" G_GINT64_FORMAT, fields[f], int_member(s, fields[f]));
        }
        hmp_printf(h, "\n");
    }
}

/* Sorted by name, as QEMU lists them. */
/* info pci: query-pci as QEMU's HMP prints it. */
static void print_pci_region(Hmp *h, JsonObject *r)
{
    gint64 bar = int_member(r, "bar");
    uint64_t addr = int_member(r, "address"), size = int_member(r, "size");
    if (!strcmp(json_object_get_string_member(r, "type"), "io")) {
        hmp_printf(h, "      BAR%" G_GINT64_FORMAT ": I/O at 0x%04" PRIx64 " [0x%04" PRIx64 "].\n",
                   bar, addr, addr + size - 1);
        return;
    }
    hmp_printf(h, "      BAR%" G_GINT64_FORMAT ": %s bit%s memory at 0x%08" PRIx64
               " [0x%08" PRIx64 "].\n", bar,
               json_object_get_boolean_member(r, "mem_type_64") ? "64" : "32",
               json_object_get_boolean_member(r, "prefetch") ? " prefetchable" : "", addr,
               addr + size - 1);
}

static void print_pci_device(Hmp *h, JsonObject *d)
{
    JsonObject *cls = json_object_get_object_member(d, "class_info");
    JsonObject *id = json_object_get_object_member(d, "id");
    hmp_printf(h, "  Bus %2" G_GINT64_FORMAT ", device %3" G_GINT64_FORMAT
               ", function %" G_GINT64_FORMAT ":\n", int_member(d, "bus"),
               int_member(d, "slot"), int_member(d, "function"));
    if (json_object_has_member(cls, "desc")) {
        hmp_printf(h, "    %s", json_object_get_string_member(cls, "desc"));
    } else {
        hmp_printf(h, "    Class %04" G_GINT64_FORMAT, int_member(cls, "class"));
    }
    hmp_printf(h, ": PCI device %04" G_GINT64_MODIFIER "x:%04" G_GINT64_MODIFIER "x\n",
               int_member(id, "vendor"), int_member(id, "device"));
    hmp_printf(h, "      PCI subsystem %04" G_GINT64_MODIFIER "x:%04" G_GINT64_MODIFIER "x\n",
               int_member(id, "subsystem-vendor"), int_member(id, "subsystem"));
    gint64 pin = int_member(d, "irq_pin");
    if (pin) {
        hmp_printf(h, "      IRQ %" G_GINT64_FORMAT ", pin %c\n", int_member(d, "irq"),
                   (char)('A' + pin - 1));
    }
    JsonArray *regions = json_object_get_array_member(d, "regions");
    for (guint i = 0; i < json_array_get_length(regions); i++) {
        print_pci_region(h, json_array_get_object_element(regions, i));
    }
    hmp_printf(h, "      id \"%s\"\n", json_object_get_string_member(d, "qdev_id"));
}

static void info_pci(Hmp *h, const HmpArgs *a)
{
    (void)a;
    g_autoptr(JsonNode) ret = hmp_qmp(h, "query-pci");
    JsonArray *buses = ret ? json_node_get_array(ret) : NULL;
    for (guint i = 0; buses && i < json_array_get_length(buses); i++) {
        JsonArray *devs = json_object_get_array_member(json_array_get_object_element(buses, i),
                                                       "devices");
        for (guint j = 0; j < json_array_get_length(devs); j++) {
            print_pci_device(h, json_array_get_object_element(devs, j));
        }
    }
}

const HmpCommand hmp_info_commands[] = {
    { "block", "-nv s?", "[-n] [-v] [device]",
      "show info of one block device or all block devices (-n: show named nodes; -v: show "
      "details)", info_block },
    { "blockstats", "", "", "show block device statistics", info_blockstats },
    { "chardev", "", "", "show the character devices", info_chardev },
    { "cpus", "", "", "show infos for each CPU", info_cpus },
    { "kvm", "", "", "show KVM information", info_kvm },
    { "mtree", "-fdoD", "[-f][-d][-o][-D]",
      "show memory tree (-f: dump flat view for address spaces;-d: dump dispatch tree, "
      "valid with -f only);-o: dump region owners/parents;-D: dump disabled regions",
      info_mtree },
    { "name", "", "", "show the current VM name", info_name },
    { "pci", "", "", "show PCI info", info_pci },
    { "qtree", "", "", "show device tree", info_qtree },
    { "registers", "-a i?", "[-a|vcpu]",
      "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to "
      "query; show the current CPU's registers if no argument is specified)",
      info_registers },
    { "status", "", "", "show the current VM status (running|paused)", info_status },
    { "uuid", "", "", "show the current VM UUID", info_uuid },
    { "version", "", "", "show the version of QEMU", info_version },
    { NULL },
};
