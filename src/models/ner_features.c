/* Feature templates of the entity recogniser. */
#include "ner_features.h"

#include <math.h>
#include <string.h>

#include "core/vocab.h"
#include "core/word_stats.h"
#include "doc/doc.h"
#include "models/features.h"

/* Capitalisation classes of a token. */
enum {
    KIND_OTHER,
    KIND_LOWER,
    KIND_TITLE,
    KIND_UPPER,
    KIND_NUMBER,
    KIND_MIXED,    /* letters in another pattern: "iPhone", "McCain" */
    KIND_URL,      /* URLs and e-mail addresses */
    KIND_PUNCT,
    KIND_ALNUM,    /* letters and digits: "A4", "3M" */
    KIND_NONE,     /* padding beyond the Doc */
};

/* Capitalisation styles of a sentence (ignoring its first word). */
enum {
    CAPS_SHORT,    /* fewer than three words with letters */
    CAPS_PLAIN,    /* under 30% capitalised */
    CAPS_SOME,     /* under 60% */
    CAPS_HEADLINE, /* mostly capitalised: titles, signatures, headers */
    CAPS_SHOUTING, /* mostly all upper case */
};

/* Static templates. Numbers are part of the model format: append only. */
enum {
    T_BIAS = 1,
    T_NORM,
    T_ORTH,
    T_SHAPE,
    T_PREFIX3,
    T_SUFFIX3,
    T_SUFFIX4,
    T_NORM_M1,
    T_NORM_M2,
    T_NORM_P1,
    T_NORM_P2,
    T_SHAPE_M1,
    T_SHAPE_P1,
    T_SSHAPE_M2,
    T_SSHAPE_P2,
    T_SSHAPE_WINDOW,
    T_NORM_M1_NORM,
    T_NORM_NORM_P1,
    T_SUFFIX3_M1,
    T_SUFFIX3_P1,
    T_KIND,
    T_KIND_WINDOW,
    T_SENT_FIRST_KIND,
    T_SENT_LAST_KIND,
    T_SENT_CAPS_KIND,
    T_WORD_CODE,
    T_WORD_LOWER_KIND,
    T_WORD_M1,
    T_WORD_P1,
    T_PHRASE,
    T_PHRASE_KIND,
    T_PHRASE_M1,
    T_PHRASE_P1,
    /* Retired: tag features. On the tagger's own training text its tags
     * are near perfect, so the recogniser trusted them too much; dev
     * ents_f rose without them (more than with jackknifed tags). */
    T_TAG,
    T_TAG_M1,
    T_TAG_P1,
    T_TAG_M1_TAG,
    T_TAG_TAG_P1,
    T_TAG_KIND,
    T_NORM_M1_SHAPE,
    T_SHAPE_NORM_P1,
    T_NORM_M1_NORM_P1,
    T_NORM_P1_P2,
    T_NORM_M2_M1,
    T_CONTEXT_BAG,       /* norms 3 and 4 words away, either side, unordered */
    T_KIND_WINDOW5,
    T_RUN_LAST_NORM,     /* the capitalised run around the word: last norm */
    T_RUN_LAST_WORD,     /* ... lexicon evidence of its last word */
    T_RUN_BEFORE_LENGTH, /* ... the word before it and its length */
    T_RUN_LAST_LENGTH,   /* ... its last norm and its length */
    T_CLUSTER4,          /* Brown cluster: prefixes and the full path */
    T_CLUSTER8,
    T_CLUSTER12,
    T_CLUSTER,
    T_CLUSTER_M1,
    T_CLUSTER_P1,
    T_CLUSTER_KIND,
    T_FREQ_KIND,         /* corpus frequency with the capitalisation class */
    T_CAPS_EVIDENCE,     /* written form against lower case, see caps_evidence */
    T_CAPS_EVIDENCE_M1,
    T_CAPS_EVIDENCE_P1,
    T_RUN_LAST_CAPS_EVIDENCE,
    T_STATIC_END_
};

/* Gazetteer templates: the ids below 64 ran out, so they continue after
 * the state templates. */
enum {
    T_GAZ_PHRASE = 96, /* the name matched around the word, with its kind */
    T_GAZ_PHRASE_M1,
    T_GAZ_PHRASE_P1,
    T_GAZ_WORD,        /* the word alone, with its kind */
    T_GAZ_WORD_M1_P1,
    T_GAZ_PHRASE_RUN,  /* the match with the capitalised run's length */
    T_GAZ_END_
};

/* The context bag writes four features under one template; the six tag
 * templates write none. */
_Static_assert(T_STATIC_END_ <= 64, "static templates stay below the state ones");
_Static_assert(T_STATIC_END_ - 1 + 3 - 6 + (T_GAZ_END_ - T_GAZ_PHRASE) ==
                   NLP__NER_N_STATIC,
               "NLP__NER_N_STATIC counts the static features");

/* State templates, numbered after the static ones. */
enum {
    S_PREV = 64,
    S_PREV2,
    S_PREV_NORM,
    S_PREV_SHAPE,
    S_PREV_KINDS,
    S_OPEN_LENGTH,
    S_OPEN_NORM,
    S_PREV_PHRASE,
    S_PREV_WORD,
    S_PREV_NORM_P1,
    S_PREV_TAG, /* retired */
    S_OPEN_FIRST_KIND,
    S_PREV_GAZ,
    S_STATE_END_
};

_Static_assert((int)S_STATE_END_ <= (int)T_GAZ_PHRASE, "state templates stay below the gazetteer ones");
_Static_assert(S_STATE_END_ - S_PREV <= NLP__NER_MAX_STATE,
               "NLP__NER_MAX_STATE bounds the state templates");

static uint8_t kind_of(const nlp_lexeme_t *lex, uint64_t short_shape) {
    uint32_t f = lex->flags;
    if (f & (NLP_FLAG_LIKE_URL | NLP_FLAG_LIKE_EMAIL)) return KIND_URL;
    if (f & NLP_FLAG_IS_PUNCT) return KIND_PUNCT;
    if (f & (NLP_FLAG_IS_DIGIT | NLP_FLAG_LIKE_NUM)) return KIND_NUMBER;
    if ((f & NLP_FLAG_IS_UPPER) && lex->length > 1) return KIND_UPPER;
    if (f & NLP_FLAG_IS_TITLE) return KIND_TITLE;
    if (f & NLP_FLAG_IS_LOWER) return KIND_LOWER;
    if (f & NLP_FLAG_IS_ALPHA) return KIND_MIXED;
    /* Letters next to digits show in the collapsed shape. */
    int letters = 0, digits = 0;
    for (unsigned k = 0; k < 8; k++) {
        char c = (char)(short_shape >> (8 * k));
        letters |= c == 'x' || c == 'X';
        digits |= c == 'd';
    }
    return letters && digits ? KIND_ALNUM : KIND_OTHER;
}

/* The word's shape with runs collapsed ("McCain" -> "XxXx", "2005" -> "d"),
 * at most 8 characters packed into an integer. Bytes of non-ASCII code
 * points count as one letter 'x'. */
static uint64_t short_shape_of(const char *s, size_t len) {
    uint64_t packed = 0;
    unsigned n = 0;
    char last = 0;
    for (size_t i = 0; i < len && n < 8; i++) {
        unsigned char c = (unsigned char)s[i];
        char k;
        if (c >= 'A' && c <= 'Z') k = 'X';
        else if (c >= 'a' && c <= 'z') k = 'x';
        else if (c >= '0' && c <= '9') k = 'd';
        else if (c >= 0x80) {
            if ((c & 0xc0) == 0x80) continue; /* continuation byte */
            k = 'x';
        } else k = (char)c;
        if (k == last) continue;
        packed |= (uint64_t)(unsigned char)k << (8 * n++);
        last = k;
    }
    return packed;
}

static uint8_t caps_style(const nlp__ner_token_t *t, uint32_t start, uint32_t end) {
    uint32_t alpha = 0, caps = 0, upper = 0;
    for (uint32_t i = start + 1; i < end; i++) {
        uint8_t k = t[i].kind;
        if (k != KIND_LOWER && k != KIND_TITLE && k != KIND_UPPER && k != KIND_MIXED)
            continue;
        alpha++;
        caps += k == KIND_TITLE || k == KIND_UPPER;
        upper += k == KIND_UPPER;
    }
    if (alpha < 3) return CAPS_SHORT;
    if (upper * 10 >= alpha * 8) return CAPS_SHOUTING;
    if (caps * 10 >= alpha * 6) return CAPS_HEADLINE;
    if (caps * 10 >= alpha * 3) return CAPS_SOME;
    return CAPS_PLAIN;
}

/* Values of caps_evidence beyond the measured range. */
enum {
    CAPS_EVIDENCE_NO_CASE = 60,    /* the word is its own lower case */
    CAPS_EVIDENCE_FORM_ONLY = 50,  /* only the written form is known */
    CAPS_EVIDENCE_LOWER_ONLY = 51, /* only the lower case is known */
    CAPS_EVIDENCE_NEITHER = 52,
};
#define CAPS_EVIDENCE_LIMIT 12

/* How much more probable a word is as written than in lower case, in half
 * log units, capped: "Houston" is far more often capitalised than not, "May"
 * far less, which tells names from sentence-initial common words even for
 * words the training data never had. Stored shifted to stay unsigned. */
static uint32_t caps_evidence(const nlp_lexeme_t *lex, float lower_prob) {
    if (lex->orth == lex->lower) return CAPS_EVIDENCE_NO_CASE;
    if (lex->prob == 0.0f || lower_prob == 0.0f)
        return lex->prob != 0.0f   ? CAPS_EVIDENCE_FORM_ONLY
               : lower_prob != 0.0f ? CAPS_EVIDENCE_LOWER_ONLY
                                    : CAPS_EVIDENCE_NEITHER;
    long r = lrintf(2.0f * (lex->prob - lower_prob));
    if (r < -CAPS_EVIDENCE_LIMIT) r = -CAPS_EVIDENCE_LIMIT;
    if (r > CAPS_EVIDENCE_LIMIT) r = CAPS_EVIDENCE_LIMIT;
    return (uint32_t)(r + 100);
}

/* Fills the word attributes of one token. */
static void fill_word(nlp__ner_token_t *a, const nlp_doc_t *doc, uint32_t i,
                      nlp__ner_lexicons_t lexicons) {
    const nlp_token_t *tok = &doc->tokens[i];
    const nlp_lexeme_t *lex = tok->lex;
    const char *s = doc->text + tok->idx;
    size_t len = tok->len;
    *a = (nlp__ner_token_t){0}; /* sentence attributes start empty */
    a->orth = lex->orth;
    a->norm = lex->norm;
    a->lower = lex->lower;
    a->shape = lex->shape;
    a->prefix = lex->prefix;
    a->suffix = lex->suffix;
    a->short_shape = short_shape_of(s, len);
    size_t suf4 = nlp__utf8_suffix_start(s, len, 4);
    a->suffix4 = nlp__feat_bytes(T_SUFFIX4, s + suf4, len - suf4);
    a->prefix3 = nlp__feat_bytes(T_PREFIX3, s, nlp__utf8_prefix_bytes(s, len, 3));
    a->kind = kind_of(lex, a->short_shape);
    a->word_code = lexicons.corpus ? nlp__ner_lexicon_word(lexicons.corpus, lex->lower) : 0;
    a->has_gazetteer = lexicons.gazetteer != NULL;
    a->has_word_stats = doc->vocab->word_stats.n_slots != 0;
    a->cluster = lex->cluster;
    /* Whole log units; 99 for words without a probability. */
    a->freq = lex->prob != 0.0f ? (uint32_t)(-lex->prob) : 99;
    float lower_prob = lex->orth == lex->lower ? lex->prob
        : nlp__word_stats_get(&doc->vocab->word_stats, lex->lower).prob;
    a->caps_evidence = caps_evidence(lex, lower_prob);
}

static bool is_capitalised(uint8_t kind) {
    return kind == KIND_TITLE || kind == KIND_UPPER || kind == KIND_MIXED ||
           kind == KIND_ALNUM;
}

/* Fills the sentence attributes of t[0..n), one sentence; `lower` and
 * `codes` are scratch of n and 2 * n entries. */
static void fill_sentence(nlp__ner_token_t *t, uint32_t n,
                          nlp__ner_lexicons_t lexicons, uint64_t *lower,
                          uint32_t *codes) {
    uint8_t caps = caps_style(t, 0, n);
    /* Runs of capitalised words (titles, upper case, mixed, alphanumeric). */
    for (uint32_t i = 0; i < n;) {
        uint32_t j = i;
        while (j < n && is_capitalised(t[j].kind)) j++;
        for (uint32_t q = i; q < j; q++) {
            t[q].run_last_norm = t[j - 1].norm;
            t[q].run_last_code = t[j - 1].word_code;
            t[q].run_last_caps_evidence = t[j - 1].caps_evidence;
            t[q].run_before_norm = i > 0 ? t[i - 1].norm : 1;
            t[q].run_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    for (uint32_t i = 0; i < n; i++) t[i].sent_caps = caps;
    if (n) {
        t[0].sent_first = 1;
        t[n - 1].sent_last = 1;
    }
    for (uint32_t i = 0; i < n; i++) lower[i] = t[i].lower;
    if (lexicons.corpus) {
        nlp__ner_lexicon_match(lexicons.corpus, lower, n, codes, NULL);
        for (uint32_t i = 0; i < n; i++) t[i].phrase_code = codes[i];
    }
    if (lexicons.gazetteer) {
        uint32_t *one_word = codes + n;
        nlp__ner_lexicon_match(lexicons.gazetteer, lower, n, codes, one_word);
        for (uint32_t i = 0; i < n; i++) {
            t[i].gaz_phrase = codes[i];
            t[i].gaz_word = one_word[i];
        }
    }
}

void nlp__ner_sentence_pad(nlp__ner_token_t *t) {
    *t = (nlp__ner_token_t){.kind = KIND_NONE};
}

void nlp__ner_sentence_fill(const nlp_doc_t *doc, uint32_t start, uint32_t end,
                            nlp__ner_lexicons_t lexicons, nlp__ner_token_t *t,
                            uint64_t *lower, uint32_t *codes) {
    for (uint32_t i = start; i < end; i++) fill_word(&t[i - start], doc, i, lexicons);
    fill_sentence(t, end - start, lexicons, lower, codes);
    /* A longer sentence may have been here before. */
    for (uint32_t k = 0; k < NLP__NER_TOKEN_PAD; k++)
        nlp__ner_sentence_pad(&t[end - start + k]);
}

nlp_status_t nlp__ner_tokens_fill(const nlp_doc_t *doc,
                                  nlp__ner_lexicons_t lexicons,
                                  nlp__arena_t *scratch,
                                  nlp__ner_token_t **out) {
    *out = NULL;
    uint32_t n = doc->n_tokens, n_sents = 0;
    for (uint32_t start = 0; start < n; n_sents++) start = nlp__doc_sent_end(doc, start);
    size_t total = (size_t)n + (size_t)(n_sents + 1) * NLP__NER_TOKEN_PAD;
    nlp__ner_token_t *all = NLP__ARENA_NEW(scratch, nlp__ner_token_t, total);
    uint64_t *lower = NLP__ARENA_NEW(scratch, uint64_t, n ? n : 1);
    uint32_t *codes = NLP__ARENA_NEW(scratch, uint32_t, n ? 2 * (size_t)n : 1);
    if (!all || !lower || !codes) return NLP_NOMEM;
    for (size_t k = 0; k < NLP__NER_TOKEN_PAD; k++) nlp__ner_sentence_pad(&all[k]);
    nlp__ner_token_t *t = all + NLP__NER_TOKEN_PAD;
    for (uint32_t start = 0; start < n;) {
        uint32_t end = nlp__doc_sent_end(doc, start);
        nlp__ner_sentence_fill(doc, start, end, lexicons, t, lower, codes);
        t += end - start + NLP__NER_TOKEN_PAD;
        start = end;
    }
    *out = all + NLP__NER_TOKEN_PAD;
    return NLP_OK;
}

/* The parts of lexicon codes the features use. */
static uint64_t word_evidence(uint32_t code) {
    return NLP__NER_LEX_LABEL(code) | NLP__NER_LEX_SHARE(code) << 8;
}

static uint64_t phrase_evidence(uint32_t code) {
    return NLP__NER_LEX_LABEL(code) | (uint64_t)NLP__NER_LEX_POS(code) << 8;
}

/* A feature that exists only when its value does (0: absent). */
static uint64_t feat_if(int present, uint64_t id) { return present ? id : 0; }

void nlp__ner_static_features(const nlp__ner_token_t *t, uint32_t i,
                              bool hide_word, uint64_t *f) {
    /* Pointer steps, not t[i - 1]: i is unsigned and may be 0. */
    const nlp__ner_token_t *w = t + i, *m1 = w - 1, *m2 = w - 2;
    const nlp__ner_token_t *p1 = w + 1, *p2 = w + 2;
    uint64_t kinds = (uint64_t)m1->kind << 16 | (uint64_t)w->kind << 8 | p1->kind;
    int known = !(hide_word && is_capitalised(w->kind));
    size_t k = 0;
    f[k++] = nlp__feat1(T_BIAS, 0);
    f[k++] = feat_if(known, nlp__feat1(T_NORM, w->norm));
    f[k++] = feat_if(known, nlp__feat1(T_ORTH, w->orth));
    f[k++] = nlp__feat1(T_SHAPE, w->shape);
    f[k++] = feat_if(known, w->prefix3);
    f[k++] = feat_if(known, nlp__feat1(T_SUFFIX3, w->suffix));
    f[k++] = feat_if(known, w->suffix4);
    f[k++] = nlp__feat1(T_NORM_M1, m1->norm);
    f[k++] = nlp__feat1(T_NORM_M2, m2->norm);
    f[k++] = nlp__feat1(T_NORM_P1, p1->norm);
    f[k++] = nlp__feat1(T_NORM_P2, p2->norm);
    f[k++] = nlp__feat1(T_SHAPE_M1, m1->shape);
    f[k++] = nlp__feat1(T_SHAPE_P1, p1->shape);
    f[k++] = nlp__feat1(T_SSHAPE_M2, m2->short_shape);
    f[k++] = nlp__feat1(T_SSHAPE_P2, p2->short_shape);
    f[k++] = nlp__feat3(T_SSHAPE_WINDOW, m1->short_shape, w->short_shape,
                        p1->short_shape);
    f[k++] = feat_if(known, nlp__feat2(T_NORM_M1_NORM, m1->norm, w->norm));
    f[k++] = feat_if(known, nlp__feat2(T_NORM_NORM_P1, w->norm, p1->norm));
    f[k++] = nlp__feat1(T_SUFFIX3_M1, m1->suffix);
    f[k++] = nlp__feat1(T_SUFFIX3_P1, p1->suffix);
    f[k++] = nlp__feat1(T_KIND, w->kind);
    f[k++] = nlp__feat1(T_KIND_WINDOW, kinds);
    f[k++] = nlp__feat2(T_SENT_FIRST_KIND, w->sent_first, w->kind);
    f[k++] = nlp__feat2(T_SENT_LAST_KIND, w->sent_last, w->kind);
    f[k++] = nlp__feat2(T_SENT_CAPS_KIND, w->sent_caps, w->kind);
    f[k++] = nlp__feat1(T_WORD_CODE, w->word_code & 0x1fffu);
    f[k++] = nlp__feat3(T_WORD_LOWER_KIND, NLP__NER_LEX_LOWER(w->word_code),
                        w->kind, w->sent_first);
    f[k++] = nlp__feat1(T_WORD_M1, word_evidence(m1->word_code));
    f[k++] = nlp__feat1(T_WORD_P1, word_evidence(p1->word_code));
    f[k++] = nlp__feat1(T_PHRASE, w->phrase_code & 0xc1fffu);
    f[k++] = nlp__feat2(T_PHRASE_KIND, phrase_evidence(w->phrase_code), w->kind);
    f[k++] = nlp__feat1(T_PHRASE_M1, phrase_evidence(m1->phrase_code));
    f[k++] = nlp__feat1(T_PHRASE_P1, phrase_evidence(p1->phrase_code));
    f[k++] = nlp__feat2(T_NORM_M1_SHAPE, m1->norm, w->shape);
    f[k++] = nlp__feat2(T_SHAPE_NORM_P1, w->shape, p1->norm);
    f[k++] = nlp__feat2(T_NORM_M1_NORM_P1, m1->norm, p1->norm);
    f[k++] = nlp__feat2(T_NORM_P1_P2, p1->norm, p2->norm);
    f[k++] = nlp__feat2(T_NORM_M2_M1, m2->norm, m1->norm);
    /* Words further away, as a bag: topic words such as "restaurant". */
    f[k++] = nlp__feat1(T_CONTEXT_BAG, w[-3].norm);
    f[k++] = nlp__feat1(T_CONTEXT_BAG, w[-4].norm);
    f[k++] = nlp__feat1(T_CONTEXT_BAG, w[3].norm);
    f[k++] = nlp__feat1(T_CONTEXT_BAG, w[4].norm);
    f[k++] = nlp__feat1(T_KIND_WINDOW5, (uint64_t)m2->kind << 32 | kinds << 8 | p2->kind);
    /* The last word of a capitalised run usually gives a name its type
     * ("... Motorsports", "... Street"), which BEGIN must decide early. */
    int in_run = w->run_len != 0;
    uint64_t run_len = w->run_len > 3 ? 3 : w->run_len;
    f[k++] = feat_if(in_run, nlp__feat1(T_RUN_LAST_NORM, w->run_last_norm));
    f[k++] = feat_if(in_run, nlp__feat1(T_RUN_LAST_WORD, word_evidence(w->run_last_code)));
    f[k++] = feat_if(in_run, nlp__feat2(T_RUN_BEFORE_LENGTH, w->run_before_norm, run_len));
    f[k++] = feat_if(in_run, nlp__feat2(T_RUN_LAST_LENGTH, w->run_last_norm, run_len));
    /* Without word statistics these stay absent and cost nothing. */
    int stats = w->has_word_stats, clustered = w->cluster != 0;
    f[k++] = feat_if(clustered, nlp__feat1(T_CLUSTER4, nlp__cluster_prefix(w->cluster, 4)));
    f[k++] = feat_if(clustered, nlp__feat1(T_CLUSTER8, nlp__cluster_prefix(w->cluster, 8)));
    f[k++] = feat_if(clustered, nlp__feat1(T_CLUSTER12, nlp__cluster_prefix(w->cluster, 12)));
    f[k++] = feat_if(clustered, nlp__feat1(T_CLUSTER, w->cluster));
    f[k++] = feat_if(stats, nlp__feat1(T_CLUSTER_M1, m1->cluster));
    f[k++] = feat_if(stats, nlp__feat1(T_CLUSTER_P1, p1->cluster));
    f[k++] = feat_if(stats, nlp__feat2(T_CLUSTER_KIND, w->cluster, w->kind));
    f[k++] = feat_if(stats, nlp__feat2(T_FREQ_KIND, w->freq, w->kind));
    f[k++] = feat_if(stats, nlp__feat3(T_CAPS_EVIDENCE, w->caps_evidence, w->kind,
                                       w->sent_first));
    f[k++] = feat_if(stats, nlp__feat1(T_CAPS_EVIDENCE_M1, m1->caps_evidence));
    f[k++] = feat_if(stats, nlp__feat1(T_CAPS_EVIDENCE_P1, p1->caps_evidence));
    f[k++] = feat_if(stats && in_run,
                     nlp__feat1(T_RUN_LAST_CAPS_EVIDENCE, w->run_last_caps_evidence));
    /* Names from the gazetteer: known cities or first names the training
     * data never had. Absent without a gazetteer. */
    int gaz = w->has_gazetteer;
    f[k++] = feat_if(gaz, nlp__feat2(T_GAZ_PHRASE, w->gaz_phrase, w->kind));
    f[k++] = feat_if(gaz, nlp__feat1(T_GAZ_PHRASE_M1, m1->gaz_phrase));
    f[k++] = feat_if(gaz, nlp__feat1(T_GAZ_PHRASE_P1, p1->gaz_phrase));
    f[k++] = feat_if(gaz, nlp__feat2(T_GAZ_WORD, w->gaz_word, w->kind));
    f[k++] = feat_if(gaz, nlp__feat2(T_GAZ_WORD_M1_P1, m1->gaz_word, p1->gaz_word));
    f[k++] = feat_if(gaz && in_run, nlp__feat2(T_GAZ_PHRASE_RUN, w->gaz_phrase, run_len));
}

size_t nlp__ner_state_features(const nlp__ner_token_t *t,
                               const nlp__biluo_state_t *s, uint32_t prev1,
                               uint32_t prev2, uint64_t *f) {
    const nlp__ner_token_t *w = t + s->i, *p1 = w + 1;
    uint64_t kinds = (uint64_t)w->kind << 8 | p1->kind;
    size_t k = 0;
    f[k++] = nlp__feat1(S_PREV, prev1);
    f[k++] = nlp__feat2(S_PREV2, prev1, prev2);
    f[k++] = nlp__feat2(S_PREV_NORM, prev1, w->norm);
    f[k++] = nlp__feat2(S_PREV_SHAPE, prev1, w->shape);
    f[k++] = nlp__feat2(S_PREV_KINDS, prev1, kinds);
    f[k++] = nlp__feat2(S_PREV_PHRASE, prev1, phrase_evidence(w->phrase_code));
    f[k++] = nlp__feat2(S_PREV_WORD, prev1, word_evidence(w->word_code));
    f[k++] = nlp__feat2(S_PREV_NORM_P1, prev1, p1->norm);
    if (w->has_gazetteer) f[k++] = nlp__feat2(S_PREV_GAZ, prev1, w->gaz_phrase);
    if (s->open_label != NLP__BILUO_NONE) {
        uint32_t length = s->i - s->open_start;
        uint64_t label = (uint64_t)s->open_label;
        f[k++] = nlp__feat2(S_OPEN_LENGTH, label, length < 5 ? length : 5);
        f[k++] = nlp__feat2(S_OPEN_NORM, label, w->norm);
        f[k++] = nlp__feat3(S_OPEN_FIRST_KIND, label, t[s->open_start].norm, w->kind);
    }
    return k;
}
