/* The CoNLL-U reader (https://universaldependencies.org/format.html).
 *
 * Word lines fill nlp__gold_word_t, multiword token lines ("1-2") fill
 * nlp__gold_mwt_t and empty nodes ("8.1") are checked and skipped, since no
 * component predicts them. Heads can point forward, so they are checked
 * against the sentence length once the sentence is complete.
 */
#include <string.h>

#include "core/alloc.h"
#include "corpus_reader.h"

enum { ID, FORM, LEMMA, UPOS, XPOS, FEATS, HEAD, DEPREL, DEPS, MISC, N_COLUMNS };

static const char *const column_names[N_COLUMNS] = {
    "ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC",
};

/* "_" marks an absent value; it becomes "" by cutting the field in place. */
static const char *value_or_empty(char *field) {
    if (field[0] == '_' && field[1] == '\0') field[0] = '\0';
    return field;
}

/* True when one of the '|'-separated MISC items is exactly SpaceAfter=No
 * (so "CorrectSpaceAfter=No" does not count). */
static int misc_says_no_space(const char *misc) {
    static const char item[] = "SpaceAfter=No";
    const size_t n = sizeof item - 1;
    for (const char *p = misc;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && memcmp(p, item, n) == 0) return 1;
        if (!bar) return 0;
        p = bar + 1;
    }
}

static nlp_status_t read_empty_node(const nlp__text_reader_t *r,
                                    nlp__sent_builder_t *b, const char *id,
                                    size_t major_len) {
    int32_t major = nlp__parse_index(id, major_len);
    const char *dot = id + major_len + 1;
    int32_t minor = nlp__parse_index(dot, strlen(dot));
    if (major < 0 || minor < 1)
        return nlp__format_error(r->path, r->line, "bad empty node id \"%s\"", id);
    if ((size_t)major != b->n_words)
        return nlp__format_error(r->path, r->line,
                                 "empty node %s out of order (after word %zu)",
                                 id, b->n_words);
    return NLP_OK;
}

static nlp_status_t read_multiword(const nlp__text_reader_t *r,
                                   nlp__sent_builder_t *b, char **f,
                                   size_t first_len) {
    const char *id = f[ID];
    const char *dash = id + first_len + 1;
    int32_t first = nlp__parse_index(id, first_len);
    int32_t last = nlp__parse_index(dash, strlen(dash));
    if (first < 1 || last <= first)
        return nlp__format_error(r->path, r->line,
                                 "bad multiword token range \"%s\"", id);
    if ((size_t)first != b->n_words + 1)
        return nlp__format_error(r->path, r->line,
                                 "multiword token %s does not start at the "
                                 "next word (%zu)", id, b->n_words + 1);
    if (b->n_mwts && b->mwts[b->n_mwts - 1].last >= b->n_words)
        return nlp__format_error(r->path, r->line,
                                 "multiword token %s starts inside the "
                                 "previous one", id);
    nlp__gold_mwt_t *t = nlp__sent_builder_add_mwt(b);
    if (!t) return nlp__fail(NLP_NOMEM, "%s:%u: out of memory", r->path, r->line);
    t->first = (uint32_t)first - 1;
    t->last = (uint32_t)last - 1;
    t->form = f[FORM];
    t->space_after = !misc_says_no_space(f[MISC]);
    return NLP_OK;
}

static nlp_status_t read_word(const nlp__text_reader_t *r,
                              nlp__sent_builder_t *b, char **f) {
    int32_t id = nlp__parse_index(f[ID], strlen(f[ID]));
    if (id < 1)
        return nlp__format_error(r->path, r->line, "bad word id \"%s\"", f[ID]);
    if ((size_t)id != b->n_words + 1)
        return nlp__format_error(r->path, r->line,
                                 "word id %d out of order (expected %zu)%s", id,
                                 b->n_words + 1, nlp__id_order_hint(id));
    int32_t head = -1;
    if (strcmp(f[HEAD], "_") != 0 &&
        (head = nlp__parse_index(f[HEAD], strlen(f[HEAD]))) < 0)
        return nlp__format_error(r->path, r->line, "bad head \"%s\"", f[HEAD]);
    nlp__gold_word_t *w = nlp__sent_builder_add_word(b, r->line);
    if (!w) return nlp__fail(NLP_NOMEM, "%s:%u: out of memory", r->path, r->line);
    /* A FORM of "_" is the underscore itself (words are never empty), and
     * so is its LEMMA. */
    w->form = f[FORM];
    w->lemma = strcmp(f[FORM], "_") == 0 ? f[LEMMA] : value_or_empty(f[LEMMA]);
    w->upos = value_or_empty(f[UPOS]);
    w->xpos = value_or_empty(f[XPOS]);
    w->feats = value_or_empty(f[FEATS]);
    w->deprel = value_or_empty(f[DEPREL]);
    w->space_after = !misc_says_no_space(f[MISC]);
    w->misc = value_or_empty(f[MISC]);
    w->head = head;
    return NLP_OK;
}

static nlp_status_t conllu_token_line(const nlp__text_reader_t *r,
                                      nlp__sent_builder_t *b, char *line) {
    char *f[N_COLUMNS];
    size_t n = nlp__split_tabs(line, f, N_COLUMNS);
    if (n != N_COLUMNS)
        return nlp__format_error(r->path, r->line,
                                 "expected %d tab-separated columns, found %zu",
                                 N_COLUMNS, n);
    for (int i = 0; i < N_COLUMNS; i++)
        if (f[i][0] == '\0')
            return nlp__format_error(r->path, r->line, "column %d (%s) is empty",
                                     i + 1, column_names[i]);
    size_t digits = strspn(f[ID], "0123456789");
    if (f[ID][digits] == '.') return read_empty_node(r, b, f[ID], digits);
    if (f[ID][digits] == '-') return read_multiword(r, b, f, digits);
    return read_word(r, b, f);
}

/* Checks heads and multiword tokens, then gives the words inside a
 * multiword token the token's spacing: no space between its parts, and the
 * token's own SpaceAfter after its last part, so that joining the words
 * reproduces the text. */
static nlp_status_t conllu_sentence_done(const nlp__text_reader_t *r,
                                         nlp__sent_builder_t *b) {
    size_t n = b->n_words;
    for (size_t i = 0; i < n; i++) {
        int32_t head = b->words[i].head;
        if (head >= 0 && (size_t)head > n)
            return nlp__format_error(r->path, b->word_lines[i],
                                     "head %d is past the last word (%zu)",
                                     head, n);
        if ((size_t)head == i + 1)
            return nlp__format_error(r->path, b->word_lines[i],
                                     "word %zu is its own head", i + 1);
    }
    if (b->n_mwts && b->mwts[b->n_mwts - 1].last >= n) {
        const nlp__gold_mwt_t *t = &b->mwts[b->n_mwts - 1];
        return nlp__format_error(r->path, r->line,
                                 "sentence ends inside multiword token %u-%u",
                                 t->first + 1, t->last + 1);
    }
    for (size_t m = 0; m < b->n_mwts; m++) {
        const nlp__gold_mwt_t *t = &b->mwts[m];
        for (uint32_t k = t->first; k < t->last; k++) b->words[k].space_after = 0;
        b->words[t->last].space_after &= t->space_after;
    }
    return NLP_OK;
}

static const nlp__sentence_format_t conllu_format = {
    .name = "CoNLL-U",
    .token_line = conllu_token_line,
    .sentence_done = conllu_sentence_done,
};

nlp_status_t nlp__conllu_read(const char *path, const nlp_allocator_t *alloc,
                              nlp__corpus_t **out) {
    return nlp__read_sentences(path, alloc, &conllu_format, out);
}
