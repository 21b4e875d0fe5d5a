/* Locating gold words in their sentence's raw text. */
#include <string.h>

#include "core/alloc.h"
#include "evaluate.h"

static int is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Finds `form` at or after *pos, skipping whitespace; a form that is not at
 * the next non-space position is searched for further on (some treebank
 * forms differ slightly from the text, e.g. normalised quotes). */
static int locate(const char *text, size_t len, size_t *pos, const char *form,
                  uint32_t *start, uint32_t *end) {
    size_t p = *pos, n = strlen(form);
    while (p < len && is_ws(text[p])) p++;
    if (n && p + n <= len && memcmp(text + p, form, n) == 0) {
        *start = (uint32_t)p;
        *end = (uint32_t)(p + n);
        *pos = p + n;
        return 1;
    }
    const char *hit = n ? memmem(text + p, len - p, form, n) : NULL;
    if (!hit) return 0;
    *start = (uint32_t)(hit - text);
    *end = (uint32_t)(hit - text + n);
    *pos = *end;
    return 1;
}

nlp_status_t nlp__gold_word_spans(const nlp__gold_sent_t *s, uint32_t *starts,
                                  uint32_t *ends) {
    const char *text = s->text;
    size_t len = strlen(text), pos = 0;
    uint32_t m = 0; /* next multiword token */
    for (uint32_t w = 0; w < s->n_words;) {
        if (m < s->n_mwts && s->mwts[m].first == w) {
            const nlp__gold_mwt_t *t = &s->mwts[m++];
            uint32_t a, b;
            if (!locate(text, len, &pos, t->form, &a, &b))
                return nlp__fail(NLP_FORMAT, "line %u: \"%s\" not in the text",
                                 s->line, t->form);
            /* Words take consecutive pieces when they spell the surface. */
            size_t total = 0;
            int spells = 1;
            for (uint32_t k = t->first; k <= t->last && k < s->n_words; k++) {
                size_t n = strlen(s->words[k].form);
                if (total + n > b - a || memcmp(text + a + total, s->words[k].form, n))
                    spells = 0;
                total += n;
            }
            spells = spells && total == b - a;
            uint32_t at = a;
            for (uint32_t k = t->first; k <= t->last && k < s->n_words; k++) {
                uint32_t n = (uint32_t)strlen(s->words[k].form);
                starts[k] = spells ? at : a;
                ends[k] = spells ? at + n : b;
                at += n;
            }
            w = t->last + 1;
            continue;
        }
        if (!locate(text, len, &pos, s->words[w].form, &starts[w], &ends[w]))
            return nlp__fail(NLP_FORMAT, "line %u: \"%s\" not in the text",
                             s->line, s->words[w].form);
        w++;
    }
    return NLP_OK;
}
