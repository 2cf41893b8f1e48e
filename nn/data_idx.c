/* data_idx.c — nb_read_idx: LeCun's IDX format (MNIST, Fashion-MNIST), plain or gzip-compressed.
 * Layout: magic 00 00 TT ND (TT = element type, ND = number of dims), ND big-endian uint32 dims,
 * then the big-endian elements. Nothing is trusted: a plain file's size must match its header
 * exactly; a .gz stream is read in growing chunks so a huge declared size costs no memory unless
 * the data is really there. */
#include "data_internal.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#ifdef NB_HAVE_ZLIB
#include <zlib.h>
#endif

#define IDX_MAX_BYTES ((int64_t)1 << 34) /* 16 GiB of declared data: anything larger is refused */

typedef struct {
    const char *path;
    FILE *f;
#ifdef NB_HAVE_ZLIB
    gzFile gz;
#endif
    bool is_gz;
} idx_src;

/* Read up to n bytes; returns the count read (short at end of file) or -1 after recording an error. */
static int64_t src_read(idx_src *s, void *buf, size_t n) {
#ifdef NB_HAVE_ZLIB
    if (s->is_gz) {
        size_t got = 0;
        while (got < n) {
            unsigned chunk = (unsigned)((n - got) > (1u << 30) ? (1u << 30) : (n - got));
            int r = gzread(s->gz, (char *)buf + got, chunk);
            if (r < 0) {
                int code;
                const char *msg = gzerror(s->gz, &code);
                nbt_error("nb_read_idx: '%s': corrupt gzip data (%s)", s->path,
                          msg ? msg : "unknown zlib error");
                return -1;
            }
            if (r == 0) {
                int code;
                const char *msg = gzerror(s->gz, &code);
                if (code != Z_OK) {
                    nbt_error(
                        "nb_read_idx: '%s': the gzip stream is truncated or corrupt (%s); download it again",
                        s->path, msg ? msg : "zlib error");
                    return -1;
                }
                break;
            }
            got += (size_t)r;
        }
        return (int64_t)got;
    }
#endif
    size_t got = fread(buf, 1, n, s->f);
    if (got < n && ferror(s->f)) {
        nbt_error("nb_read_idx: '%s': read error: %s", s->path, strerror(errno));
        return -1;
    }
    return (int64_t)got;
}

static void src_close(idx_src *s) {
#ifdef NB_HAVE_ZLIB
    if (s->gz) gzclose(s->gz);
#endif
    if (s->f) fclose(s->f);
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Element size of an IDX type code, 0 if unknown. */
static int idx_elem_size(int code) {
    switch (code) {
    case 0x08:
    case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C:
    case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
    }
}

/* Element i of a big-endian IDX buffer as double. */
static double idx_value(const unsigned char *p, int code) {
    switch (code) {
    case 0x08: return p[0];
    case 0x09: return (int8_t)p[0];
    case 0x0B: return (int16_t)(uint16_t)((unsigned)p[0] << 8 | p[1]);
    case 0x0C: return (int32_t)be32(p);
    case 0x0D: {
        uint32_t u = be32(p);
        float f;
        memcpy(&f, &u, 4);
        return f;
    }
    default: {
        uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);
        double d;
        memcpy(&d, &u, 8);
        return d;
    }
    }
}

/* Convert n big-endian elements into t's data, v -> v * scale (or v / div when div > 0). */
static nb_status idx_convert(const unsigned char *raw, int code, int64_t n, nb_tensor *t, float scale,
                             double div, const char *path) {
    int es = idx_elem_size(code);
    if (t->dtype == NB_F32) {
        float *o = (float *)nbt_ptr(t);
        if (code == 0x08 && div > 0) { /* the common case: bytes to [0, 1] through a table */
            float lut[256];
            for (int v = 0; v < 256; v++) lut[v] = (float)v / (float)div;
            for (int64_t i = 0; i < n; i++) o[i] = lut[raw[i]];
        } else if (div > 0) {
            for (int64_t i = 0; i < n; i++) o[i] = (float)idx_value(raw + i * es, code) / (float)div;
        } else {
            for (int64_t i = 0; i < n; i++) o[i] = (float)idx_value(raw + i * es, code) * scale;
        }
    } else if (t->dtype == NB_F64) {
        double *o = (double *)nbt_ptr(t);
        for (int64_t i = 0; i < n; i++) {
            double v = idx_value(raw + i * es, code);
            o[i] = div > 0 ? v / div : v * (double)scale;
        }
    } else {
        int64_t *o = (int64_t *)nbt_ptr(t);
        for (int64_t i = 0; i < n; i++) {
            double v = idx_value(raw + i * es, code);
            v = div > 0 ? v / div : v * (double)scale;
            if (!(v > -9.2e18 && v < 9.2e18)) {
                nbt_error("nb_read_idx: '%s': element %lld is %g, not representable as int64; read it as "
                          "NB_F32 or NB_F64",
                          path, (long long)i, v);
                return NB_ERROR;
            }
            o[i] = (int64_t)v;
        }
    }
    return NB_OK;
}

/* Read the whole data section (bytes declared by the header). NULL + error if short or long. */
static unsigned char *idx_read_data(idx_src *s, int64_t bytes, int64_t header_bytes) {
    unsigned char *buf = NULL;
    if (!s->is_gz) {
        struct stat st;
        if (fstat(fileno(s->f), &st) != 0)
            return nbt_error("nb_read_idx: '%s': cannot stat: %s", s->path, strerror(errno));
        int64_t have = (int64_t)st.st_size - header_bytes;
        if (have < bytes)
            return nbt_error(
                "nb_read_idx: '%s' is truncated: its header declares %lld bytes of data but the file holds "
                "only %lld; download it again",
                s->path, (long long)bytes, (long long)have);
        if (have > bytes)
            return nbt_error(
                "nb_read_idx: '%s' has %lld bytes after the %lld bytes of data its header declares "
                "(wrong dims, or not an IDX file)",
                s->path, (long long)(have - bytes), (long long)bytes);
        buf = malloc(bytes ? (size_t)bytes : 1);
        if (!buf)
            return nbt_error("nb_read_idx: '%s': out of memory for %lld bytes", s->path, (long long)bytes);
        int64_t got = src_read(s, buf, (size_t)bytes);
        if (got != bytes) {
            free(buf);
            if (got >= 0)
                nbt_error("nb_read_idx: '%s' is truncated (read %lld of %lld bytes of data)", s->path,
                          (long long)got, (long long)bytes);
            return NULL;
        }
        return buf;
    }
    /* gzip: the real size is unknown until the stream ends, so grow the buffer as data arrives */
    int64_t cap = bytes < ((int64_t)1 << 20) ? bytes : ((int64_t)1 << 20), got = 0;
    buf = malloc(cap ? (size_t)cap : 1);
    if (!buf) return nbt_error("nb_read_idx: '%s': out of memory", s->path);
    for (;;) {
        int64_t r = src_read(s, buf + got, (size_t)(cap - got));
        if (r < 0) {
            free(buf);
            return NULL;
        }
        got += r;
        if (got < cap || cap == bytes) break;
        int64_t ncap = cap * 2 > bytes ? bytes : cap * 2;
        unsigned char *nb = realloc(buf, (size_t)ncap);
        if (!nb) {
            free(buf);
            return nbt_error("nb_read_idx: '%s': out of memory for %lld bytes", s->path, (long long)ncap);
        }
        buf = nb;
        cap = ncap;
    }
    if (got < bytes) {
        free(buf);
        return nbt_error(
            "nb_read_idx: '%s' is truncated: its header declares %lld bytes of data but the stream holds "
            "only %lld; download it again",
            s->path, (long long)bytes, (long long)got);
    }
    unsigned char extra;
    int64_t r = src_read(s, &extra, 1);
    if (r != 0) {
        free(buf);
        if (r > 0)
            nbt_error("nb_read_idx: '%s' has data after the %lld bytes its header declares (wrong dims, "
                      "or not an IDX file)",
                      s->path, (long long)bytes);
        return NULL;
    }
    return buf;
}

nb_tensor *nb_read_idx(const char *path, nb_dtype dt, float scale) {
    if (!path) return nbt_error("nb_read_idx: path is NULL");
    if (dt != NB_F32 && dt != NB_F64 && dt != NB_I64)
        return nbt_error("nb_read_idx: unknown dtype %d; use NB_F32, NB_F64 or NB_I64", (int)dt);
    if (scale == 0) scale = 1;
    if (!isfinite(scale)) return nbt_error("nb_read_idx: scale must be finite (got %g)", (double)scale);
    double div = 0; /* scale = 1/k: divide by k exactly as torch's x.float().div(k) */
    if (scale > 0 && scale < 1) {
        double k = nearbyint(1.0 / (double)scale);
        if (k >= 2 && k < 1e9 && (float)(1.0 / k) == scale) div = k;
    }
    idx_src s = { .path = path };
    s.f = fopen(path, "rb");
    if (!s.f) return nbt_error("nb_read_idx: cannot open '%s': %s", path, strerror(errno));
    unsigned char head[4 + 4 * 255];
    size_t n0 = fread(head, 1, 2, s.f);
    if (n0 == 2 && head[0] == 0x1f && head[1] == 0x8b) {
#ifdef NB_HAVE_ZLIB
        fclose(s.f);
        s.f = NULL;
        s.is_gz = true;
        s.gz = gzopen(path, "rb");
        if (!s.gz) return nbt_error("nb_read_idx: cannot open '%s' through zlib: %s", path, strerror(errno));
        gzbuffer(s.gz, 1 << 17);
        n0 = 0;
#else
        fclose(s.f);
        return nbt_error(
            "nb_read_idx: '%s' is gzip-compressed but nabla was built without zlib: install zlib1g-dev "
            "and reconfigure (meson setup --wipe), or gunzip the file first",
            path);
#endif
    }
    nb_tensor *t = NULL;
    unsigned char *raw = NULL;
    int64_t r = src_read(&s, head + n0, 4 - n0);
    if (r < 0) goto done;
    if ((int64_t)n0 + r < 4) {
        nbt_error("nb_read_idx: '%s' is too short to be an IDX file (%lld bytes)", path, (long long)(n0 + r));
        goto done;
    }
    int code = head[2], nd = head[3];
    if (head[0] != 0 || head[1] != 0 || !idx_elem_size(code) || nd == 0) {
        nbt_error(
            "nb_read_idx: '%s' is not an IDX file: magic 0x%02x%02x%02x%02x, expected 0x0000TTNN with type "
            "TT "
            "in 08 (ubyte), 09, 0B, 0C, 0D, 0E and NN >= 1 dims (e.g. 0x00000803 images, 0x00000801 labels)",
            path, head[0], head[1], head[2], head[3]);
        goto done;
    }
    if (nd > NB_MAX_DIMS) {
        nbt_error("nb_read_idx: '%s' declares %d dims; nabla tensors have at most %d", path, nd, NB_MAX_DIMS);
        goto done;
    }
    r = src_read(&s, head + 4, 4 * (size_t)nd);
    if (r < 0) goto done;
    if (r < 4 * nd) {
        nbt_error("nb_read_idx: '%s' is truncated inside its header (%d dims declared)", path, nd);
        goto done;
    }
    /* span: the product of the nonzero dims (what the strides reach; saturated, refused below), so a
     * zero dim beside huge ones is refused too instead of overflowing the strides */
    int64_t dims[NB_MAX_DIMS], span = 1;
    bool empty = false;
    for (int i = 0; i < nd; i++) {
        dims[i] = be32(head + 4 + 4 * i);
        if (!dims[i])
            empty = true;
        else if (span > IDX_MAX_BYTES / dims[i])
            span = IDX_MAX_BYTES + 1;
        else
            span *= dims[i];
    }
    int64_t numel = empty ? 0 : span;
    int es = idx_elem_size(code);
    if (span > IDX_MAX_BYTES / es) {
        nbt_error("nb_read_idx: '%s' declares dims %s, more than the %lld GiB this reader accepts (a corrupt "
                  "header?)",
                  path, nbt_shape_of(nd, dims), (long long)(IDX_MAX_BYTES >> 30));
        goto done;
    }
    int64_t bytes = numel * es;
    raw = idx_read_data(&s, bytes, 4 + 4 * (int64_t)nd);
    if (!raw) goto done;
    t = nbt_new(dt, nd, dims);
    if (t && idx_convert(raw, code, numel, t, scale, div, path) != NB_OK) {
        nb_free(t);
        t = NULL;
    }
done:
    free(raw);
    src_close(&s);
    return t;
}
