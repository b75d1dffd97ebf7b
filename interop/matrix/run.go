package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/kmstest"
	"github.com/go-esdk/esdk/materials"
)

// check is one verified case.
type check struct {
	peer   string
	dir    string // "python → go", "go → python", …
	group  string
	name   string
	pass   bool
	detail string
	// the dimension values a positive case covered (for the coverage table)
	combo *combo
}

// env is what all peers share in one run.
type env struct {
	work       string
	keys       *Keys
	kms        *kmstest.Server
	kmsKeys    map[string]string // peer name -> key ARN
	plaintexts map[int]string    // size -> file
	manifest   *genManifest
	seed       int64
	// raw ECDH: the key pairs of each curve, the generated ECDH vectors
	ecdh         []ecdhParties
	ecdhManifest []manifestTest
}

// peerRun collects the jobs of one peer and what to do with each result.
type peerRun struct {
	env   *env
	peer  *Peer
	dir   string
	jobs  []Job
	evals []func(Result)
	// Go-side work that needs no peer result (tampered peer messages are
	// checked in evals; this is for failures found while preparing).
	checks []check
	n      int
}

func (pr *peerRun) path(kind string) string {
	pr.n++
	return filepath.Join(pr.dir, fmt.Sprintf("%04d.%s", pr.n, kind))
}

func (pr *peerRun) toGo() string   { return pr.peer.Name + " → go" }
func (pr *peerRun) fromGo() string { return "go → " + pr.peer.Name }

func (pr *peerRun) add(c check) { pr.checks = append(pr.checks, c) }

func (pr *peerRun) job(j Job, eval func(Result)) {
	pr.jobs = append(pr.jobs, j)
	pr.evals = append(pr.evals, eval)
}

// --- this library's side -------------------------------------------------

func goClient(specs []KeySpec, kms *kmstest.Server, policy encryptsdk.CommitmentPolicy) (*encryptsdk.Client, error) {
	kr, err := goKeyring(specs, kms)
	if err != nil {
		return nil, err
	}
	c := encryptsdk.New(kr)
	c.CommitmentPolicy = policy
	return c, nil
}

// goEncrypt encrypts pt; streaming selects the io.WriteCloser path with
// writes of odd sizes instead of the one-shot helper.
func goEncrypt(specs []KeySpec, kms *kmstest.Server, suite algorithms.ID, frame int64, ec map[string]string, pt []byte, streaming bool) ([]byte, error) {
	return goEncryptRequired(specs, kms, suite, frame, ec, nil, pt, streaming)
}

// goEncryptRequired is goEncrypt through a required-encryption-context
// manager when required is not empty.
func goEncryptRequired(specs []KeySpec, kms *kmstest.Server, suite algorithms.ID, frame int64, ec map[string]string, required []string, pt []byte, streaming bool) ([]byte, error) {
	s, err := algorithms.Lookup(suite)
	if err != nil {
		return nil, err
	}
	policy := encryptsdk.RequireEncryptRequireDecrypt
	if !s.Committing() {
		policy = encryptsdk.ForbidEncryptAllowDecrypt
	}
	c, err := goClient(specs, kms, policy)
	if err != nil {
		return nil, err
	}
	if len(required) > 0 {
		if c.Manager, err = materials.NewRequiredContextManager(c.Manager, required); err != nil {
			return nil, err
		}
	}
	opts := &encryptsdk.EncryptOptions{EncryptionContext: ec, Suite: suite, FrameLength: frame, NonFramed: frame == 0}
	if !streaming {
		return c.EncryptBytes(context.Background(), pt, opts)
	}
	// The streaming path also declares the plaintext length up front (as a
	// caller that knows it would), and its MessageLength must come true.
	opts.PlaintextLength = int64(len(pt))
	var buf bytes.Buffer
	w, err := c.Encrypt(context.Background(), &buf, opts)
	if err != nil {
		return nil, err
	}
	for rest := pt; len(rest) > 0; {
		n := min(len(rest), 1000+len(rest)%777)
		if _, err := w.Write(rest[:n]); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if frame > 0 {
		if want := w.MessageLength(int64(len(pt))); want != int64(buf.Len()) {
			return nil, fmt.Errorf("Encryptor.MessageLength said %d bytes, the message has %d", want, buf.Len())
		}
	}
	return buf.Bytes(), nil
}

type goResult struct {
	pt    []byte
	ec    map[string]string
	suite algorithms.ID
	frame int64 // 0 = non-framed
}

// goDecrypt decrypts msg one-shot and streaming; all must agree.
// reproduced is the encryption context the caller supplies (may be nil).
//
// The streaming decryptions read the message in chunks of changing sizes
// (from one byte up) and hand out the plaintext through small buffers, once
// with the default options and once with BufferUntilVerified (signed suites)
// or UnsignedOnly (unsigned suites).
func goDecrypt(specs []KeySpec, kms *kmstest.Server, msg []byte, reproduced map[string]string) (*goResult, error) {
	c, err := goClient(specs, kms, encryptsdk.RequireEncryptAllowDecrypt)
	if err != nil {
		return nil, err
	}
	opts := &encryptsdk.DecryptOptions{EncryptionContext: reproduced}
	pt, d, err := c.DecryptBytes(context.Background(), msg, opts)
	if err != nil {
		return nil, fmt.Errorf("one-shot: %w", err)
	}
	res := &goResult{pt: pt, ec: d.EncryptionContext(), suite: d.Suite().ID()}
	if d.Header().ContentType == format.Framed {
		res.frame = int64(d.Header().FrameLength)
	}
	other := &encryptsdk.DecryptOptions{EncryptionContext: reproduced, UnsignedOnly: true}
	name := "streaming (unsigned only)"
	if d.Suite().Curve() != nil {
		other = &encryptsdk.DecryptOptions{EncryptionContext: reproduced, BufferUntilVerified: true}
		name = "streaming (buffer until verified)"
	}
	for i, o := range []*encryptsdk.DecryptOptions{opts, other} {
		mode := "streaming"
		if i == 1 {
			mode = name
		}
		sd, err := c.Decrypt(context.Background(), &chunkReader{b: msg, n: i}, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mode, err)
		}
		spt, err := readSmall(sd, 333+i*4000)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mode, err)
		}
		if !bytes.Equal(spt, pt) || !maps.Equal(sd.EncryptionContext(), d.EncryptionContext()) {
			return nil, fmt.Errorf("%s and one-shot decryption differ", mode)
		}
	}
	return res, nil
}

// chunkReader returns b in reads of changing sizes: 1, 2, 3, ... 64, 4099,
// 65537, then again from 1 (starting further on with n).
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	sizes := [...]int{4099, 65537}
	r.n++
	k := r.n % 66
	size := k + 1
	if k >= 64 {
		size = sizes[k-64]
	}
	size = min(size, len(p), len(r.b))
	copy(p, r.b[:size])
	r.b = r.b[size:]
	return size, nil
}

// readSmall reads r to the end through a buffer of n bytes.
func readSmall(r io.Reader, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := r.Read(buf)
		out = append(out, buf[:k]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// goReject decrypts msg one-shot and streaming and says whether both failed.
func goReject(specs []KeySpec, kms *kmstest.Server, msg []byte, reproduced map[string]string) (bool, string) {
	c, err := goClient(specs, kms, encryptsdk.RequireEncryptAllowDecrypt)
	if err != nil {
		return false, err.Error()
	}
	opts := &encryptsdk.DecryptOptions{EncryptionContext: reproduced}
	_, _, err1 := c.DecryptBytes(context.Background(), msg, opts)
	var err2 error
	if sd, err := c.Decrypt(context.Background(), bytes.NewReader(msg), opts); err != nil {
		err2 = err
	} else {
		_, err2 = io.ReadAll(sd)
	}
	switch {
	case err1 == nil && err2 == nil:
		return false, "accepted by go (one-shot and streaming)"
	case err1 == nil:
		return false, "accepted by go one-shot; streaming: " + err2.Error()
	case err2 == nil:
		return false, "accepted by go streaming; one-shot: " + err1.Error()
	}
	return true, err1.Error()
}

// headerOf parses the message header (suite, frame length, stored EC).
func headerOf(msg []byte) (*format.Header, error) {
	h, _, err := format.NewBytesReader(msg, format.Limits{}).ReadHeader()
	return h, err
}

func frameOf(h *format.Header) int64 {
	if h.ContentType != format.Framed {
		return 0
	}
	return int64(h.FrameLength)
}

// stripReserved drops the aws-crypto-* pairs the SDKs add.
func stripReserved(ec map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range ec {
		if !strings.HasPrefix(k, "aws-crypto-") {
			out[k] = v
		}
	}
	return out
}

func ecDiff(got, want map[string]string) string {
	if maps.Equal(got, want) {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok {
			parts = append(parts, fmt.Sprintf("missing %q", k))
		} else if g != want[k] {
			parts = append(parts, fmt.Sprintf("%q=%q, want %q", k, g, want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			parts = append(parts, fmt.Sprintf("extra %q", k))
		}
	}
	return "encryption context differs: " + strings.Join(parts, ", ")
}

func (e *env) plaintext(size int) []byte {
	b, err := os.ReadFile(e.plaintexts[size])
	if err != nil {
		panic(err)
	}
	return b
}

func randomFile(path string, n int) error {
	b := make([]byte, n)
	rand.Read(b)
	return os.WriteFile(path, b, 0o644)
}
