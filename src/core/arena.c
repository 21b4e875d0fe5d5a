/* Chunked bump allocation with a bounded cache of released chunks. */
#include "arena.h"

#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define NLP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NLP_ASAN 1
#endif
#endif

#ifdef NLP_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct nlp__chunk {
    nlp__chunk_t *next;
    size_t size; /* usable bytes after the header */
    /* Keeps the payload 64-byte aligned for tensors and SIMD loads. */
    _Alignas(64) char data[];
};

void nlp__chunk_cache_init(nlp__chunk_cache_t *c, const nlp_allocator_t *a,
                           size_t chunk_size, size_t max_free) {
    memset(c, 0, sizeof *c);
    c->alloc = nlp__allocator_or_default(a);
    c->chunk_size = chunk_size;
#ifdef NLP_ASAN
    /* Reusing chunks would hide a use after reset from ASan. */
    (void)max_free;
    c->max_free = 0;
#else
    c->max_free = max_free;
#endif
}

void nlp__chunk_cache_destroy(nlp__chunk_cache_t *c) {
    nlp__chunk_t *ch = c->free_list;
    while (ch) {
        nlp__chunk_t *next = ch->next;
        UNPOISON(ch->data, ch->size);
        nlp__free(c->alloc, ch);
        ch = next;
    }
    c->free_list = NULL;
    c->n_free = 0;
}

static nlp__chunk_t *chunk_take(nlp__chunk_cache_t *c, size_t need) {
    if (need <= c->chunk_size && c->free_list) {
        nlp__chunk_t *ch = c->free_list;
        c->free_list = ch->next;
        c->n_free--;
        UNPOISON(ch->data, ch->size);
        return ch;
    }
    size_t size = need > c->chunk_size ? need : c->chunk_size;
    if (size > SIZE_MAX - sizeof(nlp__chunk_t)) return NULL;
    nlp__chunk_t *ch = nlp__malloc(c->alloc, sizeof(nlp__chunk_t) + size);
    if (!ch) return NULL;
    ch->size = size;
    c->system_allocs++;
    return ch;
}

static void chunk_give_back(nlp__chunk_cache_t *c, nlp__chunk_t *ch) {
    /* Only standard-size chunks are worth keeping; oversized ones were
     * made for one large object and are unlikely to fit the next. */
    if (ch->size == c->chunk_size && c->n_free < c->max_free) {
        POISON(ch->data, ch->size);
        ch->next = c->free_list;
        c->free_list = ch;
        c->n_free++;
    } else {
        nlp__free(c->alloc, ch);
    }
}

void nlp__arena_init(nlp__arena_t *arena, nlp__chunk_cache_t *cache) {
    arena->cache = cache;
    arena->chunks = NULL;
    arena->cur = arena->end = NULL;
    arena->used = 0;
}

void *nlp__arena_alloc(nlp__arena_t *arena, size_t size, size_t align) {
    uintptr_t cur = (uintptr_t)arena->cur;
    uintptr_t aligned = (cur + (align - 1)) & ~(uintptr_t)(align - 1);
    if (!arena->cur || aligned > (uintptr_t)arena->end ||
        size > (uintptr_t)arena->end - aligned) {
        /* The payload is 64-byte aligned, so any align <= 64 fits. */
        nlp__chunk_t *ch = chunk_take(arena->cache, size);
        if (!ch) return NULL;
        ch->next = arena->chunks;
        arena->chunks = ch;
        arena->cur = ch->data;
        arena->end = ch->data + ch->size;
        aligned = (uintptr_t)arena->cur;
    }
    arena->cur = (char *)(aligned + size);
    arena->used += size;
    return (void *)aligned;
}

char *nlp__arena_strndup(nlp__arena_t *arena, const char *s, size_t len) {
    if (len == SIZE_MAX) return NULL;
    char *copy = nlp__arena_alloc(arena, len + 1, 1);
    if (!copy) return NULL;
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

void nlp__arena_reset(nlp__arena_t *arena) {
    nlp__chunk_t *ch = arena->chunks;
    while (ch) {
        nlp__chunk_t *next = ch->next;
        chunk_give_back(arena->cache, ch);
        ch = next;
    }
    arena->chunks = NULL;
    arena->cur = arena->end = NULL;
    arena->used = 0;
}

void nlp__arena_destroy(nlp__arena_t *arena) { nlp__arena_reset(arena); }
