/* multinomial_template.h — multinomial sampling with replacement for one probability type, included by
 * random_multinomial.c once per float type with T (float or double) defined. */

/* with replacement, n > 1: multinomial_with_replacement_apply, row by row (cumulative sums in T) */
static bool NBT_CAT(with_replacement_, T)(const T *p, int64_t ndist, int64_t ncat, int64_t n, int64_t *out,
                                          nb_generator *gen) {
    T *cum = malloc(sizeof(T) * (size_t)ncat);
    if (!cum) {
        nbt_oom(sizeof(T) * (size_t)ncat, "the cumulative probabilities");
        return false;
    }
    for (int64_t i = 0; i < ndist; i++) {
        T sum = 0;
        for (int64_t j = 0; j < ncat; j++) {
            T val = p[i * ncat + j];
            if (!(val >= 0)) {
                free(cum);
                nbt_error("nb_multinomial: invalid multinomial distribution (encountering probability "
                          "entry < 0) in row %lld",
                          (long long)i);
                return false;
            }
            if (!isfinite(val)) {
                free(cum);
                nbt_error("nb_multinomial: invalid multinomial distribution (encountering probability "
                          "entry = infinity or NaN) in row %lld",
                          (long long)i);
                return false;
            }
            sum += val;
            cum[j] = sum;
        }
        if (!(sum > 0)) {
            free(cum);
            nbt_error("nb_multinomial: invalid multinomial distribution (sum of probabilities <= 0) "
                      "in row %lld",
                      (long long)i);
            return false;
        }
        for (int64_t j = 0; j < ncat; j++) cum[j] /= sum;
        for (int64_t j = 0; j < n; j++) {
            double u = nbt_gen_double(gen);
            int64_t lo = 0, hi = ncat;
            cum[ncat - 1] = 1;
            while (hi - lo > 0) {
                int64_t mid = lo + (hi - lo) / 2;
                if (cum[mid] < u)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            out[i * n + j] = lo;
        }
    }
    free(cum);
    return true;
}
