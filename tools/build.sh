#!/usr/bin/env bash
# Builds the Go tools the local datastores need into the git-ignored .bin/ at the repo root:
#   .bin/ferretdb  (FerretDB 1.x, MongoDB wire protocol, from ./cmd/ferretdb — see DEVELOPERS.md)
#   .bin/mailpit   (SMTP server + HTTP API for reading mail in tests)
# Versions are pinned by tools/go.mod. The build is skipped when both binaries exist and
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
    find go.mod go.sum cmd -type f | LC_ALL=C sort | xargs sha256sum
  ) | sha256sum | cut -d' ' -f1
}

up_to_date() {
  [[ -x "$bin/ferretdb" && -x "$bin/mailpit" && -f "$stamp" ]] &&
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
  echo "tools/build.sh: .bin/ferretdb and .bin/mailpit are up to date"
  exit 0
fi

go_bin="$(find_go)"
echo "tools/build.sh: building FerretDB and Mailpit with $("$go_bin" version) (a cold build takes a few minutes)"
mkdir -p "$bin"
cd "$tools_dir"
GOBIN="$bin" "$go_bin" install ./cmd/ferretdb github.com/axllent/mailpit
fingerprint >"$stamp"
echo "tools/build.sh: built .bin/ferretdb and .bin/mailpit"
