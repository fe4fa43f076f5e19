#!/usr/bin/env bash
# The cost of depending on tracekit, side by side with `tracing` +
# `tracing-subscriber`: a one-function crate on each, built cold (an empty
# target directory, a warm registry), one after the other in one run.
# Prints the crates in `cargo tree -e normal` and the wall time of
# `cargo build` as a Markdown table.
# Usage: bench/build-cost/run.sh [a checkout of an older tracekit, to compare]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
old="${1:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tracing_main='#[tracing::instrument]
fn work(x: u64) -> u64 { x * 2 }
fn main() { tracing_subscriber::fmt().init(); println!("{}", work(21)); }'
facade_main='#[tracekit::trace_operation]
fn work(x: u64) -> u64 { x * 2 }
fn main() { println!("{}", work(21)); }'
program_main='#[tracekit::trace_operation]
fn work(x: u64) -> u64 { x * 2 }
fn main() { let _guard = tracekit::init().unwrap(); println!("{}", work(21)); }'

# probe <name> <dependency lines> <main.rs>
probe() {
  local dir="$work/probe-$RANDOM"
  mkdir -p "$dir/src"
  printf '[package]\nname = "probe"\nversion = "0.0.0"\nedition = "2021"\n\n[dependencies]\n%s\n\n[workspace]\n' "$2" >"$dir/Cargo.toml"
  printf '%s\n' "$3" >"$dir/src/main.rs"
  cp "$repo/Cargo.lock" "$dir/Cargo.lock"
  (cd "$dir" && cargo fetch -q)
  local crates start end
  crates=$(cd "$dir" && cargo tree -e normal --prefix none | sed 's/ (\*)//' | sort -u | grep -vc '^probe ')
  start=$(date +%s.%N)
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build -q)
  end=$(date +%s.%N)
  printf '| %s | %s | %.1f |\n' "$1" "$crates" "$(echo "$end - $start" | bc)"
}

echo "| a one-function crate on | crates | cold \`cargo build\` (s) |"
echo "|---|---|---|"
probe '`tracing` + `tracing-subscriber`' 'tracing = "0.1"
tracing-subscriber = "0.3"' "$tracing_main"
probe 'tracekit, no default features' "tracekit = { path = \"$repo/runtime\", default-features = false }" "$facade_main"
probe 'tracekit, `console` + `testing`' "tracekit = { path = \"$repo/runtime\", default-features = false, features = [\"console\", \"testing\"] }" "$program_main"
probe 'tracekit, default features' "tracekit = { path = \"$repo/runtime\" }" "$program_main"
if [ -n "$old" ]; then
  probe 'tracekit before its features (all it had)' "tracekit = { path = \"$old/runtime\" }" "$program_main"
fi
