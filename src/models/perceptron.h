/* An averaged perceptron over hashed features, shared by every linear
 * component.
 *
 * Features are 64-bit ids (hashes of template id + attribute values). During
 * training, weights are a table of rows (one float per class) with the
 * bookkeeping for averaging; `freeze` turns them into an immutable image of
 * averaged weights that can be stored in a model file and used in place
 * (mmap) by any number of threads.
 */
#ifndef NLP_MODELS_PERCEPTRON_H
#define NLP_MODELS_PERCEPTRON_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

typedef struct nlp__perceptron nlp__perceptron_t;

/* Read-only averaged weights (a view of a frozen image). */
typedef struct nlp__linear {
    uint32_t n_classes;
    uint64_t mask;          /* slots - 1 */
    const uint64_t *keys;   /* slot -> feature id (0 = empty) */
    const uint32_t *rows;   /* slot -> row index */
    const float *weights;   /* row * n_classes */
} nlp__linear_t;

nlp_status_t nlp__perceptron_create(const nlp_allocator_t *alloc,
                                    uint32_t n_classes,
                                    nlp__perceptron_t **out);
void nlp__perceptron_free(nlp__perceptron_t *p);
uint32_t nlp__perceptron_n_classes(const nlp__perceptron_t *p);
/* scores[c] = sum of current weights of feats for class c (not averaged). */
void nlp__perceptron_scores(const nlp__perceptron_t *p, const uint64_t *feats,
                            size_t n_feats, float *scores);
/* Moves weights of feats towards `truth` and away from `guess` by `step`
 * (no-op when they are equal). */
nlp_status_t nlp__perceptron_update(nlp__perceptron_t *p, const uint64_t *feats,
                                    size_t n_feats, uint32_t truth,
                                    uint32_t guess, float step);
/* Marks the end of one training instance (advances the averaging clock). */
void nlp__perceptron_tick(nlp__perceptron_t *p);
/* Serialises the averaged weights into a new buffer (caller frees with
 * the allocator) that nlp__linear_open() accepts. */
nlp_status_t nlp__perceptron_freeze(const nlp__perceptron_t *p, void **image,
                                    size_t *len);
/* Validates a frozen image (8-byte aligned) and makes a view of it. */
nlp_status_t nlp__linear_open(const void *image, size_t len,
                              nlp__linear_t *out);
/* scores[c] = sum of averaged weights of feats for class c. */
void nlp__linear_scores(const nlp__linear_t *m, const uint64_t *feats,
                        size_t n_feats, float *scores);

#endif
