/* Resolving output paths; see output_target.h. */
#include "io/output_target.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

nlp_status_t nlp__output_target(const char *path, const nlp_allocator_t *alloc,
                                nlp__output_target_t *out) {
    *out = (nlp__output_target_t){0};
    struct stat sb, lsb;
    const char *target = path;
    char resolved[PATH_MAX];
    if (stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return nlp__fail(NLP_IO, "%s: %s", path, strerror(EISDIR));
        out->direct = !S_ISREG(sb.st_mode);
        if (!out->direct) {
            out->replaces = true;
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

char *nlp__output_dir(const char *path, const nlp_allocator_t *alloc) {
    const char *slash = strrchr(path, '/');
    alloc = nlp__allocator_or_default(alloc);
    return slash ? nlp__strndup(alloc, path, slash == path ? 1 : (size_t)(slash - path))
                 : nlp__strndup(alloc, ".", 1);
}

nlp_status_t nlp__output_check(const char *path) {
    nlp__output_target_t target;
    nlp_status_t st = nlp__output_target(path, NULL, &target);
    if (st || target.direct) {
        nlp__output_target_free(&target, NULL);
        return st;
    }
    char *dir = nlp__output_dir(target.path, NULL);
    if (!dir) st = nlp__fail(NLP_NOMEM, "%s: output path", path);
    else if (access(dir, W_OK | X_OK) != 0)
        st = nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
    nlp__free(nlp__allocator_or_default(NULL), dir);
    nlp__output_target_free(&target, NULL);
    return st;
}
