#!/usr/bin/env bash
# Fetches the English word statistics the default model is trained with:
# Brown clusters and word log probabilities from a large web corpus, as
# published in spacy-lookups-data 1.0.5 (MIT licence, PyPI), and converts
# them to the files `spacyc train --clusters / --word-probs` read.
# Usage: models/fetch_word_stats.sh [OUT_DIR]   (default models/word_stats)
# Needs python3 and pip (for `pip download`); run once before training.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-models/word_stats}
package=spacy-lookups-data==1.0.5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp" "$package"
mkdir -p "$out"
python3 - "$tmp"/spacy_lookups_data-*.whl "$out" <<'PY'
import gzip, json, sys, zipfile

wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    def table(name):
        return json.loads(gzip.decompress(z.read("spacy_lookups_data/data/" + name)))
    clusters = table("en_lexeme_cluster.json.gz")
    probs = table("en_lexeme_prob.json.gz")

def usable(word):
    return word and word == word.strip() and not any(c in word for c in "\t\n\r")

# The package stores a cluster path as an integer whose lowest bit is the
# path's first step (and 0 for words seen too rarely to cluster); the
# path is read back lowest bit first. Trailing zero steps are not stored,
# so a few paths come back shorter, which only merges their leaves.
with open(f"{out}/en_clusters.paths", "w", encoding="utf-8") as f:
    for word, value in sorted(clusters.items()):
        if value and usable(word):
            f.write(f"{bin(value)[2:][::-1]}\t{word}\n")
with open(f"{out}/en_word_probs.tsv", "w", encoding="utf-8") as f:
    for word, prob in sorted(probs.items()):
        if usable(word) and prob < 0:
            f.write(f"{prob:.4f}\t{word}\n")
PY
wc -l "$out"/en_clusters.paths "$out"/en_word_probs.tsv
