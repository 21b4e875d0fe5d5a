/* A one-line progress bar for long CLI runs: bytes done, documents and
 * words per second, and the time left when the input size is known. It draws
 * only when its stream is a terminal, so redirected runs stay clean. */
#ifndef NLP_CLI_PROGRESS_H
#define NLP_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct nlp_cli_progress {
    FILE *out;
    int enabled;
    uint64_t total_bytes; /* 0 when unknown (standard input) */
    uint64_t bytes, docs, words;
    double start, last_draw;
    int drawn;
} nlp_cli_progress_t;

/* Starts a bar on `out` (drawn only if it is a terminal). */
void nlp_cli_progress_start(nlp_cli_progress_t *p, FILE *out, uint64_t total_bytes);
/* Records the totals so far; redraws at most a few times a second. */
void nlp_cli_progress_update(nlp_cli_progress_t *p, uint64_t bytes, uint64_t docs,
                             uint64_t words);
/* Erases the bar so that a message can be printed; the next update draws
 * it again. */
void nlp_cli_progress_clear(nlp_cli_progress_t *p);
/* Draws the final state (the whole input when `complete`) and ends the
 * line. */
void nlp_cli_progress_finish(nlp_cli_progress_t *p, int complete);

#endif
