/* Components on a view of the Doc without whitespace tokens; see
 * space_view.h. */
#include "space_view.h"

#include <string.h>

#include "core/arena.h"
#include "core/vocab.h"
#include "doc/doc.h"

nlp_status_t nlp__space_ids_init(nlp_vocab_t *vocab, nlp__space_ids_t *ids) {
    static const char *const names[3] = {"_SP", "SPACE", "dep"};
    nlp_hash_t *out[3] = {&ids->tag, &ids->pos, &ids->dep};
    for (int i = 0; i < 3; i++) {
        nlp_status_t st;
        if (!nlp__vocab_intern(vocab, NULL, names[i], strlen(names[i]), out[i], &st))
            return st;
    }
    return NLP_OK;
}

static int is_space(const nlp_token_t *t) {
    return (t->lex->flags & NLP_FLAG_IS_SPACE) != 0;
}

/* The view and the index maps between it and the Doc, all in `arena`. */
typedef struct view {
    nlp__arena_t arena;   /* everything below; gone when the run ends */
    nlp_doc_t doc;        /* the Doc's header with the view's tokens */
    uint32_t *orig;       /* orig[v]: Doc index of view token v */
    uint32_t *before;     /* before[i]: view tokens before Doc token i (n + 1) */
} view_t;

/* Maps entity spans [s, e) to [start_of[s], end_of[e - 1]); spans left
 * empty are dropped. */
static size_t map_spans(const nlp_span_t *from, size_t n, const uint32_t *start_of,
                        const uint32_t *end_of, nlp_span_t *out) {
    size_t k = 0;
    for (size_t e = 0; e < n; e++) {
        nlp_span_t s = from[e];
        s.start = start_of[s.start];
        s.end = end_of[s.end - 1];
        if (s.start < s.end) out[k++] = s;
    }
    return k;
}

/* Makes the view of `doc`'s m non-space tokens (v->arena initialised):
 * the same annotation, heads re-pointed (to the root when they pointed at
 * whitespace), and a word before whitespace followed by a space. The view's
 * arena is its own, so the entity list components set on it is transient:
 * entities are the only thing they keep in a Doc's arena, and view_close
 * copies them to the Doc. */
static nlp_status_t view_open(view_t *v, nlp_doc_t *doc, uint32_t m) {
    const uint32_t n = doc->n_tokens;
    nlp_token_t *block = NLP__ARENA_NEW(&v->arena, nlp_token_t, (size_t)m + 2 * NLP__DOC_PAD);
    v->orig = NLP__ARENA_NEW(&v->arena, uint32_t, (size_t)m + 1);
    v->before = NLP__ARENA_NEW(&v->arena, uint32_t, (size_t)n + 1);
    if (!block || !v->orig || !v->before) return NLP_NOMEM;
    const nlp_token_t *t = doc->tokens;
    nlp_token_t *vt = block + NLP__DOC_PAD;
    for (uint32_t p = 0; p < NLP__DOC_PAD; p++) {
        block[p] = t[-1];
        vt[m + p] = t[-1];
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        v->before[i] = k;
        if (is_space(&t[i])) continue;
        v->orig[k] = i;
        vt[k] = t[i];
        vt[k].spacy |= i + 1 < n && is_space(&t[i + 1]);
        k++;
    }
    v->before[n] = k;
    for (uint32_t j = 0; j < m; j++) {
        uint32_t h = (uint32_t)((int64_t)v->orig[j] + t[v->orig[j]].head);
        vt[j].head = is_space(&t[h]) ? 0 : (int32_t)v->before[h] - (int32_t)j;
    }
    v->doc = *doc;
    v->doc.arena = &v->arena;
    v->doc.tokens = vt;
    v->doc.n_tokens = v->doc.cap_tokens = m;
    v->doc.ents = NULL;
    v->doc.n_ents = v->doc.cap_ents = 0;
    if (!doc->n_ents) return NLP_OK;
    /* A Doc entity [s, e) covers view tokens [before[s], before[e]). */
    nlp_span_t *spans = NLP__ARENA_NEW(&v->arena, nlp_span_t, doc->n_ents);
    if (!spans) return NLP_NOMEM;
    size_t n_ents = map_spans(doc->ents, doc->n_ents, v->before, v->before + 1, spans);
    return nlp__doc_set_ents(&v->doc, spans, n_ents);
}

/* The non-space token nearest before Doc token i, else after it, else
 * (no words at all) the first token. */
static uint32_t word_for_space(const view_t *v, uint32_t i, uint32_t m) {
    uint32_t k = v->before[i];
    if (k > 0) return v->orig[k - 1];
    return m > 0 ? v->orig[0] : 0;
}

/* Sets the view's entities on `doc`: a view entity [s, e) covers Doc
 * tokens [orig[s], orig[e - 1] + 1). On failure the Doc is unchanged. */
static nlp_status_t ents_back(view_t *v, nlp_doc_t *doc) {
    const uint32_t m = v->doc.n_tokens;
    nlp_span_t *spans = NLP__ARENA_NEW(&v->arena, nlp_span_t, (size_t)v->doc.n_ents + 1);
    uint32_t *after = NLP__ARENA_NEW(&v->arena, uint32_t, (size_t)m + 1);
    if (!spans || !after) return NLP_NOMEM;
    for (uint32_t j = 0; j < m; j++) after[j] = v->orig[j] + 1;
    size_t n_ents = map_spans(v->doc.ents, v->doc.n_ents, v->orig, after, spans);
    return nlp__doc_set_ents(doc, spans, n_ents);
}

/* Carries the view's annotation back to `doc` and annotates its
 * whitespace tokens for the layers the view has. */
static nlp_status_t view_close(view_t *v, nlp_doc_t *doc, const nlp__space_ids_t *ids) {
    const uint32_t n = doc->n_tokens, m = v->doc.n_tokens;
    const unsigned layers = v->doc.layers;
    /* Entities go first: they are the only step that can fail (before it
     * changes anything), and the words' entity marks copied below are the
     * ones it sets. */
    nlp_status_t st = (layers & NLP_HAS_ENTS) ? ents_back(v, doc) : NLP_OK;
    if (st) return st;
    nlp_token_t *t = doc->tokens;
    const nlp_token_t *vt = v->doc.tokens;
    for (uint32_t j = 0; j < m; j++) {
        nlp_token_t *o = &t[v->orig[j]];
        uint8_t spacy = o->spacy;
        *o = vt[j];
        o->spacy = spacy;
        o->head = (int32_t)v->orig[j + vt[j].head] - (int32_t)v->orig[j];
    }
    for (uint32_t i = 0; i < n; i++) {
        nlp_token_t *o = &t[i];
        if (!is_space(o)) continue;
        uint32_t w = word_for_space(v, i, m);
        if (layers & NLP_HAS_TAG) o->tag = ids->tag;
        if (layers & NLP_HAS_POS) o->pos = ids->pos;
        if (layers & NLP_HAS_MORPH) o->morph = 0;
        if (layers & NLP_HAS_LEMMA) o->lemma = o->lex->orth;
        if (layers & NLP_HAS_DEP) {
            o->head = (int32_t)w - (int32_t)i;
            o->dep = ids->dep;
        }
        if (layers & NLP_HAS_SENTS) {
            /* Leading whitespace starts the first sentence in its word's place. */
            o->sent_start = i == 0;
            if (i == 0 && w != 0) t[w].sent_start = 0;
        }
    }
    doc->layers = layers;
    return NLP_OK;
}

nlp_status_t nlp__run_without_spaces(nlp_doc_t *doc, nlp__chunk_cache_t *cache,
                                     const nlp__space_ids_t *ids,
                                     nlp_status_t (*run)(void *ctx, nlp_doc_t *d),
                                     void *ctx) {
    uint32_t words = 0;
    for (uint32_t i = 0; i < doc->n_tokens; i++) words += !is_space(&doc->tokens[i]);
    if (words == doc->n_tokens) return run(ctx, doc);
    view_t v;
    nlp__arena_init(&v.arena, cache);
    nlp_status_t st = view_open(&v, doc, words);
    if (!st) st = run(ctx, &v.doc);
    if (!st) st = view_close(&v, doc, ids);
    nlp__arena_destroy(&v.arena);
    return st;
}
