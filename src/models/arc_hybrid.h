/* The arc-hybrid transition system (Kuhlmann, Gómez-Rodríguez & Satta 2011)
 * with a sentence-break move, and its dynamic oracle (Goldberg & Nivre
 * 2013).
 *
 * A configuration is a stack, a buffer (always a suffix of the words, so
 * just the index of its front b0) and the arcs built so far. Moves:
 *   SHIFT  push b0.
 *   LEFT   pop s0 and make it a left child of b0.
 *   RIGHT  pop s0 and make it a right child of s1.
 *   BREAK  with s0 the only word on the stack, pop it as the root of its
 *          sentence and start a new sentence at b0.
 * The whole Doc is parsed as one sequence, so the parser segments sentences
 * while it parses. After BREAK the stack is empty, hence no arc ever crosses
 * a sentence boundary, and each sentence gets exactly one root (the word
 * popped by BREAK, or the last word left on the stack at the end).
 *
 * Arc-hybrid was chosen over arc-eager because its oracle costs are exact
 * and local (each move's cost is a count over s0, s1 and b0's gold arcs),
 * and because every reachable terminal configuration is a well-formed tree
 * with one root per sentence, without arc-eager's extra Unshift move or root
 * repair at the end of the input.
 */
#ifndef NLP_MODELS_ARC_HYBRID_H
#define NLP_MODELS_ARC_HYBRID_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"

typedef enum nlp__ah_move {
    NLP__AH_SHIFT = 0,
    NLP__AH_LEFT = 1,
    NLP__AH_RIGHT = 2,
    NLP__AH_BREAK = 3,
    NLP__AH_N_MOVES = 4
} nlp__ah_move_t;

/* What the parse has built for one word. Index -1 ("no word") is a valid
 * entry with every field empty, so feature extraction reads children of
 * absent words without tests. */
typedef struct nlp__ah_word {
    int32_t head;       /* absolute index; -1 while unattached and for roots */
    uint32_t label;     /* label id, 0 while unattached */
    int32_t left[2];    /* leftmost and second leftmost child, or -1 */
    int32_t right[2];   /* rightmost and second rightmost child, or -1 */
    uint16_t n_left;    /* number of left children */
    uint16_t n_right;   /* number of right children */
    uint8_t on_stack;
    uint8_t sent_start; /* 1 on the first word of each predicted sentence */
    uint8_t pad_[2];
} nlp__ah_word_t;

/* Below the stack bottom the array holds this many -1 entries, so s1 and s2
 * can be read without checking the depth. */
#define NLP__AH_STACK_PAD 3

typedef struct nlp__ah_state {
    nlp__ah_word_t *words; /* words[-1 .. n]: -1 and n are empty entries */
    int32_t *stack;        /* stack[-NLP__AH_STACK_PAD .. depth) */
    uint32_t n;            /* number of words */
    uint32_t depth;        /* number of words on the stack */
    uint32_t b0;           /* front of the buffer; n when it is empty */
    uint32_t root_label;   /* label given to sentence roots */
    /* Sentence starts fixed before parsing (1 yes, 0 no, -1 free), or NULL.
     * The parser never contradicts them. */
    const int8_t *preset;
} nlp__ah_state_t;

/* The gold tree used by the oracle: heads are absolute (-1 for a sentence
 * root), sent_start marks the first word of each gold sentence, and the
 * children of w are kids[kid_first[w] .. kid_first[w + 1]) in ascending
 * order. The tree should be projective (after nonproj lifting); costs are
 * exact then. */
typedef struct nlp__ah_gold {
    const int32_t *heads;
    const uint8_t *sent_start;
    const uint32_t *kid_first;
    const int32_t *kids;
} nlp__ah_gold_t;

/* Cost given to moves that are not valid. */
#define NLP__AH_INVALID_COST 0x7fffffff

/* Allocates and initialises a configuration over n words in `arena`: empty
 * stack, the whole input in the buffer. `preset` may be NULL. */
nlp_status_t nlp__ah_init(nlp__ah_state_t *st, uint32_t n, uint32_t root_label,
                          const int8_t *preset, nlp__arena_t *arena);

static inline int32_t nlp__ah_stack(const nlp__ah_state_t *st, uint32_t i) {
    /* Reads below the bottom land on the -1 padding for i < STACK_PAD. */
    return st->stack[(int32_t)st->depth - 1 - (int32_t)i];
}

/* The i-th word of the buffer, or -1 past its end. */
static inline int32_t nlp__ah_buffer(const nlp__ah_state_t *st, uint32_t i) {
    uint32_t w = st->b0 + i;
    return w < st->n ? (int32_t)w : -1;
}

/* True when no move is left: the buffer is empty and at most one word
 * remains on the stack. */
static inline bool nlp__ah_is_final(const nlp__ah_state_t *st) {
    return st->b0 >= st->n && st->depth <= 1;
}

/* Sets valid[m] for every move; at least one is valid unless the state is
 * final. */
void nlp__ah_valid(const nlp__ah_state_t *st, bool valid[NLP__AH_N_MOVES]);

/* Applies a valid move; `label` is used by LEFT and RIGHT. */
void nlp__ah_apply(nlp__ah_state_t *st, nlp__ah_move_t move, uint32_t label);

/* Makes the word left on the stack of a final state the root of the last
 * sentence and marks the first word as a sentence start. */
void nlp__ah_finish(nlp__ah_state_t *st);

/* The dependent and head of the arc `move` would build (LEFT or RIGHT), or
 * -1 for both otherwise. */
void nlp__ah_arc_of(const nlp__ah_state_t *st, nlp__ah_move_t move,
                    int32_t *dep, int32_t *head);

/* Dynamic oracle: cost[m] is the number of gold arcs (a root counts as an arc
 * from nowhere) and gold sentence boundaries that move m makes unreachable,
 * plus one for a boundary it adds that is not in the gold; invalid moves
 * get NLP__AH_INVALID_COST. Label errors are not counted: labels are
 * scored separately. From any state that can still reach the gold parse
 * the costs are exact. Off that path, roots and boundaries interact (two
 * gold roots cannot share a predicted sentence) and a cost can be off by
 * one; exhaustive search on small trees (tests/test_parser.c) finds the
 * cheapest moves by these costs always optimal. */
void nlp__ah_costs(const nlp__ah_state_t *st, const nlp__ah_gold_t *gold,
                   int32_t cost[NLP__AH_N_MOVES]);

#endif
