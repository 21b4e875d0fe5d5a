/* libspacyc: pipe(), the batch runner. It parses a stream of texts on every
 * core with one shared read-only model and hands the results back in input
 * order.
 *
 * Input comes from an array, a pull callback, or a file descriptor that is
 * read in chunks (one document per line or per blank-line-separated
 * paragraph). Each batch is parsed in parallel (OpenMP when the library was
 * built with it, serially otherwise); every worker parses in a memory zone of
 * its own, so pipe() never adds permanent lexemes and needs no lock.
 *
 * Memory: without options.zone, pipe() opens fresh zones for each batch and
 * ends them after the batch was delivered, so a stream of any length runs in
 * flat memory; the Docs handed to the output callback are then valid only
 * during that call. With options.zone, each worker parses in a sub-zone of
 * the caller's zone and the Docs live until that zone ends (memory then
 * grows with the input, as the caller chose).
 *
 * Output is identical whatever the thread count, batch size or chunk size:
 * each document is parsed independently and delivered in input order.
 *
 * Thread safety: the callbacks are called from one thread at a time. The
 * output callback and the input callback run on the calling thread while
 * no worker runs; options.format runs on worker threads, concurrently. Several
 * pipe() calls may run at once on one nlp_t (each with its own zones); a zone
 * passed in options.zone must not be used by anything else until pipe()
 * returns.
 */
#ifndef SPACYC_PIPE_H
#define SPACYC_PIPE_H

#include <stdint.h>

#include "common.h"
#include "doc.h"
#include "nlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a file is cut into documents. */
typedef enum nlp_doc_split {
    /* One document per line. The line ending ("\n" or "\r\n") is not part of
     * the text; an empty line is an empty document, so output document i
     * always belongs to input line i. */
    NLP_SPLIT_LINES = 0,
    /* One document per paragraph: a run of non-blank lines, kept with their
     * inner line breaks. Blank lines (empty or only spaces, tabs and "\r")
     * separate paragraphs and make no document. */
    NLP_SPLIT_PARAGRAPHS = 1,
} nlp_doc_split_t;

/* One document's outcome, handed to the output callback. Everything in it is
 * borrowed: valid during the callback only (the Doc itself lives longer when
 * options.zone was given). */
typedef struct nlp_pipe_result {
    size_t index;         /* 0-based position of the document in the input */
    nlp_status_t status;  /* NLP_OK, or why this document failed */
    const char *error;    /* detail message of a failure, "" otherwise */
    nlp_doc_t *doc;       /* the parsed Doc; NULL when status != NLP_OK */
    const char *output;   /* bytes options.format wrote for it ("" if none) */
    size_t output_len;
    const char *text;     /* the document's text (not NUL-terminated) */
    size_t text_len;
    uint64_t offset;      /* file input: byte offset of the text; else 0 */
    uint64_t end_offset;  /* file input: byte offset just past the
                           * document's line ending; else 0 */
} nlp_pipe_result_t;

/* Receives each result in input order. Return 0 to go on, non-zero to stop:
 * pipe() then returns NLP_CANCELLED without delivering any more results. */
typedef int (*nlp_pipe_output_fn)(void *ctx, const nlp_pipe_result_t *result);

/* Supplies the next text: sets *text and *len and returns 1, returns 0 at
 * the end of the input, or a negative value when the input failed (pipe()
 * then returns NLP_IO). pipe() copies the text before the next call, so the
 * callback may reuse its buffer. */
typedef int (*nlp_pipe_input_fn)(void *ctx, const char **text, size_t *len);

/* Optional per-document work run on the worker threads right after the
 * document was parsed (for instance serialising it with nlp_doc_to_json),
 * so that it scales with the threads. Whatever it passes to `write` is
 * delivered as result->output. A status other than NLP_OK marks the
 * document as failed with that status. Called concurrently from several
 * threads, for documents in no particular order. */
typedef nlp_status_t (*nlp_pipe_format_fn)(void *ctx, size_t index,
                                           const nlp_doc_t *doc,
                                           nlp_write_fn write,
                                           void *write_ctx);

/* Options; zero-initialise the struct, and zero means the default. */
typedef struct nlp_pipe_options {
    /* Documents parsed per parallel batch (default 1000). Without
     * options.zone, at most this many parsed Docs are alive at once. */
    size_t batch_size;
    /* Worker threads; 0 uses every core (OpenMP's default team size, which
     * honours OMP_NUM_THREADS). Ignored (1) in a build without OpenMP. */
    int n_threads;
    /* Parse in sub-zones of this open zone; NULL: pipe() opens its own
     * zones per batch (see the memory notes at the top). */
    nlp_zone_t *zone;
    /* File input: bytes per read (default 1 MiB). At most n_threads chunks
     * (each cut at a document boundary, so a line longer than a chunk makes
     * that chunk longer) are held at a time. */
    size_t chunk_bytes;
    /* File input: one document per line or per paragraph. */
    nlp_doc_split_t split;
    nlp_pipe_format_fn format; /* optional */
    void *format_ctx;
    /* Documents longer than this many bytes fail with NLP_LIMIT instead of
     * being parsed, which needs memory in proportion (about 45 bytes per
     * byte of text with the default model); 0: no limit. The others go on
     * as with any failed document. File input does not read such a
     * document into memory (its result has no text) once it is longer than
     * chunk_bytes + max_doc_bytes; shorter ones are read with their chunk. */
    size_t max_doc_bytes;
} nlp_pipe_options_t;

/* The outcome of a pipe() call.
 *
 * Every function below returns NLP_OK when every document was parsed and
 * delivered. A document that fails (its status goes to the output callback,
 * with its index) does not stop the others: pipe() goes on to the end and
 * then returns the first such failure's status, with a detail message that
 * names the document's index. Input errors (NLP_IO), running out of memory outside
 * one document, and the output callback asking to stop (NLP_CANCELLED) end
 * the call early. `options` may be NULL for all defaults. */

/* Parses texts[0..n); lens may be NULL for NUL-terminated texts. The texts
 * are read in place and must stay unchanged until pipe() returns. */
NLP_API nlp_status_t nlp_pipe_texts(nlp_t *nlp, const char *const *texts,
                                    const size_t *lens, size_t n,
                                    const nlp_pipe_options_t *options,
                                    nlp_pipe_output_fn output, void *ctx);

/* Parses the texts `input` supplies until it returns 0. */
NLP_API nlp_status_t nlp_pipe_pull(nlp_t *nlp, nlp_pipe_input_fn input,
                                   void *input_ctx,
                                   const nlp_pipe_options_t *options,
                                   nlp_pipe_output_fn output, void *ctx);

/* Parses the documents of an open file descriptor, which is not closed. A
 * regular file is cut into byte ranges that the workers read themselves
 * with pread(), from the descriptor's start; anything else (a pipe,
 * standard input) is read sequentially from where it is. Peak memory is
 * bounded by n_threads x chunk_bytes plus batch_size Docs, independent of
 * the input's size. */
NLP_API nlp_status_t nlp_pipe_fd(nlp_t *nlp, int fd,
                                 const nlp_pipe_options_t *options,
                                 nlp_pipe_output_fn output, void *ctx);

/* nlp_pipe_fd on the file at `path` (NLP_IO with the reason when it cannot
 * be opened). */
NLP_API nlp_status_t nlp_pipe_file(nlp_t *nlp, const char *path,
                                   const nlp_pipe_options_t *options,
                                   nlp_pipe_output_fn output, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
