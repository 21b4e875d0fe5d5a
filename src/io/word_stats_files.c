/* Word-statistics files: parsing and merging into one table. */
#include "word_stats_files.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/table.h"
#include "core/word_stats.h"
#include "corpus_reader.h"

/* The words read so far; `index` maps a word's id to its entry + 1, and
 * seen[i] has a bit per file that listed word i. */
typedef struct merge {
    const nlp_allocator_t *alloc;
    nlp__word_stat_t *words;
    uint8_t *seen;
    size_t n, cap;
    nlp__table_t index;
} merge_t;

enum { SEEN_CLUSTER = 1, SEEN_PROB = 2 };

/* The index of `word`'s entry (created empty), or SIZE_MAX when out of
 * memory. */
static size_t entry_for(merge_t *m, const char *word, size_t len) {
    nlp_hash_t key = nlp_hash_string(word, len);
    uintptr_t at = (uintptr_t)nlp__table_get(&m->index, key);
    if (at) return at - 1;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        nlp__word_stat_t *words = nlp__realloc_array(m->alloc, m->words, cap, sizeof *words);
        if (!words) return SIZE_MAX;
        m->words = words;
        uint8_t *seen = nlp__realloc_array(m->alloc, m->seen, cap, 1);
        if (!seen) return SIZE_MAX;
        m->seen = seen;
        m->cap = cap;
    }
    if (nlp__table_put(&m->index, key, (void *)(uintptr_t)(m->n + 1))) return SIZE_MAX;
    m->words[m->n] = (nlp__word_stat_t){.key = key};
    m->seen[m->n] = 0;
    return m->n++;
}

/* What one file's value does to a word's entry. */
typedef nlp_status_t (*value_fn)(const char *path, unsigned line,
                                 const char *value, nlp__word_stat_t *w,
                                 float min_prob, nlp__word_stats_counts_t *c);

static nlp_status_t cluster_value(const char *path, unsigned line,
                                  const char *value, nlp__word_stat_t *w,
                                  float min_prob, nlp__word_stats_counts_t *c) {
    (void)min_prob;
    uint32_t code = nlp__cluster_code(value, strlen(value));
    if (!code)
        return nlp__format_error(path, line,
                                 "cluster path \"%s\" is not 1 to %d binary digits",
                                 value, NLP__CLUSTER_MAX_BITS);
    w->cluster = code;
    c->clusters++;
    return NLP_OK;
}

static nlp_status_t prob_value(const char *path, unsigned line,
                               const char *value, nlp__word_stat_t *w,
                               float min_prob, nlp__word_stats_counts_t *c) {
    char *end;
    errno = 0;
    float p = strtof(value, &end);
    if (end == value || *end || errno || !isfinite(p) || !(p < 0.0f))
        return nlp__format_error(path, line,
                                 "\"%s\" is not a negative log probability", value);
    if (p >= min_prob) {
        w->prob = p;
        c->probs++;
    }
    return NLP_OK;
}

/* What reading one file needs to know. */
typedef struct file_read {
    merge_t *m;
    const char *path;
    value_fn fn;
    uint8_t seen_bit;
    float min_prob;
    nlp__word_stats_counts_t *c;
} file_read_t;

/* One "<value>\t<word>[\t...]" line into the merge. */
static nlp_status_t read_line(void *ctx, char *line, size_t len, unsigned n) {
    (void)len;
    file_read_t *r = ctx;
    char *fields[3];
    size_t k = nlp__split_tabs(line, fields, 3);
    if (k < 2 || !*fields[1])
        return nlp__format_error(r->path, n, "expected \"<value>\\t<word>\"");
    merge_t *m = r->m;
    size_t at = entry_for(m, fields[1], strlen(fields[1]));
    if (at == SIZE_MAX) return NLP_NOMEM;
    if (m->seen[at] & r->seen_bit) return nlp__format_error(r->path, n, "word listed twice");
    m->seen[at] |= r->seen_bit;
    return r->fn(r->path, n, fields[0], &m->words[at], r->min_prob, r->c);
}

/* Reads one file of "<value>\t<word>[\t...]" lines into the merge. */
static nlp_status_t read_file(merge_t *m, const char *path, value_fn fn,
                              uint8_t seen_bit, float min_prob,
                              nlp__word_stats_counts_t *c) {
    file_read_t r = {m, path, fn, seen_bit, min_prob, c};
    return nlp__read_lines(path, read_line, &r);
}

nlp_status_t nlp__word_stats_read(const nlp_allocator_t *alloc,
                                  const char *clusters_path,
                                  const char *probs_path, float min_prob,
                                  void **image, size_t *len,
                                  nlp__word_stats_counts_t *counts) {
    *image = NULL;
    *len = 0;
    *counts = (nlp__word_stats_counts_t){0};
    alloc = nlp__allocator_or_default(alloc);
    merge_t m = {.alloc = alloc};
    nlp_status_t st = nlp__table_init(&m.index, alloc, NULL, 1u << 16);
    if (!st && clusters_path) st = read_file(&m, clusters_path, cluster_value, SEEN_CLUSTER, min_prob, counts);
    if (!st && probs_path) st = read_file(&m, probs_path, prob_value, SEEN_PROB, min_prob, counts);
    if (!st)
        st = nlp__word_stats_build(alloc, m.words, m.n, image, len, &counts->words,
                                   &counts->dropped);
    nlp__table_destroy(&m.index);
    nlp__free(alloc, m.words);
    nlp__free(alloc, m.seen);
    return st;
}
