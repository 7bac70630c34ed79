#!/usr/bin/env bash
# Installs what building, running and testing Trove needs on Debian 12, idempotently.
# Usage: scripts/setup.sh [--bench]   (run as root, or with sudo available)
set -euo pipefail

want_bench=0
[[ "${1:-}" == "--bench" ]] && want_bench=1

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

packages=(
  build-essential pkg-config libssl-dev
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  xvfb webkit2gtk-driver
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav
  ffmpeg libimage-exiftool-perl
  fd-find
  e2fsprogs util-linux  # volume tests: loop-mounted ext4 images, blkid
  python3-venv rclone   # S3: venv for moto_server (tests), rclone (bench peer)
)
if [[ $want_bench -eq 1 ]]; then
  packages+=(hyperfine time)
  packages+=(libvips-tools)  # previews bench (scripts/bench-previews.sh): vipsthumbnail, the stills peer
  packages+=(jdupes rmlint)  # trove-hash: peers of scripts/bench-dupes.sh (fclones: cargo install)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: system packages present" >&2
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo is missing; install Rust with rustup first" >&2
  exit 1
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt || true

bash "$(dirname "${BASH_SOURCE[0]}")/setup-moto.sh"   # S3 (issue 6): moto_server for the S3 tests
