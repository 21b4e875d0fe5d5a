/* The rule-based tokenizer (spaCy's algorithm): split on spaces, then per
 * chunk apply special cases, prefixes, suffixes, infixes and the URL / token
 * match, with a cache of chunk -> lexemes holding permanent entries only.
 */
#ifndef NLP_TOKENIZER_TOKENIZER_H
#define NLP_TOKENIZER_TOKENIZER_H

#include "core/vocab.h"
#include "spacyc/doc.h"

typedef struct nlp__tokenizer nlp__tokenizer_t;

/* Builds the tokenizer for `lang` ("en"). Its special cases and their
 * lexemes are added permanently, so no zone may be open. */
nlp_status_t nlp__tokenizer_create(nlp_vocab_t *vocab, const char *lang,
                                   nlp__tokenizer_t **out);
void nlp__tokenizer_free(nlp__tokenizer_t *tok);

/* Appends the tokens of doc->text to `doc` (which must have none). New
 * lexemes go to the Doc's zone, or are permanent for a heap Doc. Outside
 * zones it also fills the cache, so that path is single-threaded; inside a
 * zone it only reads the cache and is safe on many threads.
 *
 * Any bytes are accepted and the tokens always spell the text again: the
 * text is every token followed by one ' ' where token.spacy is set. A
 * single ' ' after a word is its `spacy`; other whitespace (newlines, tabs,
 * a second space, no-break spaces) forms whitespace tokens. Invalid UTF-8
 * is kept verbatim: each invalid byte reads as U+FFFD, a symbol, so the
 * rules split it off as a one-byte token (within a URL it stays part of
 * the URL). A run of more than 4096 bytes
 * without whitespace is one token (the rules are not applied to it). */
nlp_status_t nlp__tokenizer_run(const nlp__tokenizer_t *tok, nlp_doc_t *doc);

/* The English lexical data (stop words, norm exceptions) for the vocab. */
const nlp__lex_lang_t *nlp__lex_lang_for(const char *lang);

#endif
