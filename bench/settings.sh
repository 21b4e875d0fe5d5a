# Settings shared by the benchmark scripts, sourced with the script's own
# arguments: the spacyc binary ($1), the model (MODEL, else SPACYC_MODEL,
# else the bundled one), the CoNLL-U whose raw text is the input (CONLLU)
# and where inputs and outputs go (BENCH_DIR, never the repository).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
spacyc=${1:-$root/build/src/cli/spacyc}
model=${MODEL:-${SPACYC_MODEL:-$root/models/en_default.spacyc}}
conllu=${CONLLU:-$root/../shared/data/en_ewt/train.conllu}
dir=${BENCH_DIR:-/tmp}
