/* The averaged perceptron: sparse training rows with lazy averaging, and
 * the compact frozen image used at run time.
 *
 * Averaging follows the usual timestamp trick: each weight remembers when it
 * last changed and the running sum of its past values, so an update touches
 * only the weights it changes, yet the final average equals the mean of the
 * weight over every training instance.
 *
 * Frozen image layout (little-endian):
 *   header (64 bytes);
 *   slots[n_slots] (4 bytes each, in blocks of BLOCK_SLOTS): 0 when empty,
 *     else a fingerprint in the high bits and the row's length (in 4-byte
 *     units) in the low len_bits bits;
 *   block_starts[n_slots / BLOCK_SLOTS + 1]: where each block's first row
 *     starts; the last is where the rows end;
 *   row data of n_units 4-byte units, zero padding to a multiple of 8.
 * Rows follow one another in slot order, so a row starts at its block's
 * start plus the lengths in the slots before it: about 6 bytes of table a
 * feature against 13 for 8-byte slots holding a start. A sparse row is a
 * list of (uint16 class, int16 weight) pairs; a dense row is one int16
 * weight per class, padded with zeros to a multiple of DENSE_BLOCK classes,
 * and is the only row that long. Weights are multiples of the header's
 * scale. A feature's home slot comes from the low half of its mixed id by
 * multiply-shift range reduction, followed by linear probing, and its
 * fingerprint from the high half: an unseen feature matches a stored one
 * with odds of about one in 2^(32 - len_bits) per slot probed (1 in 67
 * million for the parser), which costs one slightly wrong score, never a
 * crash.
 */
#include "perceptron.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* Training table: at most half full, so probes stay short. */
#define TRAIN_MIN_CAP 1024u
/* Frozen table: slots per stored feature (load 0.7). Misses (unseen
 * features) are the common lookup at run time, and a probe of 4-byte slots
 * mostly stays in one cache line; loads of 0.6, 0.8 and 0.9 all scored
 * more slowly (models/README.md, "The weight format"). */
#define FROZEN_SLOTS_PER_FEATURE 1.43
/* Slots per block: one cache line. */
#define BLOCK_SLOTS 16u
#define IMAGE_MAGIC "SPCLIN03"
#define IMAGE_HEADER_BYTES 64u
#define QUANT_MAX 32767.0
/* Dense rows hold a multiple of this many weights (32 bytes), so that
 * they are added in whole vectors. */
#define DENSE_BLOCK 16u
/* Limits that keep every offset of an image within 32 bits. */
#define MAX_FEATURES 0x3fffffffu
#define MAX_UNITS 0x7fffffffu

typedef struct image_header {
    char magic[8];
    uint32_t n_classes;
    uint32_t n_slots;
    uint32_t n_features;
    uint32_t n_units;   /* 4-byte units of row data */
    float scale;
    uint32_t len_bits;  /* low bits of an entry that hold its row length */
    uint32_t reserved[8];
} image_header_t;

_Static_assert(sizeof(image_header_t) == IMAGE_HEADER_BYTES,
               "the image header is 64 bytes");

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

/* A feature's home slot, from the low half of its mixed id. */
static inline uint32_t frozen_home(uint64_t mixed, uint32_t n_slots) {
    return (uint32_t)(((mixed & 0xffffffffull) * n_slots) >> 32);
}

/* The fingerprint of a mixed feature id: the high bits its entry has room
 * for beside a row length of len_bits bits. */
static inline uint32_t frozen_fingerprint(uint64_t mixed, uint32_t len_bits) {
    return (uint32_t)(mixed >> 32) >> len_bits;
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
 * stored dense: when that at most doubles its size. A sparse row is thus
 * always shorter than a dense one, so a row's length tells its kind. */
static uint32_t row_units(uint32_t n, uint32_t n_classes, int *dense) {
    *dense = (uint64_t)n * 2 >= dense_units(n_classes);
    return *dense ? dense_units(n_classes) : n;
}

static int cmp_pair_cls(const void *a, const void *b) {
    const uint16_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Bits needed to write v (at least 1). */
static uint32_t bit_width(uint32_t v) {
    uint32_t bits = 1;
    while (bits < 32 && (v >> bits) != 0) bits++;
    return bits;
}

/* Where a frozen image's parts start, from its header's counts. */
typedef struct image_layout {
    size_t slots, block_starts, cells, total;
} image_layout_t;

static image_layout_t layout_of(uint32_t n_slots, uint32_t n_units) {
    image_layout_t l;
    l.slots = IMAGE_HEADER_BYTES;
    l.block_starts = l.slots + (size_t)n_slots * sizeof(uint32_t);
    l.cells = l.block_starts + ((size_t)n_slots / BLOCK_SLOTS + 1) * sizeof(uint32_t);
    l.total = (l.cells + (size_t)n_units * 4 + 7) & ~(size_t)7;
    return l;
}

nlp_status_t nlp__perceptron_freeze(const nlp__perceptron_t *p, void **image,
                                    size_t *len) {
    return nlp__perceptron_freeze_opts(p, NULL, image, len);
}

/* Places the kept rows in an open table of n_slots slots by linear
 * probing: slots[s] gets the row's fingerprint and length, slot_row[s] the
 * row. A row whose fingerprint already sits on its probe path would be
 * shadowed by it at lookup, so it is dropped (kept[r] = 0; about one
 * feature in ten million). Returns the rows placed and adds their
 * lengths to *n_units. */
static uint32_t place_rows(const nlp__perceptron_t *p, uint32_t *kept,
                           uint32_t n_slots, uint32_t len_bits,
                           uint32_t *slots, uint32_t *slot_row, size_t *n_units) {
    memset(slots, 0, (size_t)n_slots * sizeof *slots);
    uint32_t placed = 0;
    for (size_t r = 0; r < p->n_rows; r++) {
        if (!kept[r]) continue;
        uint64_t mixed = mix64(p->rows[r].feature);
        uint32_t fp = frozen_fingerprint(mixed, len_bits);
        uint32_t s = frozen_home(mixed, n_slots);
        while (slots[s] && (slots[s] >> len_bits) != fp)
            if (++s == n_slots) s = 0;
        if (slots[s]) {
            kept[r] = 0;
            continue;
        }
        int dense;
        uint32_t units = row_units(kept[r], p->n_classes, &dense);
        slots[s] = fp << len_bits | units;
        slot_row[s] = (uint32_t)r;
        *n_units += units;
        placed++;
    }
    return placed;
}

/* Writes the row data in slot order and each block's first row start. */
static void write_rows(const nlp__perceptron_t *p, const uint32_t *slot_row,
                       double min_weight, double scale, const nlp__linear_t *m,
                       uint32_t *block_starts, uint16_t *cells) {
    const uint32_t mask = (1u << m->len_bits) - 1;
    uint32_t next = 0;
    for (uint32_t s = 0; s < m->n_slots; s++) {
        if (s % BLOCK_SLOTS == 0) block_starts[s / BLOCK_SLOTS] = next;
        if (!m->slots[s]) continue;
        const train_row_t *row = &p->rows[slot_row[s]];
        uint32_t units = m->slots[s] & mask;
        int dense = units == m->dense_len;
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
        next += units;
    }
    block_starts[m->n_slots / BLOCK_SLOTS] = next;
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
    size_t n_features = 0;
    for (size_t r = 0; r < p->n_rows; r++) {
        const train_row_t *row = &p->rows[r];
        for (uint32_t e = 0; e < row->n; e++)
            kept[r] += quantised(p, &row->entries[e], min_weight, scale) != 0;
        n_features += kept[r] != 0;
    }
    if (n_features > MAX_FEATURES) {
        nlp__free(p->alloc, kept);
        return nlp__fail(NLP_LIMIT, "perceptron: %zu features is too many", n_features);
    }
    /* At least one slot stays empty, so that every probe ends. */
    size_t want = (size_t)((double)n_features * FROZEN_SLOTS_PER_FEATURE) + 1;
    nlp__linear_t m = {
        .n_classes = n_classes,
        .n_slots = (uint32_t)((want + BLOCK_SLOTS - 1) / BLOCK_SLOTS * BLOCK_SLOTS),
        .len_bits = bit_width(dense_units(n_classes)),
        .dense_len = dense_units(n_classes),
        .scale = (float)scale,
    };

    /* Pass 3: rows placed in slots, then written in slot order. */
    uint32_t *slots = nlp__malloc(p->alloc, (size_t)m.n_slots * sizeof *slots);
    uint32_t *slot_row = nlp__malloc(p->alloc, (size_t)m.n_slots * sizeof *slot_row);
    uint8_t *buf = NULL;
    size_t n_units = 0;
    image_layout_t l = {0};
    if (slots && slot_row) {
        m.n_features = place_rows(p, kept, m.n_slots, m.len_bits, slots, slot_row, &n_units);
        l = layout_of(m.n_slots, (uint32_t)(n_units <= MAX_UNITS ? n_units : 0));
        if (n_units <= MAX_UNITS) buf = nlp__calloc(p->alloc, l.total, 1);
    }
    if (!buf) {
        nlp__free(p->alloc, slots);
        nlp__free(p->alloc, slot_row);
        nlp__free(p->alloc, kept);
        return n_units > MAX_UNITS
                   ? nlp__fail(NLP_LIMIT, "perceptron: %zu weights is too many", n_units)
                   : NLP_NOMEM;
    }
    m.n_units = (uint32_t)n_units;
    memcpy(buf + l.slots, slots, (size_t)m.n_slots * sizeof *slots);
    m.slots = (const uint32_t *)(buf + l.slots);
    write_rows(p, slot_row, min_weight, scale, &m,
               (uint32_t *)(buf + l.block_starts), (uint16_t *)(buf + l.cells));

    image_header_t h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, IMAGE_MAGIC, sizeof h.magic);
    h.n_classes = n_classes;
    h.n_slots = m.n_slots;
    h.n_features = m.n_features;
    h.n_units = m.n_units;
    h.scale = (float)scale;
    h.len_bits = m.len_bits;
    memcpy(buf, &h, sizeof h);

    nlp__free(p->alloc, slots);
    nlp__free(p->alloc, slot_row);
    nlp__free(p->alloc, kept);
    *image = buf;
    *len = l.total;
    return NLP_OK;
}

/* The largest class named in the sparse pairs of units [a, b) (0 when
 * there are none). */
static uint32_t max_class(const uint16_t *cells, uint32_t a, uint32_t b) {
    uint16_t top = 0;
    for (size_t u = a; u < b; u++) top = cells[2 * u] > top ? cells[2 * u] : top;
    return top;
}

/* Checks every slot and block in one pass: an occupied slot's row is 1 to
 * dense_len units long, each block's first row starts where the rows before
 * it end, and the rows end with the data; that keeps every read inside the
 * image. Counts the occupied slots and finds the largest class a sparse row
 * names. Returns the first bad block, or the block count when all are
 * good. */
static uint32_t first_bad_block(const nlp__linear_t *m, uint32_t *occupied,
                                uint32_t *top) {
    const uint32_t mask = (1u << m->len_bits) - 1;
    const uint32_t n_blocks = m->n_slots / BLOCK_SLOTS;
    uint64_t at = 0; /* 64 bits: a damaged image's lengths may sum past 2^32 */
    *occupied = 0;
    *top = 0;
    for (uint32_t b = 0; b < n_blocks; b++) {
        if (m->block_starts[b] != at) return b;
        const uint32_t *block = m->slots + (size_t)b * BLOCK_SLOTS;
        uint32_t bad = 0, row = (uint32_t)at;
        for (uint32_t t = 0; t < BLOCK_SLOTS; t++) {
            uint32_t units = block[t] & mask, used = block[t] != 0;
            bad |= used & ((units == 0) | (units > m->dense_len));
            *occupied += used;
            at += units;
        }
        if (bad || at > m->n_units) return b;
        /* The block's rows lie inside the data: their classes can be read. */
        for (uint32_t t = 0; t < BLOCK_SLOTS; t++) {
            uint32_t units = block[t] & mask;
            if (units != m->dense_len) {
                uint32_t c = max_class(m->cells, row, row + units);
                *top = c > *top ? c : *top;
            }
            row += units;
        }
    }
    return at == m->n_units && m->block_starts[n_blocks] == at ? n_blocks : n_blocks - 1;
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
    if (h.len_bits != bit_width(dense_units(h.n_classes)))
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: %u-bit row lengths for %u classes",
                         h.len_bits, h.n_classes);
    if (h.n_slots == 0 || h.n_slots % BLOCK_SLOTS != 0 || h.n_features >= h.n_slots ||
        h.n_units > MAX_UNITS)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "linear model: %u features in %u slots (needs a free slot)",
                         h.n_features, h.n_slots);
    if (!isfinite(h.scale) || h.scale <= 0.0f)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: bad scale");
    image_layout_t l = layout_of(h.n_slots, h.n_units);
    if (len != l.total)
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "linear model: %zu bytes, header says %zu", len, l.total);

    const uint8_t *base = image;
    nlp__linear_t m = {
        .n_classes = h.n_classes,
        .n_slots = h.n_slots,
        .n_features = h.n_features,
        .n_units = h.n_units,
        .len_bits = h.len_bits,
        .dense_len = dense_units(h.n_classes),
        .scale = h.scale,
        .slots = (const uint32_t *)(base + l.slots),
        .block_starts = (const uint32_t *)(base + l.block_starts),
        .cells = (const uint16_t *)(base + l.cells),
    };
    uint32_t occupied, top, bad = first_bad_block(&m, &occupied, &top);
    if (bad != h.n_slots / BLOCK_SLOTS)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: bad block %u", bad);
    if (occupied != h.n_features)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: %u features, header says %u",
                         occupied, h.n_features);
    /* A dense row's padding only ever reaches the padding of the scorer's
     * accumulators; a sparse row's classes must exist. */
    if (top >= h.n_classes)
        return nlp__fail(NLP_MODEL_CORRUPT, "linear model: class %u out of range", top);
    *out = m;
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

/* A row found for a feature: where it starts in the row data and its
 * length, both in 4-byte units. */
typedef struct row_ref {
    uint32_t start, units;
} row_ref_t;

/* Adds the row `r`, restricted to classes [lo, lo + n), to acc; lo and n
 * are multiples of DENSE_BLOCK, so dense rows go in whole blocks.
 * `windowed` is a constant at each call: without a window every class of a
 * sparse row is in range (the image was validated), so the check goes. */
static SCORE_INLINE void add_row(const nlp__linear_t *m, row_ref_t r, uint32_t lo,
                                 uint32_t n, int windowed, int32_t *restrict acc) {
    const uint16_t *row = m->cells + 2 * (size_t)r.start;
    if (r.units == m->dense_len) {
        const int16_t *w = (const int16_t *)row + lo;
        int32_t *a = acc;
        for (uint32_t c = 0; c < n; c += DENSE_BLOCK, w += DENSE_BLOCK, a += DENSE_BLOCK)
            for (size_t j = 0; j < DENSE_BLOCK; j++) a[j] += w[j];
    } else {
        const uint16_t *end = row + 2 * (size_t)r.units;
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

/* Finds the rows of feats[0..n) (n <= SCORE_BATCH) and stores those
 * present in found[]; returns how many. Lookups are independent cache
 * misses, so they are staged: every home slot is prefetched before the
 * first is probed, and every row found is prefetched before any is read.
 * A row starts at its block's first row plus the lengths of the rows in
 * the slots before it in the block, which share its cache line. */
static SCORE_INLINE size_t find_rows(const nlp__linear_t *m, const uint64_t *feats,
                                     size_t n, row_ref_t *found) {
    const uint32_t *slots = m->slots;
    const uint32_t n_slots = m->n_slots, len_bits = m->len_bits;
    const uint32_t mask = (1u << len_bits) - 1;
    uint32_t fps[SCORE_BATCH], home[SCORE_BATCH];
    for (size_t i = 0; i < n; i++) {
        uint64_t mixed = mix64(feats[i]);
        fps[i] = frozen_fingerprint(mixed, len_bits);
        home[i] = frozen_home(mixed, n_slots);
        __builtin_prefetch(&slots[home[i]]);
        __builtin_prefetch(&m->block_starts[home[i] / BLOCK_SLOTS]);
    }
    size_t n_found = 0;
    for (size_t i = 0; i < n; i++) {
        if (!feats[i]) continue;
        uint32_t s = home[i], have;
        while ((have = slots[s]) != 0 && (have >> len_bits) != fps[i])
            if (++s == n_slots) s = 0;
        if (!have) continue;
        /* A whole block in a fixed loop: vectorised and branch-free. */
        const uint32_t *block = slots + s / BLOCK_SLOTS * BLOCK_SLOTS;
        uint32_t before = s % BLOCK_SLOTS, sum = 0;
        for (uint32_t t = 0; t < BLOCK_SLOTS; t++) sum += t < before ? block[t] & mask : 0;
        row_ref_t r = {m->block_starts[s / BLOCK_SLOTS] + sum, have & mask};
        found[n_found++] = r;
        prefetch_row(m->cells + 2 * (size_t)r.start,
                     m->cells + 2 * ((size_t)r.start + r.units));
    }
    return n_found;
}

/* Sums the rows of feats for classes [lo, lo + n) into acc. */
static SCORE_INLINE void score_window(const nlp__linear_t *m, const uint64_t *feats,
                                      size_t n_feats, uint32_t lo, uint32_t n,
                                      int windowed, int32_t *restrict acc) {
    row_ref_t found[SCORE_BATCH];
    memset(acc, 0, n * sizeof *acc);
    for (size_t base = 0; base < n_feats; base += SCORE_BATCH) {
        size_t batch = n_feats - base < SCORE_BATCH ? n_feats - base : SCORE_BATCH;
        size_t n_found = find_rows(m, feats + base, batch, found);
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
