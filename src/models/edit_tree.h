/* Edit trees: how a word form turns into its lemma, in a form that also
 * applies to other words (the scheme of spaCy's trainable lemmatizer,
 * after Chrupała 2008 and Müller et al. 2015).
 *
 * A tree is built from one (form, lemma) pair: the longest common substring
 * of the two is kept, and the parts before and after it are handled by
 * subtrees; pieces with nothing in common are replaced literally. So
 * "studies" -> "study" becomes "keep all but the last 3 code points, then
 * replace 'ies' by 'y'", which applies to "flies" but not to "walked", and
 * "went" -> "go" becomes "replace 'went' by 'go'", which applies to nothing
 * else.
 *
 * Trees are written as short strings, so they can serve as class labels:
 *   tree  := 'M' PREFIX ':' SUFFIX ':' child child   keep the middle
 *          | 'R' N ':' BYTES N ':' BYTES             replace all
 *   child := '-' | tree                              '-': "" -> ""
 * with PREFIX and SUFFIX in code points and N in bytes, e.g. "studies" ->
 * "study" is "M0:3:-R3:ies1:y". Everything works on code points, so
 * multi-byte UTF-8 characters are never split.
 */
#ifndef NLP_MODELS_EDIT_TREE_H
#define NLP_MODELS_EDIT_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/common.h"

/* Longest word (in code points) the functions below handle. */
#define NLP__EDIT_TREE_MAX_CPS 128

/* Decodes UTF-8 s[0..len) into cps (capacity NLP__EDIT_TREE_MAX_CPS);
 * returns the number of code points, or -1 when the text is not valid
 * UTF-8 or too long. */
int nlp__utf8_decode(const char *s, size_t len, int32_t *cps);
/* Encodes code points into out (capacity `cap` bytes, at least 4 *
 * n + 1); returns the byte length (the output is NUL-terminated). */
size_t nlp__utf8_encode(const int32_t *cps, size_t n, char *out, size_t cap);
/* Lower-cases code points in place (Unicode simple case mapping); returns
 * non-zero when any changed. */
int nlp__cps_lower(int32_t *cps, size_t n);

/* Writes the tree turning form into lemma (code points) into out (capacity
 * `cap` bytes, NUL-terminated); NLP_LIMIT when it does not fit. Pure. */
nlp_status_t nlp__edit_tree_build(const int32_t *form, size_t n_form,
                                  const int32_t *lemma, size_t n_lemma,
                                  char *out, size_t cap);

/* A parsed tree, ready to apply. */
typedef struct nlp__edit_tree nlp__edit_tree_t;

/* Parses a tree string (s[0..len)); the caller frees it with
 * nlp__edit_tree_free and the same allocator. NLP_FORMAT when the string
 * is not a well-formed tree. */
nlp_status_t nlp__edit_tree_parse(const nlp_allocator_t *alloc, const char *s,
                                  size_t len, nlp__edit_tree_t **out);
void nlp__edit_tree_free(const nlp_allocator_t *alloc, nlp__edit_tree_t *t);
/* Applies the tree to form[0..n); writes the lemma's code points to out
 * (capacity NLP__EDIT_TREE_MAX_CPS) and returns their number, or -1 when
 * the tree does not fit the form (or the result is too long). Thread-safe. */
int nlp__edit_tree_apply(const nlp__edit_tree_t *t, const int32_t *form,
                         size_t n, int32_t *out);

#endif
