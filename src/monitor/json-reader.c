/* Three stages, each small: a byte-at-a-time lexer (resumable, so partial
 * reads are free), a streamer that counts brackets to find where a value
 * ends and enforces the limits, and a recursive-descent parser over the
 * finished token list. */
#include "monitor/json-reader.h"
#include "util/error.h"

#include <errno.h>
#include <string.h>

typedef enum {
    TOK_LBRACE, TOK_RBRACE, TOK_LSQUARE, TOK_RSQUARE, TOK_COLON, TOK_COMMA,
    TOK_STRING, TOK_INTEGER, TOK_FLOAT, TOK_KEYWORD,
} TokenType;

typedef struct {
    TokenType type;
    char *text;      /* strings keep their quotes; decoded by the parser */
} Token;

typedef enum {
    LX_START, LX_STRING, LX_STRING_ESCAPE, LX_NUMBER, LX_KEYWORD,
    LX_RECOVER,        /* after a stray byte: skip to a newline or structural char */
    LX_DISCARD_LINE,   /* after a size limit: skip the rest of the line */
} LexState;

struct QJsonReader {
    QJsonReaderEmit emit;
    void *opaque;
    /* lexer */
    LexState state;
    GString *tok;
    char quote;
    /* streamer */
    GPtrArray *tokens;
    int braces, squares;
    size_t size;
};

static void token_free(gpointer p)
{
    Token *t = p;
    g_free(t->text);
    g_free(t);
}

/* ---------------------------------------------------------------- parser */

typedef struct {
    GPtrArray *tokens;
    guint pos;
    char *error;
} Parser;

static Token *peek(Parser *p)
{
    return p->pos < p->tokens->len ? g_ptr_array_index(p->tokens, p->pos) : NULL;
}

static Token *next(Parser *p)
{
    Token *t = peek(p);
    if (t) {
        p->pos++;
    }
    return t;
}

static void parse_error(Parser *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void parse_error(Parser *p, const char *fmt, ...)
{
    if (p->error) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    p->error = g_strdup_printf("JSON parse error, %s", msg);
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(s[i]);
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    return v;
}

/* Code points QEMU refuses: surrogates and the noncharacters. */
static bool codepoint_valid(gunichar c)
{
    return !(c >= 0xd800 && c <= 0xdfff) && !(c >= 0xfdd0 && c <= 0xfdef) &&
           (c & 0xfffe) != 0xfffe && c <= 0x10ffff;
}

/* Raw UTF-8 in a string: well-formed, no overlongs, surrogates or
 * noncharacters; C0 80 is QEMU's way of writing U+0000 and is kept.
 * Returns the sequence length, 0 if invalid. */
static int utf8_sequence(const char *s, size_t left)
{
    const guint8 *u = (const guint8 *)s;
    if (left >= 2 && u[0] == 0xc0 && u[1] == 0x80) {
        return 2;
    }
    int n = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc0 ? 2 : 0;
    if (n == 0 || (size_t)n > left) {
        return 0;
    }
    gunichar c = g_utf8_get_char_validated(s, n);
    if (c == (gunichar)-1 || c == (gunichar)-2 || !codepoint_valid(c) ||
        g_unichar_to_utf8(c, NULL) != n) {
        return 0;
    }
    return n;
}

static void append_codepoint(GString *out, gunichar c)
{
    if (c == 0) {
        g_string_append(out, JSON_NUL_UTF8);
    } else {
        g_string_append_unichar(out, c);
    }
}

/* A \u escape at text[i] ('\\' at i, 'u' at i+1): appends the code point
 * (one escape or a surrogate pair) and returns the escape's length, or 0
 * after reporting QEMU's error naming what was written. */
static size_t decode_unicode_escape(Parser *p, const char *text, size_t i, size_t len,
                                    GString *out)
{
    int cp = i + 6 <= len ? hex4(text + i + 2) : -1;
    size_t n = 6;
    gunichar c = cp;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 12 <= len && text[i + 6] == '\\' &&
        text[i + 7] == 'u') {
        int lo = hex4(text + i + 8);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
            c = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            n = 12;
        }
    }
    if (cp < 0 || !codepoint_valid(c)) {
        /* QEMU quotes the escape and up to four characters after "\u". */
        size_t shown = MIN(n, len - i);
        parse_error(p, "%.*s is not a valid Unicode character", (int)shown, text + i);
        return 0;
    }
    append_codepoint(out, c);
    return n;
}

static char *decode_string(Parser *p, const char *text)
{
    size_t len = strlen(text);
    size_t end = len - 1;   /* the closing quote */
    GString *out = g_string_sized_new(len);
    for (size_t i = 1; i < end;) {
        char c = text[i];
        if ((guint8)c >= 0x80) {
            int n = utf8_sequence(text + i, end - i);
            if (!n) {
                parse_error(p, "invalid UTF-8 sequence in string");
                goto fail;
            }
            g_string_append_len(out, text + i, n);
            i += n;
            continue;
        }
        if (c != '\\') {
            g_string_append_c(out, c);
            i++;
            continue;
        }
        switch (text[i + 1]) {
        case '"': case '\'': case '\\': case '/':
            g_string_append_c(out, text[i + 1]);
            break;
        case 'b': g_string_append_c(out, '\b'); break;
        case 'f': g_string_append_c(out, '\f'); break;
        case 'n': g_string_append_c(out, '\n'); break;
        case 'r': g_string_append_c(out, '\r'); break;
        case 't': g_string_append_c(out, '\t'); break;
        case 'u': {
            size_t n = decode_unicode_escape(p, text, i, len, out);
            if (!n) {
                goto fail;
            }
            i += n;
            continue;
        }
        default:
            parse_error(p, "invalid escape sequence in string");
            goto fail;
        }
        i += 2;
    }
    return g_string_free(out, FALSE);
fail:
    g_string_free(out, TRUE);
    return NULL;
}

static JsonNode *parse_value(Parser *p);

static JsonNode *parse_object(Parser *p)
{
    JsonObject *obj = json_object_new();
    JsonNode *node = json_node_init_object(json_node_alloc(), obj);
    json_object_unref(obj);
    Token *t = peek(p);
    if (t && t->type == TOK_RBRACE) {
        next(p);
        return node;
    }
    for (;;) {
        t = next(p);
        if (!t || t->type == TOK_RBRACE || t->type == TOK_RSQUARE || t->type == TOK_COLON ||
            t->type == TOK_COMMA) {
            parse_error(p, "expecting value");
            goto fail;
        }
        if (t->type != TOK_STRING) {
            parse_error(p, "key is not a string in object");
            goto fail;
        }
        g_autofree char *key = decode_string(p, t->text);
        if (!key) {
            goto fail;
        }
        t = next(p);
        if (!t || t->type != TOK_COLON) {
            parse_error(p, "missing : in object pair");
            goto fail;
        }
        JsonNode *v = parse_value(p);
        if (!v) {
            goto fail;
        }
        if (json_object_has_member(obj, key)) {
            json_node_unref(v);
            parse_error(p, "duplicate key");
            goto fail;
        }
        json_object_set_member(obj, key, v);
        t = next(p);
        if (t && t->type == TOK_RBRACE) {
            return node;
        }
        if (!t || t->type != TOK_COMMA) {
            parse_error(p, "expected separator in dict");
            goto fail;
        }
    }
fail:
    json_node_unref(node);
    return NULL;
}

static JsonNode *parse_array(Parser *p)
{
    JsonArray *arr = json_array_new();
    JsonNode *node = json_node_init_array(json_node_alloc(), arr);
    json_array_unref(arr);
    Token *t = peek(p);
    if (t && t->type == TOK_RSQUARE) {
        next(p);
        return node;
    }
    for (;;) {
        JsonNode *v = parse_value(p);
        if (!v) {
            json_node_unref(node);
            return NULL;
        }
        json_array_add_element(arr, v);
        t = next(p);
        if (t && t->type == TOK_RSQUARE) {
            return node;
        }
        if (!t || t->type != TOK_COMMA) {
            parse_error(p, "expected separator in list");
            json_node_unref(node);
            return NULL;
        }
    }
}

static JsonNode *parse_number(Token *t)
{
    JsonNode *n = json_node_alloc();
    if (t->type == TOK_INTEGER) {
        errno = 0;
        gint64 v = g_ascii_strtoll(t->text, NULL, 10);
        if (errno != ERANGE) {
            return json_node_init_int(n, v);
        }
        /* Like QEMU: up to 2^64-1 stays an integer (uint64 arguments take
         * it; json-glib keeps the bit pattern), beyond that a double. */
        if (t->text[0] != '-') {
            errno = 0;
            guint64 u = g_ascii_strtoull(t->text, NULL, 10);
            if (errno != ERANGE) {
                return json_node_init_int(n, (gint64)u);
            }
        }
    }
    return json_node_init_double(n, g_ascii_strtod(t->text, NULL));
}

static JsonNode *parse_value(Parser *p)
{
    Token *t = next(p);
    if (!t) {
        parse_error(p, "expecting value");
        return NULL;
    }
    switch (t->type) {
    case TOK_LBRACE:
        return parse_object(p);
    case TOK_LSQUARE:
        return parse_array(p);
    case TOK_STRING: {
        char *s = decode_string(p, t->text);
        if (!s) {
            return NULL;
        }
        JsonNode *n = json_node_init_string(json_node_alloc(), s);
        g_free(s);
        return n;
    }
    case TOK_INTEGER:
    case TOK_FLOAT:
        return parse_number(t);
    case TOK_KEYWORD:
        if (!strcmp(t->text, "true") || !strcmp(t->text, "false")) {
            return json_node_init_boolean(json_node_alloc(), t->text[0] == 't');
        }
        if (!strcmp(t->text, "null")) {
            return json_node_init_null(json_node_alloc());
        }
        parse_error(p, "invalid keyword '%s'", t->text);
        return NULL;
    default:
        parse_error(p, "expecting value");
        return NULL;
    }
}

/* -------------------------------------------------------------- streamer */

static void streamer_reset(QJsonReader *r)
{
    g_ptr_array_set_size(r->tokens, 0);
    r->braces = r->squares = 0;
    r->size = 0;
}

static void emit_error(QJsonReader *r, const char *msg)
{
    streamer_reset(r);
    r->emit(r->opaque, NULL, msg);
}

static void emit_message(QJsonReader *r)
{
    Parser p = { .tokens = r->tokens };
    JsonNode *v = parse_value(&p);
    if (v && p.pos < r->tokens->len) {
        json_node_unref(v);
        v = NULL;
        parse_error(&p, "expecting value");
    }
    g_autofree char *error = p.error;
    streamer_reset(r);
    r->emit(r->opaque, v, v ? NULL : error);
}

static void lexer_restart(QJsonReader *r)
{
    r->state = LX_START;
    g_string_truncate(r->tok, 0);
}

static void push_token(QJsonReader *r, TokenType type)
{
    Token *t = g_new(Token, 1);
    t->type = type;
    t->text = g_strndup(r->tok->str, r->tok->len);
    r->size += r->tok->len;
    lexer_restart(r);
    g_ptr_array_add(r->tokens, t);

    switch (type) {
    case TOK_LBRACE: r->braces++; break;
    case TOK_RBRACE: r->braces--; break;
    case TOK_LSQUARE: r->squares++; break;
    case TOK_RSQUARE: r->squares--; break;
    default: break;
    }
    if (r->braces < 0 || r->squares < 0) {
        emit_message(r);   /* a stray closer: the parser says why */
        return;
    }
    if (r->braces + r->squares > JSON_MAX_NESTING) {
        emit_error(r, "JSON nesting depth limit exceeded");
        return;
    }
    if (r->size > JSON_MAX_MESSAGE_SIZE) {
        emit_error(r, "JSON token size limit exceeded");
        r->state = LX_DISCARD_LINE;
        return;
    }
    if (r->tokens->len > JSON_MAX_TOKEN_COUNT) {
        emit_error(r, "JSON token count limit exceeded");
        r->state = LX_DISCARD_LINE;
        return;
    }
    if (r->braces == 0 && r->squares == 0) {
        emit_message(r);
    }
}

/* A byte that no token can contain: report what was read so far. */
static void lex_stray(QJsonReader *r)
{
    /* QEMU shows the text as a C string: a NUL ends it. */
    g_autofree char *shown = g_utf8_make_valid(r->tok->str, -1);
    g_autofree char *msg = g_strdup_printf("JSON parse error, stray '%s'", shown);
    lexer_restart(r);
    r->state = LX_RECOVER;
    emit_error(r, msg);
}

/* Whether the number text so far is a whole number ("1", "1.5e3") and
 * whether byte c may extend it, following the JSON number grammar. */
static bool number_complete(const char *s)
{
    size_t n = strlen(s);
    return n && g_ascii_isdigit(s[n - 1]);
}

static bool number_accepts(const char *s, char c)
{
    size_t n = strlen(s);
    char last = n ? s[n - 1] : 0;
    bool has_dot = strchr(s, '.') != NULL, has_exp = strpbrk(s, "eE") != NULL;
    bool leading_zero = (s[0] == '0' && n == 1) || (s[0] == '-' && s[1] == '0' && n == 2);
    if (g_ascii_isdigit(c)) {
        return !leading_zero;
    }
    if (c == '.') {
        return g_ascii_isdigit(last) && !has_dot && !has_exp;
    }
    if (c == 'e' || c == 'E') {
        return g_ascii_isdigit(last) && !has_exp;
    }
    if (c == '+' || c == '-') {
        return last == 'e' || last == 'E';
    }
    return false;
}

static bool number_char(char c)
{
    return g_ascii_isdigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* True if the number ended cleanly; an incomplete one ("1.", "-", "1e")
 * is a stray token that includes the byte that ended it, as in QEMU. */
static bool end_number(QJsonReader *r, char terminator)
{
    if (!number_complete(r->tok->str) || number_char(terminator)) {
        g_string_append_c(r->tok, terminator);
        lex_stray(r);
        return false;
    }
    bool is_float = strpbrk(r->tok->str, ".eE") != NULL;
    push_token(r, is_float ? TOK_FLOAT : TOK_INTEGER);
    return true;
}

static void lex_byte(QJsonReader *r, char ch)
{
    guint8 c = (guint8)ch;
    for (;;) {
        switch (r->state) {
        case LX_DISCARD_LINE:
            if (c == '\n') {
                r->state = LX_START;
            }
            return;
        case LX_RECOVER:
            /* QEMU's recovery: a newline or a structural character ends
             * it; bytes that are never valid are reported one by one;
             * everything else is skipped. */
            if (c == '\n') {
                r->state = LX_START;
                return;
            }
            if ((c < 0x20 && c != '\t' && c != '\r') || c == 0xfe || c == 0xff) {
                g_string_append_c(r->tok, ch);
                lex_stray(r);
                return;
            }
            if (!strchr("{}[],:", ch) || c == 0) {
                return;
            }
            r->state = LX_START;
            continue;
        case LX_START:
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                return;
            }
            g_string_append_c(r->tok, ch);
            switch (c) {
            case '{': push_token(r, TOK_LBRACE); return;
            case '}': push_token(r, TOK_RBRACE); return;
            case '[': push_token(r, TOK_LSQUARE); return;
            case ']': push_token(r, TOK_RSQUARE); return;
            case ':': push_token(r, TOK_COLON); return;
            case ',': push_token(r, TOK_COMMA); return;
            case '"': case '\'':
                r->quote = ch;
                r->state = LX_STRING;
                return;
            default:
                if (c == '-' || g_ascii_isdigit(c)) {
                    r->state = LX_NUMBER;
                } else if (g_ascii_islower(c)) {
                    r->state = LX_KEYWORD;   /* QEMU's keywords are lower case */
                } else {
                    lex_stray(r);
                }
                return;
            }
        case LX_STRING:
            g_string_append_c(r->tok, ch);
            /* Multi-byte UTF-8 is checked by the parser; these bytes can
             * never occur in it. */
            if (c < 0x20 || c == 0xfe || c == 0xff) {
                lex_stray(r);
            } else if (c == '\\') {
                r->state = LX_STRING_ESCAPE;
            } else if (ch == r->quote) {
                push_token(r, TOK_STRING);
            }
            break;
        case LX_STRING_ESCAPE:
            g_string_append_c(r->tok, ch);
            if (c < 0x20 || c == 0xfe || c == 0xff) {
                lex_stray(r);
            } else {
                r->state = LX_STRING;
            }
            break;
        case LX_NUMBER:
            if (number_accepts(r->tok->str, ch)) {
                g_string_append_c(r->tok, ch);
                break;
            }
            if (!end_number(r, ch)) {
                return;   /* the terminator went into the stray token */
            }
            continue;     /* this byte starts the next token */
        case LX_KEYWORD:
            if (g_ascii_islower(c)) {
                g_string_append_c(r->tok, ch);
                break;
            }
            push_token(r, TOK_KEYWORD);
            continue;
        }
        break;
    }
    /* One token alone must not eat unbounded memory (a 100 MB string). */
    if (r->tok->len > JSON_MAX_MESSAGE_SIZE) {
        lexer_restart(r);
        emit_error(r, "JSON token size limit exceeded");
        r->state = LX_DISCARD_LINE;
    }
}

QJsonReader *qjson_reader_new(QJsonReaderEmit emit, void *opaque)
{
    QJsonReader *r = g_new0(QJsonReader, 1);
    r->emit = emit;
    r->opaque = opaque;
    r->tok = g_string_new(NULL);
    r->tokens = g_ptr_array_new_with_free_func(token_free);
    return r;
}

void qjson_reader_free(QJsonReader *r)
{
    if (!r) {
        return;
    }
    g_string_free(r->tok, TRUE);
    g_ptr_array_unref(r->tokens);
    g_free(r);
}

void qjson_reader_reset(QJsonReader *r)
{
    lexer_restart(r);
    streamer_reset(r);
}

void qjson_reader_feed(QJsonReader *r, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        lex_byte(r, buf[i]);
    }
}

typedef struct {
    JsonNode *value;
    char *error;
    int count;
} ParseOne;

static void parse_one_emit(void *opaque, JsonNode *value, const char *error)
{
    ParseOne *po = opaque;
    if (po->count++ == 0) {
        po->value = value;
        po->error = g_strdup(error);
    } else if (value) {
        json_node_unref(value);
    }
}

JsonNode *qjson_parse(const char *text, GError **errp)
{
    ParseOne po = { 0 };
    QJsonReader *r = qjson_reader_new(parse_one_emit, &po);
    qjson_reader_feed(r, text, strlen(text));
    qjson_reader_feed(r, "\n", 1);   /* ends a bare top-level number */
    bool complete = r->tokens->len == 0 && r->state == LX_START;
    qjson_reader_free(r);
    if (po.count == 1 && complete && po.value) {
        return po.value;
    }
    if (po.value) {
        json_node_unref(po.value);
    }
    /* Text that stops inside a value: QEMU's wording for command-line JSON. */
    const char *msg = po.error ? po.error
                      : !complete && po.count == 0 ? "JSON parse error, premature EOI"
                      : "JSON parse error, expecting value";
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s", msg);
    g_free(po.error);
    return NULL;
}
