/* Small helpers shared by the spacyc subcommands. */
#ifndef NLP_CLI_UTIL_H
#define NLP_CLI_UTIL_H

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
/* Seconds on a monotonic clock. */
double nlp_cli_now(void);

#endif
