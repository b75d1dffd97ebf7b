//! `bench`: one-shot encrypt and decrypt with the Rust SDK's raw AES
//! keyring, timed in this process, printed in the Go benchmark format
//! (`BenchmarkRust/Encrypt/0478/1KiB-2  N  ns/op  MB/s  B/op  allocs/op`)
//! so that bench/run.sh and its table tool read it beside the Go
//! benchmarks.
//!
//! The setup matches bench/sdks_test.go: the same AES-256 wrapping key,
//! key namespace and key name, 4096-byte frames, an empty encryption
//! context, and the commitment policy that allows the suite. Each timed
//! encrypt hands the SDK a fresh copy of the plaintext (its input is an
//! owned buffer); the copy is counted in the time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use aws_esdk::client as esdk_client;
use aws_esdk::material_providers::types::keyring::KeyringRef;
use aws_esdk::material_providers::types::{AesWrappingAlg, EsdkCommitmentPolicy};
use aws_smithy_types::Blob;

use crate::{committing, err, esdk, mpl, suite_of, Res};

/// Counts the allocations of the process, for B/op and allocs/op.
struct Counting;

/// Counting is on only for one untimed operation after the timed runs.
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

fn count(size: usize) {
    if COUNTING.load(Relaxed) {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(size as u64, Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size());
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        count(l.size());
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        count(new);
        System.realloc(p, l, new)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const WRAPPING_KEY: &[u8; 32] = b"0123456789abcdef0123456789abcdef";
const KEY_NAMESPACE: &str = "bench-namespace";
const KEY_NAME: &str = "bench-key";
const FRAME: i64 = 4096;

fn size_of(name: &str) -> Res<usize> {
    let (num, unit) = name.split_at(name.find(|c: char| !c.is_ascii_digit()).unwrap_or(name.len()));
    let n: usize = num.parse().map_err(|_| format!("bad size {name:?}"))?;
    match unit {
        "KiB" => Ok(n << 10),
        "MiB" => Ok(n << 20),
        "" | "B" => Ok(n),
        _ => Err(format!("bad size {name:?}")),
    }
}

enum BenchTime {
    Duration(Duration),
    Count(u64),
}

fn bench_time(s: &str) -> Res<BenchTime> {
    if let Some(n) = s.strip_suffix('x') {
        return n.parse().map(BenchTime::Count).map_err(|_| format!("bad benchtime {s:?}"));
    }
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse().map(|v| BenchTime::Duration(Duration::from_millis(v))).map_err(|_| format!("bad benchtime {s:?}"));
    }
    if let Some(sec) = s.strip_suffix('s') {
        return sec.parse::<f64>().map(|v| BenchTime::Duration(Duration::from_secs_f64(v))).map_err(|_| format!("bad benchtime {s:?}"));
    }
    Err(format!("bad benchtime {s:?}"))
}

/// Random-looking bytes (xorshift); their content does not matter to the
/// timing, only that they do not compress or repeat in short cycles.
fn plaintext(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(n);
    v
}

struct Sdk {
    client: esdk_client::Client,
    keyring: KeyringRef,
    suite: aws_esdk::material_providers::types::EsdkAlgorithmSuiteId,
}

impl Sdk {
    async fn encrypt(&self, pt: &[u8]) -> Res<Vec<u8>> {
        let out = self
            .client
            .encrypt()
            .plaintext(Blob::new(pt))
            .keyring(self.keyring.clone())
            .algorithm_suite_id(self.suite.clone())
            .frame_length(FRAME)
            .send()
            .await
            .map_err(err)?;
        Ok(out.ciphertext.ok_or("no ciphertext")?.into_inner())
    }

    async fn decrypt(&self, ct: &[u8]) -> Res<Vec<u8>> {
        let out = self
            .client
            .decrypt()
            .ciphertext(Blob::new(ct))
            .keyring(self.keyring.clone())
            .send()
            .await
            .map_err(err)?;
        Ok(out.plaintext.ok_or("no plaintext")?.into_inner())
    }
}

/// Runs the benchmarks named by the flags --suites, --sizes, --ops and
/// --benchtime (defaults: 0478,0578; 1KiB,64KiB,1MiB,64MiB;
/// Encrypt,Decrypt; 1s) and prints one line each.
pub fn run(rt: &tokio::runtime::Runtime, f: &HashMap<String, String>) -> Res<()> {
    for k in f.keys() {
        if !["suites", "sizes", "ops", "benchtime"].contains(&k.as_str()) {
            return Err(format!("unknown flag --{k}"));
        }
    }
    let get = |k: &str, d: &str| f.get(k).cloned().unwrap_or_else(|| d.to_string());
    let suites = get("suites", "0478,0578");
    let sizes = get("sizes", "1KiB,64KiB,1MiB,64MiB");
    let ops = get("ops", "Encrypt,Decrypt");
    let bt = bench_time(&get("benchtime", "1s"))?;
    let procs = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);

    let mpl = mpl()?;
    let keyring = rt
        .block_on(
            mpl.create_raw_aes_keyring()
                .key_namespace(KEY_NAMESPACE)
                .key_name(KEY_NAME)
                .wrapping_key(WRAPPING_KEY.to_vec())
                .wrapping_alg(AesWrappingAlg::AlgAes256GcmIv12Tag16)
                .send(),
        )
        .map_err(err)?;
    let max = sizes.split(',').map(size_of).collect::<Res<Vec<_>>>()?.into_iter().max().unwrap_or(0);
    let big = plaintext(max);

    for op in ops.split(',') {
        if op != "Encrypt" && op != "Decrypt" {
            return Err(format!("unknown op {op:?}"));
        }
        for s in suites.split(',') {
            let suite = suite_of(s)?;
            let policy = if committing(&suite) {
                EsdkCommitmentPolicy::RequireEncryptRequireDecrypt
            } else {
                EsdkCommitmentPolicy::ForbidEncryptAllowDecrypt
            };
            let sdk = Sdk { client: esdk(policy)?, keyring: keyring.clone(), suite };
            for size in sizes.split(',') {
                let n = size_of(size)?;
                let pt = &big[..n];
                let ct = rt.block_on(sdk.encrypt(pt))?;
                // One operation: the result is checked here, outside the timing.
                let once = || -> Res<()> {
                    if op == "Encrypt" {
                        rt.block_on(sdk.encrypt(pt)).map(drop)
                    } else {
                        let got = rt.block_on(sdk.decrypt(&ct))?;
                        if got.len() != n {
                            return Err(format!("decrypted {} bytes, want {n}", got.len()));
                        }
                        Ok(())
                    }
                };
                if op == "Decrypt" && rt.block_on(sdk.decrypt(&ct))? != pt {
                    return Err(format!("{s} {size}: the plaintext does not round-trip"));
                }
                let timed = |iters: u64| -> Res<Duration> {
                    let t = Instant::now();
                    for _ in 0..iters {
                        once()?;
                    }
                    Ok(t.elapsed())
                };
                // As `go test -bench`: one run of one iteration, then runs
                // of a predicted count until the run takes the bench time
                // (or the fixed count of "Nx").
                let mut iters = 1u64;
                let mut r = timed(1)?;
                match bt {
                    BenchTime::Count(c) => {
                        iters = c.max(1);
                        r = timed(iters)?;
                    }
                    BenchTime::Duration(d) => {
                        while r < d && iters < 1_000_000_000 {
                            let per = r.as_nanos().max(1) as f64 / iters as f64;
                            let want = (d.as_nanos() as f64 * 1.2 / per) as u64;
                            iters = want.min(iters * 100).max(iters + 1);
                            r = timed(iters)?;
                        }
                    }
                }
                let ns = r.as_nanos() as f64 / iters as f64;
                let mbs = n as f64 * iters as f64 / r.as_secs_f64() / 1e6;
                // Allocations of one more operation, untimed.
                let (a0, b0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
                COUNTING.store(true, Relaxed);
                let counted = once();
                COUNTING.store(false, Relaxed);
                counted?;
                let (allocs, bytes) = (ALLOCS.load(Relaxed) - a0, BYTES.load(Relaxed) - b0);
                println!(
                    "BenchmarkRust/{op}/{}/{size}-{procs}\t{iters}\t{ns:.0} ns/op\t{mbs:.2} MB/s\t{bytes} B/op\t{allocs} allocs/op",
                    s.trim_start_matches("0x"),
                );
            }
        }
    }
    Ok(())
}
