/* libspacyc: string store, lexemes and vocabulary.
 *
 * Thread safety: lookups are safe from any number of threads. Calls that add
 * permanent entries (zone == NULL) must not run at the same time as any other
 * call on the same vocabulary, and fail with NLP_ZONE_OPEN while a memory
 * zone is open. Calls that add to a zone are safe as long as each zone is
 * used by one thread at a time.
 */
#ifndef SPACYC_VOCAB_H
#define SPACYC_VOCAB_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nlp_vocab nlp_vocab_t;
typedef struct nlp_zone nlp_zone_t;

/* Lexical flags, as spaCy's Lexeme.is_* / like_* attributes. */
enum {
    NLP_FLAG_IS_ALPHA = 1u << 0,
    NLP_FLAG_IS_ASCII = 1u << 1,
    NLP_FLAG_IS_DIGIT = 1u << 2,
    NLP_FLAG_IS_LOWER = 1u << 3,
    NLP_FLAG_IS_UPPER = 1u << 4,
    NLP_FLAG_IS_TITLE = 1u << 5,
    NLP_FLAG_IS_PUNCT = 1u << 6,
    NLP_FLAG_IS_SPACE = 1u << 7,
    NLP_FLAG_IS_STOP = 1u << 8,
    NLP_FLAG_LIKE_NUM = 1u << 9,
    NLP_FLAG_LIKE_URL = 1u << 10,
    NLP_FLAG_LIKE_EMAIL = 1u << 11,
    NLP_FLAG_IS_BRACKET = 1u << 12,
    NLP_FLAG_IS_QUOTE = 1u << 13,
    NLP_FLAG_IS_LEFT_PUNCT = 1u << 14,
    NLP_FLAG_IS_RIGHT_PUNCT = 1u << 15,
    NLP_FLAG_IS_CURRENCY = 1u << 16,
};

/* A lexeme: the context-independent attributes of one word type, shared by
 * every token of that type. Read-only for callers. String attributes are
 * ids in the vocabulary's string store. */
typedef struct nlp_lexeme {
    nlp_hash_t orth;   /* the exact text */
    nlp_hash_t lower;  /* lower-cased text (Unicode case folding) */
    nlp_hash_t norm;   /* normalised form (lower case, exceptions applied) */
    nlp_hash_t shape;  /* "Xxxx", "dd", ... runs capped at 4 */
    nlp_hash_t prefix; /* first code point */
    nlp_hash_t suffix; /* last three code points */
    uint32_t flags;    /* NLP_FLAG_* */
    uint32_t length;   /* length in Unicode code points */
    uint32_t n_bytes;  /* length in bytes of the orth string */
    uint32_t id;       /* dense index: permanent lexemes count from 0 */
    /* From the model's word statistics; 0 means unknown (not log 1): the
     * word is not in them, is rarer than the model kept, or the model has
     * none. `cluster` is the Brown cluster of the word, or of its lower
     * case when the word has none, as a 1 followed by the path's bits (at
     * most 23; not spaCy's encoding). `prob` is the word's own natural log
     * probability in the statistics' corpus, in steps of 0.5, from -127.5
     * to -0.5 (spaCy uses -20 for unknown words). */
    uint32_t cluster;
    float prob;
} nlp_lexeme_t;

/* Adds a string to the store and returns its id in *out. zone == NULL adds
 * a permanent string; otherwise the string lives until the zone ends (unless
 * it was already permanent). Returns NLP_HASH_COLLISION when different bytes
 * already have the same id, NLP_ZONE_OPEN for a permanent add while a zone
 * is open, NLP_STALE_HANDLE for a zone that has ended (as every call taking
 * a zone does). */
NLP_API nlp_status_t nlp_vocab_add_string(nlp_vocab_t *vocab, nlp_zone_t *zone,
                                          const char *s, size_t len,
                                          nlp_hash_t *out);

/* Looks up the bytes of a string id, in the permanent store and then in
 * `zone` (may be NULL). *s is NUL-terminated and borrowed: permanent strings
 * live until the vocabulary is freed, zone strings until the zone ends.
 * Returns NLP_NOT_FOUND for an unknown id. Id 0 is "". */
NLP_API nlp_status_t nlp_vocab_string(const nlp_vocab_t *vocab,
                                      const nlp_zone_t *zone, nlp_hash_t id,
                                      const char **s, size_t *len);

/* Returns the lexeme for `s`, creating it (and its strings) in the zone, or
 * permanently when zone == NULL. The lexeme is borrowed with the same
 * lifetime as its strings. */
NLP_API nlp_status_t nlp_vocab_get_lexeme(nlp_vocab_t *vocab, nlp_zone_t *zone,
                                          const char *s, size_t len,
                                          const nlp_lexeme_t **out);

/* Looks up an existing lexeme without creating one: NLP_NOT_FOUND if absent. */
NLP_API nlp_status_t nlp_vocab_find_lexeme(const nlp_vocab_t *vocab,
                                           const nlp_zone_t *zone,
                                           const char *s, size_t len,
                                           const nlp_lexeme_t **out);

/* Counts of permanent entries (not counting zone entries). */
NLP_API size_t nlp_vocab_n_strings(const nlp_vocab_t *vocab);
NLP_API size_t nlp_vocab_n_lexemes(const nlp_vocab_t *vocab);

#ifdef __cplusplus
}
#endif
#endif
