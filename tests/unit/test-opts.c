/* QEMU-style option strings (src/util/opts.h): QemuOpts syntax as in
 * qemu-options.hx and util/qemu-option.c, sizes as util/cutils.c's
 * qemu_strtosz(). */
#include <glib.h>

#include "util/error.h"
#include "util/opts.h"

#include "unit-common.h"

/* ---- helpers ---- */

static TernOpts *parse_ok(const char *str, const char *implied)
{
    g_autoptr(GError) err = NULL;
    TernOpts *o = opts_parse(str, implied, &err);
    g_assert_no_error(err);
    g_assert_nonnull(o);
    return o;
}

static uint64_t size_ok(const char *str, uint64_t unit)
{
    uint64_t v = 0xdeadbeef;
    if (!parse_size(str, unit, &v)) {
        g_error("parse_size(\"%s\") failed", str);
    }
    return v;
}

static void size_bad(const char *str, uint64_t unit)
{
    uint64_t v = 0x1234;
    if (parse_size(str, unit, &v)) {
        g_error("parse_size(\"%s\") accepted it as %" G_GUINT64_FORMAT, str, v);
    }
}

/* ---- opts_parse ---- */

static void test_parse_implied_key(void)
{
    g_autoptr(TernOpts) o = parse_ok("512M,slots=2", "size");
    g_assert_cmpuint(opts_count(o), ==, 2);
    g_assert_cmpstr(opts_key_at(o, 0), ==, "size");
    g_assert_cmpstr(opts_value_at(o, 0), ==, "512M");
    g_assert_cmpstr(opts_get(o, "size"), ==, "512M");
    g_assert_cmpstr(opts_get(o, "slots"), ==, "2");
    g_assert_cmpstr(opts_source(o), ==, "512M,slots=2");
}

static void test_parse_implied_key_explicit(void)
{
    /* The implied key may also be spelled out. */
    g_autoptr(TernOpts) o = parse_ok("size=1G", "size");
    g_assert_cmpuint(opts_count(o), ==, 1);
    g_assert_cmpstr(opts_get(o, "size"), ==, "1G");
}

static void test_parse_implied_key_only_first(void)
{
    /* Only the first element can omit its key; later bare words are flags. */
    g_autoptr(TernOpts) o = parse_ok("stdio,signal", "backend");
    g_assert_cmpstr(opts_get(o, "backend"), ==, "stdio");
    g_assert_cmpstr(opts_get(o, "signal"), ==, "on");
}

static void test_parse_escaped_comma(void)
{
    g_autoptr(TernOpts) o = parse_ok("file,path=/tmp/a,,b,id=x", "backend");
    g_assert_cmpuint(opts_count(o), ==, 3);
    g_assert_cmpstr(opts_get(o, "path"), ==, "/tmp/a,b");
    g_assert_cmpstr(opts_get(o, "id"), ==, "x");

    /* In the implied value too, and several in a row. */
    g_autoptr(TernOpts) o2 = parse_ok("a,,b,,,,c,k=v", "name");
    g_assert_cmpstr(opts_get(o2, "name"), ==, "a,b,,c");
    g_assert_cmpstr(opts_get(o2, "k"), ==, "v");

    /* ",," right before the separator: "1," then the next element. */
    g_autoptr(TernOpts) o3 = parse_ok("a=1,,,b=2", NULL);
    g_assert_cmpuint(opts_count(o3), ==, 2);
    g_assert_cmpstr(opts_get(o3, "a"), ==, "1,");
    g_assert_cmpstr(opts_get(o3, "b"), ==, "2");
}

static void test_parse_bare_flag(void)
{
    g_autoptr(TernOpts) o = parse_ok("server,wait=off", NULL);
    g_assert_cmpuint(opts_count(o), ==, 2);
    g_assert_cmpstr(opts_get(o, "server"), ==, "on");
    g_assert_cmpstr(opts_get(o, "wait"), ==, "off");
    bool b = false;
    g_assert_true(opts_get_bool(o, "server", false, &b, NULL));
    g_assert_true(b);
}

static void test_parse_no_prefix(void)
{
    /* opts_parse's own comment: "nofoo" is foo=off (QEMU 7.2 still takes
     * the short form, with a deprecation warning). */
    g_autoptr(TernOpts) o = parse_ok("socket,nowait", "backend");
    const char *wait = opts_get(o, "wait");
    g_assert_cmpstr(wait, ==, "off");
}

static void test_parse_last_wins(void)
{
    g_autoptr(TernOpts) o = parse_ok("a=1,b=2,a=3", NULL);
    g_assert_cmpuint(opts_count(o), ==, 3);
    g_assert_cmpstr(opts_get(o, "a"), ==, "3");
    /* Every occurrence is consumed by the lookup. */
    g_assert_true(opts_check_all_used(o, NULL) == false);
    g_assert_cmpstr(opts_get(o, "b"), ==, "2");
    g_assert_true(opts_check_all_used(o, NULL));
}

static void test_parse_empty_elements(void)
{
    /* Empty string: no pairs. */
    g_autoptr(TernOpts) o = parse_ok("", "size");
    g_assert_cmpuint(opts_count(o), ==, 0);
    g_assert_null(opts_get(o, "size"));

    /* Trailing separator. */
    g_autoptr(TernOpts) o2 = parse_ok("a=1,", NULL);
    g_assert_cmpuint(opts_count(o2), ==, 1);
    g_assert_cmpstr(opts_get(o2, "a"), ==, "1");

    /* Leading separator without an implied key: nothing there. */
    g_autoptr(TernOpts) o3 = parse_ok(",a=1", NULL);
    g_assert_cmpuint(opts_count(o3), ==, 1);
    g_assert_cmpstr(opts_get(o3, "a"), ==, "1");

    /* Leading separator with an implied key: the implied value is empty. */
    g_autoptr(TernOpts) o4 = parse_ok(",a=1", "type");
    g_assert_cmpstr(opts_get(o4, "type"), ==, "");
    g_assert_cmpstr(opts_get(o4, "a"), ==, "1");

    /* An empty value. */
    g_autoptr(TernOpts) o5 = parse_ok("a=,b=2", NULL);
    g_assert_cmpstr(opts_get(o5, "a"), ==, "");
    g_assert_cmpstr(opts_get(o5, "b"), ==, "2");
}

static void test_parse_empty_key(void)
{
    g_autoptr(GError) err = NULL;
    TernOpts *o = opts_parse("a=1,=2", NULL, &err);
    g_assert_null(o);
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==, "Invalid parameter ''");
}

static void test_has_does_not_consume(void)
{
    g_autoptr(TernOpts) o = parse_ok("x=1", NULL);
    g_assert_true(opts_has(o, "x"));
    g_assert_false(opts_has(o, "y"));
    g_autoptr(GError) err = NULL;
    g_assert_false(opts_check_all_used(o, &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter 'x'");
}

/* ---- typed getters ---- */

static void test_get_bool(void)
{
    g_autoptr(TernOpts) o = parse_ok("a=on,b=off,c=yes,d=no,e=true,f=false,g=y,h=n", NULL);
    static const struct { const char *key; bool want; } cases[] = {
        { "a", true }, { "b", false }, { "c", true }, { "d", false },
        { "e", true }, { "f", false }, { "g", true }, { "h", false },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        bool v = !cases[i].want;
        g_assert_true(opts_get_bool(o, cases[i].key, !cases[i].want, &v, NULL));
        g_assert_cmpint(v, ==, cases[i].want);
    }
    bool v = false;
    g_assert_true(opts_get_bool(o, "missing", true, &v, NULL));
    g_assert_true(v);
}

static void test_get_bool_error(void)
{
    g_autoptr(TernOpts) o = parse_ok("debug-threads=maybe", NULL);
    g_autoptr(GError) err = NULL;
    bool v;
    g_assert_false(opts_get_bool(o, "debug-threads", false, &v, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==, "Parameter 'debug-threads' expects 'on' or 'off'");
}

static void test_get_u64(void)
{
    g_autoptr(TernOpts) o = parse_ok("a=42,b=0x10,c=18446744073709551615", NULL);
    uint64_t v = 0;
    g_assert_true(opts_get_u64(o, "a", 0, &v, NULL));
    g_assert_cmpuint(v, ==, 42);
    g_assert_true(opts_get_u64(o, "b", 0, &v, NULL));
    g_assert_cmpuint(v, ==, 16);
    g_assert_true(opts_get_u64(o, "c", 0, &v, NULL));
    g_assert_cmpuint(v, ==, UINT64_MAX);
    g_assert_true(opts_get_u64(o, "missing", 7, &v, NULL));
    g_assert_cmpuint(v, ==, 7);
}

static void test_get_u64_errors(void)
{
    static const char *const bad[] = {
        "", "-1", "abc", "12abc", " 1", "18446744073709551616", "1.5",
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *s = g_strdup_printf("n=%s", bad[i]);
        g_autoptr(TernOpts) o = parse_ok(s, NULL);
        g_autoptr(GError) err = NULL;
        uint64_t v = 99;
        if (opts_get_u64(o, "n", 0, &v, &err)) {
            g_error("opts_get_u64 accepted \"%s\" as %" G_GUINT64_FORMAT, bad[i], v);
        }
        g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
        g_assert_cmpstr(err->message, ==, "Parameter 'n' expects a number");
    }
}

static void test_get_size(void)
{
    g_autoptr(TernOpts) o = parse_ok("a=4k,b=4096,c=1.5M", NULL);
    uint64_t v = 0;
    g_assert_true(opts_get_size(o, "a", 0, &v, NULL));
    g_assert_cmpuint(v, ==, 4096);
    /* opts_get_size's default unit is bytes. */
    g_assert_true(opts_get_size(o, "b", 0, &v, NULL));
    g_assert_cmpuint(v, ==, 4096);
    g_assert_true(opts_get_size(o, "c", 0, &v, NULL));
    g_assert_cmpuint(v, ==, 3 << 19);
    g_assert_true(opts_get_size(o, "missing", 123, &v, NULL));
    g_assert_cmpuint(v, ==, 123);
}

static void test_get_size_error(void)
{
    g_autoptr(TernOpts) o = parse_ok("size=12Q", NULL);
    g_autoptr(GError) err = NULL;
    uint64_t v;
    g_assert_false(opts_get_size(o, "size", 0, &v, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    g_assert_cmpstr(err->message, ==,
                    "Parameter 'size' expects a non-negative number below 2^64");
}

static void test_check_all_used(void)
{
    g_autoptr(TernOpts) o = parse_ok("id=a,path=/p,x=1,y=2", NULL);
    opts_get(o, "id");
    opts_accept(o, "path");
    g_autoptr(GError) err = NULL;
    g_assert_false(opts_check_all_used(o, &err));
    g_assert_error(err, TERN_ERROR, TERN_ERROR_GENERIC);
    /* The first unused key in order. */
    g_assert_cmpstr(err->message, ==, "Invalid parameter 'x'");

    opts_get(o, "x");
    opts_accept(o, "y");
    g_assert_true(opts_check_all_used(o, NULL));
}

static void test_accept_absent_key(void)
{
    g_autoptr(TernOpts) o = parse_ok("a=1", NULL);
    opts_accept(o, "nothere");
    g_assert_false(opts_has(o, "nothere"));
    g_assert_cmpuint(opts_count(o), ==, 1);
}

/* ---- parse_size ---- */

static void test_size_suffixes(void)
{
    g_assert_cmpuint(size_ok("1k", 1), ==, 1ULL << 10);
    g_assert_cmpuint(size_ok("1K", 1), ==, 1ULL << 10);
    g_assert_cmpuint(size_ok("3M", 1), ==, 3ULL << 20);
    g_assert_cmpuint(size_ok("2G", 1), ==, 2ULL << 30);
    g_assert_cmpuint(size_ok("5T", 1), ==, 5ULL << 40);
    g_assert_cmpuint(size_ok("7P", 1), ==, 7ULL << 50);
    g_assert_cmpuint(size_ok("15E", 1), ==, 15ULL << 60);
    /* Lower case is accepted for every suffix, as QEMU's suffix_mul(). */
    g_assert_cmpuint(size_ok("2g", 1), ==, 2ULL << 30);
    g_assert_cmpuint(size_ok("1t", 1), ==, 1ULL << 40);
}

static void test_size_bytes_suffix(void)
{
    /* B overrides the default unit. */
    g_assert_cmpuint(size_ok("4096B", 1ULL << 20), ==, 4096);
    g_assert_cmpuint(size_ok("17b", 1ULL << 20), ==, 17);
}

static void test_size_default_unit(void)
{
    g_assert_cmpuint(size_ok("128", 1ULL << 20), ==, 128ULL << 20);
    g_assert_cmpuint(size_ok("128", 1), ==, 128);
    g_assert_cmpuint(size_ok("0", 1ULL << 20), ==, 0);
    /* An explicit suffix wins over the default unit. */
    g_assert_cmpuint(size_ok("1G", 1ULL << 20), ==, 1ULL << 30);
}

static void test_size_fraction(void)
{
    g_assert_cmpuint(size_ok("1.5G", 1), ==, 3ULL << 29);
    g_assert_cmpuint(size_ok("0.5k", 1), ==, 512);
    g_assert_cmpuint(size_ok("0.25M", 1), ==, 256 << 10);
    g_assert_cmpuint(size_ok("1.5", 1ULL << 20), ==, 3ULL << 19);
}

static void test_size_hex(void)
{
    g_assert_cmpuint(size_ok("0x1000", 1), ==, 0x1000);
    g_assert_cmpuint(size_ok("0X1f", 1), ==, 0x1f);
    g_assert_cmpuint(size_ok("0xffffffffffffffff", 1), ==, UINT64_MAX);
    /* Hex takes no fraction; a suffix is accepted (QEMU 7.2 warns that it
     * is deprecated but takes "-m 0x20M" as 32 MiB). */
    g_assert_cmpuint(size_ok("0x20M", 1), ==, 32ULL << 20);
    size_bad("0x", 1);
    size_bad("0x1.8", 1);
    size_bad("0xg", 1);
    size_bad("0x10000000000000000", 1);
}

static void test_size_hex_default_unit(void)
{
    /* opts.h: "default_unit applies without suffix"; QEMU's qemu_strtosz
     * documents "0x7fEE - hexadecimal, unit determined by @default_suffix",
     * so "-m 0x100" is 256 MiB in qemu-system-x86_64. */
    uint64_t v = 0;
    bool ok = parse_size("0x100", 1ULL << 20, &v);
    g_assert_true(ok);
    g_assert_cmpuint(v, ==, 0x100ULL << 20);
}

static void test_size_precision(void)
{
    /* QEMU parses the integer part with 64-bit precision; every value below
     * 2^64 must come back exactly. */
    uint64_t v = 0;
    g_assert_true(parse_size("9007199254740993", 1, &v));   /* 2^53 + 1 */
    uint64_t w = 0;
    g_assert_true(parse_size("18446744073709551615", 1, &w));  /* 2^64 - 1 */
    g_assert_cmpuint(v, ==, 9007199254740993ULL);
    g_assert_cmpuint(w, ==, UINT64_MAX);
}

static void test_size_rejects(void)
{
    size_bad("", 1);
    size_bad("-1", 1);
    size_bad("-0", 1);
    size_bad("1x", 1);
    size_bad("1KB", 1);
    size_bad("1kk", 1);
    size_bad("k", 1);
    size_bad("abc", 1);
    size_bad("inf", 1);
    size_bad("nan", 1);
    size_bad("1.5Q", 1);
    size_bad(NULL, 1);
}

static void test_size_exponent(void)
{
    /* QEMU's qemu_strtosz: "floating point exponents, such as 1e3" are
     * intentionally not supported; 'e' is only the exabyte suffix. */
    g_assert_cmpuint(size_ok("1e", 1), ==, 1ULL << 60);
    g_assert_cmpuint(size_ok("1.5e", 1), ==, 3ULL << 59);
    size_bad("1e3", 1);
    size_bad("2E1", 1ULL << 20);
}

static void test_size_whitespace(void)
{
    size_bad(" 1", 1);
    size_bad("1 ", 1);
    size_bad("\t1M", 1);
    size_bad("1 M", 1);
    size_bad("1M ", 1);
}

static void test_size_overflow(void)
{
    size_bad("16E", 1);                     /* exactly 2^64 */
    size_bad("17E", 1);
    size_bad("16384P", 1);
    size_bad("18446744073709551616", 1);
    size_bad("18446744073709551616", 1ULL << 20);
    size_bad("17592186044416", 1ULL << 20); /* 2^44 MiB = 2^64 */
    size_bad("1e400", 1);
    /* Just below 2^64 still fits. */
    g_assert_cmpuint(size_ok("15E", 1), ==, 15ULL << 60);
    g_assert_cmpuint(size_ok("17592186044415", 1ULL << 20), ==, 17592186044415ULL << 20);
}

/* ---- parse_u64 / parse_bool ---- */

static void test_parse_u64(void)
{
    uint64_t v = 0;
    g_assert_true(parse_u64("0", &v));
    g_assert_cmpuint(v, ==, 0);
    g_assert_true(parse_u64("0x7f", &v));
    g_assert_cmpuint(v, ==, 0x7f);
    g_assert_false(parse_u64(NULL, &v));
    g_assert_false(parse_u64("", &v));
    g_assert_false(parse_u64("-5", &v));
    g_assert_false(parse_u64("5 ", &v));
}

static void test_parse_bool(void)
{
    bool b = false;
    g_assert_true(parse_bool("on", &b));
    g_assert_true(b);
    g_assert_true(parse_bool("off", &b));
    g_assert_false(b);
    g_assert_false(parse_bool("On", &b));
    g_assert_false(parse_bool("1", &b));
    g_assert_false(parse_bool("", &b));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/opts/parse/implied-key", test_parse_implied_key);
    g_test_add_func("/opts/parse/implied-key-explicit", test_parse_implied_key_explicit);
    g_test_add_func("/opts/parse/implied-key-only-first", test_parse_implied_key_only_first);
    g_test_add_func("/opts/parse/escaped-comma", test_parse_escaped_comma);
    g_test_add_func("/opts/parse/bare-flag", test_parse_bare_flag);
    g_test_add_func("/opts/parse/no-prefix", test_parse_no_prefix);
    g_test_add_func("/opts/parse/last-wins", test_parse_last_wins);
    g_test_add_func("/opts/parse/empty-elements", test_parse_empty_elements);
    g_test_add_func("/opts/parse/empty-key", test_parse_empty_key);
    g_test_add_func("/opts/has/does-not-consume", test_has_does_not_consume);
    g_test_add_func("/opts/get-bool/values", test_get_bool);
    g_test_add_func("/opts/get-bool/error", test_get_bool_error);
    g_test_add_func("/opts/get-u64/values", test_get_u64);
    g_test_add_func("/opts/get-u64/errors", test_get_u64_errors);
    g_test_add_func("/opts/get-size/values", test_get_size);
    g_test_add_func("/opts/get-size/error", test_get_size_error);
    g_test_add_func("/opts/check-all-used", test_check_all_used);
    g_test_add_func("/opts/accept/absent-key", test_accept_absent_key);
    g_test_add_func("/opts/parse-size/suffixes", test_size_suffixes);
    g_test_add_func("/opts/parse-size/bytes-suffix", test_size_bytes_suffix);
    g_test_add_func("/opts/parse-size/default-unit", test_size_default_unit);
    g_test_add_func("/opts/parse-size/fraction", test_size_fraction);
    g_test_add_func("/opts/parse-size/hex", test_size_hex);
    g_test_add_func("/opts/parse-size/hex-default-unit", test_size_hex_default_unit);
    g_test_add_func("/opts/parse-size/precision", test_size_precision);
    g_test_add_func("/opts/parse-size/rejects", test_size_rejects);
    g_test_add_func("/opts/parse-size/exponent", test_size_exponent);
    g_test_add_func("/opts/parse-size/whitespace", test_size_whitespace);
    g_test_add_func("/opts/parse-size/overflow", test_size_overflow);
    g_test_add_func("/opts/parse-u64", test_parse_u64);
    g_test_add_func("/opts/parse-bool", test_parse_bool);

    return g_test_run();
}
