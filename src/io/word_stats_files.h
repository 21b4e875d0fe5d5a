/* Reading word statistics (core/word_stats.h) from their usual file
 * formats, for training:
 *
 *   clusters  the `paths` file of Liang's Brown clustering tool: one word
 *             per line, "<path of 0s and 1s>\t<word>[\t<count>]";
 *   probs     one word per line, "<natural log probability>\t<word>".
 *
 * Words appear once per file; a word in both files gets both. Probable
 * words are kept down to `min_prob`; rarer ones only when they have a
 * cluster, which keeps the table (and the model) small.
 */
#ifndef NLP_IO_WORD_STATS_FILES_H
#define NLP_IO_WORD_STATS_FILES_H

#include <stddef.h>

#include "spacyc/common.h"

/* What a read found, for the training log. */
typedef struct nlp__word_stats_counts {
    size_t clusters; /* words with a cluster */
    size_t probs;    /* words with a probability at least min_prob */
    size_t words;    /* words in the table */
    size_t dropped;  /* lost to fingerprint clashes */
} nlp__word_stats_counts_t;

/* Reads either file or both (a NULL path is skipped) into a new
 * nlp__word_stats image (caller frees with `alloc`). NLP_FORMAT names the
 * file and line of a malformed line or a repeated word; NLP_IO an
 * unreadable file. */
nlp_status_t nlp__word_stats_read(const nlp_allocator_t *alloc,
                                  const char *clusters_path,
                                  const char *probs_path, float min_prob,
                                  void **image, size_t *len,
                                  nlp__word_stats_counts_t *counts);

#endif
