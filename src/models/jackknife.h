/* Jackknifed training of upstream components.
 *
 * A component that learns from the annotations of the components before it
 * (the parser from the tagger's tags) learns best from annotations as noisy
 * as those on new text. The jackknife trains the upstream components once
 * per fold, each time without that fold of the training documents
 * (nlp__jackknife_folds), so every training sentence can be annotated by
 * components that never saw it.
 *
 * Not thread-safe: one jackknife per training run.
 */
#ifndef NLP_MODELS_JACKKNIFE_H
#define NLP_MODELS_JACKKNIFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "models/train.h"

#define NLP__JACKKNIFE_FOLDS 4u
/* The most upstream components a jackknife retrains. */
#define NLP__JACKKNIFE_MAX_COMPONENTS 8u

typedef struct nlp__jackknife {
    /* comps[k][i]: upstream component i trained without fold k, on the
     * components before it from the same fold. */
    nlp__component_t *comps[NLP__JACKKNIFE_FOLDS][NLP__JACKKNIFE_MAX_COMPONENTS];
    /* folds[k] points at comps[k], in the form the trainers take. */
    const nlp__component_t *const *folds[NLP__JACKKNIFE_FOLDS];
    size_t n_trained; /* components trained in every fold */
    bool ready; /* false when there was nothing to train or too little data */
} nlp__jackknife_t;

/* Splits a corpus into n_folds jackknife folds: fold[s] for each sentence.
 * Folds are made of whole documents, so a model trained without a fold has
 * seen nothing of the documents it annotates, as on new text; a corpus with
 * too few documents is split by paragraphs instead. Returns false when even
 * the paragraphs are too few (fewer than two per fold) to jackknife. */
bool nlp__jackknife_folds(const nlp__corpus_t *c, uint32_t n_folds,
                          uint32_t *fold);

/* Trains trainers[0..n) in order once per fold of `train` (each without its
 * fold), scoring on `dev` as they go. A NULL trainer marks a component that
 * cannot be retrained on this corpus (it learns from other data): the
 * jackknife is then left not ready, as it is when the corpus has too few
 * paragraphs to fold. A line per trained fold goes to `progress` when it
 * is non-NULL. NLP_LIMIT when n exceeds NLP__JACKKNIFE_MAX_COMPONENTS.
 * Free with nlp__jackknife_free, also after an error. */
nlp_status_t nlp__jackknife_train(nlp__jackknife_t *j, nlp_vocab_t *vocab,
                                  const nlp__train_fn *trainers, size_t n,
                                  const nlp__corpus_t *train,
                                  const nlp__corpus_t *dev,
                                  const nlp__train_opts_t *opts, FILE *progress);

/* As nlp__jackknife_train, for a jackknife (zeroed, or trained before on
 * the same corpus by a prefix of the same trainers) that keeps the
 * components it has and trains only trainers[j->n_trained..n) in each fold:
 * a pipeline jackknifes each later component without retraining the ones
 * before it. */
nlp_status_t nlp__jackknife_extend(nlp__jackknife_t *j, nlp_vocab_t *vocab,
                                   const nlp__train_fn *trainers, size_t n,
                                   const nlp__corpus_t *train,
                                   const nlp__corpus_t *dev,
                                   const nlp__train_opts_t *opts, FILE *progress);

/* Frees the components and leaves the jackknife empty (not ready). */
void nlp__jackknife_free(nlp__jackknife_t *j);

#endif
