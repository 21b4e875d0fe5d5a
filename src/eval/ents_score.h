/* Entity scores: precision, recall and F-score over exact span matches,
 * overall and per entity type, as seqeval and spaCy's `ents_p`, `ents_r`,
 * `ents_f` and `ents_per_type` count them.
 *
 * A predicted span counts as right when a gold span of the same unit has the
 * same start, end and label. Spans are compared by the `start` and `end`
 * fields of nlp_span_t, so gold and predictions must use the same token
 * indices (or the caller puts character offsets in both). Labels are string
 * ids; names are only needed for the per-type report.
 *
 * Pure computation, no allocation: an nlp__ents_score_t is a plain value a
 * thread owns. Adding to one score from several threads needs a lock.
 */
#ifndef NLP_EVAL_ENTS_SCORE_H
#define NLP_EVAL_ENTS_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/doc.h"

/* Most entity types one score tracks; spans of further types still count in
 * the totals. */
#define NLP__ENTS_MAX_TYPES 64
#define NLP__ENTS_NAME_MAX 47

typedef struct nlp__ents_counts {
    size_t tp, pred, gold;
} nlp__ents_counts_t;

typedef struct nlp__ents_type {
    nlp_hash_t label;
    char name[NLP__ENTS_NAME_MAX + 1]; /* "" until a name is given */
    nlp__ents_counts_t counts;
} nlp__ents_type_t;

typedef struct nlp__ents_score {
    nlp__ents_counts_t total;
    nlp__ents_type_t types[NLP__ENTS_MAX_TYPES]; /* in first-seen order */
    size_t n_types;
} nlp__ents_score_t;

typedef struct nlp__prf_value {
    double p, r, f;
} nlp__prf_value_t;

/* Gives the name of a label id, or NULL when unknown. */
typedef const char *(*nlp__label_name_fn)(void *ctx, nlp_hash_t label);

void nlp__ents_score_init(nlp__ents_score_t *s);

/* Counts one unit (a sentence or a Doc): its gold and predicted spans, in
 * any order. Duplicate predicted spans count once each (the second is a
 * false positive). `name` (may be NULL) names the types for the report. */
void nlp__ents_score_add(nlp__ents_score_t *s, const nlp_span_t *gold,
                         size_t n_gold, const nlp_span_t *pred, size_t n_pred,
                         nlp__label_name_fn name, void *ctx);

/* Precision, recall and F1 of counts; each is 0 when undefined (no
 * predictions, no gold, or both zero). */
nlp__prf_value_t nlp__ents_prf(const nlp__ents_counts_t *c);

/* The counts of one type, or NULL when it was never seen. */
const nlp__ents_type_t *nlp__ents_score_type(const nlp__ents_score_t *s,
                                             nlp_hash_t label);

/* Turns IOB2 tags ("B-PER", "I-PER", "O") into spans the way seqeval does
 * (an I- tag that does not continue an entity of its type starts a new one).
 * Labels are nlp_hash_string of the type; character offsets are left 0.
 * Writes at most `cap` spans and the number found in *n. */
void nlp__ents_from_iob2(const char *const *tags, size_t n_tags,
                         nlp_span_t *spans, size_t cap, size_t *n);

/* Writes `"ents_p":P,"ents_r":R,"ents_f":F,"ents_per_type":{"PER":{"p":..,
 * "r":..,"f":..},...}` (no braces around the whole) through `write`; types
 * without a name are written as their id in hex. */
nlp_status_t nlp__ents_score_write_json(const nlp__ents_score_t *s,
                                        nlp_write_fn write, void *ctx);

#endif
