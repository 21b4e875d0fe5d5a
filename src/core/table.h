/* An open-addressing hash table from 64-bit string ids to pointers.
 *
 * Keys are xxh3 hashes, already well mixed, so the slot is the key's low
 * bits and probing is linear. Key 0 marks an empty slot and cannot be
 * stored. The arrays come either from an allocator (permanent tables) or
 * from an arena (zone overlays, dropped with the arena). Lookups are
 * read-only and safe from many threads; inserts are not.
 */
#ifndef NLP_CORE_TABLE_H
#define NLP_CORE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef struct nlp__table {
    uint64_t *keys;
    void **vals;
    size_t mask;  /* capacity - 1; capacity is a power of two */
    size_t count;
    const nlp_allocator_t *alloc; /* exactly one of alloc and arena is set */
    nlp__arena_t *arena;
} nlp__table_t;

nlp_status_t nlp__table_init(nlp__table_t *t, const nlp_allocator_t *alloc,
                             nlp__arena_t *arena, size_t initial_cap);
void nlp__table_destroy(nlp__table_t *t);
/* The value stored for key, or NULL. */
void *nlp__table_get(const nlp__table_t *t, uint64_t key);
/* Stores key -> val, replacing any previous value. */
nlp_status_t nlp__table_put(nlp__table_t *t, uint64_t key, void *val);

/* Checks the key array of a stored open-addressing image (key 0: empty)
 * against its header: exactly `expected` of keys[0..n_slots) are set.
 * Lookups stop at an empty slot, so with expected < n_slots this also
 * guarantees one. NLP_MODEL_CORRUPT naming `what` otherwise. */
nlp_status_t nlp__check_used_keys(const uint64_t *keys, size_t n_slots, size_t expected,
                                  const char *what);

#endif
