/* Doc internals. Components and the tokenizer fill Docs through these. */
#ifndef NLP_DOC_DOC_H
#define NLP_DOC_DOC_H

#include "core/arena.h"
#include "core/vocab.h"
#include "spacyc/doc.h"

/* Tokens readable before the first and after the last, so feature
 * extraction can look at i-k .. i+k without bounds checks. Padding tokens
 * have the empty lexeme and all attributes 0. */
#define NLP__DOC_PAD 8

#define NLP__DOC_MAGIC 0x444f4331u /* "DOC1" */
#define NLP__DOC_DEAD 0x44454144u  /* "DEAD": written when a zone ends */

struct nlp_doc {
    uint32_t magic;
    unsigned layers;         /* NLP_HAS_* */
    nlp_vocab_t *vocab;
    nlp_zone_t *zone;        /* NULL for heap Docs */
    uint64_t zone_generation;
    nlp__arena_t *arena;     /* the zone's arena, or own_arena */
    nlp__chunk_cache_t own_cache; /* heap Docs only */
    nlp__arena_t own_arena;
    struct nlp_doc *next_in_zone; /* the zone marks these dead at its end */
    char *text;
    size_t text_len;
    nlp_token_t *tokens;     /* points NLP__DOC_PAD entries into its block */
    uint32_t n_tokens, cap_tokens;
    nlp_span_t *ents;
    uint32_t n_ents, cap_ents;
    float *tensor;           /* n_tokens x tensor_width, optional */
    uint32_t tensor_width;
    /* The supertagger's guess per token for the parser (nlp__supertag_id),
     * or NULL; n_supertags is n_tokens when it was made. */
    uint32_t *supertags;
    uint32_t n_supertags;
};

/* A supertag's compact id: a fold of its string id, never 0 (0 is "no
 * supertag"). */
static inline uint32_t nlp__supertag_id(nlp_hash_t label) {
    uint32_t v = (uint32_t)(label ^ (label >> 32));
    return v ? v : 1u;
}

/* The Doc's supertags, zeroed, one per token: made in the Doc's memory on
 * first use (or when the token count changed), NULL when out of memory. */
uint32_t *nlp__doc_supertags(nlp_doc_t *doc);

/* The supertags, or NULL when none were made for the current tokens. */
static inline const uint32_t *nlp__doc_supertags_if_any(const nlp_doc_t *doc) {
    return doc->supertags && doc->n_supertags == doc->n_tokens ? doc->supertags : NULL;
}

/* Makes an empty Doc holding a copy of text[0..len), in `zone` or on the
 * heap when zone is NULL. With text == NULL the Doc gets a zeroed buffer of
 * len bytes for the caller to fill. */
nlp_status_t nlp__doc_create(nlp_vocab_t *vocab, nlp_zone_t *zone,
                             const char *text, size_t len, nlp_doc_t **out);
/* Appends a token; idx/len are byte offsets into the Doc text. */
nlp_status_t nlp__doc_push(nlp_doc_t *doc, const nlp_lexeme_t *lex,
                           uint32_t idx, uint32_t len, uint8_t spacy);
/* Builds a Doc from pre-split words (spaces[i] != 0: word i is followed by
 * one space; NULL: every word but the last is). Lexemes are made in `zone`,
 * or permanently when zone is NULL. */
nlp_status_t nlp__doc_from_words(nlp_vocab_t *vocab, nlp_zone_t *zone,
                                 const char *const *words, const size_t *lens,
                                 const uint8_t *spaces, size_t n,
                                 nlp_doc_t **out);
/* Memory that lives as long as the Doc. */
void *nlp__doc_alloc(nlp_doc_t *doc, size_t size, size_t align);
/* Replaces the entity spans (copied) and sets ent_iob/ent_type on tokens. */
nlp_status_t nlp__doc_set_ents(nlp_doc_t *doc, const nlp_span_t *ents,
                               size_t n);
/* Adds a string to the store in the Doc's zone; returns 0 on failure. */
nlp_hash_t nlp__doc_intern(nlp_doc_t *doc, const char *s, size_t len);
/* End (exclusive) of the sentence that starts at token `start`: the next
 * token with sent_start == 1, or n_tokens. */
uint32_t nlp__doc_sent_end(const nlp_doc_t *doc, uint32_t start);
/* NLP_OK when the Doc is alive (non-NULL, right magic, zone generation
 * unchanged), else NLP_STALE_HANDLE / NLP_INVALID_ARG with a detail. */
nlp_status_t nlp__doc_check(const nlp_doc_t *doc);

/* The bytes of string `id` ("" for 0 or an unknown id) and their length,
 * which counts any NUL bytes inside (token text may have them); `doc` has
 * passed nlp__doc_check. */
const char *nlp__doc_string(const nlp_doc_t *doc, nlp_hash_t id, size_t *len);

#endif
