/* Small helpers shared by the spacyc subcommands. */
#ifndef NLP_CLI_UTIL_H
#define NLP_CLI_UTIL_H

#include <stdint.h>
#include <stdio.h>

#include "spacyc.h"

/* Prints "spacyc: what: status message (detail)" to stderr; returns 1. */
int nlp_cli_error(const char *what, nlp_status_t st);
/* The value after option argv[*i] (advancing *i), or NULL after printing a
 * usage error when it is missing. */
const char *nlp_cli_value(int argc, char **argv, int *i);
/* nlp_write_fn writing to a FILE*. */
int nlp_cli_write_file(void *ctx, const char *data, size_t len);
/* Loads the model at `path`, or the default model when path is NULL,
 * without the components `exclude` names (comma-separated, or NULL);
 * prints an error and returns NULL on failure. */
nlp_t *nlp_cli_load(const char *path, const char *exclude);
/* Reads a whole decimal count in [min, max] with an optional K, M or G
 * (binary) suffix into *out; returns 0 (and leaves *out) when `s` is not
 * one: signs, spaces, other suffixes and overflow are refused. */
int nlp_cli_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Flushes standard output; on failure (a full disk, a closed pipe) prints
 * why and returns 1, else 0. */
int nlp_cli_flush_stdout(void);
/* Opens an input file for reading (standard input for "-") and returns its
 * descriptor; *size is its length for a regular file, else 0. Prints why
 * it cannot be read (a directory included) and returns -1 otherwise. */
int nlp_cli_open_input(const char *path, uint64_t *size);
/* Seconds on a monotonic clock. */
double nlp_cli_now(void);

#endif
