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

/* Cuts `line` in place at every tab. Stores at most `max` field pointers and
 * returns the number of fields there are, which may be larger. */
size_t nlp__split_tabs(char *line, char **fields, size_t max);

/* Parses a decimal number in [0, INT32_MAX] spanning s[0..len); returns -1
 * when it is empty, has other characters or is too large. */
int32_t nlp__parse_index(const char *s, size_t len);

/* A hint to append to an "id out of order" message: a first id in the
 * middle of a sentence usually means a missing blank line. */
const char *nlp__id_order_hint(int32_t id);

/* Called by nlp__read_lines with each line (its end of line removed, NUL
 * terminated, writable) and its 1-based number; a non-OK status stops the
 * read and is returned. */
typedef nlp_status_t (*nlp__line_fn)(void *ctx, char *line, size_t len,
                                     unsigned number);

/* Reads the text file at `path` line by line (any length, "\n" or "\r\n"
 * ends); NLP_IO when it cannot be opened or read. For small tab-separated
 * resource files; corpora use nlp__read_sentences. */
nlp_status_t nlp__read_lines(const char *path, nlp__line_fn fn, void *ctx);

/* Returns NLP_FORMAT with the detail "PATH:LINE: what". */
nlp_status_t nlp__format_error(const char *path, uint32_t line,
                               const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a word whose string fields are all `empty`, head -1 and
 * space_after 1; NULL when out of memory. Valid until the next add. */
nlp__gold_word_t *nlp__sent_builder_add_word(nlp__sent_builder_t *b,
                                             uint32_t line);
/* Appends a multiword token; NULL when out of memory. */
nlp__gold_mwt_t *nlp__sent_builder_add_mwt(nlp__sent_builder_t *b);

/* What distinguishes one line-oriented format from another. Blank lines
 * end sentences and "# sent_id", "# text", "# newdoc" and "# newpar"
 * comments fill the sentence header in every format. */
typedef struct nlp__sentence_format {
    const char *name; /* for messages */
    /* Adds the token described by a line that is neither blank nor a
     * comment (r->line is its number) to the sentence. */
    nlp_status_t (*token_line)(const nlp__text_reader_t *r,
                               nlp__sent_builder_t *b, char *line);
    /* Checks and completes a sentence of at least one word before it is
     * stored; r->line is the line that ended it. */
    nlp_status_t (*sentence_done)(const nlp__text_reader_t *r,
                                  nlp__sent_builder_t *b);
} nlp__sentence_format_t;

/* Reads the file at `path` sentence by sentence in format `fmt`. On success
 * the caller owns *out (free with nlp__corpus_free); on failure *out is
 * NULL and the detail message says where the problem is. */
nlp_status_t nlp__read_sentences(const char *path,
                                 const nlp_allocator_t *alloc,
                                 const nlp__sentence_format_t *fmt,
                                 nlp__corpus_t **out);

#endif
