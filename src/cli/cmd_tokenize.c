/* spacyc tokenize: text in, tokens out, one document per input line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "io/bom.h"

static int usage(void) {
    fprintf(stderr,
            "usage: spacyc tokenize [--json] [--model PATH] [FILE|-]\n"
            "  Splits each input line into tokens. Prints the tokens separated\n"
            "  by spaces (one line per input line), or with --json one\n"
            "  spaCy-style Doc.to_json() object per line.\n");
    return 2;
}

/* Writes the tokens of a Doc, space-separated, with whitespace tokens
 * skipped. */
static nlp_status_t write_plain(const nlp_doc_t *doc, FILE *out) {
    const nlp_token_t *t;
    size_t n;
    nlp_status_t st = nlp_doc_tokens(doc, &t, &n);
    if (st) return st;
    const char *text = nlp_doc_text(doc, NULL);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (t[i].lex->flags & NLP_FLAG_IS_SPACE) continue;
        if (!first) fputc(' ', out);
        fwrite(text + t[i].idx, 1, t[i].len, out);
        first = 0;
    }
    fputc('\n', out);
    return NLP_OK;
}

int nlp_cli_tokenize(int argc, char **argv) {
    int json = 0, have_input = 0;
    const char *model = NULL, *path = "-";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--model")) {
            if (!(model = nlp_cli_value(argc, argv, &i))) return 2;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "spacyc tokenize: unknown option %s\n", argv[i]);
            return usage();
        } else if (have_input++) {
            fprintf(stderr, "spacyc tokenize: more than one input file\n");
            return usage();
        } else {
            path = argv[i];
        }
    }
    uint64_t size;
    int fd = nlp_cli_open_input(path, &size);
    if (fd < 0) return 1;
    FILE *in = fd ? fdopen(fd, "rb") : stdin;
    if (!in) {
        fprintf(stderr, "spacyc: cannot read %s: %s\n", path, strerror(errno));
        close(fd);
        return 1;
    }
    nlp_t *nlp = NULL;
    nlp_status_t st = model ? nlp_load(model, NULL, &nlp)
                            : nlp_create_blank("en", NULL, &nlp);
    if (st) {
        if (in != stdin) fclose(in);
        return nlp_cli_error("cannot create the tokenizer", st);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    /* One zone per line keeps memory flat however many new words come. */
    for (int first = 1; (len = getline(&line, &cap, in)) >= 0; first = 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        size_t skip = first ? nlp__bom_len(line, (size_t)len) : 0;
        nlp_zone_t *zone;
        nlp_doc_t *doc;
        if ((st = nlp_memory_zone_begin(nlp, &zone)) ||
            (st = nlp_tokenize(nlp, zone, line + skip, (size_t)len - skip, &doc))) {
            rc = nlp_cli_error("tokenize", st);
            nlp_memory_zone_end(zone);
            break;
        }
        if (json) {
            st = nlp_doc_to_json(doc, nlp_cli_write_file, stdout);
            fputc('\n', stdout);
        } else {
            st = write_plain(doc, stdout);
        }
        nlp_memory_zone_end(zone);
        if (st) {
            rc = ferror(stdout) ? nlp_cli_flush_stdout() : nlp_cli_error("write", st);
            break;
        }
    }
    if (ferror(in)) rc = nlp_cli_error("read error", NLP_IO);
    if (!rc) rc = nlp_cli_flush_stdout();
    free(line);
    if (in != stdin) fclose(in);
    nlp_free(nlp);
    return rc;
}
