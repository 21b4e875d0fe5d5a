/* Doc serialisation: spaCy's Doc.to_json() shape and CoNLL-U. */
#include <string.h>

#include "doc.h"
#include "writer.h"

static void put_str_field(nlp__writer_t *w, const nlp_doc_t *doc,
                          const char *key, nlp_hash_t id) {
    size_t len;
    const char *s = nlp__doc_string(doc, id, &len);
    nlp__writer_printf(w, ",\"%s\":", key);
    nlp__writer_json_string(w, s, len);
}

static void put_spans(nlp__writer_t *w, const nlp_doc_t *doc,
                      const nlp_span_t *spans, size_t n, int labelled) {
    for (size_t i = 0; i < n; i++) {
        nlp__writer_printf(w, "%s{\"start\":%u,\"end\":%u", i ? "," : "",
                           spans[i].start_char, spans[i].end_char);
        if (labelled) put_str_field(w, doc, "label", spans[i].label);
        nlp__writer_put(w, "}", 1);
    }
}

static void put_sents(nlp__writer_t *w, const nlp_doc_t *doc) {
    nlp__writer_puts(w, ",\"sents\":[");
    for (uint32_t start = 0, end; start < doc->n_tokens; start = end) {
        end = nlp__doc_sent_end(doc, start);
        nlp__writer_printf(w, "%s{\"start\":%u,\"end\":%u}", start ? "," : "",
                           doc->tokens[start].idx,
                           doc->tokens[end - 1].idx + doc->tokens[end - 1].len);
    }
    nlp__writer_put(w, "]", 1);
}

nlp_status_t nlp_doc_to_json(const nlp_doc_t *doc, nlp_write_fn write,
                             void *ctx) {
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    if (!write) return NLP__FAIL_ARGUMENTS();
    nlp__writer_t w;
    nlp__writer_init(&w, write, ctx);
    nlp__writer_puts(&w, "{\"text\":");
    nlp__writer_json_string(&w, doc->text, doc->text_len);
    unsigned layers = doc->layers;
    if (layers & NLP_HAS_ENTS) {
        nlp__writer_puts(&w, ",\"ents\":[");
        put_spans(&w, doc, doc->ents, doc->n_ents, 1);
        nlp__writer_put(&w, "]", 1);
    }
    if (layers & NLP_HAS_SENTS) put_sents(&w, doc);
    nlp__writer_puts(&w, ",\"tokens\":[");
    for (uint32_t i = 0; i < doc->n_tokens; i++) {
        const nlp_token_t *t = &doc->tokens[i];
        nlp__writer_printf(&w, "%s{\"id\":%u,\"start\":%u,\"end\":%u",
                           i ? "," : "", i, t->idx, t->idx + t->len);
        if (layers & NLP_HAS_TAG) put_str_field(&w, doc, "tag", t->tag);
        if (layers & NLP_HAS_POS) put_str_field(&w, doc, "pos", t->pos);
        if (layers & NLP_HAS_MORPH) put_str_field(&w, doc, "morph", t->morph);
        if (layers & NLP_HAS_LEMMA) put_str_field(&w, doc, "lemma", t->lemma);
        if (layers & NLP_HAS_DEP) {
            put_str_field(&w, doc, "dep", t->dep);
            nlp__writer_printf(&w, ",\"head\":%lld", (long long)i + t->head);
        }
        nlp__writer_put(&w, "}", 1);
    }
    nlp__writer_puts(&w, "]}");
    return nlp__writer_finish(&w);
}

/* String `id` as a CoNLL-U field: "_" when empty; tabs and newlines never
 * appear in one. */
static void put_field(nlp__writer_t *w, const nlp_doc_t *doc, nlp_hash_t id) {
    size_t len;
    const char *s = nlp__doc_string(doc, id, &len);
    if (!len) nlp__writer_put(w, "_", 1);
    else nlp__writer_put_replacing(w, s, len, "\t\n\r");
}

static void put_conllu_token(nlp__writer_t *w, const nlp_doc_t *doc,
                             uint32_t i, uint32_t sent_start) {
    const nlp_token_t *t = &doc->tokens[i];
    unsigned layers = doc->layers;
    nlp__writer_uint(w, i - sent_start + 1);
    nlp__writer_put(w, "\t", 1);
    put_field(w, doc, t->lex->orth);
    nlp__writer_put(w, "\t", 1);
    put_field(w, doc, layers & NLP_HAS_LEMMA ? t->lemma : 0);
    nlp__writer_put(w, "\t", 1);
    put_field(w, doc, layers & NLP_HAS_POS ? t->pos : 0);
    nlp__writer_put(w, "\t", 1);
    put_field(w, doc, layers & NLP_HAS_TAG ? t->tag : 0);
    nlp__writer_put(w, "\t", 1);
    put_field(w, doc, layers & NLP_HAS_MORPH ? t->morph : 0);
    if (layers & NLP_HAS_DEP) {
        uint32_t head = t->head == 0 ? 0 : (uint32_t)((int64_t)i + t->head - sent_start + 1);
        nlp__writer_put(w, "\t", 1);
        nlp__writer_uint(w, head);
        nlp__writer_put(w, "\t", 1);
        if (t->head == 0) nlp__writer_puts(w, "root");
        else put_field(w, doc, t->dep);
    } else {
        nlp__writer_puts(w, "\t_\t_");
    }
    nlp__writer_puts(w, "\t_\t");
    int misc = 0;
    if (!t->spacy && i + 1 < doc->n_tokens) {
        nlp__writer_puts(w, "SpaceAfter=No");
        misc = 1;
    }
    if ((layers & NLP_HAS_ENTS) && t->ent_iob != NLP_IOB_O && t->ent_type) {
        nlp__writer_printf(w, "%sNER=%s-", misc ? "|" : "",
                           t->ent_iob == NLP_IOB_B ? "B" : "I");
        put_field(w, doc, t->ent_type);
        misc = 1;
    }
    if (!misc) nlp__writer_put(w, "_", 1);
    nlp__writer_put(w, "\n", 1);
}

nlp_status_t nlp_doc_to_conllu(const nlp_doc_t *doc, nlp_write_fn write,
                               void *ctx) {
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    if (!write) return NLP__FAIL_ARGUMENTS();
    nlp__writer_t w;
    nlp__writer_init(&w, write, ctx);
    for (uint32_t start = 0, end; start < doc->n_tokens; start = end) {
        end = nlp__doc_sent_end(doc, start);
        const nlp_token_t *first = &doc->tokens[start], *last = &doc->tokens[end - 1];
        nlp__writer_puts(&w, "# text = ");
        nlp__writer_put_replacing(&w, doc->text + first->idx,
                                  last->idx + last->len - first->idx, "\n\r");
        nlp__writer_put(&w, "\n", 1);
        for (uint32_t k = start; k < end; k++) put_conllu_token(&w, doc, k, start);
        nlp__writer_put(&w, "\n", 1);
    }
    return nlp__writer_finish(&w);
}
