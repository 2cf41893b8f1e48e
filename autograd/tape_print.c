/* tape_print.c — the readable tape for teaching: nb_tape_print lists this thread's recorded nodes
 * in order (op, inputs, shape, values, gradients), nb_set_backward_trace makes backward print each
 * vector-Jacobian product as it runs, and nb_tape_dot writes Graphviz DOT of a result's graph. */
#include "nba_tape.h"
#include <stdlib.h>
#include <math.h>
#include <string.h>

enum { SHOW_MAX = 8 }; /* tensors with more elements print their shape and first values only */

static _Thread_local FILE *trace_out;

/* a tensor pointer recorded at generation gen that is still the same live tensor */
static bool live(const nb_tensor *t, uint32_t gen) { return t && t->magic == NBT_LIVE && t->gen == gen; }

/* "[2, 3]" style shape */
static void put_shape(FILE *f, const nb_tensor *t) {
    fputc('[', f);
    for (int d = 0; d < t->ndim; d++) fprintf(f, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    fputc(']', f);
}

/* values as a flat list: "1.5" for one element, "[1, 2, 3]" up to SHOW_MAX, then "[1, 2, ... (n)]" */
static void put_values(FILE *f, const nb_tensor *t) {
    if (!t || t->magic != NBT_LIVE) {
        fputs("<released>", f);
        return;
    }
    double *v = malloc(sizeof(double) * (size_t)(t->numel ? t->numel : 1));
    if (!v || nb_to_doubles(t, v) != NB_OK) {
        free(v);
        fputs("<unreadable>", f);
        return;
    }
    if (t->ndim == 0) {
        fprintf(f, "%.6g", v[0]);
    } else {
        fputc('[', f);
        int64_t n = t->numel <= SHOW_MAX ? t->numel : 3;
        for (int64_t i = 0; i < n; i++) fprintf(f, "%s%.6g", i ? ", " : "", v[i]);
        if (n < t->numel) fprintf(f, ", ... (%lld values)", (long long)t->numel);
        fputc(']', f);
    }
    free(v);
}

/* The numbering of the leaves: "leaf L" is the L-th distinct leaf met as an input when walking the tape
 * (stable within one printout). Built in one pass into an open-addressing table (pointer -> L), so a printout
 * costs O(inputs), not a walk of the tape per reference. */
typedef struct {
    const nb_tensor **key;
    long *val, count;
    size_t cap; /* a power of two, at least twice the inputs; 0 when the table could not be allocated */
} leaf_map;

static size_t slot_of(const leaf_map *m, const nb_tensor *t) {
    size_t h = (size_t)((uintptr_t)t >> 4) * (size_t)0x9E3779B97F4A7C15ull, i = h & (m->cap - 1);
    while (m->key[i] && m->key[i] != t) i = (i + 1) & (m->cap - 1);
    return i;
}

static leaf_map leaves_number(void) {
    leaf_map m = { 0 };
    size_t n = nba_tape_len(), total = 0;
    for (size_t i = 0; i < n; i++) total += (size_t)nba_tape_at(i)->nin;
    size_t cap = 16;
    while (cap < 2 * total) cap *= 2;
    m.key = calloc(cap, sizeof *m.key);
    m.val = malloc(cap * sizeof *m.val);
    if (!m.key || !m.val) {
        free(m.key), free(m.val);
        return (leaf_map){ 0 };
    }
    m.cap = cap;
    for (size_t i = 0; i < n; i++) {
        nba_node *nd = nba_tape_at(i);
        for (int k = 0; k < nd->nin; k++) {
            const nb_tensor *in = nd->in[k].t;
            if (!in || in->magic != NBT_LIVE || in->node) continue;
            size_t s = slot_of(&m, in);
            if (!m.key[s]) m.key[s] = in, m.val[s] = m.count++;
        }
    }
    return m;
}

static void leaves_free(leaf_map *m) { free(m->key), free(m->val); }

/* L for a leaf of the tape, -1 for anything else (or when the table could not be built) */
static long leaf_label(const leaf_map *m, const nb_tensor *t) {
    if (!m->cap || !t) return -1;
    size_t s = slot_of(m, t);
    return m->key[s] ? m->val[s] : -1;
}

/* torch's grad_fn name of a node (nb_grad_fn_name knows the overload names when the output lives) */
static const char *node_name(const nba_node *nd) {
    if (nd->label) return nd->label; /* a composite's torch name (MeanBackward0, ...) */
    const char *s = nd->out && live(nd->out, nd->out_gen) && nd->out->node == nd ? nb_grad_fn_name(nd->out)
                                                                                 : NULL;
    return s ? s : nba_bw_names[nd->op];
}

static void put_ref(FILE *f, const leaf_map *m, const nb_tensor *t, uint32_t gen) {
    if (!t) {
        fputs("-", f);
        return;
    }
    if (!live(t, gen)) {
        fputs("<released>", f);
        return;
    }
    if (t->node) {
        fprintf(f, "#%zu", t->node->index);
        return;
    }
    long l = leaf_label(m, t);
    if (l >= 0)
        fprintf(f, "leaf%ld", l);
    else
        fputs(t->requires_grad ? "leaf" : "const", f);
}

void nb_tape_print(FILE *f) {
    if (!nbt_nonnull(f, "nb_tape_print", "FILE")) return;
    size_t n = nba_tape_len();
    leaf_map m = leaves_number();
    fprintf(f, "tape: %zu node%s\n", n, n == 1 ? "" : "s");
    /* the leaves first, in order of first use, with their values and .grad */
    long leaves = 0;
    for (size_t i = 0; i < n; i++) {
        nba_node *nd = nba_tape_at(i);
        for (int k = 0; k < nd->nin; k++) {
            nb_tensor *in = nd->in[k].t;
            if (!live(in, nd->in[k].gen) || in->node || leaf_label(&m, in) != leaves) continue;
            fprintf(f, "  leaf%ld %-16s shape ", leaves++,
                    in->requires_grad ? "(requires grad)" : "(constant)");
            put_shape(f, in);
            fputs("  value ", f);
            put_values(f, in);
            if (in->grad) {
                fputs("  grad ", f);
                put_values(f, in->grad);
            }
            fputc('\n', f);
        }
    }
    for (size_t i = 0; i < n; i++) {
        nba_node *nd = nba_tape_at(i);
        fprintf(f, "  #%-4zu %-20s (", i, node_name(nd));
        for (int k = 0; k < nd->nin; k++) {
            if (k) fputs(", ", f);
            put_ref(f, &m, nd->in[k].t, nd->in[k].gen);
        }
        fputs(")", f);
        if (nd->out && live(nd->out, nd->out_gen)) {
            fputs("  shape ", f);
            put_shape(f, nd->out);
            fputs("  value ", f);
            put_values(f, nd->out);
            if (nd->out->grad) {
                fputs("  grad ", f);
                put_values(f, nd->out->grad);
            }
        } else {
            fputs("  output released", f);
        }
        if (nd->freed) fputs("  (freed by backward)", f);
        fputc('\n', f);
    }
    leaves_free(&m);
}

void nb_set_backward_trace(FILE *f) { trace_out = f; }

/* a JSON number (non-finite values as the strings "NaN", "Infinity", "-Infinity") */
static void json_num(FILE *f, double v) {
    if (isnan(v))
        fputs("\"NaN\"", f);
    else if (isinf(v))
        fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
    else
        fprintf(f, "%.9g", v);
}

/* "shape":[..],"value":[..] of a live tensor (every value, row-major) */
static void json_tensor(FILE *f, const char *key, const nb_tensor *t) {
    fprintf(f, "\"%s\":{\"shape\":[", key);
    for (int d = 0; d < t->ndim; d++) fprintf(f, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    fputs("],\"value\":[", f);
    double *v = malloc(sizeof(double) * (size_t)(t->numel ? t->numel : 1));
    if (v && nb_to_doubles(t, v) == NB_OK)
        for (int64_t i = 0; i < t->numel; i++) {
            if (i) fputc(',', f);
            json_num(f, v[i]);
        }
    free(v);
    fputs("]}", f);
}

static void json_ref(FILE *f, const leaf_map *m, const nb_tensor *t, uint32_t gen) {
    fputc('"', f);
    put_ref(f, m, t, gen);
    fputc('"', f);
}

nb_status nb_tape_json(FILE *f) {
    if (!f) {
        nbt_error("nb_tape_json: NULL FILE");
        return NB_ERROR;
    }
    size_t n = nba_tape_len();
    leaf_map m = leaves_number();
    fputs("{\"leaves\":[", f);
    long leaves = 0;
    for (size_t i = 0; i < n; i++) {
        nba_node *nd = nba_tape_at(i);
        for (int k = 0; k < nd->nin; k++) {
            nb_tensor *in = nd->in[k].t;
            if (!live(in, nd->in[k].gen) || in->node || leaf_label(&m, in) != leaves) continue;
            fprintf(f, "%s{\"id\":\"leaf%ld\",\"ptr\":\"%p\",\"requires_grad\":%s,", leaves ? "," : "",
                    leaves, (void *)in, in->requires_grad ? "true" : "false");
            leaves++;
            json_tensor(f, "data", in);
            if (in->grad) {
                fputc(',', f);
                json_tensor(f, "grad", in->grad);
            }
            fputc('}', f);
        }
    }
    fputs("],\"nodes\":[", f);
    for (size_t i = 0; i < n; i++) {
        nba_node *nd = nba_tape_at(i);
        fprintf(f, "%s{\"id\":\"#%zu\",\"op\":\"%s\",\"grad_fn\":\"%s\",\"inputs\":[", i ? "," : "", i,
                nba_op_names[nd->op], node_name(nd));
        for (int k = 0; k < nd->nin; k++) {
            if (k) fputc(',', f);
            if (nd->in[k].t)
                json_ref(f, &m, nd->in[k].t, nd->in[k].gen);
            else
                fputs("null", f);
        }
        fputc(']', f);
        if (nd->out && live(nd->out, nd->out_gen)) {
            fputc(',', f);
            json_tensor(f, "data", nd->out);
            if (nd->out->grad) {
                fputc(',', f);
                json_tensor(f, "grad", nd->out->grad);
            }
        }
        fprintf(f, ",\"freed\":%s}", nd->freed ? "true" : "false");
    }
    fputs("]}", f);
    leaves_free(&m);
    return ferror(f) ? (nbt_error("nb_tape_json: write error"), NB_ERROR) : NB_OK;
}

/* The trace's leaf numbering, built once per backward pass and rebuilt only if the tape changed under it
 * (create_graph records onto it): one build per node would make a traced backward quadratic. */
static _Thread_local struct {
    leaf_map m;
    size_t len;
    const nba_node *first, *last;
} trace_leaves;

void nba_trace_end(void) {
    leaves_free(&trace_leaves.m);
    trace_leaves.m = (leaf_map){ 0 };
    trace_leaves.len = 0;
}

/* called by the backward engine after each node's rule (see backward.c): prints the VJP */
void nba_trace_vjp(const nba_node *nd, nb_tensor *g, nb_tensor *const *gin) {
    FILE *f = trace_out;
    if (!f) return;
    size_t len = nba_tape_len();
    const nba_node *first = len ? nba_tape_at(0) : NULL, *last = len ? nba_tape_at(len - 1) : NULL;
    if (!trace_leaves.m.cap || trace_leaves.len != len || trace_leaves.first != first ||
        trace_leaves.last != last) {
        nba_trace_end();
        trace_leaves.m = leaves_number();
        trace_leaves.len = len, trace_leaves.first = first, trace_leaves.last = last;
    }
    const leaf_map m = trace_leaves.m;
    fprintf(f, "backward #%zu %s: grad_output ", nd->index, node_name(nd));
    put_values(f, g);
    for (int k = 0; k < nd->nin; k++) {
        if (!gin[k] || gin[k] == NBA_GRAD_ZERO) continue;
        fprintf(f, "\n    -> input %d (", k);
        put_ref(f, &m, nd->in[k].t, nd->in[k].gen);
        fputs(") += ", f);
        put_values(f, gin[k]);
    }
    fputc('\n', f);
}

/* DOT record labels must escape {}|<>" and spaces are fine */
static void dot_values(FILE *f, const nb_tensor *t) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return;
    put_values(m, t);
    fclose(m);
    for (size_t i = 0; i < len; i++) {
        if (strchr("{}|<>\"\\", buf[i])) fputc('\\', f);
        fputc(buf[i], f);
    }
    free(buf);
}

static void dot_tensor(FILE *f, const char *id, const char *title, const nb_tensor *t) {
    fprintf(f, "  %s [shape=record, label=\"{ %s | shape ", id, title);
    for (int d = 0; d < t->ndim; d++) fprintf(f, "%s%lld", d ? "x" : "", (long long)t->shape[d]);
    if (t->ndim == 0) fputs("scalar", f);
    fputs(" | data ", f);
    dot_values(f, t);
    if (t->grad) {
        fputs(" | grad ", f);
        dot_values(f, t->grad);
    }
    fputs(" }\"];\n", f);
}

nb_status nb_tape_dot(FILE *f, nb_tensor *root) {
    if (!f) {
        nbt_error("nb_tape_dot: NULL FILE");
        return NB_ERROR;
    }
    if (!nbt_ok_req(root, "nb_tape_dot")) return NB_ERROR;
    size_t n = nba_tape_len();
    bool *mark = calloc(n ? n : 1, sizeof *mark);
    if (!mark) {
        nbt_error("nb_tape_dot: out of memory");
        return NB_ERROR;
    }
    if (root->node && root->node->index < n) mark[root->node->index] = true;
    /* the tape is a topological order: one backward sweep marks everything root depends on */
    for (size_t i = n; i-- > 0;) {
        if (!mark[i]) continue;
        nba_node *nd = nba_tape_at(i);
        for (int k = 0; k < nd->nin; k++) {
            nb_tensor *in = nd->in[k].t;
            if (live(in, nd->in[k].gen) && in->node && in->node->index < n) mark[in->node->index] = true;
        }
    }
    leaf_map m = leaves_number();
    fputs("digraph nabla {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n", f);
    if (!root->node) dot_tensor(f, "root", "leaf (root)", root);
    for (size_t i = 0; i < n; i++) {
        if (!mark[i]) continue;
        nba_node *nd = nba_tape_at(i);
        char id[32], title[64];
        snprintf(id, sizeof id, "t%zu", i);
        snprintf(title, sizeof title, "#%zu", i);
        if (nd->out && live(nd->out, nd->out_gen))
            dot_tensor(f, id, title, nd->out);
        else
            fprintf(f, "  %s [shape=record, label=\"{ #%zu | released }\"];\n", id, i);
        fprintf(f, "  op%zu [shape=ellipse, label=\"%s\"];\n  op%zu -> t%zu;\n", i, node_name(nd), i, i);
        for (int k = 0; k < nd->nin; k++) {
            nb_tensor *in = nd->in[k].t;
            if (!in) continue;
            if (!live(in, nd->in[k].gen)) {
                fprintf(f, "  gone%zu_%d [shape=plaintext, label=\"released\"];\n  gone%zu_%d -> op%zu;\n", i,
                        k, i, k, i);
            } else if (in->node) {
                fprintf(f, "  t%zu -> op%zu;\n", in->node->index, i);
            } else { /* a leaf: one box per use site keeps the code simple; named by its address */
                char lid[48], lt[48];
                snprintf(lid, sizeof lid, "leaf_%p", (void *)in);
                for (char *c = lid; *c; c++)
                    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
                        *c = '_';
                long l = leaf_label(&m, in);
                if (l >= 0)
                    snprintf(lt, sizeof lt, "leaf%ld%s", l, in->requires_grad ? "" : " (const)");
                else
                    snprintf(lt, sizeof lt, "leaf");
                dot_tensor(f, lid, lt, in);
                fprintf(f, "  %s -> op%zu;\n", lid, i);
            }
        }
    }
    fputs("}\n", f);
    free(mark);
    leaves_free(&m);
    return ferror(f) ? (nbt_error("nb_tape_dot: write error"), NB_ERROR) : NB_OK;
}
