/* optim.c — the common optimizer object: construction over borrowed parameters, parameter groups
 * with their own options, lazily created persistent state, zero_grad, step dispatch and state
 * save/load. The methods themselves live in one file each and only fill an nbo_optim_vt. */
#include "nbo_optim.h"
#include <stb_ds.h>
#include <stdlib.h>

/* check a parameter list; fn names the caller in messages */
static bool params_ok(nb_tensor *const *params, int n, const char *fn) {
    if (n < 0 || (n > 0 && !params)) {
        nbt_error("%s: params is NULL or n = %d < 0", fn, n);
        return false;
    }
    if (n == 0) { /* torch: ValueError("optimizer got an empty parameter list"); an empty group likewise */
        nbt_error("%s: optimizer got an empty parameter list%s", fn,
                  strcmp(fn, "nb_optim_add_param_group") ? ""
                                                         : " (a parameter group needs at least one tensor)");
        return false;
    }
    for (int i = 0; i < n; i++) {
        nb_tensor *p = params[i];
        if (!p) {
            nbt_error("%s: parameter %d is NULL", fn, i);
            return false;
        }
        if (!nbt_ok(p, fn)) return false;
        if (!nbt_is_float(p->dtype)) {
            nbt_error("%s: parameter %d has dtype %s; optimizers need float32 or float64 parameters", fn, i,
                      nb_dtype_name(p->dtype));
            return false;
        }
        if (!nb_is_contiguous(p)) {
            nbt_error("%s: parameter %d, shape %s, is not contiguous; pass a contiguous leaf", fn, i,
                      nbt_shape(p));
            return false;
        }
        if (p->node) {
            nbt_error("%s: parameter %d, shape %s, is not a leaf (it has a grad_fn); optimize leaves", fn, i,
                      nbt_shape(p));
            return false;
        }
    }
    return true;
}

static int add_group(nb_optimizer *o, nb_tensor *const *params, int n, const void *resolved) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < (int)arrlen(o->params); j++)
            if (o->params[j] == params[i]) {
                nbt_error("%s: parameter %d (shape %s) appears in more than one parameter group", o->vt->fn,
                          i, nbt_shape(params[i]));
                return -1;
            }
    nbo_group g;
    memset(&g, 0, sizeof g);
    g.first = (int)arrlen(o->params);
    g.n = n;
    memcpy(&g.opts, resolved, o->vt->opts_size);
    int gi = (int)arrlen(o->groups);
    arrput(o->groups, g);
    for (int i = 0; i < n; i++) {
        arrput(o->params, params[i]);
        arrput(o->group_of, gi);
        nbo_pstate none = { { 0 } };
        arrput(o->state, none);
    }
    return gi;
}

nb_optimizer *nbo_optim_new(const nbo_optim_vt *vt, nb_tensor *const *params, int n, const void *user,
                            const void *tdefault) {
    if (!params_ok(params, n, vt->fn)) return NULL;
    nb_optimizer *o = calloc(1, sizeof *o);
    if (!o) return nbt_error("%s: out of memory", vt->fn);
    assert(vt->opts_size <= sizeof(nbo_opts) && "add the method to NBO_OPTIM_OPTS_LIST (nbo_optim.h)");
    o->vt = vt;
    vt->merge(&o->defaults, user, tdefault);
    if (vt->check && vt->check(&o->defaults, vt->fn) != NB_OK) {
        nb_optim_free(o);
        return NULL;
    }
    if (add_group(o, params, n, &o->defaults) < 0) {
        nb_optim_free(o);
        return NULL;
    }
    return o;
}

int nb_optim_add_param_group(nb_optimizer *o, nb_tensor *const *params, int n, const void *opts) {
    NBT_API("nb_optim_add_param_group");
    if (!o) {
        nbt_error("nb_optim_add_param_group: optimizer is NULL");
        return -1;
    }
    if (o->vt->single_group) {
        nbt_error("nb_optim_add_param_group: %s doesn't support per-parameter options (parameter groups)",
                  o->vt->name);
        return -1;
    }
    if (!params_ok(params, n, "nb_optim_add_param_group")) return -1;
    nbo_opts resolved;
    o->vt->merge(&resolved, opts ? opts : (const void *)&o->defaults, &o->defaults);
    if (o->vt->check && o->vt->check(&resolved, "nb_optim_add_param_group") != NB_OK) return -1;
    return add_group(o, params, n, &resolved);
}

void nb_optim_free(nb_optimizer *o) {
    if (!o) return;
    if (o->vt->free_extra) o->vt->free_extra(o);
    for (int i = 0; i < (int)arrlen(o->state); i++)
        for (int k = 0; k < NBO_OPT_MAXSTATE; k++) nb_free(o->state[i].t[k]);
    for (int g = 0; g < (int)arrlen(o->groups); g++) nb_free(o->groups[g].lr_t);
    arrfree(o->state);
    arrfree(o->params);
    arrfree(o->group_of);
    arrfree(o->groups);
    free(o);
}

void nb_optim_zero_grad(nb_optimizer *o) {
    NBT_API("nb_optim_zero_grad");
    if (!nbt_nonnull(o, "nb_optim_zero_grad", "optimizer")) return;
    for (int i = 0; i < (int)arrlen(o->params); i++) nb_zero_grad(o->params[i]);
}

int nb_optim_num_groups(const nb_optimizer *o) {
    return nbt_nonnull(o, "nb_optim_num_groups", "optimizer") ? (int)arrlen(o->groups) : -1;
}
const char *nb_optim_name(const nb_optimizer *o) {
    return nbt_nonnull(o, "nb_optim_name", "optimizer") ? o->vt->name : NULL;
}

double nb_optim_get_lr(const nb_optimizer *o, int g) {
    NBT_API("nb_optim_get_lr");
    if (!nbt_nonnull(o, "nb_optim_get_lr", "optimizer")) return NAN;
    if (g < 0 || g >= (int)arrlen(o->groups)) {
        nbt_error("nb_optim_get_lr: group %d out of range [0, %d)", g, nb_optim_num_groups(o));
        return NAN;
    }
    double lr;
    memcpy(&lr, &o->groups[g].opts, sizeof lr);
    return lr;
}

nb_status nb_optim_set_lr(nb_optimizer *o, int g, double lr) {
    NBT_API("nb_optim_set_lr");
    if (!nbt_nonnull(o, "nb_optim_set_lr", "optimizer")) return NB_ERROR;
    if (g < 0 || g >= (int)arrlen(o->groups)) {
        nbt_error("nb_optim_set_lr: group %d out of range [0, %d)", g, nb_optim_num_groups(o));
        return NB_ERROR;
    }
    memcpy(&o->groups[g].opts, &lr, sizeof lr);
    return NB_OK;
}

nb_tensor *nbo_persistent_full_like(const nb_tensor *t, double v) {
    nb_tensor *s = nbt_new_persistent(t->dtype, t->ndim, t->shape);
    if (!s) return NULL;
    if (t->dtype == NB_F32) {
        float *d = (float *)nbt_ptr(s);
        for (int64_t j = 0; j < s->numel; j++) d[j] = (float)v;
    } else {
        double *d = (double *)nbt_ptr(s);
        for (int64_t j = 0; j < s->numel; j++) d[j] = v;
    }
    return s;
}

nb_tensor *nbo_state(nb_optimizer *o, int i, int k) {
    if (o->state[i].t[k]) return o->state[i].t[k];
    nb_tensor *s = NULL;
    switch (o->vt->state[k].kind) {
    case NBO_STATE_LIKE_PARAM: s = nbo_persistent_full_like(o->params[i], 0.0); break;
    case NBO_STATE_STEP:
        if ((s = nbt_new_persistent(NB_F64, 0, NULL))) *(double *)nbt_ptr(s) = 0.0;
        break;
    case NBO_STATE_F32_ONE:
        if ((s = nbt_new_persistent(NB_F32, 0, NULL))) *(float *)nbt_ptr(s) = 1.0f;
        break;
    }
    o->state[i].t[k] = s;
    return s;
}

/* the grad of param i if usable; NULL when absent (skip) or bad (error set, *bad = true) */
static nb_tensor *usable_grad(nb_optimizer *o, int i, bool *bad) {
    nb_tensor *p = o->params[i], *g = p->grad;
    if (!nb_is_valid(p)) {
        nbt_error("%s: parameter %d was released while the optimizer still uses it", o->vt->fn, i);
        *bad = true;
        return NULL;
    }
    if (!g) return NULL;
    if (g->dtype != p->dtype || g->numel != p->numel || !nb_is_contiguous(g)) {
        nbt_error("%s: grad of parameter %d has dtype %s shape %s, parameter has dtype %s shape %s; "
                  "grads must be contiguous and match their parameter",
                  o->vt->fn, i, nb_dtype_name(g->dtype), nbt_shape(g), nb_dtype_name(p->dtype), nbt_shape(p));
        *bad = true;
        return NULL;
    }
    return g;
}

/* one update of every parameter that has a grad */
static nb_status update_all(nb_optimizer *o) {
    if (o->vt->begin_step) o->vt->begin_step(o);
    for (int g = 0; g < (int)arrlen(o->groups); g++) {
        nbo_group *gr = &o->groups[g];
        for (int i = gr->first; i < gr->first + gr->n; i++) {
            bool bad = false;
            if (!usable_grad(o, i, &bad)) {
                if (bad) return NB_ERROR;
                continue;
            }
            if (o->vt->update(o, gr, i) != NB_OK) return NB_ERROR;
            nbo_bump(o->params[i]);
        }
    }
    return NB_OK;
}

nb_status nb_optim_step(nb_optimizer *o) {
    NBT_API("nb_optim_step");
    if (!o) {
        nbt_error("nb_optim_step: optimizer is NULL");
        return NB_ERROR;
    }
    if (!o->vt->update) {
        nbt_error("nb_optim_step: %s re-evaluates the loss; call nb_optim_step_closure or nb_optim_step_loss",
                  o->vt->name);
        return NB_ERROR;
    }
    return update_all(o);
}

nb_status nb_optim_step_closure(nb_optimizer *o, nb_closure c, void *ctx, double *loss) {
    NBT_API("nb_optim_step_closure");
    if (!o || !c) {
        nbt_error("nb_optim_step_closure: optimizer or closure is NULL");
        return NB_ERROR;
    }
    if (o->vt->step_closure) return o->vt->step_closure(o, c, ctx, loss);
    if (!o->vt->update) {
        nbt_error("nb_optim_step_closure: %s needs the loss graph; call nb_optim_step_loss", o->vt->name);
        return NB_ERROR;
    }
    bool prev = nb_set_grad_enabled(true);
    double l = c(ctx);
    nb_set_grad_enabled(prev);
    if (loss) *loss = l;
    if (isnan(l) && nb_error()) return NB_ERROR;
    return update_all(o);
}

double nbo_eval_closure_loss(nb_optimizer *o, nb_loss_fn fn, void *ctx) {
    nb_optim_zero_grad(o);
    bool prev = nb_set_grad_enabled(true);
    nb_scope s = nb_scope_begin();
    nb_tensor *l = fn(ctx);
    double v = NAN;
    if (l && nb_backward(l) == NB_OK)
        v = nb_item(l);
    else if (!nb_error())
        nbt_error("%s: the loss function returned NULL", o->vt->fn);
    nb_scope_end(s);
    nb_set_grad_enabled(prev);
    return v;
}

typedef struct {
    nb_optimizer *o;
    nb_loss_fn fn;
    void *ctx;
} loss_closure;
static double run_loss_closure(void *p) {
    loss_closure *lc = p;
    return nbo_eval_closure_loss(lc->o, lc->fn, lc->ctx);
}

nb_status nb_optim_step_loss(nb_optimizer *o, nb_loss_fn fn, void *ctx, double *loss) {
    NBT_API("nb_optim_step_loss");
    if (!o || !fn) {
        nbt_error("nb_optim_step_loss: optimizer or loss function is NULL");
        return NB_ERROR;
    }
    if (o->vt->step_loss) return o->vt->step_loss(o, fn, ctx, loss);
    loss_closure lc = { o, fn, ctx };
    if (o->vt->step_closure) return o->vt->step_closure(o, run_loss_closure, &lc, loss);
    double l = run_loss_closure(&lc);
    if (loss) *loss = l;
    if (isnan(l) && nb_error()) return NB_ERROR;
    return update_all(o);
}

/* ---- flat views (L-BFGS, Newton) ---- */
int64_t nbo_flat_numel(nb_optimizer *o, const char *fn) {
    int64_t n = 0;
    for (int i = 0; i < (int)arrlen(o->params); i++) {
        if (!nb_is_valid(o->params[i])) {
            nbt_error("%s: parameter %d was released", fn, i);
            return -1;
        }
        if (o->params[i]->dtype != o->params[0]->dtype) {
            nbt_error("%s: parameters mix float32 and float64 (parameter %d); use one dtype", fn, i);
            return -1;
        }
        n += o->params[i]->numel;
    }
    return n;
}

void nbo_flat_get(nb_optimizer *o, double *out, bool grads) {
    int64_t off = 0;
    for (int i = 0; i < (int)arrlen(o->params); i++) {
        nb_tensor *p = o->params[i], *t = grads ? p->grad : p;
        int64_t n = p->numel;
        if (!t || t->numel != n)
            memset(out + off, 0, sizeof(double) * (size_t)n);
        else if (t->dtype == NB_F32) {
            const float *d = (const float *)nbt_ptr(t);
            for (int64_t j = 0; j < n; j++) out[off + j] = d[j];
        } else
            memcpy(out + off, nbt_ptr(t), sizeof(double) * (size_t)n);
        off += n;
    }
}

void nbo_flat_set(nb_optimizer *o, const double *v, double t, bool add) {
    int64_t off = 0;
    for (int i = 0; i < (int)arrlen(o->params); i++) {
        nb_tensor *p = o->params[i];
        int64_t n = p->numel;
        if (p->dtype == NB_F32) {
            float *d = (float *)nbt_ptr(p);
            for (int64_t j = 0; j < n; j++)
                d[j] = add ? fmaf((float)t, (float)v[off + j], d[j]) : (float)v[off + j];
        } else {
            double *d = (double *)nbt_ptr(p);
            for (int64_t j = 0; j < n; j++) d[j] = add ? fma(t, v[off + j], d[j]) : v[off + j];
        }
        nbo_bump(p);
        off += n;
    }
}

/* ---- state save / load ---- */
nb_status nb_optim_state_dict(nb_optimizer *o, nb_state_dict *sd) {
    NBT_API("nb_optim_state_dict");
    if (!o || !sd) {
        nbt_error("nb_optim_state_dict: optimizer or state dict is NULL");
        return NB_ERROR;
    }
    char name[96];
    for (int i = 0; i < (int)arrlen(o->state); i++)
        for (int k = 0; k < NBO_OPT_MAXSTATE; k++) {
            if (!o->state[i].t[k] || !o->vt->state[k].name) continue;
            snprintf(name, sizeof name, "state.%d.%s", i, o->vt->state[k].name);
            if (nb_state_dict_add(sd, name, o->state[i].t[k]) != NB_OK) return NB_ERROR;
        }
    for (int g = 0; g < (int)arrlen(o->groups); g++) {
        nbo_group *gr = &o->groups[g];
        if (!gr->lr_t && !(gr->lr_t = nbt_new_persistent(NB_F64, 0, NULL))) return NB_ERROR;
        *(double *)nbt_ptr(gr->lr_t) = nb_optim_get_lr(o, g);
        snprintf(name, sizeof name, "param_groups.%d.lr", g);
        if (nb_state_dict_add(sd, name, gr->lr_t) != NB_OK) return NB_ERROR;
    }
    return o->vt->save_extra ? o->vt->save_extra(o, sd) : NB_OK;
}

nb_status nb_optim_load_state_dict(nb_optimizer *o, const nb_state_dict *sd) {
    NBT_API("nb_optim_load_state_dict");
    if (!o || !sd) {
        nbt_error("nb_optim_load_state_dict: optimizer or state dict is NULL");
        return NB_ERROR;
    }
    char name[96];
    for (int i = 0; i < (int)arrlen(o->state); i++)
        for (int k = 0; k < NBO_OPT_MAXSTATE; k++) {
            const char *sn = o->vt->state[k].name;
            if (!sn) continue;
            snprintf(name, sizeof name, "state.%d.%s", i, sn);
            nb_tensor *src = nb_state_dict_get(sd, name);
            if (!src) continue;
            nb_tensor *dst = nbo_state(o, i, k);
            if (!dst) return NB_ERROR;
            if (src->numel != dst->numel) {
                nbt_error("nb_optim_load_state_dict: '%s' has shape %s, the optimizer expects %s", name,
                          nbt_shape(src), nbt_shape(dst));
                return NB_ERROR;
            }
            double *buf = malloc(sizeof(double) * (size_t)(src->numel ? src->numel : 1));
            if (!buf) {
                nbt_error("nb_optim_load_state_dict: out of memory");
                return NB_ERROR;
            }
            if (nb_to_doubles(src, buf) != NB_OK) {
                free(buf);
                return NB_ERROR;
            }
            for (int64_t j = 0; j < dst->numel; j++) {
                if (dst->dtype == NB_F32)
                    ((float *)nbt_ptr(dst))[j] = (float)buf[j];
                else
                    ((double *)nbt_ptr(dst))[j] = buf[j];
            }
            free(buf);
        }
    for (int g = 0; g < (int)arrlen(o->groups); g++) {
        snprintf(name, sizeof name, "param_groups.%d.lr", g);
        nb_tensor *lr = nb_state_dict_get(sd, name);
        if (lr) nb_optim_set_lr(o, g, nb_item(lr));
    }
    return o->vt->load_extra ? o->vt->load_extra(o, sd) : NB_OK;
}
