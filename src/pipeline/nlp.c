/* The Language object: vocabulary + tokenizer + ordered components, created
 * blank or loaded from a model file. */
#include "nlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "doc/doc.h"
#include "models/sections.h"
#include "models/train_util.h"
#include "registry.h"

#define SCRATCH_CHUNK (64u << 10)
/* The vocabulary's word statistics (core/word_stats.h), when the model has them. */
#define WORD_STATS_PREFIX "vocab."
#define WORD_STATS_SUFFIX "word_stats"

/* A caller's allocator must give all three functions (NULL: the default);
 * `call` names the public call in the detail. */
static nlp_status_t check_allocator(const nlp_allocator_t *alloc, const char *call) {
    if (!alloc || (alloc->malloc_fn && alloc->realloc_fn && alloc->free_fn)) return NLP_OK;
    return nlp__fail(NLP_INVALID_ARG, "%s: the allocator lacks one of its three functions",
                     call);
}

static nlp_status_t create_blank(const char *lang, const nlp_allocator_t *alloc,
                                 nlp_t **out) {
    nlp_status_t st = check_allocator(alloc, "nlp_create_blank");
    if (st) return st;
    if (!lang) lang = "en";
    const nlp__lex_lang_t *lex_lang = nlp__lex_lang_for(lang);
    if (!lex_lang)
        return nlp__fail(NLP_UNSUPPORTED, "no language data for \"%s\"", lang);
    alloc = nlp__allocator_or_default(alloc);
    nlp_t *nlp = nlp__calloc(alloc, 1, sizeof *nlp);
    if (!nlp) return NLP_NOMEM;
    nlp->alloc = alloc;
    nlp__chunk_cache_init(&nlp->scratch_cache, alloc, SCRATCH_CHUNK, 4);
    nlp__arena_init(&nlp->scratch, &nlp->scratch_cache);
    if ((st = nlp__vocab_create(alloc, lex_lang, &nlp->vocab)) ||
        (st = nlp__tokenizer_create(nlp->vocab, lang, &nlp->tokenizer)) ||
        (st = nlp__space_ids_init(nlp->vocab, &nlp->space)) ||
        (st = nlp__set_meta(nlp, "lang", lang))) {
        nlp_free(nlp);
        return st;
    }
    *out = nlp;
    return NLP_OK;
}

nlp_status_t nlp_create_blank(const char *lang, const nlp_allocator_t *alloc,
                              nlp_t **out) {
    if (!out) return NLP__FAIL_ARGUMENTS();
    *out = NULL;
    uint64_t mark = nlp__failures();
    return nlp__name_failure(create_blank(lang, alloc, out), mark, __func__);
}

void nlp_free(nlp_t *nlp) {
    if (!nlp) return;
    for (size_t i = 0; i < nlp->n_components; i++)
        nlp->components[i]->ops->free(nlp->components[i]);
    nlp__tokenizer_free(nlp->tokenizer);
    nlp__vocab_free(nlp->vocab);
    nlp__model_reader_close(nlp->model);
    for (size_t i = 0; i < nlp->n_meta; i++) {
        nlp__free(nlp->alloc, nlp->meta_keys[i]);
        nlp__free(nlp->alloc, nlp->meta_values[i]);
    }
    nlp__arena_destroy(&nlp->scratch);
    nlp__chunk_cache_destroy(&nlp->scratch_cache);
    nlp__free(nlp->alloc, nlp);
}

nlp_status_t nlp__add_component(nlp_t *nlp, nlp__component_t *c) {
    if (nlp->n_components == NLP__MAX_COMPONENTS) {
        c->ops->free(c);
        return nlp__fail(NLP_LIMIT, "more than %d components",
                         NLP__MAX_COMPONENTS);
    }
    nlp->components[nlp->n_components++] = c;
    return NLP_OK;
}

nlp_status_t nlp__set_meta(nlp_t *nlp, const char *key, const char *value) {
    char *v = nlp__strndup(nlp->alloc, value, strlen(value));
    if (!v) return NLP_NOMEM;
    for (size_t i = 0; i < nlp->n_meta; i++) {
        if (strcmp(nlp->meta_keys[i], key) == 0) {
            nlp__free(nlp->alloc, nlp->meta_values[i]);
            nlp->meta_values[i] = v;
            return NLP_OK;
        }
    }
    char *k = nlp__strndup(nlp->alloc, key, strlen(key));
    if (!k || nlp->n_meta == NLP__MAX_META) {
        nlp__free(nlp->alloc, k);
        nlp__free(nlp->alloc, v);
        return k ? nlp__fail(NLP_LIMIT, "too many metadata keys") : NLP_NOMEM;
    }
    nlp->meta_keys[nlp->n_meta] = k;
    nlp->meta_values[nlp->n_meta++] = v;
    return NLP_OK;
}

const char *nlp_meta(const nlp_t *nlp, const char *key) {
    if (!nlp || !key) return NULL;
    for (size_t i = 0; i < nlp->n_meta; i++)
        if (strcmp(nlp->meta_keys[i], key) == 0) return nlp->meta_values[i];
    return NULL;
}

/* The "meta" section: lines of "key=value". */
static nlp_status_t parse_meta(nlp_t *nlp, const char *data, size_t len) {
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *eq = memchr(p, '=', (size_t)(line_end - p));
        if (!eq || eq == p || line_end - p > 4000)
            return nlp__fail(NLP_MODEL_CORRUPT, "bad metadata line");
        char key[256], value[4000];
        size_t kl = (size_t)(eq - p), vl = (size_t)(line_end - eq - 1);
        if (kl >= sizeof key) return nlp__fail(NLP_MODEL_CORRUPT, "bad metadata key");
        memcpy(key, p, kl);
        key[kl] = '\0';
        memcpy(value, eq + 1, vl);
        value[vl] = '\0';
        nlp_status_t st = nlp__set_meta(nlp, key, value);
        if (st) return st;
        p = line_end + (nl ? 1 : 0);
    }
    return NLP_OK;
}

/* Whether the comma-separated `list` names name[0..len). */
static int list_has(const char *list, const char *name, size_t len) {
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, name, len) == 0) return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Checks that every name in `exclude` is in `pipeline` (both
 * comma-separated; exclude may be NULL or ""). */
static nlp_status_t check_exclude(const char *pipeline, const char *exclude) {
    if (!exclude || !*exclude) return NLP_OK;
    for (const char *p = exclude;; p++) {
        size_t n = strcspn(p, ",");
        if (n == 0 || !list_has(pipeline, p, n))
            return nlp__fail(NLP_INVALID_ARG,
                             "exclude: \"%.*s\" is not a component of this "
                             "model (its pipeline: %s)", (int)n, p, pipeline);
        p += n;
        if (!*p) return NLP_OK;
    }
}

/* Loads the components of `list` in order, leaving out those `exclude`
 * names. A kept component may not read a layer that only an excluded one
 * before it would have set. The "pipeline" metadata becomes the kept list. */
static nlp_status_t load_components(nlp_t *nlp, const char *list,
                                    const char *exclude) {
    nlp_status_t st = check_exclude(list, exclude);
    if (st) return st;
    char kept[512] = "";
    unsigned written = 0; /* layers set by kept components so far */
    const char *lost_to[8] = {0}; /* per layer bit: the excluded writer */
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        const nlp__component_kind_t *kind = nlp__find_component_kind(p, len);
        if (!kind)
            return nlp__fail(NLP_MODEL_CORRUPT, "unknown component \"%.*s\"",
                             (int)len, p);
        p += len + (p[len] == ',');
        if (list_has(exclude, kind->name, strlen(kind->name))) {
            for (unsigned b = 0; b < 8; b++)
                if (kind->writes & ~written & (1u << b)) lost_to[b] = kind->name;
            continue;
        }
        for (unsigned b = 0; b < 8; b++)
            if ((kind->reads & ~written & (1u << b)) && lost_to[b])
                return nlp__fail(NLP_INVALID_ARG,
                                 "exclude: %s reads what %s writes (exclude "
                                 "%s too, or keep %s)", kind->name, lost_to[b],
                                 kind->name, lost_to[b]);
        written |= kind->writes;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s.", kind->name);
        nlp__component_t *c;
        uint64_t mark = nlp__failures();
        if ((st = kind->load(nlp->vocab, nlp->model, prefix, &c)))
            return nlp__name_failure(st, mark, kind->name);
        if ((st = nlp__add_component(nlp, c))) return st;
        size_t used = strlen(kept);
        snprintf(kept + used, sizeof kept - used, "%s%s", used ? "," : "", kind->name);
    }
    return exclude && *exclude ? nlp__set_meta(nlp, "pipeline", kept) : NLP_OK;
}

/* Gives the vocabulary the model's word statistics, when it has them. */
static nlp_status_t load_word_stats(nlp_t *nlp, const char *path) {
    const void *stats;
    size_t len;
    nlp_status_t st = nlp__section_get_optional(nlp->model, WORD_STATS_PREFIX,
                                                WORD_STATS_SUFFIX, &stats, &len);
    if (!st && stats) st = nlp__vocab_set_word_stats(nlp->vocab, stats, len, 0);
    if (!st) return NLP_OK;
    char why[256];
    snprintf(why, sizeof why, "%s", nlp_error_detail());
    return nlp__fail(st, "%s: section \"%s%s\": %s", path, WORD_STATS_PREFIX,
                     WORD_STATS_SUFFIX, why);
}

nlp_status_t nlp_load(const char *path, const nlp_allocator_t *alloc,
                      nlp_t **out) {
    return nlp_load_exclude(path, NULL, alloc, out);
}

static nlp_status_t load_exclude(const char *path, const char *exclude,
                                 const nlp_allocator_t *alloc, nlp_t **out) {
    nlp_status_t st = check_allocator(alloc, "nlp_load");
    if (st) return st;
    nlp__model_reader_t *model;
    st = nlp__model_reader_open(path, alloc, &model);
    if (st) return st;
    const void *meta;
    size_t meta_len;
    if (nlp__model_reader_section(model, "meta", &meta, &meta_len)) {
        nlp__model_reader_close(model);
        return nlp__fail(NLP_MODEL_CORRUPT, "%s: no \"meta\" section", path);
    }
    /* The language comes first: the vocabulary depends on it. */
    nlp_t *probe;
    if ((st = nlp_create_blank("en", alloc, &probe))) {
        nlp__model_reader_close(model);
        return st;
    }
    probe->model = model;
    const char *pipeline;
    if ((st = parse_meta(probe, meta, meta_len))) goto fail;
    /* Before the components: their lexicons may make lexemes. */
    if ((st = load_word_stats(probe, path))) goto fail;
    pipeline = nlp_meta(probe, "pipeline");
    if ((st = load_components(probe, pipeline ? pipeline : "", exclude))) goto fail;
    *out = probe;
    return NLP_OK;
fail:
    nlp_free(probe);
    return st;
}

nlp_status_t nlp_load_exclude(const char *path, const char *exclude,
                              const nlp_allocator_t *alloc, nlp_t **out) {
    if (!path || !out) return NLP__FAIL_ARGUMENTS();
    *out = NULL;
    uint64_t mark = nlp__failures();
    return nlp__name_failure(load_exclude(path, exclude, alloc, out), mark, path);
}

const char *nlp_default_model_path(void) {
    const char *env = getenv("SPACYC_MODEL");
    if (env && *env) return env;
    FILE *f = fopen(NLP_DEFAULT_MODEL_INSTALLED, "rb");
    if (f) {
        fclose(f);
        return NLP_DEFAULT_MODEL_INSTALLED;
    }
    return NLP_DEFAULT_MODEL_SOURCE;
}

nlp_status_t nlp_load_default(const nlp_allocator_t *alloc, nlp_t **out) {
    return nlp_load(nlp_default_model_path(), alloc, out);
}

nlp_vocab_t *nlp_get_vocab(nlp_t *nlp) { return nlp ? nlp->vocab : NULL; }

nlp_status_t nlp_memory_zone_begin(nlp_t *nlp, nlp_zone_t **out) {
    if (!nlp || !out) return NLP__FAIL_ARGUMENTS();
    uint64_t mark = nlp__failures();
    return nlp__name_failure(nlp__zone_begin(nlp->vocab, out), mark, __func__);
}

nlp_status_t nlp_memory_zone_end(nlp_zone_t *zone) { return nlp__zone_end(zone); }

nlp_status_t nlp_tokenize(nlp_t *nlp, nlp_zone_t *zone, const char *text,
                          size_t len, nlp_doc_t **out) {
    if (!nlp || !out || (!text && len)) return NLP__FAIL_ARGUMENTS();
    *out = NULL;
    nlp_doc_t *doc;
    uint64_t mark = nlp__failures();
    nlp_status_t st = nlp__doc_create(nlp->vocab, zone, text, len, &doc);
    if (st) return nlp__name_failure(st, mark, __func__);
    if ((st = nlp__tokenizer_run(nlp->tokenizer, doc))) {
        nlp_doc_free(doc);
        return nlp__name_failure(st, mark, "tokenizer");
    }
    *out = doc;
    return NLP_OK;
}

typedef struct run_args {
    nlp_t *nlp;
    size_t first;
    nlp__arena_t *scratch;
} run_args_t;

static nlp_status_t run_each(void *ctx, nlp_doc_t *doc) {
    const run_args_t *a = ctx;
    return nlp__run_components_on((const nlp__component_t *const *)a->nlp->components + a->first,
                                  a->nlp->n_components - a->first, doc, a->scratch);
}

nlp_status_t nlp__run_components(nlp_t *nlp, nlp_doc_t *doc, size_t first) {
    if (first >= nlp->n_components) return NLP_OK;
    run_args_t args = {nlp, first, doc->zone ? &doc->zone->scratch : &nlp->scratch};
    uint64_t mark = nlp__failures();
    return nlp__name_failure(
        nlp__run_without_spaces(doc, args.scratch->cache, &nlp->space, run_each, &args),
        mark, "pipeline");
}

nlp_status_t nlp_process(nlp_t *nlp, nlp_doc_t *doc) {
    if (!nlp) return NLP__FAIL_ARGUMENTS();
    nlp_status_t st = nlp__doc_check(doc);
    if (st) return st;
    /* The components' string ids must resolve in the Doc's vocabulary. */
    if (doc->vocab != nlp->vocab)
        return nlp__fail(NLP_INVALID_ARG, "the Doc was made by another pipeline");
    return nlp__run_components(nlp, doc, 0);
}

nlp_status_t nlp_parse(nlp_t *nlp, nlp_zone_t *zone, const char *text,
                       size_t len, nlp_doc_t **out) {
    nlp_status_t st = nlp_tokenize(nlp, zone, text, len, out);
    if (st) return st;
    if ((st = nlp__run_components(nlp, *out, 0))) {
        nlp_doc_free(*out);
        *out = NULL;
    }
    return st;
}

nlp_status_t nlp_doc_from_words(nlp_t *nlp, nlp_zone_t *zone,
                                const char *const *words, const size_t *lens,
                                const uint8_t *spaces, size_t n,
                                nlp_doc_t **out) {
    if (!nlp || !out) return NLP__FAIL_ARGUMENTS();
    uint64_t mark = nlp__failures();
    return nlp__name_failure(nlp__doc_from_words(nlp->vocab, zone, words, lens, spaces, n, out),
                             mark, __func__);
}

size_t nlp_n_components(const nlp_t *nlp) { return nlp ? nlp->n_components : 0; }

const char *nlp_component_name(const nlp_t *nlp, size_t i) {
    if (!nlp || i >= nlp->n_components) return NULL;
    return nlp->components[i]->ops->name;
}

nlp_status_t nlp_component_labels(const nlp_t *nlp, size_t i,
                                  const char **labels, size_t cap, size_t *n) {
    if (!nlp || i >= nlp->n_components || !n || (!labels && cap))
        return NLP__FAIL_ARGUMENTS();
    const nlp__component_t *c = nlp->components[i];
    if (!c->ops->labels) {
        *n = 0;
        return NLP_OK;
    }
    return c->ops->labels(c, labels, cap, n);
}

nlp_status_t nlp__save(const nlp_t *nlp, const char *path) {
    nlp__model_writer_t *w;
    const nlp_vocab_t *v = nlp->vocab;
    nlp_status_t st = nlp__model_writer_create(nlp->alloc, &w);
    if (st) return st;
    /* Metadata, with the component list derived from the pipeline. */
    char meta[8192];
    size_t len = 0;
    for (size_t i = 0; i < nlp->n_meta && len < sizeof meta; i++)
        if (strcmp(nlp->meta_keys[i], "pipeline") != 0)
            len += (size_t)snprintf(meta + len, sizeof meta - len, "%s=%s\n",
                                    nlp->meta_keys[i], nlp->meta_values[i]);
    if (len < sizeof meta) len += (size_t)snprintf(meta + len, sizeof meta - len, "pipeline=");
    for (size_t i = 0; i < nlp->n_components && len < sizeof meta; i++)
        len += (size_t)snprintf(meta + len, sizeof meta - len, "%s%s", i ? "," : "",
                                nlp->components[i]->ops->name);
    if (len >= sizeof meta) {
        st = nlp__fail(NLP_LIMIT, "metadata too long");
        goto out;
    }
    if ((st = nlp__model_writer_add(w, "meta", meta, len))) goto out;
    if (v->word_stats_image &&
        (st = nlp__section_put(w, WORD_STATS_PREFIX, WORD_STATS_SUFFIX,
                               v->word_stats_image, v->word_stats_len)))
        goto out;
    for (size_t i = 0; i < nlp->n_components && !st; i++) {
        const nlp__component_t *c = nlp->components[i];
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s.", c->ops->name);
        st = c->ops->save(c, w, prefix);
    }
    if (!st) st = nlp__model_writer_save(w, path);
out:
    nlp__model_writer_free(w);
    return st;
}
