/* The rule-based sentencizer, for pipelines without a parser.
 *
 * A sentence ends after a token made only of terminal punctuation (". ! ?",
 * "?!", "...", and their counterparts in other scripts), together with the
 * closing material that follows it: more terminators, closing brackets and
 * quotes, a straight quote written against the previous token (`."`), and
 * whitespace tokens. The next token starts a new sentence, so
 * `He left." Then` splits before "Then" while `He left. "Then` splits
 * before the opening quote.
 */
#include <stdbool.h>
#include <string.h>

#include "core/alloc.h"
#include "core/vocab.h"
#include "doc/doc.h"
#include "models/train.h"

/* Code points that end a sentence: ASCII . ! ? and the full stops,
 * question and exclamation marks of other scripts and of CJK / full-width
 * forms. Sorted, for binary search. */
static const int32_t terminators[] = {
    0x0021, 0x002E, 0x003F, 0x0589, 0x061F, 0x06D4, 0x0700, 0x0701,
    0x0702, 0x07F9, 0x0964, 0x0965, 0x104A, 0x104B, 0x1362, 0x1367,
    0x1368, 0x166E, 0x1735, 0x1736, 0x1803, 0x1809, 0x1944, 0x1945,
    0x1AA8, 0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A, 0x1B5B, 0x1B5E, 0x1B5F,
    0x1C3B, 0x1C3C, 0x1C7E, 0x1C7F, 0x2026, 0x203C, 0x203D, 0x2047,
    0x2048, 0x2049, 0x2E2E, 0x2E3C, 0x3002, 0xA4FF, 0xA60E, 0xA60F,
    0xA6F3, 0xA6F7, 0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F, 0xA9C8,
    0xA9C9, 0xAA5D, 0xAA5E, 0xAA5F, 0xAAF0, 0xAAF1, 0xABEB, 0xFE52,
    0xFE56, 0xFE57, 0xFF01, 0xFF0E, 0xFF1F, 0xFF61,
};

static bool is_terminator_cp(int32_t cp) {
    size_t lo = 0, hi = sizeof terminators / sizeof terminators[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (terminators[mid] == cp)
            return true;
        if (terminators[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Decodes one UTF-8 code point at s[*i] (advancing *i), or -1 when the
 * bytes are not valid UTF-8 (advancing by one byte). */
static int32_t next_cp(const unsigned char *s, size_t len, size_t *i) {
    unsigned char c = s[(*i)++];
    if (c < 0x80)
        return c;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
    if (extra < 0 || *i + (size_t)extra > len)
        return -1;
    int32_t cp = c & (0x3F >> extra);
    for (int k = 0; k < extra; k++) {
        unsigned char d = s[(*i)++];
        if ((d & 0xC0) != 0x80)
            return -1;
        cp = cp << 6 | (d & 0x3F);
    }
    return cp;
}

/* True when the token's text is non-empty and made only of terminators. */
static bool is_terminator(const nlp_doc_t *doc, const nlp_token_t *t) {
    const unsigned char *s = (const unsigned char *)doc->text + t->idx;
    size_t i = 0;
    if (t->len == 0)
        return false;
    while (i < t->len)
        if (!is_terminator_cp(next_cp(s, t->len, &i)))
            return false;
    return true;
}

/* True when token i, following a terminator, still belongs to the sentence
 * the terminator ends. */
static bool is_closer(const nlp_doc_t *doc, uint32_t i) {
    const nlp_token_t *t = &doc->tokens[i];
    uint32_t f = t->lex->flags;
    if (f & (NLP_FLAG_IS_SPACE | NLP_FLAG_IS_RIGHT_PUNCT))
        return true;
    /* A straight quote closes when nothing separates it from the text
     * before it; after a space it opens the next sentence. */
    if ((f & NLP_FLAG_IS_QUOTE) && !(f & NLP_FLAG_IS_LEFT_PUNCT))
        return doc->tokens[i - 1].spacy == 0;
    return is_terminator(doc, t);
}

/* Sets sent_start on every token of the Doc. */
static nlp_status_t sentencizer_process(const nlp__component_t *self,
                                        nlp_doc_t *doc,
                                        nlp__arena_t *scratch) {
    bool after_end = false; /* a terminator has been seen */
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        nlp_token_t *t = &doc->tokens[i];
        if (i == 0) {
            t->sent_start = 1;
        } else if (after_end && is_closer(doc, i)) {
            t->sent_start = 0;
        } else {
            t->sent_start = after_end ? 1 : 0;
            after_end = false;
        }
        if (is_terminator(doc, t))
            after_end = true;
    }
    doc->layers |= NLP_HAS_SENTS;
    return NLP_OK;
}

static nlp_status_t sentencizer_labels(const nlp__component_t *self,
                                       const char **labels, size_t cap,
                                       size_t *n) {
    *n = 0;
    return NLP_OK;
}

/* The sentencizer has no parameters; its one section records the rule
 * version so a future change of rules can be told apart. */
#define SENTENCIZER_CONFIG "SPCSENT1"

/* The name of the config section for `prefix`, in buf. */
static bool config_name(char buf[NLP__MODEL_SECTION_NAME_MAX + 1],
                        const char *prefix) {
    size_t a = strlen(prefix);
    if (a + strlen("config") > NLP__MODEL_SECTION_NAME_MAX)
        return false;
    memcpy(buf, prefix, a);
    memcpy(buf + a, "config", sizeof "config");
    return true;
}

static nlp_status_t sentencizer_save(const nlp__component_t *self,
                                     nlp__model_writer_t *writer,
                                     const char *prefix) {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    if (!config_name(name, prefix))
        return nlp__fail(NLP_INVALID_ARG, "sentencizer: prefix %s too long",
                         prefix);
    return nlp__model_writer_add(writer, name, SENTENCIZER_CONFIG,
                                 strlen(SENTENCIZER_CONFIG));
}

typedef struct sentencizer {
    nlp__component_t base;
    const nlp_allocator_t *alloc;
} sentencizer_t;

static void sentencizer_free(nlp__component_t *self) {
    sentencizer_t *s = (sentencizer_t *)self;
    if (s)
        nlp__free(s->alloc, s);
}

static const nlp__component_ops_t sentencizer_ops = {
    .name = "sentencizer",
    .process = sentencizer_process,
    .labels = sentencizer_labels,
    .save = sentencizer_save,
    .free = sentencizer_free,
};

nlp_status_t nlp__sentencizer_create(nlp_vocab_t *vocab,
                                     nlp__component_t **out) {
    *out = NULL;
    const nlp_allocator_t *alloc = vocab->alloc;
    sentencizer_t *s = nlp__calloc(alloc, 1, sizeof *s);
    if (!s)
        return nlp__fail(NLP_NOMEM, "sentencizer");
    s->base.ops = &sentencizer_ops;
    s->alloc = alloc;
    *out = &s->base;
    return NLP_OK;
}

nlp_status_t nlp__sentencizer_load(nlp_vocab_t *vocab,
                                   const nlp__model_reader_t *r,
                                   const char *prefix,
                                   nlp__component_t **out) {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    *out = NULL;
    if (!config_name(name, prefix))
        return nlp__fail(NLP_MODEL_CORRUPT, "sentencizer: prefix %s too long",
                         prefix);
    const void *data;
    size_t len;
    if (nlp__model_reader_section(r, name, &data, &len) == NLP_OK &&
        (len != strlen(SENTENCIZER_CONFIG) ||
         memcmp(data, SENTENCIZER_CONFIG, len) != 0))
        return nlp__fail(NLP_MODEL_VERSION, "sentencizer: unknown rules %.*s",
                         (int)(len < 16 ? len : 16), (const char *)data);
    return nlp__sentencizer_create(vocab, out);
}
