#!/usr/bin/env bash
# S3 benchmark (issue 6), called by scripts/bench.sh: a real `trove scan` of a 5,000-object bucket
# on moto_server into a fresh library against `rclone lsjson -R --fast-list --no-modtime
# --no-mimetype` of the same bucket on the same server, in the same run (the trove-s3 listing
# alone is timed beside them); and a 1,000,000-line S3 Inventory CSV.gz.
# The server is started and stopped by the benchmark itself (crates/trove-s3/benches/s3.rs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/trove-target}"
# rclone refuses plain-http endpoints while AWS_CA_BUNDLE is set.
unset AWS_CA_BUNDLE || true

bash scripts/setup-moto.sh
if ! command -v rclone >/dev/null; then
  echo "bench-s3: rclone is missing: run scripts/setup.sh --bench (or apt-get install rclone)" >&2
  exit 1
fi
echo "bench-s3: rclone $(rclone version 2>/dev/null | head -1 | awk '{print $2}')" >&2
echo "bench-s3: load average $(cut -d' ' -f1-3 /proc/loadavg) (2 cores, shared)" >&2
cargo build -q --release -p trove-cli
TROVE_BIN="$CARGO_TARGET_DIR/release/trove" cargo bench -q -p trove-s3 --bench s3
