/* Tests of the corpus readers: CoNLL-U and IOB2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/corpus.h"
#include "test_util.h"

typedef nlp_status_t (*reader_fn)(const char *, const nlp_allocator_t *,
                                  nlp__corpus_t **);

/* Reads `text` (of `len` bytes) with `read` through a leak-checking
 * allocator; the corpus and allocator stay in the fixture. */
typedef struct fixture {
    test_alloc_t alloc;
    nlp__corpus_t *corpus;
    char path[64];
} fixture_t;

static nlp_status_t read_text_n(fixture_t *f, reader_fn read, const char *text,
                                size_t len) {
    test_alloc_init(&f->alloc);
    const char *path = test_write_temp(text, len);
    assert_non_null(path);
    snprintf(f->path, sizeof f->path, "%s", path);
    f->corpus = NULL;
    nlp_status_t st = read(f->path, &f->alloc.iface, &f->corpus);
    unlink(f->path);
    if (st) assert_null(f->corpus);
    return st;
}

static nlp_status_t read_text(fixture_t *f, reader_fn read, const char *text) {
    return read_text_n(f, read, text, strlen(text));
}

static void fixture_done(fixture_t *f) {
    nlp__corpus_free(f->corpus);
    f->corpus = NULL;
    assert_int_equal(f->alloc.live, 0);
}

/* Asserts that reading `text` fails with NLP_FORMAT at `line` and that the
 * message mentions `what`. */
static void expect_format_error(reader_fn read, const char *text,
                                unsigned line, const char *what) {
    fixture_t f;
    nlp_status_t st = read_text(&f, read, text);
    const char *detail = nlp_error_detail();
    char where[96];
    snprintf(where, sizeof where, "%s:%u: ", f.path, line);
    if (st != NLP_FORMAT || strncmp(detail, where, strlen(where)) != 0 ||
        !strstr(detail, what))
        fail_msg("input:\n%s\nstatus %s, detail \"%s\"; expected \"%s...%s\"",
                 text, nlp_status_name(st), detail, where, what);
    fixture_done(&f);
}

static const char TWO_SENTENCES[] =
    "# newdoc id = doc1\n"
    "# sent_id = s1\n"
    "# newpar\n"
    "# text = The cat sat.\n"
    "1\tThe\tthe\tDET\tDT\tDefinite=Def\t2\tdet\t2:det\t_\n"
    "2\tcat\tcat\tNOUN\tNN\tNumber=Sing\t3\tnsubj\t3:nsubj\t_\n"
    "3\tsat\tsit\tVERB\tVBD\t_\t0\troot\t0:root\tSpaceAfter=No\n"
    "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t3:punct\t_\n"
    "\n"
    "# sent_id = s2\n"
    "# text = Hi\n"
    "# text_en = not the text\n"
    "1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_\n"
    "\n";

static void test_conllu_reads_words_and_comments(void **state) {
    (void)state;
    fixture_t f;
    assert_int_equal(read_text(&f, nlp__conllu_read, TWO_SENTENCES), NLP_OK);
    const nlp__corpus_t *c = f.corpus;
    assert_int_equal(c->n_sents, 2);
    assert_int_equal(c->n_words, 5);
    const nlp__gold_sent_t *s = &c->sents[0];
    assert_string_equal(s->sent_id, "s1");
    assert_string_equal(s->text, "The cat sat.");
    assert_int_equal(s->newdoc, 1);
    assert_int_equal(s->newpar, 1);
    assert_int_equal(s->line, 1);
    assert_int_equal(s->n_words, 4);
    assert_int_equal(s->n_mwts, 0);
    const nlp__gold_word_t *w = &s->words[2];
    assert_string_equal(w->form, "sat");
    assert_string_equal(w->lemma, "sit");
    assert_string_equal(w->upos, "VERB");
    assert_string_equal(w->xpos, "VBD");
    assert_string_equal(w->feats, "");
    assert_string_equal(w->deprel, "root");
    assert_string_equal(w->misc, "SpaceAfter=No");
    assert_string_equal(w->ner, "");
    assert_int_equal(w->head, 0);
    assert_int_equal(w->space_after, 0);
    assert_int_equal(s->words[0].head, 2);
    assert_int_equal(s->words[0].space_after, 1);
    assert_string_equal(s->words[0].misc, "");

    s = &c->sents[1];
    assert_string_equal(s->sent_id, "s2");
    assert_string_equal(s->text, "Hi"); /* "# text_en" is another key */
    assert_int_equal(s->newdoc, 0);
    assert_int_equal(s->newpar, 0);
    assert_int_equal(s->line, 10);
    assert_int_equal(s->n_words, 1);
    fixture_done(&f);
}

static void test_conllu_multiword_tokens(void **state) {
    (void)state;
    fixture_t f;
    const char *text =
        "# text = I don't know.\n"
        "1\tI\tI\tPRON\tPRP\t_\t4\tnsubj\t_\t_\n"
        "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_\n"
        "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_\n"
        "4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\tSpaceAfter=No\n"
        "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_\n"
        "\n"
        "1-2\tgonna\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No\n"
        "1\tgon\tgo\tVERB\tVBG\t_\t0\troot\t_\t_\n"
        "2\tna\tto\tPART\tTO\t_\t3\tmark\t_\t_\n"
        "3\t!\t!\tPUNCT\t.\t_\t1\tpunct\t_\t_\n";
    assert_int_equal(read_text(&f, nlp__conllu_read, text), NLP_OK);
    const nlp__gold_sent_t *s = &f.corpus->sents[0];
    assert_int_equal(s->n_words, 5);
    assert_int_equal(s->n_mwts, 1);
    assert_int_equal(s->mwts[0].first, 1);
    assert_int_equal(s->mwts[0].last, 2);
    assert_string_equal(s->mwts[0].form, "don't");
    assert_int_equal(s->mwts[0].space_after, 1);
    assert_string_equal(s->words[1].form, "do");
    assert_string_equal(s->words[2].form, "n't");
    /* Joining words by their spacing gives back "I don't know." */
    assert_int_equal(s->words[0].space_after, 1);
    assert_int_equal(s->words[1].space_after, 0);
    assert_int_equal(s->words[2].space_after, 1);
    assert_int_equal(s->words[3].space_after, 0);

    s = &f.corpus->sents[1];
    assert_int_equal(s->n_mwts, 1);
    assert_int_equal(s->mwts[0].space_after, 0);
    assert_int_equal(s->words[0].space_after, 0);
    assert_int_equal(s->words[1].space_after, 0); /* "gonna!" */
    fixture_done(&f);
}

static void test_conllu_skips_empty_nodes(void **state) {
    (void)state;
    fixture_t f;
    const char *text =
        "1\tSue\tSue\tPROPN\tNNP\t_\t2\tnsubj\t_\t_\n"
        "2\tlikes\tlike\tVERB\tVBZ\t_\t0\troot\t_\t_\n"
        "3\tcoffee\tcoffee\tNOUN\tNN\t_\t2\tobj\t_\t_\n"
        "4\tand\tand\tCCONJ\tCC\t_\t5\tcc\t_\t_\n"
        "5\tBill\tBill\tPROPN\tNNP\t_\t2\tconj\t_\t_\n"
        "5.1\tlikes\tlike\tVERB\tVBZ\t_\t_\t_\t2:conj\t_\n"
        "6\ttea\ttea\tNOUN\tNN\t_\t2\tconj\t_\t_\n";
    assert_int_equal(read_text(&f, nlp__conllu_read, text), NLP_OK);
    assert_int_equal(f.corpus->n_sents, 1);
    const nlp__gold_sent_t *s = &f.corpus->sents[0];
    assert_int_equal(s->n_words, 6);
    assert_string_equal(s->words[4].form, "Bill");
    assert_string_equal(s->words[5].form, "tea");
    fixture_done(&f);
}

static void test_conllu_space_after_needs_exact_item(void **state) {
    (void)state;
    fixture_t f;
    const char *text =
        "1\ta\ta\tX\tX\t_\t0\troot\t_\tCorrectSpaceAfter=No\n"
        "2\tb\tb\tX\tX\t_\t1\tdep\t_\tSpaceAfter=Nope\n"
        "3\tc\tc\tX\tX\t_\t1\tdep\t_\tCorrectSpaceAfter=Yes|SpaceAfter=No\n"
        "4\td\td\tX\tX\t_\t1\tdep\t_\tSpaceAfter=No|Other=1\n"
        "5\te\te\tX\tX\t_\t1\tdep\t_\t_\n";
    assert_int_equal(read_text(&f, nlp__conllu_read, text), NLP_OK);
    const nlp__gold_word_t *w = f.corpus->sents[0].words;
    assert_int_equal(w[0].space_after, 1);
    assert_int_equal(w[1].space_after, 1);
    assert_int_equal(w[2].space_after, 0);
    assert_int_equal(w[3].space_after, 0);
    assert_int_equal(w[4].space_after, 1);
    fixture_done(&f);
}

static void test_conllu_crlf_and_missing_final_newline(void **state) {
    (void)state;
    fixture_t f;
    const char *text =
        "# sent_id = a\r\n"
        "1\tx\tx\tX\tX\t_\t0\troot\t_\tSpaceAfter=No\r\n"
        "\r\n"
        "# sent_id = b\r\n"
        "1\ty\ty\tX\tX\t_\t0\troot\t_\t_";
    assert_int_equal(read_text(&f, nlp__conllu_read, text), NLP_OK);
    assert_int_equal(f.corpus->n_sents, 2);
    assert_string_equal(f.corpus->sents[0].sent_id, "a");
    assert_string_equal(f.corpus->sents[0].words[0].misc, "SpaceAfter=No");
    assert_int_equal(f.corpus->sents[0].words[0].space_after, 0);
    assert_string_equal(f.corpus->sents[1].sent_id, "b");
    assert_string_equal(f.corpus->sents[1].words[0].form, "y");
    assert_string_equal(f.corpus->sents[1].words[0].misc, "");
    fixture_done(&f);
}

static void test_conllu_tolerates_bom_and_extra_blank_lines(void **state) {
    (void)state;
    fixture_t f;
    const char *text = "\xEF\xBB\xBF\n\n1\tx\tx\tX\tX\t_\t0\troot\t_\t_\n\n \n\n";
    assert_int_equal(read_text(&f, nlp__conllu_read, text), NLP_OK);
    assert_int_equal(f.corpus->n_sents, 1);
    assert_int_equal(f.corpus->sents[0].line, 3);
    fixture_done(&f);
}

static void test_conllu_underscore_form_is_kept(void **state) {
    (void)state;
    fixture_t f;
    const char *text = "1\t_\t_\tPUNCT\tNFP\t_\t0\troot\t_\t_\n"
                       "2\tx\t_\t_\t_\t_\t_\t_\t_\t_\n";
    assert_int_equal(read_text(&f, nlp__conllu_read, text), NLP_OK);
    const nlp__gold_word_t *w = f.corpus->sents[0].words;
    assert_string_equal(w[0].form, "_");
    assert_string_equal(w[0].lemma, "_");
    assert_string_equal(w[1].lemma, "");
    assert_string_equal(w[1].upos, "");
    assert_int_equal(w[1].head, -1);
    assert_string_equal(w[1].deprel, "");
    fixture_done(&f);
}

static void test_conllu_empty_file_has_no_sentences(void **state) {
    (void)state;
    fixture_t f;
    assert_int_equal(read_text(&f, nlp__conllu_read, ""), NLP_OK);
    assert_int_equal(f.corpus->n_sents, 0);
    assert_int_equal(f.corpus->n_words, 0);
    fixture_done(&f);
}

#define W(id, form, head) id "\t" form "\t_\tX\tX\t_\t" head "\tdep\t_\t_\n"

static void test_conllu_errors_name_file_and_line(void **state) {
    (void)state;
    reader_fn r = nlp__conllu_read;
    expect_format_error(r, W("1", "a", "0") "2\tb\tb\n", 2,
                        "expected 10 tab-separated columns, found 3");
    expect_format_error(r, "1 a a X X _ 0 root _ _\n", 1,
                        "expected 10 tab-separated columns, found 1");
    expect_format_error(r, W("1", "a", "0") W("1", "b", "1") "\n", 2,
                        "word id 1 out of order (expected 2)");
    expect_format_error(r, "# c\n" W("x", "a", "0"), 2, "bad word id \"x\"");
    expect_format_error(r, W("1", "a", "0") "# sent_id = 2\n" W("1", "b", "0"), 3,
                        "word id 1 out of order (expected 2); is the blank line "
                        "before it missing?");
    expect_format_error(r, W("0", "a", "0"), 1, "bad word id \"0\"");
    expect_format_error(r, W("99999999999", "a", "0"), 1, "bad word id");
    expect_format_error(r, W("1", "a", "0") W("2", "b", "-1"), 2,
                        "bad head \"-1\"");
    expect_format_error(r, W("1", "a", "0") W("2", "b", "x1"), 2,
                        "bad head \"x1\"");
    expect_format_error(r, "\n" W("1", "a", "0") W("2", "b", "7") "\n", 3,
                        "head 7 is past the last word (2)");
    expect_format_error(r, W("1", "a", "0") W("2", "b", "2"), 2,
                        "word 2 is its own head");
    expect_format_error(r, "1\t\ta\tX\tX\t_\t0\troot\t_\t_\n", 1,
                        "column 2 (FORM) is empty");
    expect_format_error(r, W("1-1", "aa", "_") W("1", "a", "0"), 1,
                        "bad multiword token range \"1-1\"");
    expect_format_error(r, W("1", "a", "0") W("3-4", "bc", "_"), 2,
                        "multiword token 3-4 does not start at the next word (2)");
    expect_format_error(r, W("1-3", "abc", "_") W("1", "a", "0") W("2-3", "bc", "_"), 3,
                        "starts inside the previous one");
    expect_format_error(r, W("1-2", "ab", "_") W("1", "a", "0") "\n", 3,
                        "sentence ends inside multiword token 1-2");
    expect_format_error(r, W("1", "a", "0") W("1.x", "b", "_"), 2,
                        "bad empty node id \"1.x\"");
    expect_format_error(r, W("1", "a", "0") W("2.1", "b", "_"), 2,
                        "empty node 2.1 out of order (after word 1)");
    expect_format_error(r, W("1", "a", "0") "\n# sent_id = lonely\n\n", 3,
                        "sentence without any word");
    expect_format_error(r, W("1", "a", "0") "\n# sent_id = last", 3,
                        "sentence without any word");
    /* A NUL byte would cut strings short, so it is refused. */
    fixture_t f;
    static const char with_nul[] = "1\ta\ta\tX\tX\t_\t0\troot\t_\t_\n2\tb\0";
    assert_int_equal(read_text_n(&f, r, with_nul, sizeof with_nul - 1), NLP_FORMAT);
    assert_non_null(strstr(nlp_error_detail(), ":2: NUL byte"));
    fixture_done(&f);
}

static void test_conllu_missing_file_is_io_error(void **state) {
    (void)state;
    nlp__corpus_t *c = (nlp__corpus_t *)1;
    assert_int_equal(nlp__conllu_read("/nonexistent/x.conllu", NULL, &c), NLP_IO);
    assert_null(c);
    assert_non_null(strstr(nlp_error_detail(), "/nonexistent/x.conllu"));
    assert_int_equal(nlp__conllu_read("/tmp", NULL, &c), NLP_IO);
    assert_int_equal(nlp__conllu_read(NULL, NULL, &c), NLP_INVALID_ARG);
    nlp__corpus_free(NULL);
}

typedef struct fifo_job {
    const char *path, *text;
    size_t repeat;
} fifo_job_t;

static void *fill_fifo(void *arg) {
    const fifo_job_t *job = arg;
    FILE *f = fopen(job->path, "w");
    if (!f) return NULL;
    for (size_t i = 0; i < job->repeat; i++) fputs(job->text, f);
    fclose(f);
    return NULL;
}

/* A pipe has no size up front, so it is read in growing pieces. */
static void test_conllu_reads_from_a_pipe(void **state) {
    (void)state;
    char dir[] = "/tmp/spacyc-fifo-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    /* About 0.5 MB, so the read buffer has to grow several times. */
    fifo_job_t job = {path, TWO_SENTENCES, 1000};
    pthread_t writer;
    assert_int_equal(pthread_create(&writer, NULL, fill_fifo, &job), 0);
    test_alloc_t a;
    test_alloc_init(&a);
    nlp__corpus_t *c;
    assert_int_equal(nlp__conllu_read(path, &a.iface, &c), NLP_OK);
    pthread_join(writer, NULL);
    assert_int_equal(c->n_sents, 2000);
    assert_int_equal(c->n_words, 5000);
    assert_string_equal(c->sents[1999].text, "Hi");
    nlp__corpus_free(c);
    assert_int_equal(a.live, 0);
    unlink(path);
    rmdir(dir);
}

/* Reads the 40 x 70-word CoNLL-U file at ctx with `alloc`. */
static nlp_status_t read_attempt(void *ctx, const nlp_allocator_t *alloc) {
    nlp__corpus_t *c = NULL;
    nlp_status_t st = nlp__conllu_read(ctx, alloc, &c);
    if (st == NLP_OK) {
        assert_int_equal(c->n_sents, 40);
        assert_int_equal(c->n_words, 40 * 70);
    } else {
        assert_null(c);
    }
    nlp__corpus_free(c);
    return st;
}

static void test_conllu_out_of_memory_sweep(void **state) {
    (void)state;
    /* Enough sentences and words that every array has to grow. */
    static char text[256 * 1024];
    size_t len = 0;
    for (int s = 0; s < 40; s++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "# sent_id = %d\n", s);
        for (int i = 1; i <= 70; i++)
            len += (size_t)snprintf(text + len, sizeof text - len,
                                    "%d\tw\tw\tX\tX\t_\t%d\tdep\t_\t_\n", i, i - 1);
        text[len++] = '\n';
    }
    const char *path = test_write_temp(text, len);
    assert_non_null(path);
    char copy[64];
    snprintf(copy, sizeof copy, "%s", path);
    test_oom_sweep(read_attempt, copy, 1000);
    unlink(copy);
}

/* Counts words, multiword tokens and heads for a sanity check of a whole
 * corpus. */
static void check_treebank(const nlp__corpus_t *c) {
    size_t words = 0;
    for (size_t i = 0; i < c->n_sents; i++) {
        const nlp__gold_sent_t *s = &c->sents[i];
        assert_true(s->n_words > 0);
        int roots = 0;
        for (uint32_t k = 0; k < s->n_words; k++) {
            assert_true(s->words[k].head >= 0 && (uint32_t)s->words[k].head <= s->n_words);
            assert_true(s->words[k].form[0] != '\0');
            roots += s->words[k].head == 0;
        }
        assert_true(roots >= 1);
        for (uint32_t m = 0; m < s->n_mwts; m++)
            assert_true(s->mwts[m].first < s->mwts[m].last &&
                        s->mwts[m].last < s->n_words);
        words += s->n_words;
    }
    assert_int_equal(words, c->n_words);
}

static void test_conllu_ewt_train_counts(void **state) {
    (void)state;
    const char *path = test_ewt_path("train.conllu");
    if (!path) skip();
    nlp__corpus_t *c;
    assert_int_equal(nlp__conllu_read(path, NULL, &c), NLP_OK);
    assert_int_equal(c->n_sents, 12544);
    assert_int_equal(c->n_words, 204577);
    check_treebank(c);
    size_t mwts = 0, no_space = 0;
    for (size_t i = 0; i < c->n_sents; i++) {
        mwts += c->sents[i].n_mwts;
        for (uint32_t k = 0; k < c->sents[i].n_words; k++)
            no_space += !c->sents[i].words[k].space_after;
    }
    assert_int_equal(mwts, 2614);
    assert_true(no_space > 24000);
    assert_string_equal(c->sents[0].words[0].form, "Al");
    assert_true(c->sents[0].newdoc && c->sents[0].newpar);
    assert_true(strncmp(c->sents[0].text, "Al-Zaman : American forces", 26) == 0);
    nlp__corpus_free(c);
}

static void test_conllu_ewt_dev_reads(void **state) {
    (void)state;
    const char *path = test_ewt_path("dev.conllu");
    if (!path) skip();
    nlp__corpus_t *c;
    assert_int_equal(nlp__conllu_read(path, NULL, &c), NLP_OK);
    assert_int_equal(c->n_sents, 2001);
    check_treebank(c);
    nlp__corpus_free(c);
}

static const char IOB2_SAMPLE[] =
    "# newdoc id = d1\n"
    "# sent_id = x-1\n"
    "# text = Al-Zaman said: Bob Smith left.\n"
    "1\tAl\tB-ORG\t-\tann\n"
    "2\t-\tI-ORG\t-\tann\n"
    "3\tZaman\tI-ORG\t-\tann\n"
    "4\tsaid\tO\t-\t-\n"
    "5\t:\tO\t-\t-\n"
    "6\tBob\tB-PER\t-\tann\n"
    "7\tSmith\tI-PER\t-\tann\n"
    "8\tleft\tO\t-\t-\n"
    "9\t.\tO\t-\t-\n"
    "\n"
    "# text = Paris\n"
    "1\tParis\tB-LOC\n";

static void test_iob2_reads_tags_forms_and_spacing(void **state) {
    (void)state;
    fixture_t f;
    assert_int_equal(read_text(&f, nlp__iob2_read, IOB2_SAMPLE), NLP_OK);
    const nlp__corpus_t *c = f.corpus;
    assert_int_equal(c->n_sents, 2);
    assert_int_equal(c->n_words, 10);
    const nlp__gold_sent_t *s = &c->sents[0];
    assert_string_equal(s->sent_id, "x-1");
    assert_string_equal(s->text, "Al-Zaman said: Bob Smith left.");
    assert_int_equal(s->newdoc, 1);
    const char *tags[] = {"B-ORG", "I-ORG", "I-ORG", "O", "O", "B-PER", "I-PER", "O", "O"};
    const uint8_t spaces[] = {0, 0, 1, 0, 1, 1, 1, 0, 1};
    assert_int_equal(s->n_words, 9);
    for (int i = 0; i < 9; i++) {
        assert_string_equal(s->words[i].ner, tags[i]);
        assert_int_equal(s->words[i].space_after, spaces[i]);
        assert_string_equal(s->words[i].lemma, "");
        assert_string_equal(s->words[i].deprel, "");
        assert_int_equal(s->words[i].head, -1);
    }
    assert_string_equal(s->words[2].form, "Zaman");
    assert_string_equal(c->sents[1].words[0].ner, "B-LOC");
    fixture_done(&f);
}

static void test_iob2_errors_name_file_and_line(void **state) {
    (void)state;
    reader_fn r = nlp__iob2_read;
    expect_format_error(r, "1\ta\tO\n2\tb\tI-PER\n", 2,
                        "I-PER does not continue an entity of type PER (previous tag: O)");
    expect_format_error(r, "1\ta\tB-LOC\n2\tb\tI-PER\n", 2,
                        "I-PER does not continue an entity of type PER (previous tag: B-LOC)");
    expect_format_error(r, "1\ta\tB-PER\n\n1\tb\tI-PER\n", 3,
                        "I-PER does not continue an entity of type PER (previous tag: none");
    expect_format_error(r, "# text = a\n1\ta\tE-PER\n", 2, "unknown tag \"E-PER\"");
    expect_format_error(r, "1\ta\tB-\n", 1, "unknown tag \"B-\"");
    expect_format_error(r, "1\ta\to\n", 1, "unknown tag \"o\"");
    expect_format_error(r, "1\ta\n", 1, "expected at least 3 tab-separated columns");
    expect_format_error(r, "1\ta\tO\n3\tb\tO\n", 2, "token id 3 out of order (expected 2)");
    expect_format_error(r, "one\ta\tO\n", 1, "bad token id \"one\"");
    expect_format_error(r, "1\t\tO\n", 1, "empty form");
}

static void test_iob2_spacing_survives_text_mismatch(void **state) {
    (void)state;
    fixture_t f;
    const char *text = "# text = ab cd\n1\tab\tO\n2\tXX\tO\n3\tcd\tO\n";
    assert_int_equal(read_text(&f, nlp__iob2_read, text), NLP_OK);
    const nlp__gold_word_t *w = f.corpus->sents[0].words;
    assert_int_equal(w[0].space_after, 1);
    assert_int_equal(w[1].space_after, 1);
    assert_int_equal(w[2].space_after, 1);
    fixture_done(&f);
}

static void test_iob2_ewt_counts(void **state) {
    (void)state;
    const char *path = test_ewt_path("ner-train.iob2");
    if (!path) skip();
    nlp__corpus_t *c;
    assert_int_equal(nlp__iob2_read(path, NULL, &c), NLP_OK);
    assert_int_equal(c->n_sents, 12543);
    assert_int_equal(c->n_words, 204579);
    size_t begins = 0, no_space = 0;
    for (size_t i = 0; i < c->n_sents; i++)
        for (uint32_t k = 0; k < c->sents[i].n_words; k++) {
            begins += c->sents[i].words[k].ner[0] == 'B';
            no_space += !c->sents[i].words[k].space_after;
        }
    assert_int_equal(begins, 2698 + 1434 + 2873);
    assert_true(no_space > 20000);
    nlp__corpus_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conllu_reads_words_and_comments),
        cmocka_unit_test(test_conllu_multiword_tokens),
        cmocka_unit_test(test_conllu_skips_empty_nodes),
        cmocka_unit_test(test_conllu_space_after_needs_exact_item),
        cmocka_unit_test(test_conllu_crlf_and_missing_final_newline),
        cmocka_unit_test(test_conllu_tolerates_bom_and_extra_blank_lines),
        cmocka_unit_test(test_conllu_underscore_form_is_kept),
        cmocka_unit_test(test_conllu_empty_file_has_no_sentences),
        cmocka_unit_test(test_conllu_errors_name_file_and_line),
        cmocka_unit_test(test_conllu_missing_file_is_io_error),
        cmocka_unit_test(test_conllu_reads_from_a_pipe),
        cmocka_unit_test(test_conllu_out_of_memory_sweep),
        cmocka_unit_test(test_conllu_ewt_train_counts),
        cmocka_unit_test(test_conllu_ewt_dev_reads),
        cmocka_unit_test(test_iob2_reads_tags_forms_and_spacing),
        cmocka_unit_test(test_iob2_errors_name_file_and_line),
        cmocka_unit_test(test_iob2_spacing_survives_text_mismatch),
        cmocka_unit_test(test_iob2_ewt_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
