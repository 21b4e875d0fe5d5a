/* The evaluator: runs a pipeline over gold data and counts matches. */
#include "evaluate.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "doc/writer.h"
#include "pipeline/nlp.h"

/* Growable per-unit buffers, reused across units. */
typedef struct work {
    const nlp_allocator_t *alloc;
    size_t cap_words, cap_tokens, cap_text;
    uint32_t *gold_start, *gold_end;
    int32_t *gold_head;            /* global word index, -1 = root */
    const nlp__gold_word_t **gold; /* the words themselves */
    int32_t *pred_to_gold;         /* per predicted token, -1 = unaligned */
    char *text;
    const char **forms;
    size_t *lens;
    uint8_t *spaces;
} work_t;

#define GROW(w, field, cap, need)                                               \
    do {                                                                        \
        void *p_ = nlp__realloc_array((w)->alloc, (w)->field, (need),           \
                                      sizeof *(w)->field);                      \
        if (!p_) return NLP_NOMEM;                                              \
        (w)->field = p_;                                                        \
        (void)(cap);                                                            \
    } while (0)

static nlp_status_t reserve_words(work_t *w, size_t n) {
    if (n <= w->cap_words) return NLP_OK;
    n = n * 2;
    GROW(w, gold_start, w->cap_words, n);
    GROW(w, gold_end, w->cap_words, n);
    GROW(w, gold_head, w->cap_words, n);
    GROW(w, gold, w->cap_words, n);
    GROW(w, forms, w->cap_words, n);
    GROW(w, lens, w->cap_words, n);
    GROW(w, spaces, w->cap_words, n);
    w->cap_words = n;
    return NLP_OK;
}

static nlp_status_t reserve_tokens(work_t *w, size_t n) {
    if (n <= w->cap_tokens) return NLP_OK;
    n = n * 2;
    GROW(w, pred_to_gold, w->cap_tokens, n);
    w->cap_tokens = n;
    return NLP_OK;
}

static nlp_status_t reserve_text(work_t *w, size_t n) {
    if (n <= w->cap_text) return NLP_OK;
    n = n * 2;
    GROW(w, text, w->cap_text, n);
    w->cap_text = n;
    return NLP_OK;
}

static void work_free(work_t *w) {
    nlp__free(w->alloc, w->gold_start);
    nlp__free(w->alloc, w->gold_end);
    nlp__free(w->alloc, w->gold_head);
    nlp__free(w->alloc, w->gold);
    nlp__free(w->alloc, w->pred_to_gold);
    nlp__free(w->alloc, w->text);
    nlp__free(w->alloc, w->forms);
    nlp__free(w->alloc, w->lens);
    nlp__free(w->alloc, w->spaces);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static nlp__prf_t *label_prf(nlp__label_prf_t *table, size_t *n,
                             const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(table[i].name, name)) return &table[i].prf;
    if (*n == NLP__EVAL_MAX_LABELS) return NULL;
    nlp__label_prf_t *e = &table[(*n)++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    return &e->prf;
}

static void count_label(nlp__label_prf_t *table, size_t *n, const char *name,
                        int pred, int gold, int tp) {
    nlp__prf_t *p = label_prf(table, n, name);
    if (!p) return;
    p->pred += (size_t)pred;
    p->gold += (size_t)gold;
    p->tp += (size_t)tp;
}

/* Builds the gold side of a unit (words, spans, heads) and its text. In
 * gold-token mode the text is the words joined per SpaceAfter. */
static nlp_status_t build_gold(work_t *w, const nlp__gold_sent_t *sents,
                               size_t n_sents, nlp__eval_input_t input,
                               size_t *n_words, size_t *text_len) {
    const int gold_tokens = input == NLP__EVAL_GOLD_TOKENS;
    size_t words = 0, chars = 0;
    for (size_t i = 0; i < n_sents; i++) {
        words += sents[i].n_words;
        chars += strlen(sents[i].text) + 1;
        for (uint32_t k = 0; k < sents[i].n_words; k++)
            chars += strlen(sents[i].words[k].form) + 1;
    }
    nlp_status_t st;
    if ((st = reserve_words(w, words + 1)) || (st = reserve_text(w, chars + 1)))
        return st;
    size_t base = 0, pos = 0;
    for (size_t i = 0; i < n_sents; i++) {
        const nlp__gold_sent_t *s = &sents[i];
        if (gold_tokens) {
            for (uint32_t k = 0; k < s->n_words; k++) {
                size_t n = strlen(s->words[k].form);
                w->forms[base + k] = s->words[k].form;
                w->lens[base + k] = n;
                w->spaces[base + k] = s->words[k].space_after && k + 1 < s->n_words;
                w->gold_start[base + k] = (uint32_t)pos;
                w->gold_end[base + k] = (uint32_t)(pos + n);
                memcpy(w->text + pos, s->words[k].form, n);
                pos += n;
                if (w->spaces[base + k]) w->text[pos++] = ' ';
            }
        } else {
            if (i > 0) w->text[pos++] = input == NLP__EVAL_RAW_LINES ? '\n' : ' ';
            if ((st = nlp__gold_word_spans(s, w->gold_start + base, w->gold_end + base)))
                return st;
            for (uint32_t k = 0; k < s->n_words; k++) {
                w->gold_start[base + k] += (uint32_t)pos;
                w->gold_end[base + k] += (uint32_t)pos;
            }
            size_t n = strlen(s->text);
            memcpy(w->text + pos, s->text, n);
            pos += n;
        }
        for (uint32_t k = 0; k < s->n_words; k++) {
            w->gold[base + k] = &s->words[k];
            int32_t h = s->words[k].head;
            w->gold_head[base + k] = h > 0 ? (int32_t)(base + (size_t)h - 1) : -1;
        }
        base += s->n_words;
    }
    w->text[pos] = '\0';
    *n_words = words;
    *text_len = pos;
    return NLP_OK;
}

static int is_space_token(const nlp_token_t *t) {
    return (t->lex->flags & NLP_FLAG_IS_SPACE) != 0;
}

/* Aligns predicted tokens to gold words with identical spans. */
static void align(work_t *w, const nlp_token_t *t, size_t n_tokens,
                  size_t n_words, nlp__scores_t *s) {
    size_t g = 0;
    for (size_t i = 0; i < n_tokens; i++) {
        w->pred_to_gold[i] = -1;
        if (is_space_token(&t[i])) continue;
        s->tokens.pred++;
        while (g < n_words && w->gold_start[g] < t[i].idx) g++;
        if (g < n_words && w->gold_start[g] == t[i].idx &&
            w->gold_end[g] == t[i].idx + t[i].len) {
            w->pred_to_gold[i] = (int32_t)g;
            s->tokens.tp++;
            g++;
        }
    }
    s->tokens.gold += n_words;
}

static int same(const char *pred, const char *gold) { return !strcmp(pred, gold); }

static void score_syntax(work_t *w, const nlp_doc_t *doc, const nlp_token_t *t,
                         size_t n_tokens, nlp__scores_t *s) {
    unsigned layers = nlp_doc_layers(doc);
    for (size_t i = 0; i < n_tokens; i++) {
        int32_t g = w->pred_to_gold[i];
        const char *dep = t[i].head == 0 ? "root" : nlp_doc_str(doc, t[i].dep);
        int gold_punct = g >= 0 && same(w->gold[g]->deprel, "punct");
        if ((layers & NLP_HAS_DEP) && !is_space_token(&t[i]) && !same(dep, "punct") &&
            !gold_punct)
            count_label(s->deps, &s->n_deps, dep, 1, 0, 0);
        if (g < 0) continue;
        const nlp__gold_word_t *gw = w->gold[g];
        s->tag_ok += same(nlp_doc_str(doc, t[i].tag), gw->xpos);
        s->pos_ok += same(nlp_doc_str(doc, t[i].pos), gw->upos);
        s->morph_ok += same(nlp_doc_str(doc, t[i].morph), gw->feats);
        s->lemma_ok += same(nlp_doc_str(doc, t[i].lemma), gw->lemma);
        if (!(layers & NLP_HAS_DEP) || gold_punct) continue;
        int pred_root = t[i].head == 0, gold_root = w->gold_head[g] < 0;
        int head_ok = pred_root ? gold_root
                                : !gold_root &&
                                      w->pred_to_gold[(int64_t)i + t[i].head] ==
                                          w->gold_head[g];
        int label_ok = head_ok && (pred_root || same(dep, gw->deprel));
        s->uas_ok += (size_t)head_ok;
        s->las_ok += (size_t)label_ok;
        if (label_ok) count_label(s->deps, &s->n_deps, dep, 0, 0, 1);
    }
}

static void score_gold_deps(work_t *w, size_t n_words, nlp__scores_t *s) {
    for (size_t g = 0; g < n_words; g++) {
        const nlp__gold_word_t *gw = w->gold[g];
        if (same(gw->deprel, "punct") || !*gw->deprel) continue;
        s->dep_words++;
        count_label(s->deps, &s->n_deps, gw->head == 0 ? "root" : gw->deprel, 0, 1, 0);
    }
}

/* Sentence spans from first to last non-space token. */
static void score_sents(work_t *w, const nlp_doc_t *doc, const nlp_token_t *t,
                        size_t n_tokens, const nlp__gold_sent_t *sents,
                        size_t n_sents, nlp__scores_t *s) {
    (void)n_tokens;
    nlp_span_t spans[512];
    size_t n = 0;
    nlp_doc_sents(doc, spans, 512, &n);
    if (n > 512) n = 512;
    size_t base = 0, g = 0;
    uint32_t gold_a[512], gold_b[512];
    for (size_t i = 0; i < n_sents && g < 512; i++) {
        if (sents[i].n_words == 0) continue;
        gold_a[g] = w->gold_start[base];
        gold_b[g++] = w->gold_end[base + sents[i].n_words - 1];
        base += sents[i].n_words;
    }
    s->sents.gold += g;
    for (size_t k = 0; k < n; k++) {
        uint32_t a = spans[k].start, b = spans[k].end;
        while (a < b && is_space_token(&t[a])) a++;
        while (b > a && is_space_token(&t[b - 1])) b--;
        if (a == b) continue;
        s->sents.pred++;
        uint32_t ca = t[a].idx, cb = t[b - 1].idx + t[b - 1].len;
        for (size_t j = 0; j < g; j++)
            if (gold_a[j] == ca && gold_b[j] == cb) s->sents.tp++;
    }
}

static void score_ents(work_t *w, const nlp_doc_t *doc, size_t n_words,
                       nlp__scores_t *s) {
    const nlp_span_t *ents;
    size_t n_ents = 0;
    nlp_doc_ents(doc, &ents, &n_ents);
    for (size_t g = 0; g < n_words;) {
        const char *tag = w->gold[g]->ner;
        if (tag[0] != 'B') {
            g++;
            continue;
        }
        size_t e = g + 1;
        while (e < n_words && w->gold[e]->ner[0] == 'I') e++;
        uint32_t a = w->gold_start[g], b = w->gold_end[e - 1];
        int found = 0;
        for (size_t k = 0; k < n_ents && !found; k++)
            found = ents[k].start_char == a && ents[k].end_char == b &&
                    same(nlp_doc_str(doc, ents[k].label), tag + 2);
        s->ents.gold++;
        s->ents.tp += (size_t)found;
        count_label(s->ent_types, &s->n_ent_types, tag + 2, 0, 1, found);
        g = e;
    }
    for (size_t k = 0; k < n_ents; k++) {
        s->ents.pred++;
        count_label(s->ent_types, &s->n_ent_types, nlp_doc_str(doc, ents[k].label),
                    1, 0, 0);
    }
}

static nlp_status_t eval_unit(nlp_t *nlp, work_t *w, const nlp__gold_sent_t *sents,
                              size_t n_sents, nlp__eval_input_t input, nlp__scores_t *s) {
    size_t n_words, text_len;
    const int gold_tokens = input == NLP__EVAL_GOLD_TOKENS;
    nlp_status_t st = build_gold(w, sents, n_sents, input, &n_words, &text_len);
    if (st) return st;
    nlp_zone_t *zone;
    if ((st = nlp_memory_zone_begin(nlp, &zone))) return st;
    nlp_doc_t *doc = NULL;
    double t0 = now();
    if (gold_tokens) {
        st = nlp_doc_from_words(nlp, zone, w->forms, w->lens, w->spaces, n_words, &doc);
        if (!st) st = nlp_process(nlp, doc);
    } else {
        st = nlp_parse(nlp, zone, w->text, text_len, &doc);
    }
    s->seconds += now() - t0;
    const nlp_token_t *t = NULL;
    size_t n_tokens = 0;
    if (!st) st = nlp_doc_tokens(doc, &t, &n_tokens);
    if (!st) st = reserve_tokens(w, n_tokens + 1);
    if (!st) {
        s->layers |= nlp_doc_layers(doc);
        s->gold_words += n_words;
        align(w, t, n_tokens, n_words, s);
        if (s->has_gold_syntax) {
            score_syntax(w, doc, t, n_tokens, s);
            score_gold_deps(w, n_words, s);
        }
        score_sents(w, doc, t, n_tokens, sents, n_sents, s);
        if (s->has_gold_ents) score_ents(w, doc, n_words, s);
    }
    nlp_memory_zone_end(zone);
    return st;
}

static int corpus_has(const nlp__corpus_t *c, int ents) {
    for (size_t i = 0; i < c->n_sents; i++)
        for (uint32_t k = 0; k < c->sents[i].n_words; k++) {
            const nlp__gold_word_t *w = &c->sents[i].words[k];
            if (ents ? w->ner[0] != '\0' : w->deprel[0] != '\0') return 1;
        }
    return 0;
}

static int has_paragraph_marks(const nlp__corpus_t *corpus) {
    for (size_t i = 0; i < corpus->n_sents; i++)
        if (corpus->sents[i].newpar) return 1;
    return 0;
}

nlp_status_t nlp__evaluate(nlp_t *nlp, const nlp__corpus_t *gold,
                           nlp__eval_input_t input, nlp__scores_t *out) {
    memset(out, 0, sizeof *out);
    out->has_gold_syntax = corpus_has(gold, 0);
    out->has_gold_ents = corpus_has(gold, 1);
    work_t w = {.alloc = nlp->alloc};
    nlp_status_t st = NLP_OK;
    /* Raw text is parsed a paragraph at a time, so the pipeline has to find
     * the sentence boundaries itself. A corpus without paragraph marks (IOB2)
     * does not say which sentences shared a paragraph (e-mail signatures are
     * separate lines there), so each sentence is its own text. */
    int by_paragraph = input != NLP__EVAL_GOLD_TOKENS && has_paragraph_marks(gold);
    for (size_t i = 0; i < gold->n_sents && !st;) {
        size_t j = by_paragraph ? nlp__raw_unit_end(gold, i) : i + 1;
        st = eval_unit(nlp, &w, gold->sents + i, j - i, input, out);
        i = j;
    }
    work_free(&w);
    return st;
}

static double ratio(size_t a, size_t b) { return b ? (double)a / (double)b : 0.0; }

static double f1(const nlp__prf_t *p) {
    double pr = ratio(p->tp, p->pred), rc = ratio(p->tp, p->gold);
    return pr + rc > 0 ? 2 * pr * rc / (pr + rc) : 0.0;
}

static void put_prf(nlp__writer_t *w, const char *prefix, const nlp__prf_t *p) {
    nlp__writer_printf(w, ",\"%s_p\":%.4f,\"%s_r\":%.4f,\"%s_f\":%.4f", prefix,
                       ratio(p->tp, p->pred), prefix, ratio(p->tp, p->gold), prefix,
                       f1(p));
}

static void put_per_type(nlp__writer_t *w, const char *key,
                         const nlp__label_prf_t *t, size_t n) {
    nlp__writer_printf(w, ",\"%s\":{", key);
    for (size_t i = 0; i < n; i++) {
        nlp__writer_printf(w, "%s", i ? "," : "");
        nlp__writer_json_string(w, t[i].name, strlen(t[i].name));
        nlp__writer_printf(w, ":{\"p\":%.4f,\"r\":%.4f,\"f\":%.4f}",
                           ratio(t[i].prf.tp, t[i].prf.pred),
                           ratio(t[i].prf.tp, t[i].prf.gold), f1(&t[i].prf));
    }
    nlp__writer_put(w, "}", 1);
}

nlp_status_t nlp__scores_write_json(const nlp__scores_t *s, nlp_write_fn write,
                                    void *ctx) {
    nlp__writer_t w;
    nlp__writer_init(&w, write, ctx);
    nlp__writer_printf(&w, "{\"words\":%zu", s->gold_words);
    put_prf(&w, "token", &s->tokens);
    put_prf(&w, "sents", &s->sents);
    if (s->has_gold_syntax) {
        if (s->layers & NLP_HAS_TAG)
            nlp__writer_printf(&w, ",\"tag_acc\":%.4f", ratio(s->tag_ok, s->gold_words));
        if (s->layers & NLP_HAS_POS)
            nlp__writer_printf(&w, ",\"pos_acc\":%.4f", ratio(s->pos_ok, s->gold_words));
        if (s->layers & NLP_HAS_MORPH)
            nlp__writer_printf(&w, ",\"morph_acc\":%.4f", ratio(s->morph_ok, s->gold_words));
        if (s->layers & NLP_HAS_LEMMA)
            nlp__writer_printf(&w, ",\"lemma_acc\":%.4f", ratio(s->lemma_ok, s->gold_words));
        if (s->layers & NLP_HAS_DEP) {
            nlp__writer_printf(&w, ",\"dep_uas\":%.4f,\"dep_las\":%.4f",
                               ratio(s->uas_ok, s->dep_words), ratio(s->las_ok, s->dep_words));
            put_per_type(&w, "dep_las_per_type", s->deps, s->n_deps);
        }
    }
    if (s->has_gold_ents && (s->layers & NLP_HAS_ENTS)) {
        put_prf(&w, "ents", &s->ents);
        put_per_type(&w, "ents_per_type", s->ent_types, s->n_ent_types);
    }
    nlp__writer_printf(&w, ",\"speed\":%.0f}", s->seconds > 0 ? (double)s->gold_words / s->seconds : 0.0);
    return nlp__writer_finish(&w);
}
