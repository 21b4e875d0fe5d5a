/* The dependency parser component: greedy arc-hybrid decoding with an
 * averaged perceptron, predicting heads, labels and sentence boundaries.
 * Training lives in parser_train.c. */
#include <string.h>

#include "core/alloc.h"
#include "core/vocab.h"
#include "doc/doc.h"
#include "models/parser_model.h"
#include "models/perceptron.h"
#include "models/train.h"

/* ---- The label and class inventory ---------------------------------- */

nlp_status_t nlp__parser_spec_finish(nlp__parser_spec_t *spec,
                                     nlp__arena_t *arena) {
    if (spec->root_label == 0 || spec->root_label > spec->n_labels)
        return nlp__fail(NLP_MODEL_CORRUPT, "parser: root label %u of %u",
                         spec->root_label, spec->n_labels);
    for (uint32_t c = 0; c < spec->n_classes; c++) {
        uint8_t move = spec->class_move[c];
        uint32_t label = spec->class_label[c];
        bool is_arc = move == NLP__AH_LEFT || move == NLP__AH_RIGHT;
        if (move >= NLP__AH_N_MOVES || label > spec->n_labels ||
            is_arc != (label != 0))
            return nlp__fail(NLP_MODEL_CORRUPT,
                             "parser: class %u has move %u and label %u", c,
                             move, label);
    }
    nlp_status_t st = nlp__nonproj_map_build(spec->names, spec->n_labels + 1,
                                             arena, &spec->deco);
    if (st != NLP_OK)
        return st == NLP_FORMAT ? NLP_MODEL_CORRUPT : st;
    spec->dep_ids = NLP__ARENA_NEW(arena, nlp_hash_t, spec->n_labels + 1);
    if (!spec->dep_ids)
        return nlp__fail(NLP_NOMEM, "parser: label table");
    for (uint32_t l = 0; l <= spec->n_labels; l++) {
        const char *base = spec->names[spec->deco.base[l]];
        spec->dep_ids[l] = nlp_hash_string(base, strlen(base));
    }
    return NLP_OK;
}

/* Serialised spec, little-endian:
 *   "SPCPARS1", u32 format version, u32 feature version, u32 n_labels,
 *   u32 root label, u32 n_classes, u32 bytes of names,
 *   n_classes x (u32 move, u32 label), names 1 .. n_labels each ending in
 *   a NUL. */
#define SPEC_MAGIC "SPCPARS1"
#define SPEC_VERSION 1u
#define SPEC_HEADER_BYTES 32u
#define SPEC_MAX_LABELS 65535u

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

nlp_status_t nlp__parser_spec_encode(const nlp__parser_spec_t *spec,
                                     const nlp_allocator_t *alloc, void **out,
                                     size_t *len) {
    size_t names_bytes = 0;
    for (uint32_t l = 1; l <= spec->n_labels; l++)
        names_bytes += strlen(spec->names[l]) + 1;
    size_t total = SPEC_HEADER_BYTES + (size_t)spec->n_classes * 8 + names_bytes;
    if (names_bytes > UINT32_MAX)
        return nlp__fail(NLP_LIMIT, "parser: label names too long");
    uint8_t *buf = nlp__malloc(alloc, total);
    if (!buf)
        return nlp__fail(NLP_NOMEM, "parser: encoding %zu bytes", total);
    memcpy(buf, SPEC_MAGIC, 8);
    put_u32(buf + 8, SPEC_VERSION);
    put_u32(buf + 12, NLP__PARSER_FEATURES_VERSION);
    put_u32(buf + 16, spec->n_labels);
    put_u32(buf + 20, spec->root_label);
    put_u32(buf + 24, spec->n_classes);
    put_u32(buf + 28, (uint32_t)names_bytes);
    uint8_t *p = buf + SPEC_HEADER_BYTES;
    for (uint32_t c = 0; c < spec->n_classes; c++, p += 8) {
        put_u32(p, spec->class_move[c]);
        put_u32(p + 4, spec->class_label[c]);
    }
    for (uint32_t l = 1; l <= spec->n_labels; l++) {
        size_t n = strlen(spec->names[l]) + 1;
        memcpy(p, spec->names[l], n);
        p += n;
    }
    *out = buf;
    *len = total;
    return NLP_OK;
}

nlp_status_t nlp__parser_spec_decode(const void *data, size_t len,
                                     nlp__arena_t *arena,
                                     nlp__parser_spec_t *out) {
    const uint8_t *d = data;
    memset(out, 0, sizeof *out);
    if (len < SPEC_HEADER_BYTES || memcmp(d, SPEC_MAGIC, 8) != 0)
        return nlp__fail(NLP_MODEL_CORRUPT, "parser: bad spec header");
    if (get_u32(d + 8) != SPEC_VERSION ||
        get_u32(d + 12) != NLP__PARSER_FEATURES_VERSION)
        return nlp__fail(NLP_MODEL_VERSION,
                         "parser: spec version %u, features version %u",
                         get_u32(d + 8), get_u32(d + 12));
    uint32_t n_labels = get_u32(d + 16), root = get_u32(d + 20);
    uint32_t n_classes = get_u32(d + 24), names_bytes = get_u32(d + 28);
    if (n_labels == 0 || n_labels > SPEC_MAX_LABELS || n_classes == 0 ||
        n_classes > NLP__PERCEPTRON_MAX_CLASSES ||
        len != SPEC_HEADER_BYTES + (size_t)n_classes * 8 + names_bytes ||
        names_bytes == 0 || d[len - 1] != '\0')
        return nlp__fail(NLP_MODEL_CORRUPT,
                         "parser: spec of %zu bytes with %u labels, %u classes",
                         len, n_labels, n_classes);

    uint8_t *move = NLP__ARENA_NEW(arena, uint8_t, n_classes);
    uint32_t *label = NLP__ARENA_NEW(arena, uint32_t, n_classes);
    const char **names = NLP__ARENA_NEW(arena, const char *, n_labels + 1);
    char *blob = nlp__arena_alloc(arena, names_bytes, 1);
    if (!move || !label || !names || !blob)
        return nlp__fail(NLP_NOMEM, "parser: spec of %u labels", n_labels);
    const uint8_t *p = d + SPEC_HEADER_BYTES;
    for (uint32_t c = 0; c < n_classes; c++, p += 8) {
        uint32_t m = get_u32(p);
        move[c] = m < NLP__AH_N_MOVES ? (uint8_t)m : 0xff;
        label[c] = get_u32(p + 4);
    }
    memcpy(blob, p, names_bytes);
    names[0] = "";
    uint32_t l = 1;
    for (size_t at = 0; at < names_bytes && l <= n_labels + 1; l++) {
        if (l <= n_labels)
            names[l] = blob + at;
        at += strlen(blob + at) + 1;
    }
    if (l != n_labels + 1)
        return nlp__fail(NLP_MODEL_CORRUPT, "parser: %u label names, expected %u",
                         l - 1, n_labels);
    out->n_labels = n_labels;
    out->names = names;
    out->root_label = root;
    out->n_classes = n_classes;
    out->class_move = move;
    out->class_label = label;
    return nlp__parser_spec_finish(out, arena);
}

/* ---- Decoding ---------------------------------------------------------- */

uint32_t nlp__parser_best_valid(const nlp__parser_spec_t *spec,
                                const float *scores,
                                const bool valid[NLP__AH_N_MOVES]) {
    uint32_t best = UINT32_MAX;
    float best_score = 0.0f;
    for (uint32_t c = 0; c < spec->n_classes; c++) {
        if (!valid[spec->class_move[c]])
            continue;
        if (best == UINT32_MAX || scores[c] > best_score) {
            best = c;
            best_score = scores[c];
        }
    }
    return best;
}

nlp_status_t nlp__parser_decode(const nlp__parser_spec_t *spec,
                                nlp__parser_score_fn score, const void *model,
                                const nlp__pf_word_t *words, uint32_t n,
                                const int8_t *preset, nlp__arena_t *arena,
                                nlp__ah_state_t *st) {
    nlp_status_t status = nlp__ah_init(st, n, spec->root_label, preset, arena);
    if (status != NLP_OK)
        return status;
    float *scores = NLP__ARENA_NEW(arena, float, spec->n_classes);
    if (!scores)
        return nlp__fail(NLP_NOMEM, "parser: scores");
    uint64_t feats[NLP__PARSER_MAX_FEATS];
    bool valid[NLP__AH_N_MOVES];
    while (!nlp__ah_is_final(st)) {
        nlp__ah_valid(st, valid);
        /* With an empty stack SHIFT is the only move: no need to score. */
        if (st->depth == 0) {
            nlp__ah_apply(st, NLP__AH_SHIFT, 0);
            continue;
        }
        size_t n_feats = nlp__pf_extract(words, st, spec->clusters, feats);
        score(model, feats, n_feats, scores);
        uint32_t c = nlp__parser_best_valid(spec, scores, valid);
        if (c == UINT32_MAX)
            return nlp__fail(NLP_INTERNAL, "parser: no valid move");
        nlp__ah_apply(st, (nlp__ah_move_t)spec->class_move[c],
                      spec->class_label[c]);
    }
    nlp__ah_finish(st);
    return NLP_OK;
}

nlp_status_t nlp__parser_read_tree(const nlp__parser_spec_t *spec,
                                   const nlp__ah_state_t *st, int32_t *heads,
                                   uint32_t *labels, nlp__arena_t *scratch) {
    for (uint32_t i = 0; i < st->n; i++) {
        heads[i] = st->words[i].head;
        labels[i] = st->words[i].label;
    }
    return nlp__nonproj_deprojectivize(heads, labels, st->n, &spec->deco,
                                       scratch);
}

/* ---- The component ----------------------------------------------------- */

typedef struct parser {
    nlp__component_t base;
    const nlp_allocator_t *alloc;
    nlp__chunk_cache_t cache;
    nlp__arena_t arena; /* the spec and the label list */
    nlp__parser_spec_t spec;
    nlp__linear_t model;
    const void *image;
    size_t image_len;
    void *owned_image;
    const char **out_labels; /* undecorated labels, for the labels op */
    size_t n_out_labels;
} parser_t;

static void score_linear(const void *model, const uint64_t *feats,
                         size_t n_feats, float *scores) {
    nlp__linear_scores(model, feats, n_feats, scores);
}

static nlp_status_t parser_process(const nlp__component_t *self,
                                   nlp_doc_t *doc, nlp__arena_t *scratch) {
    const parser_t *p = (const parser_t *)self;
    uint32_t n = doc->n_tokens;
    if (n > 0) {
        nlp__pf_word_t *words =
            nlp__pf_words(doc->tokens, nlp__doc_supertags_if_any(doc), n, scratch);
        int32_t *heads = NLP__ARENA_NEW(scratch, int32_t, n);
        uint32_t *labels = NLP__ARENA_NEW(scratch, uint32_t, n);
        int8_t *preset = NULL;
        if (doc->layers & NLP_HAS_SENTS) {
            /* Boundaries set by an earlier component are kept. */
            preset = NLP__ARENA_NEW(scratch, int8_t, n);
            for (uint32_t i = 0; preset && i < n; i++)
                preset[i] = doc->tokens[i].sent_start;
        }
        if (!words || !heads || !labels || ((doc->layers & NLP_HAS_SENTS) && !preset))
            return nlp__fail(NLP_NOMEM, "parser: %u tokens", n);
        nlp__ah_state_t st;
        nlp_status_t status =
            nlp__parser_decode(&p->spec, score_linear, &p->model, words, n,
                               preset, scratch, &st);
        if (status == NLP_OK)
            status = nlp__parser_read_tree(&p->spec, &st, heads, labels, scratch);
        if (status != NLP_OK)
            return status;
        for (uint32_t i = 0; i < n; i++) {
            nlp_token_t *t = &doc->tokens[i];
            t->head = heads[i] < 0 ? 0 : heads[i] - (int32_t)i;
            t->dep = p->spec.dep_ids[labels[i]];
            t->sent_start = (int8_t)st.words[i].sent_start;
        }
    }
    doc->layers |= NLP_HAS_DEP | NLP_HAS_SENTS;
    return NLP_OK;
}

static nlp_status_t parser_labels(const nlp__component_t *self,
                                  const char **labels, size_t cap, size_t *n) {
    const parser_t *p = (const parser_t *)self;
    for (size_t i = 0; i < p->n_out_labels && i < cap; i++)
        labels[i] = p->out_labels[i];
    *n = p->n_out_labels;
    return NLP_OK;
}

/* Joins prefix and suffix into a section name in buf. */
static nlp_status_t section_name(char *buf, size_t cap, const char *prefix,
                                 const char *suffix) {
    size_t a = strlen(prefix), b = strlen(suffix);
    if (a + b > NLP__MODEL_SECTION_NAME_MAX || a + b >= cap)
        return nlp__fail(NLP_INVALID_ARG, "parser: section name %s%s too long",
                         prefix, suffix);
    memcpy(buf, prefix, a);
    memcpy(buf + a, suffix, b + 1);
    return NLP_OK;
}

static nlp_status_t parser_save(const nlp__component_t *self,
                                nlp__model_writer_t *writer,
                                const char *prefix) {
    const parser_t *p = (const parser_t *)self;
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    void *meta = NULL;
    size_t meta_len = 0;
    nlp_status_t st = section_name(name, sizeof name, prefix, "meta");
    if (st == NLP_OK)
        st = nlp__parser_spec_encode(&p->spec, p->alloc, &meta, &meta_len);
    if (st == NLP_OK)
        st = nlp__model_writer_add(writer, name, meta, meta_len);
    if (st == NLP_OK)
        st = section_name(name, sizeof name, prefix, "weights");
    if (st == NLP_OK)
        st = nlp__model_writer_add(writer, name, p->image, p->image_len);
    nlp__free(p->alloc, meta);
    return st;
}

static void parser_free(nlp__component_t *self) {
    parser_t *p = (parser_t *)self;
    if (!p)
        return;
    nlp__arena_destroy(&p->arena);
    nlp__chunk_cache_destroy(&p->cache);
    nlp__free(p->alloc, p->owned_image);
    nlp__free(p->alloc, p);
}

static const nlp__component_ops_t parser_ops = {
    .name = "parser",
    .process = parser_process,
    .labels = parser_labels,
    .save = parser_save,
    .free = parser_free,
};

/* Interns the undecorated labels in the vocabulary (so token.dep ids
 * resolve) and lists them for the labels op. */
static nlp_status_t register_labels(parser_t *p, nlp_vocab_t *vocab) {
    const nlp__parser_spec_t *s = &p->spec;
    p->out_labels = NLP__ARENA_NEW(&p->arena, const char *, s->n_labels);
    if (!p->out_labels)
        return nlp__fail(NLP_NOMEM, "parser: label list");
    for (uint32_t l = 1; l <= s->n_labels; l++) {
        if (s->deco.base[l] != l)
            continue;
        nlp_hash_t id;
        nlp_status_t st = nlp_vocab_add_string(vocab, NULL, s->names[l],
                                               strlen(s->names[l]), &id);
        if (st != NLP_OK)
            return st;
        p->out_labels[p->n_out_labels++] = s->names[l];
    }
    return NLP_OK;
}

nlp_status_t nlp__parser_create(nlp_vocab_t *vocab, const void *meta,
                                size_t meta_len, const void *image,
                                size_t image_len, void *owned_image,
                                nlp__component_t **out) {
    *out = NULL;
    const nlp_allocator_t *alloc = vocab->alloc;
    parser_t *p = nlp__calloc(alloc, 1, sizeof *p);
    if (!p) {
        nlp__free(alloc, owned_image);
        return nlp__fail(NLP_NOMEM, "parser: component");
    }
    p->base.ops = &parser_ops;
    p->alloc = alloc;
    p->owned_image = owned_image;
    p->image = image;
    p->image_len = image_len;
    nlp__chunk_cache_init(&p->cache, alloc, 16384, 1);
    nlp__arena_init(&p->arena, &p->cache);
    nlp_status_t st = nlp__linear_open(image, image_len, &p->model);
    if (st == NLP_OK)
        st = nlp__parser_spec_decode(meta, meta_len, &p->arena, &p->spec);
    p->spec.clusters = vocab->word_stats.n_slots != 0;
    if (st == NLP_OK && p->model.n_classes != p->spec.n_classes)
        st = nlp__fail(NLP_MODEL_CORRUPT, "parser: %u classes, weights have %u",
                       p->spec.n_classes, p->model.n_classes);
    if (st == NLP_OK)
        st = register_labels(p, vocab);
    if (st != NLP_OK) {
        parser_free(&p->base);
        return st;
    }
    *out = &p->base;
    return NLP_OK;
}

nlp_status_t nlp__parser_load(nlp_vocab_t *vocab, const nlp__model_reader_t *r,
                              const char *prefix, nlp__component_t **out) {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    const void *meta, *image;
    size_t meta_len, image_len;
    *out = NULL;
    nlp_status_t st = section_name(name, sizeof name, prefix, "meta");
    if (st == NLP_OK)
        st = nlp__model_reader_section(r, name, &meta, &meta_len);
    if (st == NLP_OK)
        st = section_name(name, sizeof name, prefix, "weights");
    if (st == NLP_OK)
        st = nlp__model_reader_section(r, name, &image, &image_len);
    if (st != NLP_OK)
        return st;
    return nlp__parser_create(vocab, meta, meta_len, image, image_len, NULL, out);
}
