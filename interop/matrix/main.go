// Command matrix runs live interop between this library and the official
// AWS Encryption SDKs for Python, Java, JavaScript and Rust, both ways: each peer
// encrypts for this library and decrypts what it wrote, over every suite,
// the raw AES and RSA keyrings, multi-keyrings, frame lengths, plaintext
// sizes and encryption contexts (chosen pairwise), tampered messages,
// the manifest of `esdk-vectors generate`, and the AWS KMS keyring against
// an in-process local KMS, and the raw ECDH keyring (every curve and
// schema, with the generated ECDH vectors) where the peer has one. Each
// peer runs all its jobs in one process.
//
// Usage (interop/run installs the peers and writes the peers file):
//
//	go run ./matrix -peers PEERS.json [-only js,python] [-work DIR] [-keep] [-v] [-seed N] [-timeout 15m]
//
// PEERS.json is a list of {"name", "version", "cmd": [driver command...]}.
// The last line of the output is "N passed, N failed"; the exit status is
// non-zero on any failure.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-esdk/esdk/kmstest"
)

func main() {
	peersFile := flag.String("peers", "", "JSON file listing the peers and their driver commands")
	only := flag.String("only", "", "comma-separated peer names to run (default: all in the peers file)")
	workDir := flag.String("work", "", "working directory (default: a new temporary directory)")
	keep := flag.Bool("keep", false, "keep the working directory (it is always kept when a case fails)")
	verbose := flag.Bool("v", false, "list every case, not only the failures")
	seed := flag.Int64("seed", 1, "seed of the pairwise case selection")
	timeout := flag.Duration("timeout", 15*time.Minute, "limit for each peer's driver process")
	flag.Parse()
	peerTimeout = *timeout
	if *peersFile == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*peersFile, *only, *workDir, *keep, *verbose, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "matrix:", err)
		fmt.Println("0 passed, 1 failed")
		os.Exit(1)
	}
}

var peerTimeout = 15 * time.Minute

func run(peersFile, only, workDir string, keep, verbose bool, seed int64) error {
	start := time.Now()
	var peers []*Peer
	if err := readJSON(peersFile, &peers); err != nil {
		return fmt.Errorf("peers file: %w", err)
	}
	if only != "" {
		want := strings.Split(only, ",")
		peers = slices.DeleteFunc(peers, func(p *Peer) bool { return !slices.Contains(want, p.Name) })
	}
	if len(peers) == 0 {
		return fmt.Errorf("no peers to run")
	}
	if workDir == "" {
		d, err := os.MkdirTemp("", "esdk-interop-")
		if err != nil {
			return err
		}
		workDir = d
	} else if err := os.MkdirAll(workDir, 0o755); err != nil {
		return err
	}

	e := &env{work: workDir, kmsKeys: map[string]string{}, plaintexts: map[int]string{}, seed: seed}
	var err error
	if e.keys, err = newKeys(); err != nil {
		return err
	}
	for _, n := range append(slices.Clone(sizeOpts), tamperSize) {
		p := filepath.Join(workDir, fmt.Sprintf("plaintext-%d", n))
		if err := randomFile(p, n); err != nil {
			return err
		}
		e.plaintexts[n] = p
	}
	if e.manifest, err = generateManifest(filepath.Join(workDir, "generated-vectors")); err != nil {
		return fmt.Errorf("esdk-vectors generate: %w", err)
	}
	if e.ecdhManifest, err = loadECDHManifest(filepath.Join(workDir, "generated-vectors")); err != nil {
		return fmt.Errorf("esdk-vectors generate (raw ECDH): %w", err)
	}
	if e.ecdh, err = newECDHParties(); err != nil {
		return err
	}
	if e.kms, err = kmstest.NewServer(kmsRegion, ""); err != nil {
		return fmt.Errorf("local KMS: %w", err)
	}
	defer e.kms.Close()
	defer hier.close()
	for _, p := range peers {
		if err := e.addKMSKey(p.Name); err != nil {
			return err
		}
	}
	fmt.Printf("work directory %s; local KMS %s; %d generated vectors (+%d raw ECDH); setup %.1fs\n",
		workDir, e.kms.URL, len(e.manifest.tests), len(e.ecdhManifest), time.Since(start).Seconds())

	var (
		mu     sync.Mutex
		checks []check
		nas    []naResult
		errs   []string
		wg     sync.WaitGroup
	)
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cs, n, err := runPeer(e, p, seed+int64(i)*1000)
			mu.Lock()
			defer mu.Unlock()
			checks = append(checks, cs...)
			nas = append(nas, n...)
			if err != nil {
				errs = append(errs, err.Error())
			}
		}()
	}
	wg.Wait()

	failed := report(os.Stdout, peers, checks, nas, errs, verbose)
	fmt.Printf("total time %.1fs\n", time.Since(start).Seconds())
	passed := 0
	for _, c := range checks {
		if c.pass {
			passed++
		}
	}
	if failed > 0 || len(errs) > 0 || keep {
		fmt.Printf("work directory kept: %s\n", workDir)
	} else {
		os.RemoveAll(workDir)
	}
	fmt.Printf("%d passed, %d failed\n", passed, failed+len(errs))
	if failed > 0 || len(errs) > 0 {
		os.Exit(1)
	}
	return nil
}

// runPeer prepares every job of one peer, runs them in one driver process,
// and checks the results.
func runPeer(e *env, p *Peer, seed int64) ([]check, []naResult, error) {
	pr := &peerRun{env: e, peer: p, dir: filepath.Join(e.work, p.Name)}
	if err := os.MkdirAll(pr.dir, 0o755); err != nil {
		return nil, nil, err
	}
	t0 := time.Now()
	keys := e.keys.options()
	suites := allSuites()
	var nas []naResult

	pr.peerEncrypts(combos(suites, keys, p.writeFrames(), seed))
	pr.goEncrypts(combos(suites, keys, frameOpts, seed+1))
	pr.peerEncrypts(pr.writable(edgeCases(e.keys)))
	pr.goEncrypts(edgeCases(e.keys))
	pr.peerRequired(keys)
	pr.goRequired(keys)
	pr.peerTamper(keys)
	pr.goTamper(keys)
	pr.manifestDecrypts()
	pr.kmsCases()
	pr.ecdhCases()
	pr.kmsRSACases()
	pr.kmsECDHCases()
	pr.hierarchyCases()
	pr.probeNA(keys, &nas)
	prep := time.Since(t0)

	arn := e.kmsKeys[p.Name]
	genBefore, decBefore := e.kms.Count("GenerateDataKey", arn), e.kms.Count("Decrypt", arn)
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	defer cancel()
	results, took, err := p.runBatch(ctx, pr.dir, pr.jobs)
	if err != nil {
		return pr.checks, nas, err
	}
	pr.kmsTraffic(genBefore, decBefore)
	t1 := time.Now()
	for i, r := range results {
		pr.evals[i](r)
	}
	fmt.Printf("%-7s %4d jobs in one process: %.1fs (go: prepare %.1fs, check %.1fs)\n",
		p.Name, len(pr.jobs), took.Seconds(), prep.Seconds(), time.Since(t1).Seconds())
	return pr.checks, nas, nil
}
