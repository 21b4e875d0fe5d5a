/* The entity lexicon: counting, freezing and lookups. */
#include "ner_lexicon.h"

#include <string.h>

#include "core/alloc.h"
#include "core/table.h"
#include "models/features.h"

#define IMAGE_MAGIC "SPCLEX01"
#define HEADER_BYTES 32u
/* Frozen slots per entry: misses are the common lookup, so keep probes
 * short. */
#define SLOTS_PER_ENTRY 1.5
/* Seeds that keep word keys and phrase keys apart. */
#define WORD_SEED 0x574f5244u
#define PHRASE_SEED 0x50485253u
/* Phrases matched in text must be entities at least this often (share
 * bucket >= 1, i.e. one occurrence in ten). */
#define MIN_MATCH_SHARE 1u

typedef struct image_header {
    char magic[8];
    uint32_t n_slots;
    uint32_t n_entries;
    uint32_t n_labels;
    uint32_t is_gazetteer; /* 0: a corpus lexicon, 1: a gazetteer */
    uint32_t reserved[2];
} image_header_t;

_Static_assert(sizeof(image_header_t) == HEADER_BYTES, "the header is 32 bytes");

static uint64_t word_key(uint64_t lower) { return nlp__feat1(WORD_SEED, lower); }

static uint64_t phrase_start(void) { return nlp__feat_start(PHRASE_SEED); }

/* The key of a phrase whose partial hash is h (never 0). */
static uint64_t phrase_key(uint64_t h) { return nlp__feat_end(h); }

/* ---- Counting ----------------------------------------------------------- */

typedef struct counter {
    const nlp_allocator_t *alloc;
    uint32_t n_labels;
    uint32_t width;     /* counts per entry: labels, total, lower, flags */
    uint64_t *keys;     /* open addressing, 0 = empty */
    uint32_t *index;    /* slot -> entry */
    size_t mask;
    uint32_t *counts;   /* n_entries * width */
    size_t n_entries, cap_entries;
} counter_t;

enum { C_TOTAL, C_LOWER, C_FLAGS, C_LABELS };

static nlp_status_t counter_init(counter_t *c, const nlp_allocator_t *alloc,
                                 uint32_t n_labels) {
    memset(c, 0, sizeof *c);
    c->alloc = alloc;
    c->n_labels = n_labels;
    c->width = C_LABELS + n_labels;
    c->mask = 4095;
    c->keys = nlp__calloc(alloc, c->mask + 1, sizeof *c->keys);
    c->index = nlp__calloc(alloc, c->mask + 1, sizeof *c->index);
    return c->keys && c->index ? NLP_OK : NLP_NOMEM;
}

static void counter_free(counter_t *c) {
    nlp__free(c->alloc, c->keys);
    nlp__free(c->alloc, c->index);
    nlp__free(c->alloc, c->counts);
}

/* The counts of `key`, or NULL when absent. */
static uint32_t *counter_find(const counter_t *c, uint64_t key) {
    for (size_t i = key & c->mask;; i = (i + 1) & c->mask) {
        if (c->keys[i] == key) return c->counts + (size_t)c->index[i] * c->width;
        if (c->keys[i] == 0) return NULL;
    }
}

static nlp_status_t counter_grow(counter_t *c) {
    size_t cap = (c->mask + 1) * 2;
    uint64_t *keys = nlp__calloc(c->alloc, cap, sizeof *keys);
    uint32_t *index = nlp__calloc(c->alloc, cap, sizeof *index);
    if (!keys || !index) {
        nlp__free(c->alloc, keys);
        nlp__free(c->alloc, index);
        return NLP_NOMEM;
    }
    for (size_t s = 0; s <= c->mask; s++) {
        if (!c->keys[s]) continue;
        size_t i = c->keys[s] & (cap - 1);
        while (keys[i]) i = (i + 1) & (cap - 1);
        keys[i] = c->keys[s];
        index[i] = c->index[s];
    }
    nlp__free(c->alloc, c->keys);
    nlp__free(c->alloc, c->index);
    c->keys = keys;
    c->index = index;
    c->mask = cap - 1;
    return NLP_OK;
}

/* The counts of `key`, made zero on first sight; NULL when out of memory. */
static uint32_t *counter_get(counter_t *c, uint64_t key) {
    uint32_t *found = counter_find(c, key);
    if (found) return found;
    if ((c->n_entries + 1) * 2 > c->mask + 1 && counter_grow(c)) return NULL;
    if (c->n_entries == c->cap_entries) {
        size_t cap = c->cap_entries ? c->cap_entries * 2 : 1024;
        uint32_t *counts = nlp__realloc_array(c->alloc, c->counts, cap * c->width,
                                              sizeof *counts);
        if (!counts) return NULL;
        c->counts = counts;
        c->cap_entries = cap;
    }
    size_t i = key & c->mask;
    while (c->keys[i]) i = (i + 1) & c->mask;
    c->keys[i] = key;
    c->index[i] = (uint32_t)c->n_entries;
    uint32_t *counts = c->counts + c->n_entries * c->width;
    memset(counts, 0, c->width * sizeof *counts);
    c->n_entries++;
    return counts;
}

/* Counts one entry of a phrase with `label`, marking its proper prefixes. */
static nlp_status_t count_phrase(counter_t *c, const uint64_t *lower, uint32_t len,
                                 uint32_t label) {
    uint64_t h = phrase_start();
    for (uint32_t k = 0; k < len; k++) {
        h = nlp__feat_add(h, lower[k]);
        uint32_t *p = counter_get(c, phrase_key(h));
        if (!p) return NLP_NOMEM;
        if (k + 1 < len) p[C_FLAGS] |= NLP__NER_LEX_PREFIX;
    }
    uint32_t *p = counter_find(c, phrase_key(h));
    p[C_FLAGS] |= NLP__NER_LEX_ENTRY;
    p[C_LABELS + label]++;
    return NLP_OK;
}

/* Pass 1: the gold entities, as phrases (with their prefixes) and as the
 * words inside them. */
static nlp_status_t count_entities(counter_t *c, const nlp__ner_lex_sent_t *s) {
    for (uint32_t e = 0; e < s->n_ents; e++) {
        const nlp__biluo_span_t *sp = &s->ents[e];
        if (sp->end > s->n || sp->start >= sp->end) continue;
        uint32_t label = sp->label < c->n_labels ? sp->label : c->n_labels - 1;
        for (uint32_t t = sp->start; t < sp->end; t++) {
            uint32_t *w = counter_get(c, word_key(s->lower[t]));
            if (!w) return NLP_NOMEM;
            w[C_LABELS + label]++;
        }
        uint32_t len = sp->end - sp->start;
        if (len > NLP__NER_LEX_MAX_PHRASE) continue;
        nlp_status_t st = count_phrase(c, s->lower + sp->start, len, label);
        if (st) return st;
    }
    return NLP_OK;
}

/* Pass 2: how often every word and every entity phrase occurs at all. */
static nlp_status_t count_occurrences(counter_t *c, const nlp__ner_lex_sent_t *s) {
    for (uint32_t i = 0; i < s->n; i++) {
        uint32_t *w = counter_get(c, word_key(s->lower[i]));
        if (!w) return NLP_NOMEM;
        w[C_TOTAL]++;
        w[C_LOWER] += s->is_lower[i] != 0;
        uint64_t h = phrase_start();
        for (uint32_t k = 0; k < NLP__NER_LEX_MAX_PHRASE && i + k < s->n; k++) {
            h = nlp__feat_add(h, s->lower[i + k]);
            uint32_t *p = counter_find(c, phrase_key(h));
            if (!p) break;
            if (p[C_FLAGS] & NLP__NER_LEX_ENTRY) p[C_TOTAL]++;
            if (!(p[C_FLAGS] & NLP__NER_LEX_PREFIX)) break;
        }
    }
    return NLP_OK;
}

/* ---- Codes -------------------------------------------------------------- */

/* 0: under a tenth, then under 0.3, 0.6, 0.9, and the rest. */
static uint32_t share_bucket(uint32_t part, uint32_t whole) {
    if (!whole || part * 10u < whole) return 0;
    if (part * 10u < whole * 3u) return 1;
    if (part * 10u < whole * 6u) return 2;
    if (part * 10u < whole * 9u) return 3;
    return 4;
}

static uint32_t freq_bucket(uint32_t n) {
    return n <= 1 ? 0 : n <= 3 ? 1 : n <= 15 ? 2 : 3;
}

static uint32_t code_of(const counter_t *c, const uint32_t *counts) {
    uint32_t best = 0, ents = 0;
    for (uint32_t l = 0; l < c->n_labels; l++) {
        ents += counts[C_LABELS + l];
        if (counts[C_LABELS + l] > counts[C_LABELS + best]) best = l;
    }
    uint32_t label = ents ? (best + 1 < NLP__NER_LEX_MAX_LABELS ? best + 1
                                                                : NLP__NER_LEX_MAX_LABELS)
                          : 0;
    /* Never, sometimes, mostly or always written in lower case. */
    uint32_t lc = counts[C_LOWER], total = counts[C_TOTAL];
    uint32_t lower = lc == 0 ? 0 : lc * 2 < total ? 1 : lc < total ? 2 : 3;
    return label | share_bucket(ents, total) << 8 |
           freq_bucket(total) << 11 | lower << 13 | counts[C_FLAGS];
}

/* The share bucket of every gazetteer entry: a listed name always is one,
 * so nlp__ner_lexicon_match lets it through. */
#define SHARE_ALWAYS 4u

/* A gazetteer code: the set of categories and SHARE_ALWAYS. */
static uint32_t gazetteer_code_of(const counter_t *c, const uint32_t *counts) {
    uint32_t mask = 0;
    for (uint32_t l = 0; l < c->n_labels; l++)
        if (counts[C_LABELS + l]) mask |= 1u << l;
    return mask | SHARE_ALWAYS << 8 | counts[C_FLAGS];
}

typedef uint32_t (*code_fn)(const counter_t *c, const uint32_t *counts);

static nlp_status_t freeze(const counter_t *c, code_fn code, uint32_t is_gazetteer,
                           void **image, size_t *len) {
    size_t n_slots = (size_t)((double)c->n_entries * SLOTS_PER_ENTRY) + 16;
    if (n_slots > UINT32_MAX / 2)
        return nlp__fail(NLP_LIMIT, "entity lexicon of %zu entries", c->n_entries);
    size_t keys_at = HEADER_BYTES;
    size_t codes_at = keys_at + n_slots * sizeof(uint64_t);
    size_t total = (codes_at + n_slots * sizeof(uint32_t) + 7) & ~(size_t)7;
    char *buf = nlp__calloc(c->alloc, 1, total);
    if (!buf) return NLP_NOMEM;
    image_header_t h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, IMAGE_MAGIC, sizeof h.magic);
    h.n_slots = (uint32_t)n_slots;
    h.n_entries = (uint32_t)c->n_entries;
    h.n_labels = c->n_labels;
    h.is_gazetteer = is_gazetteer;
    memcpy(buf, &h, sizeof h);
    uint64_t *keys = (uint64_t *)(buf + keys_at);
    uint32_t *codes = (uint32_t *)(buf + codes_at);
    for (size_t s = 0; s <= c->mask; s++) {
        uint64_t key = c->keys[s];
        if (!key) continue;
        size_t i = (size_t)(((key & 0xffffffffu) * n_slots) >> 32);
        while (keys[i]) i = i + 1 == n_slots ? 0 : i + 1;
        keys[i] = key;
        codes[i] = code(c, c->counts + (size_t)c->index[s] * c->width);
    }
    *image = buf;
    *len = total;
    return NLP_OK;
}

nlp_status_t nlp__ner_lexicon_build(const nlp_allocator_t *alloc,
                                    const nlp__ner_lex_sent_t *sents, size_t n,
                                    uint32_t n_labels, uint32_t exclude_fold,
                                    void **image, size_t *len) {
    *image = NULL;
    *len = 0;
    if (n_labels == 0) return nlp__fail(NLP_INVALID_ARG, "entity lexicon: no labels");
    alloc = nlp__allocator_or_default(alloc);
    counter_t c;
    nlp_status_t st = counter_init(&c, alloc, n_labels);
    for (size_t s = 0; s < n && !st; s++)
        if (sents[s].fold != exclude_fold) st = count_entities(&c, &sents[s]);
    for (size_t s = 0; s < n && !st; s++)
        if (sents[s].fold != exclude_fold) st = count_occurrences(&c, &sents[s]);
    if (!st) st = freeze(&c, code_of, 0, image, len);
    counter_free(&c);
    return st;
}


nlp_status_t nlp__ner_gazetteer_build(const nlp_allocator_t *alloc,
                                      const nlp__ner_gaz_entry_t *entries,
                                      size_t n, uint32_t n_categories,
                                      void **image, size_t *len) {
    *image = NULL;
    *len = 0;
    if (n_categories == 0 || n_categories > NLP__NER_GAZ_MAX_CATEGORIES)
        return nlp__fail(NLP_INVALID_ARG, "gazetteer: %u categories (1..%u)",
                         n_categories, NLP__NER_GAZ_MAX_CATEGORIES);
    alloc = nlp__allocator_or_default(alloc);
    counter_t c;
    nlp_status_t st = counter_init(&c, alloc, n_categories);
    for (size_t i = 0; i < n && !st; i++) {
        const nlp__ner_gaz_entry_t *e = &entries[i];
        if (e->category >= n_categories)
            st = nlp__fail(NLP_INVALID_ARG, "gazetteer: category %u of %u",
                           e->category, n_categories);
        else if (e->n >= 1 && e->n <= NLP__NER_LEX_MAX_PHRASE)
            st = count_phrase(&c, e->lower, e->n, e->category);
    }
    if (!st) st = freeze(&c, gazetteer_code_of, 1, image, len);
    counter_free(&c);
    return st;
}

/* ---- Lookups ------------------------------------------------------------ */

nlp_status_t nlp__ner_lexicon_open(const void *image, size_t len,
                                   nlp__ner_lexicon_t *out) {
    memset(out, 0, sizeof *out);
    image_header_t h;
    if (!image || ((uintptr_t)image & 7) || len < HEADER_BYTES)
        return nlp__fail(NLP_MODEL_CORRUPT, "entity lexicon: image of %zu bytes", len);
    memcpy(&h, image, sizeof h);
    if (memcmp(h.magic, IMAGE_MAGIC, sizeof h.magic) != 0)
        return nlp__fail(NLP_MODEL_CORRUPT, "entity lexicon: bad magic");
    size_t n_slots = h.n_slots;
    size_t need = HEADER_BYTES + n_slots * (sizeof(uint64_t) + sizeof(uint32_t));
    if (n_slots == 0 || n_slots > UINT32_MAX / 2 || need > len ||
        h.n_entries >= n_slots || h.is_gazetteer > 1)
        return nlp__fail(NLP_MODEL_CORRUPT, "entity lexicon: %zu slots in %zu bytes",
                         n_slots, len);
    const uint64_t *keys = (const uint64_t *)((const char *)image + HEADER_BYTES);
    nlp_status_t st = nlp__check_used_keys(keys, n_slots, h.n_entries, "entity lexicon");
    if (st) return st;
    out->n_slots = h.n_slots;
    out->n_entries = h.n_entries;
    out->n_labels = h.n_labels;
    out->is_gazetteer = h.is_gazetteer;
    out->keys = keys;
    out->codes = (const uint32_t *)(keys + n_slots);
    return NLP_OK;
}

static uint32_t lookup(const nlp__ner_lexicon_t *lx, uint64_t key) {
    if (!lx->n_slots) return 0;
    size_t i = (size_t)(((key & 0xffffffffu) * lx->n_slots) >> 32);
    for (;;) {
        uint64_t k = lx->keys[i];
        if (k == key) return lx->codes[i];
        if (k == 0) return 0;
        i = i + 1 == lx->n_slots ? 0 : i + 1;
    }
}

uint32_t nlp__ner_lexicon_word(const nlp__ner_lexicon_t *lx, uint64_t lower) {
    return lookup(lx, word_key(lower));
}

/* A phrase code without its flags when it is an entry, else 0. */
static uint32_t entry_code(uint32_t code) {
    return code & NLP__NER_LEX_ENTRY ? code & ~(NLP__NER_LEX_ENTRY | NLP__NER_LEX_PREFIX)
                                     : 0;
}

uint32_t nlp__ner_lexicon_one_word_entry(const nlp__ner_lexicon_t *lx, uint64_t lower) {
    return entry_code(lookup(lx, phrase_key(nlp__feat_add(phrase_start(), lower))));
}

void nlp__ner_lexicon_match(const nlp__ner_lexicon_t *lx, const uint64_t *lower,
                            uint32_t n, uint32_t *codes, uint32_t *one_word_codes) {
    memset(codes, 0, n * sizeof *codes);
    for (uint32_t i = 0; i < n;) {
        uint64_t h = phrase_start();
        uint32_t best_len = 0, best_code = 0;
        for (uint32_t k = 0; k < NLP__NER_LEX_MAX_PHRASE && i + k < n; k++) {
            h = nlp__feat_add(h, lower[i + k]);
            uint32_t code = lookup(lx, phrase_key(h));
            if (k == 0 && one_word_codes) one_word_codes[i] = entry_code(code);
            if ((code & NLP__NER_LEX_ENTRY) && NLP__NER_LEX_SHARE(code) >= MIN_MATCH_SHARE) {
                best_len = k + 1;
                best_code = entry_code(code);
            }
            if (!(code & NLP__NER_LEX_PREFIX)) break;
        }
        if (!best_len) {
            i++;
            continue;
        }
        for (uint32_t k = 0; k < best_len; k++) {
            uint32_t pos = best_len == 1 ? NLP__NER_LEX_POS_U
                           : k == 0      ? NLP__NER_LEX_POS_B
                           : k + 1 == best_len ? NLP__NER_LEX_POS_L
                                               : NLP__NER_LEX_POS_I;
            codes[i + k] = best_code | pos << 18 | NLP__NER_LEX_ENTRY;
            /* Words inside a longer match start no scan of their own. */
            if (k > 0 && one_word_codes)
                one_word_codes[i + k] = nlp__ner_lexicon_one_word_entry(lx, lower[i + k]);
        }
        i += best_len;
    }
}
