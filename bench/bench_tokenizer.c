/* Tokenizer throughput on one thread, on the raw text of a CoNLL-U file
 * (its "# text = " lines, by default UD English-EWT train.conllu).
 *
 * Figures:
 *   zones, cache as created  one Doc per line in zones before any text was
 *         tokenized outside zones: the cache holds only what the tokenizer
 *         seeded it with, so most chunks are split by the rules each time;
 *   cold  the first pass outside zones, one Doc per line: chunks are split
 *         by the rules, their lexemes made permanent; fills the cache;
 *   warm  later passes, one Doc per line, a memory zone per 64 Docs (the
 *         steady state of a server): chunks come from the cache;
 *   warm, one Doc  all lines joined with newlines into one Doc, made in a
 *         memory zone (its 17 MB token array is allocated anew each pass;
 *         the first passes pay the page faults).
 * Tokens counted include whitespace tokens (newlines between lines in the
 * one-Doc case). Each figure is given over wall-clock time and over the
 * thread's CPU time; warm passes are ranked by CPU time and the best and
 * the median are shown, as other processes can slow a pass down.
 *
 * Usage: bench_tokenizer [FILE.conllu] [PASSES]
 *   (default $EWT_DIR/train.conllu, or ../shared/data/en_ewt/train.conllu;
 *   10 warm passes) */
#include <spacyc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZONE_DOCS 64
#define MAX_PASSES 100

typedef struct corpus_text {
    char *bytes;   /* every line, each followed by '\n' */
    size_t len;
    size_t *start; /* line i is bytes[start[i] .. start[i + 1] - 1) */
    size_t n;
} corpus_text_t;

/* Wall-clock and CPU time of this thread: on a busy machine the CPU time
 * is the steadier figure. */
typedef struct stamp {
    double wall, cpu;
} stamp_t;

static stamp_t now(void) {
    struct timespec w, c;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
    return (stamp_t){(double)w.tv_sec + (double)w.tv_nsec * 1e-9,
                     (double)c.tv_sec + (double)c.tv_nsec * 1e-9};
}

static stamp_t since(stamp_t t0) {
    stamp_t t = now();
    return (stamp_t){t.wall - t0.wall, t.cpu - t0.cpu};
}

/* Reads the "# text = " lines of a CoNLL-U file. Returns 0 on success. */
static int read_texts(const char *path, corpus_text_t *out) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 20, cap_lines = 1 << 14;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    memset(out, 0, sizeof *out);
    out->bytes = malloc(cap);
    out->start = malloc(cap_lines * sizeof *out->start);
    if (!out->bytes || !out->start) goto fail;
    while ((got = getline(&line, &line_cap, f)) >= 0) {
        if (strncmp(line, "# text = ", 9) != 0) continue;
        size_t len = (size_t)got - 9;
        while (len && (line[9 + len - 1] == '\n' || line[9 + len - 1] == '\r')) len--;
        while (out->len + len + 1 > cap) {
            char *b = realloc(out->bytes, cap *= 2);
            if (!b) goto fail;
            out->bytes = b;
        }
        if (out->n + 2 > cap_lines) {
            size_t *s = realloc(out->start, (cap_lines *= 2) * sizeof *s);
            if (!s) goto fail;
            out->start = s;
        }
        out->start[out->n++] = out->len;
        memcpy(out->bytes + out->len, line + 9, len);
        out->len += len;
        out->bytes[out->len++] = '\n';
    }
    out->start[out->n] = out->len;
    free(line);
    fclose(f);
    return out->n ? 0 : -1;
fail:
    free(line);
    fclose(f);
    return -1;
}

static const char *line_at(const corpus_text_t *c, size_t i, size_t *len) {
    *len = c->start[i + 1] - c->start[i] - 1; /* without the '\n' */
    return c->bytes + c->start[i];
}

static void report(const char *label, stamp_t t, size_t tokens, size_t bytes) {
    printf("%-28s %8.1f %8.1f %9.2f %9.2f %8.1f %8.1f\n", label, t.wall * 1e3,
           t.cpu * 1e3, (double)tokens / t.wall / 1e6,
           (double)tokens / t.cpu / 1e6, (double)bytes / t.wall / 1e6,
           (double)bytes / t.cpu / 1e6);
}

/* Orders passes by CPU time. */
static int cmp_stamp(const void *a, const void *b) {
    double x = ((const stamp_t *)a)->cpu, y = ((const stamp_t *)b)->cpu;
    return (x > y) - (x < y);
}

/* One pass, one Doc per line; in zones of ZONE_DOCS Docs when `zones`,
 * else heap Docs (which also fills the cache). Returns the token count or
 * 0 on failure. */
static size_t pass_per_line(nlp_t *nlp, const corpus_text_t *c, int zones) {
    size_t tokens = 0;
    nlp_zone_t *zone = NULL;
    for (size_t i = 0; i < c->n; i++) {
        if (zones && i % ZONE_DOCS == 0) {
            if (zone) nlp_memory_zone_end(zone);
            if (nlp_memory_zone_begin(nlp, &zone)) return 0;
        }
        size_t len, n;
        const char *text = line_at(c, i, &len);
        nlp_doc_t *doc;
        const nlp_token_t *toks;
        if (nlp_tokenize(nlp, zone, text, len, &doc) ||
            nlp_doc_tokens(doc, &toks, &n))
            return 0;
        tokens += n;
        if (!zones) nlp_doc_free(doc);
    }
    if (zone) nlp_memory_zone_end(zone);
    return tokens;
}

int main(int argc, char **argv) {
    char fallback[4096];
    const char *path = argc > 1 ? argv[1] : NULL;
    int passes = argc > 2 ? atoi(argv[2]) : 10;
    if (passes < 1 || passes > MAX_PASSES) passes = 10;
    if (!path) {
        const char *dir = getenv("EWT_DIR");
        snprintf(fallback, sizeof fallback, "%s/train.conllu",
                 dir ? dir : "../shared/data/en_ewt");
        path = fallback;
    }
    corpus_text_t c;
    if (read_texts(path, &c)) {
        fprintf(stderr, "bench_tokenizer: cannot read \"# text\" lines from %s\n", path);
        return 1;
    }
    size_t text_bytes = c.len - c.n; /* without the joining newlines */
    printf("%s: %zu lines, %.2f MB of text, 1 thread\n", path, c.n,
           (double)text_bytes / 1e6);

    nlp_t *nlp;
    if (nlp_create_blank("en", NULL, &nlp)) {
        fprintf(stderr, "bench_tokenizer: %s\n", nlp_error_detail());
        return 1;
    }
    printf("%-28s %8s %8s %9s %9s %8s %8s\n", "", "ms wall", "ms cpu",
           "Mtok/s", "Mtok/s cpu", "MB/s", "MB/s cpu");
    /* Zones only read the cache, so before any pass outside zones every
     * chunk but the seeded ones is split by the rules, pass after pass. */
    stamp_t times[MAX_PASSES], t0;
    size_t tokens = 0, joined_tokens = 0;
    for (int p = 0; p < 3; p++) {
        t0 = now();
        if (!(tokens = pass_per_line(nlp, &c, 1))) goto fail;
        times[p] = since(t0);
    }
    qsort(times, 3, sizeof times[0], cmp_stamp);
    report("zones, cache as created", times[0], tokens, text_bytes);

    t0 = now();
    if (pass_per_line(nlp, &c, 0) != tokens) goto fail;
    report("cold (first pass)", since(t0), tokens, text_bytes);

    for (int p = 0; p < passes; p++) {
        t0 = now();
        if (pass_per_line(nlp, &c, 1) != tokens) goto fail;
        times[p] = since(t0);
    }
    qsort(times, (size_t)passes, sizeof times[0], cmp_stamp);
    report("warm, Doc per line (best)", times[0], tokens, text_bytes);
    report("warm, Doc per line (median)", times[passes / 2], tokens, text_bytes);

    /* The joined text has chunks the lines lack (the newlines): one pass
     * outside zones caches them too. */
    nlp_doc_t *warm_doc;
    if (nlp_tokenize(nlp, NULL, c.bytes, c.len, &warm_doc)) goto fail;
    nlp_doc_free(warm_doc);
    for (int p = 0; p < passes; p++) {
        nlp_zone_t *zone;
        nlp_doc_t *doc;
        const nlp_token_t *toks;
        if (nlp_memory_zone_begin(nlp, &zone)) goto fail;
        t0 = now();
        if (nlp_tokenize(nlp, zone, c.bytes, c.len, &doc) ||
            nlp_doc_tokens(doc, &toks, &joined_tokens))
            goto fail;
        times[p] = since(t0);
        nlp_memory_zone_end(zone);
    }
    qsort(times, (size_t)passes, sizeof times[0], cmp_stamp);
    report("warm, one Doc (best)", times[0], joined_tokens, c.len);
    report("warm, one Doc (median)", times[passes / 2], joined_tokens, c.len);
    nlp_free(nlp);
    free(c.bytes);
    free(c.start);
    return 0;
fail:
    fprintf(stderr, "bench_tokenizer: tokenizing failed: %s\n", nlp_error_detail());
    nlp_free(nlp);
    return 1;
}
