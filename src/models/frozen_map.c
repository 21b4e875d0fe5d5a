/* The frozen hash map: built at training time, read in place. */
#include "frozen_map.h"

#include <string.h>

#include "core/alloc.h"
#include "core/table.h"

#define MAP_MAGIC "SPCMAP01"
#define MAP_HEADER 16u

/* Keys are hashes already, but callers may build them by any means; one
 * multiply spreads them before the range reduction. */
static inline uint32_t home_slot(uint64_t key, uint32_t n_slots) {
    uint64_t h = (key ^ (key >> 29)) * 0xbf58476d1ce4e5b9ull;
    return (uint32_t)(((h >> 32) * (uint64_t)n_slots) >> 32);
}

static size_t image_size(uint32_t n_slots) {
    size_t len = MAP_HEADER + (size_t)n_slots * (sizeof(uint64_t) + sizeof(uint32_t));
    return (len + 7) & ~(size_t)7;
}

nlp_status_t nlp__frozen_map_build(const nlp_allocator_t *alloc,
                                   const uint64_t *keys, const uint32_t *values,
                                   size_t n, void **image, size_t *len) {
    *image = NULL;
    *len = 0;
    /* About 60% full: misses (unknown words) stay short. */
    if (n > (UINT32_MAX / 2))
        return nlp__fail(NLP_LIMIT, "frozen map: %zu keys is too many", n);
    uint32_t n_slots = (uint32_t)(n + n / 2 + n / 8 + 1);
    uint8_t *buf = nlp__calloc(alloc, image_size(n_slots), 1);
    if (!buf) return NLP_NOMEM;
    uint64_t *slot_keys = (uint64_t *)(buf + MAP_HEADER);
    uint32_t *slot_values = (uint32_t *)(slot_keys + n_slots);
    for (size_t i = 0; i < n; i++) {
        if (keys[i] == 0) {
            nlp__free(alloc, buf);
            return nlp__fail(NLP_INVALID_ARG, "frozen map: key 0");
        }
        uint32_t s = home_slot(keys[i], n_slots);
        while (slot_keys[s] && slot_keys[s] != keys[i])
            if (++s == n_slots) s = 0;
        if (slot_keys[s]) {
            nlp__free(alloc, buf);
            return nlp__fail(NLP_INVALID_ARG, "frozen map: duplicate key %016llx",
                             (unsigned long long)keys[i]);
        }
        slot_keys[s] = keys[i];
        slot_values[s] = values[i];
    }
    memcpy(buf, MAP_MAGIC, 8);
    uint32_t counts[2] = {n_slots, (uint32_t)n};
    memcpy(buf + 8, counts, sizeof counts);
    *image = buf;
    *len = image_size(n_slots);
    return NLP_OK;
}

nlp_status_t nlp__frozen_map_open(const void *image, size_t len,
                                  nlp__frozen_map_t *out) {
    memset(out, 0, sizeof *out);
    if (!image || ((uintptr_t)image & 7) != 0 || len < MAP_HEADER)
        return nlp__fail(NLP_MODEL_CORRUPT, "frozen map: short or misaligned image");
    const uint8_t *b = image;
    uint32_t counts[2];
    memcpy(counts, b + 8, sizeof counts);
    /* The slot count is bounded by the length first: n_slots * 12 may wrap
     * a 32-bit size_t. */
    if (memcmp(b, MAP_MAGIC, 8) != 0 || counts[0] == 0 || counts[1] >= counts[0] ||
        counts[0] > (len - MAP_HEADER) / (sizeof(uint64_t) + sizeof(uint32_t)) ||
        len != image_size(counts[0]))
        return nlp__fail(NLP_MODEL_CORRUPT, "frozen map: bad header");
    const uint64_t *keys = (const uint64_t *)(b + MAP_HEADER);
    nlp_status_t st = nlp__check_used_keys(keys, counts[0], counts[1], "frozen map");
    if (st) return st;
    out->n_slots = counts[0];
    out->n_items = counts[1];
    out->keys = keys;
    out->values = (const uint32_t *)(keys + counts[0]);
    return NLP_OK;
}

int nlp__frozen_map_get(const nlp__frozen_map_t *m, uint64_t key,
                        uint32_t *value) {
    if (!key || !m->n_slots) return 0;
    uint32_t s = home_slot(key, m->n_slots);
    for (;;) {
        uint64_t k = m->keys[s];
        if (k == key) {
            *value = m->values[s];
            return 1;
        }
        if (k == 0) return 0;
        if (++s == m->n_slots) s = 0;
    }
}
