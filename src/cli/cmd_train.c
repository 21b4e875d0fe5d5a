/* spacyc train: trains the pipeline's components in order, each on the
 * output of the ones before it, and writes one model file. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "core/alloc.h"
#include "commands.h"
#include "io/corpus.h"
#include "io/gazetteer_file.h"
#include "io/output_target.h"
#include "io/word_stats_files.h"
#include "models/jackknife.h"
#include "models/train.h"
#include "pipeline/nlp.h"

/* Rarer words keep only their cluster: the table stays a few MB. */
#define DEFAULT_MIN_WORD_PROB -17.0f

static int usage(void) {
    fprintf(stderr,
        "usage: spacyc train --train FILE.conllu --dev FILE.conllu -o MODEL\n"
        "                    [--ner-train FILE.iob2 --ner-dev FILE.iob2]\n"
        "                    [--pipeline tagger,lemmatizer,supertagger,parser,ner]\n"
        "                    [--epochs N] [--seed N] [--name NAME] [--tagger-passes 1|2]\n"
        "                    [--clusters PATHS] [--word-probs FILE] [--min-word-prob P]\n"
        "                    [--gazetteer FILE]\n"
        "  Trains each component in order (later ones see the earlier ones'\n"
        "  predictions), prints dev scores per epoch, keeps each component's\n"
        "  best epoch and writes one model file. --clusters (Brown clusters,\n"
        "  \"<path>\\t<word>\" lines) and --word-probs (\"<log prob>\\t<word>\"\n"
        "  lines) add word statistics from a large corpus, kept in the model;\n"
        "  probabilities below --min-word-prob (default %g) are left out.\n"
        "  --gazetteer (\"<category>\\t<name>\" lines: cities, first names...)\n"
        "  gives the entity recogniser lists of names, kept in the model.\n"
        "  The default pipeline is the bundled model's: its supertagger makes\n"
        "  the parser more accurate. A senter before the parser proposes\n"
        "  sentence starts, which the parser keeps (better boundaries in raw\n"
        "  text, slower). --tagger-passes 2 tags in two greedy passes instead\n"
        "  of one (tagger and supertagger): twice their time, slightly more\n"
        "  tags right.\n",
        (double)DEFAULT_MIN_WORD_PROB);
    return 2;
}

typedef struct trainer {
    const char *name;
    nlp__train_fn train;
    /* Set for components that learn better from jackknifed upstream
     * components (upstream annotations as noisy as on new text). */
    nlp__train_jackknifed_fn train_jackknifed;
    int wants_ner_data;
} trainer_t;

static const trainer_t trainers[] = {
    {"tagger", nlp__tagger_train, NULL, 0},
    {"supertagger", nlp__supertagger_train, NULL, 0},
    {"lemmatizer", nlp__lemmatizer_train, NULL, 0},
    {"senter", nlp__senter_train, nlp__senter_train_jackknifed, 0},
    {"parser", nlp__parser_train, nlp__parser_train_jackknifed, 0},
    {"ner", nlp__ner_train, NULL, 1},
};

static const trainer_t *find_trainer(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof trainers / sizeof *trainers; i++)
        if (strlen(trainers[i].name) == len && !memcmp(trainers[i].name, name, len))
            return &trainers[i];
    return NULL;
}

/* Most components one pipeline trains. */
#define MAX_COMPONENTS NLP__JACKKNIFE_MAX_COMPONENTS

typedef struct train_args {
    const char *train, *dev, *ner_train, *ner_dev, *output, *pipeline, *name;
    const char *clusters, *word_probs, *gazetteer;
    float min_word_prob;
    unsigned epochs, tagger_passes;
    unsigned long long seed;
} train_args_t;

/* A finite negative number (a natural log probability); 0 when v is not. */
static int parse_log_prob(const char *v, float *out) {
    char *end;
    errno = 0;
    float p = strtof(v, &end);
    if (end == v || *end || errno || !isfinite(p) || !(p < 0.0f)) return 0;
    *out = p;
    return 1;
}

/* Whether the comma-separated `pipeline` names `component`. */
static bool pipeline_has(const char *pipeline, const char *component) {
    size_t want = strlen(component);
    for (const char *p = pipeline; *p;) {
        size_t len = strcspn(p, ",");
        if (len == want && !strncmp(p, component, len)) return true;
        p += len + (p[len] == ',');
    }
    return false;
}

/* Checks the --pipeline list before anything is trained: known names,
 * each once, and the data each one needs. 0 when fine, else prints why. */
static int check_pipeline(const train_args_t *a) {
    const trainer_t *seen[MAX_COMPONENTS];
    size_t n = 0;
    if (!*a->pipeline) {
        fprintf(stderr, "spacyc: --pipeline names no component\n");
        return 2;
    }
    for (const char *p = a->pipeline;;) {
        size_t len = strcspn(p, ",");
        const trainer_t *t = find_trainer(p, len);
        if (!t) {
            fprintf(stderr, "spacyc: unknown component \"%.*s\" in --pipeline\n", (int)len, p);
            return 2;
        }
        for (size_t i = 0; i < n; i++)
            if (seen[i] == t) {
                fprintf(stderr, "spacyc: --pipeline names %s twice\n", t->name);
                return 2;
            }
        if (n == MAX_COMPONENTS) {
            fprintf(stderr, "spacyc: a pipeline trains at most %u components\n",
                    MAX_COMPONENTS);
            return 2;
        }
        seen[n++] = t;
        if (t->wants_ner_data ? !a->ner_train || !a->ner_dev : !a->train || !a->dev) {
            fprintf(stderr, "spacyc: %s needs --%strain and --%sdev\n", t->name,
                    t->wants_ner_data ? "ner-" : "", t->wants_ner_data ? "ner-" : "");
            return 2;
        }
        if (!p[len]) return 0;
        p += len + 1;
    }
}

/* More epochs than any corpus needs; a typo should not train for a week. */
#define MAX_EPOCHS 1000
#define MAX_EPOCHS_TEXT "1000"

static int parse_args(int argc, char **argv, train_args_t *a) {
    *a = (train_args_t){.pipeline = "tagger,lemmatizer,supertagger,parser,ner",
                        .tagger_passes = 1, .name = "en_default", .seed = 1,
                        .min_word_prob = DEFAULT_MIN_WORD_PROB};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], **dst = NULL;
        if (!strcmp(o, "--train")) dst = &a->train;
        else if (!strcmp(o, "--dev")) dst = &a->dev;
        else if (!strcmp(o, "--ner-train")) dst = &a->ner_train;
        else if (!strcmp(o, "--ner-dev")) dst = &a->ner_dev;
        else if (!strcmp(o, "-o") || !strcmp(o, "--output")) dst = &a->output;
        else if (!strcmp(o, "--pipeline")) dst = &a->pipeline;
        else if (!strcmp(o, "--name")) dst = &a->name;
        else if (!strcmp(o, "--clusters")) dst = &a->clusters;
        else if (!strcmp(o, "--word-probs")) dst = &a->word_probs;
        else if (!strcmp(o, "--gazetteer")) dst = &a->gazetteer;
        else if (!strcmp(o, "--tagger-passes")) {
            const char *v = nlp_cli_value(argc, argv, &i);
            if (!v) return 2;
            if (strcmp(v, "1") && strcmp(v, "2")) {
                fprintf(stderr, "spacyc: --tagger-passes wants 1 or 2, not \"%s\"\n", v);
                return 2;
            }
            a->tagger_passes = (unsigned)(v[0] - '0');
            continue;
        } else if (!strcmp(o, "--epochs") || !strcmp(o, "--seed") ||
                   !strcmp(o, "--min-word-prob")) {
            const char *v = nlp_cli_value(argc, argv, &i);
            if (!v) return 2;
            uint64_t n;
            if (o[2] == 'e' || o[2] == 's') {
                int epochs = o[2] == 'e';
                if (!nlp_cli_parse_count(v, epochs, epochs ? MAX_EPOCHS : UINT64_MAX, &n)) {
                    fprintf(stderr, "spacyc: %s wants a whole number%s, not \"%s\"\n", o,
                            epochs ? " from 1 to " MAX_EPOCHS_TEXT : "", v);
                    return 2;
                }
                if (epochs) a->epochs = (unsigned)n;
                else a->seed = n;
            } else if (!parse_log_prob(v, &a->min_word_prob)) {
                fprintf(stderr, "spacyc: --min-word-prob wants a negative number, not \"%s\"\n", v);
                return 2;
            }
            continue;
        } else return usage();
        if (!(*dst = nlp_cli_value(argc, argv, &i))) return 2;
    }
    if (!a->output) return usage();
    if (a->gazetteer && !pipeline_has(a->pipeline, "ner")) {
        fprintf(stderr, "spacyc: --gazetteer is for the ner component, which "
                        "--pipeline %s leaves out\n", a->pipeline);
        return 2;
    }
    int rc = check_pipeline(a);
    if (rc) return rc;
    /* Before hours of training, not after them. */
    nlp_status_t st = nlp__output_check(a->output);
    return st ? nlp_cli_error("cannot write the model", st) : 0;
}

/* Reads the word statistics into the vocabulary before any training
 * lexeme is made; 0 on success, with a line for the log. */
static int load_word_stats(nlp_t *nlp, const train_args_t *a) {
    if (!a->clusters && !a->word_probs) return 0;
    void *image;
    size_t len;
    nlp__word_stats_counts_t n;
    nlp_status_t st = nlp__word_stats_read(nlp->alloc, a->clusters, a->word_probs,
                                           a->min_word_prob, &image, &len, &n);
    if (!st) st = nlp__vocab_set_word_stats(nlp->vocab, image, len, 1);
    if (st) return nlp_cli_error("word statistics", st);
    fprintf(stderr, "word statistics: %zu words (%zu with a cluster, %zu with a "
            "probability of at least %g, %zu lost to clashes), %.1f MB\n",
            n.words, n.clusters, n.probs, (double)a->min_word_prob, n.dropped,
            (double)len / 1e6);
    return 0;
}

/* Reads the gazetteer for the entity recogniser (*image stays NULL
 * without one); 0 on success, with a line for the log. */
static int load_gazetteer(nlp_t *nlp, const train_args_t *a, void **image,
                          size_t *len) {
    *image = NULL;
    *len = 0;
    if (!a->gazetteer) return 0;
    nlp__gazetteer_counts_t n;
    nlp_status_t st = nlp__gazetteer_read(nlp->alloc, a->gazetteer, image, len, &n);
    if (st) return nlp_cli_error("gazetteer", st);
    fprintf(stderr, "gazetteer: %zu names (%zu longer than %u words skipped) in",
            n.names, n.too_long, NLP__NER_LEX_MAX_PHRASE);
    for (uint32_t k = 0; k < n.n_categories; k++)
        fprintf(stderr, " %s", n.categories[k]);
    fprintf(stderr, ", %.1f MB\n", (double)*len / 1e6);
    return 0;
}

static nlp__corpus_t *read_corpus(const char *path, int iob2) {
    nlp__corpus_t *c = NULL;
    nlp_status_t st = iob2 ? nlp__iob2_read(path, NULL, &c)
                           : nlp__conllu_read(path, NULL, &c);
    if (st) {
        nlp_cli_error(path, st);
        return NULL;
    }
    fprintf(stderr, "read %s: %zu sentences, %zu words\n", path, c->n_sents,
            c->n_words);
    if (c->n_sents == 0) {
        /* Dev scores of nothing would select epochs at random. */
        fprintf(stderr, "spacyc: %s: no sentences\n", path);
        nlp__corpus_free(c);
        return NULL;
    }
    return c;
}

/* The trainer named at *p in a --pipeline that check_pipeline accepted;
 * moves *p past the name and its comma. */
static const trainer_t *next_trainer(const char **p) {
    size_t len = strcspn(*p, ",");
    const trainer_t *t = find_trainer(*p, len);
    *p += len + ((*p)[len] == ',');
    return t;
}

/* Reads the corpora the pipeline's components train on (corpora[0, 1]:
 * --train and --dev; [2, 3]: --ner-train and --ner-dev), all before any
 * training, so a bad file is reported at once. Returns 0 on success. */
static int read_corpora(const train_args_t *a, nlp__corpus_t *corpora[4]) {
    for (const char *p = a->pipeline; *p;) {
        const trainer_t *t = next_trainer(&p);
        const char *paths[2] = {t->wants_ner_data ? a->ner_train : a->train,
                                t->wants_ner_data ? a->ner_dev : a->dev};
        for (int k = 0; k < 2; k++) {
            nlp__corpus_t **c = &corpora[t->wants_ner_data * 2 + k];
            if (!*c && !(*c = read_corpus(paths[k], t->wants_ner_data))) return 1;
        }
    }
    return 0;
}

int nlp_cli_train(int argc, char **argv) {
    train_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc;
    nlp__corpus_t *corpora[4] = {NULL};
    /* Everything `out:` frees is set before the first jump there. */
    nlp__jackknife_t jack = {0};
    /* The trainers of the components so far; NULL for those trained on
     * other data, which a jackknife over this corpus cannot retrain. */
    nlp__train_fn done[MAX_COMPONENTS];
    size_t n_done = 0;
    void *gazetteer = NULL;
    size_t gazetteer_len = 0;
    nlp_t *nlp = NULL;
    nlp_status_t st = nlp_create_blank("en", NULL, &nlp);
    if (st) return nlp_cli_error("cannot create the pipeline", st);
    rc = 1;
    double t0 = nlp_cli_now();
    if (load_word_stats(nlp, &a) || load_gazetteer(nlp, &a, &gazetteer, &gazetteer_len) ||
        read_corpora(&a, corpora))
        goto out;
    for (const char *p = a.pipeline; *p;) {
        const trainer_t *t = next_trainer(&p);
        nlp__corpus_t *train = corpora[t->wants_ner_data * 2];
        nlp__corpus_t *dev = corpora[t->wants_ner_data * 2 + 1];
        nlp__train_opts_t opts = {.epochs = a.epochs, .seed = a.seed, .log = stderr,
                                  .gazetteer = gazetteer,
                                  .gazetteer_len = gazetteer_len,
                                  .tagger_passes = a.tagger_passes};
        double t1 = nlp_cli_now();
        /* The jackknife is kept from one component to the next: each
         * extension trains only the components added since. */
        bool jackknifed = false;
        if (t->train_jackknifed && n_done) {
            nlp__train_opts_t quiet = opts;
            quiet.log = NULL;
            if ((st = nlp__jackknife_extend(&jack, nlp->vocab, done, n_done, train,
                                            dev, &quiet, stderr))) {
                nlp_cli_error("jackknife", st);
                goto out;
            }
            jackknifed = jack.ready;
        }
        fprintf(stderr, "training %s\n", t->name);
        nlp__component_t *c = NULL;
        const nlp__component_t *const *upstream =
            (const nlp__component_t *const *)nlp->components;
        if (jackknifed)
            st = t->train_jackknifed(nlp->vocab, train, dev, upstream,
                                     nlp->n_components, jack.folds,
                                     NLP__JACKKNIFE_FOLDS, &opts, &c);
        else
            st = t->train(nlp->vocab, train, dev, upstream, nlp->n_components,
                          &opts, &c);
        if (st) {
            nlp_cli_error(t->name, st);
            goto out;
        }
        if ((st = nlp__add_component(nlp, c))) {
            nlp_cli_error("add component", st);
            goto out;
        }
        fprintf(stderr, "trained %s in %.1f s\n", t->name, nlp_cli_now() - t1);
        done[n_done++] = t->wants_ner_data ? NULL : t->train;
    }
    char sources[8192];
    snprintf(sources, sizeof sources, "%s%s%s%s%s%s%s%s%s", a.train ? a.train : "",
             a.ner_train ? " " : "", a.ner_train ? a.ner_train : "",
             a.clusters ? " " : "", a.clusters ? a.clusters : "",
             a.word_probs ? " " : "", a.word_probs ? a.word_probs : "",
             a.gazetteer ? " " : "", a.gazetteer ? a.gazetteer : "");
    if ((st = nlp__set_meta(nlp, "name", a.name)) ||
        (st = nlp__set_meta(nlp, "version", NLP_VERSION_STRING)) ||
        (st = nlp__set_meta(nlp, "license",
                            a.clusters || a.word_probs || a.gazetteer
                                ? "CC BY-SA 4.0 (training data); word statistics and "
                                  "gazetteer under their own licences"
                                : "CC BY-SA 4.0 (training data)")) ||
        (st = nlp__set_meta(nlp, "sources", sources)) ||
        (st = nlp__save(nlp, a.output))) {
        nlp_cli_error(a.output, st);
        goto out;
    }
    fprintf(stderr, "wrote %s (%.1f s in all)\n", a.output, nlp_cli_now() - t0);
    rc = 0;
out:
    if (nlp) nlp__free(nlp->alloc, gazetteer);
    nlp__jackknife_free(&jack);
    for (int i = 0; i < 4; i++) nlp__corpus_free(corpora[i]);
    nlp_free(nlp);
    return rc;
}
