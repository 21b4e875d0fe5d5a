/* Context splits: chunks the rules keep whole unless the next chunk shows
 * they are two words (see nlp__context_split_t in lang/lang.h). */
#include <string.h>

#include "core/alloc.h"
#include "tokenizer_impl.h"

static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

nlp_status_t nlp__context_build(nlp__tokenizer_t *tok,
                                const nlp__tokenizer_rules_t *rules) {
    tok->split_final_abbreviation = rules->split_final_abbreviation;
    const nlp__context_split_t *defs = rules->context_splits;
    size_t n = 0;
    while (defs && defs[n].form) n++;
    if (!n) return NLP_OK;
    tok->context = nlp__calloc(tok->alloc, n, sizeof *tok->context);
    if (!tok->context) return NLP_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const nlp__context_split_t *d = &defs[i];
        size_t len = strlen(d->form);
        if (len >= 64 || d->at == 0 || d->at >= len)
            return nlp__fail(NLP_INVALID_ARG,
                             "context split \"%s\": bad length or offset %u",
                             d->form, d->at);
        const char *patterns[] = {d->next, NULL};
        nlp_status_t st = nlp__pattern_set_compile(
            tok->alloc, patterns, NLP__PATTERN_FORWARD, &tok->context[i].next);
        if (st) return st;
        tok->context[i].def = d;
        tok->context[i].len = len;
        tok->n_context = i + 1;
        tok->context_lens |= 1ull << len;
    }
    return NLP_OK;
}

void nlp__context_free(nlp__tokenizer_t *tok) {
    for (size_t i = 0; i < tok->n_context; i++)
        nlp__pattern_set_free(tok->context[i].next);
    nlp__free(tok->alloc, tok->context);
    tok->context = NULL;
    tok->n_context = 0;
}

static int same_ignoring_case(const char *a, const char *form, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)form[i]))
            return 0;
    return 1;
}

size_t nlp__context_split_at(const nlp__tokenizer_t *tok, const char *s,
                             size_t start, size_t end, uint64_t key,
                             size_t next, size_t next_end) {
    size_t len = end - start;
    if (next == next_end && tok->split_final_abbreviation && len > 1 &&
        s[end - 1] == '.') {
        const nlp__split_t *sp =
            nlp__split_table_find(&tok->specials, key, s + start, len);
        if (sp && sp->n == 1) return len - 1;
    }
    if (len >= 64 || !(tok->context_lens >> len & 1)) return 0;
    for (size_t i = 0; i < tok->n_context; i++) {
        const nlp__context_rule_t *rule = &tok->context[i];
        if (rule->len != len || !same_ignoring_case(s + start, rule->def->form, len))
            continue;
        if (next == next_end ? rule->def->at_end
                             : nlp__pattern_longest_at(rule->next, s, next,
                                                       next_end, next) > 0)
            return rule->def->at;
    }
    return 0;
}
