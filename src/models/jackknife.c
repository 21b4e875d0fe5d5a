/* Jackknifed training of upstream components. */
#include "jackknife.h"

#include <string.h>

#include "core/alloc.h"
#include "core/vocab.h"

bool nlp__jackknife_folds(const nlp__corpus_t *c, uint32_t n_folds,
                          uint32_t *fold) {
    size_t n_docs = 0, n_paras = 0;
    for (size_t s = 0; s < c->n_sents; s++) {
        n_docs += s == 0 || c->sents[s].newdoc;
        n_paras += nlp__starts_paragraph(c, s);
    }
    bool by_doc = n_docs >= 2 * (size_t)n_folds;
    size_t unit = 0;
    for (size_t s = 0; s < c->n_sents; s++) {
        bool starts = by_doc ? c->sents[s].newdoc : nlp__starts_paragraph(c, s);
        unit += s > 0 && starts;
        fold[s] = n_folds ? (uint32_t)(unit % n_folds) : 0;
    }
    return n_folds > 0 && n_paras >= 2 * (size_t)n_folds;
}

/* The training sentences outside fold `fold`: a view sharing the
 * sentences of `c` (free its sents array only). */
static nlp_status_t corpus_without_fold(const nlp_allocator_t *alloc,
                                        const nlp__corpus_t *c,
                                        const uint32_t *folds, uint32_t fold,
                                        nlp__corpus_t *out) {
    *out = (nlp__corpus_t){0};
    out->sents = nlp__calloc(alloc, c->n_sents ? c->n_sents : 1, sizeof *out->sents);
    if (!out->sents) return NLP_NOMEM;
    for (size_t s = 0; s < c->n_sents; s++) {
        if (folds[s] == fold) continue;
        out->sents[out->n_sents++] = c->sents[s];
        out->n_words += c->sents[s].n_words;
    }
    out->cap_sents = out->n_sents;
    return NLP_OK;
}

nlp_status_t nlp__jackknife_train(nlp__jackknife_t *j, nlp_vocab_t *vocab,
                                  const nlp__train_fn *trainers, size_t n,
                                  const nlp__corpus_t *train,
                                  const nlp__corpus_t *dev,
                                  const nlp__train_opts_t *opts, FILE *progress) {
    memset(j, 0, sizeof *j);
    return nlp__jackknife_extend(j, vocab, trainers, n, train, dev, opts, progress);
}

nlp_status_t nlp__jackknife_extend(nlp__jackknife_t *j, nlp_vocab_t *vocab,
                                   const nlp__train_fn *trainers, size_t n,
                                   const nlp__corpus_t *train,
                                   const nlp__corpus_t *dev,
                                   const nlp__train_opts_t *opts, FILE *progress) {
    j->ready = false;
    if (n > NLP__JACKKNIFE_MAX_COMPONENTS)
        return nlp__fail(NLP_LIMIT, "jackknife: %zu upstream components, at most %u",
                         n, NLP__JACKKNIFE_MAX_COMPONENTS);
    if (n == 0) return NLP_OK;
    for (size_t i = 0; i < n; i++)
        if (!trainers[i]) return NLP_OK;
    nlp_status_t st = NLP_OK;
    if (j->n_trained < n) {
        const nlp_allocator_t *alloc = opts->alloc ? opts->alloc : vocab->alloc;
        uint32_t *folds = nlp__calloc(alloc, train->n_sents ? train->n_sents : 1,
                                      sizeof *folds);
        if (!folds) return NLP_NOMEM;
        if (!nlp__jackknife_folds(train, NLP__JACKKNIFE_FOLDS, folds)) {
            nlp__free(alloc, folds);
            return NLP_OK;
        }
        for (uint32_t k = 0; k < NLP__JACKKNIFE_FOLDS && !st; k++) {
            nlp__corpus_t part;
            if ((st = corpus_without_fold(alloc, train, folds, k, &part))) break;
            for (size_t i = j->n_trained; i < n && !st; i++)
                st = trainers[i](vocab, &part, dev,
                                 (const nlp__component_t *const *)j->comps[k], i,
                                 opts, &j->comps[k][i]);
            nlp__free(alloc, part.sents);
            if (!st && progress)
                fprintf(progress, "jackknife fold %u of %u trained\n", k + 1,
                        NLP__JACKKNIFE_FOLDS);
        }
        nlp__free(alloc, folds);
        if (st) return st;
        j->n_trained = n;
    }
    for (uint32_t k = 0; k < NLP__JACKKNIFE_FOLDS; k++)
        j->folds[k] = (const nlp__component_t *const *)j->comps[k];
    j->ready = true;
    return NLP_OK;
}

void nlp__jackknife_free(nlp__jackknife_t *j) {
    /* A failed extension may leave components beyond n_trained. */
    for (uint32_t k = 0; k < NLP__JACKKNIFE_FOLDS; k++)
        for (size_t i = 0; i < NLP__JACKKNIFE_MAX_COMPONENTS; i++)
            if (j->comps[k][i]) j->comps[k][i]->ops->free(j->comps[k][i]);
    memset(j, 0, sizeof *j);
}
