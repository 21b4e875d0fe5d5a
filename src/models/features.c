/* Feature hashing helpers that need more than a few instructions. */
#include "features.h"

#include <xxhash.h>

uint64_t nlp__feat_bytes(uint32_t tmpl, const char *s, size_t len) {
    return nlp__feat1(tmpl, XXH3_64bits(s, len));
}

static int is_continuation(unsigned char c) { return (c & 0xc0) == 0x80; }

size_t nlp__utf8_prefix_bytes(const char *s, size_t len, size_t k) {
    size_t i = 0;
    while (i < len && k > 0) {
        i++;
        while (i < len && is_continuation((unsigned char)s[i])) i++;
        k--;
    }
    return i;
}

size_t nlp__utf8_suffix_start(const char *s, size_t len, size_t k) {
    size_t i = len;
    while (i > 0 && k > 0) {
        i--;
        while (i > 0 && is_continuation((unsigned char)s[i])) i--;
        k--;
    }
    return i;
}
