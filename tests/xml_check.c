/* xml_check.c — a tiny XML well-formedness checker for the SVG figures (no libxml on CI):
 * balanced and properly nested tags, quoted attributes with unique names, valid entities, one root,
 * comments / PIs / prolog. usage: xml_check FILE [--min COUNT SUBSTRING]...  (exit 0 = well-formed
 * and every SUBSTRING occurs at least COUNT times). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *src, *p;
static int line = 1;

static int err(const char *msg) {
    fprintf(stderr, "xml_check: line %d: %s\n", line, msg);
    return 0;
}
static void adv(void) {
    if (*p == '\n') line++;
    p++;
}
static void skip_ws(void) {
    while (*p && isspace((unsigned char)*p)) adv();
}
static int name_start(int c) { return isalpha(c) || c == '_' || c == ':' || c >= 0x80; }
static int name_char(int c) { return name_start(c) || isdigit(c) || c == '-' || c == '.'; }

/* a name; returns its length (0 if none) */
static size_t name(void) {
    const char *s = p;
    if (!name_start((unsigned char)*p)) return 0;
    while (name_char((unsigned char)*p)) adv();
    return (size_t)(p - s);
}

/* &amp; &lt; &gt; &quot; &apos; &#123; &#x1F; */
static int entity(void) {
    adv();
    if (*p == '#') {
        adv();
        int hex = *p == 'x' ? (adv(), 1) : 0, n = 0;
        while (hex ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)) adv(), n++;
        if (!n || *p != ';') return err("bad character reference");
        adv();
        return 1;
    }
    static const char *ok[] = { "amp;", "lt;", "gt;", "quot;", "apos;" };
    for (int i = 0; i < 5; i++)
        if (!strncmp(p, ok[i], strlen(ok[i]))) {
            for (size_t k = 0; k < strlen(ok[i]); k++) adv();
            return 1;
        }
    return err("unknown entity");
}

/* character data up to '<' */
static int text(void) {
    while (*p && *p != '<') {
        if (*p == '&') {
            if (!entity()) return 0;
        } else
            adv();
    }
    return 1;
}

/* skip until the terminator, which must exist */
static int skip_past(const char *end, const char *what) {
    const char *e = strstr(p, end);
    if (!e) return err(what);
    while (p < e + strlen(end)) adv();
    return 1;
}

static int element(int depth);

/* misc: comments, PIs and whitespace; returns 0 on error */
static int misc(void) {
    for (;;) {
        skip_ws();
        if (!strncmp(p, "<!--", 4)) {
            if (!skip_past("-->", "unterminated comment")) return 0;
        } else if (!strncmp(p, "<?", 2)) {
            if (!skip_past("?>", "unterminated processing instruction")) return 0;
        } else if (!strncmp(p, "<!DOCTYPE", 9)) { /* skip it, including an internal subset [...] */
            const char *b = strchr(p, '['), *e = strchr(p, '>');
            if (b && e && b < e && !skip_past("]", "unterminated DOCTYPE subset")) return 0;
            if (!skip_past(">", "unterminated DOCTYPE")) return 0;
        } else
            return 1;
    }
}

static int element(int depth) {
    if (depth > 200) return err("nesting too deep");
    if (*p != '<') return err("expected '<'");
    adv();
    const char *tag = p;
    size_t tlen = name();
    if (!tlen) return err("bad tag name");
    char attrs[64][64];
    int na = 0;
    for (;;) {
        int had_ws = isspace((unsigned char)*p);
        skip_ws();
        if (*p == '/' && p[1] == '>') {
            adv();
            adv();
            return 1;
        }
        if (*p == '>') {
            adv();
            break;
        }
        if (!had_ws) return err("attributes must be separated by whitespace");
        const char *an = p;
        size_t alen = name();
        if (!alen) return err("bad attribute name");
        for (int i = 0; i < na; i++)
            if (strlen(attrs[i]) == alen && !strncmp(attrs[i], an, alen)) return err("duplicate attribute");
        if (na < 64 && alen < 64) {
            memcpy(attrs[na], an, alen);
            attrs[na++][alen] = 0;
        }
        skip_ws();
        if (*p != '=') return err("attribute without '='");
        adv();
        skip_ws();
        char q = *p;
        if (q != '"' && q != '\'') return err("unquoted attribute value");
        adv();
        while (*p && *p != q) {
            if (*p == '<') return err("'<' in attribute value");
            if (*p == '&') {
                if (!entity()) return 0;
            } else
                adv();
        }
        if (!*p) return err("unterminated attribute value");
        adv();
    }
    for (;;) { /* content */
        if (!text()) return 0;
        if (!*p) return err("unterminated element");
        if (!strncmp(p, "</", 2)) {
            p += 2;
            const char *cn = p;
            size_t clen = name();
            if (clen != tlen || strncmp(cn, tag, tlen)) return err("mismatched closing tag");
            skip_ws();
            if (*p != '>') return err("bad closing tag");
            adv();
            return 1;
        }
        if (!strncmp(p, "<!--", 4)) {
            if (!skip_past("-->", "unterminated comment")) return 0;
            continue;
        }
        if (!strncmp(p, "<![CDATA[", 9)) {
            if (!skip_past("]]>", "unterminated CDATA")) return 0;
            continue;
        }
        if (!strncmp(p, "<?", 2)) {
            if (!skip_past("?>", "unterminated processing instruction")) return 0;
            continue;
        }
        if (!element(depth + 1)) return 0;
    }
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle)) n++;
    return n;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: xml_check FILE [--min COUNT SUBSTRING]...\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        fprintf(stderr, "xml_check: cannot open %s\n", argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return 1;
    }
    fclose(f);
    buf[n] = 0;
    if (strlen(buf) != (size_t)n) {
        fprintf(stderr, "xml_check: NUL byte in %s\n", argv[1]);
        free(buf);
        return 1;
    }
    src = p = buf;
    int ok = misc() && element(0) && misc();
    if (ok && *p) ok = err("content after the root element");
    for (int i = 2; ok && i < argc; i += 3) {
        if (strcmp(argv[i], "--min") || i + 2 >= argc) {
            fprintf(stderr, "xml_check: bad arguments\n");
            ok = 0;
            break;
        }
        int want = atoi(argv[i + 1]), got = count(buf, argv[i + 2]);
        if (got < want) {
            fprintf(stderr, "xml_check: %s: '%s' occurs %d times, want >= %d\n", argv[1], argv[i + 2], got,
                    want);
            ok = 0;
        }
    }
    free(buf);
    if (ok) printf("%s: well-formed\n", argv[1]);
    return ok ? 0 : 1;
}
