/* Special cases: expanding the language's rows (stems x endings, with case
 * and apostrophe variants) into splits with permanent lexemes. */
#include <string.h>

#include <xxhash.h>

#include "core/alloc.h"
#include "tokenizer_impl.h"

/* A special case as text: its tokens separated by single spaces. */
#define MAX_SPECIAL 256

static const char CURLY_APOSTROPHE[] = "\xE2\x80\x99"; /* U+2019 */

static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int ascii_upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

/* Whether the orth (tokens joined) lower-cased is in the exclude list. */
static int excluded(const char *orth, size_t len, const char *const *excl) {
    for (; excl && *excl; excl++) {
        if (strlen(*excl) != len) continue;
        size_t i = 0;
        while (i < len && ascii_lower((unsigned char)orth[i]) == (*excl)[i]) i++;
        if (i == len) return 1;
    }
    return 0;
}

/* Adds the special case written as space-separated tokens in `spec`
 * unless it is excluded or its text is already special. */
static nlp_status_t add_special(nlp__tokenizer_t *tok, const char *spec,
                                size_t spec_len, const char *const *excl) {
    char orth[MAX_SPECIAL];
    uint32_t tok_len[MAX_SPECIAL / 2 + 1];
    const nlp_lexeme_t *lex[MAX_SPECIAL / 2 + 1];
    size_t len = 0, n = 0, token_start = 0;
    for (size_t i = 0; i <= spec_len; i++) {
        if (i < spec_len && spec[i] != ' ') {
            orth[len++] = spec[i];
            continue;
        }
        if (len == token_start) return NLP_OK; /* a variant emptied a token */
        tok_len[n++] = (uint32_t)(len - token_start);
        token_start = len;
    }
    if (excluded(orth, len, excl)) return NLP_OK;
    uint64_t key = XXH3_64bits(orth, len);
    if (nlp__split_table_find(&tok->specials, key, orth, len)) return NLP_OK;
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        nlp_status_t st =
            nlp_vocab_get_lexeme(tok->vocab, NULL, orth + at, tok_len[k], &lex[k]);
        if (st) return st;
        at += tok_len[k];
    }
    nlp__split_t *split = nlp__split_make(tok->cache, orth, len, lex, tok_len, n);
    if (!split) return NLP_NOMEM;
    nlp_status_t st;
    if ((st = nlp__split_table_put(&tok->specials, tok->alloc, key, split)) ||
        (st = nlp__split_table_put(&tok->cache->table, tok->alloc, key, split)))
        return st;
    if (len > tok->max_special_len) tok->max_special_len = len;
    return NLP_OK;
}

/* Writes `in` with every apostrophe replaced by `with` (or dropped when
 * `with` is ""); returns the new length, or 0 when it does not fit. */
static size_t replace_apostrophes(const char *in, size_t len, const char *with,
                                  char *out) {
    size_t w = strlen(with), n = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] != '\'') {
            if (n + 1 > MAX_SPECIAL) return 0;
            out[n++] = in[i];
            continue;
        }
        if (n + w > MAX_SPECIAL) return 0;
        memcpy(out + n, with, w);
        n += w;
    }
    return n;
}

/* Adds `spec` in each case and apostrophe variant its flags ask for, in a
 * fixed order (plain, curly, bare for each case), the first one winning. */
static nlp_status_t add_variants(nlp__tokenizer_t *tok, const char *spec,
                                 size_t len, unsigned variants,
                                 const char *const *excl) {
    char cased[MAX_SPECIAL], alt[MAX_SPECIAL];
    int n_cases = (variants & NLP__SPECIAL_CASED) ? 3 : 1;
    int has_apostrophe = memchr(spec, '\'', len) != NULL;
    for (int c = 0; c < n_cases; c++) {
        for (size_t i = 0; i < len; i++) {
            int ch = (unsigned char)spec[i];
            cased[i] = (char)(c == 2 || (c == 1 && i == 0) ? ascii_upper(ch) : ch);
        }
        nlp_status_t st = add_special(tok, cased, len, excl);
        if (st) return st;
        if (!has_apostrophe) continue;
        size_t n;
        if ((variants & NLP__SPECIAL_CURLY) &&
            (n = replace_apostrophes(cased, len, CURLY_APOSTROPHE, alt)) &&
            (st = add_special(tok, alt, n, excl)))
            return st;
        if ((variants & NLP__SPECIAL_BARE) &&
            (n = replace_apostrophes(cased, len, "", alt)) &&
            (st = add_special(tok, alt, n, excl)))
            return st;
    }
    return NLP_OK;
}

/* Length of the item of `list` starting at *pos, items separated by `sep`;
 * advances *pos past the separator. */
static size_t next_item(const char *list, size_t *pos, char sep) {
    size_t start = *pos, end = start;
    while (list[end] && list[end] != sep) end++;
    *pos = list[end] ? end + 1 : end;
    return end - start;
}

nlp_status_t nlp__specials_build(nlp__tokenizer_t *tok,
                                 const nlp__tokenizer_rules_t *rules) {
    char spec[MAX_SPECIAL];
    for (const nlp__special_rule_t *r = rules->specials; r && r->stems; r++) {
        size_t sp = 0;
        while (r->stems[sp]) {
            size_t stem_at = sp, stem_len = next_item(r->stems, &sp, ' ');
            if (stem_len == 0) continue;
            size_t ep = 0;
            do {
                size_t end_at = ep, end_len = 0;
                if (r->endings) end_len = next_item(r->endings, &ep, '|');
                size_t n = stem_len + (end_len ? end_len + 1 : 0);
                if (n > MAX_SPECIAL)
                    return nlp__fail(NLP_INVALID_ARG, "special case \"%.*s\" too long",
                                     (int)stem_len, r->stems + stem_at);
                memcpy(spec, r->stems + stem_at, stem_len);
                if (end_len) {
                    spec[stem_len] = ' ';
                    memcpy(spec + stem_len + 1, r->endings + end_at, end_len);
                }
                nlp_status_t st =
                    add_variants(tok, spec, n, r->variants, rules->special_excludes);
                if (st) return st;
            } while (r->endings && r->endings[ep]);
        }
    }
    return NLP_OK;
}
