/* UTF-8 stepping shared by the tokenizer and its pattern matcher.
 *
 * The text is never validated up front. Where the bytes at a position do not
 * form a valid UTF-8 sequence, that one byte is read as U+FFFD (REPLACEMENT
 * CHARACTER, a symbol), exactly as the lexeme attributes read it, so every
 * part of the library agrees on where characters begin. Because a valid
 * sequence never contains a lead byte after its first byte, stepping
 * backwards finds the same boundaries as stepping forwards.
 */
#ifndef NLP_TOKENIZER_UTF8_H
#define NLP_TOKENIZER_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <utf8proc.h>

#define NLP__UTF8_INVALID 0xFFFD

/* Reads the code point starting at s[pos] (pos < end) and stores its length
 * in bytes (1..4) in *len. */
static inline int32_t nlp__utf8_next(const char *s, size_t pos, size_t end,
                                     size_t *len) {
    unsigned char c = (unsigned char)s[pos];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + pos,
                                          (utf8proc_ssize_t)(end - pos), &cp);
    if (k <= 0) {
        *len = 1;
        return NLP__UTF8_INVALID;
    }
    *len = (size_t)k;
    return cp;
}

/* Reads the code point ending at s[pos] (exclusive; start < pos) and stores
 * its length in *len, finding the boundary nlp__utf8_next would find. */
static inline int32_t nlp__utf8_prev(const char *s, size_t start, size_t pos,
                                     size_t *len) {
    unsigned char c = (unsigned char)s[pos - 1];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    /* A continuation byte: look back for the lead byte of a valid sequence
     * that ends exactly at pos. */
    for (size_t k = 2; k <= 4 && k <= pos - start; k++) {
        unsigned char lead = (unsigned char)s[pos - k];
        if ((lead & 0xC0) == 0x80) continue;
        size_t n;
        int32_t cp = nlp__utf8_next(s, pos - k, pos, &n);
        if (n == k) { /* invalid sequences have length 1 */
            *len = k;
            return cp;
        }
        break;
    }
    *len = 1;
    return NLP__UTF8_INVALID;
}

/* Whitespace as the lexeme attributes define it: the ASCII controls \t \n
 * \v \f \r, Unicode space separators (Zs), U+0085, U+2028 and U+2029. */
static inline int nlp__utf8_is_space(int32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= '\t' && cp <= '\r');
    return cp == 0x85 || cp == 0x2028 || cp == 0x2029 ||
           utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

#endif
