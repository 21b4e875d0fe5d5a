/* The averaged perceptron: sparse training rows with lazy averaging, and
 * the compact frozen image used at run time.
 *
 * Averaging follows the usual timestamp trick: each weight remembers when it
 * last changed and the running sum of its past values, so an update touches
 * only the weights it changes, yet the final average equals the mean of the
 * weight over every training instance.
 *
 * Frozen image layout (little-endian, every part 8-byte aligned):
 *   header (64 bytes), slots[n_slots + 1] (8 bytes each), row data of
 *   n_units 4-byte units, zero padding to a multiple of 8 bytes.
 * A sparse row is a list of (uint16 class, int16 weight) pairs; a dense row
 * (flagged in its slot's start) is one int16 weight per class, padded with
 * zeros to a multiple of DENSE_BLOCK classes so that it is added in whole
 * vectors. Weights are multiples of the header's scale.
 * A feature's slot comes from its mixed id by multiply-shift range
 * reduction, followed by linear probing; a slot holds only a 32-bit
 * fingerprint, because a false match needs two independent 32-bit
 * coincidences and costs one slightly wrong score, never a crash.
 */
#include "perceptron.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* Training table: at most half full, so probes stay short. */
#define TRAIN_MIN_CAP 1024u
/* Frozen table: slots per stored feature. Misses (unseen features) are the
 * common lookup at run time, and linear probing's miss cost grows as
 * 1/(1-load)^2, so the load stays near 0.6. */
#define FROZEN_SLOTS_PER_FEATURE 1.66
#define IMAGE_MAGIC "SPCLIN02"
#define IMAGE_HEADER_BYTES 64u
#define QUANT_MAX 32767.0
/* A row is stored dense (one weight per class) when at least 1/DIVISOR of
 * its classes have weights: dense rows are added with a straight vectorisable
 * loop instead of a scatter, at most doubling their size. */
#define DENSE_DIVISOR 4u
/* Set in a slot's start when its row is dense. */
#define DENSE_FLAG 0x80000000u
/* Dense rows hold a multiple of this many weights (32 bytes). */
#define DENSE_BLOCK 16u

typedef struct image_header {
    char magic[8];
    uint32_t n_classes;
    uint32_t n_slots;
    uint32_t n_features;
    uint32_t n_units;   /* 4-byte units of row data */
    float scale;
    uint32_t reserved[9];
} image_header_t;

_Static_assert(sizeof(image_header_t) == IMAGE_HEADER_BYTES,
               "the image header is 64 bytes");
_Static_assert(sizeof(nlp__linear_slot_t) == 8, "slots are 8 bytes");

/* One class weight of a training row. */
typedef struct train_entry {
    uint32_t cls;
    uint32_t stamp; /* clock value when w last changed */
    float w;
    double total;   /* sum of w over instances before `stamp` */
} train_entry_t;

typedef struct train_row {
    train_entry_t *entries;
    uint32_t n, cap;
    uint64_t feature;
} train_row_t;

struct nlp__perceptron {
    const nlp_allocator_t *alloc;
    uint32_t n_classes;
    uint32_t clock;      /* training instances seen */
    uint64_t *keys;      /* slot -> feature id, 0 = empty */
    uint32_t *slot_rows; /* slot -> row index */
    size_t mask;
    train_row_t *rows;
    size_t n_rows, cap_rows;
};

/* A 64-bit finaliser (xor-shift-multiply) so that feature ids built by any
 * means spread evenly over slots. Deterministic on every platform. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ull;
    x ^= x >> 32;
    return x;
}

static inline uint32_t frozen_home(uint64_t mixed, uint32_t n_slots) {
    return (uint32_t)(((mixed & 0xffffffffull) * n_slots) >> 32);
}

static inline uint32_t frozen_fingerprint(uint64_t mixed) {
    uint32_t fp = (uint32_t)(mixed >> 32);
    return fp ? fp : 1;
}

nlp_status_t nlp__perceptron_create(const nlp_allocator_t *alloc,
                                    uint32_t n_classes,
                                    nlp__perceptron_t **out) {
    *out = NULL;
    if (n_classes == 0 || n_classes > NLP__PERCEPTRON_MAX_CLASSES)
        return nlp__fail(NLP_INVALID_ARG, "perceptron: %u classes (1..%u)",
                         n_classes, NLP__PERCEPTRON_MAX_CLASSES);
    alloc = nlp__allocator_or_default(alloc);
    nlp__perceptron_t *p = nlp__calloc(alloc, 1, sizeof *p);
    if (!p) return NLP_NOMEM;
    p->alloc = alloc;
    p->n_classes = n_classes;
    p->keys = nlp__calloc(alloc, TRAIN_MIN_CAP, sizeof *p->keys);
    p->slot_rows = nlp__calloc(alloc, TRAIN_MIN_CAP, sizeof *p->slot_rows);
    if (!p->keys || !p->slot_rows) {
        nlp__perceptron_free(p);
        return NLP_NOMEM;
    }
    p->mask = TRAIN_MIN_CAP - 1;
    *out = p;
    return NLP_OK;
}

void nlp__perceptron_free(nlp__perceptron_t *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_rows; i++)
        nlp__free(p->alloc, p->rows[i].entries);
    nlp__free(p->alloc, p->rows);
    nlp__free(p->alloc, p->keys);
    nlp__free(p->alloc, p->slot_rows);
    nlp__free(p->alloc, p);
}

uint32_t nlp__perceptron_n_classes(const nlp__perceptron_t *p) {
    return p->n_classes;
}

size_t nlp__perceptron_n_features(const nlp__perceptron_t *p) {
    return p->n_rows;
}

/* The row of `feature`, or NULL when it was never updated. */
static const train_row_t *find_row(const nlp__perceptron_t *p,
                                   uint64_t feature) {
    size_t i = (size_t)mix64(feature) & p->mask;
    for (;;) {
        uint64_t k = p->keys[i];
        if (k == feature) return &p->rows[p->slot_rows[i]];
        if (k == 0) return NULL;
        i = (i + 1) & p->mask;
    }
}

static nlp_status_t grow_table(nlp__perceptron_t *p) {
    size_t cap = (p->mask + 1) * 2;
    uint64_t *keys = nlp__calloc(p->alloc, cap, sizeof *keys);
    uint32_t *slot_rows = nlp__calloc(p->alloc, cap, sizeof *slot_rows);
    if (!keys || !slot_rows) {
        nlp__free(p->alloc, keys);
        nlp__free(p->alloc, slot_rows);
        return NLP_NOMEM;
    }
    for (size_t r = 0; r < p->n_rows; r++) {
        uint64_t f = p->rows[r].feature;
        size_t i = (size_t)mix64(f) & (cap - 1);
        while (keys[i]) i = (i + 1) & (cap - 1);
        keys[i] = f;
        slot_rows[i] = (uint32_t)r;
    }
    nlp__free(p->alloc, p->keys);
    nlp__free(p->alloc, p->slot_rows);
    p->keys = keys;
    p->slot_rows = slot_rows;
    p->mask = cap - 1;
    return NLP_OK;
}

/* The row of `feature`, created empty when missing; NULL when out of
 * memory. */
static train_row_t *find_or_add_row(nlp__perceptron_t *p, uint64_t feature) {
    size_t i = (size_t)mix64(feature) & p->mask;
    for (;;) {
        uint64_t k = p->keys[i];
        if (k == feature) return &p->rows[p->slot_rows[i]];
        if (k == 0) break;
        i = (i + 1) & p->mask;
    }
    if ((p->n_rows + 1) * 2 > p->mask + 1 || p->n_rows >= UINT32_MAX) {
        if (p->n_rows >= UINT32_MAX || grow_table(p)) return NULL;
        i = (size_t)mix64(feature) & p->mask;
        while (p->keys[i]) i = (i + 1) & p->mask;
    }
    if (p->n_rows == p->cap_rows) {
        size_t cap = p->cap_rows ? p->cap_rows * 2 : 1024;
        train_row_t *rows =
            nlp__realloc_array(p->alloc, p->rows, cap, sizeof *rows);
        if (!rows) return NULL;
        p->rows = rows;
        p->cap_rows = cap;
    }
    train_row_t *row = &p->rows[p->n_rows];
    memset(row, 0, sizeof *row);
    row->feature = feature;
    p->keys[i] = feature;
    p->slot_rows[i] = (uint32_t)p->n_rows++;
    return row;
}

void nlp__perceptron_scores(const nlp__perceptron_t *p, const uint64_t *feats,
                            size_t n_feats, float *scores) {
    memset(scores, 0, p->n_classes * sizeof *scores);
    for (size_t f = 0; f < n_feats; f++) {
        if (!feats[f]) continue;
        const train_row_t *row = find_row(p, feats[f]);
        if (!row) continue;
        for (uint32_t e = 0; e < row->n; e++)
            scores[row->entries[e].cls] += row->entries[e].w;
    }
}

/* Adds `delta` to the weight of `cls` in `row`, first settling the
 * weight's contribution to the running total up to now. */
static nlp_status_t bump(const nlp__perceptron_t *p, train_row_t *row,
                         uint32_t cls, float delta) {
    train_entry_t *e = NULL;
    for (uint32_t i = 0; i < row->n; i++) {
        if (row->entries[i].cls == cls) {
            e = &row->entries[i];
            break;
        }
    }
    if (!e) {
        if (row->n == row->cap) {
            uint32_t cap = row->cap ? row->cap * 2 : 2;
            train_entry_t *entries =
                nlp__realloc_array(p->alloc, row->entries, cap, sizeof *entries);
            if (!entries) return NLP_NOMEM;
            row->entries = entries;
            row->cap = cap;
        }
        e = &row->entries[row->n++];
        e->cls = cls;
        e->w = 0.0f;
        e->total = 0.0;
        e->stamp = p->clock;
    }
    e->total += (double)(p->clock - e->stamp) * e->w;
    e->stamp = p->clock;
    e->w += delta;
    return NLP_OK;
}

nlp_status_t nlp__perceptron_update(nlp__perceptron_t *p, const uint64_t *feats,
                                    size_t n_feats, uint32_t truth,
                                    uint32_t guess, float step) {
    if (truth == guess) return NLP_OK;
    if (truth >= p->n_classes || guess >= p->n_classes)
        return nlp__fail(NLP_INVALID_ARG, "perceptron: class %u or %u >= %u",
                         truth, guess, p->n_classes);
    for (size_t f = 0; f < n_feats; f++) {
        if (!feats[f]) continue;
        train_row_t *row = find_or_add_row(p, feats[f]);
        if (!row || bump(p, row, truth, step) || bump(p, row, guess, -step))
            return nlp__fail(NLP_NOMEM, "perceptron: out of memory in update");
    }
    return NLP_OK;
}

void nlp__perceptron_tick(nlp__perceptron_t *p) {
    if (p->clock < UINT32_MAX) p->clock++;
}

/* The averaged value of a weight: its mean over every instance so far, or
 * the current weight when no instance was ever counted. */
static double averaged(const nlp__perceptron_t *p, const train_entry_t *e) {
    if (p->clock == 0) return e->w;
    double total = e->total + (double)(p->clock - e->stamp) * e->w;
    return total / p->clock;
}

static int keep_weight(double avg, double min_weight) {
    return avg != 0.0 && fabs(avg) >= min_weight;
}

/* The quantised averaged weight of a training entry, or 0 when pruned. */
static int16_t quantised(const nlp__perceptron_t *p, const train_entry_t *e,
                         double min_weight, double scale) {
    double avg = averaged(p, e);
    if (!keep_weight(avg, min_weight)) return 0;
    long q = lrint(avg / scale);
    if (q > (long)QUANT_MAX) q = (long)QUANT_MAX;
    if (q < -(long)QUANT_MAX) q = -(long)QUANT_MAX;
    return (int16_t)q;
}

/* Units (4 bytes) of a dense row: one weight per class, padded. */
static uint32_t dense_units(uint32_t n_classes) {
    return (n_classes + DENSE_BLOCK - 1) / DENSE_BLOCK * (DENSE_BLOCK / 2);
}

/* Units (4 bytes) of a row with `n` surviving weights, and whether it is
 * stored dense. */
static uint32_t row_units(uint32_t n, uint32_t n_classes, int *dense) {
    *dense = (uint64_t)n * DENSE_DIVISOR >= n_classes;
    return *dense ? dense_units(n_classes) : n;
}

static int cmp_pair_cls(const void *a, const void *b) {
    const uint16_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

nlp_status_t nlp__perceptron_freeze(const nlp__perceptron_t *p, void **image,
                                    size_t *len) {
    return nlp__perceptron_freeze_opts(p, NULL, image, len);
}

nlp_status_t nlp__perceptron_freeze_opts(const nlp__perceptron_t *p,
                                         const nlp__freeze_opts_t *opts,
                                         void **image, size_t *len) {
    *image = NULL;
    *len = 0;
    double min_weight = opts ? opts->min_weight : 0.0;
    const uint32_t n_classes = p->n_classes;

    /* Pass 1: the largest surviving weight sets the quantisation step. */
    double max_abs = 0.0;
    for (size_t r = 0; r < p->n_rows; r++) {
        const train_row_t *row = &p->rows[r];
        for (uint32_t e = 0; e < row->n; e++) {
            double avg = averaged(p, &row->entries[e]);
            if (keep_weight(avg, min_weight) && fabs(avg) > max_abs)
                max_abs = fabs(avg);
        }
    }
    double scale = max_abs > 0.0 ? max_abs / QUANT_MAX : 1.0;

    /* Pass 2: surviving weights per row (0: the feature is dropped). */
    uint32_t *kept = nlp__calloc(p->alloc, p->n_rows ? p->n_rows : 1, sizeof *kept);
    if (!kept) return NLP_NOMEM;
    size_t n_features = 0, n_units = 0;
    for (size_t r = 0; r < p->n_rows; r++) {
        const train_row_t *row = &p->rows[r];
        for (uint32_t e = 0; e < row->n; e++)
            kept[r] += quantised(p, &row->entries[e], min_weight, scale) != 0;
        if (kept[r]) {
            int dense;
            n_features++;
            n_units += row_units(kept[r], n_classes, &dense);
        }
    }
    double want_slots = (double)n_features * FROZEN_SLOTS_PER_FEATURE + 8.0;
    if (want_slots > (double)(UINT32_MAX - 1) || n_units >= DENSE_FLAG) {
        nlp__free(p->alloc, kept);
        return nlp__fail(NLP_LIMIT, "perceptron: %zu features is too many",
                         n_features);
    }
    uint32_t n_slots = (uint32_t)want_slots;

    size_t slots_bytes = ((size_t)n_slots + 1) * sizeof(nlp__linear_slot_t);
    size_t total = IMAGE_HEADER_BYTES + slots_bytes + n_units * 4;
    total = (total + 7) & ~(size_t)7;
    uint8_t *buf = nlp__calloc(p->alloc, total, 1);
    uint32_t *slot_row = nlp__malloc(p->alloc, (size_t)n_slots * sizeof *slot_row);
    if (!buf || !slot_row) {
        nlp__free(p->alloc, buf);
        nlp__free(p->alloc, slot_row);
        nlp__free(p->alloc, kept);
        return NLP_NOMEM;
    }

    /* Pass 3: place features in slots. A feature whose fingerprint already
     * sits on its probe path would be shadowed by it at lookup, so it is
     * dropped (about one in four billion). */
    nlp__linear_slot_t *slots = (nlp__linear_slot_t *)(buf + IMAGE_HEADER_BYTES);
    for (uint32_t s = 0; s < n_slots; s++) slot_row[s] = UINT32_MAX;
    size_t placed = 0;
    for (size_t r = 0; r < p->n_rows; r++) {
        if (!kept[r]) continue;
        uint64_t mixed = mix64(p->rows[r].feature);
        uint32_t fp = frozen_fingerprint(mixed);
        uint32_t s = frozen_home(mixed, n_slots);
        while (slots[s].fingerprint && slots[s].fingerprint != fp)
            if (++s == n_slots) s = 0;
        if (slots[s].fingerprint) continue;
        slots[s].fingerprint = fp;
        slot_row[s] = (uint32_t)r;
        placed++;
    }

    /* Pass 4: rows in slot order. Sparse rows are (class, weight) pairs in
     * class order; dense rows are one weight per class. */
    uint16_t *cells = (uint16_t *)(buf + IMAGE_HEADER_BYTES + slots_bytes);
    uint32_t next = 0;
    for (uint32_t s = 0; s < n_slots; s++) {
        slots[s].start = next;
        if (slot_row[s] == UINT32_MAX) continue;
        const train_row_t *row = &p->rows[slot_row[s]];
        int dense;
        uint32_t units = row_units(kept[slot_row[s]], n_classes, &dense);
        uint16_t *out = cells + 2 * (size_t)next;
        uint32_t n = 0;
        for (uint32_t e = 0; e < row->n; e++) {
            int16_t q = quantised(p, &row->entries[e], min_weight, scale);
            if (q == 0) continue;
            if (dense) {
                out[row->entries[e].cls] = (uint16_t)q;
            } else {
                out[2 * n] = (uint16_t)row->entries[e].cls;
                out[2 * n + 1] = (uint16_t)q;
                n++;
            }
        }
        if (!dense) qsort(out, n, 2 * sizeof *out, cmp_pair_cls);
        else slots[s].start |= DENSE_FLAG;
        next += units;
    }
    slots[n_slots].fingerprint = 0;
    slots[n_slots].start = next;

    image_header_t h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, IMAGE_MAGIC, sizeof h.magic);
    h.n_classes = n_classes;
    h.n_slots = n_slots;
    h.n_features = (uint32_t)placed;
    h.n_units = next;
    h.scale = (float)scale;
    memcpy(buf, &h, sizeof h);
    /* Dropped fingerprint twins leave unused space at the end; the length
     * reported is the exact length of what was written. */
    total = IMAGE_HEADER_BYTES + slots_bytes + (size_t)next * 4;
    total = (total + 7) & ~(size_t)7;

    nlp__free(p->alloc, slot_row);
    nlp__free(p->alloc, kept);
    *image = buf;
    *len = total;
    return NLP_OK;
}

/* Whether slot s owns a well-formed part of the row data: rows follow one
 * another (a row running backwards has a length past n_units, as starts
 * are below 2^31), an empty slot owns nothing, a dense row has one (padded)
 * weight per class. Branch-free, as it runs on every slot at load time. */
static inline uint32_t slot_ok(const nlp__linear_slot_t *slots, uint32_t s,
                               uint32_t n_units, uint32_t dense_len) {
    uint32_t start = slots[s].start;
    uint32_t len = (slots[s + 1].start & ~DENSE_FLAG) - (start & ~DENSE_FLAG);
    uint32_t dense = start >> 31, empty = slots[s].fingerprint == 0;
    uint32_t bad = (len > n_units) | (empty & ((len != 0) | dense)) |
                   (dense & (len != dense_len));
    return bad ^ 1u;
}

/* The largest class named in the sparse pairs of units [a, b) (0 when
 * there are none). */
static uint32_t max_class(const uint16_t *cells, uint32_t a, uint32_t b) {
    uint16_t top = 0;
    for (size_t u = a; u < b; u++) top = cells[2 * u] > top ? cells[2 * u] : top;
    return top;
}

nlp_status_t nlp__linear_open(const void *image, size_t len,
                              nlp__linear_t *out) {
    memset(out, 0, sizeof *out);
    if (!image || ((uintptr_t)image & 7) != 0)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: image not 8-byte aligned");
    if (len < IMAGE_HEADER_BYTES)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: %zu bytes is too short", len);
    image_header_t h;
    memcpy(&h, image, sizeof h);
    /* Another version of the image (same 6-byte stem) needs retraining. */
    if (memcmp(h.magic, IMAGE_MAGIC, 6) == 0 && memcmp(h.magic, IMAGE_MAGIC, 8) != 0)
        return nlp__fail(NLP_MODEL_VERSION, "linear model: format %.8s, this library reads %s",
                         h.magic, IMAGE_MAGIC);
    if (memcmp(h.magic, IMAGE_MAGIC, sizeof h.magic) != 0)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: bad magic");
    if (h.n_classes == 0 || h.n_classes > NLP__PERCEPTRON_MAX_CLASSES)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: %u classes", h.n_classes);
    if (h.n_slots == 0 || h.n_features >= h.n_slots || h.n_units >= DENSE_FLAG)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "linear model: %u features in %u slots (needs a free slot)",
                         h.n_features, h.n_slots);
    if (!isfinite(h.scale) || h.scale <= 0.0f)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: bad scale");
    size_t expect = IMAGE_HEADER_BYTES +
                    ((size_t)h.n_slots + 1) * sizeof(nlp__linear_slot_t) +
                    (size_t)h.n_units * 4;
    expect = (expect + 7) & ~(size_t)7;
    if (len != expect)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "linear model: %zu bytes, header says %zu", len, expect);

    const nlp__linear_slot_t *slots =
        (const nlp__linear_slot_t *)((const uint8_t *)image + IMAGE_HEADER_BYTES);
    const uint16_t *cells = (const uint16_t *)(slots + h.n_slots + 1);
    /* Rows must tile [0, n_units) in slot order, empty slots own nothing,
     * dense rows hold exactly one (padded) weight per class, and sparse rows
     * name valid classes: that makes every probe loop terminate and every
     * read stay inside the image. A dense row's padding only ever reaches
     * the padding of the scorer's accumulators. */
    if ((slots[0].start & ~DENSE_FLAG) != 0 || slots[h.n_slots].start != h.n_units ||
        slots[h.n_slots].fingerprint != 0)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: bad slot bounds");
    uint32_t dense_len = dense_units(h.n_classes);
    uint32_t occupied = 0, ok = 1;
    for (uint32_t s = 0; s < h.n_slots; s++) {
        ok &= slot_ok(slots, s, h.n_units, dense_len);
        occupied += slots[s].fingerprint != 0;
    }
    if (!ok) {
        uint32_t s = 0;
        while (slot_ok(slots, s, h.n_units, dense_len)) s++;
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: bad slot %u", s);
    }
    /* The rows tile the data, so the sparse ones fill the gaps between the
     * (few) dense ones, and their classes are checked gap by gap. */
    uint32_t top = 0, gap = 0;
    for (uint32_t s = 0; s < h.n_slots; s++) {
        if (!(slots[s].start & DENSE_FLAG)) continue;
        uint32_t m = max_class(cells, gap, slots[s].start & ~DENSE_FLAG);
        top = m > top ? m : top;
        gap = slots[s + 1].start & ~DENSE_FLAG;
    }
    uint32_t m = max_class(cells, gap, h.n_units);
    top = m > top ? m : top;
    if (top >= h.n_classes)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: class %u out of range", top);
    if (occupied != h.n_features)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: %u features, header says %u",
                         occupied, h.n_features);

    out->n_classes = h.n_classes;
    out->n_slots = h.n_slots;
    out->n_features = h.n_features;
    out->n_units = h.n_units;
    out->scale = h.scale;
    out->slots = slots;
    out->cells = cells;
    return NLP_OK;
}

/* Scoring sums quantised weights as int32 over a window of classes (all
 * of them unless a model has more than SCORE_WINDOW). Integer sums are
 * exact, so the order of the features does not matter, and the single
 * conversion per class at the end is cheaper than converting every
 * weight. */
#define SCORE_WINDOW 2048u
/* Features looked up together: the cache misses of one stage overlap, and
 * a whole parser state's features fit in one batch. */
#define SCORE_BATCH 128u

_Static_assert(SCORE_WINDOW % DENSE_BLOCK == 0, "windows start on a dense block");

/* The row loops are compiled once more for AVX2, and the variant is picked
 * at load time (an ifunc, hence glibc); the results are the same. Not under
 * ThreadSanitizer: an ifunc resolver runs before the sanitizer's runtime is
 * ready, and its instrumented entry crashes. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SCORE_NO_IFUNC 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SCORE_NO_IFUNC 1
#endif
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__has_attribute) && \
    !defined(SCORE_NO_IFUNC)
#if __has_attribute(target_clones)
#define SCORE_MULTI_ISA __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef SCORE_MULTI_ISA
#define SCORE_MULTI_ISA
#endif
/* The scoring helpers must be inlined into each variant to be compiled for
 * its instruction set. */
#if defined(__GNUC__)
#define SCORE_INLINE __attribute__((always_inline)) inline
#else
#define SCORE_INLINE inline
#endif

/* Adds the row of slot s, restricted to classes [lo, lo + n), to acc; lo
 * and n are multiples of DENSE_BLOCK, so dense rows go in whole blocks.
 * `windowed` is a constant at each call: without a window every class of a
 * sparse row is in range (the image was validated), so the check goes. */
static SCORE_INLINE void add_row(const nlp__linear_t *m, uint32_t s, uint32_t lo,
                                 uint32_t n, int windowed, int32_t *restrict acc) {
    uint32_t start = m->slots[s].start;
    const uint16_t *row = m->cells + 2 * (size_t)(start & ~DENSE_FLAG);
    if (start & DENSE_FLAG) {
        const int16_t *w = (const int16_t *)row + lo;
        int32_t *a = acc;
        for (uint32_t c = 0; c < n; c += DENSE_BLOCK, w += DENSE_BLOCK, a += DENSE_BLOCK)
            for (size_t j = 0; j < DENSE_BLOCK; j++) a[j] += w[j];
    } else {
        const uint16_t *end = m->cells + 2 * (size_t)(m->slots[s + 1].start & ~DENSE_FLAG);
        for (const uint16_t *pair = row; pair < end; pair += 2) {
            uint32_t c = (uint32_t)pair[0] - lo; /* wraps below lo */
            if (!windowed || c < n) acc[c] += (int16_t)pair[1];
        }
    }
}

/* Prefetches the cache lines of the row data [row, end): all of them for
 * rows up to 4 lines long (the dense rows of up to about 100 classes), else
 * the first three and the last. Without this, the lines after a row's
 * first are demand misses that the add stage waits for. */
static SCORE_INLINE void prefetch_row(const uint16_t *row, const uint16_t *end) {
    uintptr_t r = (uintptr_t)row, last = (uintptr_t)end - 1;
    __builtin_prefetch(row);
    __builtin_prefetch((const void *)(r + 64 < last ? r + 64 : last));
    __builtin_prefetch((const void *)(r + 128 < last ? r + 128 : last));
    __builtin_prefetch((const void *)last);
}

/* Finds the slots of feats[0..n) (n <= SCORE_BATCH) and stores those
 * present in found[]; returns how many. Lookups are independent cache
 * misses, so they are staged: every home slot is prefetched before the
 * first is probed, and every row found is prefetched before any is read. */
static SCORE_INLINE size_t find_slots(const nlp__linear_t *m, const uint64_t *feats,
                                       size_t n, uint32_t *found) {
    const nlp__linear_slot_t *slots = m->slots;
    const uint32_t n_slots = m->n_slots;
    uint32_t fps[SCORE_BATCH], home[SCORE_BATCH];
    for (size_t i = 0; i < n; i++) {
        uint64_t mixed = mix64(feats[i]);
        fps[i] = feats[i] ? frozen_fingerprint(mixed) : 0;
        home[i] = frozen_home(mixed, n_slots);
        __builtin_prefetch(&slots[home[i]]);
    }
    size_t n_found = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t fp = fps[i], s = home[i];
        if (!fp) continue;
        for (;;) {
            uint32_t have = slots[s].fingerprint;
            if (have == fp) {
                found[n_found++] = s;
                prefetch_row(m->cells + 2 * (size_t)(slots[s].start & ~DENSE_FLAG),
                             m->cells + 2 * (size_t)(slots[s + 1].start & ~DENSE_FLAG));
                break;
            }
            if (have == 0) break;
            if (++s == n_slots) s = 0;
        }
    }
    return n_found;
}

/* Sums the rows of feats for classes [lo, lo + n) into acc. */
static SCORE_INLINE void score_window(const nlp__linear_t *m, const uint64_t *feats,
                                      size_t n_feats, uint32_t lo, uint32_t n,
                                      int windowed, int32_t *restrict acc) {
    uint32_t found[SCORE_BATCH];
    memset(acc, 0, n * sizeof *acc);
    for (size_t base = 0; base < n_feats; base += SCORE_BATCH) {
        size_t batch = n_feats - base < SCORE_BATCH ? n_feats - base : SCORE_BATCH;
        size_t n_found = find_slots(m, feats + base, batch, found);
        for (size_t i = 0; i < n_found; i++) add_row(m, found[i], lo, n, windowed, acc);
    }
}

/* All classes at once (n: the class count padded to DENSE_BLOCK). */
SCORE_MULTI_ISA
static void score_all(const nlp__linear_t *m, const uint64_t *feats,
                      size_t n_feats, uint32_t n, int32_t *restrict acc) {
    score_window(m, feats, n_feats, 0, n, 0, acc);
}

/* One window of classes, for models with more than SCORE_WINDOW. */
SCORE_MULTI_ISA
static void score_part(const nlp__linear_t *m, const uint64_t *feats,
                       size_t n_feats, uint32_t lo, uint32_t n,
                       int32_t *restrict acc) {
    score_window(m, feats, n_feats, lo, n, 1, acc);
}

void nlp__linear_scores(const nlp__linear_t *m, const uint64_t *feats,
                        size_t n_feats, float *scores) {
    int32_t acc[SCORE_WINDOW];
    const float scale = m->scale;
    const uint32_t n_padded = dense_units(m->n_classes) * 2;
    if (n_padded <= SCORE_WINDOW) {
        score_all(m, feats, n_feats, n_padded, acc);
        for (uint32_t c = 0; c < m->n_classes; c++) scores[c] = (float)acc[c] * scale;
        return;
    }
    for (uint32_t lo = 0; lo < m->n_classes; lo += SCORE_WINDOW) {
        uint32_t n = n_padded - lo < SCORE_WINDOW ? n_padded - lo : SCORE_WINDOW;
        score_part(m, feats, n_feats, lo, n, acc);
        for (uint32_t c = 0; c < n && lo + c < m->n_classes; c++)
            scores[lo + c] = (float)acc[c] * scale;
    }
}
