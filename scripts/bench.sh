#!/usr/bin/env bash
# End-to-end benchmarks:
#   scan:   Trove against `fd` (the peer walker) on a generated 100k-file tree;
#   search: Trove's search index against SQLite FTS5 on a generated 1M-document catalog.
#
#   scripts/bench.sh            # or: make bench
#   BENCH_ONLY=scan scripts/bench.sh      # only one part: scan, search, previews or s3
#   previews: scripts/bench-previews.sh (Trove's previews vs ffmpeg and vipsthumbnail)
#   s3:       scripts/bench-s3.sh (bucket listing vs rclone on moto_server; inventory)
#   dupes:    scripts/bench-dupes.sh (scan + dupes vs jdupes, rmlint, fclones; same groups as jdupes)
#   ui:       scripts/bench-ui.sh (the desktop app: launch to first grid paint, scroll frame times)
#
# Environment:
#   BENCH_ONLY    scan | search | previews | s3 | dupes | ui: run only that part   (default: all)
#   BENCH_DIR     where the temporary tree and libraries go   (default /tmp/trove-bench)
#   BENCH_FILES   files in the generated tree                 (default 100000)
#   BENCH_SEED    gen-tree seed                               (default 42)
#   BENCH_RUNS    hyperfine runs per command                  (default 10)
#   BENCH_KEEP=1  keep the tree and libraries afterwards
#   BENCH_STRICT=1  exit 1 when a speed goal is missed (correctness failures always exit 1)
#   BENCH_COMMIT  label for the measured source tree (default: git describe of this checkout)
#   BENCH_SEARCH_DOCS     documents in the search corpus              (default 1000000)
#   BENCH_SEARCH_QUERIES  timed queries per search query shape        (default 200)
#
# Writes bench-out/scan.md and bench-out/search.md (the reports, also printed on stdout) and
# bench-out/hyperfine-*.json.
# Build output, tool installation and hyperfine progress go to stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

FILES=${BENCH_FILES:-100000}
SEED=${BENCH_SEED:-42}
RUNS=${BENCH_RUNS:-10}
BENCH_DIR=${BENCH_DIR:-/tmp/trove-bench}
OUT="$ROOT/bench-out"
# Goals (docs/benchmarks.md): full scan <= 4x fd, unchanged rescan <= 1.5x fd.
GOAL_FULL=4
GOAL_RESCAN=1.5
# Goal (issue 4): a `trove search` process on the 100k-file library, median <= 60 ms.
GOAL_SEARCH_PROCESS_MS=60

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

ONLY=${BENCH_ONLY:-}
case "$ONLY" in
    "" | scan | search | previews | s3 | dupes | ui) ;;
    *) die "BENCH_ONLY must be scan, search, previews, s3, dupes or ui, not $ONLY" ;;
esac
MISSED=()  # parts that missed a speed goal (BENCH_STRICT=1 then exits 1 at the end)

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "${BENCH_COMMIT:-}" ]; then
    COMMIT=$BENCH_COMMIT
else
    COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    [ -z "$(git status --porcelain 2>/dev/null)" ] || COMMIT="$COMMIT (with uncommitted changes)"
fi
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
MEM=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)

# Temporary folders, removed at exit unless BENCH_KEEP=1.
CLEAN_DIRS=()
cleanup() {
    local d
    for d in ${CLEAN_DIRS[@]+"${CLEAN_DIRS[@]}"}; do
        if [ "${BENCH_KEEP:-0}" = 1 ]; then
            log "kept $d"
        else
            rm -rf "$d"
        fi
    done
}
trap cleanup EXIT

target_dir() { # cargo's target directory
    cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

if [ -z "$ONLY" ] || [ "$ONLY" = scan ]; then

# --- peers, installed only when missing ---------------------------------------------------
apt_install() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    log "installing Debian package(s): $*"
    "${sudo[@]}" apt-get install -y -q "$@" >&2 ||
        { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q "$@" >&2; }
}
command -v fdfind >/dev/null || apt_install fd-find
command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time

# --- build --------------------------------------------------------------------------------
log "building release trove-cli and trove-bench"
cargo build --release -p trove-cli -p trove-bench >&2
TARGET_DIR=$(target_dir)
[ -n "$TARGET_DIR" ] || die "cannot find cargo's target directory"
TROVE="$TARGET_DIR/release/trove"
GEN="$TARGET_DIR/release/gen-tree"
[ -x "$TROVE" ] && [ -x "$GEN" ] || die "built binaries not found under $TARGET_DIR/release"

# --- tree ---------------------------------------------------------------------------------
mkdir -p "$BENCH_DIR" "$OUT"
RUN_DIR=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
CLEAN_DIRS+=("$RUN_DIR")
TREE="$RUN_DIR/tree"
LIB="$RUN_DIR/lib-full"     # re-created before every full-scan run
LIB2="$RUN_DIR/lib-rescan"  # scanned once, then rescanned unchanged
LIB3="$RUN_DIR/lib-rss"     # peak-RSS measurements

log "generating $FILES files (seed $SEED) in $TREE"
gen_start=$(date +%s.%N)
GEN_SUMMARY=$("$GEN" --files "$FILES" --seed "$SEED" "$TREE")
gen_secs=$(awk -v a="$gen_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "gen-tree: $GEN_SUMMARY in ${gen_secs}s"
# Flush the new tree's dirty pages now, so that writeback does not run during the timings.
sync

FD_COUNT=$(fdfind -u --type f . "$TREE" | wc -l)
[ "$FD_COUNT" -eq "$FILES" ] || die "fd counts $FD_COUNT files, gen-tree wrote $FILES"

# Quoted forms for the command strings hyperfine runs through its shell.
qT=$(printf %q "$TROVE")
qTREE=$(printf %q "$TREE")
qLIB=$(printf %q "$LIB")
qLIB2=$(printf %q "$LIB2")

# --- timings ------------------------------------------------------------------------------
hf() { # NAME, then hyperfine arguments
    local name=$1
    shift
    log "hyperfine: $name"
    hyperfine --warmup 1 --runs "$RUNS" --style basic \
        --export-json "$OUT/hyperfine-$name.json" --export-csv "$RUN_DIR/$name.csv" \
        --command-name "$name" "$@" >&2
}

hf fd "fdfind -u --type f . $qTREE > /dev/null"
# fd again, made to stat every file (a size filter needs it): the floor of any scan that must
# compare size and mtime, which fd's plain walk (file types from readdir) never pays.
hf fd-stat "fdfind -u --type f --size -1t . $qTREE > /dev/null"
hf full-scan \
    --prepare "rm -rf $qLIB && $qT --library $qLIB source add $qTREE > /dev/null && sync" \
    "$qT --foreground --library $qLIB scan > /dev/null"

log "preparing the unchanged-rescan library"
"$TROVE" --library "$LIB2" source add "$TREE" >/dev/null
"$TROVE" --library "$LIB2" scan >/dev/null
sync
hf rescan "$qT --foreground --library $qLIB2 scan > /dev/null"

# --- correctness --------------------------------------------------------------------------
json_num() { # KEY < JSON: the first integer value of "KEY"
    grep -o "\"$1\": *[0-9]*" | head -n1 | grep -o '[0-9]*$'
}
LOCATIONS=$("$TROVE" --library "$LIB" stats --json | json_num locations)
ASSETS=$("$TROVE" --library "$LIB" stats --json | json_num assets)
[ "$LOCATIONS" = "$FILES" ] || die "stats.locations is $LOCATIONS after a full scan, expected $FILES"
"$TROVE" --library "$LIB" check >&2 || die "trove check failed on the fully scanned library"
RESCAN_JSON=$("$TROVE" --library "$LIB2" scan --json)
UNCHANGED=$(json_num unchanged <<<"$RESCAN_JSON")
[ "$UNCHANGED" = "$FILES" ] || die "rescan reports $UNCHANGED unchanged, expected $FILES"
"$TROVE" --library "$LIB2" check >&2 || die "trove check failed on the rescanned library"

# --- a `trove search` process on the scanned library ---------------------------------------
# The whole command as a script runs it: start, open the catalog and the index, search, print
# the first page as JSON with facets. The first search builds the index (untimed).
log "search index of the rescanned library"
"$TROVE" --library "$LIB2" search --rebuild --limit 1 >/dev/null
SEARCH_SHAPES=("call sheet" "type:video" "report*" "e03 -type:document")
for i in "${!SEARCH_SHAPES[@]}"; do
    hf "search-process-$i" "$qT --library $qLIB2 search $(printf %q "${SEARCH_SHAPES[$i]}") --json > /dev/null"
done

# --- peak RSS -----------------------------------------------------------------------------
rss_kib() { # command...: its peak RSS in KiB
    local f="$RUN_DIR/time.txt"
    /usr/bin/time -v -o "$f" "$@" >/dev/null
    sed -n 's/.*Maximum resident set size (kbytes): *//p' "$f"
}
log "peak RSS"
RSS_FD=$(rss_kib fdfind -u --type f . "$TREE")
"$TROVE" --library "$LIB3" source add "$TREE" >/dev/null
RSS_FULL=$(rss_kib "$TROVE" --library "$LIB3" scan)
RSS_RESCAN=$(rss_kib "$TROVE" --library "$LIB3" scan)

# --- a quiet machine: search while a first scan + probe runs in the background ------------
# The background work runs as `trove` runs it by default (nice 10, best-effort I/O level 7),
# then again with --foreground (normal priority), each for QUIET_SECS; meanwhile a loop runs
# `trove search` processes on the indexed library. Latencies per process, in ms.
QUIET_SECS=${BENCH_QUIET_SECS:-40}
search_loop() { # SECONDS OUT: run `trove search` until SECONDS pass, one latency (ms) per line
    local end=$((SECONDS + $1)) t0 t1
    : >"$2"
    while [ $SECONDS -lt $end ]; do
        t0=$(date +%s%N)
        "$TROVE" --library "$LIB2" search "call sheet" --json >/dev/null
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$2"
        sleep 0.1
    done
}
pct() { # FILE P: the P-th percentile of the numbers in FILE (µs) as ms
    sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
        i = int((NR - 1) * p / 100) + 1; printf "%.1f", v[i] / 1000 }'
}
busy_run() { # NAME [--foreground]
    local lib="$RUN_DIR/lib-quiet-$1"
    rm -rf "$lib"
    "$TROVE" --library "$lib" source add "$TREE" >/dev/null
    ( timeout "$QUIET_SECS" bash -c "$qT --library $(printf %q "$lib") $2 scan >/dev/null 2>&1 &&
        $qT --library $(printf %q "$lib") $2 jobs wait >/dev/null 2>&1" ) &
    local bg=$!
    search_loop "$QUIET_SECS" "$RUN_DIR/quiet-$1.txt"
    wait "$bg" 2>/dev/null || true
    rm -rf "$lib"
}
log "quiet machine: idle search latency"
search_loop 10 "$RUN_DIR/quiet-idle.txt"
log "quiet machine: search during a first scan + probe (lowered priority, then --foreground)"
busy_run lowered ""
busy_run foreground --foreground

# --- report -------------------------------------------------------------------------------
csv() { # NAME FIELD: from hyperfine's CSV (command,mean,stddev,median,user,system,min,max)
    awk -F, -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                       { print $col[f] }' "$RUN_DIR/$1.csv"
}
row_time() { # NAME: "mean ± σ | min | max", in ms below 1 s, else in s
    awk -v m="$(csv "$1" mean)" -v s="$(csv "$1" stddev)" \
        -v lo="$(csv "$1" min)" -v hi="$(csv "$1" max)" 'BEGIN {
        if (m < 1) printf "%.1f ms ± %.1f ms | %.1f ms | %.1f ms", m*1e3, s*1e3, lo*1e3, hi*1e3
        else printf "%.3f s ± %.3f s | %.3f s | %.3f s", m, s, lo, hi }'
}
ratio_to() { awk -v a="$(csv "$1" mean)" -v b="$(csv "$2" mean)" 'BEGIN { printf "%.1f", a / b }'; }
ratio() { ratio_to "$1" fd; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g ? "met" : "**missed**") }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

median_ms() { awk -v m="$(csv "$1" median)" 'BEGIN { printf "%.1f", m * 1e3 }'; }
SEARCH_WORST=0
for i in "${!SEARCH_SHAPES[@]}"; do
    SEARCH_WORST=$(awk -v a="$SEARCH_WORST" -v b="$(median_ms "search-process-$i")" \
        'BEGIN { print (b > a ? b : a) }')
done
V_SEARCH=$(verdict "$SEARCH_WORST" "$GOAL_SEARCH_PROCESS_MS")
R_FULL=$(ratio full-scan)
R_RESCAN=$(ratio rescan)
V_FULL=$(verdict "$R_FULL" "$GOAL_FULL")
V_RESCAN=$(verdict "$R_RESCAN" "$GOAL_RESCAN")
FS=$(findmnt -no FSTYPE -T "$RUN_DIR" 2>/dev/null || echo unknown)

{
    echo "## Scan benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- Machine: $(nproc) CPUs, ${CPU:-unknown CPU}, $MEM RAM, Linux $(uname -r), tree and libraries on $FS; load average when the script started: $LOAD_AT_START"
    echo "- Trove commit: $COMMIT; peers: $(fdfind --version), $(hyperfine --version)"
    echo "- Tree: \`gen-tree --files $FILES --seed $SEED\` → $GEN_SUMMARY (written in ${gen_secs} s)"
    echo "- Trove runs with \`--foreground\` (normal priority, like the peer). hyperfine: warmup 1, $RUNS runs each. All runs are warm-cache (the page cache is not dropped); \`sync\` (untimed) before each full scan."
    echo
    echo "| Measurement | Mean ± σ | Min | Max |"
    echo "|---|---|---|---|"
    echo "| a) fd walk: \`fdfind -u --type f . TREE > /dev/null\` | $(row_time fd) |"
    echo "| a') fd walk with a stat per file: \`fdfind -u --type f --size -1t . TREE\` | $(row_time fd-stat) |"
    echo "| b) full scan into a fresh library: \`trove scan\` | $(row_time full-scan) |"
    echo "| c) unchanged rescan: \`trove scan\` | $(row_time rescan) |"
    echo
    echo "| Ratio | Value | Goal | |"
    echo "|---|---|---|---|"
    echo "| full scan / fd | ${R_FULL}× | ≤ ${GOAL_FULL}× | $V_FULL |"
    echo "| unchanged rescan / fd | ${R_RESCAN}× | ≤ ${GOAL_RESCAN}× | $V_RESCAN |"
    echo "| unchanged rescan / fd with stat | $(ratio_to rescan fd-stat)× | (reference) | |"
    echo
    echo "A \`trove search QUERY --json\` process (first page of 20 with facets) on the rescanned library ($ASSETS assets):"
    echo
    echo "| Query | Median | Mean ± σ | Min | Max |"
    echo "|---|---|---|---|---|"
    for i in "${!SEARCH_SHAPES[@]}"; do
        echo "| \`${SEARCH_SHAPES[$i]}\` | $(median_ms "search-process-$i") ms | $(row_time "search-process-$i") |"
    done
    echo
    echo "Slowest median ${SEARCH_WORST} ms; goal ≤ ${GOAL_SEARCH_PROCESS_MS} ms: $V_SEARCH."
    echo
    echo "A \`trove search\` process every 0.1 s on the indexed library while a first scan + probe of the same tree runs into a fresh library for ${QUIET_SECS} s (latency per process, ms):"
    echo
    echo "| Background work | searches | p50 | p95 | max |"
    echo "|---|---|---|---|---|"
    for q in idle lowered foreground; do
        f="$RUN_DIR/quiet-$q.txt"
        case $q in
            idle) label="none (idle)" ;;
            lowered) label="scan + probe at lowered priority (default)" ;;
            foreground) label="scan + probe at normal priority (\`--foreground\`)" ;;
        esac
        echo "| $label | $(wc -l <"$f") | $(pct "$f" 50) | $(pct "$f" 95) | $(pct "$f" 100) |"
    done
    echo
    echo "| Check | Value |"
    echo "|---|---|"
    echo "| fd file count | $FD_COUNT |"
    echo "| \`stats --json\` locations after full scan (must be $FILES) | $LOCATIONS |"
    echo "| \`stats --json\` assets (sidecars attach to their media) | $ASSETS |"
    echo "| \`check\` after full scan and after rescan | passed |"
    echo "| rescan reports unchanged | $UNCHANGED |"
    echo "| peak RSS, full scan | $(mib "$RSS_FULL") |"
    echo "| peak RSS, unchanged rescan | $(mib "$RSS_RESCAN") |"
    echo "| peak RSS, fd walk (for scale) | $(mib "$RSS_FD") |"
} | tee "$OUT/scan.md"

{ [ "$V_FULL" = met ] && [ "$V_RESCAN" = met ]; } || MISSED+=(scan)
[ "$V_SEARCH" = met ] || MISSED+=(search-process)
fi # scan

# --- search -------------------------------------------------------------------------------
# `search-bench` (crate trove-bench) generates a seeded synthetic catalog, builds Trove's search
# index (tantivy) and an SQLite FTS5 peer from it, times six query shapes on each and prints
# the report; every phase runs in a child process of its own, for its own peak RSS.
if [ -z "$ONLY" ] || [ "$ONLY" = search ]; then
SEARCH_DOCS=${BENCH_SEARCH_DOCS:-1000000}
SEARCH_QUERIES=${BENCH_SEARCH_QUERIES:-200}
log "building release trove-bench (search-bench)"
# The same package set as the scan part: one feature resolution, so nothing is built twice.
cargo build --release -p trove-cli -p trove-bench >&2
SEARCH_BENCH="$(target_dir)/release/search-bench"
[ -x "$SEARCH_BENCH" ] || die "built search-bench not found at $SEARCH_BENCH"
mkdir -p "$BENCH_DIR" "$OUT"
SEARCH_DIR=$(mktemp -d "$BENCH_DIR/search.XXXXXX")
CLEAN_DIRS+=("$SEARCH_DIR")
log "search-bench: $SEARCH_DOCS documents (seed $SEED) in $SEARCH_DIR"
search_start=$(date +%s)
SEARCH_REPORT=$("$SEARCH_BENCH" --docs "$SEARCH_DOCS" --seed "$SEED" \
    --queries "$SEARCH_QUERIES" --out "$SEARCH_DIR")
search_secs=$(($(date +%s) - search_start))
TANTIVY_VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' <(grep -A1 '^name = "tantivy"$' Cargo.lock) | head -n1)
{
    echo "## Search benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- Machine: $(nproc) CPUs, ${CPU:-unknown CPU}, $MEM RAM, Linux $(uname -r), index files on $(findmnt -no FSTYPE -T "$SEARCH_DIR" 2>/dev/null || echo unknown); load average when the script started: $LOAD_AT_START"
    echo "- Trove commit: $COMMIT; tantivy $TANTIVY_VERSION; whole run ${search_secs} s"
    echo "$SEARCH_REPORT"
} | tee "$OUT/search.md"
! grep -q 'missed' <<<"$SEARCH_REPORT" || MISSED+=(search)
fi # search

# --- previews and S3: scripts of their own ------------------------------------------------
# They exit 1 on a failed check, and on a missed goal too when BENCH_STRICT=1 (inherited).
if [ -z "$ONLY" ] || [ "$ONLY" = previews ]; then
    "$ROOT/scripts/bench-previews.sh" || MISSED+=(previews)
fi
if [ -z "$ONLY" ] || [ "$ONLY" = s3 ]; then
    "$ROOT/scripts/bench-s3.sh" || MISSED+=(s3)
fi
if [ -z "$ONLY" ] || [ "$ONLY" = dupes ]; then
    "$ROOT/scripts/bench-dupes.sh" || MISSED+=(dupes)
fi
if [ -z "$ONLY" ] || [ "$ONLY" = ui ]; then
    "$ROOT/scripts/bench-ui.sh" || MISSED+=(ui)
fi

if [ "${BENCH_STRICT:-0}" = 1 ] && [ ${#MISSED[@]} -gt 0 ]; then
    die "a speed goal was missed in: ${MISSED[*]} (BENCH_STRICT=1)"
fi
