/* An averaged perceptron over hashed features, shared by every linear
 * component.
 *
 * Features are 64-bit ids (hashes of template id + attribute values, see
 * models/features.h); id 0 means "no feature" and is skipped everywhere.
 * During training, each feature that was ever updated owns a sparse row of
 * (class, weight) entries with the bookkeeping for lazy averaging; features
 * never updated cost nothing. `freeze` turns the averaged weights into a
 * compact immutable image (near-zero weights dropped, weights quantised to
 * 16 bits, rows stored sparse or dense, whichever scores faster) that can
 * be stored in a model file and used in place (mmap) by any number of
 * threads.
 *
 * Thread safety: a perceptron under training is used by one thread at a
 * time; an opened nlp__linear_t is read-only and may be shared freely.
 */
#ifndef NLP_MODELS_PERCEPTRON_H
#define NLP_MODELS_PERCEPTRON_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

/* Most classes one model may have (class indices are stored in 16 bits). */
#define NLP__PERCEPTRON_MAX_CLASSES 65535u

typedef struct nlp__perceptron nlp__perceptron_t;

/* Read-only averaged weights (a view of a frozen image). */
typedef struct nlp__linear {
    uint32_t n_classes;
    uint32_t n_slots;      /* a multiple of the block size */
    uint32_t n_features;   /* occupied slots */
    uint32_t n_units;      /* 4-byte units of row data */
    uint32_t len_bits;     /* low bits of an entry holding its row length */
    uint32_t dense_len;    /* length of a dense row; sparse rows are shorter */
    float scale;           /* weight of one quantisation step */
    const uint32_t *slots; /* fingerprint << len_bits | row length; 0: empty */
    const uint32_t *block_starts; /* where each block's first row starts */
    const uint16_t *cells; /* row data: (class, weight) pairs or dense rows */
} nlp__linear_t;

/* How freeze compresses the averaged weights. */
typedef struct nlp__freeze_opts {
    /* Averaged weights with |w| below this are dropped (0: keep all that
     * are not exactly zero). */
    float min_weight;
} nlp__freeze_opts_t;

/* Creates an empty model for n_classes (1..NLP__PERCEPTRON_MAX_CLASSES)
 * classes; free with nlp__perceptron_free. `alloc` may be NULL. */
nlp_status_t nlp__perceptron_create(const nlp_allocator_t *alloc,
                                    uint32_t n_classes,
                                    nlp__perceptron_t **out);
/* NULL is a no-op. */
void nlp__perceptron_free(nlp__perceptron_t *p);
uint32_t nlp__perceptron_n_classes(const nlp__perceptron_t *p);
/* Number of features that own a row (were updated at least once). */
size_t nlp__perceptron_n_features(const nlp__perceptron_t *p);
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
 * the allocator given at create, or the default one) that
 * nlp__linear_open() accepts. Uses the default freeze options. */
nlp_status_t nlp__perceptron_freeze(const nlp__perceptron_t *p, void **image,
                                    size_t *len);
/* As nlp__perceptron_freeze with explicit options (opts NULL: defaults). */
nlp_status_t nlp__perceptron_freeze_opts(const nlp__perceptron_t *p,
                                         const nlp__freeze_opts_t *opts,
                                         void **image, size_t *len);
/* Validates a frozen image (8-byte aligned; it must outlive the view) and
 * makes a view of it. NLP_MODEL_CORRUPT with a detail when it is damaged. */
nlp_status_t nlp__linear_open(const void *image, size_t len,
                              nlp__linear_t *out);
/* scores[c] = sum of averaged weights of feats for class c. Thread-safe. */
void nlp__linear_scores(const nlp__linear_t *m, const uint64_t *feats,
                        size_t n_feats, float *scores);

#endif
