/* Counting helpers used while preparing training data. */
#include "counts.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/features.h"

nlp_status_t nlp__string_set_init(nlp__string_set_t *set,
                                  const nlp_allocator_t *alloc) {
    memset(set, 0, sizeof *set);
    return nlp__table_init(&set->index, alloc, NULL, 64);
}

void nlp__string_set_free(nlp__string_set_t *set, const nlp_allocator_t *alloc) {
    for (size_t i = 0; i < set->n; i++) nlp__free(alloc, set->items[i]);
    nlp__free(alloc, set->items);
    nlp__table_destroy(&set->index);
    memset(set, 0, sizeof *set);
}

nlp_status_t nlp__string_set_add(nlp__string_set_t *set,
                                 const nlp_allocator_t *alloc, const char *s,
                                 size_t len, uint32_t *pos) {
    /* Table keys must be non-zero; "" hashes to 0. */
    nlp_hash_t h = nlp_hash_string(s, len) | 1;
    uintptr_t found = (uintptr_t)nlp__table_get(&set->index, h);
    if (found) {
        *pos = (uint32_t)(found - 1);
        return NLP_OK;
    }
    if (set->n >= UINT32_MAX - 1) return nlp__fail(NLP_LIMIT, "too many strings");
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 64;
        char **items = nlp__realloc_array(alloc, set->items, cap, sizeof *items);
        if (!items) return NLP_NOMEM;
        set->items = items;
        set->cap = cap;
    }
    char *copy = nlp__strndup(alloc, s, len);
    if (!copy) return NLP_NOMEM;
    nlp_status_t st = nlp__table_put(&set->index, h, (void *)(uintptr_t)(set->n + 1));
    if (st) {
        nlp__free(alloc, copy);
        return st;
    }
    set->items[set->n] = copy;
    *pos = (uint32_t)set->n++;
    return NLP_OK;
}

nlp_status_t nlp__pair_init(nlp__pair_counter_t *pc, const nlp_allocator_t *alloc) {
    memset(pc, 0, sizeof *pc);
    return nlp__table_init(&pc->index, alloc, NULL, 1024);
}

void nlp__pair_free(nlp__pair_counter_t *pc, const nlp_allocator_t *alloc) {
    nlp__table_destroy(&pc->index);
    nlp__free(alloc, pc->recs);
    memset(pc, 0, sizeof *pc);
}

nlp_status_t nlp__pair_add(nlp__pair_counter_t *pc, const nlp_allocator_t *alloc,
                           uint64_t group, uint32_t item, uint32_t aux) {
    if (pc->grouped || group == 0)
        return nlp__fail(NLP_INVALID_ARG, "pair counter: grouped already, or group 0");
    uint64_t key = nlp__feat2(0, group, item);
    uintptr_t found = (uintptr_t)nlp__table_get(&pc->index, key);
    if (found) {
        pc->recs[found - 1].count++;
        return NLP_OK;
    }
    if (pc->n == pc->cap) {
        size_t cap = pc->cap ? pc->cap * 2 : 1024;
        nlp__pair_count_t *recs = nlp__realloc_array(alloc, pc->recs, cap, sizeof *recs);
        if (!recs) return NLP_NOMEM;
        pc->recs = recs;
        pc->cap = cap;
    }
    pc->recs[pc->n] = (nlp__pair_count_t){group, item, 1, aux};
    pc->n++;
    return nlp__table_put(&pc->index, key, (void *)(uintptr_t)pc->n);
}

static int cmp_pair(const void *a, const void *b) {
    const nlp__pair_count_t *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    return (x->item > y->item) - (x->item < y->item);
}

nlp_status_t nlp__pair_group(nlp__pair_counter_t *pc, const nlp_allocator_t *alloc) {
    if (pc->n) qsort(pc->recs, pc->n, sizeof *pc->recs, cmp_pair);
    nlp__table_destroy(&pc->index);
    nlp_status_t st = nlp__table_init(&pc->index, alloc, NULL, pc->n * 2);
    for (size_t i = 0; i < pc->n && !st; i++)
        if (i == 0 || pc->recs[i].group != pc->recs[i - 1].group)
            st = nlp__table_put(&pc->index, pc->recs[i].group, (void *)(uintptr_t)(i + 1));
    pc->grouped = 1;
    return st;
}

size_t nlp__pair_first(const nlp__pair_counter_t *pc, uint64_t group) {
    uintptr_t first = group ? (uintptr_t)nlp__table_get(&pc->index, group) : 0;
    return first ? first - 1 : SIZE_MAX;
}

uint32_t nlp__pair_best(const nlp__pair_counter_t *pc, size_t first, size_t *end) {
    uint32_t best = pc->recs[first].item, best_count = 0;
    size_t i = first;
    for (; i < pc->n && pc->recs[i].group == pc->recs[first].group; i++) {
        if (pc->recs[i].count > best_count) {
            best = pc->recs[i].item;
            best_count = pc->recs[i].count;
        }
    }
    *end = i;
    return best;
}
