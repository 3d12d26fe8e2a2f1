#!/usr/bin/env bash
# make template-corpus: renders every template of the real-world corpus (read in place, never
# copied; GOTRUE_TEMPLATE_CORPUS, default ../shared/template-corpus next to the checkout) with
# Go's html/template (tests/template_goldens/gen) and with ours (BUILD/go_template_render), each
# with three data sets, and prints how many come out identical, how many both refuse, and where
# the others first differ. Needs Go (installed by the Makefile target) and python3.
set -euo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${GOTRUE_TEMPLATE_CORPUS:-$ROOT/../shared/template-corpus}
[ -d "$CORPUS/bodies" ] || { echo "template-corpus: no corpus at $CORPUS (set GOTRUE_TEMPLATE_CORPUS)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/cases"

python3 "$ROOT/scripts/template_corpus.py" cases "$CORPUS" "$WORK/cases/corpus.json"
(cd "$ROOT/tests/template_goldens/gen" && go run . "$WORK" >/dev/null)
"$ROOT/$BUILD/go_template_render" "$WORK/cases/corpus.json" > "$WORK/ours.json"
python3 "$ROOT/scripts/template_corpus.py" compare "$WORK/cases/corpus.json" "$WORK/golden/corpus.json" "$WORK/ours.json"
