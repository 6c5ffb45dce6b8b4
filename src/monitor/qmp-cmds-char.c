/* Character devices: query-chardev, query-chardev-backends. */
#include "board/pc.h"
#include "monitor/qmp-dispatch.h"

#include <string.h>

static JsonObject *chardev_info(const char *label, const char *filename, bool fe_open)
{
    JsonObject *o = json_object_new();
    json_object_set_boolean_member(o, "frontend-open", fe_open);
    json_object_set_string_member(o, "filename", filename);
    json_object_set_string_member(o, "label", label);
    return o;
}

/* -serial's own chardevs (serialN for port N), which QEMU creates after
 * every -chardev, -qmp and -mon one. */
static bool is_serial_chardev(MachineConfig *cfg, const Chardev *chr)
{
    for (guint i = 0; i < cfg->serials->len; i++) {
        g_autofree char *own = g_strdup_printf("serial%u", i);
        if (!strcmp(chr->id, own) && !strcmp(g_ptr_array_index(cfg->serials, i), own)) {
            return true;
        }
    }
    return false;
}

/* A mux=on chardev is two in QEMU: "ID-base", the real backend with the
 * mux as its frontend, then "ID" itself, whose filename is "mux". */
static void add_chardev(GHashTable *all, Chardev *chr)
{
    g_autofree char *filename = chardev_describe(chr);
    if (chr->mux) {
        char *base = g_strdup_printf("%s-base", chr->id);
        g_hash_table_insert(all, base, chardev_info(base, filename, true));
        g_hash_table_insert(all, g_strdup(chr->id), chardev_info(chr->id, "mux", chr->has_fe));
    } else {
        g_hash_table_insert(all, g_strdup(chr->id), chardev_info(chr->id, filename, chr->has_fe));
    }
}

static JsonNode *qmp_query_chardev(QmpContext *ctx, JsonObject *args, GError **errp)
{
    /* QEMU walks a GHashTable of chardevs keyed by label and prepends each
     * to its reply. Filling a table of our own in QEMU's creation order
     * and walking it the same way yields QEMU's order exactly. */
    g_autoptr(GHashTable) all = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                      (GDestroyNotify)json_object_unref);
    GPtrArray *chardevs = ctx->m->chardevs;
    for (int serial = 0; serial <= 1; serial++) {
        for (guint i = 0; i < chardevs->len; i++) {
            Chardev *chr = g_ptr_array_index(chardevs, i);
            if (is_serial_chardev(ctx->m->cfg, chr) == serial) {
                add_chardev(all, chr);
            }
        }
    }
    GList *order = NULL;
    GHashTableIter it;
    gpointer info;
    g_hash_table_iter_init(&it, all);
    while (g_hash_table_iter_next(&it, NULL, &info)) {
        order = g_list_prepend(order, info);
    }
    JsonArray *a = json_array_new();
    for (GList *l = order; l; l = l->next) {
        json_array_add_object_element(a, json_object_ref(l->data));
    }
    g_list_free(order);
    return qmp_return_array(a);
}

static JsonNode *qmp_query_chardev_backends(QmpContext *ctx, JsonObject *args, GError **errp)
{
    JsonArray *a = json_array_new();
    for (guint i = 0; chardev_backends[i]; i++) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", chardev_backends[i]->name);
        json_array_add_object_element(a, o);
    }
    return qmp_return_array(a);
}

const QmpCommandDef qmp_commands_char[] = {
    { "query-chardev", qmp_query_chardev },
    { "query-chardev-backends", qmp_query_chardev_backends },
    { NULL },
};
