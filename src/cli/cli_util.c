#include "cli_util.h"

#include <string.h>
#include <time.h>

int nlp_cli_error(const char *what, nlp_status_t st) {
    const char *detail = nlp_error_detail();
    fprintf(stderr, "spacyc: %s: %s%s%s%s\n", what, nlp_strerror(st),
            *detail ? " (" : "", detail, *detail ? ")" : "");
    return 1;
}

const char *nlp_cli_value(int argc, char **argv, int *i) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "spacyc: option %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int nlp_cli_write_file(void *ctx, const char *data, size_t len) {
    return fwrite(data, 1, len, (FILE *)ctx) == len ? 0 : 1;
}

nlp_t *nlp_cli_load(const char *path, const char *exclude) {
    nlp_t *nlp = NULL;
    const char *p = path ? path : nlp_default_model_path();
    nlp_status_t st = nlp_load_exclude(p, exclude, NULL, &nlp);
    if (st) {
        char what[4200];
        snprintf(what, sizeof what, "cannot load model %s", p);
        nlp_cli_error(what, st);
        return NULL;
    }
    return nlp;
}

double nlp_cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
