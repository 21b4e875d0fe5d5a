/* Gazetteer files: parsing into entries of lower-case word ids. */
#include "gazetteer_file.h"

#include <string.h>

#include "core/alloc.h"
#include "core/lexattrs.h"
#include "corpus_reader.h"

/* The names read so far: words[] holds every name's ids one after the
 * other, in entry order, so entry i starts where entry i - 1 ends. */
typedef struct gaz_list {
    const nlp_allocator_t *alloc;
    const char *path;
    nlp__gazetteer_counts_t *counts;
    uint64_t *words;
    size_t n_words, cap_words;
    nlp__ner_gaz_entry_t *entries; /* .lower is set once words[] stops moving */
    size_t n, cap_entries;
    char *lower; /* scratch for one lower-cased word */
    size_t cap_lower;
} gaz_list_t;

/* The index of category `name`, added when new, or a format error when
 * it is too long or one too many. */
static nlp_status_t category_of(gaz_list_t *g, const char *name, unsigned line,
                                uint32_t *out) {
    nlp__gazetteer_counts_t *c = g->counts;
    for (uint32_t k = 0; k < c->n_categories; k++)
        if (!strcmp(c->categories[k], name)) {
            *out = k;
            return NLP_OK;
        }
    if (strlen(name) > NLP__GAZ_CATEGORY_MAX)
        return nlp__format_error(g->path, line, "category \"%s\" is longer than %d bytes",
                                 name, NLP__GAZ_CATEGORY_MAX);
    if (c->n_categories == NLP__NER_GAZ_MAX_CATEGORIES)
        return nlp__format_error(g->path, line,
                                 "category \"%s\" is one too many (at most %u)", name,
                                 NLP__NER_GAZ_MAX_CATEGORIES);
    strcpy(c->categories[c->n_categories], name);
    *out = c->n_categories++;
    return NLP_OK;
}

/* Appends the lower-case ids of the space-separated words of `name`;
 * returns how many, or SIZE_MAX when out of memory. */
static size_t add_words(gaz_list_t *g, const char *name) {
    size_t n = 0;
    for (const char *w = name; *w;) {
        size_t len = strcspn(w, " ");
        if (len) {
            if (!nlp__grow_array(g->alloc, (void **)&g->lower, &g->cap_lower, 4 * len + 4,
                                 1) ||
                !nlp__grow_array(g->alloc, (void **)&g->words, &g->cap_words,
                                 g->n_words + 1, sizeof *g->words))
                return SIZE_MAX;
            size_t lower_len = nlp__lexattrs_lower(w, len, g->lower);
            g->words[g->n_words++] = nlp_hash_string(g->lower, lower_len);
            n++;
        }
        w += len + (w[len] == ' ');
    }
    return n;
}

/* One line: skipped when blank or a comment, else an entry (or a name
 * too long, counted). */
static nlp_status_t read_line(void *ctx, char *line, size_t len, unsigned n) {
    gaz_list_t *g = ctx;
    if (len == 0 || line[0] == '#') return NLP_OK;
    char *fields[3];
    if (nlp__split_tabs(line, fields, 3) != 2 || !*fields[0] || !*fields[1])
        return nlp__format_error(g->path, n, "expected \"<category>\\t<name>\"");
    uint32_t category = 0;
    nlp_status_t st = category_of(g, fields[0], n, &category);
    if (st) return st;
    size_t first = g->n_words;
    size_t words = add_words(g, fields[1]);
    if (words == SIZE_MAX) return NLP_NOMEM;
    if (words == 0) return nlp__format_error(g->path, n, "the name has no words");
    if (words > NLP__NER_LEX_MAX_PHRASE) {
        g->n_words = first;
        g->counts->too_long++;
        return NLP_OK;
    }
    if (!nlp__grow_array(g->alloc, (void **)&g->entries, &g->cap_entries, g->n + 1,
                         sizeof *g->entries))
        return NLP_NOMEM;
    g->entries[g->n++] = (nlp__ner_gaz_entry_t){.n = (uint32_t)words,
                                                .category = category};
    return NLP_OK;
}

nlp_status_t nlp__gazetteer_read(const nlp_allocator_t *alloc, const char *path,
                                 void **image, size_t *len,
                                 nlp__gazetteer_counts_t *counts) {
    *image = NULL;
    *len = 0;
    *counts = (nlp__gazetteer_counts_t){0};
    gaz_list_t g = {.alloc = nlp__allocator_or_default(alloc), .path = path,
                    .counts = counts};
    nlp_status_t st = nlp__read_lines(path, read_line, &g);
    if (!st && g.n == 0) st = nlp__fail(NLP_FORMAT, "%s: no names", path);
    if (!st) {
        const uint64_t *at = g.words;
        for (size_t i = 0; i < g.n; i++) {
            g.entries[i].lower = at;
            at += g.entries[i].n;
        }
        counts->names = g.n;
        st = nlp__ner_gazetteer_build(g.alloc, g.entries, g.n, counts->n_categories,
                                      image, len);
    }
    nlp__free(g.alloc, g.words);
    nlp__free(g.alloc, g.entries);
    nlp__free(g.alloc, g.lower);
    return st;
}
