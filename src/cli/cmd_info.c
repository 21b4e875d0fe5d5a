/* spacyc info: library version and a model's metadata and components. */
#include <string.h>

#include "cli_util.h"
#include "commands.h"

int nlp_cli_info(int argc, char **argv) {
    const char *model = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model")) {
            if (!(model = nlp_cli_value(argc, argv, &i))) return 2;
        } else {
            int help = !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
            if (!help) fprintf(stderr, "spacyc info: unknown argument %s\n", argv[i]);
            fprintf(help ? stdout : stderr, "usage: spacyc info [--model PATH]\n");
            return help ? 0 : 2;
        }
    }
    printf("libspacyc %s\n", nlp_version_string());
    double t0 = nlp_cli_now();
    nlp_t *nlp = nlp_cli_load(model, NULL);
    if (!nlp) return 1;
    double load_ms = (nlp_cli_now() - t0) * 1e3;
    printf("model: %s\n", model ? model : nlp_default_model_path());
    static const char *const keys[] = {"name", "lang", "version", "license",
                                       "sources", NULL};
    for (const char *const *k = keys; *k; k++) {
        const char *v = nlp_meta(nlp, *k);
        if (v) printf("%s: %s\n", *k, v);
    }
    printf("load time: %.1f ms\n", load_ms);
    for (size_t i = 0; i < nlp_n_components(nlp); i++) {
        size_t n = 0;
        nlp_component_labels(nlp, i, NULL, 0, &n);
        printf("component %s: %zu labels\n", nlp_component_name(nlp, i), n);
    }
    nlp_free(nlp);
    return nlp_cli_flush_stdout();
}
