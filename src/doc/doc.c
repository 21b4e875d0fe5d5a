/* Docs: a text copy, a padded token array and entity spans, all carved from
 * the zone's arena (or the Doc's own arena outside zones). */
#include "doc.h"

#include <string.h>

/* Heap Docs own small chunks: most Docs are a sentence or a paragraph. */
#define HEAP_DOC_CHUNK (16u << 10)
#define INITIAL_TOKENS 32

nlp_status_t nlp__doc_check(const nlp_doc_t *doc) {
    if (!doc) return nlp__fail(NLP_INVALID_ARG, "Doc is NULL");
    if (doc->magic != NLP__DOC_MAGIC ||
        (doc->zone && (!doc->zone->open ||
                       doc->zone->generation != doc->zone_generation)))
        return nlp__fail(NLP_STALE_HANDLE,
                         "the Doc's memory zone has ended; copy results out "
                         "before nlp_memory_zone_end()");
    return NLP_OK;
}

nlp_status_t nlp_doc_check(const nlp_doc_t *doc) { return nlp__doc_check(doc); }

void *nlp__doc_alloc(nlp_doc_t *doc, size_t size, size_t align) {
    return nlp__arena_alloc(doc->arena, size, align);
}

static nlp_status_t reserve_tokens(nlp_doc_t *doc, size_t need) {
    if (need <= doc->cap_tokens) return NLP_OK;
    size_t old_cap = doc->cap_tokens;
    size_t cap = old_cap ? old_cap : INITIAL_TOKENS;
    while (cap < need) cap *= 2;
    if (cap > UINT32_MAX - 2 * NLP__DOC_PAD)
        return nlp__fail(NLP_LIMIT, "more than %u tokens in one Doc",
                         UINT32_MAX - 2 * NLP__DOC_PAD);
    /* The block keeps NLP__DOC_PAD entries on either side of the tokens. */
    nlp_token_t *old = old_cap ? doc->tokens - NLP__DOC_PAD : NULL;
    size_t old_entries = old_cap ? old_cap + 2 * NLP__DOC_PAD : 0;
    size_t entries = cap + 2 * NLP__DOC_PAD;
    nlp_token_t *block =
        NLP__ARENA_GROW(doc->arena, old, nlp_token_t, old_entries, entries);
    if (!block) return NLP_NOMEM;
    /* New entries, the trailing padding among them, read as empty words
     * with no annotation; the old trailing padding was never written. */
    memset(block + old_entries, 0, sizeof(nlp_token_t) * (entries - old_entries));
    for (size_t i = old_entries; i < entries; i++)
        block[i].lex = &nlp__empty_lexeme;
    doc->tokens = block + NLP__DOC_PAD;
    doc->cap_tokens = (uint32_t)cap;
    return NLP_OK;
}

nlp_status_t nlp__doc_create(nlp_vocab_t *vocab, nlp_zone_t *zone,
                             const char *text, size_t len, nlp_doc_t **out) {
    *out = NULL;
    if (!vocab) return NLP_INVALID_ARG;
    nlp_status_t st = nlp__zone_check(vocab, zone);
    if (st) return st;
    if (len > UINT32_MAX - 1)
        return nlp__fail(NLP_LIMIT, "text of %zu bytes; a Doc holds < 4 GiB",
                         len);
    nlp_doc_t *doc;
    if (zone) {
        doc = nlp__zone_take_doc(zone);
        if (!doc) return NLP_NOMEM;
        memset(doc, 0, sizeof *doc);
        doc->arena = &zone->arena;
        doc->zone = zone;
        doc->zone_generation = zone->generation;
        doc->next_in_zone = zone->docs;
        zone->docs = doc;
    } else {
        doc = nlp__calloc(vocab->alloc, 1, sizeof *doc);
        if (!doc) return NLP_NOMEM;
        nlp__chunk_cache_init(&doc->own_cache, vocab->alloc, HEAP_DOC_CHUNK, 0);
        nlp__arena_init(&doc->own_arena, &doc->own_cache);
        doc->arena = &doc->own_arena;
    }
    doc->magic = NLP__DOC_MAGIC;
    doc->vocab = vocab;
    doc->text = text ? nlp__arena_strndup(doc->arena, text, len)
                     : nlp__arena_alloc(doc->arena, len + 1, 1);
    if (doc->text && !text) memset(doc->text, 0, len + 1);
    doc->text_len = len;
    if (!doc->text || reserve_tokens(doc, INITIAL_TOKENS)) {
        if (!zone) nlp_doc_free(doc);
        return NLP_NOMEM;
    }
    *out = doc;
    return NLP_OK;
}

uint32_t *nlp__doc_supertags(nlp_doc_t *doc) {
    size_t n = doc->n_tokens;
    if (!doc->supertags || doc->n_supertags != n) {
        /* One spare entry: an empty Doc still gets an array, not NULL. */
        doc->supertags = NLP__ARENA_NEW(doc->arena, uint32_t, n + 1);
        doc->n_supertags = doc->supertags ? (uint32_t)n : 0;
    }
    if (doc->supertags) memset(doc->supertags, 0, n * sizeof *doc->supertags);
    return doc->supertags;
}

void nlp_doc_free(nlp_doc_t *doc) {
    if (!doc || doc->zone || doc->magic != NLP__DOC_MAGIC) return;
    doc->magic = NLP__DOC_DEAD;
    const nlp_allocator_t *alloc = doc->vocab->alloc;
    nlp__arena_destroy(&doc->own_arena);
    nlp__chunk_cache_destroy(&doc->own_cache);
    nlp__free(alloc, doc);
}

nlp_status_t nlp__doc_push(nlp_doc_t *doc, const nlp_lexeme_t *lex,
                           uint32_t idx, uint32_t len, uint8_t spacy) {
    if (doc->n_tokens == doc->cap_tokens) {
        nlp_status_t st = reserve_tokens(doc, (size_t)doc->n_tokens + 1);
        if (st) return st;
    }
    nlp_token_t *t = &doc->tokens[doc->n_tokens++];
    memset(t, 0, sizeof *t);
    t->lex = lex;
    t->idx = idx;
    t->len = len;
    t->spacy = spacy;
    t->sent_start = -1;
    return NLP_OK;
}

nlp_hash_t nlp__doc_intern(nlp_doc_t *doc, const char *s, size_t len) {
    nlp_hash_t id;
    nlp_status_t st;
    return nlp__vocab_intern(doc->vocab, doc->zone, s, len, &id, &st) ? id : 0;
}

nlp_status_t nlp__doc_set_ents(nlp_doc_t *doc, const nlp_span_t *ents,
                               size_t n) {
    if (n > doc->cap_ents) {
        nlp_span_t *spans = NLP__ARENA_NEW(doc->arena, nlp_span_t, n);
        if (!spans) return NLP_NOMEM;
        doc->ents = spans;
        doc->cap_ents = (uint32_t)n;
    }
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        doc->tokens[i].ent_iob = NLP_IOB_O;
        doc->tokens[i].ent_type = 0;
    }
    for (size_t e = 0; e < n; e++) {
        nlp_span_t s = ents[e];
        if (s.start >= s.end || s.end > doc->n_tokens)
            return nlp__fail(NLP_INVALID_ARG, "entity %zu spans tokens %u..%u",
                             e, s.start, s.end);
        s.start_char = doc->tokens[s.start].idx;
        s.end_char = doc->tokens[s.end - 1].idx + doc->tokens[s.end - 1].len;
        doc->ents[e] = s;
        for (uint32_t i = s.start; i < s.end; i++) {
            doc->tokens[i].ent_iob = i == s.start ? NLP_IOB_B : NLP_IOB_I;
            doc->tokens[i].ent_type = s.label;
        }
    }
    doc->n_ents = (uint32_t)n;
    doc->layers |= NLP_HAS_ENTS;
    return NLP_OK;
}

nlp_status_t nlp__doc_from_words(nlp_vocab_t *vocab, nlp_zone_t *zone,
                                 const char *const *words, const size_t *lens,
                                 const uint8_t *spaces, size_t n,
                                 nlp_doc_t **out) {
    *out = NULL;
    if (n && (!words || !lens)) return NLP_INVALID_ARG;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!words[i] || lens[i] == 0)
            return nlp__fail(NLP_INVALID_ARG, "word %zu is empty", i);
        uint8_t sp = spaces ? spaces[i] != 0 : i + 1 < n;
        total += lens[i] + sp;
        if (total > UINT32_MAX - 1) return nlp__fail(NLP_LIMIT, "text too long");
    }
    nlp_doc_t *doc;
    nlp_status_t st = nlp__doc_create(vocab, zone, NULL, total, &doc);
    if (st) return st;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(doc->text + pos, words[i], lens[i]);
        pos += lens[i];
        if (spaces ? spaces[i] != 0 : i + 1 < n) doc->text[pos++] = ' ';
    }
    pos = 0;
    for (size_t i = 0; i < n && !st; i++) {
        const nlp_lexeme_t *lex;
        uint8_t sp = spaces ? spaces[i] != 0 : i + 1 < n;
        st = nlp_vocab_get_lexeme(vocab, zone, doc->text + pos, lens[i], &lex);
        if (!st) st = nlp__doc_push(doc, lex, (uint32_t)pos, (uint32_t)lens[i], sp);
        pos += lens[i] + sp;
    }
    if (st) {
        nlp_doc_free(doc);
        return st;
    }
    *out = doc;
    return NLP_OK;
}

const char *nlp_doc_text(const nlp_doc_t *doc, size_t *len) {
    if (nlp__doc_check(doc)) return NULL;
    if (len) *len = doc->text_len;
    return doc->text;
}

nlp_status_t nlp_doc_tokens(const nlp_doc_t *doc, const nlp_token_t **tokens,
                            size_t *n) {
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    if (tokens) *tokens = doc->tokens;
    if (n) *n = doc->n_tokens;
    return NLP_OK;
}

nlp_status_t nlp_doc_ents(const nlp_doc_t *doc, const nlp_span_t **ents,
                          size_t *n) {
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    if (ents) *ents = doc->ents;
    if (n) *n = doc->n_ents;
    return NLP_OK;
}

uint32_t nlp__doc_sent_end(const nlp_doc_t *doc, uint32_t start) {
    uint32_t i = start + 1;
    while (i < doc->n_tokens && doc->tokens[i].sent_start != 1) i++;
    return i;
}

nlp_status_t nlp_doc_sents(const nlp_doc_t *doc, nlp_span_t *spans, size_t cap,
                           size_t *n) {
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    size_t count = 0;
    for (uint32_t start = 0, end; start < doc->n_tokens; start = end, count++) {
        end = nlp__doc_sent_end(doc, start);
        if (count < cap) {
            spans[count].start = start;
            spans[count].end = end;
            spans[count].start_char = doc->tokens[start].idx;
            spans[count].end_char = doc->tokens[end - 1].idx + doc->tokens[end - 1].len;
            spans[count].label = 0;
        }
    }
    if (n) *n = count;
    return NLP_OK;
}

unsigned nlp_doc_layers(const nlp_doc_t *doc) {
    return nlp__doc_check(doc) ? 0 : doc->layers;
}

nlp_vocab_t *nlp_doc_vocab(const nlp_doc_t *doc) {
    return nlp__doc_check(doc) ? NULL : doc->vocab;
}

nlp_zone_t *nlp_doc_zone(const nlp_doc_t *doc) {
    return nlp__doc_check(doc) ? NULL : doc->zone;
}

const char *nlp__doc_string(const nlp_doc_t *doc, nlp_hash_t id, size_t *len) {
    const nlp__string_t *e =
        id ? nlp__vocab_lookup_string(doc->vocab, doc->zone, id) : NULL;
    *len = e ? e->len : 0;
    return e ? e->bytes : "";
}

const char *nlp_doc_str(const nlp_doc_t *doc, nlp_hash_t id) {
    size_t len;
    return nlp__doc_check(doc) ? "" : nlp__doc_string(doc, id, &len);
}
