/* Per-language data for the tokenizer and the vocabulary, as tables.
 *
 * A language is a set of pattern lists in the dialect of
 * tokenizer/pattern.h plus special cases (exceptions); nothing about a
 * language is written as code. The tokenizer reads these tables once, when
 * it is created.
 */
#ifndef NLP_LANG_LANG_H
#define NLP_LANG_LANG_H

#include "core/vocab.h"

/* Variants a special-case row expands to, besides the form as written. */
enum {
    /* Also "Title" (first letter upper) and "UPPER" case. */
    NLP__SPECIAL_CASED = 1u << 0,
    /* Also with each ' written as the typographic apostrophe U+2019. */
    NLP__SPECIAL_CURLY = 1u << 1,
    /* Also with the apostrophes left out: "dont" -> "do" "nt". */
    NLP__SPECIAL_BARE = 1u << 2,
};

/* A row of special cases: every stem followed by every ending. `stems` is
 * a space-separated list; `endings` is a '|'-separated list of endings,
 * each one or more tokens separated by spaces ("n't|n't 've"); NULL makes
 * each stem a special case of one token. The text of a special case is its
 * tokens concatenated, so {"do", "n't"} splits "don't" into "do" "n't". */
typedef struct nlp__special_rule {
    const char *stems;
    const char *endings;
    unsigned variants; /* NLP__SPECIAL_* */
} nlp__special_rule_t;

/* A chunk split in two only where the next chunk says so: the rules see one
 * chunk at a time, but "its" is "it" + "s" (an "it's" without its
 * apostrophe) only before words that cannot follow the possessive ("its
 * not", "its a"). */
typedef struct nlp__context_split {
    const char *form; /* the whole chunk; ASCII letters match either case */
    unsigned at;      /* bytes of the first part, 0 < at < strlen(form) */
    const char *next; /* pattern the next chunk must start with */
    int at_end;       /* also split when no chunk follows */
} nlp__context_split_t;

typedef struct nlp__tokenizer_rules {
    /* NULL-terminated pattern lists. */
    const char *const *prefixes;    /* split off the start of a chunk */
    const char *const *suffixes;    /* split off the end */
    const char *const *infixes;     /* split inside what is left */
    const char *const *token_match; /* a whole chunk kept as one token */
    const char *const *url_match;   /* same, tried only after affixes */
    const nlp__special_rule_t *specials; /* ends with a NULL stems */
    const nlp__context_split_t *context_splits; /* ends with a NULL form */
    /* Whether an abbreviation (a special case of one token ending in '.')
     * that ends the text gives up its full stop, which ends the sentence
     * too: "... at 5 p.m." -> "p.m" ".". */
    int split_final_abbreviation;
    /* Lower-case forms never made special by a variant ("were" is not
     * "we" + "re"); NULL-terminated. */
    const char *const *special_excludes;
    /* Frequent chunks, space-separated, cached when the tokenizer is made
     * (with the stop words in lower and title case), so that Docs made in
     * zones find them even before any text was tokenized outside zones. */
    const char *cache_seed;
} nlp__tokenizer_rules_t;

/* The rules for `lang` ("en"), or NULL for an unknown language. Static. */
const nlp__tokenizer_rules_t *nlp__tokenizer_rules_for(const char *lang);

/* English data, defined in en_tokenizer.c and en_lex.c. */
extern const nlp__tokenizer_rules_t nlp__en_tokenizer_rules;
extern const nlp__lex_lang_t nlp__en_lex_lang;

#endif
