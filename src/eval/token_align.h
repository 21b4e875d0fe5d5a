/* Token-level evaluation: predicted tokens against the gold words of a
 * CoNLL-U sentence, compared by their byte spans in the sentence's text.
 *
 * Gold word spans come from nlp__gold_word_spans (eval/evaluate.h): each
 * CoNLL-U token is found in "# text", and the words of a multiword token
 * take their pieces of its surface form ("didn't" -> "did" + "n't").
 */
#ifndef NLP_EVAL_TOKEN_ALIGN_H
#define NLP_EVAL_TOKEN_ALIGN_H

#include <stddef.h>
#include <stdint.h>

#include "eval/evaluate.h"
#include "io/corpus.h"
#include "spacyc/doc.h"

/* Counts for token precision, recall and F-score. */
typedef struct nlp__token_counts {
    size_t tp; /* predicted tokens whose span is a gold word's span */
    size_t fp; /* other predicted tokens */
    size_t fn; /* gold words no predicted token matches */
} nlp__token_counts_t;

/* Adds one sentence to `acc`. starts[i], ends[i] are the byte span of
 * predicted token i in s->text, in text order, whitespace tokens left out.
 * Returns NLP_FORMAT (with a detail) when the gold words cannot be found in
 * the text, NLP_NOMEM when scratch memory for a long sentence (taken from
 * `alloc`, NULL: the C library's) runs out; `acc` is unchanged then. */
nlp_status_t nlp__token_align_count(const nlp__gold_sent_t *s,
                                    const uint32_t *starts,
                                    const uint32_t *ends, size_t n_pred,
                                    const nlp_allocator_t *alloc,
                                    nlp__token_counts_t *acc);

/* The same for a Doc made from s->text: its tokens are the predictions,
 * whitespace tokens (lexemes flagged NLP_FLAG_IS_SPACE) ignored. */
nlp_status_t nlp__token_align_count_doc(const nlp__gold_sent_t *s,
                                        const nlp_doc_t *doc,
                                        const nlp_allocator_t *alloc,
                                        nlp__token_counts_t *acc);

/* Precision, recall and F-score of the counts; 0 where undefined. */
double nlp__token_precision(const nlp__token_counts_t *c);
double nlp__token_recall(const nlp__token_counts_t *c);
double nlp__token_f(const nlp__token_counts_t *c);

#endif
