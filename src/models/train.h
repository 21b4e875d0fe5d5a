/* Training entry points of the trainable components.
 *
 * Each trainer builds gold Docs from the corpus words (nlp_doc_from_words
 * semantics: permanent lexemes, no zone open), runs `upstream` components on
 * them first (so a parser learns from predicted tags), trains for
 * opts->epochs with a seeded shuffle, scores `dev` after each epoch (printing
 * one line to opts->log when it is non-NULL), keeps the best epoch's
 * averaged weights, and returns a ready, read-only component.
 */
#ifndef NLP_MODELS_TRAIN_H
#define NLP_MODELS_TRAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "io/corpus.h"
#include "pipeline/component.h"

typedef struct nlp__train_opts {
    uint32_t epochs; /* 0: the component's default */
    uint64_t seed;
    FILE *log;       /* progress lines, or NULL */
    const nlp_allocator_t *alloc;
    /* A gazetteer image (nlp__ner_gazetteer_build) for the entity
     * recogniser, which copies it into its model; NULL: none. */
    const void *gazetteer;
    size_t gazetteer_len;
    /* Greedy passes of the tagger and supertagger: 1 or 2 (0: 2). One
     * pass halves their time; on EWT dev the tagger loses 0.05 points of
     * tag and 0.13 of POS accuracy. */
    uint32_t tagger_passes;
} nlp__train_opts_t;

/* Whether sentence s of `c` starts a paragraph (or a document). */
static inline bool nlp__starts_paragraph(const nlp__corpus_t *c, size_t s) {
    return s == 0 || c->sents[s].newpar || c->sents[s].newdoc;
}

typedef nlp_status_t (*nlp__train_fn)(nlp_vocab_t *vocab,
                                      const nlp__corpus_t *train,
                                      const nlp__corpus_t *dev,
                                      const nlp__component_t *const *upstream,
                                      size_t n_upstream,
                                      const nlp__train_opts_t *opts,
                                      nlp__component_t **out);

/* A trainer with jackknifed upstream components: fold_upstream[k] holds
 * n_upstream components trained like `upstream` but without the training
 * sentences of fold k (nlp__jackknife_folds with n_folds), and those
 * sentences are annotated by them instead, so the component learns from
 * upstream errors as frequent as on unseen text. Dev data is annotated by
 * `upstream`. NLP_INVALID_ARG when the corpus is too small for n_folds. */
typedef nlp_status_t (*nlp__train_jackknifed_fn)(
    nlp_vocab_t *vocab, const nlp__corpus_t *train, const nlp__corpus_t *dev,
    const nlp__component_t *const *upstream, size_t n_upstream,
    const nlp__component_t *const *const *fold_upstream, uint32_t n_folds,
    const nlp__train_opts_t *opts, nlp__component_t **out);

/* Implemented in src/models/<name>.c. */
nlp_status_t nlp__supertagger_train(nlp_vocab_t *, const nlp__corpus_t *,
                                    const nlp__corpus_t *,
                                    const nlp__component_t *const *, size_t,
                                    const nlp__train_opts_t *, nlp__component_t **);
nlp_status_t nlp__supertagger_load(nlp_vocab_t *, const nlp__model_reader_t *,
                                   const char *, nlp__component_t **);
nlp_status_t nlp__tagger_train(nlp_vocab_t *, const nlp__corpus_t *,
                               const nlp__corpus_t *,
                               const nlp__component_t *const *, size_t,
                               const nlp__train_opts_t *, nlp__component_t **);
nlp_status_t nlp__lemmatizer_train(nlp_vocab_t *, const nlp__corpus_t *,
                                   const nlp__corpus_t *,
                                   const nlp__component_t *const *, size_t,
                                   const nlp__train_opts_t *,
                                   nlp__component_t **);
nlp_status_t nlp__parser_train(nlp_vocab_t *, const nlp__corpus_t *,
                               const nlp__corpus_t *,
                               const nlp__component_t *const *, size_t,
                               const nlp__train_opts_t *, nlp__component_t **);
/* nlp__parser_train with jackknifed upstream components (see
 * nlp__train_jackknifed_fn). */
nlp_status_t nlp__parser_train_jackknifed(
    nlp_vocab_t *vocab, const nlp__corpus_t *train, const nlp__corpus_t *dev,
    const nlp__component_t *const *upstream, size_t n_upstream,
    const nlp__component_t *const *const *fold_upstream, uint32_t n_folds,
    const nlp__train_opts_t *opts, nlp__component_t **out);
nlp_status_t nlp__senter_train(nlp_vocab_t *, const nlp__corpus_t *,
                               const nlp__corpus_t *,
                               const nlp__component_t *const *, size_t,
                               const nlp__train_opts_t *, nlp__component_t **);
/* nlp__senter_train with jackknifed upstream components. */
nlp_status_t nlp__senter_train_jackknifed(
    nlp_vocab_t *vocab, const nlp__corpus_t *train, const nlp__corpus_t *dev,
    const nlp__component_t *const *upstream, size_t n_upstream,
    const nlp__component_t *const *const *fold_upstream, uint32_t n_folds,
    const nlp__train_opts_t *opts, nlp__component_t **out);
nlp_status_t nlp__ner_train(nlp_vocab_t *, const nlp__corpus_t *,
                            const nlp__corpus_t *,
                            const nlp__component_t *const *, size_t,
                            const nlp__train_opts_t *, nlp__component_t **);

nlp_status_t nlp__tagger_load(nlp_vocab_t *, const nlp__model_reader_t *,
                              const char *, nlp__component_t **);
nlp_status_t nlp__lemmatizer_load(nlp_vocab_t *, const nlp__model_reader_t *,
                                  const char *, nlp__component_t **);
nlp_status_t nlp__parser_load(nlp_vocab_t *, const nlp__model_reader_t *,
                              const char *, nlp__component_t **);
nlp_status_t nlp__senter_load(nlp_vocab_t *, const nlp__model_reader_t *,
                              const char *, nlp__component_t **);
nlp_status_t nlp__ner_load(nlp_vocab_t *, const nlp__model_reader_t *,
                           const char *, nlp__component_t **);
/* The rule-based sentencizer needs no training. */
nlp_status_t nlp__sentencizer_create(nlp_vocab_t *, nlp__component_t **);
nlp_status_t nlp__sentencizer_load(nlp_vocab_t *, const nlp__model_reader_t *,
                                   const char *, nlp__component_t **);

#endif
