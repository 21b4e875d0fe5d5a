/* Tokenizer patterns: a small regular-expression dialect for writing the
 * prefix, suffix, infix, token-match and URL rules of a language as data.
 *
 * Syntax (UTF-8; characters are code points):
 *   x          a literal character; `.`, `$`, `^`, `-`, `}` are literals too
 *   \x \( \\   an escaped literal (any character that is not a class letter)
 *   \a         a letter (Unicode L*)        \l  a lower-case letter (Ll)
 *   \u         an upper-case letter (Lu)    \d  a decimal digit (Nd)
 *   \w         a letter, mark, digit or _   \o  a symbol (So) other than °
 *   \s         whitespace                   \S  anything but whitespace
 *   \X         any character
 *   [...]      one of the listed characters, classes or ranges (a-z);
 *              [^...] any character not listed
 *   (...)      a group; (?:...) is the same
 *   a|b        alternation
 *   ? * + {m} {m,} {m,n}   repetition
 *   (?<=c) (?<!c) (?=c) (?!c)   the character before / after this point is
 *              (not) c, where c is one character, class or set; the edge of
 *              the text being matched counts as "no character"
 *   (?i)       at the very start: ASCII letters match either case
 * An invalid UTF-8 byte reads as U+FFFD, which is a symbol (\o).
 *
 * A pattern set is the union of a list of patterns. Matching runs an NFA
 * simulation (Pike's method without captures), so its time is linear in the
 * text it reads and it never recurses; the longest match wins, as POSIX
 * specifies. A set is read-only once compiled and safe to use from many
 * threads at once.
 */
#ifndef NLP_TOKENIZER_PATTERN_H
#define NLP_TOKENIZER_PATTERN_H

#include <stddef.h>

#include "spacyc/common.h"

typedef struct nlp__pattern_set nlp__pattern_set_t;

/* Which way a set reads the text: suffix rules are compiled backwards so
 * that the longest suffix is found by reading from the end. */
typedef enum { NLP__PATTERN_FORWARD, NLP__PATTERN_BACKWARD } nlp__pattern_dir_t;

/* Compiles the NULL-terminated `patterns` into one set. A syntax error is
 * NLP_INVALID_ARG with the pattern and the offending offset in the detail.
 * The caller frees the set with nlp__pattern_set_free. */
nlp_status_t nlp__pattern_set_compile(const nlp_allocator_t *alloc,
                                      const char *const *patterns,
                                      nlp__pattern_dir_t dir,
                                      nlp__pattern_set_t **out);
void nlp__pattern_set_free(nlp__pattern_set_t *set);

/* Length in bytes of the longest non-empty match of any pattern in a
 * FORWARD set that starts at `pos`, reading no further than `end`; 0 when
 * none. The text s[start, end) is all the assertions can see. */
size_t nlp__pattern_longest_at(const nlp__pattern_set_t *set, const char *s,
                               size_t start, size_t end, size_t pos);

/* Length of the longest non-empty match of a BACKWARD set that ends at
 * `end`, reading no further back than `start`; 0 when none. */
size_t nlp__pattern_longest_suffix(const nlp__pattern_set_t *set,
                                   const char *s, size_t start, size_t end);

/* Non-zero when some pattern of a FORWARD set matches all of s[start, end). */
int nlp__pattern_matches_all(const nlp__pattern_set_t *set, const char *s,
                             size_t start, size_t end);

#endif
