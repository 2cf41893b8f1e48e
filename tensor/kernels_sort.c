/* kernels_sort.c — sort, argsort and topk indices along a dim, exactly as torch 1.13's CPU kernels order
 * them: (value, index) pairs sorted by libstdc++'s std::sort (introsort), std::nth_element (introselect)
 * and std::partial_sort (heap select), transcribed step for step below, so ties come out in torch's
 * order; stable sorts are a merge sort (every stable sort gives the one stable order). NaN sorts as the
 * largest value, as in torch. Rows along dim are independent: one OpenMP loop over rows, same result. */
#include "nb_kernels.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
    double v;      /* the key (f32 keys are exact as doubles; i64 keys use iv) */
    int64_t iv;
    int64_t i;     /* original position along dim */
} elem;
typedef struct { bool desc, isint; } cmp_ctx;

/* torch's KeyValueCompAsc / KeyValueCompDesc: a goes before b */
static inline bool before(const elem *a, const elem *b, const cmp_ctx *c) {
    if (c->isint) return c->desc ? a->iv > b->iv : a->iv < b->iv;
    bool na = isnan(a->v), nb = isnan(b->v);
    return c->desc ? (na && !nb) || a->v > b->v : (!na && nb) || a->v < b->v;
}
static inline void swap(elem *a, elem *b) { elem t = *a; *a = *b; *b = t; }
static inline int lg(int64_t n) { return 63 - __builtin_clzll((unsigned long long)n); }

/* ---- libstdc++ stl_heap.h ---- */
static void push_heap(elem *first, int64_t hole, int64_t top, elem value, const cmp_ctx *c) {
    int64_t parent = (hole - 1) / 2;
    while (hole > top && before(first + parent, &value, c)) {
        first[hole] = first[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    first[hole] = value;
}
static void adjust_heap(elem *first, int64_t hole, int64_t len, elem value, const cmp_ctx *c) {
    int64_t top = hole, child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (before(first + child, first + (child - 1), c)) child--;
        first[hole] = first[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        first[hole] = first[child - 1];
        hole = child - 1;
    }
    push_heap(first, hole, top, value, c);
}
static void make_heap(elem *first, elem *last, const cmp_ctx *c) {
    int64_t len = last - first;
    if (len < 2) return;
    for (int64_t parent = (len - 2) / 2;; parent--) {
        adjust_heap(first, parent, len, first[parent], c);
        if (parent == 0) return;
    }
}
static void pop_heap(elem *first, elem *last, elem *result, const cmp_ctx *c) {
    elem value = *result;
    *result = *first;
    adjust_heap(first, 0, last - first, value, c);
}
static void heap_select(elem *first, elem *middle, elem *last, const cmp_ctx *c) {
    make_heap(first, middle, c);
    for (elem *i = middle; i < last; i++)
        if (before(i, first, c)) pop_heap(first, middle, i, c);
}
static void sort_heap(elem *first, elem *last, const cmp_ctx *c) {
    while (last - first > 1) {
        --last;
        pop_heap(first, last, last, c);
    }
}
/* std::partial_sort */
static void partial_sort(elem *first, elem *middle, elem *last, const cmp_ctx *c) {
    heap_select(first, middle, last, c);
    sort_heap(first, middle, c);
}

/* ---- libstdc++ stl_algo.h: insertion sort, introsort, introselect ---- */
static void unguarded_linear_insert(elem *last, const cmp_ctx *c) {
    elem val = *last, *next = last - 1;
    while (before(&val, next, c)) {
        *last = *next;
        last = next;
        --next;
    }
    *last = val;
}
static void insertion_sort(elem *first, elem *last, const cmp_ctx *c) {
    if (first == last) return;
    for (elem *i = first + 1; i != last; ++i) {
        if (before(i, first, c)) {
            elem val = *i;
            memmove(first + 1, first, (size_t)(i - first) * sizeof *first);
            *first = val;
        } else {
            unguarded_linear_insert(i, c);
        }
    }
}
#define THRESHOLD 16
static void final_insertion_sort(elem *first, elem *last, const cmp_ctx *c) {
    if (last - first > THRESHOLD) {
        insertion_sort(first, first + THRESHOLD, c);
        for (elem *i = first + THRESHOLD; i != last; ++i) unguarded_linear_insert(i, c);
    } else {
        insertion_sort(first, last, c);
    }
}
static void move_median_to_first(elem *result, elem *a, elem *b, elem *cc, const cmp_ctx *c) {
    if (before(a, b, c)) {
        if (before(b, cc, c)) swap(result, b);
        else if (before(a, cc, c)) swap(result, cc);
        else swap(result, a);
    } else if (before(a, cc, c)) swap(result, a);
    else if (before(b, cc, c)) swap(result, cc);
    else swap(result, b);
}
static elem *unguarded_partition(elem *first, elem *last, elem *pivot, const cmp_ctx *c) {
    for (;;) {
        while (before(first, pivot, c)) ++first;
        --last;
        while (before(pivot, last, c)) --last;
        if (!(first < last)) return first;
        swap(first, last);
        ++first;
    }
}
static elem *unguarded_partition_pivot(elem *first, elem *last, const cmp_ctx *c) {
    elem *mid = first + (last - first) / 2;
    move_median_to_first(first, first + 1, mid, last - 1, c);
    return unguarded_partition(first + 1, last, first, c);
}
static void introsort_loop(elem *first, elem *last, int depth, const cmp_ctx *c) {
    while (last - first > THRESHOLD) {
        if (depth == 0) {
            partial_sort(first, last, last, c);
            return;
        }
        --depth;
        elem *cut = unguarded_partition_pivot(first, last, c);
        introsort_loop(cut, last, depth, c);
        last = cut;
    }
}
/* std::sort */
static void std_sort(elem *first, elem *last, const cmp_ctx *c) {
    if (first == last) return;
    introsort_loop(first, last, lg(last - first) * 2, c);
    final_insertion_sort(first, last, c);
}
/* std::nth_element */
static void nth_element(elem *first, elem *nth, elem *last, const cmp_ctx *c) {
    if (first == last || nth == last) return;
    int depth = lg(last - first) * 2;
    while (last - first > 3) {
        if (depth == 0) {
            heap_select(first, nth + 1, last, c);
            swap(first, nth);
            return;
        }
        --depth;
        elem *cut = unguarded_partition_pivot(first, last, c);
        if (cut <= nth) first = cut;
        else last = cut;
    }
    insertion_sort(first, last, c);
}
/* a stable merge sort (buf holds n elements) */
static void merge_sort(elem *a, int64_t n, elem *buf, const cmp_ctx *c) {
    if (n < 2) return;
    int64_t h = n / 2;
    merge_sort(a, h, buf, c);
    merge_sort(a + h, n - h, buf, c);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n) buf[k++] = before(a + j, a + i, c) ? a[j++] : a[i++];
    while (i < h) buf[k++] = a[i++];
    while (j < n) buf[k++] = a[j++];
    memcpy(a, buf, (size_t)n * sizeof *a);
}

/* ---- along a dim ---- */
typedef enum { SORT, TOPK } job_kind;

/* idx (outer, k, inner) i64 = positions of row elements after the job; x contiguous */
static nb_tensor *rows_job(const nb_tensor *x0, int dim, job_kind job, int64_t k, bool desc, bool flag,
                           const char *op) {
    nb_tensor *x = nbk_contig(x0);
    if (!x) return NULL;
    int64_t outer, D, inner;
    nbk_split3(x, dim, &outer, &D, &inner);
    int64_t shape[NB_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    if (x->ndim) shape[dim] = job == TOPK ? k : D;
    nb_tensor *idx = nbi_new(NB_I64, x->ndim, shape);
    if (!idx) {
        if (x != x0) nb_free(x);
        return NULL;
    }
    int64_t kk = job == TOPK ? k : D, rows = outer * inner;
    int64_t *out = (int64_t *)nbi_ptr(idx);
    const char *base = nbi_ptr(x);
    nb_dtype dt = x->dtype;
    bool fail = false;
    const cmp_ctx c = {desc, dt == NB_I64};
    #pragma omp parallel for schedule(static) if (rows * D >= NBI_PAR_MIN && rows > 1)
    for (int64_t r = 0; r < rows; r++) {
        elem *e = malloc(sizeof(elem) * (size_t)(2 * D + 1));
        if (!e) {
            #pragma omp atomic write
            fail = true;
            continue;
        }
        int64_t o = r / inner, in = r % inner;
        for (int64_t j = 0; j < D; j++) {
            int64_t off = (o * D + j) * inner + in;
            e[j].i = j;
            e[j].iv = dt == NB_I64 ? ((const int64_t *)base)[off] : 0;
            e[j].v = dt == NB_F32 ? (double)((const float *)base)[off]
                   : dt == NB_F64 ? ((const double *)base)[off] : (double)e[j].iv;
        }
        if (job == SORT) {
            if (flag) merge_sort(e, D, e + D, &c);   /* stable */
            else std_sort(e, e + D, &c);
        } else if (kk > 0) {   /* torch's topk_impl_loop; flag = sorted */
            if (kk * 64 <= D) partial_sort(e, e + kk, e + D, &c);
            else {
                nth_element(e, e + kk - 1, e + D, &c);
                if (flag) std_sort(e, e + kk - 1, &c);
            }
        }
        for (int64_t j = 0; j < kk; j++) out[(o * kk + j) * inner + in] = e[j].i;
        free(e);
    }
    if (x != x0) nb_free(x);
    if (fail) {
        nb_free(idx);
        return nbi_error("%s: out of memory", op);
    }
    return idx;
}

nb_tensor *nbk_argsort(const nb_tensor *x, int dim, bool descending, bool stable, const char *op) {
    return rows_job(x, dim, SORT, 0, descending, stable, op);
}

nb_tensor *nbk_topk_indices(const nb_tensor *x, int64_t k, int dim, bool largest, bool sorted, const char *op) {
    return rows_job(x, dim, TOPK, k, largest, sorted, op);
}
