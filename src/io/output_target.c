/* Resolving output paths; see output_target.h. */
#include "io/output_target.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

static mode_t new_file_mode(void) {
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

nlp_status_t nlp__output_target(const char *path, const nlp_allocator_t *alloc,
                                nlp__output_target_t *out) {
    *out = (nlp__output_target_t){.mode = new_file_mode()};
    struct stat sb, lsb;
    const char *target = path;
    char resolved[PATH_MAX];
    if (stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return nlp__fail(NLP_IO, "%s: %s", path, strerror(EISDIR));
        out->direct = !S_ISREG(sb.st_mode);
        if (!out->direct) {
            out->mode = sb.st_mode & 07777;
            if (!realpath(path, resolved))
                return nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
            target = resolved;
        }
    } else if (lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode)) {
        /* A link to a file yet to be made: opening it creates that file. */
        out->direct = true;
    }
    out->path = nlp__strndup(nlp__allocator_or_default(alloc), target, strlen(target));
    return out->path ? NLP_OK : nlp__fail(NLP_NOMEM, "%s: output path", path);
}

void nlp__output_target_free(nlp__output_target_t *t,
                             const nlp_allocator_t *alloc) {
    nlp__free(nlp__allocator_or_default(alloc), t->path);
    t->path = NULL;
}
