#!/usr/bin/env bash
# Cross-check of `cargo bench --bench cli` with hyperfine, for people who have it installed
# (https://github.com/sharkdp/hyperfine; not needed by anything else in this repository).
#
# Usage: benches/hyperfine.sh [DIR] [SIZE...]
#   DIR   where the synthetic repositories go (default: a fresh temp dir, removed afterwards)
#   SIZE  repositories to measure: 100, 1000, 10000 and/or chain (default: 10000 chain)
#
# Environment: RUNS (default 20), TASKS_BIN (default: target/release/tasks, built here).
# The repositories are the same deterministic ones the Rust harness measures: they are written
# by the harness itself (`--generate-only`). Cold runs delete tasks/.cache before every run
# (`--prepare`); warm runs keep it (after `--warmup 3`). `--pick` exits 1 when nothing is ready,
# hence `-i` (--ignore-failure; it applies to every command of a hyperfine call, so the list
# command is checked by the Rust harness instead). Markdown tables land in DIR/*.md.
set -euo pipefail

command -v hyperfine >/dev/null || {
    echo "hyperfine is not installed; use: cargo bench --bench cli" >&2
    exit 1
}

crate="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -gt 0 ]]; then
    dir="$1"
    shift
    mkdir -p "$dir"
else
    dir="$(mktemp -d -t tasks-hyperfine-XXXXXX)"
    trap 'rm -rf "$dir"' EXIT
fi
dir="$(cd "$dir" && pwd)"
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10000 chain)
runs="${RUNS:-20}"

realistic=()
chain=0
for size in "${sizes[@]}"; do
    if [[ "$size" == chain ]]; then chain=10000; else realistic+=("$size"); fi
done
(
    IFS=,
    cd "$crate"
    cargo bench --bench cli -- --generate-only --dir "$dir" \
        --sizes "${realistic[*]:-}" --chain "$chain"
)

bin="${TASKS_BIN:-$crate/target/release/tasks}"
if [[ -z "${TASKS_BIN:-}" ]]; then
    (cd "$crate" && cargo build --release --bin tasks)
fi

for size in "${sizes[@]}"; do
    if [[ "$size" == chain ]]; then repo="$dir/chain-10000"; else repo="$dir/tasks-$size"; fi
    echo "== $repo"
    cd "$repo"
    hyperfine -N -i --runs "$runs" --prepare 'rm -rf tasks/.cache' \
        --export-markdown "$dir/$(basename "$repo")-cold.md" \
        -n 'list json (cold)' "$bin --list --format json" \
        -n 'pick (cold)' "$bin --pick" \
        -n 'pick json (cold)' "$bin --pick --format json"
    hyperfine -N -i --runs "$runs" --warmup 3 \
        --export-markdown "$dir/$(basename "$repo")-warm.md" \
        -n 'list json (warm)' "$bin --list --format json" \
        -n 'pick (warm)' "$bin --pick" \
        -n 'pick json (warm)' "$bin --pick --format json"
done
