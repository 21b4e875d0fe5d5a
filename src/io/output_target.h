/* Where a program's output file really goes.
 *
 * Outputs are written to a temporary file that is renamed over the target
 * only when complete, so a reader (or a service with the old model mapped)
 * never sees half a file. That is right for regular files alone: a rename
 * would replace a device such as /dev/null with a plain file, and a
 * symbolic link with a copy of its target. So links are followed to the
 * file they name, whose permissions the new file keeps, and anything that
 * is not a regular file (a device, a pipe) is written to in place.
 * A file with other hard links is still replaced: they keep the old one.
 */
#ifndef NLP_IO_OUTPUT_TARGET_H
#define NLP_IO_OUTPUT_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

#include "spacyc/common.h"

typedef struct nlp__output_target {
    char *path;    /* the file to write: symbolic links resolved where they lead to one */
    bool direct;   /* open `path` and write in place (not a regular file) */
    bool replaces; /* an existing regular file, whose permissions are `mode` */
    mode_t mode;
} nlp__output_target_t;

/* Decides how to write `path` (`alloc` may be NULL). NLP_IO (with the
 * reason) for a directory or a path whose links cannot be followed;
 * NLP_NOMEM. */
nlp_status_t nlp__output_target(const char *path, const nlp_allocator_t *alloc,
                                nlp__output_target_t *out);
void nlp__output_target_free(nlp__output_target_t *t,
                             const nlp_allocator_t *alloc);

/* The directory `path` is in ("." for a bare name), a new string from
 * `alloc` (may be NULL); NULL when out of memory. */
char *nlp__output_dir(const char *path, const nlp_allocator_t *alloc);

/* Checks, before any work, that `path` can be written: it is no directory
 * and, unless written in place, its directory takes new files. NLP_IO with
 * the reason otherwise. */
nlp_status_t nlp__output_check(const char *path);

#endif
