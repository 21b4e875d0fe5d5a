#include <stdio.h>

#include "commands.h"

int nlp_cli_parse(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "spacyc: parse is not built yet\n");
    return 1;
}
