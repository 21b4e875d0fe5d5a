/* Entity precision, recall and F-score over exact span matches. */
#include "ents_score.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void nlp__ents_score_init(nlp__ents_score_t *s) { memset(s, 0, sizeof *s); }

/* The record of `label`, added (and named when possible) on first sight;
 * NULL when the table is full. */
static nlp__ents_type_t *type_of(nlp__ents_score_t *s, nlp_hash_t label,
                                 nlp__label_name_fn name, void *ctx) {
    nlp__ents_type_t *t = NULL;
    for (size_t k = 0; k < s->n_types && !t; k++)
        if (s->types[k].label == label) t = &s->types[k];
    if (!t) {
        if (s->n_types == NLP__ENTS_MAX_TYPES) return NULL;
        t = &s->types[s->n_types++];
        memset(t, 0, sizeof *t);
        t->label = label;
    }
    if (!t->name[0] && name) {
        const char *n = name(ctx, label);
        if (n) snprintf(t->name, sizeof t->name, "%s", n);
    }
    return t;
}

static bool same_span(const nlp_span_t *a, const nlp_span_t *b) {
    return a->start == b->start && a->end == b->end && a->label == b->label;
}

void nlp__ents_score_add(nlp__ents_score_t *s, const nlp_span_t *gold,
                         size_t n_gold, const nlp_span_t *pred, size_t n_pred,
                         nlp__label_name_fn name, void *ctx) {
    for (size_t g = 0; g < n_gold; g++) {
        s->total.gold++;
        nlp__ents_type_t *t = type_of(s, gold[g].label, name, ctx);
        if (t) t->counts.gold++;
    }
    /* A gold span is matched by the first identical prediction only, so a
     * duplicated prediction is a false positive. Units are sentences or
     * Docs, small enough for the quadratic search. */
    for (size_t p = 0; p < n_pred; p++) {
        bool right = false;
        for (size_t g = 0; g < n_gold && !right; g++) {
            if (!same_span(&pred[p], &gold[g])) continue;
            bool taken = false;
            for (size_t q = 0; q < p && !taken; q++) taken = same_span(&pred[q], &gold[g]);
            right = !taken;
        }
        s->total.pred++;
        s->total.tp += right;
        nlp__ents_type_t *t = type_of(s, pred[p].label, name, ctx);
        if (t) {
            t->counts.pred++;
            t->counts.tp += right;
        }
    }
}

nlp__prf_value_t nlp__ents_prf(const nlp__ents_counts_t *c) {
    nlp__prf_value_t v = {0, 0, 0};
    if (c->pred) v.p = (double)c->tp / (double)c->pred;
    if (c->gold) v.r = (double)c->tp / (double)c->gold;
    if (v.p + v.r > 0) v.f = 2 * v.p * v.r / (v.p + v.r);
    return v;
}

const nlp__ents_type_t *nlp__ents_score_type(const nlp__ents_score_t *s,
                                             nlp_hash_t label) {
    for (size_t k = 0; k < s->n_types; k++)
        if (s->types[k].label == label) return &s->types[k];
    return NULL;
}

void nlp__ents_from_iob2(const char *const *tags, size_t n_tags,
                         nlp_span_t *spans, size_t cap, size_t *n) {
    *n = 0;
    const char *open_type = NULL;
    size_t open_len = 0, open_start = 0;
    for (size_t t = 0; t <= n_tags; t++) {
        const char *tag = t < n_tags ? tags[t] : "O";
        bool tagged = (tag[0] == 'B' || tag[0] == 'I') && tag[1] == '-' && tag[2];
        const char *type = tagged ? tag + 2 : "";
        size_t len = tagged ? strlen(type) : 0;
        bool continues = tagged && tag[0] == 'I' && open_type &&
                         len == open_len && memcmp(type, open_type, len) == 0;
        if (open_type && !continues) {
            if (*n < cap)
                spans[*n] = (nlp_span_t){(uint32_t)open_start, (uint32_t)t, 0, 0,
                                         nlp_hash_string(open_type, open_len)};
            (*n)++;
            open_type = NULL;
        }
        if (tagged && !continues) {
            open_type = type;
            open_len = len;
            open_start = t;
        }
    }
}

/* Formats into a small buffer and passes it on; nonzero when the sink
 * stopped. */
static int emit(nlp_write_fn write, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int emit(nlp_write_fn write, void *ctx, const char *fmt, ...) {
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return 1;
    return write(ctx, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Writes a type name as a JSON string body (names are labels such as
 * "PER"; quotes, backslashes and control bytes are escaped anyway). */
static int emit_name(nlp_write_fn write, void *ctx, const nlp__ents_type_t *t) {
    if (!t->name[0])
        return emit(write, ctx, "\"%016llx\"", (unsigned long long)t->label);
    if (write(ctx, "\"", 1)) return 1;
    for (const char *c = t->name; *c; c++) {
        unsigned char u = (unsigned char)*c;
        int stop = (u == '"' || u == '\\') ? emit(write, ctx, "\\%c", *c)
                   : u < 0x20              ? emit(write, ctx, "\\u%04x", u)
                                           : write(ctx, c, 1);
        if (stop) return 1;
    }
    return write(ctx, "\"", 1);
}

nlp_status_t nlp__ents_score_write_json(const nlp__ents_score_t *s,
                                        nlp_write_fn write, void *ctx) {
    nlp__prf_value_t v = nlp__ents_prf(&s->total);
    if (emit(write, ctx, "\"ents_p\":%.6f,\"ents_r\":%.6f,\"ents_f\":%.6f,"
                         "\"ents_per_type\":{", v.p, v.r, v.f))
        return NLP_CANCELLED;
    for (size_t k = 0; k < s->n_types; k++) {
        const nlp__ents_type_t *t = &s->types[k];
        nlp__prf_value_t tv = nlp__ents_prf(&t->counts);
        if ((k && write(ctx, ",", 1)) || emit_name(write, ctx, t) ||
            emit(write, ctx, ":{\"p\":%.6f,\"r\":%.6f,\"f\":%.6f}", tv.p, tv.r, tv.f))
            return NLP_CANCELLED;
    }
    return write(ctx, "}", 1) ? NLP_CANCELLED : NLP_OK;
}
