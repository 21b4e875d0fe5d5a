/* Pieces shared by the component trainers: gold Docs, upstream components
 * and a seeded shuffle. */
#ifndef NLP_MODELS_TRAIN_UTIL_H
#define NLP_MODELS_TRAIN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "io/corpus.h"
#include "pipeline/component.h"

/* Builds a heap Doc (free with nlp_doc_free) holding the sentence's gold
 * words as tokens, with permanent lexemes, so no zone may be open. A word
 * with an empty form (CoNLL-U "_") becomes the token "_". No annotation is
 * copied: the caller compares predictions with the gold words itself. */
nlp_status_t nlp__gold_doc(nlp_vocab_t *vocab, const nlp__gold_sent_t *sent,
                           nlp_doc_t **out);

/* Builds a heap Doc of the gold words of sents[0..n), as they read in raw
 * text: the words of a multiword token ("do" + "n't") written together,
 * one sentence after the other. Same conditions as nlp__gold_doc. */
nlp_status_t nlp__gold_paragraph_doc(nlp_vocab_t *vocab,
                                     const nlp__gold_sent_t *sents, size_t n,
                                     nlp_doc_t **out);

/* Runs components[0..n) on `doc` in order, resetting `scratch` after each. */
nlp_status_t nlp__run_components_on(const nlp__component_t *const *components,
                                    size_t n, nlp_doc_t *doc,
                                    nlp__arena_t *scratch);

/* The next value of a splitmix64 generator (deterministic everywhere). */
uint64_t nlp__rng_next(uint64_t *state);
/* Fills order[0..n) with a permutation of 0..n-1 drawn from `state`. */
void nlp__shuffle_order(uint32_t *order, size_t n, uint64_t *state);

#endif
