/* The IOB2 reader for named-entity data such as UNER: one token per line
 * with tab-separated columns id, form, tag and optional further columns
 * (UNER has "-" and the annotator), sentences separated by blank lines.
 *
 * Tags are "O", "B-TYPE" or "I-TYPE"; an I- tag must continue an entity of
 * the same type, so a malformed file is reported rather than silently
 * turned into different entities.
 */
#include <string.h>

#include "core/alloc.h"
#include "corpus_reader.h"

enum { ID, FORM, TAG, MIN_COLUMNS };

static int is_entity_tag(const char *tag, char prefix) {
    return tag[0] == prefix && tag[1] == '-' && tag[2] != '\0';
}

/* Checks `tag` against the tag of the previous token of the sentence
 * (NULL for the first token). */
static nlp_status_t check_tag(const nlp__text_reader_t *r, const char *tag,
                              const char *prev) {
    if (strcmp(tag, "O") == 0 || is_entity_tag(tag, 'B')) return NLP_OK;
    if (!is_entity_tag(tag, 'I'))
        return nlp__format_error(r->path, r->line,
                                 "unknown tag \"%s\" (expected O, B-TYPE or "
                                 "I-TYPE)", tag);
    int continues = prev && (is_entity_tag(prev, 'B') || is_entity_tag(prev, 'I')) &&
                    strcmp(prev + 2, tag + 2) == 0;
    if (!continues)
        return nlp__format_error(r->path, r->line,
                                 "%s does not continue an entity of type %s "
                                 "(previous tag: %s)", tag, tag + 2,
                                 prev ? prev : "none, sentence start");
    return NLP_OK;
}

static nlp_status_t iob2_token_line(const nlp__text_reader_t *r,
                                    nlp__sent_builder_t *b, char *line) {
    char *f[MIN_COLUMNS];
    size_t n = nlp__split_tabs(line, f, MIN_COLUMNS);
    if (n < MIN_COLUMNS)
        return nlp__format_error(r->path, r->line,
                                 "expected at least %d tab-separated columns "
                                 "(id, form, tag), found %zu", MIN_COLUMNS, n);
    int32_t id = nlp__parse_index(f[ID], strlen(f[ID]));
    if (id < 1)
        return nlp__format_error(r->path, r->line, "bad token id \"%s\"", f[ID]);
    if ((size_t)id != b->n_words + 1)
        return nlp__format_error(r->path, r->line,
                                 "token id %d out of order (expected %zu)%s", id,
                                 b->n_words + 1, nlp__id_order_hint(id));
    if (f[FORM][0] == '\0')
        return nlp__format_error(r->path, r->line, "empty form");
    const char *prev = b->n_words ? b->words[b->n_words - 1].ner : NULL;
    nlp_status_t st = check_tag(r, f[TAG], prev);
    if (st) return st;
    nlp__gold_word_t *w = nlp__sent_builder_add_word(b, r->line);
    if (!w) return nlp__fail(NLP_NOMEM, "%s:%u: out of memory", r->path, r->line);
    w->form = f[FORM];
    w->ner = f[TAG];
    return NLP_OK;
}

static int is_space(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
           ch == '\v';
}

/* IOB2 has no SpaceAfter column, but the "# text" comment shows where the
 * spaces are: walk the text, matching one form after another. Words after
 * the first mismatch keep the default (a space after). */
static nlp_status_t iob2_sentence_done(const nlp__text_reader_t *r,
                                       nlp__sent_builder_t *b) {
    (void)r;
    const char *t = b->head.text;
    for (size_t i = 0; i < b->n_words && *t; i++) {
        while (is_space(*t)) t++;
        size_t len = strlen(b->words[i].form);
        if (strncmp(t, b->words[i].form, len) != 0) break;
        t += len;
        b->words[i].space_after = *t == '\0' || is_space(*t);
    }
    return NLP_OK;
}

static const nlp__sentence_format_t iob2_format = {
    .name = "IOB2",
    .token_line = iob2_token_line,
    .sentence_done = iob2_sentence_done,
};

nlp_status_t nlp__iob2_read(const char *path, const nlp_allocator_t *alloc,
                            nlp__corpus_t **out) {
    return nlp__read_sentences(path, alloc, &iob2_format, out);
}
