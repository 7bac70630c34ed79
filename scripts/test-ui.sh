#!/usr/bin/env bash
# Runs the UI's unit tests (vitest), builds the UI, the desktop app and the `trove` CLI, then
# runs the desktop end-to-end test (tests/ui/) under Xvfb through tauri-driver (with moto_server
# for the restore step). Exits non-zero when anything fails (the unit tests' failure stops the
# script before the slow part).
#
# Usage: scripts/test-ui.sh
# Env:   CARGO_TARGET_DIR (default: target/), TROVE_UI_ARTIFACTS (logs and screenshot; default: a temp dir),
#        TROVE_MOTO (default: ~/.cache/trove-venv/bin/moto_server)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ -d "$HOME/.cargo/bin" ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

for tool in Xvfb WebKitWebDriver node npm cargo ffmpeg; do
  if ! command -v "$tool" >/dev/null; then
    echo "test-ui: $tool is missing; run scripts/setup.sh first" >&2
    exit 1
  fi
done

# The restore test serves a bucket from moto_server (with boto3 in the same venv).
moto="${TROVE_MOTO:-$HOME/.cache/trove-venv/bin/moto_server}"
if [[ ! -x "$moto" ]]; then
  echo "test-ui: moto_server is missing at $moto; run scripts/setup-moto.sh (or set TROVE_MOTO)" >&2
  exit 1
fi
export TROVE_MOTO="$moto"

# tauri-driver bridges WebDriver clients to WebKitWebDriver; it comes from crates.io.
# (It has no --version flag, so ask cargo what it installed.)
installed="$(cargo install --list)"
if ! grep -q '^tauri-driver v2\.' <<<"$installed"; then
  echo "test-ui: installing tauri-driver" >&2
  cargo install tauri-driver --locked --version '^2'
fi

bash scripts/build-ui.sh

echo "test-ui: unit tests (vitest)" >&2
if ! (cd ui && npm test); then
  echo "test-ui: the UI unit tests failed" >&2
  exit 1
fi

cargo build -p trove-desktop -p trove-cli

target="${CARGO_TARGET_DIR:-target}"
[[ "$target" = /* ]] || target="$root/$target"
export TROVE_DESKTOP_BIN="$target/debug/trove-desktop"
export TROVE_BIN="$target/debug/trove"

node --test --test-reporter=spec tests/ui/desktop.test.mjs
