#!/usr/bin/env bash
# The platgen benchmark (README "Performance"): hyperfine on the reference platform's whole
# process (render into an empty directory, render and check with nothing to do), then
# `cargo bench --bench platgen` over generated platforms of 10, 100 and 1000 services.
#
#   scripts/bench.sh                            everything
#   PLATGEN_BENCH_SIZES=10,100 scripts/bench.sh smaller platforms only
#   PLATGEN_BENCH_DIR=/tmp scripts/bench.sh     on disk instead of tmpfs (/dev/shm)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v hyperfine >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
fi

cargo build --release --locked --quiet
bin="$root/target/release/platgen"
base="${PLATGEN_BENCH_DIR:-/dev/shm}"
[[ -d "$base" ]] || base="${TMPDIR:-/tmp}"
work="$(mktemp -d "$base/platgen-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The up-to-date cache of these runs stays with them (and "--no-cache" shows a first run).
export PLATGEN_CACHE_DIR="$work/cache"
cp platform.toml "$work/platform.toml"
"$bin" render --config "$work/platform.toml" --out "$work/out" >/dev/null

if command -v hyperfine >/dev/null 2>&1; then
  echo "reference platform, whole process ($(nproc) CPUs, in $base):"
  hyperfine -N --warmup 10 --runs 100 --style basic \
    --prepare "rm -rf $work/empty" \
    --command-name "render into an empty directory" \
    "$bin render --config $work/platform.toml --out $work/empty"
  hyperfine -N --warmup 10 --runs 100 --style basic \
    --command-name "render, nothing changed" "$bin render --config $work/platform.toml --out $work/out" \
    --command-name "check" "$bin check --config $work/platform.toml --out $work/out" \
    --command-name "check --no-cache" "$bin check --no-cache --config $work/platform.toml --out $work/out" \
    --command-name "diff, nothing changed" "$bin diff --config $work/platform.toml --out $work/out"
else
  echo "hyperfine is not installed: skipping the reference figures" >&2
fi

cargo bench --locked --bench platgen
