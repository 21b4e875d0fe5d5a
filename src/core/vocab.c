/* The string store and lexeme table: permanent entries plus zone overlays. */
#include "vocab.h"

#include <string.h>

#include "lexattrs.h"

/* Permanent data grows for the life of the vocabulary, so big chunks. */
#define VOCAB_CHUNK_SIZE (1u << 20)

const nlp_lexeme_t nlp__empty_lexeme = {0};

static nlp_status_t fill_lang_tables(nlp_vocab_t *v) {
    if (!v->lang) return NLP_OK;
    for (const char *const *w = v->lang->stop_words; w && *w; w++) {
        nlp_status_t st = nlp__table_put(&v->stop_words,
                                         nlp_hash_string(*w, strlen(*w)),
                                         (void *)*w);
        if (st) return st;
    }
    const char *const(*pair)[2] = v->lang->norm_exceptions;
    for (; pair && (*pair)[0]; pair++) {
        nlp_status_t st;
        nlp_hash_t id;
        const nlp__string_t *norm = nlp__vocab_intern(
            v, NULL, (*pair)[1], strlen((*pair)[1]), &id, &st);
        if (!norm) return st;
        st = nlp__table_put(&v->norm_exceptions,
                            nlp_hash_string((*pair)[0], strlen((*pair)[0])),
                            (void *)norm);
        if (st) return st;
    }
    return NLP_OK;
}

nlp_status_t nlp__vocab_create(const nlp_allocator_t *alloc,
                               const nlp__lex_lang_t *lang, nlp_vocab_t **out) {
    *out = NULL;
    alloc = nlp__allocator_or_default(alloc);
    nlp_vocab_t *v = nlp__calloc(alloc, 1, sizeof *v);
    if (!v) return NLP_NOMEM;
    v->alloc = alloc;
    v->lang = lang;
    nlp__chunk_cache_init(&v->cache, alloc, VOCAB_CHUNK_SIZE, 0);
    nlp__arena_init(&v->arena, &v->cache);
    atomic_init(&v->open_zones, 0);
    atomic_init(&v->next_generation, 1);
    if (pthread_mutex_init(&v->pool_lock, NULL) != 0) {
        nlp__free(alloc, v);
        return NLP_NOMEM;
    }
    nlp_status_t st;
    if ((st = nlp__table_init(&v->strings, alloc, NULL, 1024)) ||
        (st = nlp__table_init(&v->lexemes, alloc, NULL, 1024)) ||
        (st = nlp__table_init(&v->stop_words, alloc, NULL, 512)) ||
        (st = nlp__table_init(&v->norm_exceptions, alloc, NULL, 64)) ||
        (st = fill_lang_tables(v))) {
        nlp__vocab_free(v);
        return st;
    }
    *out = v;
    return NLP_OK;
}

/* Forgets the word statistics, freeing an image the vocabulary owns. */
static void drop_word_stats(nlp_vocab_t *v) {
    /* The image is const for readers; an owned one came from our allocator. */
    if (v->word_stats_owned) nlp__free(v->alloc, (void *)v->word_stats_image);
    v->word_stats = (nlp__word_stats_t){0};
    v->word_stats_image = NULL;
    v->word_stats_len = 0;
    v->word_stats_owned = 0;
}

void nlp__vocab_free(nlp_vocab_t *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n_all_zones; i++) {
        nlp_zone_t *z = v->all_zones[i];
        nlp__arena_destroy(&z->arena);
        nlp__chunk_cache_destroy(&z->cache);
        nlp__zone_free_doc_slabs(z);
        nlp__free(v->alloc, z);
    }
    nlp__free(v->alloc, v->all_zones);
    nlp__table_destroy(&v->strings);
    nlp__table_destroy(&v->lexemes);
    nlp__table_destroy(&v->stop_words);
    nlp__table_destroy(&v->norm_exceptions);
    drop_word_stats(v);
    nlp__free(v->alloc, v->lexeme_list);
    nlp__arena_destroy(&v->arena);
    nlp__chunk_cache_destroy(&v->cache);
    pthread_mutex_destroy(&v->pool_lock);
    nlp__free(v->alloc, v);
}

nlp_status_t nlp__vocab_set_word_stats(nlp_vocab_t *v, const void *image,
                                       size_t len, int owned) {
    nlp_status_t st = NLP_OK;
    nlp__word_stats_t view;
    if (image == v->word_stats_image) return NLP_OK; /* dropping it would free it */
    if (atomic_load(&v->open_zones) > 0)
        st = nlp__fail(NLP_ZONE_OPEN, "word statistics change while a zone is open");
    else
        st = nlp__word_stats_open(image, len, &view);
    if (st) {
        if (owned) nlp__free(v->alloc, (void *)image);
        return st;
    }
    drop_word_stats(v);
    v->word_stats = view;
    v->word_stats_image = image;
    v->word_stats_len = len;
    v->word_stats_owned = owned;
    for (size_t i = 0; i < v->n_lexemes; i++)
        nlp__lexattrs_word_stats(v, v->lexeme_list[i]);
    return NLP_OK;
}

static int same_bytes(const nlp__string_t *e, const char *s, size_t len) {
    return e->len == len && memcmp(e->bytes, s, len) == 0;
}

const nlp__string_t *nlp__vocab_lookup_string(const nlp_vocab_t *v,
                                              const nlp_zone_t *zone,
                                              nlp_hash_t id) {
    const nlp__string_t *e = nlp__table_get(&v->strings, id);
    for (; !e && zone; zone = zone->parent)
        e = nlp__table_get(&zone->strings, id);
    return e;
}

static nlp__string_t *store_string(nlp__arena_t *arena, const char *s,
                                   size_t len) {
    if (len > UINT32_MAX - 1) return NULL;
    nlp__string_t *e =
        nlp__arena_alloc(arena, sizeof(nlp__string_t) + len + 1, 8);
    if (!e) return NULL;
    e->len = (uint32_t)len;
    memcpy(e->bytes, s, len);
    e->bytes[len] = '\0';
    return e;
}

/* Empty string: id 0, stored nowhere. */
static const struct {
    uint32_t len;
    char bytes[1];
} empty_string = {0, ""};

const nlp__string_t *nlp__vocab_intern(nlp_vocab_t *v, nlp_zone_t *zone,
                                       const char *s, size_t len,
                                       nlp_hash_t *id, nlp_status_t *status) {
    *status = NLP_OK;
    *id = 0;
    if (len == 0) return (const nlp__string_t *)&empty_string;
    nlp_hash_t h = nlp_hash_string(s, len);
    const nlp__string_t *e = nlp__vocab_lookup_string(v, zone, h);
    if (e) {
        if (!same_bytes(e, s, len)) {
            *status = nlp__fail(NLP_HASH_COLLISION,
                                "\"%.*s\" and \"%.*s\" share id %016llx",
                                (int)(len > 40 ? 40 : len), s,
                                (int)(e->len > 40 ? 40 : e->len), e->bytes,
                                (unsigned long long)h);
            return NULL;
        }
        *id = h;
        return e;
    }
    nlp__string_t *added;
    if (zone) {
        if ((*status = nlp__zone_check(v, zone))) return NULL;
        added = store_string(&zone->arena, s, len);
        if (!added || nlp__table_put(&zone->strings, h, added)) {
            *status = NLP_NOMEM;
            return NULL;
        }
    } else {
        if (atomic_load(&v->open_zones) > 0) {
            *status = nlp__fail(NLP_ZONE_OPEN, "adding \"%.*s\" permanently",
                                (int)(len > 40 ? 40 : len), s);
            return NULL;
        }
        added = store_string(&v->arena, s, len);
        if (!added || nlp__table_put(&v->strings, h, added)) {
            *status = NLP_NOMEM;
            return NULL;
        }
    }
    *id = h;
    return added;
}

nlp_status_t nlp_vocab_add_string(nlp_vocab_t *v, nlp_zone_t *zone,
                                  const char *s, size_t len, nlp_hash_t *out) {
    if (!v || (!s && len) || !out) return NLP__FAIL_ARGUMENTS();
    /* Checked first: an ended zone's tables must not be searched. */
    nlp_status_t st = nlp__zone_check(v, zone);
    if (st) return st;
    uint64_t mark = nlp__failures();
    nlp__vocab_intern(v, zone, s, len, out, &st);
    return nlp__name_failure(st, mark, __func__);
}

nlp_status_t nlp_vocab_string(const nlp_vocab_t *v, const nlp_zone_t *zone,
                              nlp_hash_t id, const char **s, size_t *len) {
    if (!v || !s) return NLP__FAIL_ARGUMENTS();
    nlp_status_t st = nlp__zone_check(v, zone);
    if (st) return st;
    const nlp__string_t *e =
        id == 0 ? (const nlp__string_t *)&empty_string
                : nlp__vocab_lookup_string(v, zone, id);
    if (!e) return nlp__fail(NLP_NOT_FOUND, "no string with id %016llx",
                             (unsigned long long)id);
    *s = e->bytes;
    if (len) *len = e->len;
    return NLP_OK;
}

const nlp_lexeme_t *nlp__vocab_find_lexeme_hashed(const nlp_vocab_t *v,
                                                  const nlp_zone_t *zone,
                                                  nlp_hash_t id, const char *s,
                                                  size_t len) {
    const nlp__lexeme_entry_t *e = nlp__table_get(&v->lexemes, id);
    for (; !e && zone; zone = zone->parent)
        e = nlp__table_get(&zone->lexemes, id);
    if (!e || !same_bytes(e->orth_str, s, len)) return NULL;
    return &e->lex;
}

static nlp_status_t register_permanent(nlp_vocab_t *v, nlp__lexeme_entry_t *e) {
    if (v->n_lexemes == v->lexeme_cap) {
        size_t cap = v->lexeme_cap ? v->lexeme_cap * 2 : 1024;
        nlp_lexeme_t **list = nlp__realloc_array(v->alloc, v->lexeme_list, cap,
                                                 sizeof *list);
        if (!list) return NLP_NOMEM;
        v->lexeme_list = list;
        v->lexeme_cap = cap;
    }
    e->lex.id = (uint32_t)v->n_lexemes;
    v->lexeme_list[v->n_lexemes++] = &e->lex;
    return nlp__table_put(&v->lexemes, e->lex.orth, e);
}

/* Adds the lexeme of s[0..len), which the vocabulary lacks. */
static nlp_status_t add_lexeme(nlp_vocab_t *v, nlp_zone_t *zone, const char *s,
                               size_t len, const nlp_lexeme_t **out) {
    nlp_status_t st;
    nlp_hash_t id;
    const nlp__string_t *orth = nlp__vocab_intern(v, zone, s, len, &id, &st);
    if (!orth) return st;
    nlp__arena_t *arena = zone ? &zone->arena : &v->arena;
    nlp__lexeme_entry_t *e = NLP__ARENA_NEW(arena, nlp__lexeme_entry_t, 1);
    if (!e) return NLP_NOMEM;
    memset(e, 0, sizeof *e);
    e->orth_str = orth;
    e->lex.orth = id;
    if ((st = nlp__lexattrs_fill(v, zone, s, len, &e->lex))) return st;
    if (zone) {
        e->lex.id = UINT32_MAX;
        st = nlp__table_put(&zone->lexemes, id, e);
    } else {
        st = register_permanent(v, e);
    }
    if (st) return st;
    *out = &e->lex;
    return NLP_OK;
}

nlp_status_t nlp_vocab_get_lexeme(nlp_vocab_t *v, nlp_zone_t *zone,
                                  const char *s, size_t len,
                                  const nlp_lexeme_t **out) {
    if (!v || (!s && len) || !out) return NLP__FAIL_ARGUMENTS();
    *out = NULL;
    nlp_status_t st = nlp__zone_check(v, zone);
    if (st) return st;
    if (len == 0) {
        *out = &nlp__empty_lexeme;
        return NLP_OK;
    }
    nlp_hash_t h = nlp_hash_string(s, len);
    const nlp_lexeme_t *found = nlp__vocab_find_lexeme_hashed(v, zone, h, s, len);
    if (found) {
        *out = found;
        return NLP_OK;
    }
    /* Only adding can fail; the lookup above stays free of bookkeeping. */
    uint64_t mark = nlp__failures();
    return nlp__name_failure(add_lexeme(v, zone, s, len, out), mark, __func__);
}

nlp_status_t nlp_vocab_find_lexeme(const nlp_vocab_t *v, const nlp_zone_t *zone,
                                   const char *s, size_t len,
                                   const nlp_lexeme_t **out) {
    if (!v || (!s && len) || !out) return NLP__FAIL_ARGUMENTS();
    nlp_status_t st = nlp__zone_check(v, zone);
    if (st) return st;
    *out = nlp__vocab_find_lexeme_hashed(v, zone, nlp_hash_string(s, len), s,
                                         len);
    return *out ? NLP_OK
                : nlp__fail(NLP_NOT_FOUND, "%s: the vocabulary has no lexeme for "
                            "this string", __func__);
}

size_t nlp_vocab_n_strings(const nlp_vocab_t *v) { return v ? v->strings.count : 0; }

size_t nlp_vocab_n_lexemes(const nlp_vocab_t *v) { return v ? v->n_lexemes : 0; }
