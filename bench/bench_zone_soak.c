/* Zone soak: tokenizes 1,000,000 short documents that each bring three new
 * unique tokens (an id, a hex string, a URL), printing the resident set
 * size every 100,000 documents; once with a memory zone per document and
 * once with no zone. Then times one zone begin/end pair.
 * Usage: bench_zone_soak [N_DOCS]   (default 1000000) */
#include <spacyc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int soak(nlp_t *nlp, long n_docs, int zones, const char *label) {
    char text[256];
    printf("%s:\n  %9s %10s\n", label, "docs", "RSS KiB");
    double t0 = now();
    for (long i = 1; i <= n_docs; i++) {
        int len = snprintf(text, sizeof text,
                           "User u%ld sent 0x%08lx from https://example.com/item/%ld today.",
                           i, (unsigned long)(i * 2654435761u), i);
        nlp_zone_t *zone = NULL;
        nlp_doc_t *doc;
        if ((zones && nlp_memory_zone_begin(nlp, &zone)) ||
            nlp_tokenize(nlp, zone, text, (size_t)len, &doc)) {
            fprintf(stderr, "tokenize failed at doc %ld: %s\n", i, nlp_error_detail());
            return 1;
        }
        if (zones) nlp_memory_zone_end(zone);
        else nlp_doc_free(doc);
        if (i % 100000 == 0) printf("  %9ld %10ld\n", i, rss_kib());
    }
    printf("  %.0f docs/s\n", (double)n_docs / (now() - t0));
    return 0;
}

int main(int argc, char **argv) {
    long n_docs = argc > 1 ? atol(argv[1]) : 1000000;
    nlp_t *nlp;
    if (nlp_create_blank("en", NULL, &nlp)) return 1;
    int rc = soak(nlp, n_docs, 1, "per-document memory zones");
    nlp_free(nlp);
    if (rc || nlp_create_blank("en", NULL, &nlp)) return 1;
    rc = soak(nlp, n_docs, 0, "no zones (new words become permanent)");
    nlp_free(nlp);

    if (nlp_create_blank("en", NULL, &nlp)) return 1;
    const long pairs = 10000000;
    double t0 = now();
    for (long i = 0; i < pairs; i++) {
        nlp_zone_t *zone;
        if (nlp_memory_zone_begin(nlp, &zone) || nlp_memory_zone_end(zone)) return 1;
    }
    printf("zone begin/end pair: %.1f ns\n", (now() - t0) / (double)pairs * 1e9);
    nlp_free(nlp);
    return rc;
}
