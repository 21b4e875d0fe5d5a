#include "registry.h"

#include <string.h>

#include "models/train.h"

#define TAGS (NLP_HAS_TAG | NLP_HAS_POS)

/* What each kind needs and writes lets a pipeline refuse to leave out a
 * component whose output a later one needs (see nlp_load_exclude).
 * Sentence boundaries are used but not needed: the parser keeps preset
 * ones and the entity recognizer decodes sentence by sentence, yet both
 * work without them. A parser reads supertags where its pipeline has a
 * supertagger: it was trained with them. */
static const nlp__component_kind_t component_kinds[] = {
    {"tagger", nlp__tagger_load, 0, TAGS | NLP_HAS_MORPH},
    {"supertagger", nlp__supertagger_load, 0, NLP__LAYER_SUPERTAGS},
    {"lemmatizer", nlp__lemmatizer_load, TAGS, NLP_HAS_LEMMA},
    {"senter", nlp__senter_load, NLP_HAS_TAG, NLP_HAS_SENTS},
    {"parser", nlp__parser_load, TAGS | NLP__LAYER_SUPERTAGS,
     NLP_HAS_DEP | NLP_HAS_SENTS},
    {"ner", nlp__ner_load, 0, NLP_HAS_ENTS},
    {"sentencizer", nlp__sentencizer_load, 0, NLP_HAS_SENTS},
    {NULL, NULL, 0, 0},
};

const nlp__component_kind_t *nlp__find_component_kind(const char *name,
                                                      size_t len) {
    for (size_t i = 0; component_kinds[i].name; i++)
        if (strlen(component_kinds[i].name) == len &&
            memcmp(component_kinds[i].name, name, len) == 0)
            return &component_kinds[i];
    return NULL;
}
