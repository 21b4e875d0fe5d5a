/* Lexeme attributes from text. Unicode categories and case mappings come
 * from utf8proc; invalid UTF-8 bytes count as U+FFFD (a symbol). */
#include "lexattrs.h"

#include <string.h>
#include <utf8proc.h>

#define MAX_CPS 256 /* attributes of longer words look at the first 256 */
#define SHAPE_RUN_MAX 4

typedef struct decoded {
    int32_t cp[MAX_CPS];
    size_t n;       /* code points decoded (capped) */
    size_t total;   /* code points in the whole string */
    int ascii;
} decoded_t;

static void decode(const char *s, size_t len, decoded_t *d) {
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    d->n = d->total = 0;
    d->ascii = 1;
    size_t i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            cp = 0xFFFD;
            k = 1;
        }
        if (cp >= 0x80) d->ascii = 0;
        if (d->n < MAX_CPS) d->cp[d->n++] = cp;
        d->total++;
        i += (size_t)k;
    }
}

static int is_letter(int32_t cp) {
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return 1;
    default:
        return 0;
    }
}

static int is_punct_cp(int32_t cp) {
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_PO;
}

static int is_space_cp(int32_t cp) {
    return cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' ||
           utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x85;
}

static int is_digit_cp(int32_t cp) {
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_ND;
}

static int is_upper_cp(int32_t cp) { return utf8proc_isupper(cp); }
static int is_lower_cp(int32_t cp) { return utf8proc_islower(cp); }

static int all_of(const decoded_t *d, int (*pred)(int32_t)) {
    if (d->n == 0) return 0;
    for (size_t i = 0; i < d->n; i++)
        if (!pred(d->cp[i])) return 0;
    return 1;
}

/* Python's str.islower/isupper: at least one cased character and none of
 * the other case. */
static int cased_only(const decoded_t *d, int (*want)(int32_t),
                      int (*other)(int32_t)) {
    int seen = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (other(d->cp[i])) return 0;
        if (want(d->cp[i])) seen = 1;
    }
    return seen;
}

/* Python's str.istitle: upper-case letters only start a cased run. */
static int is_title(const decoded_t *d) {
    int prev_cased = 0, seen = 0;
    for (size_t i = 0; i < d->n; i++) {
        int32_t cp = d->cp[i];
        if (is_upper_cp(cp) || utf8proc_category(cp) == UTF8PROC_CATEGORY_LT) {
            if (prev_cased) return 0;
            prev_cased = seen = 1;
        } else if (is_lower_cp(cp)) {
            if (!prev_cased) return 0;
            prev_cased = 1;
        } else {
            prev_cased = 0;
        }
    }
    return seen;
}

static const char *const number_words[] = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
    "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
    "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "thousand", "million", "billion", "trillion", "quadrillion", "dozen",
    "first", "second", "third", "fourth", "fifth", "tenth", "hundredth", NULL};

static int like_num(const char *s, size_t len, const char *lower) {
    size_t i = 0;
    if (len && (s[0] == '+' || s[0] == '-' || s[0] == '~' || s[0] == '$')) i++;
    size_t digits = 0, slashes = 0, other = 0;
    for (size_t j = i; j < len; j++) {
        char c = s[j];
        if (c >= '0' && c <= '9') digits++;
        else if (c == '/') slashes++;
        else if (c != ',' && c != '.') other++;
    }
    if (digits && !other && slashes <= 1) return 1;
    for (const char *const *w = number_words; *w; w++)
        if (strcmp(lower, *w) == 0) return 1;
    return 0;
}

static int like_email(const char *s, size_t len) {
    const char *at = memchr(s, '@', len);
    if (!at || at == s) return 0;
    const char *dom = at + 1;
    size_t dlen = len - (size_t)(dom - s);
    const char *dot = NULL;
    for (size_t i = 0; i < dlen; i++) {
        char c = dom[i];
        if (c == '@' || c == ' ') return 0;
        if (c == '.') dot = dom + i;
    }
    return dot && dot > dom && dot + 1 < dom + dlen;
}

static int like_url(const char *s, size_t len) {
    static const char *const starts[] = {"http://", "https://", "ftp://",
                                         "www.", NULL};
    for (const char *const *p = starts; *p; p++) {
        size_t n = strlen(*p);
        if (len > n && strncmp(s, *p, n) == 0) return 1;
    }
    if (len < 4 || memchr(s, '@', len)) return 0;
    /* name.tld: a dot followed by a short lower-case alphabetic suffix. */
    const char *dot = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.') dot = s + i;
    if (!dot || dot == s) return 0;
    size_t tail = len - (size_t)(dot + 1 - s);
    static const char *const tlds[] = {"com", "org", "net", "edu", "gov", "io",
                                       "co", "uk", "de", "info", "biz", NULL};
    for (const char *const *t = tlds; *t; t++) {
        size_t n = strlen(*t);
        if (tail >= n && strncmp(dot + 1, *t, n) == 0 &&
            (tail == n || dot[1 + n] == '/'))
            return 1;
    }
    return 0;
}

static int is_quote_cp(int32_t cp) {
    switch (cp) {
    case '"': case '\'': case '`': case 0xAB: case 0xBB: case 0x2018:
    case 0x2019: case 0x201A: case 0x201B: case 0x201C: case 0x201D:
    case 0x201E: case 0x201F: case 0x2039: case 0x203A: case 0x300C:
    case 0x300D:
        return 1;
    default:
        return 0;
    }
}

static int is_bracket_cp(int32_t cp) {
    return cp == '(' || cp == ')' || cp == '[' || cp == ']' || cp == '{' ||
           cp == '}' || cp == '<' || cp == '>';
}

static int is_left_punct_cp(int32_t cp) {
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_PS || c == UTF8PROC_CATEGORY_PI ||
           cp == 0x201E || cp == '`';
}

static int is_right_punct_cp(int32_t cp) {
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_PE || c == UTF8PROC_CATEGORY_PF;
}

static int is_currency_cp(int32_t cp) {
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_SC;
}

static size_t encode(int32_t cp, char *out) {
    return (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
}

static int32_t shape_char(int32_t cp) {
    if (is_digit_cp(cp)) return 'd';
    if (is_letter(cp)) return is_upper_cp(cp) ? 'X' : 'x';
    return cp;
}

static nlp_status_t add(nlp_vocab_t *v, nlp_zone_t *z, const char *s,
                        size_t len, nlp_hash_t *id) {
    nlp_status_t st;
    nlp__vocab_intern(v, z, s, len, id, &st);
    return st;
}

/* Lower-case text of `d` into buf (at most 4 bytes per code point); for
 * words longer than MAX_CPS the rest is lower-cased byte by byte for ASCII
 * and copied otherwise. */
static size_t lower_text(const decoded_t *d, const char *s, size_t len,
                         char *buf) {
    if (d->n == d->total) {
        size_t n = 0;
        for (size_t i = 0; i < d->n; i++)
            n += encode(utf8proc_tolower(d->cp[i]), buf + n);
        return n;
    }
    for (size_t i = 0; i < len; i++)
        buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    return len;
}

size_t nlp__lexattrs_lower(const char *s, size_t len, char *buf) {
    decoded_t d;
    decode(s, len, &d);
    return lower_text(&d, s, len, buf);
}

void nlp__lexattrs_word_stats(const nlp_vocab_t *v, nlp_lexeme_t *lex) {
    nlp__word_stat_t w = nlp__word_stats_get(&v->word_stats, lex->orth);
    /* Sentence-initial and shouted forms borrow the cluster of the lower
     * case; the probability stays the form's own, since how often a word
     * is capitalised is what tells names from common words. */
    if (!w.cluster && lex->lower != lex->orth)
        w.cluster = nlp__word_stats_get(&v->word_stats, lex->lower).cluster;
    lex->cluster = w.cluster;
    lex->prob = w.prob;
}

nlp_status_t nlp__lexattrs_fill(nlp_vocab_t *v, nlp_zone_t *z, const char *s,
                                size_t len, nlp_lexeme_t *lex) {
    decoded_t d;
    decode(s, len, &d);
    lex->length = (uint32_t)d.total;
    lex->n_bytes = (uint32_t)len;

    /* One buffer for the derived strings; 4 bytes per code point at most. */
    size_t cap = (d.n == d.total ? d.n * 4 : len) + 16;
    char small[1024];
    char *buf = cap <= sizeof small ? small : nlp__malloc(v->alloc, cap);
    if (!buf) return NLP_NOMEM;
    nlp_status_t st;

    size_t lower_len = lower_text(&d, s, len, buf);
    buf[lower_len] = '\0';
    uint32_t flags = 0;
    if (d.ascii) flags |= NLP_FLAG_IS_ASCII;
    if (all_of(&d, is_letter)) flags |= NLP_FLAG_IS_ALPHA;
    if (all_of(&d, is_digit_cp)) flags |= NLP_FLAG_IS_DIGIT;
    if (cased_only(&d, is_lower_cp, is_upper_cp)) flags |= NLP_FLAG_IS_LOWER;
    if (cased_only(&d, is_upper_cp, is_lower_cp)) flags |= NLP_FLAG_IS_UPPER;
    if (is_title(&d)) flags |= NLP_FLAG_IS_TITLE;
    if (all_of(&d, is_punct_cp)) flags |= NLP_FLAG_IS_PUNCT;
    if (all_of(&d, is_space_cp)) flags |= NLP_FLAG_IS_SPACE;
    if (d.n == 1 && is_quote_cp(d.cp[0])) flags |= NLP_FLAG_IS_QUOTE;
    if (d.n == 1 && is_bracket_cp(d.cp[0])) flags |= NLP_FLAG_IS_BRACKET;
    if (d.n == 1 && is_left_punct_cp(d.cp[0])) flags |= NLP_FLAG_IS_LEFT_PUNCT;
    if (d.n == 1 && is_right_punct_cp(d.cp[0])) flags |= NLP_FLAG_IS_RIGHT_PUNCT;
    if (all_of(&d, is_currency_cp)) flags |= NLP_FLAG_IS_CURRENCY;
    if (like_num(s, len, buf)) flags |= NLP_FLAG_LIKE_NUM;
    if (like_url(s, len)) flags |= NLP_FLAG_LIKE_URL;
    if (like_email(s, len)) flags |= NLP_FLAG_LIKE_EMAIL;
    nlp_hash_t lower_id = nlp_hash_string(buf, lower_len);
    if (nlp__table_get(&v->stop_words, lower_id)) flags |= NLP_FLAG_IS_STOP;
    lex->flags = flags;

    const nlp__string_t *norm;
    size_t n, run = 0;
    int32_t last = -1;
    if ((st = add(v, z, buf, lower_len, &lex->lower))) goto out;
    norm = nlp__table_get(&v->norm_exceptions, lex->orth);
    if (!norm) norm = nlp__table_get(&v->norm_exceptions, lex->lower);
    lex->norm = norm ? nlp_hash_string(norm->bytes, norm->len) : lex->lower;
    nlp__lexattrs_word_stats(v, lex);

    /* Shape: X/x/d per character, runs of one kind capped at four. */
    n = 0;
    for (size_t i = 0; i < d.n; i++) {
        int32_t c = shape_char(d.cp[i]);
        run = c == last ? run + 1 : 1;
        last = c;
        if (run <= SHAPE_RUN_MAX) n += encode(c, buf + n);
    }
    if ((st = add(v, z, buf, n, &lex->shape))) goto out;

    n = d.n ? encode(d.cp[0], buf) : 0;
    if ((st = add(v, z, buf, n, &lex->prefix))) goto out;
    n = 0;
    for (size_t i = d.n > 3 ? d.n - 3 : 0; i < d.n; i++) n += encode(d.cp[i], buf + n);
    st = add(v, z, buf, n, &lex->suffix);
out:
    if (buf != small) nlp__free(v->alloc, buf);
    return st;
}
