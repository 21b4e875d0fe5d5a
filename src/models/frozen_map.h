/* An immutable hash map from 64-bit keys to 32-bit values, built once and
 * stored in a model file, then used in place (mmap) by any number of
 * threads. Components keep their lexicons in it: word -> morphology,
 * (word, tag) -> lemma, word -> tag-ambiguity class.
 *
 * Image layout (little-endian): 16-byte header (magic "SPCMAP01", uint32
 * slot count, uint32 item count), keys[n_slots] (uint64, 0 = empty),
 * values[n_slots] (uint32), zero padding to a multiple of 8 bytes. Lookup
 * is linear probing from the key's home slot.
 */
#ifndef NLP_MODELS_FROZEN_MAP_H
#define NLP_MODELS_FROZEN_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

typedef struct nlp__frozen_map {
    uint32_t n_slots;
    uint32_t n_items;
    const uint64_t *keys;
    const uint32_t *values;
} nlp__frozen_map_t;

/* Builds an image holding keys[i] -> values[i] (keys non-zero and
 * distinct, else NLP_INVALID_ARG) in a new buffer the caller frees with
 * `alloc`. */
nlp_status_t nlp__frozen_map_build(const nlp_allocator_t *alloc,
                                   const uint64_t *keys, const uint32_t *values,
                                   size_t n, void **image, size_t *len);
/* Validates an image (8-byte aligned; it must outlive the view) and makes
 * a view of it; NLP_MODEL_CORRUPT when it is damaged. */
nlp_status_t nlp__frozen_map_open(const void *image, size_t len,
                                  nlp__frozen_map_t *out);
/* Stores the value of `key` in *value and returns 1, or returns 0 when the
 * key is absent (or 0). Thread-safe. */
int nlp__frozen_map_get(const nlp__frozen_map_t *m, uint64_t key,
                        uint32_t *value);

#endif
