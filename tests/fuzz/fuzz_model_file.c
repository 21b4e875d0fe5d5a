/* Fuzz target for the model file reader.
 *
 * Built with -DNLP_FUZZ_LIBFUZZER and -fsanitize=fuzzer it is a libFuzzer
 * target. Built plainly it is a test program: it replays every file of the
 * corpus directories (or files) given on the command line, and every
 * replayed file again after a fixed series of pseudo-random byte edits, so
 * the test suite exercises the reader's error paths without libFuzzer.
 *
 * Whatever the input, the reader must either refuse it or hand out
 * sections that lie entirely inside it; reading every byte of every
 * section lets AddressSanitizer check the second promise.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/model_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every byte of every section; the result only keeps the compiler
 * from dropping the reads. */
static unsigned touch_sections(const nlp__model_reader_t *r) {
    unsigned sum = 0;
    for (size_t i = 0; i < nlp__model_reader_n_sections(r); i++) {
        const char *name = nlp__model_reader_section_name(r, i);
        const void *p;
        size_t len;
        if (!name || nlp__model_reader_section(r, name, &p, &len) != NLP_OK) abort();
        if ((uintptr_t)p % 64 != 0) abort();
        for (size_t k = 0; k < len; k++) sum += ((const unsigned char *)p)[k];
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The reader wants a mapping's alignment, which fuzzer input lacks. */
    size_t cap = (size + 63) / 64 * 64;
    unsigned char *image = aligned_alloc(64, cap ? cap : 64);
    if (!image) return 0;
    if (size) memcpy(image, data, size);
    nlp__model_reader_t *r = NULL;
    nlp_status_t st = nlp__model_reader_open_memory(image, size, NULL, &r);
    if (st == NLP_OK) {
        volatile unsigned sink = touch_sections(r);
        (void)sink;
    } else if (r != NULL || st == NLP_INVALID_ARG) {
        abort(); /* a refusal must not hand out a reader */
    }
    nlp__model_reader_close(r);
    free(image);
    return 0;
}

#ifndef NLP_FUZZ_LIBFUZZER

/* Edits per replayed file; enough to reach most checks, quick enough for
 * every test run. */
#define MUTATIONS 20000

static uint32_t next_random(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Replays `data` as it is, then with 1 to 4 random byte edits or a random
 * truncation per round. */
static void replay(const unsigned char *data, size_t size, uint32_t seed) {
    LLVMFuzzerTestOneInput(data, size);
    if (size == 0) return;
    unsigned char *copy = malloc(size);
    if (!copy) abort();
    for (int m = 0; m < MUTATIONS; m++) {
        memcpy(copy, data, size);
        size_t len = size;
        uint32_t kind = next_random(&seed) % 8;
        if (kind == 0) {
            len = next_random(&seed) % size;
        } else {
            for (uint32_t e = 0; e <= kind % 4; e++)
                copy[next_random(&seed) % size] = (unsigned char)next_random(&seed);
        }
        LLVMFuzzerTestOneInput(copy, len);
    }
    free(copy);
}

static int replay_file(const char *path, uint32_t seed) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 1;
    }
    unsigned char *data = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? cap * 2 : 4096;
            unsigned char *bigger = realloc(data, cap);
            if (!bigger) abort();
            data = bigger;
        }
        size_t k = fread(data + size, 1, cap - size, f);
        size += k;
        if (k == 0) break;
    }
    fclose(f);
    replay(data, size, seed);
    free(data);
    return 0;
}

/* Replays a file, or every regular file of a directory. Returns the number
 * of failures to open and adds the files replayed to *count. */
static int replay_path(const char *path, size_t *count) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "%s: not found\n", path);
        return 1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        (*count)++;
        return replay_file(path, (uint32_t)*count);
    }
    DIR *dir = opendir(path);
    if (!dir) return 1;
    int failures = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        if (e->d_name[0] == '.' || stat(child, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        (*count)++;
        failures += replay_file(child, (uint32_t)*count);
    }
    closedir(dir);
    return failures;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    int failures = 0;
    size_t count = 0;
    for (int i = 1; i < argc; i++) failures += replay_path(argv[i], &count);
    printf("replayed %zu inputs, each with %d mutations\n", count, MUTATIONS);
    return failures || count == 0 ? 1 : 0;
}

#endif
