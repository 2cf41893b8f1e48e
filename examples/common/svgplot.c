/* svgplot.c — the SVG plotter of svgplot.h: the body is accumulated in a growable buffer and
 * wrapped with axes on save. Plot content is clipped to the data box with an SVG clipPath. */
#include "svgplot.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ML = 64, MR = 16, MT = 16, MB = 48, GRID = 60 };

struct nb_svg {
    double w, h, x0, x1, y0, y1;
    char *xlabel, *ylabel;
    char *buf;
    size_t len, cap;
    int nlegend;
    bool oom;
};

static char *dupstr(const char *s) {
    if (!s) s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* append printf-formatted text to the body */
static void emit(nb_svg *s, const char *fmt, ...) {
    if (s->oom) return;
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->oom = true;
        va_end(ap2);
        return;
    }
    if (s->len + (size_t)n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + (size_t)n + 1) cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->oom = true;
            va_end(ap2);
            return;
        }
        s->buf = b;
        s->cap = cap;
    }
    vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    s->len += (size_t)n;
}

/* append text with XML special characters escaped */
static void emit_escaped(nb_svg *s, const char *t) {
    for (; t && *t; t++) {
        switch (*t) {
        case '<': emit(s, "&lt;"); break;
        case '>': emit(s, "&gt;"); break;
        case '&': emit(s, "&amp;"); break;
        case '"': emit(s, "&quot;"); break;
        case '\'': emit(s, "&apos;"); break;
        default:
            if ((unsigned char)*t >= 0x20 || *t == '\t' || *t == '\n') emit(s, "%c", *t);
        }
    }
}

/* data -> pixel coordinates */
static double px(const nb_svg *s, double x) { return ML + (x - s->x0) / (s->x1 - s->x0) * (s->w - ML - MR); }
static double py(const nb_svg *s, double y) {
    return s->h - MB - (y - s->y0) / (s->y1 - s->y0) * (s->h - MT - MB);
}

nb_svg *nb_svg_new(double width, double height, double xmin, double xmax, double ymin, double ymax,
                   const char *xlabel, const char *ylabel) {
    if (!(width > ML + MR + 10) || !(height > MT + MB + 10) || !(xmax > xmin) || !(ymax > ymin) ||
        !isfinite(xmax - xmin) || !isfinite(ymax - ymin)) {
        fprintf(stderr,
                "nb_svg_new: need width > %d, height > %d, finite xmin < xmax and ymin < ymax "
                "(got %g x %g, [%g, %g] x [%g, %g])\n",
                ML + MR + 10, MT + MB + 10, width, height, xmin, xmax, ymin, ymax);
        return NULL;
    }
    nb_svg *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    *s = (nb_svg){ .w = width, .h = height, .x0 = xmin, .x1 = xmax, .y0 = ymin, .y1 = ymax };
    s->xlabel = dupstr(xlabel);
    s->ylabel = dupstr(ylabel);
    if (!s->xlabel || !s->ylabel) {
        nb_svg_free(s);
        return NULL;
    }
    return s;
}

void nb_svg_free(nb_svg *s) {
    if (!s) return;
    free(s->xlabel);
    free(s->ylabel);
    free(s->buf);
    free(s);
}

void nb_svg_polyline(nb_svg *s, const double *xs, const double *ys, int n, const char *color, bool markers) {
    if (!s || !xs || !ys || n <= 0) return;
    emit(s, "<path fill=\"none\" stroke=\"");
    emit_escaped(s, color ? color : "black");
    emit(s, "\" stroke-width=\"1.5\" d=\"");
    bool pen = false;
    for (int i = 0; i < n; i++) {
        /* non-finite points break the line; huge values are clamped so the path stays printable */
        if (!isfinite(xs[i]) || !isfinite(ys[i])) {
            pen = false;
            continue;
        }
        double X = fmax(-1e6, fmin(1e6, px(s, xs[i]))), Y = fmax(-1e6, fmin(1e6, py(s, ys[i])));
        emit(s, "%c%.2f %.2f ", pen ? 'L' : 'M', X, Y);
        pen = true;
    }
    emit(s, "\"/>\n");
    if (!markers) return;
    for (int i = 0; i < n; i++) {
        if (!isfinite(xs[i]) || !isfinite(ys[i])) continue;
        if (xs[i] < s->x0 || xs[i] > s->x1 || ys[i] < s->y0 || ys[i] > s->y1) continue;
        emit(s, "<circle class=\"marker\" cx=\"%.2f\" cy=\"%.2f\" r=\"3\" fill=\"", px(s, xs[i]),
             py(s, ys[i]));
        emit_escaped(s, color ? color : "black");
        emit(s, "\"/>\n");
    }
}

void nb_svg_function(nb_svg *s, double (*f)(double x, void *ctx), void *ctx, const char *color) {
    if (!s || !f) return;
    enum { N = 200 };
    double xs[N], ys[N];
    for (int i = 0; i < N; i++) {
        xs[i] = s->x0 + (s->x1 - s->x0) * i / (N - 1);
        ys[i] = f(xs[i], ctx);
    }
    nb_svg_polyline(s, xs, ys, N, color, false);
}

void nb_svg_text(nb_svg *s, double x, double y, const char *text, const char *color) {
    if (!s || !text) return;
    emit(s, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"12\" fill=\"", px(s, x), py(s, y));
    emit_escaped(s, color ? color : "black");
    emit(s, "\">");
    emit_escaped(s, text);
    emit(s, "</text>\n");
}

void nb_svg_legend(nb_svg *s, const char *name, const char *color) {
    if (!s || !name) return;
    double x = s->w - MR - 150, y = MT + 14 + 16 * s->nlegend++;
    emit(
        s,
        "<line class=\"legend\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-width=\"2\" stroke=\"",
        x, y - 4, x + 24, y - 4);
    emit_escaped(s, color ? color : "black");
    emit(s, "\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", x + 30, y);
    emit_escaped(s, name);
    emit(s, "</text>\n");
}

/* linear interpolation of the point where the level crosses the edge (a, fa) - (b, fb) */
static double cross(double a, double fa, double b, double fb, double level) {
    double t = (fb == fa) ? 0.5 : (level - fa) / (fb - fa);
    return a + t * (b - a);
}

void nb_svg_contour(nb_svg *s, double (*f)(double x, double y, void *ctx), void *ctx, int nlevels) {
    if (!s || !f || nlevels <= 0) return;
    double v[GRID + 1][GRID + 1]; /* 30 KB */
    double gx[GRID + 1], gy[GRID + 1], lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i <= GRID; i++) {
        gx[i] = s->x0 + (s->x1 - s->x0) * i / GRID;
        gy[i] = s->y0 + (s->y1 - s->y0) * i / GRID;
    }
    for (int j = 0; j <= GRID; j++)
        for (int i = 0; i <= GRID; i++) {
            v[j][i] = f(gx[i], gy[j], ctx);
            if (isfinite(v[j][i])) {
                lo = fmin(lo, v[j][i]);
                hi = fmax(hi, v[j][i]);
            }
        }
    if (!(hi > lo)) return;
    for (int l = 1; l <= nlevels; l++) {
        double level = lo + (hi - lo) * l / (nlevels + 1);
        emit(s, "<path class=\"contour\" fill=\"none\" stroke=\"#8888cc\" stroke-width=\"0.8\" d=\"");
        for (int j = 0; j < GRID; j++)
            for (int i = 0; i < GRID; i++) {
                /* corners counter-clockwise from bottom-left: a(i,j) b(i+1,j) c(i+1,j+1) d(i,j+1) */
                double a = v[j][i], b = v[j][i + 1], c = v[j + 1][i + 1], d = v[j + 1][i];
                if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(d)) continue;
                int k = (a > level) | (b > level) << 1 | (c > level) << 2 | (d > level) << 3;
                if (k == 0 || k == 15) continue;
                /* edge crossing points: 0 bottom, 1 right, 2 top, 3 left */
                double ex[4] = { cross(gx[i], a, gx[i + 1], b, level), gx[i + 1],
                                 cross(gx[i], d, gx[i + 1], c, level), gx[i] };
                double ey[4] = { gy[j], cross(gy[j], b, gy[j + 1], c, level), gy[j + 1],
                                 cross(gy[j], a, gy[j + 1], d, level) };
                /* segments per case (edges pairs); saddles 5 and 10 use the two-segment split */
                static const signed char seg[16][4] = {
                    { -1, -1, -1, -1 }, { 3, 0, -1, -1 }, { 0, 1, -1, -1 }, { 3, 1, -1, -1 },
                    { 1, 2, -1, -1 },   { 3, 0, 1, 2 },   { 0, 2, -1, -1 }, { 3, 2, -1, -1 },
                    { 2, 3, -1, -1 },   { 0, 2, -1, -1 }, { 0, 1, 2, 3 },   { 1, 2, -1, -1 },
                    { 1, 3, -1, -1 },   { 0, 1, -1, -1 }, { 3, 0, -1, -1 }, { -1, -1, -1, -1 }
                };
                for (int q = 0; q < 4 && seg[k][q] >= 0; q += 2) {
                    int e1 = seg[k][q], e2 = seg[k][q + 1];
                    emit(s, "M%.2f %.2f L%.2f %.2f ", px(s, ex[e1]), py(s, ey[e1]), px(s, ex[e2]),
                         py(s, ey[e2]));
                }
            }
        emit(s, "\"/>\n");
    }
}

/* a "nice" tick step (1, 2 or 5 times a power of ten) giving about 5-8 ticks over span */
static double tick_step(double span) {
    double raw = span / 6, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

int nb_svg_save(nb_svg *s, const char *path) {
    if (!s || !path) {
        fprintf(stderr, "nb_svg_save: NULL plot or path\n");
        return -1;
    }
    if (s->oom) {
        fprintf(stderr, "nb_svg_save: out of memory while building %s\n", path);
        return -1;
    }
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "nb_svg_save: cannot open %s for writing\n", path);
        return -1;
    }
    double L = ML, R = s->w - MR, T = MT, B = s->h - MB;
    fprintf(fp,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" viewBox=\"0 0 %g %g\" "
            "font-family=\"sans-serif\">\n",
            s->w, s->h, s->w, s->h);
    fprintf(fp,
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<defs><clipPath id=\"box\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
            "height=\"%.2f\"/></clipPath></defs>\n",
            L, T, R - L, B - T);
    /* axes box and ticks */
    fprintf(fp,
            "<g class=\"axes\" stroke=\"black\" fill=\"none\">\n"
            "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/>\n",
            L, T, R - L, B - T);
    double st = tick_step(s->x1 - s->x0);
    for (double t = ceil(s->x0 / st) * st; t <= s->x1 + 1e-9 * st; t += st)
        fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", px(s, t), B, px(s, t),
                B + 5);
    double sy = tick_step(s->y1 - s->y0);
    for (double t = ceil(s->y0 / sy) * sy; t <= s->y1 + 1e-9 * sy; t += sy)
        fprintf(fp, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n", L - 5, py(s, t), L,
                py(s, t));
    fprintf(fp, "</g>\n<g class=\"ticklabels\" font-size=\"11\" fill=\"black\">\n");
    for (double t = ceil(s->x0 / st) * st; t <= s->x1 + 1e-9 * st; t += st)
        fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">%g</text>\n", px(s, t), B + 18,
                fabs(t) < 1e-12 * st ? 0.0 : t);
    for (double t = ceil(s->y0 / sy) * sy; t <= s->y1 + 1e-9 * sy; t += sy)
        fprintf(fp, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\">%g</text>\n", L - 8, py(s, t) + 4,
                fabs(t) < 1e-12 * sy ? 0.0 : t);
    fprintf(fp, "</g>\n");
    /* axis labels (escaped through a scratch plot so the escaping code is shared) */
    nb_svg tmp = { 0 };
    emit(&tmp, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"13\" text-anchor=\"middle\">", (L + R) / 2,
         s->h - 10);
    emit_escaped(&tmp, s->xlabel);
    emit(&tmp,
         "</text>\n<text transform=\"translate(16 %.2f) rotate(-90)\" font-size=\"13\" "
         "text-anchor=\"middle\">",
         (T + B) / 2);
    emit_escaped(&tmp, s->ylabel);
    emit(&tmp, "</text>\n");
    if (tmp.oom) {
        free(tmp.buf);
        fclose(fp);
        fprintf(stderr, "nb_svg_save: out of memory\n");
        return -1;
    }
    fputs(tmp.buf, fp);
    free(tmp.buf);
    fprintf(fp, "<g class=\"plot\" clip-path=\"url(#box)\">\n");
    if (s->buf) fwrite(s->buf, 1, s->len, fp);
    fprintf(fp, "</g>\n</svg>\n");
    if (ferror(fp) | (fclose(fp) != 0)) {
        fprintf(stderr, "nb_svg_save: write error on %s\n", path);
        return -1;
    }
    return 0;
}
