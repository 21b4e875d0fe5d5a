/* Damaged section contents behind valid checksums.
 *
 * The container's checksums catch accidental damage, but a file written by
 * a buggy or hostile tool can carry wrong contents with correct checksums.
 * This program takes a real model file, damages one section at a time (byte
 * edits, extreme counts, truncation, extension), writes it back through the
 * model writer, which checksums it afresh, and loads the result. nlp_load
 * must refuse it with NLP_MODEL_CORRUPT or NLP_MODEL_VERSION, or load a
 * pipeline that parses text and frees cleanly; under AddressSanitizer any
 * read outside a section or of freed memory fails the run.
 *
 * usage: fuzz_model_sections MODEL [ROUNDS]   (skips when MODEL is absent)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/model_file.h"
#include "spacyc.h"

#define SKIP 77 /* meson's exit code for a skipped test */
#define DEFAULT_ROUNDS 24

typedef struct section {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    const unsigned char *data;
    size_t len;
} section_t;

static const char *const texts[] = {
    "Apple is looking at buying U.K. startup for $1 billion. Mr. Smith said so.",
    "I can't believe it's not butter!! See http://example.com or e-mail me.\n\n"
    "Thanks,\nJohn",
    "",
    "\xff\xfe broken \xc3 bytes",
};

static uint32_t next_random(uint32_t *state) {
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* A position in [0, len) that favours the start of the section, where
 * headers, counts and offsets live. */
static size_t pick_offset(uint32_t *rng, size_t len) {
    uint32_t r = next_random(rng);
    size_t span = r % 4 == 0 ? len : r % 4 == 1 ? 4096 : 128;
    if (span > len) span = len;
    return span ? next_random(rng) % span : 0;
}

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Damages copy[0 .. *len) in place (the buffer has room for `cap` bytes). */
static void damage(unsigned char *copy, size_t *len, size_t cap, uint32_t *rng) {
    static const uint32_t extremes[] = {0, 1, 0x7fffffffu, 0x80000000u,
                                        0xffffffffu, 0xfffffff0u, 65536};
    uint32_t kind = next_random(rng) % 6;
    if (*len == 0 || kind == 4) { /* extend with garbage */
        size_t extra = 1 + next_random(rng) % 64;
        if (*len + extra > cap) extra = cap - *len;
        for (size_t i = 0; i < extra; i++)
            copy[*len + i] = (unsigned char)next_random(rng);
        *len += extra;
    } else if (kind == 0 || kind == 1) { /* one to eight random bytes */
        int n = 1 + (int)(next_random(rng) % 8);
        for (int i = 0; i < n; i++)
            copy[pick_offset(rng, *len)] ^= (unsigned char)(1 + next_random(rng) % 255);
    } else if (kind == 2 || kind == 3) { /* an extreme 32-bit value */
        size_t at = pick_offset(rng, *len) & ~(size_t)3;
        if (at + 4 <= *len)
            put_u32(copy + at, extremes[next_random(rng) % 7]);
    } else { /* truncation */
        *len = next_random(rng) % *len;
    }
}

/* Writes the sections, with section `victim` replaced by bytes[0..len). */
static void write_model(const section_t *s, size_t n, size_t victim,
                        const unsigned char *bytes, size_t len,
                        const char *path) {
    nlp__model_writer_t *w;
    if (nlp__model_writer_create(NULL, &w)) abort();
    for (size_t i = 0; i < n; i++) {
        nlp_status_t st = i == victim
                              ? nlp__model_writer_add(w, s[i].name, bytes, len)
                              : nlp__model_writer_add(w, s[i].name, s[i].data, s[i].len);
        if (st) abort();
    }
    if (nlp__model_writer_save(w, path)) abort();
    nlp__model_writer_free(w);
}

/* Outcomes, for the summary. */
static int n_refused, n_loaded;

/* Loads `path`; a pipeline that loads must parse every text. Returns 0 when
 * the outcome is acceptable. */
static int try_load(const char *path, const char *what) {
    nlp_t *nlp = NULL;
    nlp_status_t st = nlp_load(path, NULL, &nlp);
    if (st != NLP_OK) {
        if (nlp || (st != NLP_MODEL_CORRUPT && st != NLP_MODEL_VERSION)) {
            fprintf(stderr, "%s: nlp_load gave %s (%s)\n", what,
                    nlp_status_name(st), nlp_error_detail());
            return 1;
        }
        n_refused++;
        return 0;
    }
    n_loaded++;
    int bad = 0;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        nlp_doc_t *doc = NULL;
        st = nlp_parse(nlp, NULL, texts[i], strlen(texts[i]), &doc);
        if (st != NLP_OK) {
            fprintf(stderr, "%s: loaded, then nlp_parse gave %s (%s)\n", what,
                    nlp_status_name(st), nlp_error_detail());
            bad = 1;
        }
        nlp_doc_free(doc);
    }
    nlp_free(nlp);
    return bad;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL [ROUNDS]\n", argv[0]);
        return 2;
    }
    if (access(argv[1], R_OK) != 0) {
        printf("skipped: no model at %s\n", argv[1]);
        return SKIP;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : DEFAULT_ROUNDS;
    nlp__model_reader_t *r;
    if (nlp__model_reader_open(argv[1], NULL, &r)) {
        fprintf(stderr, "%s: %s\n", argv[1], nlp_error_detail());
        return 1;
    }
    size_t n = nlp__model_reader_n_sections(r);
    section_t *s = calloc(n, sizeof *s);
    size_t biggest = 0;
    if (!s) abort();
    for (size_t i = 0; i < n; i++) {
        const void *p;
        snprintf(s[i].name, sizeof s[i].name, "%s",
                 nlp__model_reader_section_name(r, i));
        if (nlp__model_reader_section(r, s[i].name, &p, &s[i].len)) abort();
        s[i].data = p;
        if (s[i].len > biggest) biggest = s[i].len;
    }
    size_t cap = biggest + 64;
    unsigned char *copy = malloc(cap);
    char path[] = "/tmp/spacyc-fuzz-sections-XXXXXX";
    int fd = mkstemp(path);
    if (!copy || fd < 0) abort();
    close(fd);

    int failures = 0;
    uint32_t rng = 12345;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < rounds; k++) {
            memcpy(copy, s[i].data, s[i].len);
            size_t len = s[i].len;
            damage(copy, &len, cap, &rng);
            write_model(s, n, i, copy, len, path);
            char what[128];
            snprintf(what, sizeof what, "section %s, round %d", s[i].name, k);
            failures += try_load(path, what);
        }
    }
    printf("%zu sections x %d damaged copies: %d refused, %d loaded and parsed, "
           "%d unacceptable outcomes\n", n, rounds, n_refused, n_loaded, failures);
    unlink(path);
    free(copy);
    free(s);
    nlp__model_reader_close(r);
    return failures != 0;
}
