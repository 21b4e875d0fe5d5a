/* Parser internals shared by the run-time component (parser.c) and its
 * trainer (parser_train.c): the label and class inventory, its binary form
 * in the model file, and greedy decoding.
 *
 * Classes are the perceptron's outputs: SHIFT, BREAK, and one LEFT or RIGHT
 * class per label seen with that direction in training. Label ids count
 * from 1 (0 means "no label"); labels may carry a pseudo-projective
 * decoration ("dep||headlabel"), which decoding removes.
 */
#ifndef NLP_MODELS_PARSER_MODEL_H
#define NLP_MODELS_PARSER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "models/arc_hybrid.h"
#include "models/nonproj.h"
#include "models/parser_features.h"
#include "pipeline/component.h"
#include "spacyc/doc.h"

/* Version of the feature templates a model was trained with. */
#define NLP__PARSER_FEATURES_VERSION 1u

typedef struct nlp__parser_spec {
    uint32_t n_labels;         /* label ids are 1 .. n_labels */
    const char *const *names;  /* names[0 .. n_labels], names[0] = "" */
    nlp_hash_t *dep_ids;       /* string id of each label's undecorated form */
    uint32_t root_label;       /* given to sentence roots */
    uint32_t n_classes;
    const uint8_t *class_move;   /* nlp__ah_move_t of each class */
    const uint32_t *class_label; /* label of LEFT/RIGHT classes, else 0 */
    nlp__nonproj_map_t deco;     /* over ids 0 .. n_labels */
    /* Not stored: whether the vocabulary has word statistics, without which
     * the cluster templates stay silent (and cost nothing). */
    bool clusters;
} nlp__parser_spec_t;

/* Completes a spec whose names, root label and classes are set: fills
 * dep_ids and deco (allocated in `arena`) and checks that every class
 * refers to a valid move and label. */
nlp_status_t nlp__parser_spec_finish(nlp__parser_spec_t *spec,
                                     nlp__arena_t *arena);

/* Serialises a spec into a new buffer the caller frees with `alloc`. */
nlp_status_t nlp__parser_spec_encode(const nlp__parser_spec_t *spec,
                                     const nlp_allocator_t *alloc, void **out,
                                     size_t *len);

/* Reads and validates a serialised spec; everything is copied into
 * `arena`. NLP_MODEL_CORRUPT on malformed input. */
nlp_status_t nlp__parser_spec_decode(const void *data, size_t len,
                                     nlp__arena_t *arena,
                                     nlp__parser_spec_t *out);

/* Scores of every class for one feature vector: a trained view
 * (nlp__linear_t) at run time, the perceptron under training otherwise. */
typedef void (*nlp__parser_score_fn)(const void *model, const uint64_t *feats,
                                     size_t n_feats, float *scores);

/* The highest scoring class whose move is valid, or UINT32_MAX when none. */
uint32_t nlp__parser_best_valid(const nlp__parser_spec_t *spec,
                                const float *scores,
                                const bool valid[NLP__AH_N_MOVES]);

/* Parses n words greedily from the initial configuration to the end
 * (nlp__ah_finish included). `st` is initialised here from `arena`, which
 * also holds the temporaries. */
nlp_status_t nlp__parser_decode(const nlp__parser_spec_t *spec,
                                nlp__parser_score_fn score, const void *model,
                                const nlp__pf_word_t *words, uint32_t n,
                                const int8_t *preset, nlp__arena_t *arena,
                                nlp__ah_state_t *st);

/* Reads the finished parse out of `st`: absolute heads (-1 for roots) and
 * undecorated label ids, after undoing the pseudo-projective lifting.
 * heads and labels hold st->n entries. */
nlp_status_t nlp__parser_read_tree(const nlp__parser_spec_t *spec,
                                   const nlp__ah_state_t *st, int32_t *heads,
                                   uint32_t *labels, nlp__arena_t *scratch);

/* Makes the run-time component from a serialised spec and a frozen
 * perceptron image. Label strings are added permanently to `vocab`. When
 * `owned_image` is non-NULL the component frees it (with the vocabulary's
 * allocator) and `image` must point into it; otherwise `image` must outlive
 * the component (a mapped model file). */
nlp_status_t nlp__parser_create(nlp_vocab_t *vocab, const void *meta,
                                size_t meta_len, const void *image,
                                size_t image_len, void *owned_image,
                                nlp__component_t **out);

#endif
