#!/usr/bin/env bash
# Exact-duplicate benchmark of issue 7: Trove's finder (crate trove-hash) against jdupes, rmlint
# and fclones on one generated adversarial tree (~2 GB), in the same run, warm cache.
#
#   scripts/bench-dupes.sh      # scripts/bench.sh calls it
#
# The tree (`dupes gen`, bench binary of trove-hash): many files of equal sizes, one-byte
# variants at the first, middle and last byte and at a random offset, copies in 2–4 folders,
# 3,000 small files, 40 empty files, a hard link to a copy and one to a unique file. It is
# written to a temporary folder and removed at exit.
#
# Trove's side is the whole product in a fresh library each round: `trove source add`, `trove
# scan` and `trove dupes --json` (walk, catalog, hashing with no cache, content hashes recorded,
# copies merged into one asset). For reference, the hashing crate alone is timed too: the bench
# binary's `dupes run` (a walk and trove_hash::find_exact, no catalog) with its default threads
# (one per core) and with 4 threads per core.
#
# Correctness: Trove's groups must equal `jdupes -r`'s exactly (files compared by device and
# inode, so that hard links compare equal whichever name a tool prints); a mismatch exits 1.
#
# Environment:
#   BENCH_DIR         where the temporary tree goes           (default /tmp/trove-bench)
#   BENCH_DUPES_MIB   size of the tree in MiB                 (default 2048)
#   BENCH_SEED        generator seed                          (default 42)
#   BENCH_DUPES_RUNS  timed rounds (every tool once per round)  (default 7)
#   BENCH_KEEP=1      keep the tree afterwards
#   BENCH_STRICT=1    exit 1 when the speed goal (<= 1.0x the fastest peer) is missed
#
# Writes bench-out/dupes.md (the report, also printed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

MIB=${BENCH_DUPES_MIB:-2048}
SEED=${BENCH_SEED:-42}
RUNS=${BENCH_DUPES_RUNS:-7}
BENCH_DIR=${BENCH_DIR:-/tmp/trove-bench}
OUT="$ROOT/bench-out"
GOAL=1.0

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench-dupes: %s\n' "$*" >&2; exit 1; }

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || COMMIT="$COMMIT (with uncommitted changes)"

# --- peers, installed only when missing ---------------------------------------------------
apt_install() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    log "installing Debian package(s): $*"
    "${sudo[@]}" apt-get install -y -q "$@" >&2 ||
        { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q "$@" >&2; }
}
command -v jdupes >/dev/null || apt_install jdupes
command -v rmlint >/dev/null || apt_install rmlint
[ -x /usr/bin/time ] || apt_install time
FCLONES=$(command -v fclones || echo "$HOME/.cargo/bin/fclones")
if [ ! -x "$FCLONES" ]; then
    log "installing fclones (cargo install fclones --locked)"
    cargo install fclones --locked >&2
    FCLONES="$HOME/.cargo/bin/fclones"
fi

# --- build --------------------------------------------------------------------------------
log "building the trove-hash bench binary (release)"
DUPES=$(cargo bench -p trove-hash --bench dupes --no-run 2>&1 | tee /dev/stderr |
    sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -n1)
case "$DUPES" in /*) ;; *) DUPES="$ROOT/$DUPES" ;; esac # cargo prints it relative to here
[ -x "$DUPES" ] || die "bench binary not found (cargo bench -p trove-hash --bench dupes --no-run)"

log "building the trove CLI (release)"
cargo build --release -p trove-cli >&2
TROVE="$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/trove"
[ -x "$TROVE" ] || die "trove not found at $TROVE"

# --- tree ---------------------------------------------------------------------------------
mkdir -p "$BENCH_DIR" "$OUT"
RUN_DIR=$(mktemp -d "$BENCH_DIR/dupes.XXXXXX")
cleanup() {
    if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $RUN_DIR"; else rm -rf "$RUN_DIR"; fi
}
trap cleanup EXIT
TREE="$RUN_DIR/tree"
log "generating ~$MIB MiB (seed $SEED) in $TREE"
gen_start=$(date +%s.%N)
SUMMARY=$("$DUPES" gen "$TREE" --mib "$MIB" --seed "$SEED")
gen_secs=$(awk -v a="$gen_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "tree: $SUMMARY in ${gen_secs}s"
sync

# --- correctness: the same groups as jdupes -r ----------------------------------------------
cd "$RUN_DIR" # rmlint writes nothing here (-o names its only output), but stay out of the repo
"$DUPES" run "$TREE" --groups trove.groups 2> trove.log
cat trove.log >&2
jdupes -r -q "$TREE" > jdupes.txt
"$DUPES" canon-jdupes jdupes.groups < jdupes.txt
# The whole product: a fresh library, `trove scan`, `trove dupes --json` (paths back to
# jdupes' text form, then the same canonical groups).
"$TROVE" --library cli-lib source add "$TREE" > /dev/null
"$TROVE" --library cli-lib scan > /dev/null
"$TROVE" --library cli-lib dupes --json > trove-cli.json
python3 -c 'import json, sys
for g in json.load(sys.stdin)["groups"]:
    print("\n".join(m["path"] for m in g["members"])); print()' < trove-cli.json |
    "$DUPES" canon-jdupes trove-cli.groups
GROUPS_CLI=$(wc -l < trove-cli.groups)
if cmp -s trove-cli.groups jdupes.groups; then MATCH_CLI=pass; else MATCH_CLI=FAIL; fi
log "groups: trove scan + dupes $GROUPS_CLI, jdupes: $MATCH_CLI"
GROUPS_TROVE=$(wc -l < trove.groups)
GROUPS_JDUPES=$(wc -l < jdupes.groups)
if cmp -s trove.groups jdupes.groups; then MATCH=pass; else MATCH=FAIL; fi
log "groups: trove-hash $GROUPS_TROVE, jdupes $GROUPS_JDUPES: $MATCH"

# --- timings (warm cache: the tree was just written and read) -------------------------------
# Interleaved rounds rather than hyperfine's one-command-after-another: on a shared machine the
# load drifts over a run, and interleaving gives every tool the same drift. Each round runs
# every tool once, in an order rotated by one per round; one untimed warm-up round first.
TOOLS=(trove trove-hash trove-hash-4pc jdupes rmlint fclones)
cmd_of() {
    case "$1" in
        trove) echo "rm -rf lib && $qTR --library lib source add $qT && $qTR --foreground --library lib scan && $qTR --foreground --library lib dupes --json" ;;
        trove-hash) echo "$qD run $qT" ;;
        trove-hash-4pc) echo "$qD run $qT --threads $(($(nproc) * 4))" ;;
        jdupes) echo "jdupes -r -q $qT" ;;
        rmlint) echo "rmlint -T df -o fdupes:/dev/null $qT" ;;
        fclones) echo "$qF group $qT" ;;
    esac
}
qD=$(printf %q "$DUPES")
qT=$(printf %q "$TREE")
qTR=$(printf %q "$TROVE")
qF=$(printf %q "$FCLONES")
: > times.txt
for round in $(seq 0 "$RUNS"); do
    log "round $round of $RUNS (0 is the warm-up)"
    n=${#TOOLS[@]}
    for k in $(seq 0 $((n - 1))); do
        tool=${TOOLS[$(((k + round) % n))]}
        /usr/bin/time -f "%e %U %S" -o time.txt bash -c "$(cmd_of "$tool") > /dev/null 2>&1" ||
            die "$tool failed"
        [ "$round" -eq 0 ] || echo "$tool $(cat time.txt)" >> times.txt
    done
done

# --- where Trove's time goes: each of its three commands timed alone, 5 times --------------
: > phases.txt
for i in 1 2 3 4 5; do
    rm -rf lib
    for phase in add scan dupes; do
        case "$phase" in
            add) cmd="$qTR --library lib source add $qT" ;;
            scan) cmd="$qTR --foreground --library lib scan" ;;
            dupes) cmd="$qTR --foreground --library lib dupes --json" ;;
        esac
        /usr/bin/time -f "%e" -o time.txt bash -c "$cmd > /dev/null 2>&1" || die "trove $phase failed"
        echo "$phase $(cat time.txt)" >> phases.txt
    done
done
phase_median() {
    awk -v p="$1" '$1 == p { print $2 }' phases.txt | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
PHASES="source add $(phase_median add) s, scan $(phase_median scan) s, dupes --json $(phase_median dupes) s (medians of 5)"
log "trove phases: $PHASES"

# --- report -------------------------------------------------------------------------------
stat_of() { # TOOL FIELD: median | min | max of wall seconds, or cpu (mean user+sys)
    awk -v t="$1" -v f="$2" '$1 == t { w[n++] = $2; cpu += $3 + $4 }
        END { asort_n(w, n); if (f == "median") print (n % 2 ? w[(n-1)/2] : (w[n/2-1] + w[n/2]) / 2);
              else if (f == "min") print w[0]; else if (f == "max") print w[n-1]; else print cpu / n }
        function asort_n(a, n,   i, j, x) { for (i = 1; i < n; i++) { x = a[i];
            for (j = i - 1; j >= 0 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x } }' times.txt
}
row() {
    printf '%.3f s | %.3f s | %.3f s | %.2f s' "$(stat_of "$1" median)" "$(stat_of "$1" min)" \
        "$(stat_of "$1" max)" "$(stat_of "$1" cpu)"
}
FASTEST=$(for p in jdupes rmlint fclones; do echo "$(stat_of $p median) $p"; done | sort -g | head -n1)
FASTEST_NAME=${FASTEST#* }
RATIO=$(awk -v a="$(stat_of trove median)" -v b="${FASTEST% *}" 'BEGIN { printf "%.2f", a / b }')
RATIO_HASH=$(awk -v a="$(stat_of trove-hash median)" -v b="${FASTEST% *}" 'BEGIN { printf "%.2f", a / b }')
RATIO_MIN=$(awk -v a="$(stat_of trove min)" -v b="$(stat_of "$FASTEST_NAME" min)" 'BEGIN { printf "%.2f", a / b }')
VERDICT=$(awk -v r="$RATIO" -v g="$GOAL" 'BEGIN { print (r <= g ? "met" : "**missed**") }')
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
{
    echo "## Exact duplicates — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- Machine: $(nproc) CPUs, ${CPU:-unknown CPU}, Linux $(uname -r), tree on $(findmnt -no FSTYPE -T "$RUN_DIR" 2>/dev/null || echo unknown); load average when the script started: $LOAD_AT_START"
    echo "- Trove commit: $COMMIT; peers: $(jdupes --version | head -n1), rmlint $(rmlint --version 2>&1 | head -n1 | awk '{print $2}'), $("$FCLONES" --version)"
    echo "- Tree: \`dupes gen --mib $MIB --seed $SEED\` → $SUMMARY (written in ${gen_secs} s)"
    echo "- Trove: \`trove scan\` + \`trove dupes --json\` into a fresh library each round (catalog, hash cache and all; nothing cached from an earlier round). For reference, the hashing crate alone (walk + \`trove_hash::find_exact\`, no catalog): $(sed 's/^trove-hash: //' trove.log | tail -n1)"
    echo "- Trove's three commands timed alone: $PHASES"
    echo "- $RUNS interleaved rounds after a warm-up round, warm page cache, each command timed by \`/usr/bin/time\`. Commands: \`rm -rf lib && trove --library lib source add TREE && trove --library lib scan && trove --library lib dupes --json\`, \`dupes run TREE\`, \`jdupes -r -q TREE\`, \`rmlint -T df -o fdupes:/dev/null TREE\`, \`fclones group TREE\`"
    echo
    echo "| Tool | Median | Min | Max | CPU (user+sys, mean) |"
    echo "|---|---|---|---|---|"
    echo "| **trove** (fresh library: source add + scan + dupes) | $(row trove) |"
    echo "| trove-hash alone (default: one thread per core) | $(row trove-hash) |"
    echo "| trove-hash, 4 threads per core (\`--threads $(($(nproc) * 4))\`; reference) | $(row trove-hash-4pc) |"
    for p in jdupes rmlint fclones; do echo "| $p | $(row $p) |"; done
    echo
    echo "| Check | Value | Goal | |"
    echo "|---|---|---|---|"
    echo "| trove scan + dupes / fastest peer ($FASTEST_NAME), medians | ${RATIO}× | ≤ ${GOAL}× | $VERDICT |"
    echo "| trove scan + dupes / $FASTEST_NAME, minimums (reference) | ${RATIO_MIN}× | | |"
    echo "| trove-hash alone / $FASTEST_NAME, medians (reference) | ${RATIO_HASH}× | | |"
    echo "| \`trove dupes\` groups equal to \`jdupes -r\` ($GROUPS_CLI vs $GROUPS_JDUPES) | $MATCH_CLI | pass | |"
    echo "| trove-hash groups equal to \`jdupes -r\` ($GROUPS_TROVE vs $GROUPS_JDUPES) | $MATCH | pass | |"
} | tee "$OUT/dupes.md"

[ "$MATCH" = pass ] && [ "$MATCH_CLI" = pass ] ||
    die "groups differ from jdupes -r (kept in $RUN_DIR with BENCH_KEEP=1)"
if [ "${BENCH_STRICT:-0}" = 1 ] && [ "$VERDICT" != met ]; then
    die "speed goal missed: ${RATIO}x the fastest peer (BENCH_STRICT=1)"
fi
