/* The QOM view of the machine (see qom.h). Each command builds the tree
 * from the Machine, answers from it and throws it away: the machine is
 * small, and a derived tree cannot disagree with the devices it shows.
 * Names, property types and error texts follow QEMU 7.2. */
#include "monitor/qom.h"
#include "monitor/qmp-dispatch.h"
#include "board/pc.h"
#include "util/error.h"

#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

typedef enum {
    QOM_CONTAINER,
    QOM_MACHINE,
    QOM_CPU,
    QOM_DEVICE,
    QOM_CHARDEV,
} QomKind;

/* How qom-set treats a property. */
typedef enum {
    QOM_SET_NONE,        /* "is not writable" */
    QOM_SET_STATIC,      /* a qdev property: fixed once realized */
    QOM_SET_REALIZED,
    QOM_SET_MACHINE_STR, /* kernel/initrd/append: recorded, used at start-up only */
    QOM_SET_MACHINE_GRAPHICS, /* "graphics": recorded; Tern has no display */
} QomSetMode;

typedef struct QomNode QomNode;

typedef struct QomProp {
    char *name;
    char *type;
    JsonNode *value;     /* child<>/link<>: the target's path ("" for none) */
    QomNode *child;      /* child<> only; owned */
    bool is_link;
    QomSetMode set;
} QomProp;

struct QomNode {
    QomKind kind;
    char *type;
    char *path;
    GPtrArray *props;    /* QomProp, "type" first */
    DeviceState *dev;    /* QOM_DEVICE */
};

static void qom_prop_free(gpointer data);

static QomNode *node_new(QomKind kind, const char *type, const char *parent_path,
                         const char *name)
{
    QomNode *n = g_new0(QomNode, 1);
    n->kind = kind;
    n->type = g_strdup(type);
    if (!parent_path) {
        n->path = g_strdup("/");
    } else if (!strcmp(parent_path, "/")) {
        n->path = g_strconcat("/", name, NULL);
    } else {
        n->path = g_strconcat(parent_path, "/", name, NULL);
    }
    n->props = g_ptr_array_new_with_free_func(qom_prop_free);
    QomProp *p = g_new0(QomProp, 1);
    p->name = g_strdup("type");
    p->type = g_strdup("string");
    p->value = json_node_init_string(json_node_alloc(), type);
    g_ptr_array_add(n->props, p);
    return n;
}

static void node_free(QomNode *n)
{
    if (n) {
        g_ptr_array_unref(n->props);
        g_free(n->type);
        g_free(n->path);
        g_free(n);
    }
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QomNode, node_free)

static void qom_prop_free(gpointer data)
{
    QomProp *p = data;
    g_free(p->name);
    g_free(p->type);
    if (p->value) {
        json_node_unref(p->value);
    }
    node_free(p->child);
    g_free(p);
}

/* Adds a property; takes the value. */
static QomProp *add_prop(QomNode *n, const char *name, const char *type, JsonNode *value,
                         QomSetMode set)
{
    QomProp *p = g_new0(QomProp, 1);
    p->name = g_strdup(name);
    p->type = g_strdup(type);
    p->value = value;
    p->set = set;
    g_ptr_array_add(n->props, p);
    return p;
}

static JsonNode *jstr(const char *s)
{
    return json_node_init_string(json_node_alloc(), s ? s : "");
}

static JsonNode *jint(gint64 v)
{
    return json_node_init_int(json_node_alloc(), v);
}

static JsonNode *jbool(bool v)
{
    return json_node_init_boolean(json_node_alloc(), v);
}

static void add_child(QomNode *parent, const char *name, QomNode *child)
{
    g_autofree char *type = g_strdup_printf("child<%s>", child->type);
    QomProp *p = add_prop(parent, name, type, jstr(child->path), QOM_SET_NONE);
    p->child = child;
}

static void add_link(QomNode *n, const char *name, const char *target_type, const char *target)
{
    g_autofree char *type = g_strdup_printf("link<%s>", target_type);
    QomProp *p = add_prop(n, name, type, jstr(target), QOM_SET_NONE);
    p->is_link = true;
}

/* ---- Where things live ---- */

static unsigned cpu_count(Machine *m)
{
    return m->vcpus ? m->cfg->smp_cpus : 0;
}

/* QEMU's numbering: vCPU 0 is device[0], its kvmvapic device[1], the
 * other vCPUs device[2..n], then the board. Tern has no kvmvapic but keeps
 * the vCPU paths QEMU reports (query-cpus-fast), so device[1] is unused. */
static unsigned cpu_slot(unsigned index)
{
    return index ? index + 1 : 0;
}

static unsigned first_board_slot(Machine *m)
{
    return cpu_count(m) ? cpu_slot(cpu_count(m) - 1) + 1 : 0;
}

char *qom_cpu_path(Machine *m, unsigned index)
{
    return g_strdup_printf("/machine/unattached/device[%u]", cpu_slot(index));
}

char *qom_cpu_type(Machine *m)
{
    return g_strdup_printf("%s-x86_64-cpu", m->cfg->cpu_model);
}

const char *qom_machine_type(Machine *m)
{
    return !strcmp(m->cfg->machine_type, "none") ? "none-machine" : "pc-i440fx-7.2-machine";
}

char *qom_device_path(Machine *m, DeviceState *dev)
{
    if (dev->user_created && dev->id) {
        return g_strdup_printf("/machine/peripheral/%s", dev->id);
    }
    if (dev->user_created) {
        return g_strdup_printf("/machine/peripheral-anon/device[%d]", dev->anon_index);
    }
    /* Board devices follow the vCPUs, numbered in creation order. */
    unsigned n = first_board_slot(m);
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        if (d == dev) {
            return g_strdup_printf("/machine/unattached/device[%u]", n);
        }
        n += !d->user_created;
    }
    g_return_val_if_reached(NULL);
}

/* ---- Building the tree ---- */

/* The properties every device has (QEMU's TYPE_DEVICE). Tern has no bus
 * objects, so parent_bus is an empty link; nothing is hot-pluggable. */
static void add_device_base_props(QomNode *n, bool hotplugged)
{
    add_link(n, "parent_bus", "bus", "");
    add_prop(n, "realized", "bool", jbool(true), QOM_SET_REALIZED);
    add_prop(n, "hotplugged", "bool", jbool(hotplugged), QOM_SET_NONE);
    add_prop(n, "hotpluggable", "bool", jbool(false), QOM_SET_NONE);
}

static QomNode *device_node(Machine *m, DeviceState *dev)
{
    g_autofree char *path = qom_device_path(m, dev);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    QomNode *n = node_new(QOM_DEVICE, dev->info->name, path, slash + 1);
    n->dev = dev;
    add_device_base_props(n, dev->hotplugged);
    for (const DeviceProperty *p = dev->info->props; p && p->name; p++) {
        add_prop(n, p->name, device_property_type_name(p), device_property_get(dev, p),
                 QOM_SET_STATIC);
    }
    return n;
}

/* The brand string the guest reads from CPUID 0x80000002..4. */
static char *cpu_model_id(Machine *m)
{
    char brand[49] = { 0 };
    for (uint32_t i = 0; m->cpuid && i < m->cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &m->cpuid->entries[i];
        if (e->function >= 0x80000002 && e->function <= 0x80000004) {
            uint32_t regs[4] = { e->eax, e->ebx, e->ecx, e->edx };
            memcpy(brand + (e->function - 0x80000002) * 16, regs, 16);
        }
    }
    return g_strdup(brand);
}

/* QEMU's x86 CPU topology properties: socket, die, core, thread. */
static void cpu_topology(const MachineConfig *cfg, unsigned index, unsigned ids[4])
{
    ids[3] = index % cfg->threads;
    ids[2] = (index / cfg->threads) % cfg->cores;
    ids[1] = (index / (cfg->threads * cfg->cores)) % cfg->dies;
    ids[0] = index / (cfg->threads * cfg->cores * cfg->dies);
}

static QomNode *cpu_node(Machine *m, unsigned index)
{
    g_autofree char *type = qom_cpu_type(m);
    g_autofree char *path = qom_cpu_path(m, index);
    g_autofree char *model_id = cpu_model_id(m);
    unsigned ids[4];
    cpu_topology(m->cfg, index, ids);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    QomNode *n = node_new(QOM_CPU, type, path, slash + 1);
    add_device_base_props(n, false);
    add_prop(n, "start-powered-off", "bool", jbool(false), QOM_SET_NONE);
    add_prop(n, "model-id", "string", jstr(model_id), QOM_SET_NONE);
    add_prop(n, "node-id", "int32", jint(-1), QOM_SET_STATIC);   /* no NUMA */
    add_prop(n, "die-id", "int32", jint(ids[1]), QOM_SET_STATIC);
    add_prop(n, "apic-id", "uint32", jint(m->apic_ids[index]), QOM_SET_STATIC);
    add_prop(n, "thread-id", "int32", jint(ids[3]), QOM_SET_STATIC);
    add_prop(n, "socket-id", "int32", jint(ids[0]), QOM_SET_STATIC);
    add_prop(n, "core-id", "int32", jint(ids[2]), QOM_SET_STATIC);
    return n;
}

static QomNode *container_node(const char *parent_path, const char *name)
{
    return node_new(QOM_CONTAINER, "container", parent_path, name);
}

static JsonNode *machine_memory_value(Machine *m)
{
    JsonObject *o = json_object_new();
    /* What was allocated: -M none has no RAM, as in QEMU. */
    json_object_set_int_member(o, "size", (gint64)m->ram.size);
    return qmp_return_object(o);
}

static JsonNode *machine_smp_value(Machine *m)
{
    const MachineConfig *cfg = m->cfg;
    JsonObject *o = json_object_new();
    json_object_set_int_member(o, "cpus", cfg->smp_cpus);
    json_object_set_int_member(o, "maxcpus", cfg->max_cpus);
    json_object_set_int_member(o, "threads", cfg->threads);
    json_object_set_int_member(o, "cores", cfg->cores);
    json_object_set_int_member(o, "dies", cfg->dies);
    json_object_set_int_member(o, "sockets", cfg->sockets);
    json_object_set_int_member(o, "clusters", 1);
    return qmp_return_object(o);
}

static DeviceState *find_board_device(Machine *m, const char *type)
{
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        if (!d->user_created && !strcmp(d->info->name, type)) {
            return d;
        }
    }
    return NULL;
}

static QomNode *machine_node(Machine *m)
{
    QomNode *n = node_new(QOM_MACHINE, qom_machine_type(m), "/", "machine");
    add_prop(n, "kernel", "string", jstr(m->cfg->kernel), QOM_SET_MACHINE_STR);
    add_prop(n, "memory", "MemorySizeConfiguration", machine_memory_value(m), QOM_SET_NONE);
    add_prop(n, "initrd", "string", jstr(m->cfg->initrd), QOM_SET_MACHINE_STR);
    add_prop(n, "smp", "SMPConfiguration", machine_smp_value(m), QOM_SET_NONE);
    add_prop(n, "append", "string", jstr(m->cfg->append), QOM_SET_MACHINE_STR);
    add_prop(n, "graphics", "bool", jbool(!m->cfg->nographic), QOM_SET_MACHINE_GRAPHICS);

    QomNode *unattached = container_node(n->path, "unattached");
    QomNode *anon = container_node(n->path, "peripheral-anon");
    QomNode *peripheral = container_node(n->path, "peripheral");
    for (unsigned i = 0; i < cpu_count(m); i++) {
        QomNode *cpu = cpu_node(m, i);
        add_child(unattached, strrchr(cpu->path, '/') + 1, cpu);
    }
    for (guint i = 0; i < m->devices->len; i++) {
        DeviceState *d = g_ptr_array_index(m->devices, i);
        QomNode *dn = device_node(m, d);
        QomNode *parent = !d->user_created ? unattached : d->id ? peripheral : anon;
        add_child(parent, strrchr(dn->path, '/') + 1, dn);
    }
    add_child(n, "unattached", unattached);
    add_child(n, "peripheral-anon", anon);
    add_child(n, "peripheral", peripheral);

    DeviceState *rtc = find_board_device(m, "mc146818rtc");
    if (rtc) {
        g_autofree char *rtc_path = qom_device_path(m, rtc);
        add_link(n, "rtc_state", "isa-device", rtc_path);
    }
    return n;
}

static const char *chardev_type(Chardev *chr)
{
    static const char *const names[][2] = {
        { "socket", "chardev-socket" }, { "stdio", "chardev-stdio" },
        { "null", "chardev-null" },     { "file", "chardev-file" },
        { "pty", "chardev-pty" },
    };
    if (chr->mux) {
        return "chardev-mux";
    }
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if (!strcmp(chr->ops->name, names[i][0])) {
            return names[i][1];
        }
    }
    return "chardev";
}

/* SocketAddress from the "unix:P[,server=on]" / "tcp:H:P[,...]" / "fd:N"
 * filename the socket backend records. */
static JsonNode *socket_addr_value(const char *filename)
{
    JsonObject *o = json_object_new();
    g_autofree char *spec = g_strdup(filename ? filename : "");
    char *comma = strchr(spec, ',');
    if (comma) {
        *comma = '\0';
    }
    if (g_str_has_prefix(spec, "unix:")) {
        json_object_set_string_member(o, "path", spec + 5);
        json_object_set_string_member(o, "type", "unix");
    } else if (g_str_has_prefix(spec, "tcp:")) {
        char *hostport = spec + 4;
        char *colon = strrchr(hostport, ':');
        const char *port = "";
        if (colon) {
            *colon = '\0';
            port = colon + 1;
        }
        json_object_set_string_member(o, "port", port);
        json_object_set_string_member(o, "host", hostport);
        json_object_set_string_member(o, "type", "inet");
    } else if (g_str_has_prefix(spec, "fd:")) {
        json_object_set_string_member(o, "str", spec + 3);
        json_object_set_string_member(o, "type", "fd");
    }
    return qmp_return_object(o);
}

/* A listening socket reports where it actually listens, as QEMU does:
 * the numeric address and the family flag. */
static JsonNode *listen_addr_value(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return NULL;
    }
    JsonObject *o = json_object_new();
    if (ss.ss_family == AF_UNIX) {
        json_object_set_string_member(o, "path", ((struct sockaddr_un *)&ss)->sun_path);
        json_object_set_string_member(o, "type", "unix");
    } else if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port, sizeof(port),
                           NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
        json_object_set_string_member(o, "port", port);
        json_object_set_boolean_member(o, ss.ss_family == AF_INET6 ? "ipv6" : "ipv4", TRUE);
        json_object_set_string_member(o, "host", host);
        json_object_set_string_member(o, "type", "inet");
    } else {
        json_object_unref(o);
        return NULL;
    }
    return qmp_return_object(o);
}

static QomNode *chardev_node(Chardev *chr)
{
    const char *type = chardev_type(chr);
    QomNode *n = node_new(QOM_CHARDEV, type, "/chardevs", chr->id);
    if (!strcmp(type, "chardev-socket")) {
        add_prop(n, "connected", "bool", jbool(chr->connected), QOM_SET_NONE);
        JsonNode *addr = chr->listen_fd >= 0 ? listen_addr_value(chr->listen_fd) : NULL;
        add_prop(n, "addr", "SocketAddress", addr ? addr : socket_addr_value(chr->filename),
                 QOM_SET_NONE);
    }
    return n;
}

static QomNode *build_tree(Machine *m)
{
    QomNode *root = node_new(QOM_CONTAINER, "container", NULL, NULL);
    QomNode *chardevs = container_node("/", "chardevs");
    for (guint i = 0; i < m->chardevs->len; i++) {
        Chardev *chr = g_ptr_array_index(m->chardevs, i);
        add_child(chardevs, chr->id, chardev_node(chr));
    }
    add_child(root, "objects", container_node("/", "objects"));
    add_child(root, "machine", machine_node(m));
    add_child(root, "chardevs", chardevs);
    return root;
}

/* ---- Paths ---- */

static QomProp *find_prop(QomNode *n, const char *name)
{
    for (guint i = 0; i < n->props->len; i++) {
        QomProp *p = g_ptr_array_index(n->props, i);
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

static QomNode *resolve_abs(QomNode *root, QomNode *from, char **parts);

/* One step down: a child, or the object a (non-empty) link points to. */
static QomNode *step(QomNode *root, QomNode *n, const char *name)
{
    QomProp *p = find_prop(n, name);
    if (!p) {
        return NULL;
    }
    if (p->child) {
        return p->child;
    }
    const char *target = p->is_link ? json_node_get_string(p->value) : "";
    if (!*target) {
        return NULL;
    }
    g_auto(GStrv) parts = g_strsplit(target, "/", -1);
    return resolve_abs(root, root, parts);
}

/* Empty components are skipped, as in QEMU ("//machine/" works). */
static QomNode *resolve_abs(QomNode *root, QomNode *from, char **parts)
{
    QomNode *n = from;
    for (guint i = 0; n && parts[i]; i++) {
        if (*parts[i]) {
            n = step(root, n, parts[i]);
        }
    }
    return n;
}

/* A partial path names the one object whose path ends with it; counts
 * the matches in the subtree under n. */
static QomNode *resolve_partial(QomNode *root, QomNode *n, char **parts, unsigned *matches)
{
    QomNode *found = resolve_abs(root, n, parts);
    *matches += found != NULL;
    for (guint i = 0; i < n->props->len; i++) {
        QomProp *p = g_ptr_array_index(n->props, i);
        if (p->child) {
            QomNode *f = resolve_partial(root, p->child, parts, matches);
            found = found ? found : f;
        }
    }
    return found;
}

/* Finds a path's object; *ambiguous tells a partial path matching
 * several objects from one matching none. */
static QomNode *resolve_path(QomNode *root, const char *path, bool *ambiguous)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    *ambiguous = false;
    if (path[0] == '/') {
        return resolve_abs(root, root, parts);
    }
    unsigned matches = 0;
    QomNode *n = resolve_partial(root, root, parts, &matches);
    if (matches > 1) {
        *ambiguous = true;
        return NULL;
    }
    return n;
}

static void set_not_found(const char *path, GError **errp)
{
    g_set_error(errp, TERN_ERROR, TERN_ERROR_DEVICE_NOT_FOUND, "Device '%s' not found", path);
}

/* qom-get and qom-set: an ambiguous path is simply not found. */
static QomNode *lookup(QomNode *root, const char *path, GError **errp)
{
    bool ambiguous;
    QomNode *n = resolve_path(root, path, &ambiguous);
    if (!n) {
        set_not_found(path, errp);
    }
    return n;
}

static QomProp *lookup_prop(QomNode *n, const char *name, GError **errp)
{
    QomProp *p = find_prop(n, name);
    if (!p) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Property '%s.%s' not found", n->type,
                    name);
    }
    return p;
}

/* ---- Commands ---- */

JsonObject *qom_prop_info(const char *name, const char *type, const char *desc,
                          JsonNode *default_value)
{
    /* Key order as QEMU prints them (its dictionaries' hash order). */
    JsonObject *o = json_object_new();
    if (default_value) {
        json_object_set_member(o, "default-value", default_value);
    }
    json_object_set_string_member(o, "name", name);
    if (desc) {
        json_object_set_string_member(o, "description", desc);
    }
    json_object_set_string_member(o, "type", type);
    return o;
}

JsonNode *qom_list(Machine *m, const char *path, GError **errp)
{
    g_autoptr(QomNode) root = build_tree(m);
    bool ambiguous;
    QomNode *n = resolve_path(root, path, &ambiguous);
    if (!n) {
        if (ambiguous) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Path '%s' is ambiguous", path);
        } else {
            set_not_found(path, errp);
        }
        return NULL;
    }
    JsonArray *a = json_array_new();
    for (guint i = 0; i < n->props->len; i++) {
        QomProp *p = g_ptr_array_index(n->props, i);
        json_array_add_object_element(a, qom_prop_info(p->name, p->type, NULL, NULL));
    }
    return qmp_return_array(a);
}

JsonNode *qom_get(Machine *m, const char *path, const char *property, GError **errp)
{
    g_autoptr(QomNode) root = build_tree(m);
    QomNode *n = lookup(root, path, errp);
    QomProp *p = n ? lookup_prop(n, property, errp) : NULL;
    return p ? json_node_copy(p->value) : NULL;
}

static bool check_value_type(const char *name, JsonNode *value, GType want, const char *what,
                             GError **errp)
{
    if (JSON_NODE_HOLDS_VALUE(value) && json_node_get_value_type(value) == want) {
        return true;
    }
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                "Invalid parameter type for '%s', expected: %s", name, what);
    return false;
}

static bool set_machine_string(Machine *m, const char *name, const char *value)
{
    char **field = !strcmp(name, "kernel") ? &m->cfg->kernel
                 : !strcmp(name, "initrd") ? &m->cfg->initrd
                 : &m->cfg->append;
    g_free(*field);
    *field = g_strdup(value);
    return true;
}

bool qom_set(Machine *m, const char *path, const char *property, JsonNode *value,
             GError **errp)
{
    g_autoptr(QomNode) root = build_tree(m);
    QomNode *n = lookup(root, path, errp);
    QomProp *p = n ? lookup_prop(n, property, errp) : NULL;
    if (!p) {
        return false;
    }
    switch (p->set) {
    case QOM_SET_NONE:
        break;
    case QOM_SET_STATIC: {
        const char *id = n->kind == QOM_DEVICE ? n->dev->id : NULL;
        if (id) {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Attempt to set property '%s' on device '%s' (type '%s') after it was "
                        "realized", p->name, id, n->type);
        } else {
            g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                        "Attempt to set property '%s' on anonymous device (type '%s') after it "
                        "was realized", p->name, n->type);
        }
        return false;
    }
    case QOM_SET_REALIZED:
        if (!check_value_type(p->name, value, G_TYPE_BOOLEAN, "boolean", errp)) {
            return false;
        }
        if (json_node_get_boolean(value)) {
            return true;    /* already realized */
        }
        /* QEMU would unrealize the device in place; Tern's devices have
         * no state between realized and gone (device_del removes them). */
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC,
                    "Unrealizing '%s' (type '%s') is not supported", n->path, n->type);
        return false;
    case QOM_SET_MACHINE_STR:
        if (!check_value_type(p->name, value, G_TYPE_STRING, "string", errp)) {
            return false;
        }
        return set_machine_string(m, p->name, json_node_get_string(value));
    case QOM_SET_MACHINE_GRAPHICS:
        if (!check_value_type(p->name, value, G_TYPE_BOOLEAN, "boolean", errp)) {
            return false;
        }
        m->cfg->nographic = !json_node_get_boolean(value);
        return true;
    }
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "Property '%s.%s' is not writable",
                n->type, p->name);
    return false;
}
