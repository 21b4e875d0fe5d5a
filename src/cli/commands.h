/* The spacyc subcommands. Each takes the arguments after its name and
 * returns the process exit status (0 success, 1 failure, 2 usage error). */
#ifndef NLP_CLI_COMMANDS_H
#define NLP_CLI_COMMANDS_H

int nlp_cli_tokenize(int argc, char **argv);
int nlp_cli_parse(int argc, char **argv);
int nlp_cli_train(int argc, char **argv);
int nlp_cli_evaluate(int argc, char **argv);
int nlp_cli_info(int argc, char **argv);
int nlp_cli_serve(int argc, char **argv);

#endif
