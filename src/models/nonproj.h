/* Pseudo-projective parsing (Nivre & Nilsson 2005, the "head" encoding used
 * by spaCy's nonproj module).
 *
 * A transition parser can only build projective trees. Before training,
 * every non-projective arc is lifted (the shortest first) to its head's head
 * until the tree is projective, and the lifted word's label is decorated
 * with the label of its original head: "dep||headlabel". After parsing, a
 * word with a decorated label is moved back down: breadth-first below its
 * current head, the first word whose label is `headlabel` becomes its head.
 *
 * Trees are arrays of absolute head indices, -1 for a root; a "tree" here may
 * hold several sentences (several roots) as long as no arc leaves its own
 * component. All functions are pure apart from their out-parameters and are
 * thread-safe.
 */
#ifndef NLP_MODELS_NONPROJ_H
#define NLP_MODELS_NONPROJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

/* The separator between a label and its original head's label. */
#define NLP__NONPROJ_DELIM "||"

/* NLP_OK when every head is -1 or a valid index other than the word itself
 * and following heads from any word reaches a root (no cycles); otherwise
 * NLP_FORMAT with the offending word in the detail message, numbered as in
 * CoNLL-U (words from 1, head 0 for the root). */
nlp_status_t nlp__nonproj_check_tree(const int32_t *heads, size_t n);

/* True when the arc from heads[d] to d is crossed, i.e. some word strictly
 * between them is not a descendant of heads[d]. `heads` must be a tree. */
bool nlp__nonproj_is_nonproj_arc(const int32_t *heads, size_t n, size_t d);

/* True when no arc of the tree is non-projective. */
bool nlp__nonproj_is_projective(const int32_t *heads, size_t n);

/* Makes the tree projective in place by repeatedly lifting the shortest
 * non-projective arc to the grandparent, and decorates the label of every
 * lifted word as "label||label-of-original-head". The decorated strings are
 * allocated in `arena` (valid until it is reset); other entries of `labels`
 * are left untouched. `labels` may be NULL to lift heads only. *n_lifted
 * (may be NULL) receives the number of words whose head changed. Fails with
 * NLP_FORMAT when `heads` is not a tree, NLP_NOMEM when the arena is full. */
nlp_status_t nlp__nonproj_projectivize(int32_t *heads, const char **labels,
                                       size_t n, nlp__arena_t *arena,
                                       size_t *n_lifted);

/* Splits a possibly decorated label: returns a pointer to the head label
 * after the delimiter, or NULL when the label is not decorated. *base_len
 * receives the length of the part before the delimiter (strlen(label) when
 * undecorated). */
const char *nlp__nonproj_split_label(const char *label, size_t *base_len);

/* How decorated label ids map back, for n_labels labels numbered 0..n-1:
 * base[l] is the id of l without decoration (l itself when undecorated) and
 * head_label[l] the id of the head label named in the decoration, or
 * UINT32_MAX when l is undecorated. */
typedef struct nlp__nonproj_map {
    const uint32_t *base;
    const uint32_t *head_label;
    uint32_t n_labels;
} nlp__nonproj_map_t;

/* Builds the map for `labels` (n strings) in `arena`. Fails with NLP_FORMAT
 * when a decorated label's base or head label is not itself in the list. */
nlp_status_t nlp__nonproj_map_build(const char *const *labels, size_t n,
                                    nlp__arena_t *arena,
                                    nlp__nonproj_map_t *out);

/* Undoes the decoration in place: words are visited left to right, and each
 * one with a decorated label gets as its head the first word, breadth-first
 * among the descendants of its current head (never entering its own
 * subtree), whose label id is the decoration's head label; its label becomes
 * the base label. When no such word exists the head stays. Temporaries come
 * from `scratch`. Label ids must be < map->n_labels. */
nlp_status_t nlp__nonproj_deprojectivize(int32_t *heads, uint32_t *labels,
                                         size_t n,
                                         const nlp__nonproj_map_t *map,
                                         nlp__arena_t *scratch);

#endif
