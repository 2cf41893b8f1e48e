/* corpus.h — word_language_model's data.py for the examples: a Dictionary (idx2word, word2idx, ids in
 * order of first appearance) and tokenize (each line's words plus <eos>), shared by
 * word_language_model.c (main.py) and word_language_model_generate.c (generate.py). Header only. */
#ifndef NB_EXAMPLES_CORPUS_H
#define NB_EXAMPLES_CORPUS_H
#include <nabla.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char **words; /* idx2word */
    int64_t n, cap;
    int64_t *table; /* open addressing: word index + 1, 0 = empty */
    int64_t tcap;
} dictionary;

static inline uint64_t corpus_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static inline int64_t *corpus_slot(dictionary *d, const char *w) {
    uint64_t i = corpus_hash(w) & (uint64_t)(d->tcap - 1);
    while (d->table[i] && strcmp(d->words[d->table[i] - 1], w)) i = (i + 1) & (uint64_t)(d->tcap - 1);
    return &d->table[i];
}

/* word2idx[w], adding it if new (add_word); -1 on out of memory */
static inline int64_t add_word(dictionary *d, const char *w) {
    if (2 * (d->n + 1) > d->tcap) { /* grow and rehash */
        int64_t old = d->tcap, *ot = d->table;
        d->tcap = old ? 2 * old : 1024;
        d->table = calloc((size_t)d->tcap, sizeof *d->table);
        if (!d->table) return -1;
        for (int64_t k = 0; k < d->n; k++) *corpus_slot(d, d->words[k]) = k + 1;
        free(ot);
    }
    int64_t *s = corpus_slot(d, w);
    if (*s) return *s - 1;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 1024;
        char **nw = realloc(d->words, sizeof *nw * (size_t)d->cap);
        if (!nw) return -1;
        d->words = nw;
    }
    size_t len = strlen(w) + 1;
    if (!(d->words[d->n] = malloc(len))) return -1;
    memcpy(d->words[d->n], w, len);
    *s = ++d->n;
    return d->n - 1;
}

/* tokenize(path): ids of the file's words, each line followed by <eos> (a 1-D i64 tensor) */
static inline nb_tensor *tokenize(dictionary *d, const char *dir, const char *file, const char *prog) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s\n", prog, path);
        return NULL;
    }
    int64_t n = 0, cap = 1 << 16, *ids = malloc(sizeof *ids * (size_t)cap);
    char *line = NULL;
    size_t lcap = 0;
    while (ids && getline(&line, &lcap, f) >= 0) {
        char *save = NULL;
        for (char *w = strtok_r(line, " \t\n\r\v\f", &save);; w = strtok_r(NULL, " \t\n\r\v\f", &save)) {
            int64_t id = add_word(d, w ? w : "<eos>");
            if (n == cap) {
                int64_t *ni = realloc(ids, sizeof *ids * (size_t)(cap *= 2));
                if (!ni) {
                    free(ids);
                    ids = NULL;
                    break;
                }
                ids = ni;
            }
            if (id < 0) {
                free(ids);
                ids = NULL;
                break;
            }
            ids[n++] = id;
            if (!w) break;
        }
    }
    free(line);
    fclose(f);
    if (!ids) {
        fprintf(stderr, "%s: out of memory reading %s\n", prog, path);
        return NULL;
    }
    nb_tensor *t = nb_tensor_from(NB_I64, ids, 1, (int64_t[]){ n }, false);
    free(ids);
    return t;
}

/* free the dictionary's words and tables */
static inline void dictionary_free(dictionary *d) {
    for (int64_t k = 0; k < d->n; k++) free(d->words[k]);
    free(d->words);
    free(d->table);
}

#endif
