/* Memory zones: an arena plus overlay tables per zone, pooled per
 * vocabulary so that beginning a zone in a steady loop allocates nothing. */
#include <string.h>

#include "doc/doc.h"
#include "vocab.h"

/* A request's strings, lexemes and Docs usually fit in a few chunks. */
#define ZONE_CHUNK_SIZE (64u << 10)
/* Released chunks a zone object keeps: bounds what an idle zone holds. */
#define ZONE_MAX_FREE_CHUNKS 64
#define ZONE_TABLE_CAP 64

static nlp_zone_t *pool_take(nlp_vocab_t *v) {
    nlp_zone_t *z = NULL;
    pthread_mutex_lock(&v->pool_lock);
    if (v->zone_pool) {
        z = v->zone_pool;
        v->zone_pool = z->next_free;
        pthread_mutex_unlock(&v->pool_lock);
        return z;
    }
    /* A new zone object; remembered so nlp__vocab_free can release it. */
    if (v->n_all_zones == v->all_zones_cap) {
        size_t cap = v->all_zones_cap ? v->all_zones_cap * 2 : 8;
        nlp_zone_t **all =
            nlp__realloc_array(v->alloc, v->all_zones, cap, sizeof *all);
        if (!all) goto out;
        v->all_zones = all;
        v->all_zones_cap = cap;
    }
    z = nlp__calloc(v->alloc, 1, sizeof *z);
    if (!z) goto out;
    z->vocab = v;
    nlp__chunk_cache_init(&z->cache, v->alloc, ZONE_CHUNK_SIZE,
                          ZONE_MAX_FREE_CHUNKS);
    v->all_zones[v->n_all_zones++] = z;
out:
    pthread_mutex_unlock(&v->pool_lock);
    return z;
}

static void pool_give_back(nlp_vocab_t *v, nlp_zone_t *z) {
    pthread_mutex_lock(&v->pool_lock);
    z->next_free = v->zone_pool;
    v->zone_pool = z;
    pthread_mutex_unlock(&v->pool_lock);
}

static nlp_status_t zone_open(nlp_vocab_t *v, nlp_zone_t *parent,
                              nlp_zone_t **out) {
    *out = NULL;
    nlp_zone_t *z = pool_take(v);
    if (!z) return NLP_NOMEM;
    nlp__arena_init(&z->arena, &z->cache);
    nlp__arena_init(&z->scratch, &z->cache);
    nlp_status_t st;
    if ((st = nlp__table_init(&z->strings, NULL, &z->arena, ZONE_TABLE_CAP)) ||
        (st = nlp__table_init(&z->lexemes, NULL, &z->arena, ZONE_TABLE_CAP))) {
        nlp__arena_reset(&z->arena);
        pool_give_back(v, z);
        return st;
    }
    z->parent = parent;
    z->children = NULL;
    z->next_sibling = NULL;
    z->docs = NULL;
    z->generation = atomic_fetch_add(&v->next_generation, 1);
    z->open = 1;
    atomic_fetch_add(&v->open_zones, 1);
    *out = z;
    return NLP_OK;
}

nlp_status_t nlp__zone_begin(nlp_vocab_t *v, nlp_zone_t **out) {
    if (!v || !out) return NLP_INVALID_ARG;
    return zone_open(v, NULL, out);
}

nlp_status_t nlp__zone_begin_child(nlp_zone_t *parent, nlp_zone_t **out) {
    if (!parent || !out) return NLP_INVALID_ARG;
    nlp_status_t st = nlp__zone_check(parent->vocab, parent);
    if (st) return st;
    st = zone_open(parent->vocab, parent, out);
    if (st) return st;
    /* The parent's list is touched only by the thread that owns the parent
     * (pipe() opens its workers' sub-zones before the parallel region). */
    (*out)->next_sibling = parent->children;
    parent->children = *out;
    return NLP_OK;
}

#define DOC_SLAB 64

struct nlp_doc *nlp__zone_take_doc(nlp_zone_t *z) {
    if (z->n_free_docs <= NLP__DOC_QUARANTINE) {
        /* Grow the pool by a slab; the slab list lives as long as the zone
         * object. */
        nlp_vocab_t *v = z->vocab;
        void **slabs = nlp__realloc_array(v->alloc, z->doc_slabs,
                                          z->n_doc_slabs + 1, sizeof *slabs);
        if (!slabs) return NULL;
        z->doc_slabs = slabs;
        struct nlp_doc *slab = nlp__calloc(v->alloc, DOC_SLAB, sizeof *slab);
        if (!slab) return NULL;
        z->doc_slabs[z->n_doc_slabs++] = slab;
        for (size_t i = 0; i < DOC_SLAB; i++) {
            slab[i].next_in_zone = NULL;
            if (z->free_docs_tail) z->free_docs_tail->next_in_zone = &slab[i];
            else z->free_docs_head = &slab[i];
            z->free_docs_tail = &slab[i];
        }
        z->n_free_docs += DOC_SLAB;
    }
    struct nlp_doc *d = z->free_docs_head;
    z->free_docs_head = d->next_in_zone;
    if (!z->free_docs_head) z->free_docs_tail = NULL;
    z->n_free_docs--;
    return d;
}

void nlp__zone_free_doc_slabs(nlp_zone_t *z) {
    for (size_t i = 0; i < z->n_doc_slabs; i++) nlp__free(z->vocab->alloc, z->doc_slabs[i]);
    nlp__free(z->vocab->alloc, z->doc_slabs);
    z->doc_slabs = NULL;
    z->n_doc_slabs = 0;
}

nlp_status_t nlp__zone_check(const nlp_vocab_t *v, const nlp_zone_t *zone) {
    if (!zone) return NLP_OK;
    if (!zone->open || zone->vocab != v)
        return nlp__fail(NLP_STALE_HANDLE,
                         "the memory zone has ended or belongs to another "
                         "vocabulary");
    return NLP_OK;
}

static void zone_close(nlp_zone_t *z) {
    for (nlp_zone_t *c = z->children; c;) {
        nlp_zone_t *next = c->next_sibling;
        if (c->open) zone_close(c);
        c = next;
    }
    /* Dead Docs fail their magic check for as long as the memory is not
     * reused; the generation bump below catches the rest. */
    for (struct nlp_doc *d = z->docs, *next; d; d = next) {
        next = d->next_in_zone;
        d->magic = NLP__DOC_DEAD;
        d->next_in_zone = NULL;
        if (z->free_docs_tail) z->free_docs_tail->next_in_zone = d;
        else z->free_docs_head = d;
        z->free_docs_tail = d;
        z->n_free_docs++;
    }
    nlp__arena_reset(&z->arena);
    nlp__arena_reset(&z->scratch);
    z->strings.keys = NULL;
    z->lexemes.keys = NULL;
    z->docs = NULL;
    z->children = NULL;
    z->open = 0;
    z->generation++;
    atomic_fetch_sub(&z->vocab->open_zones, 1);
    pool_give_back(z->vocab, z);
}

static void unlink_child(nlp_zone_t *z) {
    nlp_zone_t **p = &z->parent->children;
    while (*p && *p != z) p = &(*p)->next_sibling;
    if (*p) *p = z->next_sibling;
}

nlp_status_t nlp__zone_end(nlp_zone_t *z) {
    if (!z) return NLP_OK;
    if (!z->open)
        return nlp__fail(NLP_STALE_HANDLE, "the memory zone already ended");
    if (z->parent) unlink_child(z);
    zone_close(z);
    return NLP_OK;
}
