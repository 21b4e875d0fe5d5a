/* Status names and messages, generated from NLP_STATUS_LIST, plus the
 * version calls and the public hash function. */
#include <xxhash.h>

#include "spacyc/common.h"

static const char *const status_text[] = {
#define NLP_STATUS_TEXT_(name, text) text,
    NLP_STATUS_LIST(NLP_STATUS_TEXT_)
#undef NLP_STATUS_TEXT_
};

static const char *const status_names[] = {
#define NLP_STATUS_NAME_(name, text) #name,
    NLP_STATUS_LIST(NLP_STATUS_NAME_)
#undef NLP_STATUS_NAME_
};

const char *nlp_strerror(int status) {
    if (status < 0 || status >= NLP_STATUS_COUNT_) return "unknown status";
    return status_text[status];
}

const char *nlp_status_name(int status) {
    if (status < 0 || status >= NLP_STATUS_COUNT_) return "UNKNOWN";
    return status_names[status];
}

unsigned nlp_version(void) { return NLP_VERSION_NUMBER; }

const char *nlp_version_string(void) { return NLP_VERSION_STRING; }

nlp_hash_t nlp_hash_string(const char *s, size_t len) {
    /* spaCy's convention: the empty string is id 0. */
    return len ? XXH3_64bits(s, len) : 0;
}
