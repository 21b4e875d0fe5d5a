/* Feature templates of the dependency parser.
 *
 * The templates follow Zhang & Nivre (2011), adapted to arc-hybrid (whose
 * decisions are about s0 with b0 and s0 with s1): words, tags, arc labels
 * and valencies of the stack and buffer words and of their outermost
 * children, distances, a few words around b0 for sentence breaks, and the
 * supertagger's guesses where a pipeline has one. Each
 * feature is a 64-bit id from models/features.h.
 *
 * Per-word attributes are gathered once per Doc into an array that has an
 * empty entry at index -1, so extraction runs without bounds tests or
 * pointer chasing into lexemes. All functions are thread-safe.
 */
#ifndef NLP_MODELS_PARSER_FEATURES_H
#define NLP_MODELS_PARSER_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "models/arc_hybrid.h"
#include "spacyc/doc.h"

/* Upper bound on the number of features of one configuration. */
#define NLP__PARSER_MAX_FEATS 192

/* What the features read of one word. */
typedef struct nlp__pf_word {
    uint64_t word;  /* NORM */
    uint64_t tag;   /* fine-grained tag from the tagger */
    uint64_t pos;   /* universal part of speech from the tagger */
    uint64_t suffix; /* SUFFIX: the last three characters */
    uint64_t shape; /* SHAPE */
    uint32_t flags; /* lexical flags and whether a space follows */
    uint32_t punct_before; /* punctuation tokens before this word */
    uint32_t cluster; /* Brown cluster code (lexeme cluster) */
    uint32_t supertag; /* nlp__supertag_id of the supertagger's guess, or 0 */
} nlp__pf_word_t;

/* Fills words[-1 .. n] from tokens[0 .. n) and their supertags (NULL: none)
 * (entries -1 and n are empty) in an array allocated from `arena`; returns
 * the pointer to entry 0, or NULL when out of memory. */
nlp__pf_word_t *nlp__pf_words(const nlp_token_t *tokens, const uint32_t *supertags,
                              uint32_t n, nlp__arena_t *arena);

/* Writes the features of `st` to out[0 .. NLP__PARSER_MAX_FEATS) and
 * returns how many were written; the cluster templates only with
 * `clusters` (the vocabulary has word statistics), the supertag templates
 * only where s0 or b0 has a supertag. */
size_t nlp__pf_extract(const nlp__pf_word_t *words, const nlp__ah_state_t *st,
                       bool clusters, uint64_t *out);

#endif
