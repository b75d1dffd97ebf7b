#!/usr/bin/env bash
# The CLI on a tree of small files: files per second and peak RSS of
# encrypt-cli (raw AES key; AWS KMS key of the local test KMS; --jobs 1 and
# --jobs 2) beside the Python aws-encryption-cli (AWS KMS key of the same
# test KMS: it has no raw-key provider), encrypting and decrypting the tree
# with -r. Each decrypted tree is compared with the original.
#
#   bench/cli/run.sh [-n FILES] [-size BYTES] [-no-python]
#
# Defaults: 10,000 files of 1 KiB, 100 per directory. Needs GNU time
# (/usr/bin/time) for the peak RSS. The raw-AES rows are run again with
# the outputs on a tmpfs (/dev/shm), and with the unsigned suite 0x0478
# (on the disk and on the tmpfs). On the tmpfs, the AWS KMS rows are run
# beside the Python CLI's with both suites, and with both CLIs' cache of
# data keys. When strace is installed, the time encrypt-cli spends in
# fsync (its durability: each output file and its directory) is
# measured. The Python CLI is installed (pinned) by
# interop/python/install-cli.sh.
set -euo pipefail

n=10000
size=1024
python=1
while [[ $# -gt 0 ]]; do
	case "$1" in
	-n) n="${2:?-n needs a file count}"; shift 2 ;;
	-size) size="${2:?-size needs a byte count}"; shift 2 ;;
	-no-python) python=0; shift ;;
	*) echo "usage: $0 [-n FILES] [-size BYTES] [-no-python]" >&2; exit 2 ;;
	esac
done
perdir=100
if (( n < perdir )); then perdir=$n; fi
(( n % perdir == 0 )) || { echo "$0: -n must be a multiple of $perdir" >&2; exit 2; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
kms_pid=""
cleanup() {
	if [[ -n "$kms_pid" ]]; then
		kill -INT "$kms_pid" 2>/dev/null || true # it stops and deletes its data
		wait "$kms_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	if [[ -n "${shm:-}" ]]; then rm -rf "$shm"; fi
}
trap cleanup EXIT

cd "$root"
go build -o "$tmp/encrypt-cli" ./cmd/encrypt-cli
(cd kmstest && go build -o "$tmp/kmstest" ./cmd/kmstest)
pycli=""
if (( python )); then
	interop/python/install-cli.sh >/dev/null
	pycli="${GO_ESDK_PYVENV_CLI:-$HOME/.cache/go-esdk/pyvenv-cli}/bin/aws-encryption-cli"
fi

# The tree: n files of size random bytes, perdir per directory, names of
# one width (so sorted listings of the tree and of its decryption agree).
mkdir "$tmp/tree"
for ((d = 0; d < n / perdir; d++)); do
	dir=$(printf '%s/tree/d%04d' "$tmp" "$d")
	mkdir "$dir"
	head -c $((perdir * size)) /dev/urandom | split -b "$size" -a 4 -d - "$dir/f"
done
digest() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 cat | sha256sum | cut -d' ' -f1); }
want=$(digest "$tmp/tree")

head -c 32 /dev/urandom | base64 >"$tmp/aes.key"
raw=(-w provider=raw-aes key=bench namespace=bench "key-file=$tmp/aes.key")

# The test KMS (us-west-2, the CLI tests' seed) on 127.0.0.1, stopped on
# exit.
coproc KMS { exec "$tmp/kmstest" "us-west-2=$root/cmd/encrypt-cli/internal/cli/testdata/kms/us-west-2.yaml"; }
kms_pid=$KMS_PID
read -r _ url <&"${KMS[0]}"
kms_key=arn:aws:kms:us-west-2:111122223333:key/d6f2e4ec-ac99-4efd-9e63-3bb74cc36098
kms=(-w "key=$kms_key" provider=aws-kms)
mkdir "$tmp/aws"
: >"$tmp/aws/config"
: >"$tmp/aws/credentials"
for v in AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ROLE_ARN \
	AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
	HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy; do
	unset "$v"
done
export AWS_ENDPOINT_URL_KMS="$url" AWS_ACCESS_KEY_ID=AKIDBENCHCLI AWS_SECRET_ACCESS_KEY=bench-secret \
	AWS_REGION=us-west-2 AWS_DEFAULT_REGION=us-west-2 AWS_CONFIG_FILE="$tmp/aws/config" \
	AWS_SHARED_CREDENTIALS_FILE="$tmp/aws/credentials" AWS_MAX_ATTEMPTS=1 AWS_EC2_METADATA_DISABLED=true \
	NO_PROXY=127.0.0.1 no_proxy=127.0.0.1

calc() { awk "BEGIN { printf \"$1\", $2 }"; }
timed() { # OUT CMD...: runs CMD, writes "seconds peak_rss_kib" to OUT
	local out=$1
	shift
	if [[ -x /usr/bin/time ]]; then
		/usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null
	else
		local s=$EPOCHREALTIME
		"$@" >/dev/null
		echo "$(calc %.3f "$EPOCHREALTIME - $s") n/a" >"$out"
	fi
}
mib() { if [[ $1 == n/a ]]; then echo n/a; else echo "$(calc %.1f "$1 / 1024") MiB"; fi; }

printf '%d files of %d bytes\n\n' "$n" "$size"
printf '| CLI | key | jobs | encrypt files/s | decrypt files/s | encrypt peak RSS | decrypt peak RSS |\n'
printf '| --- | --- | --- | --- | --- | --- | --- |\n'
row() { # LABEL KEYNAME JOBS PREFIX... -- KEYARGS...: one row of the table
	local label=$1 keyname=$2 jobs=$3
	shift 3
	local prefix=()
	while [[ $1 != -- ]]; do prefix+=("$1"); shift; done
	shift
	local run=${runbase:-$tmp}/run
	rm -rf "$run"
	mkdir -p "$run/enc" "$run/dec"
	local jobsarg=() suitearg=()
	[[ $jobs == - ]] || jobsarg=(--jobs "$jobs")
	[[ -z ${suite:-} ]] || suitearg=(--algorithm "$suite")
	timed "$run/e" "${prefix[@]}" -e -r -i "$tmp/tree" -o "$run/enc" -S "${jobsarg[@]}" "${suitearg[@]}" "$@"
	timed "$run/d" "${prefix[@]}" -d -r -i "$run/enc" -o "$run/dec" -S "${jobsarg[@]}" "$@"
	local got
	got=$(digest "$run/dec")
	if [[ "$got" != "$want" ]]; then
		echo "$label ($keyname, jobs $jobs): the decrypted tree differs from the original" >&2
		exit 1
	fi
	local es er ds dr
	read -r es er <"$run/e"
	read -r ds dr <"$run/d"
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$keyname" "$jobs" \
		"$(calc %.0f "$n / $es")" "$(calc %.0f "$n / $ds")" "$(mib "$er")" "$(mib "$dr")"
}

cli=$tmp/encrypt-cli
for jobs in 1 2; do
	row encrypt-cli "raw AES" "$jobs" "$cli" -- "${raw[@]}"
done
for jobs in 1 2; do
	row encrypt-cli "AWS KMS (test KMS)" "$jobs" "$cli" -- "${kms[@]}"
done
if (( python )); then
	row aws-encryption-cli "AWS KMS (test KMS)" - "$pycli" -- "${kms[@]}"
fi

# Outputs on a tmpfs (/dev/shm), where fsync costs nothing and files are
# never written to disk: the CLI's own cost per file, without the file
# system's.
if [[ -d /dev/shm && -w /dev/shm ]]; then
	shm=$(mktemp -d -p /dev/shm)
	for jobs in 1 2; do
		runbase=$shm row "encrypt-cli, outputs on tmpfs" "raw AES" "$jobs" "$cli" -- "${raw[@]}"
	done
fi

# Without the signature (0x0478, encrypt-cli's --algorithm): what the CLI
# costs per file when P-384 does not dominate, on the disk and on the tmpfs.
for jobs in 1 2; do
	suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY row "encrypt-cli, unsigned suite" "raw AES" "$jobs" "$cli" -- "${raw[@]}"
done
if [[ -n "${shm:-}" ]]; then
	for jobs in 1 2; do
		suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY runbase=$shm row "encrypt-cli, unsigned suite, outputs on tmpfs" "raw AES" "$jobs" "$cli" -- "${raw[@]}"
	done
	# Like for like with the Python CLI: the same AWS KMS key, the same
	# suite, the outputs on the same tmpfs.
	for s in "" AES_256_GCM_HKDF_SHA512_COMMIT_KEY; do
		label="outputs on tmpfs"
		[[ -z $s ]] || label="unsigned suite, $label"
		for jobs in 1 2; do
			suite=$s runbase=$shm row "encrypt-cli, $label" "AWS KMS (test KMS)" "$jobs" "$cli" -- "${kms[@]}"
		done
		if (( python )); then
			suite=$s runbase=$shm row "aws-encryption-cli, $label" "AWS KMS (test KMS)" - "$pycli" -- "${kms[@]}"
		fi
	done
	# With a cache of data keys (both CLIs' --caching), one KMS call serves
	# many files: what is left is each CLI's own cost per file.
	cache=(--caching capacity=100 max_age=600)
	label="unsigned suite, --caching, outputs on tmpfs"
	for jobs in 1 2; do
		suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY runbase=$shm row "encrypt-cli, $label" "AWS KMS (test KMS)" "$jobs" "$cli" -- "${kms[@]}" "${cache[@]}"
	done
	if (( python )); then
		suite=AES_256_GCM_HKDF_SHA512_COMMIT_KEY runbase=$shm row "aws-encryption-cli, $label" "AWS KMS (test KMS)" - "$pycli" -- "${kms[@]}" "${cache[@]}"
	fi
fi

# What durability costs: encrypt-cli fsyncs each output file and its
# directory before and after the rename. Go makes system calls directly
# (LD_PRELOAD tools such as eatmydata cannot turn fsync off), so strace
# sums the wall time spent in fsync during one encryption and one
# decryption of the tree (raw AES, --jobs 1).
if command -v strace >/dev/null; then
	printf '\n| encrypt-cli, raw AES, jobs 1, under strace | fsync calls | time in fsync | wall time | share |\n| --- | --- | --- | --- | --- |\n'
	for op in e d; do
		run=$tmp/strace
		rm -rf "$run"
		mkdir -p "$run/enc" "$run/dec"
		in=$tmp/tree out=$run/enc
		if [[ $op == d ]]; then
			"$cli" -e -r -i "$tmp/tree" -o "$run/enc" -S "${raw[@]}" --jobs 1
			in=$run/enc out=$run/dec
		fi
		s=$EPOCHREALTIME
		strace -f -w -c -e trace=fsync -o "$run/summary" "$cli" -$op -r -i "$in" -o "$out" -S "${raw[@]}" --jobs 1
		wall=$(calc %.3f "$EPOCHREALTIME - $s")
		read -r calls secs < <(awk '$NF == "fsync" { print $4, $2 }' "$run/summary")
		printf '| %s | %s | %s s | %s s | %s %% |\n' "$([[ $op == e ]] && echo encrypt || echo decrypt)" \
			"${calls:-0}" "${secs:-0}" "$wall" "$(calc %.0f "100 * ${secs:-0} / $wall")"
	done
else
	echo "(strace is not installed: the cost of fsync is not measured)"
fi
