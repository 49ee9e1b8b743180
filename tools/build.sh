#!/usr/bin/env bash
# Builds the Go tools the local datastores need into the git-ignored .bin/ at the repo root:
#   .bin/ferretdb  (FerretDB 1.x, MongoDB wire protocol, from ./cmd/ferretdb — see DEVELOPERS.md),
#                  built from a patched copy of its module (patch_ferretdb below)
#   .bin/mailpit   (SMTP server + HTTP API for reading mail in tests)
#   .bin/stripe-mock (Stripe's API mock: validates requests against Stripe's OpenAPI description;
#                  payments' Stripe driver is tested against it)
# Versions are pinned by tools/go.mod. The build is skipped when all three binaries exist and
# tools/go.mod, tools/go.sum and tools/cmd/ are unchanged since the last build (.bin/.tools-stamp).
# Pass --force to rebuild anyway. Works from any directory.
set -euo pipefail

tools_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$tools_dir")"
bin="$root/.bin"
stamp="$bin/.tools-stamp"

# A fingerprint of everything that decides what gets built.
fingerprint() {
  (
    cd "$tools_dir"
    find go.mod go.sum cmd build.sh -type f | LC_ALL=C sort | xargs sha256sum
  ) | sha256sum | cut -d' ' -f1
}

up_to_date() {
  [[ -x "$bin/ferretdb" && -x "$bin/mailpit" && -x "$bin/stripe-mock" && -f "$stamp" ]] &&
    [[ "$(cat "$stamp")" == "$(fingerprint)" ]]
}

find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    echo "tools/build.sh: Go is not installed (looked on PATH and in /usr/local/go/bin)" >&2
    return 1
  fi
}

if [[ "${1:-}" != "--force" ]] && up_to_date; then
  echo "tools/build.sh: .bin/ferretdb, .bin/mailpit and .bin/stripe-mock are up to date"
  exit 0
fi

# FerretDB 1.24.2's SQLite backend looks documents up by `_id` with `_ferretdb_sjson->'$._id' = ?`
# while its `_id` index is on `_ferretdb_sjson->'_id'`: SQLite only uses an expression index for the
# same expression, so every read and write by `_id` scanned the table (1 ms for the 10th of 10,000
# products, 114 ms for the 9,990th; findOneAndUpdate 453 ms). Both spell the same JSON value; the
# copy in .bin/src/ferretdb (tools/go.mod replaces the module with it) uses the index's spelling.
patch_ferretdb() {
  local version dir src="$bin/src/ferretdb" file="internal/backends/sqlite/metadata/metadata.go"
  version="$(awk '$1 == "require" && $2 == "github.com/FerretDB/FerretDB" { print $3 }' go.mod)"
  dir="$(cd / && GOFLAGS=-mod=mod "$go_bin" mod download -json "github.com/FerretDB/FerretDB@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$dir" ]] || { echo "tools/build.sh: could not download FerretDB $version" >&2; return 1; }
  rm -rf "$src" && mkdir -p "$bin/src" && cp -R "$dir" "$src" && chmod -R u+w "$src"
  sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \"->'_id'\"|" "$src/$file"
  grep -q "IDColumn = DefaultColumn + \"->'_id'\"" "$src/$file" ||
    { echo "tools/build.sh: the FerretDB patch no longer applies to $file" >&2; return 1; }
}

go_bin="$(find_go)"
echo "tools/build.sh: building FerretDB, Mailpit and stripe-mock with $("$go_bin" version) (a cold build takes a few minutes)"
mkdir -p "$bin"
cd "$tools_dir"
patch_ferretdb
GOBIN="$bin" "$go_bin" install ./cmd/ferretdb github.com/axllent/mailpit github.com/stripe/stripe-mock
fingerprint >"$stamp"
echo "tools/build.sh: built .bin/ferretdb, .bin/mailpit and .bin/stripe-mock"
