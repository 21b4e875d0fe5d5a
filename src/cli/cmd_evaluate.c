/* spacyc evaluate: scores a pipeline on CoNLL-U or IOB2 gold data. */
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "eval/evaluate.h"

static int usage(void) {
    fprintf(stderr,
        "usage: spacyc evaluate --data FILE.conllu|FILE.iob2 [--model PATH | --blank]\n"
        "                       [--gold-tokens | --line-per-sentence]\n"
        "  Prints one JSON object with spaCy's score names (token_p/r/f,\n"
        "  sents_p/r/f, tag_acc, pos_acc, morph_acc, lemma_acc, dep_uas,\n"
        "  dep_las, dep_las_per_type, ents_p/r/f, ents_per_type, speed).\n"
        "  Without --gold-tokens each paragraph's raw text is parsed and\n"
        "  tokens are aligned to gold words by character span;\n"
        "  --line-per-sentence puts each of its sentences on its own line\n"
        "  (CoNLL-U with # newpar marks; otherwise each sentence is a text).\n"
        "  --blank scores the tokenizer alone.\n");
    return 2;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int nlp_cli_evaluate(int argc, char **argv) {
    const char *model = NULL, *data = NULL;
    nlp__eval_input_t input = NLP__EVAL_RAW;
    int blank = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model")) {
            if (!(model = nlp_cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--data")) {
            if (!(data = nlp_cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--gold-tokens") || !strcmp(argv[i], "--line-per-sentence")) {
            if (input != NLP__EVAL_RAW) {
                fprintf(stderr, "spacyc evaluate: --gold-tokens and --line-per-sentence "
                                "exclude each other\n");
                return usage();
            }
            input = !strcmp(argv[i], "--gold-tokens") ? NLP__EVAL_GOLD_TOKENS
                                                       : NLP__EVAL_RAW_LINES;
        } else if (!strcmp(argv[i], "--blank")) {
            blank = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "spacyc evaluate: unknown argument %s\n", argv[i]);
            return usage();
        }
    }
    if (!data) {
        fprintf(stderr, "spacyc evaluate: --data FILE is required\n");
        return usage();
    }
    nlp__corpus_t *gold = NULL;
    nlp_status_t st = ends_with(data, ".iob2") ? nlp__iob2_read(data, NULL, &gold)
                                               : nlp__conllu_read(data, NULL, &gold);
    if (st) return nlp_cli_error(data, st);
    if (gold->n_sents == 0) {
        /* Scores of nothing would read as a model that gets nothing right. */
        fprintf(stderr, "spacyc: %s: no sentences to evaluate on\n", data);
        nlp__corpus_free(gold);
        return 1;
    }
    nlp_t *nlp = NULL;
    if (blank) {
        if ((st = nlp_create_blank("en", NULL, &nlp))) nlp_cli_error("blank pipeline", st);
    } else {
        nlp = nlp_cli_load(model, NULL);
    }
    int rc = 1;
    if (nlp) {
        nlp__scores_t scores;
        st = nlp__evaluate(nlp, gold, input, &scores);
        if (st) {
            nlp_cli_error("evaluate", st);
        } else {
            nlp__scores_write_json(&scores, nlp_cli_write_file, stdout);
            fputc('\n', stdout);
            rc = nlp_cli_flush_stdout();
        }
    }
    nlp_free(nlp);
    nlp__corpus_free(gold);
    return rc;
}
