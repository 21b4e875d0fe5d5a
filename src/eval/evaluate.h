/* Scoring a pipeline against gold corpora with spaCy's score names. */
#ifndef NLP_EVAL_EVALUATE_H
#define NLP_EVAL_EVALUATE_H

#include "io/corpus.h"
#include "spacyc/nlp.h"

#define NLP__EVAL_MAX_LABELS 128

typedef struct nlp__prf {
    size_t tp, pred, gold;
} nlp__prf_t;

typedef struct nlp__label_prf {
    char name[48];
    nlp__prf_t prf;
} nlp__label_prf_t;

typedef struct nlp__scores {
    nlp__prf_t tokens, sents, ents;
    /* Attribute matches over aligned words; accuracy divides by the gold
     * words (gold tokens: every word is aligned). */
    size_t tag_ok, pos_ok, morph_ok, lemma_ok;
    size_t dep_words, uas_ok, las_ok; /* dep_* skip gold punct, as spaCy */
    nlp__label_prf_t deps[NLP__EVAL_MAX_LABELS];
    size_t n_deps;
    nlp__label_prf_t ent_types[NLP__EVAL_MAX_LABELS];
    size_t n_ent_types;
    size_t gold_words;
    unsigned layers; /* NLP_HAS_* layers the pipeline produced */
    int has_gold_syntax, has_gold_ents;
    double seconds;  /* time spent in the pipeline */
} nlp__scores_t;

/* What the pipeline is given to analyse. */
typedef enum nlp__eval_input {
    /* Each paragraph's raw text, its sentences' "# text" joined by spaces;
     * predicted tokens are aligned to gold words by character span, as the
     * CoNLL 2018 evaluation does. */
    NLP__EVAL_RAW,
    /* The same with the sentences joined by line breaks. */
    NLP__EVAL_RAW_LINES,
    /* Docs built from the gold words, one per sentence. */
    NLP__EVAL_GOLD_TOKENS,
} nlp__eval_input_t;

/* Runs `nlp` over the corpus and fills `out`. */
nlp_status_t nlp__evaluate(nlp_t *nlp, const nlp__corpus_t *gold,
                           nlp__eval_input_t input, nlp__scores_t *out);

/* Writes the scores as one JSON object (spaCy's names). */
nlp_status_t nlp__scores_write_json(const nlp__scores_t *s, nlp_write_fn write,
                                    void *ctx);

/* Byte spans of a sentence's gold words inside its "# text": words are
 * found in order, whitespace skipped; the words of a multiword token take
 * consecutive spans inside its surface form when they concatenate to it,
 * and the whole surface span otherwise. Returns NLP_FORMAT when a token
 * cannot be found in the text. */
nlp_status_t nlp__gold_word_spans(const nlp__gold_sent_t *s, uint32_t *starts,
                                  uint32_t *ends);

#endif
