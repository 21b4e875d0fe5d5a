/* Gazetteer files: parsing into entries of lower-case word ids. */
#include "gazetteer_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/lexattrs.h"
#include "corpus_reader.h"

/* The names read so far; words[] holds every name's ids one after the
 * other, so entries keep offsets until the array stops moving. */
typedef struct gaz_list {
    const nlp_allocator_t *alloc;
    uint64_t *words;
    size_t n_words, cap_words;
    nlp__ner_gaz_entry_t *entries; /* .lower holds an offset until the end */
    size_t n, cap;
    char *lower; /* scratch for one lower-cased word */
    size_t cap_lower;
} gaz_list_t;

static int grow(const nlp_allocator_t *alloc, void **array, size_t *cap,
                size_t need, size_t size) {
    if (need <= *cap) return 1;
    size_t next = *cap ? *cap : 1024;
    while (next < need) next *= 2;
    void *grown = nlp__realloc_array(alloc, *array, next, size);
    if (!grown) return 0;
    *array = grown;
    *cap = next;
    return 1;
}

/* The index of `name` among the categories, added when new; -1 when it
 * would be one too many or is too long. */
static int category_of(nlp__gazetteer_counts_t *c, const char *name) {
    for (uint32_t k = 0; k < c->n_categories; k++)
        if (!strcmp(c->categories[k], name)) return (int)k;
    if (c->n_categories == NLP__NER_GAZ_MAX_CATEGORIES ||
        strlen(name) > NLP__GAZ_CATEGORY_MAX)
        return -1;
    strcpy(c->categories[c->n_categories], name);
    return (int)c->n_categories++;
}

/* Appends the lower-case ids of the space-separated words of `name`;
 * returns how many, or SIZE_MAX when out of memory. */
static size_t add_words(gaz_list_t *g, const char *name) {
    size_t n = 0;
    for (const char *w = name; *w;) {
        size_t len = strcspn(w, " ");
        if (len) {
            if (!grow(g->alloc, (void **)&g->lower, &g->cap_lower, 4 * len + 4, 1) ||
                !grow(g->alloc, (void **)&g->words, &g->cap_words, g->n_words + 1,
                      sizeof *g->words))
                return SIZE_MAX;
            size_t lower_len = nlp__lexattrs_lower(w, len, g->lower);
            g->words[g->n_words++] = nlp_hash_string(g->lower, lower_len);
            n++;
        }
        w += len + (w[len] == ' ');
    }
    return n;
}

/* Parses one non-blank line into an entry (or skips a name too long). */
static nlp_status_t read_line(gaz_list_t *g, char *line, const char *path,
                              unsigned n, nlp__gazetteer_counts_t *c) {
    char *fields[3];
    if (nlp__split_tabs(line, fields, 3) != 2 || !*fields[0] || !*fields[1])
        return nlp__format_error(path, n, "expected \"<category>\\t<name>\"");
    int category = category_of(c, fields[0]);
    if (category < 0)
        return nlp__format_error(path, n,
                                 "category \"%s\" is one too many (at most %u) or "
                                 "longer than %d bytes",
                                 fields[0], NLP__NER_GAZ_MAX_CATEGORIES,
                                 NLP__GAZ_CATEGORY_MAX);
    size_t first = g->n_words;
    size_t words = add_words(g, fields[1]);
    if (words == SIZE_MAX) return NLP_NOMEM;
    if (words == 0) return nlp__format_error(path, n, "the name has no words");
    if (words > NLP__NER_LEX_MAX_PHRASE) {
        g->n_words = first;
        c->too_long++;
        return NLP_OK;
    }
    if (!grow(g->alloc, (void **)&g->entries, &g->cap, g->n + 1, sizeof *g->entries))
        return NLP_NOMEM;
    g->entries[g->n++] = (nlp__ner_gaz_entry_t){
        .lower = (const uint64_t *)(uintptr_t)first,
        .n = (uint32_t)words,
        .category = (uint32_t)category,
    };
    return NLP_OK;
}

static nlp_status_t read_lines(gaz_list_t *g, const char *path,
                               nlp__gazetteer_counts_t *c) {
    FILE *f = fopen(path, "r");
    if (!f) return nlp__fail(NLP_IO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    unsigned n = 0;
    nlp_status_t st = NLP_OK;
    ssize_t got;
    while (!st && (got = getline(&line, &cap, f)) >= 0) {
        n++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = '\0';
        if (got == 0 || line[0] == '#') continue;
        st = read_line(g, line, path, n, c);
    }
    if (!st && ferror(f)) st = nlp__fail(NLP_IO, "%s: read error", path);
    free(line);
    fclose(f);
    return st;
}

nlp_status_t nlp__gazetteer_read(const nlp_allocator_t *alloc, const char *path,
                                 void **image, size_t *len,
                                 nlp__gazetteer_counts_t *counts) {
    *image = NULL;
    *len = 0;
    *counts = (nlp__gazetteer_counts_t){0};
    gaz_list_t g = {.alloc = nlp__allocator_or_default(alloc)};
    nlp_status_t st = read_lines(&g, path, counts);
    if (!st && g.n == 0) st = nlp__fail(NLP_FORMAT, "%s: no names", path);
    if (!st) {
        for (size_t i = 0; i < g.n; i++)
            g.entries[i].lower = g.words + (uintptr_t)g.entries[i].lower;
        counts->names = g.n;
        st = nlp__ner_gazetteer_build(g.alloc, g.entries, g.n, counts->n_categories,
                                      image, len);
    }
    nlp__free(g.alloc, g.words);
    nlp__free(g.alloc, g.entries);
    nlp__free(g.alloc, g.lower);
    return st;
}
