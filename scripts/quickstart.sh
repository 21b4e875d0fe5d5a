#!/usr/bin/env bash
# Installs what is missing, builds libspacyc and parses a sample text with
# the bundled default English model. Usage: scripts/quickstart.sh ["text"]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -d build ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
text=${1:-"Apple is looking at buying a U.K. startup for \$1 billion. Sarah Connor didn't reply to the e-mail she got from Google on Tuesday."}
printf '%s\n' "$text" | SPACYC_MODEL=models/en_default.spacyc build/src/cli/spacyc parse --format conllu -
