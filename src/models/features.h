/* Feature ids for the linear models: a template id mixed with attribute
 * values into one 64-bit id.
 *
 * Every component numbers its own templates (small integers) and combines
 * them with attribute values (string ids, class indices, small integers).
 * The results are deterministic on every platform and never 0, which the
 * perceptron reserves for "no feature". All functions are pure and
 * thread-safe.
 */
#ifndef NLP_MODELS_FEATURES_H
#define NLP_MODELS_FEATURES_H

#include <stddef.h>
#include <stdint.h>

/* A strong 64-bit finaliser (xor-shift-multiply); distinct inputs give
 * distinct outputs (it is a bijection). */
static inline uint64_t nlp__feat_mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dull;
    x ^= x >> 33;
    return x;
}

/* Folds one more value into a partial id. */
static inline uint64_t nlp__feat_add(uint64_t h, uint64_t v) {
    return nlp__feat_mix(h ^ v) + 0x9e3779b97f4a7c15ull;
}

static inline uint64_t nlp__feat_start(uint32_t tmpl) {
    return nlp__feat_mix(((uint64_t)tmpl + 1) * 0x9e3779b97f4a7c15ull);
}

static inline uint64_t nlp__feat_end(uint64_t h) { return h ? h : 1; }

/* The id of template `tmpl` with one, two or three values. */
static inline uint64_t nlp__feat1(uint32_t tmpl, uint64_t a) {
    return nlp__feat_end(nlp__feat_add(nlp__feat_start(tmpl), a));
}

static inline uint64_t nlp__feat2(uint32_t tmpl, uint64_t a, uint64_t b) {
    return nlp__feat_end(
        nlp__feat_add(nlp__feat_add(nlp__feat_start(tmpl), a), b));
}

static inline uint64_t nlp__feat3(uint32_t tmpl, uint64_t a, uint64_t b,
                                  uint64_t c) {
    return nlp__feat_end(nlp__feat_add(
        nlp__feat_add(nlp__feat_add(nlp__feat_start(tmpl), a), b), c));
}

/* The id of template `tmpl` with the bytes s[0..len) as its value (for
 * substrings that have no string id, e.g. a suffix of a given length). */
uint64_t nlp__feat_bytes(uint32_t tmpl, const char *s, size_t len);

/* Byte length of the first `k` code points of UTF-8 text s[0..len) (all
 * of it when it has fewer). Continuation bytes never start a code point,
 * so invalid UTF-8 only changes where the cut falls. */
size_t nlp__utf8_prefix_bytes(const char *s, size_t len, size_t k);
/* Byte offset where the last `k` code points of s[0..len) begin (0 when
 * it has fewer). */
size_t nlp__utf8_suffix_start(const char *s, size_t len, size_t k);

#endif
