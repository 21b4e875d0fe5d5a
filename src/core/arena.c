/* Chunked bump allocation with a bounded cache of released chunks. */
#include "arena.h"

#include <stddef.h>
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
    /* As aligned as the allocator's blocks (16 bytes with glibc); larger
     * alignments are made by skipping bytes, which chunk sizes allow for. */
    char data[];
};

/* Bytes an allocation of `size` at alignment `align` may need in a fresh
 * chunk (no more than size when the allocator's blocks are aligned
 * enough), or SIZE_MAX on overflow. */
static size_t with_slack(size_t size, size_t align) {
    if (align <= _Alignof(max_align_t)) return size;
    return size > SIZE_MAX - (align - 1) ? SIZE_MAX : size + (align - 1);
}

static char *align_up(char *p, size_t align) {
    uintptr_t v = (uintptr_t)p;
    return p + (((v + (align - 1)) & ~(uintptr_t)(align - 1)) - v);
}

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

/* The link where chunks of their own start: behind the bump chunk, which
 * exists while cur is set. */
static nlp__chunk_t **own_chunks(nlp__arena_t *arena) {
    return arena->cur ? &arena->chunks->next : &arena->chunks;
}

/* A block larger than a standard chunk gets a chunk of its own, linked
 * behind the bump chunk so that the free space left there stays in use. */
static void *alloc_own_chunk(nlp__arena_t *arena, size_t size, size_t align) {
    nlp__chunk_t *ch = chunk_take(arena->cache, with_slack(size, align));
    if (!ch) return NULL;
    nlp__chunk_t **link = own_chunks(arena);
    ch->next = *link;
    *link = ch;
    arena->used += size;
    return align_up(ch->data, align);
}

void *nlp__arena_alloc(nlp__arena_t *arena, size_t size, size_t align) {
    if (size > arena->cache->chunk_size) return alloc_own_chunk(arena, size, align);
    char *aligned = arena->cur ? align_up(arena->cur, align) : NULL;
    if (!aligned || aligned > arena->end ||
        size > (size_t)(arena->end - aligned)) {
        nlp__chunk_t *ch = chunk_take(arena->cache, with_slack(size, align));
        if (!ch) return NULL;
        ch->next = arena->chunks;
        arena->chunks = ch;
        arena->end = ch->data + ch->size;
        aligned = align_up(ch->data, align);
    }
    arena->cur = aligned + size;
    arena->used += size;
    return aligned;
}

/* Resizes the chunk of its own that holds p, or returns NULL. realloc may
 * move the data to an address of another alignment, so the contents then
 * shift to the aligned start. */
static void *grow_own_chunk(nlp__arena_t *arena, void *p, size_t old_size,
                            size_t new_size, size_t align) {
    nlp__chunk_t **link = own_chunks(arena);
    while (*link && !((char *)p >= (*link)->data &&
                      (size_t)((char *)p - (*link)->data) < (*link)->size))
        link = &(*link)->next;
    size_t need = with_slack(new_size, align);
    if (!*link || need > SIZE_MAX - sizeof(nlp__chunk_t)) return NULL;
    size_t old_offset = (size_t)((char *)p - (*link)->data);
    const nlp_allocator_t *a = arena->cache->alloc;
    nlp__chunk_t *grown = a->realloc_fn(a->ctx, *link, sizeof(nlp__chunk_t) + need);
    if (!grown) return NULL;
    grown->size = need;
    *link = grown;
    char *data = align_up(grown->data, align);
    if (data != grown->data + old_offset)
        memmove(data, grown->data + old_offset, old_size);
    arena->used += new_size - old_size;
    return data;
}

void *nlp__arena_grow(nlp__arena_t *arena, void *p, size_t old_size,
                      size_t new_size, size_t align) {
    if (!p) return nlp__arena_alloc(arena, new_size, align);
    if (old_size > arena->cache->chunk_size)
        return grow_own_chunk(arena, p, old_size, new_size, align);
    if ((char *)p + old_size == arena->cur && new_size <= arena->cache->chunk_size &&
        new_size - old_size <= (size_t)(arena->end - arena->cur)) {
        arena->cur = (char *)p + new_size;
        arena->used += new_size - old_size;
        return p;
    }
    void *copy = nlp__arena_alloc(arena, new_size, align);
    if (copy) memcpy(copy, p, old_size);
    return copy;
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
