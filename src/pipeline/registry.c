#include "registry.h"

#include <string.h>

#include "models/train.h"

static const nlp__component_kind_t component_kinds[] = {
    {"tagger", nlp__tagger_load},
    {"lemmatizer", nlp__lemmatizer_load},
    {"senter", nlp__senter_load},
    {"parser", nlp__parser_load},
    {"ner", nlp__ner_load},
    {"sentencizer", nlp__sentencizer_load},
    {NULL, NULL},
};

const nlp__component_kind_t *nlp__find_component_kind(const char *name,
                                                      size_t len) {
    for (size_t i = 0; component_kinds[i].name; i++)
        if (strlen(component_kinds[i].name) == len &&
            memcmp(component_kinds[i].name, name, len) == 0)
            return &component_kinds[i];
    return NULL;
}
