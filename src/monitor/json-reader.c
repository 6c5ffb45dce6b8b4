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
    LX_START, LX_STRING, LX_STRING_ESCAPE, LX_NUMBER, LX_KEYWORD, LX_DISCARD_LINE,
} LexState;

struct QJsonReader {
    QJsonReaderEmit emit;
    void *opaque;
    /* lexer */
    LexState state;
    GString *tok;
    char quote;
    int utf8_need;           /* continuation bytes still expected */
    guint8 utf8_lo, utf8_hi; /* allowed range of the next one */
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

static void append_codepoint(GString *out, gunichar c)
{
    if (c == 0) {
        g_string_append(out, JSON_NUL_UTF8);
    } else {
        g_string_append_unichar(out, c);
    }
}

static char *decode_string(Parser *p, const char *text)
{
    size_t len = strlen(text);
    GString *out = g_string_sized_new(len);
    for (size_t i = 1; i + 1 < len; i++) {
        char c = text[i];
        if (c != '\\') {
            g_string_append_c(out, c);
            continue;
        }
        c = text[++i];
        switch (c) {
        case '"': case '\'': case '\\': case '/':
            g_string_append_c(out, c);
            break;
        case 'b': g_string_append_c(out, '\b'); break;
        case 'f': g_string_append_c(out, '\f'); break;
        case 'n': g_string_append_c(out, '\n'); break;
        case 'r': g_string_append_c(out, '\r'); break;
        case 't': g_string_append_c(out, '\t'); break;
        case 'u': {
            int cp = i + 4 < len ? hex4(text + i + 1) : -1;
            if (cp < 0) {
                parse_error(p, "invalid escape sequence in string");
                goto fail;
            }
            i += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && text[i + 1] == '\\' && text[i + 2] == 'u'
                && i + 6 < len) {
                int lo = hex4(text + i + 3);
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    append_codepoint(out, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
                    i += 6;
                    break;
                }
            }
            if (cp >= 0xd800 && cp <= 0xdfff) {
                parse_error(p, "\\u%.4s is not a valid Unicode character", text + i - 3);
                goto fail;
            }
            append_codepoint(out, cp);
            break;
        }
        default:
            parse_error(p, "invalid escape sequence in string");
            goto fail;
        }
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
        if (!t || t->type == TOK_RBRACE) {
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
    r->utf8_need = 0;
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
    g_autofree char *shown = g_utf8_make_valid(r->tok->str, r->tok->len);
    g_autofree char *msg = g_strdup_printf("JSON parse error, stray '%s'", shown);
    lexer_restart(r);
    emit_error(r, msg);
}

static bool number_valid(const char *s)
{
    if (*s == '-') {
        s++;
    }
    if (*s == '0') {
        s++;
    } else if (g_ascii_isdigit(*s)) {
        while (g_ascii_isdigit(*s)) {
            s++;
        }
    } else {
        return false;
    }
    if (*s == '.') {
        s++;
        if (!g_ascii_isdigit(*s)) {
            return false;
        }
        while (g_ascii_isdigit(*s)) {
            s++;
        }
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') {
            s++;
        }
        if (!g_ascii_isdigit(*s)) {
            return false;
        }
        while (g_ascii_isdigit(*s)) {
            s++;
        }
    }
    return *s == '\0';
}

static void end_number(QJsonReader *r)
{
    if (!number_valid(r->tok->str)) {
        lex_stray(r);
        return;
    }
    bool is_float = strpbrk(r->tok->str, ".eE") != NULL;
    push_token(r, is_float ? TOK_FLOAT : TOK_INTEGER);
}

/* Multi-byte UTF-8 inside strings: well-formed, no overlongs or
 * surrogates (RFC 3629). */
static bool utf8_byte(QJsonReader *r, guint8 c)
{
    if (r->utf8_need) {
        if (c < r->utf8_lo || c > r->utf8_hi) {
            return false;
        }
        r->utf8_need--;
        r->utf8_lo = 0x80;
        r->utf8_hi = 0xbf;
        return true;
    }
    r->utf8_lo = 0x80;
    r->utf8_hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        r->utf8_need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        r->utf8_need = 2;
        if (c == 0xe0) {
            r->utf8_lo = 0xa0;
        } else if (c == 0xed) {
            r->utf8_hi = 0x9f;
        }
    } else if (c >= 0xf0 && c <= 0xf4) {
        r->utf8_need = 3;
        if (c == 0xf0) {
            r->utf8_lo = 0x90;
        } else if (c == 0xf4) {
            r->utf8_hi = 0x8f;
        }
    } else {
        return false;
    }
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
                } else if (g_ascii_isalpha(c)) {
                    r->state = LX_KEYWORD;
                } else {
                    lex_stray(r);
                }
                return;
            }
        case LX_STRING:
            g_string_append_c(r->tok, ch);
            if (r->utf8_need || c >= 0x80) {
                if (!utf8_byte(r, c)) {
                    lex_stray(r);
                }
            } else if (c < 0x20) {
                lex_stray(r);
            } else if (c == '\\') {
                r->state = LX_STRING_ESCAPE;
            } else if (ch == r->quote) {
                push_token(r, TOK_STRING);
            }
            break;
        case LX_STRING_ESCAPE:
            g_string_append_c(r->tok, ch);
            if (c < 0x20 || c >= 0x80) {
                lex_stray(r);
            } else {
                r->state = LX_STRING;
            }
            break;
        case LX_NUMBER:
            if (g_ascii_isdigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                g_string_append_c(r->tok, ch);
                break;
            }
            end_number(r);
            continue;   /* this byte starts the next token */
        case LX_KEYWORD:
            if (g_ascii_isalnum(c)) {
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
    g_set_error(errp, TERN_ERROR, TERN_ERROR_GENERIC, "%s",
                po.error ? po.error : "JSON parse error, expecting value");
    g_free(po.error);
    return NULL;
}
