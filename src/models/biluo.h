/* The BILUO transition system for entity recognition, with its dynamic
 * oracle.
 *
 * The recogniser reads one sentence left to right and takes one action per
 * token:
 *   OUT       the token is outside every entity,
 *   BEGIN(l)  the token starts an entity of label l that goes on,
 *   IN(l)     the token continues the open entity,
 *   LAST(l)   the token ends the open entity,
 *   UNIT(l)   the token is an entity of one token.
 * An entity is open after BEGIN and IN; only IN and LAST of its label are
 * valid then, and BEGIN and IN need a next token in the same sentence, so
 * every complete action sequence spells well-formed, non-overlapping spans
 * that never cross a sentence boundary.
 *
 * Action ids are dense: 0 is OUT and label l owns ids 1 + 4l .. 4 + 4l
 * (BEGIN, IN, LAST, UNIT), so a model with L labels has 1 + 4L classes.
 *
 * The oracle's cost of an action is the number of errors (missed gold spans
 * plus wrong predicted spans) that taking it makes unavoidable, so a greedy
 * learner can be trained from the states its own mistakes lead to
 * (Goldberg & Nivre 2012's dynamic oracle, applied to BILUO). Zero-cost
 * actions from the initial state reproduce the gold spans exactly.
 *
 * Everything here is pure and thread-safe.
 */
#ifndef NLP_MODELS_BILUO_H
#define NLP_MODELS_BILUO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

typedef enum nlp__biluo_move {
    NLP__BILUO_OUT = 0,
    NLP__BILUO_BEGIN = 1,
    NLP__BILUO_IN = 2,
    NLP__BILUO_LAST = 3,
    NLP__BILUO_UNIT = 4,
} nlp__biluo_move_t;

/* Most entity labels one model may have. */
#define NLP__BILUO_MAX_LABELS 1000u
/* The cost the oracle gives an invalid action. */
#define NLP__BILUO_INVALID UINT32_MAX
/* "No label" in label arrays. */
#define NLP__BILUO_NONE (-1)

static inline uint32_t nlp__biluo_n_actions(uint32_t n_labels) {
    return 1 + 4 * n_labels;
}

/* The id of `move` with `label` (label ignored for OUT). */
static inline uint32_t nlp__biluo_action(nlp__biluo_move_t move,
                                         uint32_t label) {
    return move == NLP__BILUO_OUT ? 0 : 1 + 4 * label + (uint32_t)(move - 1);
}

static inline nlp__biluo_move_t nlp__biluo_move_of(uint32_t action) {
    return action == 0 ? NLP__BILUO_OUT
                       : (nlp__biluo_move_t)(1 + (action - 1) % 4);
}

/* The label of an action; meaningless for OUT. */
static inline uint32_t nlp__biluo_label_of(uint32_t action) {
    return action == 0 ? 0 : (action - 1) / 4;
}

/* Where the recogniser stands in one sentence [start, end) of a Doc. */
typedef struct nlp__biluo_state {
    uint32_t i;          /* the token the next action is for */
    uint32_t end;        /* one past the sentence's last token */
    int32_t open_label;  /* label of the open entity, or NLP__BILUO_NONE */
    uint32_t open_start; /* first token of the open entity */
} nlp__biluo_state_t;

/* A finished entity: tokens [start, end) with a label index. */
typedef struct nlp__biluo_span {
    uint32_t start, end;
    uint32_t label;
} nlp__biluo_span_t;

/* The state before the first token of sentence [start, end). */
nlp__biluo_state_t nlp__biluo_init(uint32_t start, uint32_t end);

/* True when every token of the sentence has had its action. */
static inline bool nlp__biluo_done(const nlp__biluo_state_t *s) {
    return s->i >= s->end;
}

/* True when `action` (of a system with n_labels labels) may be taken now. */
bool nlp__biluo_valid(const nlp__biluo_state_t *s, uint32_t n_labels,
                      uint32_t action);

/* Writes valid[a] = 1 or 0 for every action a < 1 + 4 * n_labels. */
void nlp__biluo_valid_mask(const nlp__biluo_state_t *s, uint32_t n_labels,
                           uint8_t *valid);

/* Takes `action`, which must be valid (NLP_INVALID_ARG otherwise, with the
 * state unchanged). When the action completes an entity it is written to
 * *done and *has_done is set to true; else *has_done is false. */
nlp_status_t nlp__biluo_apply(nlp__biluo_state_t *s, uint32_t n_labels,
                              uint32_t action, nlp__biluo_span_t *done,
                              bool *has_done);

/* The gold entities of one Doc as the oracle reads them: for each token t,
 * start_label[t] is the label of the gold entity that starts at t (or
 * NLP__BILUO_NONE) and last[t] the index of its last token. Both arrays
 * cover the Doc's tokens; the spans do not overlap. */
typedef struct nlp__biluo_gold {
    const int32_t *start_label;
    const uint32_t *last;
} nlp__biluo_gold_t;

/* The oracle cost of `action` in state s: 0 when the best outcome still
 * reachable stays reachable, else how many more errors become certain;
 * NLP__BILUO_INVALID when the action is not valid. */
uint32_t nlp__biluo_cost(const nlp__biluo_state_t *s, uint32_t n_labels,
                         const nlp__biluo_gold_t *gold, uint32_t action);

/* Fills start_label[0..n_tokens) and last[0..n_tokens) from gold spans
 * (token indices; spans out of range, empty or overlapping an earlier one
 * are left out). */
void nlp__biluo_gold_fill(const nlp__biluo_span_t *spans, size_t n_spans,
                          uint32_t n_tokens, int32_t *start_label,
                          uint32_t *last);

#endif
