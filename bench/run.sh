#!/usr/bin/env bash
# Runs the benchmark table of BENCHMARKS.md: our SDK, the official AWS
# Encryption SDK for Go and the bare primitives, in one module, the
# official AWS Encryption SDK for Rust (the `bench` mode of the Rust interop
# driver, built with cargo by ../interop/rust/build.sh; left out, with the
# reason printed, where cargo is missing), plus the peak RSS of a 256 MiB
# encrypt+decrypt.
#
#   ./run.sh [OUTFILE]            full table (about 15 minutes on 2 cores)
#   ./run.sh -smoke [OUTFILE]     every benchmark once, the interop test and
#                                 a small peak-RSS run (for CI; ~15 seconds)
#   ./run.sh -ref REV [OUTFILE]   measure the library as of git revision REV
#                                 (e.g. a commit before a change) instead of
#                                 the work tree; combines with -smoke
#   ./run.sh -table FILE          print the Markdown tables of BENCHMARKS.md
#                                 (medians, ratios) from a FILE written above
#
# The raw `go test -bench` output goes to OUTFILE, or to stdout. Any tool
# that reads the Go benchmark format (e.g. benchstat) can also summarize it.
set -euo pipefail

smoke=0
ref=""
table=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	-smoke) smoke=1; shift ;;
	-ref) ref="${2:?-ref needs a git revision}"; shift 2 ;;
	-table) table="${2:?-table needs a results file}"; shift 2 ;;
	-*) echo "usage: $0 [-smoke] [-ref REV] [OUTFILE] | $0 -table FILE" >&2; exit 2 ;;
	*) break ;;
	esac
done
out="${1:-/dev/stdout}"
if [[ "$out" != /* ]]; then
	out="$PWD/$out"
fi
if [[ -n "$table" && "$table" != /* ]]; then
	table="$PWD/$table"
fi

cd "$(dirname "${BASH_SOURCE[0]}")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Build once, so that every part of the table measures the same code even
# if the library changes while the table runs. The build uses a copy of
# go.mod with -mod=mod, so that a dependency the library added since
# bench/go.mod was last tidied neither fails the run nor edits the tree.
lib="$(cd .. && pwd)"
libdesc="work tree of $(git -C .. rev-parse --short HEAD 2>/dev/null || echo '?')"
if [[ -n "$ref" ]]; then
	lib="$tmp/esdk"
	mkdir "$lib"
	git -C .. archive "$ref" | tar -x -C "$lib"
	libdesc="$(git -C .. rev-parse --short "$ref") ($ref)"
fi
sed "s|^replace github.com/go-esdk/esdk => .*|replace github.com/go-esdk/esdk => $lib|" go.mod >"$tmp/go.mod"
cp go.sum "$tmp/go.sum"
modflags=(-mod=mod "-modfile=$tmp/go.mod")
if [[ -n "$table" ]]; then
	go run "${modflags[@]}" ./cmd/benchtable "$table"
	exit 0
fi
go test "${modflags[@]}" -c -o "$tmp/bench.test" .
go build "${modflags[@]}" -o "$tmp/peakrss" ./cmd/peakrss
# The Rust SDK: one-shot encrypt/decrypt timed inside its own process.
rustinfo=""
rc=0
rust=$(../interop/rust/build.sh 2>"$tmp/rust-build.log") || rc=$?
if [[ $rc == 0 ]]; then
	rustinfo="aws-esdk $(awk '$0 == "name = \"aws-esdk\"" { getline; gsub(/version = |"/, ""); print; exit }' ../interop/rust/Cargo.lock), $({ rustc --version || "$HOME/.cargo/bin/rustc" --version; } 2>/dev/null | cut -d' ' -f1-2 || true)"
elif [[ $rc == 3 ]]; then # no cargo
	rustinfo="not measured: $(tail -1 "$tmp/rust-build.log")"
	echo "bench/run.sh: the Rust SDK rows are left out: $(tail -1 "$tmp/rust-build.log")" >&2
	rust=""
else
	echo "bench/run.sh: building the Rust SDK's benchmark failed:" >&2
	cat "$tmp/rust-build.log" >&2
	exit 1
fi
rustbench() {
	[[ -n "$rust" ]] || return 0
	loadavg
	"$rust" bench "$@"
}

# The load average is recorded beside each part: other work on the machine
# makes the numbers worse, and this is where to see that it was there.
loadavg() { echo "# loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"; }

bench() {
	loadavg
	"$tmp/bench.test" -test.run='^$' -test.timeout=60m -test.count=1 "$@"
}

{
	echo "# esdk benchmarks $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# library: $libdesc"
	echo "# official: $(go list "${modflags[@]}" -m github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk)"
	echo "# rust: $rustinfo"
	echo "# nproc: $(nproc)"
	echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "# $(go version)"
	echo "# mode: $([[ $smoke == 1 ]] && echo smoke || echo full)"

	if [[ $smoke == 1 ]]; then
		"$tmp/bench.test" -test.count=1 -test.timeout=10m -test.run='^TestInterop$' -test.bench=. -test.benchtime=1x
		rustbench --benchtime 1x --sizes 1KiB,1MiB
		size=32
	else
		# Five rounds, each running every benchmark once, rather than
		# -count=5 (which runs each benchmark five times back to back):
		# if other work loads the machine for a while, it then hits ours
		# and the official SDK alike, and medians stay comparable.
		for round in 1 2 3 4 5; do
			echo "# round $round"
			# Small messages: timed runs, so that 1 KiB is measured over
			# thousands of operations.
			bench -test.bench='^Benchmark(Ours|Official)$/.*/.*/^(1KiB|64KiB|1MiB)$' -test.benchtime=1s
			bench -test.bench='^BenchmarkBaseline$/^(P384|HKDF)$' -test.benchtime=1s
			bench -test.bench='^BenchmarkBaseline$/^AESGCM$/.*/^4KiB$' -test.benchtime=1s
			# Raw ECDH: wrap+unwrap per curve beside the bare key agreements,
			# and a 1 KiB message beside one P-256 agreement + raw AES.
			bench -test.bench='^BenchmarkECDH(Message)?$' -test.benchtime=1s
			# Hierarchical keyring (warm cache) beside raw AES, 1 KiB.
			bench -test.bench='^BenchmarkHierarchyMessage$' -test.benchtime=1s
			# Our streaming API at every size beside Tink's streaming AEAD
			# and the floor (the data path from stdlib primitives, 1 core).
			bench -test.bench='^Benchmark(OursStreamSizes|Tink|Floor)$/.*/.*/^(1KiB|64KiB|1MiB)$' -test.benchtime=1s
			# The same rows and the one-shot ones with one processor
			# (GOMAXPROCS=1, so one worker), named 1Core/...: the floor
			# and Tink use one goroutine, and so do these.
			bench -test.cpu=1 -test.bench='^Benchmark(Ours|OursStreamSizes|Tink|Floor)$/.*/^(0478|AES256_GCM_HKDF_4KB)$/^(1KiB|64KiB|1MiB)$' -test.benchtime=1s |
				sed 's/^Benchmark/Benchmark1Core\//'
			# 64 MiB messages and the throughput baselines: a fixed count.
			# One-shot runs get processes of their own: they leave
			# gigabytes of garbage whose release (the runtime returning
			# memory to the OS) slows whatever runs next in the process.
			bench -test.bench='^BenchmarkOurs$/.*/.*/^64MiB$' -test.benchtime=5x
			bench -test.bench='^BenchmarkOfficial$/.*/.*/^64MiB$' -test.benchtime=5x
			# The Rust SDK, 0x0478 and 0x0578: timed runs below 64 MiB,
			# five operations at 64 MiB, as for the Go SDKs.
			rustbench --sizes 1KiB,64KiB,1MiB --benchtime 1s
			rustbench --sizes 64MiB --benchtime 5x
			bench -test.bench='^Benchmark(OursStream|OursAppend|Workers)$/.*/.*/^64MiB$' -test.benchtime=5x
			bench -test.bench='^BenchmarkOursStreamSizes$/.*/.*/^64MiB$' -test.benchtime=5x
			bench -test.bench='^BenchmarkTink$/.*/.*/^64MiB$' -test.benchtime=5x
			bench -test.bench='^BenchmarkFloor$/.*/.*/^64MiB$' -test.benchtime=5x
			bench -test.bench='^BenchmarkFloor2$/.*/.*/^64MiB$' -test.benchtime=5x
			# (A benchmark whose name has fewer levels than the pattern is
			# skipped, hence one pattern per depth.)
			bench -test.bench='^BenchmarkBaseline$/^AESGCM$/.*/^64MiB$' -test.benchtime=5x
			bench -test.bench='^BenchmarkBaseline$/^SHA384$' -test.benchtime=5x
		done
		size=256
	fi

	# Peak RSS of one encrypt+decrypt, each mode in a fresh process.
	loadavg
	for mode in ours-stream ours-oneshot official-oneshot; do
		"$tmp/peakrss" -mode "$mode" -size "$size" -suite 0578
	done
} >"$out"
