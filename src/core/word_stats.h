/* Word statistics from a large unlabelled corpus: each word's Brown cluster
 * and log probability. They are what lets the linear models generalise to
 * words the treebank never showed (Koo et al. 2008 for parsing, Turian et
 * al. 2010 for entities); lexemes carry them as `cluster` and `prob`.
 *
 * The table is keyed by a word's exact text (its string id) and stored
 * compactly, as it holds a few hundred thousand words: one 64-bit slot per
 * word, whose high half is a fingerprint of the key and low half the value.
 * Two words in one probe run with the same 32-bit fingerprint would share
 * statistics; the builder keeps the first and counts the rest as dropped.
 *
 * Image layout (little-endian, 8-byte aligned): 24-byte header (magic
 * "SPCWST01", uint32 slot count, uint32 word count, uint32 longest probe
 * distance, uint32 zero), then slots[n_slots]
 * (uint64: fingerprint << 32 | value, 0 = empty). A value packs the
 * cluster code in bits 0-23 and the quantised probability in bits 24-31
 * (q = round(-2 * log p), 1..255; 0: unknown).
 *
 * The image is immutable and used in place; lookups are thread-safe.
 */
#ifndef NLP_CORE_WORD_STATS_H
#define NLP_CORE_WORD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

/* Longest Brown cluster path stored, in bits. */
#define NLP__CLUSTER_MAX_BITS 23

/* A read-only view of a word-statistics image. */
typedef struct nlp__word_stats {
    uint32_t n_slots, n_words;
    uint32_t max_probe; /* lookups stop after this many slots past home */
    const uint64_t *slots;
} nlp__word_stats_t;

/* One word's statistics as the builder takes them. */
typedef struct nlp__word_stat {
    nlp_hash_t key;   /* string id of the word's text, non-zero */
    uint32_t cluster; /* cluster code (nlp__cluster_code), 0: none */
    float prob;       /* natural log probability, 0: unknown */
} nlp__word_stat_t;

/* The cluster code of a Brown cluster path of '0'/'1' characters: a 1
 * followed by the path's bits, so every path up to NLP__CLUSTER_MAX_BITS
 * bits has its own code and prefixes are shifts. 0 when the path is empty,
 * too long or not binary. */
uint32_t nlp__cluster_code(const char *path, size_t len);
/* The code of the first `bits` bits of a cluster's path (the whole path
 * when it is shorter); 0 stays 0. Prefixes are the coarser clusters. */
uint32_t nlp__cluster_prefix(uint32_t code, unsigned bits);

/* Freezes words[0..n) (distinct keys) into a new image (caller frees with
 * `alloc`, NULL: the C library's) that nlp__word_stats_open accepts.
 * *stored counts the words in it, *dropped those lost to fingerprint
 * clashes (either may be NULL). Words with neither a cluster nor a
 * probability are left out. */
nlp_status_t nlp__word_stats_build(const nlp_allocator_t *alloc,
                                   const nlp__word_stat_t *words, size_t n,
                                   void **image, size_t *len, size_t *stored,
                                   size_t *dropped);

/* Validates an image (8-byte aligned, outliving the view) and makes a view
 * of it; NLP_MODEL_CORRUPT with a detail when it is damaged. */
nlp_status_t nlp__word_stats_open(const void *image, size_t len,
                                  nlp__word_stats_t *out);

/* The statistics of the word with string id `key` ({key, 0, 0} when the
 * table does not have it or `stats` is NULL). */
nlp__word_stat_t nlp__word_stats_get(const nlp__word_stats_t *stats,
                                     nlp_hash_t key);

#endif
