#include <stdio.h>

#include "commands.h"

int nlp_cli_serve(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "spacyc: serve is not built yet\n");
    return 1;
}
