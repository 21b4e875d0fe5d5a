/* Section naming shared by the components' save and load functions. */
#include "sections.h"

#include <stdio.h>

#include "core/alloc.h"

nlp_status_t nlp__section_name(char *buf, const char *prefix,
                               const char *suffix) {
    int n = snprintf(buf, NLP__MODEL_SECTION_NAME_MAX + 1, "%s%s", prefix, suffix);
    if (n < 0 || n > NLP__MODEL_SECTION_NAME_MAX)
        return nlp__fail(NLP_LIMIT, "section name \"%s%s\" is too long", prefix,
                         suffix);
    return NLP_OK;
}

nlp_status_t nlp__section_put(nlp__model_writer_t *w, const char *prefix,
                              const char *suffix, const void *data, size_t len) {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    nlp_status_t st = nlp__section_name(name, prefix, suffix);
    return st ? st : nlp__model_writer_add(w, name, data, len);
}

nlp_status_t nlp__section_get(const nlp__model_reader_t *r, const char *prefix,
                              const char *suffix, const void **data,
                              size_t *len) {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    nlp_status_t st = nlp__section_name(name, prefix, suffix);
    if (st) return st;
    st = nlp__model_reader_section(r, name, data, len);
    if (st == NLP_NOT_FOUND)
        return nlp__fail(NLP_MODEL_CORRUPT, "the model has no section \"%s\"", name);
    return st;
}

nlp_status_t nlp__section_get_optional(const nlp__model_reader_t *r,
                                       const char *prefix, const char *suffix,
                                       const void **data, size_t *len) {
    char name[NLP__MODEL_SECTION_NAME_MAX + 1];
    nlp_status_t st = nlp__section_name(name, prefix, suffix);
    if (st) return st;
    st = nlp__model_reader_section(r, name, data, len);
    if (st == NLP_NOT_FOUND) {
        nlp__clear_error();
        *data = NULL;
        *len = 0;
        return NLP_OK;
    }
    return st;
}

nlp_status_t nlp__sections_put_all(nlp__model_writer_t *w, const char *prefix,
                                   const char *const *suffix, size_t n,
                                   const void *const *data, const size_t *len) {
    nlp_status_t st = NLP_OK;
    for (size_t i = 0; i < n && !st; i++)
        st = nlp__section_put(w, prefix, suffix[i], data[i], len[i]);
    return st;
}

nlp_status_t nlp__sections_get_all(const nlp__model_reader_t *r,
                                   const char *prefix,
                                   const char *const *suffix, size_t n,
                                   const void **data, size_t *len) {
    nlp_status_t st = NLP_OK;
    for (size_t i = 0; i < n && !st; i++)
        st = nlp__section_get(r, prefix, suffix[i], &data[i], &len[i]);
    return st;
}

nlp_status_t nlp__sections_load(const nlp__model_reader_t *r,
                                const char *prefix,
                                const char *const *suffix, size_t n,
                                const void **data, size_t *len,
                                nlp__component_t *c, nlp_vocab_t *vocab,
                                nlp__attach_fn attach, nlp__component_t **out) {
    *out = NULL;
    nlp_status_t st = nlp__sections_get_all(r, prefix, suffix, n, data, len);
    if (!st) st = attach(c, vocab);
    if (st) {
        c->ops->free(c);
        return st;
    }
    *out = c;
    return NLP_OK;
}
