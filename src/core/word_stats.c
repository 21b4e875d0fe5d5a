/* The word-statistics table: built at training time, read in place. */
#include "word_stats.h"

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "table.h"

#define STATS_MAGIC "SPCWST01"
#define STATS_HEADER 24u
#define CLUSTER_MASK 0xffffffu
#define PROB_SHIFT 24

uint32_t nlp__cluster_code(const char *path, size_t len) {
    if (len == 0 || len > NLP__CLUSTER_MAX_BITS) return 0;
    uint32_t code = 1;
    for (size_t i = 0; i < len; i++) {
        if (path[i] != '0' && path[i] != '1') return 0;
        code = code << 1 | (uint32_t)(path[i] - '0');
    }
    return code;
}

uint32_t nlp__cluster_prefix(uint32_t code, unsigned bits) {
    if (code == 0) return 0;
    unsigned len = 31u - (unsigned)__builtin_clz(code); /* bits after the lead 1 */
    return len > bits ? code >> (len - bits) : code;
}

/* Keys are xxh3 ids, already mixed: the low half picks the home slot, the
 * high half is the fingerprint (never 0, which marks an empty slot). */
static uint32_t home_slot(nlp_hash_t key, uint32_t n_slots) {
    return (uint32_t)(((uint64_t)(uint32_t)key * n_slots) >> 32);
}

static uint64_t fingerprint(nlp_hash_t key) {
    uint64_t f = key >> 32;
    return f ? f : 1;
}

static uint32_t quantise_prob(float prob) {
    if (!(prob < 0.0f)) return 0; /* unknown (or not a log probability) */
    if (prob <= -127.5f) return 255; /* also -inf, beyond lrintf's range */
    long q = lrintf(-2.0f * prob);
    return q < 1 ? 1 : q > 255 ? 255 : (uint32_t)q;
}

static size_t image_size(uint32_t n_slots) {
    return STATS_HEADER + (size_t)n_slots * sizeof(uint64_t);
}

nlp_status_t nlp__word_stats_build(const nlp_allocator_t *alloc,
                                   const nlp__word_stat_t *words, size_t n,
                                   void **image, size_t *len, size_t *stored_out,
                                   size_t *dropped) {
    *image = NULL;
    *len = 0;
    if (stored_out) *stored_out = 0;
    if (dropped) *dropped = 0;
    alloc = nlp__allocator_or_default(alloc);
    if (n > UINT32_MAX / 2)
        return nlp__fail(NLP_LIMIT, "word statistics: %zu words is too many", n);
    size_t n_stored = 0; /* words with something to look up */
    for (size_t i = 0; i < n; i++)
        n_stored += words[i].key && (words[i].cluster || quantise_prob(words[i].prob));
    /* Three quarters full: compact, and a miss still ends within a few
     * cache lines. */
    uint32_t n_slots = (uint32_t)(n_stored + n_stored / 3 + 1);
    uint8_t *buf = nlp__calloc(alloc, image_size(n_slots), 1);
    if (!buf) return NLP_NOMEM;
    uint64_t *slots = (uint64_t *)(buf + STATS_HEADER);
    uint32_t stored = 0, max_probe = 0;
    for (size_t i = 0; i < n; i++) {
        const nlp__word_stat_t *w = &words[i];
        uint64_t value = (w->cluster & CLUSTER_MASK) |
                         (uint64_t)quantise_prob(w->prob) << PROB_SHIFT;
        if (w->key == 0 || value == 0) continue; /* nothing to look up */
        uint64_t fp = fingerprint(w->key);
        uint32_t s = home_slot(w->key, n_slots), probe = 0;
        while (slots[s] && slots[s] >> 32 != fp) {
            if (++s == n_slots) s = 0;
            probe++;
        }
        if (slots[s]) {
            if (dropped) (*dropped)++;
            continue;
        }
        slots[s] = fp << 32 | value;
        stored++;
        if (probe > max_probe) max_probe = probe;
    }
    memcpy(buf, STATS_MAGIC, 8);
    uint32_t counts[4] = {n_slots, stored, max_probe, 0};
    memcpy(buf + 8, counts, sizeof counts);
    *image = buf;
    *len = image_size(n_slots);
    if (stored_out) *stored_out = stored;
    return NLP_OK;
}

nlp_status_t nlp__word_stats_open(const void *image, size_t len,
                                  nlp__word_stats_t *out) {
    memset(out, 0, sizeof *out);
    if (!image || ((uintptr_t)image & 7) != 0 || len < STATS_HEADER)
        return nlp__fail(NLP_MODEL_CORRUPT, "word statistics: short or misaligned image");
    const uint8_t *b = image;
    uint32_t counts[4]; /* slots, words, longest probe, reserved */
    memcpy(counts, b + 8, sizeof counts);
    /* The size is checked by division: n_slots * 8 may wrap a 32-bit size_t. */
    if (memcmp(b, STATS_MAGIC, 8) != 0 || counts[0] == 0 ||
        counts[1] >= counts[0] || counts[2] >= counts[0] || counts[3] != 0 ||
        (len - STATS_HEADER) % sizeof(uint64_t) != 0 ||
        (len - STATS_HEADER) / sizeof(uint64_t) != counts[0])
        return nlp__fail(NLP_MODEL_CORRUPT, "word statistics: bad header");
    const uint64_t *slots = (const uint64_t *)(b + STATS_HEADER);
    nlp_status_t st = nlp__check_used_keys(slots, counts[0], counts[1], "word statistics");
    if (st) return st;
    out->n_slots = counts[0];
    out->n_words = counts[1];
    out->max_probe = counts[2];
    out->slots = slots;
    return NLP_OK;
}

nlp__word_stat_t nlp__word_stats_get(const nlp__word_stats_t *stats,
                                     nlp_hash_t key) {
    nlp__word_stat_t r = {key, 0, 0.0f};
    if (!stats || !stats->n_slots || !key) return r;
    uint64_t fp = fingerprint(key);
    uint32_t s = home_slot(key, stats->n_slots);
    /* No word lies further from its home than the longest probe, so a
     * miss costs that much at most, whatever the image holds. */
    uint64_t slot;
    for (uint32_t probe = 0; probe <= stats->max_probe && (slot = stats->slots[s]) != 0;
         probe++) {
        if (slot >> 32 == fp) {
            uint32_t value = (uint32_t)slot;
            uint32_t q = value >> PROB_SHIFT;
            r.cluster = value & CLUSTER_MASK;
            r.prob = q ? -0.5f * (float)q : 0.0f;
            return r;
        }
        if (++s == stats->n_slots) s = 0;
    }
    return r;
}
