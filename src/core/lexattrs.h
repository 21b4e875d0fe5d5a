/* Computation of a lexeme's attributes from its text, with utf8proc for
 * Unicode categories and case mapping. */
#ifndef NLP_CORE_LEXATTRS_H
#define NLP_CORE_LEXATTRS_H

#include "vocab.h"

/* Fills `lex` for the text s[0..len): flags, length, and the derived
 * strings (lower, norm, shape, prefix, suffix), which are added to the store
 * in `zone` (NULL: permanently). */
nlp_status_t nlp__lexattrs_fill(nlp_vocab_t *vocab, nlp_zone_t *zone,
                                const char *s, size_t len, nlp_lexeme_t *lex);

/* Writes the lower case of s[0..len) into buf (at least 4 * len bytes), as
 * a lexeme's `lower` string is made, and returns its length: its
 * nlp_hash_string is the id a lexeme of that text has as `lower`. */
size_t nlp__lexattrs_lower(const char *s, size_t len, char *buf);

/* Sets lex->cluster and lex->prob from the vocabulary's word statistics,
 * by the lexeme's orth and lower ids. */
void nlp__lexattrs_word_stats(const nlp_vocab_t *vocab, nlp_lexeme_t *lex);

#endif
