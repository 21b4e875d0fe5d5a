#!/usr/bin/env bash
# Installs the Debian packages libspacyc needs, if any is missing.
# usage: scripts/deps.sh [PACKAGE...]   (default: the build's packages)
set -euo pipefail
packages=(build-essential meson ninja-build pkg-config libxxhash-dev libutf8proc-dev
          libcmocka-dev libopenblas-dev libmicrohttpd-dev libjansson-dev)
[ $# -gt 0 ] && packages=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
