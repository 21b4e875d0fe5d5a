#include "cli_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

int nlp_cli_open_input(const char *path, uint64_t *size) {
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    struct stat sb;
    int e = 0;
    if (fd < 0 || fstat(fd, &sb) != 0) e = errno;
    else if (S_ISDIR(sb.st_mode)) e = EISDIR;
    if (e) {
        fprintf(stderr, "spacyc: cannot read %s: %s\n", path, strerror(e));
        if (fd > 0) close(fd);
        return -1;
    }
    *size = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
    return fd;
}

double nlp_cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int nlp_cli_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
    if (!isdigit((unsigned char)*s)) return 0; /* strtoull takes signs and spaces */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return 0;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10;
    else if (*end == 'M' || *end == 'm') shift = 20;
    else if (*end == 'G' || *end == 'g') shift = 30;
    if (shift) end++;
    if (*end || v > (max >> shift)) return 0;
    v <<= shift;
    if (v < min) return 0;
    *out = v;
    return 1;
}

int nlp_cli_flush_stdout(void) {
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) return 0;
    fprintf(stderr, "spacyc: cannot write the output: %s\n", strerror(errno ? errno : EIO));
    return 1;
}
