/* libspacyc: industrial-strength natural language processing for C and C++.
 *
 * If it is not in this header (or the topic headers it includes), it is not
 * API. Conventions: functions return an nlp_status_t (NLP_OK == 0) and hand
 * results out through pointer parameters; nlp_strerror() and
 * nlp_error_detail() explain failures. Each function's comment says who owns
 * what it returns and whether it is thread-safe.
 */
#ifndef SPACYC_H
#define SPACYC_H

#include "spacyc/common.h"
#include "spacyc/vocab.h"
#include "spacyc/doc.h"
#include "spacyc/nlp.h"
#include "spacyc/pipe.h"

#endif
