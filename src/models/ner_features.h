/* Feature templates of the entity recogniser.
 *
 * The features of a token come in two parts: static ones that depend only
 * on the text (the word and its neighbours, their shapes and affixes,
 * capitalisation of the word and of its sentence, sentence position,
 * entity-lexicon and gazetteer codes) and state ones that
 * depend on the decisions taken so far (previous actions, the open entity).
 * Static features are computed once per token, which lets training cache
 * them; state features are recomputed at every step.
 *
 * Template numbers are part of the model format: append only, and bump
 * NLP__NER_FEATURE_VERSION whenever a feature's meaning changes.
 *
 * All functions are pure and thread-safe.
 */
#ifndef NLP_MODELS_NER_FEATURES_H
#define NLP_MODELS_NER_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "models/biluo.h"
#include "models/ner_lexicon.h"
#include "spacyc/doc.h"

#define NLP__NER_FEATURE_VERSION 2u

/* What the templates read about one token, gathered once per Doc. */
typedef struct nlp__ner_token {
    uint64_t orth, norm, lower, shape, prefix, suffix;
    uint64_t short_shape; /* shape with runs collapsed, packed in 8 bytes */
    uint64_t suffix4;     /* id of the last four code points */
    uint64_t prefix3;     /* id of the first three code points */
    uint32_t word_code;   /* entity-lexicon code of the word */
    uint32_t phrase_code; /* entity-lexicon match covering the word */
    uint8_t kind;         /* capitalisation class, see ner_features.c */
    uint8_t sent_first;   /* 1 on the first token of its sentence */
    uint8_t sent_last;    /* 1 on the last token of its sentence */
    uint8_t sent_caps;    /* capitalisation style of its sentence */
    /* The run of capitalised words the token is in (run_len 0: none). */
    uint64_t run_last_norm;   /* norm of the run's last word */
    uint64_t run_before_norm; /* norm of the word before the run (1: none) */
    uint32_t run_last_code;   /* lexicon code of the run's last word */
    uint32_t run_len;
    /* Word statistics (lexeme cluster and prob): the Brown cluster, how
     * probable the word is, and how much more probable it is as written
     * than in lower case (see ner_features.c), also for the run's last
     * word. */
    uint32_t cluster;
    uint32_t freq;
    uint32_t caps_evidence, run_last_caps_evidence;
    uint8_t has_word_stats; /* the vocabulary has them: their templates fire */
    /* Gazetteer codes (models/ner_lexicon.h): of the word alone and of the
     * name matched around it; their templates fire only with a gazetteer. */
    uint32_t gaz_word, gaz_phrase;
    uint8_t has_gazetteer;
} nlp__ner_token_t;

/* Entries readable before the first and after the last token (the context
 * bag reads four words away). */
#define NLP__NER_TOKEN_PAD 4

/* The lexicons the static features read: the entity lexicon learned from
 * the training corpus and an optional gazetteer (either may be NULL). */
typedef struct nlp__ner_lexicons {
    const nlp__ner_lexicon_t *corpus;
    const nlp__ner_lexicon_t *gazetteer;
} nlp__ner_lexicons_t;

/* Fills t[0 .. end - start) with the attributes of the sentence
 * [start, end) of `doc`, and empties the NLP__NER_TOKEN_PAD entries after
 * it; the NLP__NER_TOKEN_PAD entries before t must be empty already.
 * `lower` and `codes` are scratch of end - start and 2 * (end - start) entries. */
void nlp__ner_sentence_fill(const nlp_doc_t *doc, uint32_t start, uint32_t end,
                            nlp__ner_lexicons_t lexicons, nlp__ner_token_t *t,
                            uint64_t *lower, uint32_t *codes);
/* Makes *t an empty (padding) entry. */
void nlp__ner_sentence_pad(nlp__ner_token_t *t);

/* Gathers the attributes of every token of `doc` into an array carved from
 * `scratch` (valid until the scratch arena is reset). Sentences are the
 * Doc's (nlp__doc_sent_end) and lie one after the other, each with
 * NLP__NER_TOKEN_PAD empty entries on either side (shared between
 * neighbours), so no feature reads across a sentence boundary: *out points
 * at token 0 of the first sentence, and each next sentence starts
 * NLP__NER_TOKEN_PAD entries after the end of the one before. */
nlp_status_t nlp__ner_tokens_fill(const nlp_doc_t *doc,
                                  nlp__ner_lexicons_t lexicons,
                                  nlp__arena_t *scratch,
                                  nlp__ner_token_t **out);

/* The number of static features of a token (some may be 0: absent). */
#define NLP__NER_N_STATIC 65
/* The most state features of a step. */
#define NLP__NER_MAX_STATE 13
#define NLP__NER_MAX_FEATS (NLP__NER_N_STATIC + NLP__NER_MAX_STATE)

/* "No action": the previous token is outside the sentence. */
#define NLP__NER_NO_ACTION UINT32_MAX

/* Writes the NLP__NER_N_STATIC static features of token i. With
 * `hide_word` set and a capitalised token, the features that identify the
 * word itself (its norm, spelling and affixes) are left absent: training
 * does this now and then so the model also learns to spot names it has
 * never seen, which is what most names in new text are. */
void nlp__ner_static_features(const nlp__ner_token_t *tokens, uint32_t i,
                              bool hide_word, uint64_t *feats);

/* Writes the state features of the step for token s->i, given the actions
 * taken for the two tokens before it (NLP__NER_NO_ACTION before the
 * sentence); returns how many were written. */
size_t nlp__ner_state_features(const nlp__ner_token_t *tokens,
                               const nlp__biluo_state_t *s, uint32_t prev1,
                               uint32_t prev2, uint64_t *feats);

#endif
