/* test_misuse_categorical.c — Categorical and multinomial refuse what torch 1.13 refuses (validate_args
 * on, the default): probs with a negative, NaN or infinite entry or an all-zero row, logits with NaN, +inf
 * or a row of -inf; an accepted -inf logit is checked too. Expected outcomes come from running torch 1.13
 * (Categorical(probs=...), Categorical(logits=...), torch.multinomial). Harness: misuse.h. */
#include "misuse.h"

static nb_tensor *vec2(double a, double b) {
    return nb_tensor_from(NB_F64, (double[]){ a, b }, NB_SHAPE(2), false);
}
static bool has(const char *s) { return mu_msg_has(1, &s); }
static bool refused(nb_tensor *probs, nb_tensor *logits, const char *what) {
    nb_categorical d = { 0 };
    return nb_categorical_init(&d, probs, logits) == NB_ERROR && has(what);
}
#define SIMPLEX "nb_categorical_init: expected parameter probs (2) to satisfy the constraint Simplex()"
#define REAL "nb_categorical_init: expected parameter logits (2) to satisfy the constraint"

/* torch: ValueError ... probs ... Simplex(), but found invalid values */
MU_E(nb_categorical_init, "probs [-1, 2]", refused(vec2(-1, 2), NULL, SIMPLEX))
MU_E(nb_categorical_init, "probs [-1, 1] (row sum 0)", refused(vec2(-1, 1), NULL, SIMPLEX))
MU_E(nb_categorical_init, "probs [nan, 1]", refused(vec2(NAN, 1), NULL, SIMPLEX))
MU_E(nb_categorical_init, "probs [inf, 1]", refused(vec2(INFINITY, 1), NULL, SIMPLEX))
MU_E(nb_categorical_init, "probs [0, 0]", refused(vec2(0, 0), NULL, SIMPLEX))
MU_E(nb_categorical_init, "probs with one bad row of two",
     refused(nb_tensor_from(NB_F32, (float[]){ 0.5f, 0.5f, -1, 2 }, NB_SHAPE(2, 2), false), NULL,
             "nb_categorical_init: expected parameter probs (2, 2) to satisfy the constraint Simplex(), but "
             "row 1"))
/* torch: ValueError ... logits ... IndependentConstraint(Real(), 1), but found invalid values */
MU_E(nb_categorical_init, "logits [nan, 1]", refused(NULL, vec2(NAN, 1), REAL))
MU_E(nb_categorical_init, "logits [inf, 1]", refused(NULL, vec2(INFINITY, 1), REAL))
MU_E(nb_categorical_init, "logits [-inf, -inf]", refused(NULL, vec2(-INFINITY, -INFINITY), REAL))
/* torch accepts one -inf logit: probs [0, 1], logits [-inf, 0] */
MU_GOOD(nb_categorical_init, "logits [-inf, 1]") {
    nb_categorical d = { 0 };
    if (nb_categorical_init(&d, NULL, vec2(-INFINITY, 1)) != NB_OK) return false;
    return nb_get(d.probs, (int64_t[]){ 0 }) == 0 && nb_get(d.probs, (int64_t[]){ 1 }) == 1 &&
           nb_get(d.logits, (int64_t[]){ 0 }) == -INFINITY && nb_get(d.logits, (int64_t[]){ 1 }) == 0;
}
/* torch.multinomial with replacement (its kernel checks val >= 0 first, so NaN reads "< 0"); without
 * replacement the up-front check "probability tensor contains either `inf`, `nan` or element < 0" */
#define INVALID "nb_multinomial: invalid multinomial distribution "
MU_E(nb_multinomial, "probs [-1, 2]",
     !nb_multinomial(vec2(-1, 2), 2, true) && has(INVALID "(encountering probability entry < 0)"))
MU_E(nb_multinomial, "probs [nan, 1]",
     !nb_multinomial(vec2(NAN, 1), 2, true) && has(INVALID "(encountering probability entry < 0)"))
MU_E(nb_multinomial, "probs [inf, 1]",
     !nb_multinomial(vec2(INFINITY, 1), 2, true) &&
         has(INVALID "(encountering probability entry = infinity or NaN)"))
MU_E(nb_multinomial, "probs [0, 0]",
     !nb_multinomial(vec2(0, 0), 2, true) && has(INVALID "(sum of probabilities <= 0)"))
MU_E(nb_multinomial, "probs [-1, 2] without replacement",
     !nb_multinomial(vec2(-1, 2), 1, false) &&
         has("nb_multinomial: probability tensor contains either `inf`, `nan` or element < 0"))
MU_E(nb_multinomial, "probs [nan, 1] without replacement",
     !nb_multinomial(vec2(NAN, 1), 1, false) &&
         has("nb_multinomial: probability tensor contains either `inf`, `nan` or element < 0"))
MU_E(nb_multinomial, "probs [0, 0] without replacement",
     !nb_multinomial(vec2(0, 0), 1, false) && has(INVALID "(sum of probabilities <= 0)"))
