#!/usr/bin/env bash
# Builds the UI, the desktop app and the `trove` CLI, then runs the desktop end-to-end test
# (tests/ui/) under Xvfb through tauri-driver. Exits non-zero when anything fails.
#
# Usage: scripts/test-ui.sh
# Env:   CARGO_TARGET_DIR (default: target/), TROVE_UI_ARTIFACTS (logs and screenshot; default: a temp dir)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ -d "$HOME/.cargo/bin" ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

for tool in Xvfb WebKitWebDriver node npm cargo; do
  if ! command -v "$tool" >/dev/null; then
    echo "test-ui: $tool is missing; run scripts/setup.sh first" >&2
    exit 1
  fi
done

# tauri-driver bridges WebDriver clients to WebKitWebDriver; it comes from crates.io.
# (It has no --version flag, so ask cargo what it installed.)
installed="$(cargo install --list)"
if ! grep -q '^tauri-driver v2\.' <<<"$installed"; then
  echo "test-ui: installing tauri-driver" >&2
  cargo install tauri-driver --locked --version '^2'
fi

bash scripts/build-ui.sh

cargo build -p trove-desktop -p trove-cli

target="${CARGO_TARGET_DIR:-target}"
[[ "$target" = /* ]] || target="$root/$target"
export TROVE_DESKTOP_BIN="$target/debug/trove-desktop"
export TROVE_BIN="$target/debug/trove"

node --test --test-reporter=spec tests/ui/desktop.test.mjs
