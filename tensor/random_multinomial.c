/* random_multinomial.c — torch.multinomial and Tensor.exponential_ as torch 1.13's CPU kernels draw them.
 * Without replacement torch takes q ~ Exp(1) for every probability (row-major), and the
 * top n_sample of p / q along the last dim (the Gumbel trick; argmax for one sample); with replacement
 * it builds each row's normalised cumulative sum in p's dtype and binary-searches one double uniform per
 * sample. Same draws, same order, so the same seed gives torch's samples. */
#include "nb_internal.h"
#include "nb_kernels.h"
#include "nbt_random.h"
#include <math.h>
#include <stdlib.h>

/* exponential_distribution<double>: -1 / lambda * log(1 - u), u a double uniform, cast to the dtype */
static void exponential_fill(nb_generator *gen, nb_tensor *t, double lambd) {
    for (int64_t i = 0; i < t->numel; i++) {
        double v = -1.0 / lambd * log(1.0 - nbt_gen_double(gen));
        if (t->dtype == NB_F32)
            ((float *)nbt_ptr(t))[i] = (float)v;
        else
            ((double *)nbt_ptr(t))[i] = v;
    }
}

nb_tensor *nb_exponential_gen(nb_dtype dt, int ndim, const int64_t *shape, double lambd, nb_generator *gen) {
    NBT_API("nb_exponential_gen");
    if (!(lambd > 0) || !isfinite(lambd))
        return nbt_error("nb_exponential: expects lambda > 0.0, but found lambda=%g", lambd);
    if (dt != NB_F32 && dt != NB_F64)
        return nbt_error("nb_exponential: dtype must be float32 or float64 (got %s)", nb_dtype_name(dt));
    nb_tensor *t = nbt_shape_ok("nb_exponential", dt, ndim, shape) ? nbt_new(dt, ndim, shape) : NULL;
    if (t) exponential_fill(nbt_gen(gen), t, lambd);
    return t;
}

nb_tensor *nb_exponential(nb_dtype dt, int ndim, const int64_t *shape, double lambd) {
    NBT_API("nb_exponential");
    return nb_exponential_gen(dt, ndim, shape, lambd, NULL);
}

/* with replacement, n > 1: multinomial_with_replacement_apply, row by row (cumulative sums in T) */
#define T float
#include "multinomial_template.h"
#undef T
#define T double
#include "multinomial_template.h"
#undef T

/* without replacement or one sample: indices of the top n of p / q, q ~ Exp(1) (argmax for n = 1) */
static nb_tensor *gumbel_top(const nb_tensor *p, int64_t n, nb_generator *gen) {
    nb_tensor *q = nbt_new(p->dtype, p->ndim, p->shape);
    if (!q) return NULL;
    exponential_fill(gen, q, 1.0);
    for (int64_t i = 0; i < q->numel; i++) { /* q = p / q in p's dtype */
        if (p->dtype == NB_F32)
            ((float *)nbt_ptr(q))[i] = ((const float *)nbt_ptr(p))[i] / ((float *)nbt_ptr(q))[i];
        else
            ((double *)nbt_ptr(q))[i] = ((const double *)nbt_ptr(p))[i] / ((double *)nbt_ptr(q))[i];
    }
    nb_tensor *idx = NULL;
    if (n == 1) {
        nb_tensor *v = nbt_arg_reduce(q, p->ndim - 1, true, false, &idx);
        nb_free(v);
    } else {
        idx = nbt_topk_indices(q, n, p->ndim - 1, true, true, "nb_multinomial");
    }
    nb_free(q);
    return idx;
}

nb_tensor *nb_multinomial_gen(const nb_tensor *probs, int64_t n, bool replacement, nb_generator *gen) {
    NBT_API("nb_multinomial_gen");
    if (!nbt_ok(probs, "nb_multinomial")) return NULL;
    if (probs->ndim < 1 || probs->ndim > 2)
        return nbt_error("nb_multinomial: prob_dist must be 1 or 2 dim (got %s)", nbt_shape(probs));
    if (!nbt_is_float(probs->dtype))
        return nbt_error("nb_multinomial: multinomial only supports floating-point dtypes for input, got: %s",
                         nb_dtype_name(probs->dtype));
    if (n <= 0)
        return nbt_error("nb_multinomial: cannot sample n_sample <= 0 samples (got %lld)", (long long)n);
    int64_t ncat = probs->shape[probs->ndim - 1], ndist = probs->ndim == 2 ? probs->shape[0] : 1;
    if (!replacement && n > ncat)
        return nbt_error(
            "nb_multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            "(n_sample %lld, %lld categories)",
            (long long)n, (long long)ncat);
    if (ncat > (1 << 24)) return nbt_error("nb_multinomial: number of categories cannot exceed 2^24");
    int64_t shape[2] = { ndist, n };
    int ondim = probs->ndim;
    const int64_t *oshape = ondim == 2 ? shape : shape + 1;
    if (ndist * n == 0) return nbt_new(NB_I64, ondim, oshape);
    nb_tensor *p = nbt_contig(probs);
    if (!p) return NULL;
    nb_tensor *out = NULL;
    gen = nbt_gen(gen);
    if (!replacement) { /* torch 1.13 takes this path only without replacement (n == 1 included) */
        bool bad = false, zero_row = false; /* torch: (max < inf) & (min >= 0), then no row summing to 0 */
        for (int64_t i = 0; i < ndist; i++) {
            double sum = 0;
            for (int64_t j = 0; j < ncat; j++) {
                double v = p->dtype == NB_F32 ? ((const float *)nbt_ptr(p))[i * ncat + j]
                                              : ((const double *)nbt_ptr(p))[i * ncat + j];
                bad |= !(v >= 0 && v < INFINITY);
                sum += v;
            }
            zero_row |= sum == 0;
        }
        if (bad)
            nbt_error("nb_multinomial: probability tensor contains either `inf`, `nan` or element < 0");
        else if (zero_row)
            nbt_error("nb_multinomial: invalid multinomial distribution (sum of probabilities <= 0)");
        else
            out = gumbel_top(p, n, gen);
    } else if ((out = nbt_new(NB_I64, ondim, oshape))) {
        int64_t *o = (int64_t *)nbt_ptr(out);
        bool ok = p->dtype == NB_F32
                      ? with_replacement_float((const float *)nbt_ptr(p), ndist, ncat, n, o, gen)
                      : with_replacement_double((const double *)nbt_ptr(p), ndist, ncat, n, o, gen);
        if (!ok) {
            nb_free(out);
            out = NULL;
        }
    }
    if (p != probs) nb_free(p);
    return out;
}

nb_tensor *nb_multinomial(const nb_tensor *probs, int64_t n, bool replacement) {
    NBT_API("nb_multinomial");
    return nb_multinomial_gen(probs, n, replacement, NULL);
}
