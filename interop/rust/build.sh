#!/usr/bin/env bash
# Builds the Rust interop driver (which is also the Rust SDK's benchmark,
# `bench`) with cargo, release profile, versions from Cargo.lock, into
# $GO_ESDK_CACHE/rust-target (default $HOME/.cache/go-esdk/rust-target),
# and prints the binary's path. A warm build is cargo's no-op; two builds
# at once wait for each other on cargo's lock.
#
# cargo is taken from PATH, else from $HOME/.cargo/bin (where rustup puts
# it). Without it the exit status is 3 and the reason is on stderr; the
# callers (interop/run, bench/run.sh) then leave the Rust rows out and say
# so. Cargo's own output goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${GO_ESDK_CACHE:-$HOME/.cache/go-esdk}"
cargo="$(command -v cargo || true)"
if [[ -z "$cargo" && -x "$HOME/.cargo/bin/cargo" ]]; then cargo="$HOME/.cargo/bin/cargo"; fi
if [[ -z "$cargo" ]]; then
  echo "cargo was not found (on PATH or in \$HOME/.cargo/bin); the Rust SDK needs Rust 1.88+ with cargo" >&2
  exit 3
fi
target="$cache/rust-target"
CARGO_TARGET_DIR="$target" "$cargo" build --release --locked --quiet --manifest-path "$here/Cargo.toml" >&2
echo "$target/release/esdk-interop-driver"
