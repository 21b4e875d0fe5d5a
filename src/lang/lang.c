/* Looking up a language's data by its code. */
#include <string.h>

#include "lang.h"
#include "tokenizer/tokenizer.h"

typedef struct language {
    const char *code;
    const nlp__tokenizer_rules_t *rules;
    const nlp__lex_lang_t *lex;
} language_t;

static const language_t languages[] = {
    {"en", &nlp__en_tokenizer_rules, &nlp__en_lex_lang},
};

static const language_t *find(const char *lang) {
    if (!lang) return NULL;
    for (size_t i = 0; i < sizeof languages / sizeof languages[0]; i++)
        if (strcmp(languages[i].code, lang) == 0) return &languages[i];
    return NULL;
}

const nlp__tokenizer_rules_t *nlp__tokenizer_rules_for(const char *lang) {
    const language_t *l = find(lang);
    return l ? l->rules : NULL;
}

const nlp__lex_lang_t *nlp__lex_lang_for(const char *lang) {
    const language_t *l = find(lang);
    return l ? l->lex : NULL;
}
