/* Counting predicted tokens whose spans match gold words. */
#include "token_align.h"

#include <string.h>

#include "core/alloc.h"
#include "doc/doc.h"

/* Sentences up to this many words need no allocation. */
#define SMALL_SENT 256

/* Both span lists are in text order; gold spans can repeat when the words
 * of a multiword token do not spell its surface form (they all take the
 * whole form), and a predicted token counts at most once. */
static size_t count_matches(const uint32_t *gs, const uint32_t *ge, size_t n_gold,
                            const uint32_t *ps, const uint32_t *pe,
                            size_t n_pred) {
    size_t tp = 0, g = 0;
    for (size_t i = 0; i < n_pred; i++) {
        while (g < n_gold && gs[g] < ps[i]) g++;
        for (size_t k = g; k < n_gold && gs[k] == ps[i]; k++) {
            if (ge[k] == pe[i]) {
                tp++;
                break;
            }
        }
    }
    return tp;
}

nlp_status_t nlp__token_align_count(const nlp__gold_sent_t *s,
                                    const uint32_t *starts,
                                    const uint32_t *ends, size_t n_pred,
                                    const nlp_allocator_t *alloc,
                                    nlp__token_counts_t *acc) {
    if (!s || !acc || (n_pred && (!starts || !ends))) return NLP_INVALID_ARG;
    alloc = nlp__allocator_or_default(alloc);
    uint32_t small[2 * SMALL_SENT];
    uint32_t *gs = small;
    if (s->n_words > SMALL_SENT) {
        gs = nlp__calloc(alloc, 2 * (size_t)s->n_words, sizeof *gs);
        if (!gs) return NLP_NOMEM;
    }
    uint32_t *ge = gs + s->n_words;
    nlp_status_t st = nlp__gold_word_spans(s, gs, ge);
    if (!st) {
        size_t tp = count_matches(gs, ge, s->n_words, starts, ends, n_pred);
        acc->tp += tp;
        acc->fp += n_pred - tp;
        acc->fn += s->n_words - tp;
    }
    if (gs != small) nlp__free(alloc, gs);
    return st;
}

nlp_status_t nlp__token_align_count_doc(const nlp__gold_sent_t *s,
                                        const nlp_doc_t *doc,
                                        const nlp_allocator_t *alloc,
                                        nlp__token_counts_t *acc) {
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    alloc = nlp__allocator_or_default(alloc);
    uint32_t small[2 * SMALL_SENT];
    uint32_t *spans = small;
    if (doc->n_tokens > SMALL_SENT) {
        spans = nlp__calloc(alloc, 2 * (size_t)doc->n_tokens, sizeof *spans);
        if (!spans) return NLP_NOMEM;
    }
    uint32_t *ends = spans + (doc->n_tokens > SMALL_SENT ? doc->n_tokens : SMALL_SENT);
    size_t n = 0;
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        const nlp_token_t *t = &doc->tokens[i];
        if (t->lex->flags & NLP_FLAG_IS_SPACE) continue;
        spans[n] = t->idx;
        ends[n++] = t->idx + t->len;
    }
    st = nlp__token_align_count(s, spans, ends, n, alloc, acc);
    if (spans != small) nlp__free(alloc, spans);
    return st;
}

double nlp__token_precision(const nlp__token_counts_t *c) {
    return c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 0.0;
}

double nlp__token_recall(const nlp__token_counts_t *c) {
    return c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 0.0;
}

double nlp__token_f(const nlp__token_counts_t *c) {
    double p = nlp__token_precision(c), r = nlp__token_recall(c);
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}
