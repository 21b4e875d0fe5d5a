/* Helpers shared by the line-oriented corpus readers (CoNLL-U, IOB2),
 * implemented in corpus.c. Private to src/io.
 *
 * A reader loads the whole file into the corpus arena once and then works
 * in place: lines and tab-separated fields are cut by writing NUL bytes, so
 * every string of a sentence points into that one copy and costs nothing
 * extra. Words of the sentence being read collect in a builder whose arrays
 * are reused from sentence to sentence; a finished sentence's arrays are
 * copied into the arena.
 */
#ifndef NLP_IO_CORPUS_READER_H
#define NLP_IO_CORPUS_READER_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"

/* The unread rest of a loaded file. */
typedef struct nlp__text_reader {
    const char *path;  /* for messages */
    char *cur, *end;   /* unread bytes; *end is a NUL */
    const char *empty; /* an arena-owned "" for absent fields */
    uint32_t line;     /* number of the line last returned (1-based) */
} nlp__text_reader_t;

/* A sentence being read. */
typedef struct nlp__sent_builder {
    const nlp_allocator_t *alloc;
    const char *empty;       /* the corpus's "" */
    nlp__gold_sent_t head;   /* sent_id, text, flags, first line */
    nlp__gold_word_t *words;
    uint32_t *word_lines;    /* line of each word, for late checks */
    size_t n_words, cap_words;
    nlp__gold_mwt_t *mwts;
    size_t n_mwts, cap_mwts;
    int open;                /* a comment or word line has been seen */
} nlp__sent_builder_t;

/* Makes an empty corpus with its own arena. The caller frees it with
 * nlp__corpus_free. */
nlp_status_t nlp__corpus_create(const nlp_allocator_t *alloc,
                                nlp__corpus_t **out);

/* Reads the file at `path` into the corpus arena (skipping a UTF-8 byte
 * order mark) and points `r` at it. A NUL byte in the file is NLP_FORMAT,
 * since it would silently cut a string short. */
nlp_status_t nlp__corpus_load_text(nlp__corpus_t *c, const char *path,
                                   nlp__text_reader_t *r);

/* The next line, NUL-terminated in place without its "\n" or "\r\n", or NULL
 * at the end of the text. The pointer stays valid as long as the corpus. */
char *nlp__text_reader_next(nlp__text_reader_t *r);

/* True when the line holds nothing but spaces and tabs. */
int nlp__line_is_blank(const char *line);

/* Cuts `line` in place at every tab. Stores at most `max` field pointers and
 * returns the number of fields there are, which may be larger. */
size_t nlp__split_tabs(char *line, char **fields, size_t max);

/* Parses a decimal number in [0, INT32_MAX] spanning s[0..len); returns -1
 * when it is empty, has other characters or is too large. */
int32_t nlp__parse_index(const char *s, size_t len);

/* Recognises "# key = value", "# key" and "#key=value" comment lines. When
 * the comment's key is `key`, stores the value (trimmed, "" when absent) and
 * returns 1; otherwise returns 0. */
int nlp__comment_value(char *line, const char *key, const char **value,
                       const char *empty);

void nlp__sent_builder_init(nlp__sent_builder_t *b,
                            const nlp_allocator_t *alloc, const char *empty);
void nlp__sent_builder_free(nlp__sent_builder_t *b);
/* Marks the sentence as begun at `line` when it has not begun yet. */
void nlp__sent_builder_touch(nlp__sent_builder_t *b, uint32_t line);
/* Appends a word whose string fields are all `empty`, head -1 and
 * space_after 1; NULL when out of memory. Valid until the next add. */
nlp__gold_word_t *nlp__sent_builder_add_word(nlp__sent_builder_t *b,
                                             uint32_t line);
/* Appends a multiword token; NULL when out of memory. */
nlp__gold_mwt_t *nlp__sent_builder_add_mwt(nlp__sent_builder_t *b);
/* Copies the sentence into the corpus and starts a new one. */
nlp_status_t nlp__sent_builder_finish(nlp__sent_builder_t *b,
                                      nlp__corpus_t *c);

#endif
