/* Arenas: bump allocation from large chunks, released all at once.
 *
 * An arena hands out memory from chunks it takes from a chunk cache; reset
 * gives every chunk back to the cache (which keeps a bounded number for
 * reuse and frees the rest), so a steady loop of fill/reset makes no system
 * allocation. Under AddressSanitizer released chunks are poisoned and the
 * cache keeps none, so a use after reset is reported at the faulting line.
 * Not thread-safe: one arena (and its cache) per thread at a time.
 */
#ifndef NLP_CORE_ARENA_H
#define NLP_CORE_ARENA_H

#include <stddef.h>

#include "alloc.h"

typedef struct nlp__chunk nlp__chunk_t;

typedef struct nlp__chunk_cache {
    const nlp_allocator_t *alloc;
    nlp__chunk_t *free_list; /* released standard-size chunks */
    size_t n_free, max_free;
    size_t chunk_size;       /* standard chunk size */
    size_t system_allocs;    /* chunks taken from the allocator, ever */
} nlp__chunk_cache_t;

typedef struct nlp__arena {
    nlp__chunk_cache_t *cache;
    nlp__chunk_t *chunks; /* chunks in use; the first is the bump chunk */
    char *cur, *end;      /* free space of the bump chunk */
    size_t used;          /* bytes handed out since the last reset */
} nlp__arena_t;

void nlp__chunk_cache_init(nlp__chunk_cache_t *c, const nlp_allocator_t *a,
                           size_t chunk_size, size_t max_free);
/* Frees every cached chunk. */
void nlp__chunk_cache_destroy(nlp__chunk_cache_t *c);

void nlp__arena_init(nlp__arena_t *arena, nlp__chunk_cache_t *cache);
/* `size` bytes aligned to `align` (a power of two <= 64), or NULL when out
 * of memory. Never returns memory shared with another live allocation. */
void *nlp__arena_alloc(nlp__arena_t *arena, size_t size, size_t align);
/* Resizes p, a block of old_size bytes from this arena (NULL: none), to
 * new_size >= old_size bytes, keeping its contents: in place when it ends
 * the bump chunk and there is room; by resizing its chunk when it is larger
 * than a standard chunk and so has one of its own (no abandoned old block,
 * and with glibc no copy for very large blocks); else by a fresh allocation
 * and a copy. Returns NULL when out of memory (p stays valid). Arrays that
 * grow by doubling use it so the arena does not keep every outgrown copy. */
void *nlp__arena_grow(nlp__arena_t *arena, void *p, size_t old_size,
                      size_t new_size, size_t align);
/* Copies s[0..len) and a NUL into the arena. */
char *nlp__arena_strndup(nlp__arena_t *arena, const char *s, size_t len);
/* Releases everything allocated since init or the last reset. */
void nlp__arena_reset(nlp__arena_t *arena);
/* Resets and leaves the arena unusable until the next init. */
void nlp__arena_destroy(nlp__arena_t *arena);

/* Typed, overflow-checked array allocation: NULL when count * sizeof(type)
 * overflows or memory runs out. */
#define NLP__ARENA_NEW(arena, type, count)                                     \
    ((type *)(nlp__mul_overflows((size_t)(count), sizeof(type))               \
                  ? NULL                                                       \
                  : nlp__arena_alloc((arena), (size_t)(count) * sizeof(type), \
                                     _Alignof(type))))

/* Typed, overflow-checked nlp__arena_grow of an array of `type` from
 * old_count to new_count entries: NULL when the size overflows or memory
 * runs out (p stays valid). */
#define NLP__ARENA_GROW(arena, p, type, old_count, new_count)                  \
    ((type *)(nlp__mul_overflows((size_t)(new_count), sizeof(type))           \
                  ? NULL                                                       \
                  : nlp__arena_grow((arena), (p),                             \
                                    (size_t)(old_count) * sizeof(type),       \
                                    (size_t)(new_count) * sizeof(type),       \
                                    _Alignof(type))))

#endif
