#!/usr/bin/env bash
# Preview benchmark (issue 5), called by scripts/bench.sh; runs alone too:
#
#   scripts/bench-previews.sh
#
#   videos: Trove making ALL previews (posters, filmstrip, 720p proxy, waveform) of five
#           generated clips, two at a time, against plain ffmpeg making only the 720p proxies,
#           two at a time, with the same x264/AAC settings. Goal: Trove <= 1.3x ffmpeg.
#   stills: Trove's 320 px posters of 200 generated 12-megapixel JPEGs (a third with an EXIF
#           orientation) against `vipsthumbnail -s 320`, two at a time. Goal: <= 1.5x.
#   checks: every proxy through ffprobe (h264, <= 720 lines) and its atom order (moov before
#           mdat), by `trove-preview-bench check-proxies`.
#
# Environment:
#   PREVIEW_RUNS      hyperfine runs per command                 (default 3)
#   PREVIEW_SECONDS   length of each generated clip in seconds   (default 12)
#   PREVIEW_STILLS    number of generated 12 MP JPEGs            (default 200)
#   BENCH_DIR         where the temporary media and caches go    (default /tmp/trove-bench)
#   BENCH_KEEP=1      keep them afterwards
#   BENCH_STRICT=1    exit 1 when a speed goal is missed (failed checks always exit 1)
#
# Writes bench-out/previews.md (also printed on stdout) and bench-out/hyperfine-preview-*.json.
# Build output, media generation and hyperfine progress go to stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RUNS=${PREVIEW_RUNS:-3}
SECONDS_PER_CLIP=${PREVIEW_SECONDS:-12}
STILLS=${PREVIEW_STILLS:-200}
BENCH_DIR=${BENCH_DIR:-/tmp/trove-bench}
OUT="$ROOT/bench-out"
GOAL_VIDEO=1.3
GOAL_STILLS=1.5
# The proxy's encoding, the same for Trove (its defaults) and the ffmpeg peer.
X264=(-c:v libx264 -preset veryfast -crf 23 -profile:v high -pix_fmt yuv420p
      -c:a aac -ac 2 -b:a 128k -movflags +faststart)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'bench-previews: %s\n' "$*" >&2; exit 1; }

# --- tools, installed only when missing (scripts/setup.sh --bench installs them too) ----------
apt_install() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    log "installing Debian package(s): $*"
    "${sudo[@]}" apt-get install -y -q "$@" >&2 ||
        { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q "$@" >&2; }
}
command -v ffmpeg >/dev/null || apt_install ffmpeg
command -v hyperfine >/dev/null || apt_install hyperfine
command -v vipsthumbnail >/dev/null || apt_install libvips-tools

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || COMMIT="$COMMIT (with uncommitted changes)"
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)

# --- build --------------------------------------------------------------------------------
log "building release trove-preview-bench"
cargo build --release -p trove-preview --bin trove-preview-bench >&2
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BENCH="$TARGET_DIR/release/trove-preview-bench"
[ -x "$BENCH" ] || die "built trove-preview-bench not found at $BENCH"

mkdir -p "$BENCH_DIR" "$OUT"
RUN_DIR=$(mktemp -d "$BENCH_DIR/previews.XXXXXX")
cleanup() {
    if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $RUN_DIR"; else rm -rf "$RUN_DIR"; fi
}
trap cleanup EXIT
CLIPS="$RUN_DIR/clips"
STILL_DIR="$RUN_DIR/stills"
mkdir -p "$CLIPS" "$STILL_DIR"

# --- media --------------------------------------------------------------------------------
S=$SECONDS_PER_CLIP
gen() { ffmpeg -v error -y -nostdin "$@" >&2; }
src() { # SIZE FREQ: testsrc2 picture and a sine tone at 48 kHz
    echo -f lavfi -i "testsrc2=s=$1:r=25:d=$S" -f lavfi -i "sine=f=$2:d=$S:sample_rate=48000"
}
log "generating five ${S}-second clips in $CLIPS"
# shellcheck disable=SC2046 # src prints arguments to split
gen $(src 1920x1080 440) -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p \
    -c:a aac -b:a 192k "$CLIPS/h264-1080p.mp4"
# shellcheck disable=SC2046
gen $(src 1920x1080 330) -c:v prores_ks -profile:v 2 -pix_fmt yuv422p10le \
    -c:a pcm_s16le "$CLIPS/prores-422.mov"
# shellcheck disable=SC2046
gen $(src 1920x1080 550) -c:v mpeg2video -b:v 25M -maxrate 25M -bufsize 10M -g 12 \
    -pix_fmt yuv422p -c:a pcm_s16le -f mxf "$CLIPS/mpeg2-1080.mxf"
# shellcheck disable=SC2046
gen $(src 1920x1080 660) -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -row-mt 1 -b:v 6M \
    -pix_fmt yuv420p -c:a libopus -b:a 96k "$CLIPS/vp9-1080.mkv"
# A phone's vertical video: stored 1920x1080 with a 90° display matrix, shown 1080x1920.
# shellcheck disable=SC2046
gen $(src 1920x1080 770) -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p \
    -c:a aac "$RUN_DIR/stored-landscape.mp4"
gen -i "$RUN_DIR/stored-landscape.mp4" -c copy -metadata:s:v:0 rotate=90 "$CLIPS/vertical-phone.mp4"
rm -f "$RUN_DIR/stored-landscape.mp4"
mapfile -t CLIP_FILES < <(find "$CLIPS" -type f | sort)

log "generating $STILLS 12-megapixel JPEGs in $STILL_DIR"
# Photo-like grain, so that the files are of a camera's size (about 2.3 MB), not a test card's.
gen -f lavfi -i "testsrc2=s=4000x3000:r=1" -vf "noise=alls=8:allf=t" -frames:v "$STILLS" \
    -q:v 3 "$STILL_DIR/IMG_%04d.jpg"
mapfile -t STILL_FILES < <(find "$STILL_DIR" -name '*.jpg' | sort)
"$BENCH" orient --every 3 "${STILL_FILES[@]}"
STILL_MB=$(du -sm "$STILL_DIR" | cut -f1)
sync

# --- timings ------------------------------------------------------------------------------
TROVE_CACHE="$RUN_DIR/cache-videos"
PEER_OUT="$RUN_DIR/peer-proxies"
STILL_CACHE="$RUN_DIR/cache-stills"
VIPS_OUT="$RUN_DIR/vips-thumbs"
# hyperfine's warmup runs before the first --prepare: the output folders must exist already.
mkdir -p "$PEER_OUT" "$VIPS_OUT"

# The peer: one ffmpeg per clip, proxy only, boxed like Trove's (1280x720, or 720x1280 for
# portrait), never upscaled.
PEER="$RUN_DIR/peer-proxy.sh"
cat >"$PEER" <<PEER_EOF
#!/usr/bin/env bash
set -euo pipefail
exec ffmpeg -v error -y -nostdin -i "\$1" \\
  -vf "scale=w='if(gte(iw,ih),min(1280,iw),min(720,iw))':h='if(gte(iw,ih),min(720,ih),min(1280,ih))':force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1" \\
  ${X264[*]} "$PEER_OUT/\$(basename "\$1").mp4"
PEER_EOF
chmod +x "$PEER"

q() { printf '%q ' "$@"; }
hf() { # NAME, then hyperfine arguments
    local name=$1
    shift
    log "hyperfine: $name"
    hyperfine --runs "$RUNS" --style basic --export-json "$OUT/hyperfine-preview-$name.json" \
        --export-csv "$RUN_DIR/$name.csv" --command-name "$name" "$@" >&2
}

hf trove-videos --prepare "rm -rf $(q "$TROVE_CACHE")" \
    "$(q "$BENCH") videos --jobs 2 --cache $(q "$TROVE_CACHE") $(q "${CLIP_FILES[@]}") > $(q "$RUN_DIR/trove-videos.txt")"
hf ffmpeg-proxies --prepare "rm -rf $(q "$PEER_OUT") && mkdir -p $(q "$PEER_OUT")" \
    "printf '%s\n' $(q "${CLIP_FILES[@]}") | xargs -d '\n' -P 2 -n 1 $(q "$PEER")"

hf trove-stills --warmup 1 --prepare "rm -rf $(q "$STILL_CACHE")" \
    "$(q "$BENCH") stills --jobs 2 --width 320 --cache $(q "$STILL_CACHE") $(q "${STILL_FILES[@]}") > /dev/null"
# Two vipsthumbnail processes, each given half of the files (as Trove's two threads are).
HALF=$(( (${#STILL_FILES[@]} + 1) / 2 ))
hf vipsthumbnail --warmup 1 --prepare "rm -rf $(q "$VIPS_OUT") && mkdir -p $(q "$VIPS_OUT")" \
    "printf '%s\n' $(q "${STILL_FILES[@]}") | xargs -d '\n' -P 2 -n $HALF vipsthumbnail -s 320 -o $(q "$VIPS_OUT/%s.jpg")"

# --- checks (on the caches of the last timed runs) -----------------------------------------
log "checking the proxies"
CHECK=$("$BENCH" check-proxies --cache "$TROVE_CACHE") || { echo "$CHECK" >&2; die "a proxy check failed"; }
echo "$CHECK" >&2
POSTERS=$(find "$STILL_CACHE/entries" -name 'poster-320.jpg' | wc -l)
[ "$POSTERS" -eq "${#STILL_FILES[@]}" ] || die "$POSTERS posters for ${#STILL_FILES[@]} stills"
VIPS_COUNT=$(find "$VIPS_OUT" -name '*.jpg' | wc -l)
[ "$VIPS_COUNT" -eq "${#STILL_FILES[@]}" ] || die "vipsthumbnail wrote $VIPS_COUNT of ${#STILL_FILES[@]}"

# --- report -------------------------------------------------------------------------------
csv() { # NAME FIELD: from hyperfine's CSV (command,mean,stddev,median,user,system,min,max)
    awk -F, -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                       { print $col[f] }' "$RUN_DIR/$1.csv"
}
row_time() {
    awk -v m="$(csv "$1" mean)" -v s="$(csv "$1" stddev)" \
        -v lo="$(csv "$1" min)" -v hi="$(csv "$1" max)" \
        -v u="$(csv "$1" user)" -v sy="$(csv "$1" system)" \
        'BEGIN { printf "%.2f s ± %.2f s | %.2f s | %.2f s | %.2f s", m, s, lo, hi, u + sy }'
}
cpu_ratio() { # user + system CPU seconds of $1 over $2: steadier than wall time on a busy machine
    awk -v a="$(csv "$1" user)" -v b="$(csv "$1" system)" \
        -v c="$(csv "$2" user)" -v d="$(csv "$2" system)" 'BEGIN { printf "%.2f", (a + b) / (c + d) }'
}
ratio() { awk -v a="$(csv "$1" mean)" -v b="$(csv "$2" mean)" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g ? "met" : "**missed**") }'; }
R_VIDEO=$(ratio trove-videos ffmpeg-proxies)
R_STILLS=$(ratio trove-stills vipsthumbnail)
V_VIDEO=$(verdict "$R_VIDEO" "$GOAL_VIDEO")
V_STILLS=$(verdict "$R_STILLS" "$GOAL_STILLS")

{
    echo "## Preview benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- Machine: $(nproc) CPUs, ${CPU:-unknown CPU}, Linux $(uname -r); load average when the script started: $LOAD_AT_START"
    echo "- Trove commit: $COMMIT; $(ffmpeg -version | head -n1 | cut -d' ' -f1-3); $(vipsthumbnail --vips-version 2>/dev/null | head -n1); $(hyperfine --version)"
    echo "- Clips: five of ${S} s with sound — H.264 1080p MP4, ProRes 422 MOV, MPEG-2 MXF, VP9 MKV, vertical phone MP4 (1920x1080 stored, 90° display matrix)."
    echo "- Stills: $STILLS JPEGs of 4000x3000 ($STILL_MB MB in all), every third with EXIF orientation 6, 8 or 3."
    echo "- hyperfine: $RUNS runs each (stills: 1 warmup); each run starts from an empty cache or output folder."
    echo
    echo "| Measurement (two at a time) | Mean ± σ | Min | Max | CPU (user + sys) |"
    echo "|---|---|---|---|---|"
    echo "| a) Trove, all previews of the 5 clips: \`trove-preview-bench videos --jobs 2\` | $(row_time trove-videos) |"
    echo "| b) ffmpeg, 720p proxies only (same x264/AAC settings), \`xargs -P 2\` | $(row_time ffmpeg-proxies) |"
    echo "| c) Trove, 320 px posters of the stills: \`trove-preview-bench stills --jobs 2\` | $(row_time trove-stills) |"
    echo "| d) \`vipsthumbnail -s 320\`, two processes of half the files each | $(row_time vipsthumbnail) |"
    echo
    echo "| Ratio | Value | Goal | |"
    echo "|---|---|---|---|"
    echo "| all previews / ffmpeg proxies (a/b) | ${R_VIDEO}× | ≤ ${GOAL_VIDEO}× | $V_VIDEO |"
    echo "| Trove stills / vipsthumbnail (c/d) | ${R_STILLS}× | ≤ ${GOAL_STILLS}× | $V_STILLS |"
    echo "| CPU time, all previews / ffmpeg proxies | $(cpu_ratio trove-videos ffmpeg-proxies)× | (reference) | |"
    echo "| CPU time, Trove stills / vipsthumbnail | $(cpu_ratio trove-stills vipsthumbnail)× | (reference) | |"
    echo
    echo "Proxy checks (ffprobe codec and size; top-level atoms read by the bench):"
    echo
    echo '```'
    echo "$CHECK"
    echo '```'
    echo
    echo "What Trove made per clip in the last timed run (seconds per clip, two at a time):"
    echo
    echo '```'
    sed "s|$CLIPS/||" "$RUN_DIR/trove-videos.txt"
    echo '```'
} | tee "$OUT/previews.md"

if [ "${BENCH_STRICT:-0}" = 1 ] && { [ "$V_VIDEO" != met ] || [ "$V_STILLS" != met ]; }; then
    die "a speed goal was missed (BENCH_STRICT=1)"
fi
