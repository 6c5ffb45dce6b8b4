/* Versioned state sections (src/migration/vmstate.h): one field table
 * drives save and load; fields carry the version that added them; loaded
 * state is untrusted. */
#include <glib.h>
#include <string.h>

#include "migration/vmstate.h"
#include "util/error.h"

typedef struct {
    uint8_t b;
    uint16_t w;
    uint32_t l;
    uint64_t q;
    uint8_t buf[5];
    uint32_t added_in_v2;
} Dev;

static bool dev_post_load(void *obj, GError **errp);

static const StateField dev_fields_v2[] = {
    STATE_UINT(Dev, b),
    STATE_UINT(Dev, w),
    STATE_UINT(Dev, l),
    STATE_UINT(Dev, q),
    STATE_BUFFER(Dev, buf),
    STATE_UINT_V(Dev, added_in_v2, 2),
    STATE_END,
};

static const StateDescription dev_v2 = {
    .name = "dev", .version = 2, .fields = dev_fields_v2, .post_load = dev_post_load,
};

/* The same device as version 1 knew it. */
static const StateField dev_fields_v1[] = {
    STATE_UINT(Dev, b),
    STATE_UINT(Dev, w),
    STATE_UINT(Dev, l),
    STATE_UINT(Dev, q),
    STATE_BUFFER(Dev, buf),
    STATE_END,
};

static const StateDescription dev_v1 = {
    .name = "dev", .version = 1, .fields = dev_fields_v1,
};

/* The guest can only program w up to 0x7fff: anything above is a corrupt
 * or hostile stream. */
static unsigned post_load_calls;
static bool dev_post_load(void *obj, GError **errp)
{
    Dev *d = obj;
    post_load_calls++;
    if (d->w > 0x7fff) {
        g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "dev: w 0x%x out of range", d->w);
        return false;
    }
    return true;
}

static const Dev sample = {
    .b = 0xa1, .w = 0x7b2c, .l = 0xd3e4f506, .q = 0x0102030405060708ULL,
    .buf = { 'h', 'e', 'l', 'l', 'o' }, .added_in_v2 = 0xcafef00d,
};

static void test_round_trip(void)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v2, &sample, out);
    g_assert_cmpuint(out->len, ==, 1 + 2 + 4 + 8 + 5 + 4);

    Dev d;
    memset(&d, 0, sizeof(d));
    post_load_calls = 0;
    g_autoptr(GError) err = NULL;
    g_assert_true(vmstate_load(&dev_v2, &d, 2, out->data, out->len, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(post_load_calls, ==, 1);
    g_assert_cmphex(d.b, ==, sample.b);
    g_assert_cmphex(d.w, ==, sample.w);
    g_assert_cmphex(d.l, ==, sample.l);
    g_assert_cmphex(d.q, ==, sample.q);
    g_assert_cmpmem(d.buf, 5, sample.buf, 5);
    g_assert_cmphex(d.added_in_v2, ==, sample.added_in_v2);
}

static void test_wire_format(void)
{
    /* Little endian, in table order, no padding: the format is the
     * contract between two Tern versions. */
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v2, &sample, out);
    static const uint8_t want[] = {
        0xa1,
        0x2c, 0x7b,
        0x06, 0xf5, 0xe4, 0xd3,
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
        'h', 'e', 'l', 'l', 'o',
        0x0d, 0xf0, 0xfe, 0xca,
    };
    g_assert_cmpmem(out->data, out->len, want, sizeof(want));
}

static void test_load_v1_into_v2(void)
{
    /* A stream from a version-1 Tern: the v2 field keeps its value. */
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v1, &sample, out);
    g_assert_cmpuint(out->len, ==, 1 + 2 + 4 + 8 + 5);

    Dev d = { .added_in_v2 = 0x5a5a5a5a };
    g_autoptr(GError) err = NULL;
    g_assert_true(vmstate_load(&dev_v2, &d, 1, out->data, out->len, &err));
    g_assert_no_error(err);
    g_assert_cmphex(d.q, ==, sample.q);
    g_assert_cmpmem(d.buf, 5, sample.buf, 5);
    g_assert_cmphex(d.added_in_v2, ==, 0x5a5a5a5a);
}

static void test_v2_stream_as_v1_has_trailing(void)
{
    /* A v2 stream mislabelled as v1 leaves the v2 field unread. */
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v2, &sample, out);
    Dev d = { 0 };
    g_autoptr(GError) err = NULL;
    g_assert_false(vmstate_load(&dev_v2, &d, 1, out->data, out->len, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==, "dev: 4 trailing bytes in section");
}

static void test_truncated(void)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v2, &sample, out);
    /* Every proper prefix fails, naming the field that did not fit. */
    static const char *const field_at[] = {
        "b", "w", "w", "l", "l", "l", "l", "q", "q", "q", "q", "q", "q", "q", "q",
        "buf", "buf", "buf", "buf", "buf", "added_in_v2", "added_in_v2", "added_in_v2",
        "added_in_v2",
    };
    g_assert_cmpuint(G_N_ELEMENTS(field_at), ==, out->len);
    for (guint len = 0; len < out->len; len++) {
        /* A copy of exactly len bytes, so ASan sees any over-read. */
        g_autofree uint8_t *copy = g_memdup2(out->data, len ? len : 1);
        Dev d = { 0 };
        g_autoptr(GError) err = NULL;
        post_load_calls = 0;
        g_assert_false(vmstate_load(&dev_v2, &d, 2, copy, len, &err));
        g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
        g_autofree char *want = g_strdup_printf("dev: section truncated at field '%s'",
                                                field_at[len]);
        g_assert_cmpstr(err->message, ==, want);
        g_assert_cmpuint(post_load_calls, ==, 0);
    }
}

static void test_trailing_bytes(void)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v2, &sample, out);
    g_byte_array_append(out, (const uint8_t *)"xyz", 3);
    Dev d = { 0 };
    g_autoptr(GError) err = NULL;
    post_load_calls = 0;
    g_assert_false(vmstate_load(&dev_v2, &d, 2, out->data, out->len, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==, "dev: 3 trailing bytes in section");
    g_assert_cmpuint(post_load_calls, ==, 0);
}

static void test_newer_version(void)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v2, &sample, out);
    Dev d = { 0 };
    g_autoptr(GError) err = NULL;
    g_assert_false(vmstate_load(&dev_v2, &d, 3, out->data, out->len, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==, "dev: stream version 3 is newer than supported 2");
    /* Nothing was loaded. */
    g_assert_cmpuint(d.b, ==, 0);
    g_assert_cmpuint(d.q, ==, 0);
}

static void test_post_load_rejects(void)
{
    Dev bad = sample;
    bad.w = 0x8000;
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v2, &bad, out);
    Dev d = { 0 };
    g_autoptr(GError) err = NULL;
    post_load_calls = 0;
    g_assert_false(vmstate_load(&dev_v2, &d, 2, out->data, out->len, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==, "dev: w 0x8000 out of range");
    g_assert_cmpuint(post_load_calls, ==, 1);
}

static void test_no_post_load(void)
{
    /* Without a post_load hook, any well-formed stream loads. */
    Dev bad = sample;
    bad.w = 0xffff;
    g_autoptr(GByteArray) out = g_byte_array_new();
    vmstate_save(&dev_v1, &bad, out);
    Dev d = { 0 };
    g_assert_true(vmstate_load(&dev_v1, &d, 1, out->data, out->len, NULL));
    g_assert_cmphex(d.w, ==, 0xffff);
}

static void test_empty_stream(void)
{
    Dev d = { 0 };
    g_autoptr(GError) err = NULL;
    g_assert_false(vmstate_load(&dev_v2, &d, 2, NULL, 0, &err));
    g_assert_cmpstr(err->message, ==, "dev: section truncated at field 'b'");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/vmstate/round-trip", test_round_trip);
    g_test_add_func("/vmstate/wire-format", test_wire_format);
    g_test_add_func("/vmstate/load-v1-into-v2", test_load_v1_into_v2);
    g_test_add_func("/vmstate/v2-stream-as-v1", test_v2_stream_as_v1_has_trailing);
    g_test_add_func("/vmstate/truncated", test_truncated);
    g_test_add_func("/vmstate/trailing-bytes", test_trailing_bytes);
    g_test_add_func("/vmstate/newer-version", test_newer_version);
    g_test_add_func("/vmstate/post-load-rejects", test_post_load_rejects);
    g_test_add_func("/vmstate/no-post-load", test_no_post_load);
    g_test_add_func("/vmstate/empty-stream", test_empty_stream);

    return g_test_run();
}
