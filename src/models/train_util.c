/* Helpers shared by the trainers of the linear components. */
#include "train_util.h"

#include <stdbool.h>
#include <string.h>

#include "doc/doc.h"

/* A heap Doc of the gold words of sents[0..n_sents). With `as_raw_text`
 * the words of a multiword token are written together and a sentence's
 * last word keeps its space; without, every word is spaced as the CoNLL-U
 * file says and the last one has no space after it. */
static nlp_status_t words_doc(nlp_vocab_t *vocab, const nlp__gold_sent_t *sents,
                              size_t n_sents, bool as_raw_text, nlp_doc_t **out) {
    *out = NULL;
    const nlp_allocator_t *alloc = vocab->alloc;
    size_t n = 0;
    for (size_t s = 0; s < n_sents; s++) n += sents[s].n_words;
    const char **forms = nlp__calloc(alloc, n ? n : 1, sizeof *forms);
    size_t *lens = nlp__calloc(alloc, n ? n : 1, sizeof *lens);
    uint8_t *spaces = nlp__calloc(alloc, n ? n : 1, 1);
    nlp_status_t st = NLP_NOMEM;
    if (forms && lens && spaces) {
        size_t k = 0;
        for (size_t s = 0; s < n_sents; s++) {
            const nlp__gold_sent_t *sent = &sents[s];
            for (uint32_t i = 0; i < sent->n_words; i++) {
                /* A form written "_" reads as empty; it was an underscore. */
                const char *form = sent->words[i].form;
                forms[k + i] = form[0] ? form : "_";
                lens[k + i] = strlen(forms[k + i]);
                spaces[k + i] = sent->words[i].space_after;
            }
            for (uint32_t m = 0; as_raw_text && m < sent->n_mwts; m++) {
                const nlp__gold_mwt_t *mwt = &sent->mwts[m];
                for (uint32_t i = mwt->first; i < mwt->last && i < sent->n_words; i++)
                    spaces[k + i] = 0;
                if (mwt->last < sent->n_words)
                    spaces[k + mwt->last] = mwt->space_after;
            }
            k += sent->n_words;
        }
        if (!as_raw_text && n) spaces[n - 1] = 0;
        st = nlp__doc_from_words(vocab, NULL, forms, lens, spaces, n, out);
    }
    nlp__free(alloc, forms);
    nlp__free(alloc, lens);
    nlp__free(alloc, spaces);
    return st;
}

nlp_status_t nlp__gold_doc(nlp_vocab_t *vocab, const nlp__gold_sent_t *sent,
                           nlp_doc_t **out) {
    return words_doc(vocab, sent, 1, false, out);
}

nlp_status_t nlp__gold_paragraph_doc(nlp_vocab_t *vocab,
                                     const nlp__gold_sent_t *sents, size_t n_sents,
                                     nlp_doc_t **out) {
    return words_doc(vocab, sents, n_sents, true, out);
}

nlp_status_t nlp__run_components_on(const nlp__component_t *const *components,
                                    size_t n, nlp_doc_t *doc,
                                    nlp__arena_t *scratch) {
    for (size_t i = 0; i < n; i++) {
        uint64_t mark = nlp__failures();
        nlp_status_t st = components[i]->ops->process(components[i], doc, scratch);
        nlp__arena_reset(scratch);
        if (st) return nlp__name_failure(st, mark, components[i]->ops->name);
    }
    return NLP_OK;
}

uint64_t nlp__rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void nlp__shuffle_order(uint32_t *order, size_t n, uint64_t *state) {
    for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(nlp__rng_next(state) % i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}
