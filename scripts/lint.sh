#!/usr/bin/env bash
# clang-tidy (.clang-tidy) over the C++ files of one build's compile database; every finding is an
# error. The `lint` and `lint-changed` targets of the Makefile.
#
#   scripts/lint.sh BUILD_DIR            every .cpp of internal/, cmd/, tests/ and bench/
#   scripts/lint.sh BUILD_DIR --changed  the .cpp files changed since the merge base with
#                                        LINT_BASE (default origin/main, else main), plus the
#                                        .cpp next to each changed header
#
# LINT_JOBS (default 2) files are checked at a time. The compile database is GCC's: clang-tidy is
# told to ignore the warning options clang does not know (-Wno-restrict), and, as the clang fuzz
# build does (cmake/CompilerWarnings.cmake), RapidJSON 1.1.0's C++20 reversed-operator warning.
set -euo pipefail

build="${1:?usage: lint.sh BUILD_DIR [--changed]}"
mode="${2:-all}"
cd "$(dirname "$0")/.."
root="$(pwd)"
if [ ! -f "$build/compile_commands.json" ]; then
  echo "lint: $build/compile_commands.json is missing (configure with cmake first: make build)" >&2
  exit 2
fi
build="$(cd "$build" && pwd)"
for tool in clang-tidy run-clang-tidy; do
  command -v "$tool" >/dev/null || { echo "lint: $tool is not installed (make deps)" >&2; exit 2; }
done

# The project's own sources that the compile database knows (not generated files under build/).
mapfile -t known < <(/usr/bin/python3 - "$build/compile_commands.json" "$root" <<'EOF'
import json, os, sys
root = sys.argv[2] + "/"
for entry in json.load(open(sys.argv[1])):
    path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    relative = path[len(root):] if path.startswith(root) else ""
    if relative.split("/")[0] in ("internal", "cmd", "tests", "bench") and relative.endswith(".cpp"):
        print(relative)
EOF
)

files=()
if [ "$mode" = "--changed" ]; then
  base="${LINT_BASE:-}"
  if [ -z "$base" ]; then
    for candidate in origin/main main; do
      if git rev-parse -q --verify "$candidate^{commit}" >/dev/null; then
        base="$candidate"
        break
      fi
    done
  fi
  merge_base=""
  if [ -n "$base" ]; then
    merge_base="$(git merge-base "$base" HEAD 2>/dev/null || true)"
  fi
  if [ -z "$merge_base" ]; then
    echo "lint: no merge base with ${base:-origin/main or main} (set LINT_BASE=<rev>); linting every file" >&2
    files=("${known[@]}")
  else
    # Changed in commits since the merge base or in the working tree; deleted files drop out.
    declare -A wanted=()
    while IFS= read -r path; do
      case "$path" in
        *.cpp) wanted["$path"]=1 ;;
        *.hpp) wanted["${path%.hpp}.cpp"]=1 ;;
      esac
    done < <(git diff --name-only --diff-filter=d "$merge_base" -- '*.cpp' '*.hpp')
    for path in "${known[@]}"; do
      if [ -n "${wanted[$path]:-}" ]; then
        files+=("$path")
      fi
    done
    if [ ${#files[@]} -eq 0 ]; then
      echo "lint: no C++ file changed since $base ($(git rev-parse --short "$merge_base")); nothing to lint"
      exit 0
    fi
    echo "lint: ${#files[@]} file(s) changed since $base ($(git rev-parse --short "$merge_base"))"
  fi
else
  files=("${known[@]}")
fi

# run-clang-tidy takes regular expressions matched against the database's absolute paths.
patterns=()
for path in "${files[@]}"; do
  patterns+=("^$(printf '%s' "$root/$path" | sed 's/[].[*^$()+?{}|\\]/\\&/g')\$")
done
echo "lint: clang-tidy on ${#files[@]} file(s), ${LINT_JOBS:-2} at a time"
start=$SECONDS
set +e
run-clang-tidy -p "$build" -j "${LINT_JOBS:-2}" -quiet \
  -extra-arg=-Wno-unknown-warning-option -extra-arg=-Wno-ambiguous-reversed-operator \
  "${patterns[@]}" 2>&1 |
  sed -u -e 's/\x1b\[[0-9;]*m//g' -e '/^[0-9]* warnings\? generated\.$/d' \
    -e '/^[0-9]* warnings\? and [0-9]* errors\? generated\.$/d'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "lint: clang-tidy found problems (above) in $((SECONDS - start)) s" >&2
  exit 1
fi
echo "lint: clean (${#files[@]} file(s), $((SECONDS - start)) s)"
