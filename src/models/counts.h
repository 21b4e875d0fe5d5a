/* Counting helpers for the trainers: a set of distinct strings in
 * first-seen order, and counts of (group, item) pairs. Training-time only;
 * not thread-safe. */
#ifndef NLP_MODELS_COUNTS_H
#define NLP_MODELS_COUNTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/table.h"

typedef struct nlp__string_set {
    nlp__table_t index; /* string id -> position + 1 */
    char **items;       /* NUL-terminated copies */
    size_t n, cap;
} nlp__string_set_t;

nlp_status_t nlp__string_set_init(nlp__string_set_t *set,
                                  const nlp_allocator_t *alloc);
void nlp__string_set_free(nlp__string_set_t *set, const nlp_allocator_t *alloc);
/* The position of s[0..len) in the set, added when missing. Strings with
 * the same 64-bit id count as one. */
nlp_status_t nlp__string_set_add(nlp__string_set_t *set,
                                 const nlp_allocator_t *alloc, const char *s,
                                 size_t len, uint32_t *pos);

typedef struct nlp__pair_count {
    uint64_t group;
    uint32_t item, count;
    uint32_t aux; /* the caller's note from the first add */
} nlp__pair_count_t;

/* Counts pairs while adding; after nlp__pair_group the records are sorted
 * by (group, item) and `index` maps group -> first record + 1. */
typedef struct nlp__pair_counter {
    nlp__table_t index;
    nlp__pair_count_t *recs;
    size_t n, cap;
    int grouped;
} nlp__pair_counter_t;

nlp_status_t nlp__pair_init(nlp__pair_counter_t *pc, const nlp_allocator_t *alloc);
void nlp__pair_free(nlp__pair_counter_t *pc, const nlp_allocator_t *alloc);
nlp_status_t nlp__pair_add(nlp__pair_counter_t *pc, const nlp_allocator_t *alloc,
                           uint64_t group, uint32_t item, uint32_t aux);
nlp_status_t nlp__pair_group(nlp__pair_counter_t *pc, const nlp_allocator_t *alloc);
/* After grouping: the first record of `group` (its records follow, items
 * ascending), or SIZE_MAX when the group is absent. */
size_t nlp__pair_first(const nlp__pair_counter_t *pc, uint64_t group);
/* After grouping: the most frequent item of the group starting at record
 * `first` (ties: the smaller item) and, in *end, the record after the
 * group. */
uint32_t nlp__pair_best(const nlp__pair_counter_t *pc, size_t first, size_t *end);

#endif
