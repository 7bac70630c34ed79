#!/usr/bin/env bash
# Builds the UI and the desktop app, then launches Trove's window.
# Without a display, explains how to use the `trove` CLI instead and exits 0.
#
# Usage: scripts/run-desktop.sh        (TROVE_LIBRARY picks the library; default: the OS data dir)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

target="${CARGO_TARGET_DIR:-target}"
[[ "$target" = /* ]] || target="$root/$target"

if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
  trove="$target/debug/trove"
  cat <<MSG
run-desktop: no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open.
Use the trove CLI instead (built by \`make cli\`):

  $trove --library DIR source add PATH
  $trove --library DIR scan
  $trove --library DIR stats --json
  $trove --help

(or start a virtual display: Xvfb :77 & DISPLAY=:77 make run)
MSG
  exit 0
fi

bash scripts/build-ui.sh

cargo build -p trove-desktop

exec "$target/debug/trove-desktop"
