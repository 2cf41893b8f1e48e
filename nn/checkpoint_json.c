/* checkpoint_json.c — a strict, bounded JSON parser for safetensors headers: RFC 8259 exactly
 * (no comments, trailing commas, NaN, leading zeros, raw control characters, lone surrogates or
 * invalid UTF-8), nesting limited to NBN_MAX_DEPTH, memory linear in the input. Nodes live in one
 * growing array and strings in one arena no larger than the input, so nothing is trusted. */
#include "checkpoint_internal.h"
#include <stdlib.h>

typedef struct {
    const char *s;
    size_t len, pos;
    nbn_doc *doc;
    char *arena_top;
    char *err;
    size_t errlen;
} parser;

static bool fail(parser *p, const char *what) {
    snprintf(p->err, p->errlen, "%s at byte %zu", what, p->pos);
    return false;
}

static void skip_ws(parser *p) {
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int new_node(parser *p, nbn_kind k) {
    nbn_doc *d = p->doc;
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 16;
        nbn_node *nn = realloc(d->nodes, sizeof *nn * (size_t)cap);
        if (!nn) return -1;
        d->nodes = nn;
        d->cap = cap;
    }
    d->nodes[d->n] = (nbn_node){ .kind = k, .first = -1, .next = -1 };
    return d->n++;
}

static int hexval(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static bool read_u4(parser *p, unsigned *out) {
    if (p->len - p->pos < 4) return fail(p, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + (size_t)i]);
        if (h < 0) return fail(p, "bad \\u escape");
        v = v * 16 + (unsigned)h;
    }
    p->pos += 4;
    *out = v;
    return true;
}

/* Length of the valid UTF-8 sequence at s[0..n) (1..4), 0 if invalid. */
static int utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    int k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!k || (size_t)k > n) return 0;
    for (int i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    uint32_t cp = k == 1 ? c : k == 2 ? (c & 0x1F) : k == 3 ? (c & 0x0F) : (c & 0x07);
    for (int i = 1; i < k; i++) cp = cp << 6 | (s[i] & 0x3F);
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0; /* overlong, out of range, surrogate */
    return k;
}

static char *put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80)
        *o++ = (char)cp;
    else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* A string starting at the opening quote; the unescaped copy goes to the arena (never longer). */
static bool parse_string(parser *p, const char **out, size_t *outlen) {
    p->pos++; /* opening quote */
    char *o = p->arena_top, *start = o;
    for (;;) {
        if (p->pos >= p->len) return fail(p, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20) return fail(p, "raw control character in a string");
        if (c != '\\') {
            int k = utf8_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
            if (!k) return fail(p, "invalid UTF-8 in a string");
            memcpy(o, p->s + p->pos, (size_t)k);
            o += k;
            p->pos += (size_t)k;
            continue;
        }
        if (++p->pos >= p->len) return fail(p, "unterminated escape");
        char e = p->s[p->pos++];
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned u, lo;
            if (!read_u4(p, &u)) return false;
            uint32_t cp = u;
            if (u >= 0xDC00 && u <= 0xDFFF) return fail(p, "lone low surrogate in \\u escape");
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                    return fail(p, "high surrogate without its low half");
                p->pos += 2;
                if (!read_u4(p, &lo)) return false;
                if (lo < 0xDC00 || lo > 0xDFFF) return fail(p, "high surrogate without its low half");
                cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp == 0) return fail(p, "\\u0000 in a string");
            o = put_utf8(o, cp);
            break;
        }
        default: return fail(p, "invalid escape");
        }
    }
    *o++ = 0;
    p->arena_top = o;
    *out = start;
    *outlen = (size_t)(o - start - 1);
    return true;
}

static bool parse_number(parser *p, nbn_node *n) {
    size_t st = p->pos;
    bool neg = false, is_int = true, overflow = false;
    uint64_t v = 0;
    if (p->s[p->pos] == '-') {
        neg = true;
        p->pos++;
    }
    if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') return fail(p, "invalid number");
    if (p->s[p->pos] == '0' && p->pos + 1 < p->len && p->s[p->pos + 1] >= '0' && p->s[p->pos + 1] <= '9')
        return fail(p, "number with a leading zero");
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        unsigned dgt = (unsigned)(p->s[p->pos++] - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            overflow = true;
        else
            v = v * 10 + dgt;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        is_int = false;
        p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') return fail(p, "invalid number");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        is_int = false;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (p->pos >= p->len || p->s[p->pos] < '0' || p->s[p->pos] > '9') return fail(p, "invalid number");
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') p->pos++;
    }
    (void)st;
    if (overflow || v > (uint64_t)INT64_MAX) is_int = false;
    n->is_int = is_int;
    n->ival = is_int ? (neg ? -(int64_t)v : (int64_t)v) : 0;
    return true;
}

static bool parse_value(parser *p, int depth, int *out);

static bool parse_container(parser *p, int depth, int idx, bool obj) {
    p->pos++; /* [ or { */
    skip_ws(p);
    char close = obj ? '}' : ']';
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return true;
    }
    int last = -1;
    size_t count = 0;
    for (;;) {
        const char *key = NULL;
        if (obj) {
            size_t klen;
            if (p->pos >= p->len || p->s[p->pos] != '"') return fail(p, "expected a string key");
            if (!parse_string(p, &key, &klen)) return false;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') return fail(p, "expected ':'");
            p->pos++;
            skip_ws(p);
        }
        int child;
        if (!parse_value(p, depth + 1, &child)) return false;
        p->doc->nodes[child].key = key;
        if (last < 0)
            p->doc->nodes[idx].first = child;
        else
            p->doc->nodes[last].next = child;
        last = child;
        count++;
        skip_ws(p);
        if (p->pos >= p->len) return fail(p, obj ? "unterminated object" : "unterminated array");
        char c = p->s[p->pos++];
        if (c == close) break;
        if (c != ',') {
            p->pos--;
            return fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
        skip_ws(p);
    }
    p->doc->nodes[idx].len = count;
    return true;
}

static bool parse_value(parser *p, int depth, int *out) {
    if (depth > NBN_MAX_DEPTH) return fail(p, "nesting too deep");
    skip_ws(p);
    if (p->pos >= p->len) return fail(p, "unexpected end of header");
    char c = p->s[p->pos];
    nbn_kind k = c == '{'   ? NBN_OBJ
                 : c == '[' ? NBN_ARR
                 : c == '"' ? NBN_STR
                 : c == 't' ? NBN_TRUE
                 : c == 'f' ? NBN_FALSE
                 : c == 'n' ? NBN_NULL
                            : NBN_NUM;
    if (p->doc->n >= NBN_MAX_NODES) return fail(p, "too many JSON values (corrupt header?)");
    int idx = new_node(p, k);
    if (idx < 0) return fail(p, "out of memory");
    *out = idx;
    switch (k) {
    case NBN_OBJ:
    case NBN_ARR: return parse_container(p, depth, idx, k == NBN_OBJ);
    case NBN_STR: {
        const char *s;
        size_t n;
        if (!parse_string(p, &s, &n)) return false;
        p->doc->nodes[idx].str = s;
        p->doc->nodes[idx].len = n;
        return true;
    }
    case NBN_NUM: return parse_number(p, &p->doc->nodes[idx]);
    case NBN_TRUE:
    case NBN_FALSE:
    case NBN_NULL: break;
    }
    const char *word = k == NBN_TRUE ? "true" : k == NBN_FALSE ? "false" : "null";
    size_t wl = strlen(word);
    if (p->len - p->pos < wl || memcmp(p->s + p->pos, word, wl) != 0) return fail(p, "invalid literal");
    p->pos += wl;
    return true;
}

bool nbn_parse(const char *text, size_t len, nbn_doc *doc, char *err, size_t errlen) {
    *doc = (nbn_doc){ 0 };
    doc->arena = malloc(len + 1);
    if (!doc->arena) {
        snprintf(err, errlen, "out of memory for a %zu-byte header", len);
        return false;
    }
    parser p = { text, len, 0, doc, doc->arena, err, errlen };
    int root;
    bool ok = parse_value(&p, 0, &root);
    if (ok) {
        skip_ws(&p);
        if (p.pos != len) ok = fail(&p, "unexpected data after the JSON value");
    }
    if (!ok) nbn_free(doc);
    return ok;
}

void nbn_free(nbn_doc *doc) {
    free(doc->nodes);
    free(doc->arena);
    *doc = (nbn_doc){ 0 };
}
