package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Peer is an official SDK driven through its driver (../README.md).
type Peer struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Cmd     []string `json:"cmd"` // the driver; "batch JOBS RESULTS" is appended
}

// Job is one operation of a driver batch.
type Job struct {
	Op    string            `json:"op"`
	Keys  []KeySpec         `json:"keys"`
	Suite string            `json:"suite,omitempty"`
	Frame *int64            `json:"frame,omitempty"`
	EC    map[string]string `json:"ec,omitempty"`
	In    string            `json:"in"`
	Out   string            `json:"out"`
	// RequiredKeys (encrypt) selects the required-encryption-context CMM:
	// these pairs are authenticated but not stored in the message.
	RequiredKeys []string `json:"required-keys,omitempty"`
	// Reproduced (decrypt) is the encryption context the reader supplies.
	Reproduced map[string]string `json:"reproduced-ec,omitempty"`
	// Action (op "keystore") is create-key or version-key for the branch
	// key of the first key (an aws-kms-hierarchy spec); EC is the custom
	// encryption context of create-key.
	Action string `json:"action,omitempty"`
}

// Result is a driver's answer to one Job: the message's suite, frame length
// (0 = non-framed) and encryption context as the peer saw them. Frame is
// nil when the peer's SDK does not report it (Rust); the header, which this
// library parses, is checked all the same.
type Result struct {
	OK    bool              `json:"ok"`
	Error string            `json:"error"`
	Suite string            `json:"suite"`
	Frame *int64            `json:"frame"`
	EC    map[string]string `json:"ec"`
}

// frameDiffers says whether the peer reported a frame length other than f.
func (r Result) frameDiffers(f int64) bool { return r.Frame != nil && *r.Frame != f }

// frameText is the reported frame length for messages.
func (r Result) frameText() string {
	if r.Frame == nil {
		return "(not reported)"
	}
	return fmt.Sprint(*r.Frame)
}

// runBatch runs jobs in one process of the peer and returns one result per
// job, in order.
func (p *Peer) runBatch(ctx context.Context, dir string, jobs []Job) ([]Result, time.Duration, error) {
	jobsPath := filepath.Join(dir, "jobs.json")
	resultsPath := filepath.Join(dir, "results.json")
	b, err := json.MarshalIndent(jobs, "", " ")
	if err != nil {
		return nil, 0, err
	}
	if err := os.WriteFile(jobsPath, b, 0o644); err != nil {
		return nil, 0, err
	}
	args := append(append([]string{}, p.Cmd[1:]...), "batch", jobsPath, resultsPath)
	cmd := exec.CommandContext(ctx, p.Cmd[0], args...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	os.WriteFile(filepath.Join(dir, "driver.log"), stderr.Bytes(), 0o644)
	if err != nil {
		return nil, took, fmt.Errorf("%s driver: %v\n%s", p.Name, err, tail(stderr.String(), 2000))
	}
	rb, err := os.ReadFile(resultsPath)
	if err != nil {
		return nil, took, err
	}
	var results []Result
	if err := json.Unmarshal(rb, &results); err != nil {
		return nil, took, fmt.Errorf("%s driver: results: %v", p.Name, err)
	}
	if len(results) != len(jobs) {
		return nil, took, fmt.Errorf("%s driver: %d results for %d jobs", p.Name, len(results), len(jobs))
	}
	return results, took, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// na is something a peer cannot do. Each frame-length entry is verified on
// every run: the peer is asked to do it once (with probeFrame) and must
// refuse. A feature entry names something the peer has no API for.
type na struct {
	what       string // shown in the report
	reason     string
	cannotOK   func(frame int64) bool // the frame lengths the peer cannot write
	probeFrame int64
	feature    string // "required-ec": no required encryption context; "kms-rsa": no KMS RSA keyring
}

// notApplicable lists, per peer, what it cannot do, found by trying (each
// entry is probed again on every run). Everything else, all 11 suites, the
// three AES key sizes, the five RSA paddings, frame lengths and non-framed
// bodies, works in both directions.
var notApplicable = map[string][]na{
	"python": {{
		what:       "writing frame lengths that are not a multiple of 128 (here: 1, 1000)",
		reason:     "aws-encryption-sdk's validate_frame_length wants a multiple of the AES block size and counts it in bits (128); it reads any frame length",
		cannotOK:   func(f int64) bool { return f%128 != 0 },
		probeFrame: 1,
	}},
	"js": {{
		what:       "writing non-framed messages",
		reason:     "@aws-crypto/encrypt-node requires frameLength > 0 and never writes a non-framed body; it reads them",
		cannotOK:   func(f int64) bool { return f == 0 },
		probeFrame: 0,
	}, {
		what:     "required encryption context (both ways)",
		reason:   "@aws-crypto/client-node 5.0.2 has no required-encryption-context CMM and takes no reproduced encryption context on decrypt",
		cannotOK: func(int64) bool { return false },
		feature:  "required-ec",
	}, {
		what:     "AWS KMS RSA keyring (both ways)",
		reason:   "@aws-crypto/client-node 5.0.2 has no KMS RSA keyring (provider ID aws-kms-rsa)",
		cannotOK: func(int64) bool { return false },
		feature:  "kms-rsa",
	}},
	"rust": {{
		what:       "writing non-framed messages",
		reason:     "aws-esdk 1.2.4 takes a frame length of 1 to 2^32-1 and always writes framed bodies; it reads non-framed ones",
		cannotOK:   func(f int64) bool { return f == 0 },
		probeFrame: 0,
	}},
}

// lacks says whether the peer lacks a feature.
func (p *Peer) lacks(feature string) bool {
	for _, n := range notApplicable[p.Name] {
		if n.feature == feature {
			return true
		}
	}
	return false
}

// canWrite says whether the peer can write messages with frame length f
// (0 = non-framed).
func (p *Peer) canWrite(f int64) bool {
	for _, n := range notApplicable[p.Name] {
		if n.cannotOK(f) {
			return false
		}
	}
	return true
}

func (p *Peer) writeFrames() []int64 {
	var out []int64
	for _, f := range frameOpts {
		if p.canWrite(f) {
			out = append(out, f)
		}
	}
	return out
}
