#!/usr/bin/env bash
# Replaces the README's configuration table (between the config-table markers) with the
# Markdown file given, which `gotrue config-docs` generates.
set -euo pipefail
table="${1:?usage: update_readme_table.sh TABLE.md}"
readme="$(cd "$(dirname "$0")/.." && pwd)/README.md"
/usr/bin/python3 - "$readme" "$table" <<'PY'
import sys
readme_path, table_path = sys.argv[1], sys.argv[2]
readme = open(readme_path).read()
table = open(table_path).read()
begin, end = "<!-- config-table:begin -->\n", "<!-- config-table:end -->"
start = readme.index(begin) + len(begin)
stop = readme.index(end)
open(readme_path, "w").write(readme[:start] + table + readme[stop:])
PY
