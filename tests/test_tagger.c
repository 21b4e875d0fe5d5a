/* Tests of the tagger: learning a small corpus exactly, the model file
 * round trip, damaged models, and (with EWT data) accuracy; and of the
 * supertagger it doubles as. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "core/vocab.h"
#include "doc/doc.h"
#include "io/corpus.h"
#include "io/model_file.h"
#include "models/train.h"
#include "models/train_util.h"
#include "pipeline/nlp.h"

/* Ambiguous words ("can", "book", "saw", "her") so context has to decide.
 * Most words occur twice: in training, a word seen once is treated as
 * unknown (its features leave itself out), as it would be at run time. */
static const char fixture[] =
    "# text = I can read the book.\n"
    "1\tI\tI\tPRON\tPRP\tCase=Nom|Number=Sing|Person=1|PronType=Prs\t2\tnsubj\t_\t_\n"
    "2\tcan\tcan\tAUX\tMD\tVerbForm=Fin\t3\taux\t_\t_\n"
    "3\tread\tread\tVERB\tVB\tVerbForm=Inf\t0\troot\t_\t_\n"
    "4\tthe\tthe\tDET\tDT\tDefinite=Def|PronType=Art\t5\tdet\t_\t_\n"
    "5\tbook\tbook\tNOUN\tNN\tNumber=Sing\t3\tobj\t_\tSpaceAfter=No\n"
    "6\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\n"
    "\n"
    "# text = We book a table.\n"
    "1\tWe\twe\tPRON\tPRP\tCase=Nom|Number=Plur|Person=1|PronType=Prs\t2\tnsubj\t_\t_\n"
    "2\tbook\tbook\tVERB\tVBP\tMood=Ind|Tense=Pres|VerbForm=Fin\t0\troot\t_\t_\n"
    "3\ta\ta\tDET\tDT\tDefinite=Ind|PronType=Art\t4\tdet\t_\t_\n"
    "4\ttable\ttable\tNOUN\tNN\tNumber=Sing\t2\tobj\t_\tSpaceAfter=No\n"
    "5\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n"
    "\n"
    "# text = She saw a can of soup.\n"
    "1\tShe\tshe\tPRON\tPRP\tCase=Nom|Gender=Fem|Number=Sing|Person=3|PronType=Prs\t2\tnsubj\t_\t_\n"
    "2\tsaw\tsee\tVERB\tVBD\tMood=Ind|Tense=Past|VerbForm=Fin\t0\troot\t_\t_\n"
    "3\ta\ta\tDET\tDT\tDefinite=Ind|PronType=Art\t4\tdet\t_\t_\n"
    "4\tcan\tcan\tNOUN\tNN\tNumber=Sing\t2\tobj\t_\t_\n"
    "5\tof\tof\tADP\tIN\t_\t6\tcase\t_\t_\n"
    "6\tsoup\tsoup\tNOUN\tNN\tNumber=Sing\t4\tnmod\t_\tSpaceAfter=No\n"
    "7\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n"
    "\n"
    "# text = I saw her book.\n"
    "1\tI\tI\tPRON\tPRP\tCase=Nom|Number=Sing|Person=1|PronType=Prs\t2\tnsubj\t_\t_\n"
    "2\tsaw\tsee\tVERB\tVBD\tMood=Ind|Tense=Past|VerbForm=Fin\t0\troot\t_\t_\n"
    "3\ther\tshe\tPRON\tPRP$\tGender=Fem|Number=Sing|Person=3|Poss=Yes|PronType=Prs\t4\tnmod:poss\t_\t_\n"
    "4\tbook\tbook\tNOUN\tNN\tNumber=Sing\t2\tobj\t_\tSpaceAfter=No\n"
    "5\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n"
    "\n"
    "# text = We saw her.\n"
    "1\tWe\twe\tPRON\tPRP\tCase=Nom|Number=Plur|Person=1|PronType=Prs\t2\tnsubj\t_\t_\n"
    "2\tsaw\tsee\tVERB\tVBD\tMood=Ind|Tense=Past|VerbForm=Fin\t0\troot\t_\t_\n"
    "3\ther\tshe\tPRON\tPRP\tCase=Acc|Gender=Fem|Number=Sing|Person=3|PronType=Prs\t2\tobj\t_\tSpaceAfter=No\n"
    "4\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n"
    "\n"
    "# text = Dogs can run.\n"
    "1\tDogs\tdog\tNOUN\tNNS\tNumber=Plur\t3\tnsubj\t_\t_\n"
    "2\tcan\tcan\tAUX\tMD\tVerbForm=Fin\t3\taux\t_\t_\n"
    "3\trun\trun\tVERB\tVB\tVerbForm=Inf\t0\troot\t_\tSpaceAfter=No\n"
    "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\n"
    "\n"
    "# text = We can run.\n"
    "1\tWe\twe\tPRON\tPRP\tCase=Nom|Number=Plur|Person=1|PronType=Prs\t3\tnsubj\t_\t_\n"
    "2\tcan\tcan\tAUX\tMD\tVerbForm=Fin\t3\taux\t_\t_\n"
    "3\trun\trun\tVERB\tVB\tVerbForm=Inf\t0\troot\t_\tSpaceAfter=No\n"
    "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\n"
    "\n";

static nlp__corpus_t *read_fixture(void) {
    const char *path = test_write_temp(fixture, sizeof fixture - 1);
    nlp__corpus_t *c;
    assert_int_equal(nlp__conllu_read(path, NULL, &c), NLP_OK);
    remove(path);
    assert_int_equal(c->n_sents, 7);
    return c;
}

static nlp__component_t *train_tagger(nlp_vocab_t *vocab, const nlp__corpus_t *c,
                                      uint32_t epochs) {
    nlp__train_opts_t opts = {.epochs = epochs, .seed = 7, .log = NULL, .alloc = NULL};
    nlp__component_t *tagger;
    assert_int_equal(nlp__tagger_train(vocab, c, c, NULL, 0, &opts, &tagger), NLP_OK);
    assert_string_equal(tagger->ops->name, "tagger");
    return tagger;
}

static int same(nlp_hash_t id, const char *s) {
    return id == nlp_hash_string(s, strlen(s));
}

/* Counts the words of the corpus whose tag, POS and morphology all match. */
static size_t count_exact(nlp_vocab_t *vocab, const nlp__component_t *tagger,
                          const nlp__corpus_t *c) {
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, NULL, 4096, 1);
    nlp__arena_init(&scratch, &cache);
    size_t ok = 0;
    for (size_t s = 0; s < c->n_sents; s++) {
        nlp_doc_t *doc;
        assert_int_equal(nlp__gold_doc(vocab, &c->sents[s], &doc), NLP_OK);
        assert_int_equal(tagger->ops->process(tagger, doc, &scratch), NLP_OK);
        nlp__arena_reset(&scratch);
        assert_true(doc->layers & NLP_HAS_TAG);
        for (uint32_t i = 0; i < doc->n_tokens; i++) {
            const nlp__gold_word_t *g = &c->sents[s].words[i];
            int right = same(doc->tokens[i].tag, g->xpos) && same(doc->tokens[i].pos, g->upos) &&
                        same(doc->tokens[i].morph, g->feats);
            if (!right)
                print_message("# %s: want %s %s %s, got %s %s %s\n", g->form, g->xpos, g->upos,
                              g->feats, nlp_doc_str(doc, doc->tokens[i].tag),
                              nlp_doc_str(doc, doc->tokens[i].pos),
                              nlp_doc_str(doc, doc->tokens[i].morph));
            ok += right;
        }
        nlp_doc_free(doc);
    }
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    return ok;
}

static void expect_n_labels(const nlp__component_t *c, size_t want) {
    const char *labels[32];
    size_t n;
    assert_int_equal(c->ops->labels(c, labels, 32, &n), NLP_OK);
    assert_int_equal(n, want);
}

static void test_tagger_learns_fixture_exactly(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    nlp__component_t *tagger = train_tagger(nlp_get_vocab(nlp), c, 20);
    assert_int_equal(count_exact(nlp_get_vocab(nlp), tagger, c), c->n_words);

    /* The labels are the distinct fine-grained tags. */
    expect_n_labels(tagger, 11); /* PRP MD VB DT NN . VBP VBD IN PRP$ NNS */
    tagger->ops->free(tagger);
    nlp_free(nlp);
    nlp__corpus_free(c);
}

/* Training twice with the same seed gives the same model, byte for byte. */
static void test_tagger_training_is_deterministic(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    const char *paths[2] = {"/tmp/spacyc-test-tagger-a.spacyc", "/tmp/spacyc-test-tagger-b.spacyc"};
    for (int k = 0; k < 2; k++) {
        nlp__component_t *tagger = train_tagger(nlp_get_vocab(nlp), c, 5);
        nlp__model_writer_t *w;
        assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
        assert_int_equal(tagger->ops->save(tagger, w, "tagger"), NLP_OK);
        assert_int_equal(nlp__model_writer_save(w, paths[k]), NLP_OK);
        nlp__model_writer_free(w);
        tagger->ops->free(tagger);
    }
    FILE *a = fopen(paths[0], "rb"), *b = fopen(paths[1], "rb");
    assert_non_null(a);
    assert_non_null(b);
    int ca, cb;
    do {
        ca = fgetc(a);
        cb = fgetc(b);
        assert_int_equal(ca, cb);
    } while (ca != EOF);
    fclose(a);
    fclose(b);
    remove(paths[0]);
    remove(paths[1]);
    nlp_free(nlp);
    nlp__corpus_free(c);
}

/* Saves a trained tagger through the pipeline and loads it back with
 * nlp_load into a fresh vocabulary: every prediction is identical. */
static void test_tagger_save_load_round_trip(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    nlp__component_t *tagger = train_tagger(nlp_get_vocab(nlp), c, 20);
    assert_int_equal(nlp__add_component(nlp, tagger), NLP_OK);
    const char *path = "/tmp/spacyc-test-tagger.spacyc";
    assert_int_equal(nlp__save(nlp, path), NLP_OK);

    nlp_t *loaded;
    assert_int_equal(nlp_load(path, NULL, &loaded), NLP_OK);
    assert_int_equal(nlp_n_components(loaded), 1);
    assert_string_equal(nlp_component_name(loaded, 0), "tagger");
    const char *la[32], *lb[32];
    size_t na, nb;
    assert_int_equal(nlp_component_labels(nlp, 0, la, 32, &na), NLP_OK);
    assert_int_equal(nlp_component_labels(loaded, 0, lb, 32, &nb), NLP_OK);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) assert_string_equal(la[i], lb[i]);

    const char *text = "She can book a table. I saw her dogs run.";
    const nlp_token_t *ta, *tb;
    size_t n_a, n_b;
    nlp_doc_t *da = test_parse(nlp, text, &ta, &n_a);
    nlp_doc_t *db = test_parse(loaded, text, &tb, &n_b);
    assert_int_equal(n_a, n_b);
    for (size_t i = 0; i < n_a; i++) {
        assert_string_equal(nlp_doc_str(da, ta[i].tag), nlp_doc_str(db, tb[i].tag));
        assert_string_equal(nlp_doc_str(da, ta[i].pos), nlp_doc_str(db, tb[i].pos));
        assert_string_equal(nlp_doc_str(da, ta[i].morph), nlp_doc_str(db, tb[i].morph));
        assert_true(ta[i].tag != 0);
    }
    nlp_doc_free(da);
    nlp_doc_free(db);
    nlp_free(loaded);
    nlp_free(nlp);
    remove(path);
    nlp__corpus_free(c);
}

/* How rewrite_model changes a model file's sections (each name may be
 * NULL): `skip` is left out, `damaged` gets two bytes flipped and
 * `replaced` gets data[0..len) instead of its bytes. */
typedef struct section_edit {
    const char *skip, *damaged, *replaced;
    const void *data;
    size_t len;
} section_edit_t;

/* Rewrites the model file at `path` with its sections edited. */
static void rewrite_model(const char *path, const section_edit_t *edit) {
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    nlp__model_writer_t *w;
    assert_int_equal(nlp__model_writer_create(NULL, &w), NLP_OK);
    int replaced = 0;
    for (size_t i = 0; i < nlp__model_reader_n_sections(r); i++) {
        const char *name = nlp__model_reader_section_name(r, i);
        const void *data;
        size_t len;
        assert_int_equal(nlp__model_reader_section(r, name, &data, &len), NLP_OK);
        if (edit->skip && strcmp(name, edit->skip) == 0) continue;
        if (edit->replaced && strcmp(name, edit->replaced) == 0)
            data = edit->data, len = edit->len, replaced = 1;
        uint8_t *copy = malloc(len + 1);
        if (len) memcpy(copy, data, len);
        if (edit->damaged && strcmp(name, edit->damaged) == 0 && len > 8)
            copy[len / 2] ^= 0x5a, copy[4] ^= 0xff;
        assert_int_equal(nlp__model_writer_add(w, name, copy, len), NLP_OK);
        free(copy);
    }
    assert_true(replaced == (edit->replaced != NULL));
    nlp__model_reader_close(r);
    assert_int_equal(nlp__model_writer_save(w, path), NLP_OK);
    nlp__model_writer_free(w);
}

/* Writes a model file holding the tagger's sections, with `skip` left out
 * and `damage` (may be NULL) applied to the section named `damaged`. */
static void write_variant(const nlp__component_t *tagger, const char *path,
                          const char *skip, const char *damaged) {
    nlp__model_writer_t *full;
    assert_int_equal(nlp__model_writer_create(NULL, &full), NLP_OK);
    assert_int_equal(tagger->ops->save(tagger, full, "tagger"), NLP_OK);
    assert_int_equal(nlp__model_writer_save(full, path), NLP_OK);
    nlp__model_writer_free(full);
    rewrite_model(path, &(section_edit_t){.skip = skip, .damaged = damaged});
}

static nlp_status_t load_from(const char *path, nlp_vocab_t *vocab) {
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    nlp__component_t *c = NULL;
    nlp_status_t st = nlp__tagger_load(vocab, r, "tagger", &c);
    if (c) c->ops->free(c);
    nlp__model_reader_close(r);
    return st;
}

static void test_tagger_load_rejects_damaged_models(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    nlp__component_t *tagger = train_tagger(nlp_get_vocab(nlp), c, 3);
    const char *path = "/tmp/spacyc-test-tagger-damaged.spacyc";
    const char *sections[] = {"tagger.config", "tagger.labels", "tagger.morphs",
                              "tagger.morph_map", "tagger.amb", "tagger.model"};
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
        write_variant(tagger, path, sections[i], NULL);
        assert_int_equal(load_from(path, nlp_get_vocab(nlp)), NLP_MODEL_CORRUPT);
        write_variant(tagger, path, NULL, sections[i]);
        nlp_status_t st = load_from(path, nlp_get_vocab(nlp));
        assert_true(st == NLP_MODEL_CORRUPT || st == NLP_MODEL_VERSION);
    }
    write_variant(tagger, path, NULL, NULL);
    assert_int_equal(load_from(path, nlp_get_vocab(nlp)), NLP_OK);

    /* Labels are interned permanently, which an open zone forbids. */
    nlp_vocab_t *fresh;
    assert_int_equal(nlp__vocab_create(NULL, NULL, &fresh), NLP_OK);
    nlp_zone_t *zone;
    assert_int_equal(nlp__zone_begin(fresh, &zone), NLP_OK);
    assert_int_equal(load_from(path, fresh), NLP_ZONE_OPEN);
    assert_int_equal(nlp__zone_end(zone), NLP_OK);
    assert_int_equal(load_from(path, fresh), NLP_OK);
    nlp__vocab_free(fresh);

    remove(path);
    tagger->ops->free(tagger);
    nlp_free(nlp);
    nlp__corpus_free(c);
}

/* Replaces the bytes of section `name` in the model file at `path`. */
static void replace_section(const char *path, const char *name, const void *data, size_t len) {
    rewrite_model(path, &(section_edit_t){.replaced = name, .data = data, .len = len});
}

/* A tagger trained for one pass tags the fixture right without second-pass
 * weights, keeps its pass count through a save, and a file whose count
 * and weights disagree is refused. */
static void test_tagger_one_pass(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    nlp_vocab_t *vocab = nlp_get_vocab(nlp);
    nlp__train_opts_t opts = {.epochs = 20, .seed = 7, .tagger_passes = 3};
    nlp__component_t *tagger = NULL;
    assert_int_equal(nlp__tagger_train(vocab, c, c, NULL, 0, &opts, &tagger), NLP_INVALID_ARG);
    assert_null(tagger);
    opts.tagger_passes = 1;
    assert_int_equal(nlp__tagger_train(vocab, c, c, NULL, 0, &opts, &tagger), NLP_OK);
    assert_int_equal(count_exact(vocab, tagger, c), c->n_words);

    const char *path = "/tmp/spacyc-test-tagger-one-pass.spacyc";
    write_variant(tagger, path, NULL, NULL);
    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    const void *data;
    size_t len;
    assert_int_equal(nlp__model_reader_section(r, "tagger.model2", &data, &len), NLP_OK);
    assert_int_equal(len, 0);
    uint8_t config[64], model[1 << 16];
    size_t config_len, model_len;
    assert_int_equal(nlp__model_reader_section(r, "tagger.config", &data, &config_len), NLP_OK);
    assert_true(config_len <= sizeof config);
    memcpy(config, data, config_len);
    assert_int_equal(nlp__model_reader_section(r, "tagger.model", &data, &model_len), NLP_OK);
    assert_true(model_len <= sizeof model);
    memcpy(model, data, model_len);
    nlp__model_reader_close(r);
    nlp__component_t *loaded;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    assert_int_equal(nlp__tagger_load(vocab, r, "tagger", &loaded), NLP_OK);
    assert_int_equal(count_exact(vocab, loaded, c), c->n_words);
    loaded->ops->free(loaded);
    nlp__model_reader_close(r);

    /* Second-pass weights in a one-pass model. */
    replace_section(path, "tagger.model2", model, model_len);
    assert_int_equal(load_from(path, vocab), NLP_MODEL_CORRUPT);
    /* A pass count this library does not know (the field after the
     * magic, feature version, class and FEATS counts). */
    replace_section(path, "tagger.model2", NULL, 0);
    uint32_t passes = 3;
    memcpy(config + 20, &passes, sizeof passes);
    replace_section(path, "tagger.config", config, config_len);
    assert_int_equal(load_from(path, vocab), NLP_MODEL_CORRUPT);
    /* Two passes without second-pass weights. */
    passes = 2;
    memcpy(config + 20, &passes, sizeof passes);
    replace_section(path, "tagger.config", config, config_len);
    assert_int_equal(load_from(path, vocab), NLP_MODEL_CORRUPT);
    remove(path);
    tagger->ops->free(tagger);
    nlp_free(nlp);
    nlp__corpus_free(c);
}

/* Training and tagging allocate through the given allocator and release
 * everything. */
static void test_tagger_frees_everything(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    test_alloc_t ta;
    test_alloc_init(&ta);
    nlp_vocab_t *vocab;
    assert_int_equal(nlp__vocab_create(&ta.iface, NULL, &vocab), NLP_OK);
    nlp__train_opts_t opts = {.epochs = 3, .seed = 1, .alloc = &ta.iface};
    nlp__component_t *tagger;
    assert_int_equal(nlp__tagger_train(vocab, c, c, NULL, 0, &opts, &tagger), NLP_OK);
    count_exact(vocab, tagger, c);
    tagger->ops->free(tagger);
    nlp__vocab_free(vocab);
    assert_int_equal(ta.live, 0);
    nlp__corpus_free(c);
}

/* With EWT present: a short training run already tags dev well. */
static void test_tagger_ewt_accuracy(void **state) {
    (void)state;
    nlp__corpus_t *train, *dev;
    test_read_ewt_or_skip(&train, &dev);
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    nlp_vocab_t *vocab = nlp_get_vocab(nlp);
    nlp__train_opts_t opts = {.epochs = 3, .seed = 1};
    nlp__component_t *tagger;
    assert_int_equal(nlp__tagger_train(vocab, train, NULL, NULL, 0, &opts, &tagger), NLP_OK);

    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, NULL, 1 << 16, 1);
    nlp__arena_init(&scratch, &cache);
    size_t words = 0, tag_ok = 0, pos_ok = 0;
    for (size_t s = 0; s < dev->n_sents; s++) {
        nlp_doc_t *doc;
        assert_int_equal(nlp__gold_doc(vocab, &dev->sents[s], &doc), NLP_OK);
        assert_int_equal(tagger->ops->process(tagger, doc, &scratch), NLP_OK);
        nlp__arena_reset(&scratch);
        for (uint32_t i = 0; i < doc->n_tokens; i++, words++) {
            tag_ok += same(doc->tokens[i].tag, dev->sents[s].words[i].xpos);
            pos_ok += same(doc->tokens[i].pos, dev->sents[s].words[i].upos);
        }
        nlp_doc_free(doc);
    }
    printf("# EWT dev after 3 epochs: tag_acc %.4f pos_acc %.4f\n",
           (double)tag_ok / words, (double)pos_ok / words);
    assert_true((double)tag_ok / words > 0.935);
    assert_true((double)pos_ok / words > 0.940);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    tagger->ops->free(tagger);
    nlp_free(nlp);
    nlp__corpus_free(train);
    nlp__corpus_free(dev);
}

static nlp__component_t *train_supertagger(nlp_vocab_t *vocab, const nlp__corpus_t *c) {
    nlp__train_opts_t opts = {.epochs = 20, .seed = 7};
    nlp__component_t *st;
    assert_int_equal(nlp__supertagger_train(vocab, c, c, NULL, 0, &opts, &st), NLP_OK);
    assert_string_equal(st->ops->name, "supertagger");
    return st;
}

/* The supertag gold word i of a sentence should get: label and head side. */
static uint32_t gold_supertag(const nlp__gold_sent_t *sent, uint32_t i) {
    const nlp__gold_word_t *g = &sent->words[i];
    char buf[64];
    if (g->head == 0) snprintf(buf, sizeof buf, "ROOT");
    else snprintf(buf, sizeof buf, "%s%c", g->deprel, (uint32_t)g->head - 1 > i ? '<' : '>');
    return nlp__supertag_id(nlp_hash_string(buf, strlen(buf)));
}

/* The supertagger learns the fixture's supertags exactly, writes them to
 * the Doc's side array only (no tag, POS or layer), and lists them as its
 * labels. */
static void test_supertagger_learns_fixture_exactly(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    nlp_vocab_t *vocab = nlp_get_vocab(nlp);
    nlp__component_t *st = train_supertagger(vocab, c);
    nlp__chunk_cache_t cache;
    nlp__arena_t scratch;
    nlp__chunk_cache_init(&cache, NULL, 4096, 1);
    nlp__arena_init(&scratch, &cache);
    for (size_t s = 0; s < c->n_sents; s++) {
        nlp_doc_t *doc;
        assert_int_equal(nlp__gold_doc(vocab, &c->sents[s], &doc), NLP_OK);
        assert_null(nlp__doc_supertags_if_any(doc));
        assert_int_equal(st->ops->process(st, doc, &scratch), NLP_OK);
        const uint32_t *tags = nlp__doc_supertags_if_any(doc);
        assert_non_null(tags);
        for (uint32_t i = 0; i < doc->n_tokens; i++) {
            assert_int_equal(tags[i], gold_supertag(&c->sents[s], i));
            assert_int_equal(doc->tokens[i].tag, 0);
            assert_int_equal(doc->tokens[i].pos, 0);
        }
        assert_int_equal(doc->layers, 0);
        nlp_doc_free(doc);
    }
    /* nsubj< aux< ROOT det< obj> punct> case< nmod> nmod:poss< */
    expect_n_labels(st, 9);
    nlp__arena_destroy(&scratch);
    nlp__chunk_cache_destroy(&cache);
    st->ops->free(st);
    nlp_free(nlp);
    nlp__corpus_free(c);
}

/* A pipeline of tagger, supertagger and parser survives nlp_save /
 * nlp_load with the same supertags, may not lose the supertagger alone,
 * and neither tagger kind loads the other's sections. */
static const char supertag_model[] = "/tmp/spacyc-test-supertagger.spacyc";
static const char supertag_text[] = "She can book a table. I saw her dogs run.";

/* A tagger, supertagger and parser trained on the fixture, also saved as
 * supertag_model; the parser learns from the supertags. */
static nlp_t *supertag_pipeline(const nlp__corpus_t *c) {
    nlp_t *nlp;
    assert_int_equal(nlp_create_blank("en", NULL, &nlp), NLP_OK);
    assert_int_equal(nlp__add_component(nlp, train_tagger(nlp_get_vocab(nlp), c, 20)), NLP_OK);
    nlp__component_t *st = train_supertagger(nlp_get_vocab(nlp), c);
    assert_int_equal(nlp__add_component(nlp, st), NLP_OK);
    const nlp__component_t *upstream[2] = {nlp->components[0], st};
    nlp__train_opts_t opts = {.epochs = 5, .seed = 1};
    nlp__component_t *parser;
    assert_int_equal(nlp__parser_train(nlp_get_vocab(nlp), c, NULL, upstream, 2, &opts, &parser),
                     NLP_OK);
    assert_int_equal(nlp__add_component(nlp, parser), NLP_OK);
    assert_int_equal(nlp__save(nlp, supertag_model), NLP_OK);
    return nlp;
}

static void test_supertagger_round_trip_and_kind(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_t *nlp = supertag_pipeline(c);
    const char *path = supertag_model;

    /* The parser learnt with supertags: leaving them out is refused. */
    nlp_t *refused = (nlp_t *)1;
    assert_int_equal(nlp_load_exclude(path, "supertagger", NULL, &refused), NLP_INVALID_ARG);
    assert_null(refused);
    assert_non_null(strstr(nlp_error_detail(), "parser reads what supertagger writes"));

    nlp_t *loaded;
    assert_int_equal(nlp_load(path, NULL, &loaded), NLP_OK);
    assert_string_equal(nlp_component_name(loaded, 1), "supertagger");
    const char *text = supertag_text;
    const nlp_token_t *ta, *tb;
    size_t n_a, n_b;
    nlp_doc_t *da = test_parse(nlp, text, &ta, &n_a);
    nlp_doc_t *db = test_parse(loaded, text, &tb, &n_b);
    assert_int_equal(n_a, n_b);
    const uint32_t *sa = nlp__doc_supertags_if_any(da), *sb = nlp__doc_supertags_if_any(db);
    assert_non_null(sa);
    assert_non_null(sb);
    for (size_t i = 0; i < n_a; i++) {
        assert_int_equal(sa[i], sb[i]);
        assert_true(sa[i] != 0);
    }
    nlp_doc_free(da);
    nlp_doc_free(db);
    nlp_free(loaded);

    nlp__model_reader_t *r;
    assert_int_equal(nlp__model_reader_open(path, NULL, &r), NLP_OK);
    nlp__component_t *wrong = NULL;
    assert_int_equal(nlp__tagger_load(nlp_get_vocab(nlp), r, "supertagger.", &wrong),
                     NLP_MODEL_CORRUPT);
    assert_null(wrong);
    assert_non_null(strstr(nlp_error_detail(), "tagger: the sections hold a supertagger"));
    assert_int_equal(nlp__supertagger_load(nlp_get_vocab(nlp), r, "tagger.", &wrong),
                     NLP_MODEL_CORRUPT);
    assert_null(wrong);
    assert_non_null(strstr(nlp_error_detail(), "supertagger: the sections hold a tagger"));
    nlp__model_reader_close(r);
    nlp_free(nlp);
    remove(path);
    nlp__corpus_free(c);
}

/* One attempt of the sweep below: load the supertagger pipeline and parse
 * the text `ctx`. */
static nlp_status_t supertag_parse_attempt(void *ctx, const nlp_allocator_t *alloc) {
    const char *text = ctx;
    test_set_stale_detail();
    nlp_t *nlp;
    nlp_status_t st = nlp_load(supertag_model, alloc, &nlp);
    if (!st) {
        nlp_doc_t *doc = NULL;
        st = nlp_parse(nlp, NULL, text, strlen(text), &doc);
        if (!st) assert_non_null(nlp__doc_supertags_if_any(doc));
        else assert_null(doc);
        nlp_doc_free(doc);
        nlp_free(nlp);
    }
    if (st && !test_detail_is_fresh()) fail_msg("a failure kept an older detail");
    return st;
}

/* Every allocation failure while loading and running a pipeline with a
 * supertagger is refused cleanly, with a detail of its own. The text is
 * long enough (4,400 tokens) for the supertags to need memory of their
 * own, beyond the Doc's first blocks. */
static void test_supertagger_out_of_memory_sweep(void **state) {
    (void)state;
    nlp__corpus_t *c = read_fixture();
    nlp_free(supertag_pipeline(c));
    size_t one = strlen(supertag_text), copies = 400;
    char *text = malloc(copies * (one + 1) + 1);
    for (size_t k = 0; k < copies; k++) {
        memcpy(text + k * (one + 1), supertag_text, one);
        text[k * (one + 1) + one] = ' ';
    }
    text[copies * (one + 1)] = 0;
    assert_true(test_oom_sweep(supertag_parse_attempt, text, 100000) > 10);
    free(text);
    remove(supertag_model);
    nlp__corpus_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tagger_learns_fixture_exactly),
        cmocka_unit_test(test_tagger_training_is_deterministic),
        cmocka_unit_test(test_tagger_save_load_round_trip),
        cmocka_unit_test(test_tagger_load_rejects_damaged_models),
        cmocka_unit_test(test_tagger_one_pass),
        cmocka_unit_test(test_tagger_frees_everything),
        cmocka_unit_test(test_tagger_ewt_accuracy),
        cmocka_unit_test(test_supertagger_learns_fixture_exactly),
        cmocka_unit_test(test_supertagger_round_trip_and_kind),
        cmocka_unit_test(test_supertagger_out_of_memory_sweep),
    };
    return cmocka_run_group_tests(tests, 0, NULL);
}
