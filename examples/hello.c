/* Parses the text given on the command line inside a memory zone and prints
 * each token with its tag, lemma, head and label. Build against an
 * installed libspacyc with: cc hello.c $(pkg-config --cflags --libs spacyc) */
#include <spacyc.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *text = argc > 1 ? argv[1] : "Hello from libspacyc.";
    if (nlp_version() != NLP_VERSION_NUMBER) {
        fprintf(stderr, "header/library version mismatch\n");
        return 1;
    }
    nlp_t *nlp;
    nlp_status_t st = nlp_load_default(NULL, &nlp);
    if (st) {
        fprintf(stderr, "load: %s (%s)\n", nlp_strerror(st), nlp_error_detail());
        return 1;
    }
    nlp_zone_t *zone;
    nlp_doc_t *doc;
    if ((st = nlp_memory_zone_begin(nlp, &zone)) ||
        (st = nlp_parse(nlp, zone, text, strlen(text), &doc))) {
        fprintf(stderr, "parse: %s\n", nlp_strerror(st));
        nlp_free(nlp);
        return 1;
    }
    const nlp_token_t *t;
    size_t n;
    nlp_doc_tokens(doc, &t, &n);
    for (size_t i = 0; i < n; i++)
        printf("%zu\t%.*s\t%s\t%s\t%zu\t%s\n", i, (int)t[i].len,
               nlp_doc_text(doc, NULL) + t[i].idx, nlp_doc_str(doc, t[i].tag),
               nlp_doc_str(doc, t[i].lemma), (size_t)((long)i + t[i].head),
               nlp_doc_str(doc, t[i].dep));
    nlp_memory_zone_end(zone);
    nlp_free(nlp);
    return 0;
}
