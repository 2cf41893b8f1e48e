/* checkpoint_internal.h — what the checkpoint files (nn/checkpoint_*.c) share: a strict, bounded
 * JSON parser (enough for safetensors headers) and the parsed, validated view of a safetensors file. */
#ifndef NB_CHECKPOINT_INTERNAL_H
#define NB_CHECKPOINT_INTERNAL_H

#include "nb_internal.h"
#include "nb_checkpoint.h"

/* ---- JSON (RFC 8259, no extensions) ---- */
typedef enum { NBN_NULL, NBN_FALSE, NBN_TRUE, NBN_NUM, NBN_STR, NBN_ARR, NBN_OBJ } nbn_kind;
typedef struct {
    nbn_kind kind;
    bool is_int; /* NBN_NUM: an integer that fits int64 (no fraction, no exponent) */
    int64_t ival;
    const char *str; /* NBN_STR: unescaped, NUL-terminated (in the document's arena) */
    size_t len;      /* string length in bytes, or number of children of an array/object */
    const char *key; /* member name when the parent is an object */
    int first, next; /* first child and next sibling (node indices, -1 = none) */
} nbn_node;
typedef struct {
    nbn_node *nodes; /* nodes[0] is the root */
    int n, cap;
    char *arena; /* unescaped strings */
} nbn_doc;
#define NBN_MAX_DEPTH 32
#define NBN_MAX_NODES (1 << 21) /* ~100 MB of nodes at most, ~200k tensors: far beyond real headers */
/* Parse text[0..len) (followed by nothing but blanks) into doc. On error returns false and writes
 * "what, at byte k" into err. Nesting deeper than NBN_MAX_DEPTH or more than NBN_MAX_NODES values
 * is an error. */
bool nbn_parse(const char *text, size_t len, nbn_doc *doc, char *err, size_t errlen);
/* Free a parsed document. */
void nbn_free(nbn_doc *doc);

/* ---- a safetensors file, parsed and validated (header, dtypes, shapes, offsets, file size) ---- */
typedef struct {
    char *name; /* owned */
    nb_dtype dtype;
    int ndim;
    int64_t shape[NB_MAX_DIMS];
    uint64_t begin, end; /* byte offsets into the data section */
} nbn_st_entry;
typedef struct {
    FILE *f;
    uint64_t data_start; /* 8 + header length */
    int n;
    nbn_st_entry *e; /* in header order */
} nbn_st_file;
/* Open and check path (op names the caller in messages). NB_ERROR + message on any problem. */
nb_status nbn_st_open(const char *op, const char *path, nbn_st_file *st);
/* Read entry i's data into dst (entry's byte count). */
nb_status nbn_st_read(const char *op, const char *path, nbn_st_file *st, int i, void *dst);
/* Close the file and free the entries. */
void nbn_st_close(nbn_st_file *st);

#endif
