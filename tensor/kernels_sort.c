/* kernels_sort.c — sort, argsort and topk indices along a dim, exactly as torch 1.13's CPU kernels order
 * them: (value, index) pairs sorted by libstdc++'s std::sort (introsort), std::nth_element (introselect)
 * and std::partial_sort (heap select), transcribed step for step below, so ties come out in torch's
 * order; stable sorts are a merge sort (every stable sort gives the one stable order). NaN sorts as the
 * largest value, as in torch. Rows along dim are independent: one OpenMP loop over rows, same result. */
#include "nb_kernels.h"
#include <math.h>
#include <stdlib.h>

typedef struct {
    union {
        double v;   /* the key: f32 and f64 values (f32 values are exact as doubles) */
        int64_t iv; /* i64 values */
    };
    int64_t i; /* original position along dim */
} elem;

static inline void swap(elem *a, elem *b) {
    elem t = *a;
    *a = *b;
    *b = t;
}
static inline int lg(int64_t n) { return 63 - __builtin_clzll((unsigned long long)n); }

/* the algorithms once per order: ascending/descending on float keys (NaN largest) and on int keys */
#define SFX asc_f
#define BEFORE(a, b) ((!isnan((a)->v) && isnan((b)->v)) || (a)->v < (b)->v)
#include "sort_template.h"
#undef SFX
#undef BEFORE
#define SFX desc_f
#define BEFORE(a, b) ((isnan((a)->v) && !isnan((b)->v)) || (a)->v > (b)->v)
#include "sort_template.h"
#undef SFX
#undef BEFORE
#define SFX asc_i
#define BEFORE(a, b) ((a)->iv < (b)->iv)
#include "sort_template.h"
#undef SFX
#undef BEFORE
#define SFX desc_i
#define BEFORE(a, b) ((a)->iv > (b)->iv)
#include "sort_template.h"
#undef SFX
#undef BEFORE

typedef struct {
    void (*sort)(elem *, elem *);
    void (*merge_sort)(elem *, int64_t, elem *);
    void (*partial_sort)(elem *, elem *, elem *);
    void (*nth_element)(elem *, elem *, elem *);
} algos;
static const algos ALGOS[2][2] = {
    /* [isint][desc] */
    { { std_sort_asc_f, merge_sort_asc_f, partial_sort_asc_f, nth_element_asc_f },
      { std_sort_desc_f, merge_sort_desc_f, partial_sort_desc_f, nth_element_desc_f } },
    { { std_sort_asc_i, merge_sort_asc_i, partial_sort_asc_i, nth_element_asc_i },
      { std_sort_desc_i, merge_sort_desc_i, partial_sort_desc_i, nth_element_desc_i } },
};

/* ---- along a dim ---- */
typedef enum { SORT, TOPK } job_kind;

/* idx (outer, k, inner) i64 = positions of row elements after the job; x contiguous */
static nb_tensor *rows_job(const nb_tensor *x0, int dim, job_kind job, int64_t k, bool desc, bool flag,
                           const char *op) {
    nb_tensor *x = nbt_contig(x0);
    if (!x) return NULL;
    int64_t outer, D, inner;
    nbt_split3(x, dim, &outer, &D, &inner);
    int64_t shape[NB_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    if (x->ndim) shape[dim] = job == TOPK ? k : D;
    nb_tensor *idx = nbt_new(NB_I64, x->ndim, shape);
    if (!idx) {
        if (x != x0) nb_free(x);
        return NULL;
    }
    int64_t kk = job == TOPK ? k : D, rows = outer * inner;
    int64_t *out = (int64_t *)nbt_ptr(idx);
    const char *base = nbt_ptr(x);
    nb_dtype dt = x->dtype;
    bool fail = false;
    const algos *A = &ALGOS[dt == NB_I64][desc];
#pragma omp parallel for schedule(static) if (rows * D >= NBT_PAR_MIN && rows > 1)
    for (int64_t r = 0; r < rows; r++) {
        elem *e = malloc(sizeof(elem) * (size_t)((job == SORT && flag ? 2 : 1) * D + 1)); /* + merge buffer */
        if (!e) {
#pragma omp atomic write
            fail = true;
            continue;
        }
        int64_t o = r / inner, in = r % inner;
        for (int64_t j = 0; j < D; j++) {
            int64_t off = (o * D + j) * inner + in;
            e[j].i = j;
            if (dt == NB_I64)
                e[j].iv = ((const int64_t *)base)[off];
            else
                e[j].v = dt == NB_F32 ? (double)((const float *)base)[off] : ((const double *)base)[off];
        }
        if (job == SORT) {
            if (flag)
                A->merge_sort(e, D, e + D); /* stable */
            else
                A->sort(e, e + D);
        } else if (kk > 0) { /* torch's topk_impl_loop; flag = sorted */
            if (kk * 64 <= D)
                A->partial_sort(e, e + kk, e + D);
            else {
                A->nth_element(e, e + kk - 1, e + D);
                if (flag) A->sort(e, e + kk - 1);
            }
        }
        for (int64_t j = 0; j < kk; j++) out[(o * kk + j) * inner + in] = e[j].i;
        free(e);
    }
    if (x != x0) nb_free(x);
    if (fail) {
        nb_free(idx);
        return nbt_error("%s: out of memory allocating the sort's row buffers", op);
    }
    return idx;
}

nb_tensor *nbt_argsort(const nb_tensor *x, int dim, bool descending, bool stable, const char *op) {
    return rows_job(x, dim, SORT, 0, descending, stable, op);
}

nb_tensor *nbt_topk_indices(const nb_tensor *x, int64_t k, int dim, bool largest, bool sorted,
                            const char *op) {
    return rows_job(x, dim, TOPK, k, largest, sorted, op);
}
