/* spacyc: the command-line front end of libspacyc. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "spacyc.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} command_t;

static const command_t commands[] = {
    {"tokenize", nlp_cli_tokenize, "split text into tokens (one doc per line)"},
    {"parse", nlp_cli_parse, "tag, parse and find entities (CoNLL-U or JSON)"},
    {"train", nlp_cli_train, "train a pipeline from CoNLL-U / IOB2 files"},
    {"evaluate", nlp_cli_evaluate, "score a pipeline on gold data (JSON)"},
    {"info", nlp_cli_info, "show the library version and a model's contents"},
    {"serve", nlp_cli_serve, "serve POST /parse over HTTP"},
};

static int usage(FILE *out) {
    fprintf(out, "usage: spacyc <command> [options]   (spacyc <command> --help)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    return out == stderr ? 2 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return usage(stdout);
    if (!strcmp(argv[1], "--version")) {
        printf("spacyc %s\n", nlp_version_string());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "spacyc: unknown command \"%s\"\n", argv[1]);
    return usage(stderr);
}
