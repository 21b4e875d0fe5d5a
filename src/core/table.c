/* Open addressing with linear probing over pre-hashed 64-bit keys. */
#include "table.h"

#include <string.h>

static nlp_status_t alloc_arrays(nlp__table_t *t, size_t cap, uint64_t **keys,
                                 void ***vals) {
    if (t->arena) {
        *keys = NLP__ARENA_NEW(t->arena, uint64_t, cap);
        *vals = NLP__ARENA_NEW(t->arena, void *, cap);
    } else {
        *keys = nlp__calloc(t->alloc, cap, sizeof(uint64_t));
        *vals = nlp__calloc(t->alloc, cap, sizeof(void *));
    }
    if (!*keys || !*vals) {
        if (!t->arena) {
            nlp__free(t->alloc, *keys);
            nlp__free(t->alloc, *vals);
        }
        *keys = NULL;
        *vals = NULL;
        return NLP_NOMEM;
    }
    if (t->arena) memset(*keys, 0, cap * sizeof(uint64_t));
    return NLP_OK;
}

nlp_status_t nlp__table_init(nlp__table_t *t, const nlp_allocator_t *alloc,
                             nlp__arena_t *arena, size_t initial_cap) {
    size_t cap = 16;
    while (cap < initial_cap) cap <<= 1;
    memset(t, 0, sizeof *t);
    t->alloc = alloc;
    t->arena = arena;
    nlp_status_t st = alloc_arrays(t, cap, &t->keys, &t->vals);
    if (st) return st;
    t->mask = cap - 1;
    return NLP_OK;
}

void nlp__table_destroy(nlp__table_t *t) {
    if (!t->arena && t->alloc) {
        nlp__free(t->alloc, t->keys);
        nlp__free(t->alloc, t->vals);
    }
    t->keys = NULL;
    t->vals = NULL;
    t->count = 0;
}

void *nlp__table_get(const nlp__table_t *t, uint64_t key) {
    size_t i = (size_t)key & t->mask;
    for (;;) {
        uint64_t k = t->keys[i];
        if (k == key) return t->vals[i];
        if (k == 0) return NULL;
        i = (i + 1) & t->mask;
    }
}

static void insert_slot(uint64_t *keys, void **vals, size_t mask, uint64_t key,
                        void *val) {
    size_t i = (size_t)key & mask;
    while (keys[i] != 0 && keys[i] != key) i = (i + 1) & mask;
    keys[i] = key;
    vals[i] = val;
}

static nlp_status_t grow(nlp__table_t *t) {
    size_t old_cap = t->mask + 1;
    if (old_cap > SIZE_MAX / 2) return NLP_NOMEM;
    size_t cap = old_cap * 2;
    uint64_t *keys;
    void **vals;
    nlp_status_t st = alloc_arrays(t, cap, &keys, &vals);
    if (st) return st;
    for (size_t i = 0; i < old_cap; i++)
        if (t->keys[i]) insert_slot(keys, vals, cap - 1, t->keys[i], t->vals[i]);
    if (!t->arena) {
        nlp__free(t->alloc, t->keys);
        nlp__free(t->alloc, t->vals);
    }
    t->keys = keys;
    t->vals = vals;
    t->mask = cap - 1;
    return NLP_OK;
}

nlp_status_t nlp__table_put(nlp__table_t *t, uint64_t key, void *val) {
    if (key == 0) return NLP_INVALID_ARG;
    /* Keep the load under 1/2 so probe runs stay short. */
    if ((t->count + 1) * 2 > t->mask + 1) {
        nlp_status_t st = grow(t);
        if (st) return st;
    }
    size_t i = (size_t)key & t->mask;
    while (t->keys[i] != 0 && t->keys[i] != key) i = (i + 1) & t->mask;
    if (t->keys[i] == 0) t->count++;
    t->keys[i] = key;
    t->vals[i] = val;
    return NLP_OK;
}

nlp_status_t nlp__check_used_keys(const uint64_t *keys, size_t n_slots, size_t expected,
                                  const char *what) {
    size_t used = 0;
    for (size_t i = 0; i < n_slots; i++) used += keys[i] != 0;
    if (used != expected)
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: %zu keys, header says %zu", what, used,
                         expected);
    return NLP_OK;
}
