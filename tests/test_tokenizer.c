/* Tests of the tokenizer: the pattern dialect, the English rules, the
 * whitespace and round-trip guarantees, the cache under memory zones, and
 * token accuracy on UD English-EWT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "eval/token_align.h"
#include "io/corpus.h"
#include "pipeline/nlp.h"
#include "test_util.h"
#include "tokenizer/pattern.h"
#include "tokenizer/tokenizer_impl.h"

/* The non-whitespace tokens of `doc` joined by single spaces, in `buf`. */
static const char *joined(const nlp_doc_t *doc, char *buf, size_t cap) {
    const nlp_token_t *t;
    size_t n, at = 0;
    buf[0] = '\0';
    if (nlp_doc_tokens(doc, &t, &n)) return buf;
    for (size_t i = 0; i < n; i++) {
        if (t[i].lex->flags & NLP_FLAG_IS_SPACE) continue;
        int w = snprintf(buf + at, cap - at, "%s%.*s", at ? " " : "",
                         (int)t[i].len, doc->text + t[i].idx);
        if (w < 0 || (size_t)w >= cap - at) break;
        at += (size_t)w;
    }
    return buf;
}

/* Tokens, spaces and text agree: concatenating every token's text and a
 * ' ' where spacy is set gives the text back, and each token's lexeme spells
 * its text. */
static void assert_round_trip(const nlp_doc_t *doc) {
    const nlp_token_t *t;
    size_t n, len;
    const char *text = nlp_doc_text(doc, &len);
    assert_int_equal(nlp_doc_tokens(doc, &t, &n), NLP_OK);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t[i].idx, at);
        assert_true(t[i].len > 0);
        assert_int_equal(t[i].lex->n_bytes, t[i].len);
        assert_true(t[i].lex->orth == nlp_hash_string(text + at, t[i].len));
        at += t[i].len;
        if (t[i].spacy) {
            assert_true(at < len);
            assert_int_equal(text[at], ' ');
            at++;
        }
    }
    assert_int_equal(at, len);
}

/* ---- the pattern dialect ------------------------------------------------ */

static size_t longest(const char *pattern, const char *text, size_t pos) {
    const char *list[] = {pattern, NULL};
    nlp__pattern_set_t *ps;
    assert_int_equal(
        nlp__pattern_set_compile(NULL, list, NLP__PATTERN_FORWARD, &ps), NLP_OK);
    size_t m = nlp__pattern_longest_at(ps, text, 0, strlen(text), pos);
    nlp__pattern_set_free(ps);
    return m;
}

static size_t suffix(const char *pattern, const char *text) {
    const char *list[] = {pattern, NULL};
    nlp__pattern_set_t *ps;
    assert_int_equal(
        nlp__pattern_set_compile(NULL, list, NLP__PATTERN_BACKWARD, &ps), NLP_OK);
    size_t m = nlp__pattern_longest_suffix(ps, text, 0, strlen(text));
    nlp__pattern_set_free(ps);
    return m;
}

static int whole(const char *pattern, const char *text) {
    const char *list[] = {pattern, NULL};
    nlp__pattern_set_t *ps;
    assert_int_equal(
        nlp__pattern_set_compile(NULL, list, NLP__PATTERN_FORWARD, &ps), NLP_OK);
    int m = nlp__pattern_matches_all(ps, text, 0, strlen(text));
    nlp__pattern_set_free(ps);
    return m;
}

static void test_pattern_longest_match_wins(void **state) {
    (void)state;
    assert_int_equal(longest("a|ab|abc", "abcd", 0), 3);
    assert_int_equal(longest("\\.\\.+", "....x", 0), 4);
    assert_int_equal(longest("\\.\\.+", ".x", 0), 0);
    assert_int_equal(longest("x*", "abc", 0), 0); /* empty matches do not count */
    assert_int_equal(longest("[a-c]+", "abcabd", 0), 5);
    assert_int_equal(longest("[^a-c]+", "xyzab", 0), 3);
    assert_int_equal(longest("a{2,3}", "aaaa", 0), 3);
    assert_int_equal(longest("a{2}", "a", 0), 0);
    assert_int_equal(longest("(ab)+", "ababa", 0), 4);
    assert_int_equal(longest("(?:ab|a)c", "abc", 0), 3);
}

static void test_pattern_classes_are_unicode(void **state) {
    (void)state;
    assert_int_equal(longest("\\a+", "Zürich!", 0), strlen("Zürich"));
    assert_int_equal(longest("\\l+", "éa B", 0), strlen("éa"));
    assert_int_equal(longest("\\u", "Élan", 0), strlen("É"));
    assert_int_equal(longest("\\d+", "١٢3x", 0), strlen("١٢3"));
    assert_int_equal(longest("\\o", "😀", 0), strlen("😀"));
    assert_int_equal(longest("\\o", "°", 0), 0); /* the degree sign is kept */
    assert_int_equal(longest("\\o", "\xff", 0), 1); /* invalid byte: U+FFFD */
    assert_int_equal(longest("\\S+", "ab\xc2\xa0" "c", 0), 2); /* NBSP is space */
    assert_int_equal(longest("\\w+", "a_1é-", 0), strlen("a_1é"));
    assert_int_equal(longest("\\X", "\n", 0), 1);
    assert_int_equal(longest("[\\d\\-]+", "12-3a", 0), 4);
}

static void test_pattern_lookarounds_see_only_the_window(void **state) {
    (void)state;
    assert_int_equal(longest("(?<=\\d)-", "1-2", 1), 1);
    assert_int_equal(longest("(?<=\\d)-", "a-2", 1), 0);
    assert_int_equal(longest("-(?=\\a)", "1-a", 1), 1);
    assert_int_equal(longest("-(?!\\d)", "1-2", 1), 0);
    assert_int_equal(longest("-(?!\\d)", "1-", 1), 1); /* edge: no character */
    assert_int_equal(longest("(?<=\\u\\u)\\.", "AB.", 2), 1);
    assert_int_equal(longest("(?<=\\u\\u)\\.", "aB.", 2), 0);
    /* At the start of the window there is nothing before. */
    assert_int_equal(longest("(?<=\\d)-", "-2", 0), 0);
    assert_int_equal(longest("(?<!\\d)-", "-2", 0), 1);
}

static void test_pattern_suffix_reads_backwards(void **state) {
    (void)state;
    assert_int_equal(suffix("\\.\\.+", "wait..."), 3);
    assert_int_equal(suffix("'s|s", "Bush's"), 2);
    assert_int_equal(suffix("(?<=\\d)(km|m)", "10km"), 2);
    assert_int_equal(suffix("(?<=\\d)(km|m)", "akm"), 0);
    assert_int_equal(suffix("(?<=[\\l\\d])\\.", "it."), 1);
    assert_int_equal(suffix("(?<=[\\l\\d])\\.", "A."), 0);
    assert_int_equal(suffix("\\o", "a\xe2\x82"), 1); /* a cut-off sequence */
    assert_int_equal(suffix("\\o", "a\xef\xbf\xbd"), 3); /* U+FFFD itself */
    assert_int_equal(suffix("[.!?]*[!?][.!?]*", "what?!"), 2);
}

static void test_pattern_full_match_and_case_folding(void **state) {
    (void)state;
    assert_true(whole("(?i)(non|re)-\\a+", "NON-profit"));
    assert_true(whole("(?i)(non|re)-\\a+", "re-read"));
    assert_false(whole("(?i)(non|re)-\\a+", "renon-read"));
    assert_true(whole("\\d{3}-\\d{4}", "555-1234"));
    assert_false(whole("\\d{3}-\\d{4}", "555-12345"));
    assert_false(whole("a", ""));
}

static void test_pattern_syntax_errors_are_reported(void **state) {
    (void)state;
    const char *bad[] = {"(ab", "ab)", "[ab", "a{2", "a{3,2}", "\\", "(?<=ab",
                         "(?<!ab)x", "(?<=a)+", "(?x)", "*a", "[z-a]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *list[] = {bad[i], NULL};
        nlp__pattern_set_t *ps = (void *)1;
        assert_int_equal(nlp__pattern_set_compile(NULL, list,
                                                  NLP__PATTERN_FORWARD, &ps),
                         NLP_INVALID_ARG);
        assert_null(ps);
        assert_non_null(strstr(nlp_error_detail(), bad[i]));
    }
}

static void test_pattern_long_input_stays_linear(void **state) {
    (void)state;
    /* A pattern whose threads all stay alive to the end: the matcher reads
     * each byte once per state, never backtracks, never recurses. */
    size_t n = 1u << 20;
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, 'a', n);
    s[n] = '\0';
    assert_true(whole("(a|aa)*(a*)*a+", s));
    s[n - 1] = '!';
    assert_false(whole("(a|aa)*(a*)*a+", s));
    free(s);
}

/* ---- the English rules --------------------------------------------------- */

typedef struct token_case {
    const char *text;
    const char *tokens; /* expected tokens joined by single spaces */
} token_case_t;

static const token_case_t cases[] = {
    /* Contractions. */
    {"don't", "do n't"},
    {"Don't go", "Do n't go"},
    {"DON'T", "DO N'T"},
    {"didn't", "did n't"},
    {"doesn't", "does n't"},
    {"can't", "ca n't"},
    {"won't", "wo n't"},
    {"shouldn't've", "should n't 've"},
    {"ain't", "ai n't"},
    {"isn't it?", "is n't it ?"},
    {"wasn't", "was n't"},
    {"couldn't", "could n't"},
    {"needn't", "need n't"},
    {"cannot", "can not"},
    {"Cannot", "Can not"},
    {"gonna", "gon na"},
    {"Gonna", "Gon na"},
    {"wanna", "wan na"},
    {"gotta", "got ta"},
    {"outta", "out ta"},
    {"I'm", "I 'm"},
    {"i'm", "i 'm"},
    {"I'ma", "I 'm a"},
    {"I'll", "I 'll"},
    {"I'd", "I 'd"},
    {"I've", "I 've"},
    {"you're", "you 're"},
    {"we've", "we 've"},
    {"they'll", "they 'll"},
    {"it's", "it 's"},
    {"It's", "It 's"},
    {"he's", "he 's"},
    {"she'd've", "she 'd 've"},
    {"that's", "that 's"},
    {"there's", "there 's"},
    {"what's", "what 's"},
    {"who're", "who 're"},
    {"let's", "let 's"},
    {"Let's go", "Let 's go"},
    {"y'all", "y' all"},
    {"would've", "would 've"},
    /* Typographic apostrophes. */
    {"don’t", "do n’t"},
    {"it’s", "it ’s"},
    {"I’m", "I ’m"},
    {"Bush’s", "Bush ’s"},
    /* Without apostrophes, as people type. */
    {"dont", "do nt"},
    {"cant", "ca nt"},
    {"wont", "wo nt"},
    {"didnt", "did nt"},
    {"im", "i m"},
    {"Ive", "I ve"},
    {"youre", "you re"},
    {"thats", "that s"},
    /* ...but not where that would break a word. */
    {"were", "were"},
    {"well", "well"},
    {"ill", "ill"},
    {"its", "its"},
    {"hell", "hell"},
    {"shed", "shed"},
    {"lets", "lets"},
    /* Possessives and clitics. */
    {"company's", "company 's"},
    {"China's", "China 's"},
    {"JAMES'S", "JAMES 'S"},
    {"the 's", "the 's"},
    {"'em", "'em"},
    {"o'clock", "o'clock"},
    {"ma'am", "ma'am"},
    /* Abbreviations and initials. */
    {"Mr. Smith", "Mr. Smith"},
    {"Dr. No", "Dr. No"},
    {"St. Louis", "St. Louis"},
    {"the U.S. army", "the U.S. army"},
    {"U.S.A. today", "U.S.A. today"},
    {"e.g. this", "e.g. this"},
    {"i.e. that", "i.e. that"},
    {"apples, etc. and", "apples , etc. and"},
    {"at 5 p.m. sharp", "at 5 p.m. sharp"},
    {"Jan. 5", "Jan. 5"},
    {"Enron Corp. said", "Enron Corp. said"},
    {"Bush vs. Gore", "Bush vs. Gore"},
    {"J. K. Rowling", "J. K. Rowling"},
    {"a Ph.D. student", "a Ph.D. student"},
    {"He left.", "He left ."},
    {"the USA.", "the USA ."},
    {"No. 5", "No. 5"},
    /* URLs and e-mail addresses. */
    {"http://www.example.com/a/b?x=1&y=2", "http://www.example.com/a/b?x=1&y=2"},
    {"see www.google.com.", "see www.google.com ."},
    {"(http://example.org/page)", "( http://example.org/page )"},
    {"visit example.co.uk today", "visit example.co.uk today"},
    {"https://en.wikipedia.org/wiki/Degenerate_art", "https://en.wikipedia.org/wiki/Degenerate_art"},
    {"ftp://10.0.0.1:8080/x", "ftp://10.0.0.1:8080/x"},
    {"john.doe@example.com", "john.doe@example.com"},
    {"Mail jane@ex-ample.org.", "Mail jane@ex-ample.org ."},
    {"<ekrapels@esaibos.com>", "< ekrapels@esaibos.com >"},
    {"file.doc>>", "file.doc >>"},
    /* Emoticons. */
    {":)", ":)"},
    {"great :-)", "great :-)"},
    {":(", ":("},
    {"<3", "<3"},
    {":P", ":P"},
    {";)", ";)"},
    {"^_^", "^_^"},
    {"XD", "XD"},
    {"(:", "(:"},
    {"o_O", "o_O"},
    /* Numbers, money, units, times. */
    {"3.14", "3.14"},
    {"1,000,000", "1,000,000"},
    {"$100", "$ 100"},
    {"$4.50.", "$ 4.50 ."},
    {"US$5", "US$ 5"},
    {"€20", "€ 20"},
    {"£5", "£ 5"},
    {"100%", "100 %"},
    {"50km", "50 km"},
    {"65k", "65 k"},
    {"5pm", "5 pm"},
    {"10am", "10 am"},
    {"7:30PM", "7:30 PM"},
    {"10:30am", "10:30 am"},
    {"1969-1970", "1969 - 1970"},
    {"5-10", "5 - 10"},
    {"713-853-3989", "713-853-3989"},
    {"853-7557", "853-7557"},
    {"11-20-2000", "11-20-2000"},
    {"+44", "+44"},
    {"-5", "- 5"},
    {"1/2", "1/2"},
    {"#1", "# 1"},
    {"2nd", "2nd"},
    {"3+4", "3 + 4"},
    /* Hyphens and dashes. */
    {"well-known", "well - known"},
    {"state-of-the-art", "state - of - the - art"},
    {"Al-Zaman", "Al - Zaman"},
    {"e-mail", "e-mail"},
    {"E-mails", "E-mails"},
    {"non-profit", "non-profit"},
    {"re-read", "re-read"},
    {"co-workers.", "co-workers ."},
    {"anti-war", "anti-war"},
    {"mid-1990s", "mid-1990s"},
    {"15-year", "15 - year"},
    {"word--word", "word -- word"},
    {"x—y", "x — y"},
    {"-for", "- for"},
    {"book-", "book -"},
    {"--", "--"},
    /* Slashes. */
    {"and/or", "and / or"},
    {"he/she", "he / she"},
    {"b/c", "b/c"},
    {"w/o", "w/o"},
    /* Quotes. */
    {"\"Hello,\" he said.", "\" Hello , \" he said ."},
    {"'quoted'", "' quoted '"},
    {"“smart”", "“ smart ”"},
    {"‘single’", "‘ single ’"},
    {"``tex''", "`` tex ''"},
    {"«Bonjour»", "« Bonjour »"},
    /* Ellipses and runs of punctuation. */
    {"wait...", "wait ..."},
    {"wait…", "wait …"},
    {"...and", "... and"},
    {"well...no", "well ... no"},
    {"wow!!!", "wow !!!"},
    {"what?!", "what ?!"},
    {"really??", "really ??"},
    {"<<file>>", "<< file >>"},
    {"=====", "====="},
    {"***", "***"},
    /* Brackets. */
    {"(hello)", "( hello )"},
    {"[1]", "[ 1 ]"},
    {"(8)", "( 8 )"},
    {"{x}", "{ x }"},
    {"account(s)", "account ( s )"},
    {"end.The", "end . The"},
    {"red,green", "red , green"},
    /* Non-ASCII text. */
    {"naïve café", "naïve café"},
    {"Zürich's", "Zürich 's"},
    {"日本語", "日本語"},
    {"北京。", "北京 。"},
    {"¿Qué?", "¿ Qué ?"},
    {"привет, мир!", "привет , мир !"},
    {"emoji 😀!", "emoji 😀 !"},
    {"a😀b", "a 😀 b"},
    {"20°C", "20°C"},
    /* Invalid UTF-8: each bad byte is a symbol token, kept verbatim. */
    {"ab\xff" "cd", "ab \xff cd"},
    {"\xc3(", "\xc3 ("},
    {"caf\xc3", "caf \xc3"},
    /* Other shapes. */
    {"#hashtag", "#hashtag"},
    {"@user", "@user"},
    {"C++", "C++"},
    {"A+ work", "A + work"},
    {"a+++++", "a +++++"},
    {"Yahoo!", "Yahoo!"},
    {"a.m. today", "a.m. today"},
    /* An abbreviation ending the text gives its full stop to the sentence. */
    {"at 5 a.m.", "at 5 a.m ."},
    {"the U.S.", "the U.S ."},
    {"the U.S.\n", "the U.S ."}, /* trailing whitespace still ends it */
    {"the U.S. Army", "the U.S. Army"},
    /* Context splits: "its" written for "it's", and "etc." ending a
     * sentence. */
    {"its not", "it s not"},
    {"Its a car.", "It s a car ."},
    {"ITS SO", "IT S SO"},
    {"its own way", "its own way"},
    {"its another", "its another"},
    {"its", "its"},
    {"its, not", "its , not"},
    {"bits not", "bits not"},
    {"your welcome", "you r welcome"},
    {"your own", "your own"},
    {"apples, etc. The", "apples , etc . The"},
    {"apples, etc.", "apples , etc ."},
    {"etc. and", "etc. and"},
    {"etc.)", "etc. )"},
};

static void test_rules_english_cases(void **state) {
    test_blank_nlp_t *f = *state;
    char buf[512];
    int failures = 0;
    assert_true(sizeof cases / sizeof cases[0] >= 150);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nlp_doc_t *doc;
        assert_int_equal(nlp_tokenize(f->nlp, NULL, cases[i].text,
                                      strlen(cases[i].text), &doc),
                         NLP_OK);
        assert_round_trip(doc);
        if (strcmp(joined(doc, buf, sizeof buf), cases[i].tokens) != 0) {
            print_error("\"%s\": expected [%s], got [%s]\n", cases[i].text,
                        cases[i].tokens, buf);
            failures++;
        }
        nlp_doc_free(doc);
    }
    assert_int_equal(failures, 0);
}

static void test_rules_specials_carry_norms(void **state) {
    test_blank_nlp_t *f = *state;
    nlp_doc_t *doc;
    const nlp_token_t *t;
    size_t n;
    const char *text = "I can't, y'know";
    assert_int_equal(nlp_tokenize(f->nlp, NULL, text, strlen(text), &doc), NLP_OK);
    assert_int_equal(nlp_doc_tokens(doc, &t, &n), NLP_OK);
    assert_true(n >= 4);
    assert_string_equal(nlp_doc_str(doc, t[1].lex->norm), "can");
    assert_string_equal(nlp_doc_str(doc, t[2].lex->norm), "not");
    assert_true(t[2].lex->flags & NLP_FLAG_IS_STOP);
    nlp_doc_free(doc);
}

/* ---- whitespace and round trip ------------------------------------------- */

typedef struct ws_case {
    const char *text;
    const char *tokens[8];
    uint8_t spacy[8];
} ws_case_t;

static void test_whitespace_as_spacy_does(void **state) {
    test_blank_nlp_t *f = *state;
    static const ws_case_t ws[] = {
        {"a b", {"a", "b"}, {1, 0}},
        {"a  b", {"a", " ", "b"}, {1, 0, 0}},
        {"a\nb", {"a", "\n", "b"}, {0, 0, 0}},
        {"a \n b", {"a", "\n ", "b"}, {1, 0, 0}},
        {" a", {" ", "a"}, {0, 0}},
        {"a ", {"a"}, {1}},
        {"a  ", {"a", " "}, {1, 0}},
        {"\t", {"\t"}, {0}},
        {"a\xc2\xa0" "b", {"a", "\xc2\xa0", "b"}, {0, 0, 0}},
        {"a\xe3\x80\x80" "b", {"a", "\xe3\x80\x80", "b"}, {0, 0, 0}},
        {"it.\r\ny", {"it", ".", "\r\n", "y"}, {0, 0, 0, 0}},
        {"", {NULL}, {0}},
    };
    for (size_t c = 0; c < sizeof ws / sizeof ws[0]; c++) {
        nlp_doc_t *doc;
        const nlp_token_t *t;
        size_t n, expected = 0;
        assert_int_equal(nlp_tokenize(f->nlp, NULL, ws[c].text,
                                      strlen(ws[c].text), &doc),
                         NLP_OK);
        assert_round_trip(doc);
        assert_int_equal(nlp_doc_tokens(doc, &t, &n), NLP_OK);
        while (expected < 8 && ws[c].tokens[expected]) expected++;
        assert_int_equal(n, expected);
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(ws[c].tokens[i]);
            assert_int_equal(t[i].len, len);
            assert_memory_equal(doc->text + t[i].idx, ws[c].tokens[i], len);
            assert_int_equal(t[i].spacy, ws[c].spacy[i]);
            int space_token = ws[c].tokens[i][0] == ' ' ||
                              ws[c].tokens[i][0] == '\n' ||
                              ws[c].tokens[i][0] == '\t' ||
                              ws[c].tokens[i][0] == '\r' ||
                              (unsigned char)ws[c].tokens[i][0] >= 0xc2;
            assert_int_equal((t[i].lex->flags & NLP_FLAG_IS_SPACE) != 0,
                             space_token);
        }
        nlp_doc_free(doc);
    }
}

/* A deterministic generator, so failures reproduce. */
static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random bytes drawn from pieces that stress the rules: ASCII words and
 * punctuation, spaces of all kinds, valid multi-byte characters, and
 * invalid or cut-off sequences. */
static size_t random_text(uint64_t *seed, char *out, size_t cap) {
    static const char *const pieces[] = {
        " ", " ", " ", "  ", "\n", "\t", "\xc2\xa0", "\xe2\x80\x83", "a", "b",
        "Z", "the", "don't", "n't", "'", "'s", ".", "..", ",", "-", "--", "/",
        "(", ")", "\"", "!", "?", "$", "5", "10", "http://", "www.", ".com",
        "@", "#", ":)", "é", "日", "😀", "’", "\xff", "\xc3", "\xe2\x82",
        "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf", "\x80", "\xef\xbf\xbd",
        "U.S.", "e-mail", "1-2", "\0",
    };
    size_t n = 0, k = sizeof pieces / sizeof pieces[0];
    while (n + 8 < cap) {
        uint64_t r = rng_next(seed);
        if (r % 7 == 0) { /* a raw random byte */
            out[n++] = (char)(r >> 8);
            continue;
        }
        const char *p = pieces[(r >> 8) % k];
        size_t len = p[0] ? strlen(p) : 1; /* "\0" is one NUL byte */
        memcpy(out + n, p, len);
        n += len;
        if ((r >> 40) % 97 == 0) break;
    }
    return n;
}

static void test_round_trip_random_bytes(void **state) {
    test_blank_nlp_t *f = *state;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    char buf[4096];
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = random_text(&seed, buf, (size_t)(rng_next(&seed) % sizeof buf));
        nlp_doc_t *doc;
        assert_int_equal(nlp_tokenize(f->nlp, NULL, buf, len, &doc), NLP_OK);
        assert_round_trip(doc);
        nlp_doc_free(doc);
    }
    /* Purely random bytes, in a zone this time. */
    nlp_zone_t *zone;
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
    for (int iter = 0; iter < 300; iter++) {
        size_t len = (size_t)(rng_next(&seed) % sizeof buf);
        for (size_t i = 0; i < len; i++) buf[i] = (char)rng_next(&seed);
        nlp_doc_t *doc;
        assert_int_equal(nlp_tokenize(f->nlp, zone, buf, len, &doc), NLP_OK);
        assert_round_trip(doc);
    }
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
}

static void test_round_trip_hostile_chunks(void **state) {
    test_blank_nlp_t *f = *state;
    /* Long runs that exercise every affix loop and the length limit. */
    static const char *const units[] = {"(", "☃", "\xff", ".-", "a-", "1-",
                                        "'s", "!?", "x", "#a", "non-"};
    size_t len = 9000;
    char *buf = malloc(len);
    assert_non_null(buf);
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        for (size_t total = 100; total <= len; total *= 3) {
            size_t n = 0, ul = strlen(units[u]);
            while (n + ul <= total) {
                memcpy(buf + n, units[u], ul);
                n += ul;
            }
            nlp_doc_t *doc;
            assert_int_equal(nlp_tokenize(f->nlp, NULL, buf, n, &doc), NLP_OK);
            assert_round_trip(doc);
            nlp_doc_free(doc);
        }
    }
    free(buf);
}

static void test_round_trip_ewt_text(void **state) {
    test_blank_nlp_t *f = *state;
    const char *path = test_ewt_path("train.conllu");
    if (!path) skip();
    nlp__corpus_t *corpus;
    assert_int_equal(nlp__conllu_read(path, NULL, &corpus), NLP_OK);
    for (size_t i = 0; i < corpus->n_sents; i++) {
        const char *text = corpus->sents[i].text;
        nlp_doc_t *doc;
        assert_int_equal(nlp_tokenize(f->nlp, NULL, text, strlen(text), &doc),
                         NLP_OK);
        assert_round_trip(doc);
        nlp_doc_free(doc);
    }
    nlp__corpus_free(corpus);
}

static void test_long_chunk_is_one_token(void **state) {
    test_blank_nlp_t *f = *state;
    size_t len = 5000;
    char *buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++) buf[i] = i % 2 ? ',' : 'a';
    nlp_doc_t *doc;
    const nlp_token_t *t;
    size_t n;
    assert_int_equal(nlp_tokenize(f->nlp, NULL, buf, len, &doc), NLP_OK);
    assert_int_equal(nlp_doc_tokens(doc, &t, &n), NLP_OK);
    assert_int_equal(n, 1);
    nlp_doc_free(doc);
    /* Within the limit the infix rule splits it. */
    assert_int_equal(nlp_tokenize(f->nlp, NULL, buf, 99, &doc), NLP_OK);
    assert_int_equal(nlp_doc_tokens(doc, &t, &n), NLP_OK);
    assert_int_equal(n, 99);
    nlp_doc_free(doc);
    free(buf);
}

/* ---- the cache and memory zones ------------------------------------------ */

static const nlp__split_t *cached(const nlp_t *nlp, const char *chunk) {
    size_t len = strlen(chunk);
    return nlp__split_table_find(&nlp->tokenizer->cache->table,
                                 nlp_hash_string(chunk, len), chunk, len);
}

static void test_cache_zone_words_stay_out(void **state) {
    test_blank_nlp_t *f = *state;
    const char *text = "zqxwv-ish (plorbix) don't";
    nlp_zone_t *zone;
    nlp_doc_t *doc;
    char in_zone[256], outside[256];
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
    assert_int_equal(nlp_tokenize(f->nlp, zone, text, strlen(text), &doc), NLP_OK);
    joined(doc, in_zone, sizeof in_zone);
    assert_string_equal(in_zone, "zqxwv - ish ( plorbix ) do n't");
    /* Nothing of the zone reached the cache or the permanent vocabulary. */
    assert_null(cached(f->nlp, "zqxwv-ish"));
    assert_null(cached(f->nlp, "(plorbix)"));
    const nlp_lexeme_t *lex;
    assert_int_equal(nlp_vocab_find_lexeme(nlp_get_vocab(f->nlp), NULL, "plorbix",
                                           7, &lex),
                     NLP_NOT_FOUND);
    /* Special cases were cached at creation, with permanent lexemes. */
    const nlp__split_t *sp = cached(f->nlp, "don't");
    assert_non_null(sp);
    const nlp_token_t *t;
    size_t n;
    assert_int_equal(nlp_doc_tokens(doc, &t, &n), NLP_OK);
    assert_ptr_equal(t[n - 1].lex, sp->lex[1]);
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);

    /* The same text outside zones gives the same tokens and fills the
     * cache with permanent lexemes. */
    assert_int_equal(nlp_tokenize(f->nlp, NULL, text, strlen(text), &doc), NLP_OK);
    assert_string_equal(joined(doc, outside, sizeof outside), in_zone);
    sp = cached(f->nlp, "(plorbix)");
    assert_non_null(sp);
    assert_int_equal(sp->n, 3);
    assert_int_equal(nlp_vocab_find_lexeme(nlp_get_vocab(f->nlp), NULL, "plorbix",
                                           7, &lex),
                     NLP_OK);
    assert_ptr_equal(sp->lex[1], lex);
    nlp_doc_free(doc);

    /* A zone now reads the cached split: the permanent lexemes. */
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
    assert_int_equal(nlp_tokenize(f->nlp, zone, text, strlen(text), &doc), NLP_OK);
    assert_int_equal(nlp_doc_tokens(doc, &t, &n), NLP_OK);
    assert_ptr_equal(t[4].lex, lex);
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
}

/* Token spans of a Doc, copied out (zone Docs die with their zone). */
typedef struct spans {
    size_t n;
    uint32_t idx[700], len[700];
    uint8_t spacy[700];
    const nlp_lexeme_t *lex[700];
} spans_t;

static void copy_spans(const nlp_doc_t *doc, spans_t *out) {
    const nlp_token_t *t;
    assert_int_equal(nlp_doc_tokens(doc, &t, &out->n), NLP_OK);
    assert_true(out->n <= 700);
    for (size_t i = 0; i < out->n; i++) {
        out->idx[i] = t[i].idx;
        out->len[i] = t[i].len;
        out->spacy[i] = t[i].spacy;
        out->lex[i] = t[i].lex;
    }
}

static void assert_same_spans(const spans_t *a, const spans_t *b, int same_lex) {
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->idx[i], b->idx[i]);
        assert_int_equal(a->len[i], b->len[i]);
        assert_int_equal(a->spacy[i], b->spacy[i]);
        if (same_lex) assert_ptr_equal(a->lex[i], b->lex[i]);
    }
}

/* A context split reads the next chunk with text, past whitespace chunks,
 * and gives the same tokens whether or not the chunk alone is cached, in
 * zones and out of them. */
static void test_context_split_reads_the_next_chunk(void **state) {
    test_blank_nlp_t *f = *state;
    char buf[256];
    nlp_doc_t *doc;
    const char *alone = "its";
    assert_int_equal(nlp_tokenize(f->nlp, NULL, alone, strlen(alone), &doc), NLP_OK);
    assert_string_equal(joined(doc, buf, sizeof buf), "its");
    nlp_doc_free(doc);
    assert_non_null(cached(f->nlp, "its")); /* the chunk alone stays whole */

    const char *text = "its\n\n  not its own";
    assert_int_equal(nlp_tokenize(f->nlp, NULL, text, strlen(text), &doc), NLP_OK);
    assert_round_trip(doc);
    assert_string_equal(joined(doc, buf, sizeof buf), "it s not its own");
    nlp_doc_free(doc);

    nlp_zone_t *zone;
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
    assert_int_equal(nlp_tokenize(f->nlp, zone, text, strlen(text), &doc), NLP_OK);
    assert_string_equal(joined(doc, buf, sizeof buf), "it s not its own");
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
}

static void test_cache_warmed_at_creation(void **state) {
    test_blank_nlp_t *f = *state;
    /* Stop words (also title-cased), punctuation and special cases are
     * cached before any text is seen, with permanent lexemes. */
    const char *warm[] = {"the", "The", "of", "because", ",", ".", "(", "“",
                          "n't", "don't", "I'm"};
    for (size_t i = 0; i < sizeof warm / sizeof warm[0]; i++) {
        const nlp__split_t *sp = cached(f->nlp, warm[i]);
        assert_non_null(sp);
        assert_true(sp->lex[0]->id != UINT32_MAX); /* permanent */
    }
    assert_null(cached(f->nlp, "elephant"));
}

static void test_cache_same_tokens_in_and_out_of_zones(void **state) {
    test_blank_nlp_t *f = *state;
    static spans_t zone_first, cold, warm, zone_after;
    uint64_t seed = 42;
    char buf[600];
    for (int iter = 0; iter < 200; iter++) {
        size_t len = random_text(&seed, buf, sizeof buf);
        nlp_zone_t *zone;
        nlp_doc_t *doc;
        /* In a zone before the cache knows the text... */
        assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
        assert_int_equal(nlp_tokenize(f->nlp, zone, buf, len, &doc), NLP_OK);
        copy_spans(doc, &zone_first);
        assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
        /* ...outside zones, filling the cache, then from the cache... */
        assert_int_equal(nlp_tokenize(f->nlp, NULL, buf, len, &doc), NLP_OK);
        copy_spans(doc, &cold);
        nlp_doc_free(doc);
        assert_int_equal(nlp_tokenize(f->nlp, NULL, buf, len, &doc), NLP_OK);
        copy_spans(doc, &warm);
        nlp_doc_free(doc);
        /* ...and in a zone again, now reading the cache. */
        assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
        assert_int_equal(nlp_tokenize(f->nlp, zone, buf, len, &doc), NLP_OK);
        copy_spans(doc, &zone_after);
        assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
        assert_same_spans(&zone_first, &cold, 0);
        assert_same_spans(&cold, &warm, 1);
        assert_same_spans(&cold, &zone_after, 1); /* permanent lexemes */
    }
}

static void test_cache_heap_doc_while_zone_open_does_not_fill(void **state) {
    test_blank_nlp_t *f = *state;
    nlp_zone_t *zone;
    nlp_doc_t *doc;
    /* Make "(", ")" and "a" permanent. */
    assert_int_equal(nlp_tokenize(f->nlp, NULL, "(a)", 3, &doc), NLP_OK);
    nlp_doc_free(doc);
    size_t before = f->nlp->tokenizer->cache->table.count;
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
    /* Known words only: allowed, and the cache is left alone. */
    assert_int_equal(nlp_tokenize(f->nlp, NULL, "(don't)", 7, &doc), NLP_OK);
    assert_int_equal(f->nlp->tokenizer->cache->table.count, before);
    nlp_doc_free(doc);
    /* A new word would be a permanent addition: refused. */
    assert_int_equal(nlp_tokenize(f->nlp, NULL, "vexqorl", 7, &doc), NLP_ZONE_OPEN);
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
}

typedef struct thread_job {
    nlp_t *nlp;
    int seed;
    int ok;
} thread_job_t;

static void *tokenize_in_zones(void *arg) {
    thread_job_t *job = arg;
    uint64_t seed = (uint64_t)job->seed * 7919 + 1;
    char buf[800];
    job->ok = 1;
    for (int round = 0; round < 40 && job->ok; round++) {
        nlp_zone_t *zone;
        if (nlp_memory_zone_begin(job->nlp, &zone)) {
            job->ok = 0;
            break;
        }
        for (int d = 0; d < 10; d++) {
            size_t len = random_text(&seed, buf, sizeof buf);
            nlp_doc_t *doc;
            const nlp_token_t *t;
            size_t n, at = 0;
            if (nlp_tokenize(job->nlp, zone, buf, len, &doc) ||
                nlp_doc_tokens(doc, &t, &n)) {
                job->ok = 0;
                break;
            }
            for (size_t i = 0; i < n; i++) at += t[i].len + t[i].spacy;
            if (at != len) job->ok = 0;
        }
        nlp_memory_zone_end(zone);
    }
    return NULL;
}

static void test_cache_zones_on_many_threads(void **state) {
    test_blank_nlp_t *f = *state;
    /* Warm the cache with shared words first, outside zones. */
    const char *warm = "the cat (don't) 'quoted' http://a.com/b 10km";
    nlp_doc_t *doc;
    assert_int_equal(nlp_tokenize(f->nlp, NULL, warm, strlen(warm), &doc), NLP_OK);
    nlp_doc_free(doc);
    pthread_t th[4];
    thread_job_t jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job_t){f->nlp, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, tokenize_in_zones, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(jobs[i].ok);
    }
}

/* ---- errors and memory ---------------------------------------------------- */

static void test_tokenizer_errors(void **state) {
    test_blank_nlp_t *f = *state;
    nlp_doc_t *doc;
    assert_int_equal(nlp_tokenize(f->nlp, NULL, "a b", 3, &doc), NLP_OK);
    /* A Doc is tokenized once. */
    assert_int_equal(nlp__tokenizer_run(f->nlp->tokenizer, doc), NLP_INVALID_ARG);
    nlp_doc_free(doc);
    nlp__tokenizer_t *tok = (void *)1;
    assert_int_equal(nlp__tokenizer_create(nlp_get_vocab(f->nlp), "xx", &tok),
                     NLP_UNSUPPORTED);
    assert_null(tok);
    nlp_zone_t *zone;
    assert_int_equal(nlp_memory_zone_begin(f->nlp, &zone), NLP_OK);
    assert_int_equal(nlp__tokenizer_create(nlp_get_vocab(f->nlp), "en", &tok),
                     NLP_ZONE_OPEN);
    assert_int_equal(nlp_memory_zone_end(zone), NLP_OK);
    assert_null(nlp__lex_lang_for("xx"));
    assert_non_null(nlp__lex_lang_for("en"));
}

static void test_tokenizer_out_of_memory_sweep(void **state) {
    (void)state;
    /* Fail each allocation in turn: creation reports NOMEM and leaks
     * nothing, or succeeds and then tokenizes. */
    int succeeded = 0;
    for (long k = 1; k < 100000 && !succeeded; k += (k < 200 ? 1 : 97)) {
        test_alloc_t a;
        test_alloc_init(&a);
        a.fail_at = k;
        nlp_t *nlp = NULL;
        nlp_status_t st = nlp_create_blank("en", &a.iface, &nlp);
        if (st == NLP_OK) {
            nlp_doc_t *doc;
            st = nlp_tokenize(nlp, NULL, "Hello, world! (don't)", 21, &doc);
            if (st == NLP_OK) {
                assert_round_trip(doc);
                nlp_doc_free(doc);
                succeeded = a.total < k; /* no allocation was failed */
            } else {
                assert_int_equal(st, NLP_NOMEM);
            }
            nlp_free(nlp);
        } else {
            assert_int_equal(st, NLP_NOMEM);
            assert_null(nlp);
        }
        assert_int_equal(a.live, 0);
    }
    assert_true(succeeded);
}

/* ---- token accuracy on EWT -------------------------------------------------- */

static void test_token_align_counts(void **state) {
    (void)state;
    /* "I didn't." with "didn't" a multiword token over "did" + "n't". */
    nlp__gold_word_t words[4] = {{.form = "I"}, {.form = "did"}, {.form = "n't"},
                                 {.form = "."}};
    nlp__gold_mwt_t mwt = {1, 2, "didn't", 0};
    nlp__gold_sent_t s = {.text = "I didn't.", .words = words, .n_words = 4,
                          .mwts = &mwt, .n_mwts = 1};
    uint32_t gs[4], ge[4];
    assert_int_equal(nlp__gold_word_spans(&s, gs, ge), NLP_OK);
    assert_int_equal(gs[1], 2);
    assert_int_equal(ge[1], 5);
    assert_int_equal(gs[2], 5);
    assert_int_equal(ge[2], 8);
    /* Predicted: "I" "didn't" "." -> 2 right, 1 wrong, 2 gold words missed. */
    uint32_t ps[3] = {0, 2, 8}, pe[3] = {1, 8, 9};
    nlp__token_counts_t c = {0};
    assert_int_equal(nlp__token_align_count(&s, ps, pe, 3, NULL, &c), NLP_OK);
    assert_int_equal(c.tp, 2);
    assert_int_equal(c.fp, 1);
    assert_int_equal(c.fn, 2);
    assert_true(nlp__token_precision(&c) > 0.66 && nlp__token_precision(&c) < 0.67);
    assert_true(nlp__token_recall(&c) == 0.5);
    /* A form missing from the text is a format error, counts unchanged. */
    words[3].form = "?";
    assert_int_equal(nlp__token_align_count(&s, ps, pe, 3, NULL, &c), NLP_FORMAT);
    assert_int_equal(c.tp, 2);
}

static void test_token_accuracy_ewt_dev(void **state) {
    test_blank_nlp_t *f = *state;
    const char *path = test_ewt_path("dev.conllu");
    if (!path) skip();
    nlp__corpus_t *corpus;
    assert_int_equal(nlp__conllu_read(path, NULL, &corpus), NLP_OK);
    nlp__token_counts_t c = {0};
    for (size_t i = 0; i < corpus->n_sents; i++) {
        const nlp__gold_sent_t *s = &corpus->sents[i];
        nlp_doc_t *doc;
        assert_int_equal(nlp_tokenize(f->nlp, NULL, s->text, strlen(s->text), &doc),
                         NLP_OK);
        assert_int_equal(nlp__token_align_count_doc(s, doc, NULL, &c), NLP_OK);
        nlp_doc_free(doc);
    }
    nlp__corpus_free(corpus);
    double fscore = nlp__token_f(&c);
    print_message("EWT dev: token_p %.4f token_r %.4f token_f %.4f\n",
                  nlp__token_precision(&c), nlp__token_recall(&c), fscore);
    assert_true(fscore >= 0.985);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_longest_match_wins),
        cmocka_unit_test(test_pattern_classes_are_unicode),
        cmocka_unit_test(test_pattern_lookarounds_see_only_the_window),
        cmocka_unit_test(test_pattern_suffix_reads_backwards),
        cmocka_unit_test(test_pattern_full_match_and_case_folding),
        cmocka_unit_test(test_pattern_syntax_errors_are_reported),
        cmocka_unit_test(test_pattern_long_input_stays_linear),
        TEST_WITH_BLANK_NLP(test_rules_english_cases),
        TEST_WITH_BLANK_NLP(test_rules_specials_carry_norms),
        TEST_WITH_BLANK_NLP(test_whitespace_as_spacy_does),
        TEST_WITH_BLANK_NLP(test_round_trip_random_bytes),
        TEST_WITH_BLANK_NLP(test_round_trip_hostile_chunks),
        TEST_WITH_BLANK_NLP(test_round_trip_ewt_text),
        TEST_WITH_BLANK_NLP(test_long_chunk_is_one_token),
        TEST_WITH_BLANK_NLP(test_cache_zone_words_stay_out),
        TEST_WITH_BLANK_NLP(test_context_split_reads_the_next_chunk),
        TEST_WITH_BLANK_NLP(test_cache_warmed_at_creation),
        TEST_WITH_BLANK_NLP(test_cache_same_tokens_in_and_out_of_zones),
        TEST_WITH_BLANK_NLP(test_cache_heap_doc_while_zone_open_does_not_fill),
        TEST_WITH_BLANK_NLP(test_cache_zones_on_many_threads),
        TEST_WITH_BLANK_NLP(test_tokenizer_errors),
        cmocka_unit_test(test_tokenizer_out_of_memory_sweep),
        cmocka_unit_test(test_token_align_counts),
        TEST_WITH_BLANK_NLP(test_token_accuracy_ewt_dev),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
