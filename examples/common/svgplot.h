/* svgplot.h — a tiny dependency-free SVG plotter for the teaching examples: axes with ticks and
 * labels, polylines (iterates, loss curves) and contour lines of f(x, y) by marching squares.
 * The output is well-formed XML (text is escaped); coordinates are in data units. */
#ifndef NB_SVGPLOT_H
#define NB_SVGPLOT_H
#include <stdbool.h>

typedef struct nb_svg nb_svg;

/* a width x height pixel plot of the data box [xmin, xmax] x [ymin, ymax]; NULL on bad arguments */
nb_svg *nb_svg_new(double width, double height, double xmin, double xmax, double ymin, double ymax,
                   const char *xlabel, const char *ylabel);
/* the line through (xs[i], ys[i]), i < n, clipped to the box; markers: a dot on every point */
void nb_svg_polyline(nb_svg *s, const double *xs, const double *ys, int n, const char *color, bool markers);
/* nlevels contour lines of f over the box (60x60 grid, marching squares), levels evenly spaced */
void nb_svg_contour(nb_svg *s, double (*f)(double x, double y, void *ctx), void *ctx, int nlevels);
/* the graph of y = f(x) over [xmin, xmax] as a polyline of 200 points */
void nb_svg_function(nb_svg *s, double (*f)(double x, void *ctx), void *ctx, const char *color);
/* a text label at data point (x, y) (escaped) */
void nb_svg_text(nb_svg *s, double x, double y, const char *text, const char *color);
/* a legend entry (colored line + escaped name) in the top-right corner; entries stack downwards */
void nb_svg_legend(nb_svg *s, const char *name, const char *color);
/* write the document to path; 0 on success, -1 (with a message on stderr) on failure */
int nb_svg_save(nb_svg *s, const char *path);
/* release s (NULL is fine) */
void nb_svg_free(nb_svg *s);

#endif
