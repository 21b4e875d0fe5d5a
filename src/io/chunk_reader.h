/* Reading a text file in chunks that never split a document.
 *
 * A regular file is cut into byte ranges of about chunk_bytes, each end moved
 * forward to the next document boundary (a line start, or the line start
 * after a blank line in paragraph mode). Finding the ranges is serial and
 * cheap (a small pread near each nominal end); reading them is done by the
 * workers, each with pread into its own buffer, so no large buffer is passed
 * around. Any other descriptor (a pipe, standard input) is read sequentially:
 * the serial step reads the chunk itself and carries the incomplete tail over
 * to the next chunk.
 *
 * The documents found in a chunk do not depend on where the chunks were cut,
 * which is what makes the output independent of chunk size and thread
 * count.
 *
 * With a document size limit (nlp__chunk_reader_limit_docs), a document
 * that would make a chunk longer than chunk_bytes + limit is never read
 * into memory: it comes alone in an "oversized" chunk that only gives its
 * byte range, so memory stays bounded by the chunk size and the limit
 * whatever the input holds.
 */
#ifndef NLP_IO_CHUNK_READER_H
#define NLP_IO_CHUNK_READER_H

#include <stddef.h>
#include <stdint.h>

#include "spacyc/pipe.h"

typedef struct nlp__chunk_reader nlp__chunk_reader_t;

/* One chunk: the byte range [start, end) of the input and, once loaded, its
 * bytes. The buffer belongs to the chunk and is reused by the next range
 * given to it; free it with nlp__chunk_free. */
typedef struct nlp__chunk {
    uint64_t start, end;
    char *data;   /* end - start bytes once loaded */
    size_t cap;
    int loaded;
    int oversized; /* one document over the limit, its bytes never read */
} nlp__chunk_t;

/* One document inside a loaded chunk: text at data + start, of `len` bytes,
 * followed by its line ending (and, for paragraphs, the blank lines after
 * it) up to data + next. */
typedef struct nlp__doc_span {
    size_t start, len, next;
} nlp__doc_span_t;

/* Opens a reader over `fd` (not closed by the reader). Regular files are
 * read from offset 0 with pread; anything else sequentially. chunk_bytes 0
 * means 1 MiB. Free with nlp__chunk_reader_free. */
nlp_status_t nlp__chunk_reader_open(const nlp_allocator_t *alloc, int fd,
                                    size_t chunk_bytes, nlp_doc_split_t split,
                                    nlp__chunk_reader_t **out);
void nlp__chunk_reader_free(nlp__chunk_reader_t *r);

/* Documents longer than max_doc_bytes (0: no limit, the default) may come
 * as oversized chunks instead of being read. Documents a little over the
 * limit can still come in ordinary chunks; the caller checks lengths. */
void nlp__chunk_reader_limit_docs(nlp__chunk_reader_t *r, size_t max_doc_bytes);

/* Size of the input in bytes when known (regular files), else 0. */
uint64_t nlp__chunk_reader_size(const nlp__chunk_reader_t *r);

/* Assigns the next range of the input to `chunk` (serial: one thread). For
 * a sequential input this also reads the bytes. Sets *eof (and leaves the
 * chunk empty) when the input is exhausted. NLP_IO with the reason on a read
 * error. */
nlp_status_t nlp__chunk_reader_next(nlp__chunk_reader_t *r,
                                    nlp__chunk_t *chunk, int *eof);

/* Reads the chunk's bytes if nlp__chunk_reader_next did not (an oversized
 * chunk stays unread). Safe to call from several threads at once for
 * different chunks. */
nlp_status_t nlp__chunk_load(const nlp__chunk_reader_t *r, nlp__chunk_t *chunk);

/* Frees a chunk's buffer (allocated with the reader's allocator). */
void nlp__chunk_free(const nlp__chunk_reader_t *r, nlp__chunk_t *chunk);

/* Finds the document that starts at or after byte `pos` of data[0..len).
 * Returns 1 and fills *span, or 0 when no document is left. Iterate with
 * pos = span.next. Pure: safe on any thread. */
int nlp__next_doc(const char *data, size_t len, size_t pos,
                  nlp_doc_split_t split, nlp__doc_span_t *span);

#endif
