package encryptsdk_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"testing"
	"testing/iotest"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// pairwise returns rows (one value index per dimension) such that every
// pair of values of every two dimensions appears in some row. It is a
// deterministic greedy construction.
func pairwise(dims []int) [][]int {
	type pair struct{ i, a, j, b int }
	uncovered := map[pair]bool{}
	for i := range dims {
		for j := i + 1; j < len(dims); j++ {
			for a := 0; a < dims[i]; a++ {
				for b := 0; b < dims[j]; b++ {
					uncovered[pair{i, a, j, b}] = true
				}
			}
		}
	}
	var rows [][]int
	for len(uncovered) > 0 {
		// Seed the row with the first uncovered pair, in a fixed order.
		var seed pair
	find:
		for i := range dims {
			for j := i + 1; j < len(dims); j++ {
				for a := 0; a < dims[i]; a++ {
					for b := 0; b < dims[j]; b++ {
						if uncovered[pair{i, a, j, b}] {
							seed = pair{i, a, j, b}
							break find
						}
					}
				}
			}
		}
		row := make([]int, len(dims))
		for k := range row {
			row[k] = -1
		}
		row[seed.i], row[seed.j] = seed.a, seed.b
		for k := range dims {
			if row[k] >= 0 {
				continue
			}
			best, bestGain := 0, -1
			for v := 0; v < dims[k]; v++ {
				gain := 0
				for o := range dims {
					if o == k || row[o] < 0 {
						continue
					}
					p := pair{o, row[o], k, v}
					if o > k {
						p = pair{k, v, o, row[o]}
					}
					if uncovered[p] {
						gain++
					}
				}
				if gain > bestGain {
					best, bestGain = v, gain
				}
			}
			row[k] = best
		}
		for i := range dims {
			for j := i + 1; j < len(dims); j++ {
				delete(uncovered, pair{i, row[i], j, row[j]})
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func TestPairwiseCoversAllPairs(t *testing.T) {
	dims := []int{11, 11, 5, 6, 3, 4, 3}
	rows := pairwise(dims)
	for i := range dims {
		for j := i + 1; j < len(dims); j++ {
			seen := map[[2]int]bool{}
			for _, r := range rows {
				seen[[2]int{r[i], r[j]}] = true
			}
			if len(seen) != dims[i]*dims[j] {
				t.Errorf("dimensions %d,%d: %d of %d pairs covered", i, j, len(seen), dims[i]*dims[j])
			}
		}
	}
	if len(rows) > 200 {
		t.Errorf("%d rows; the greedy construction should need far fewer", len(rows))
	}
}

// keyringKind is one way of wrapping the data key: enc encrypts, dec
// decrypts, and ns is the provider ID of the key dec is expected to use.
type keyringKind struct {
	name     string
	enc, dec materials.Keyring
	ns       string
	edks     int
}

func keyringKinds(t testing.TB) []keyringKind {
	var kinds []keyringKind
	for i, n := range []int{16, 24, 32} {
		kr := mustAES(t, "aes-ns", fmt.Sprintf("aes-%d", n*8), testKey(n, byte(i)))
		kinds = append(kinds, keyringKind{name: fmt.Sprintf("aes%d", n*8), enc: kr, dec: kr, ns: "aes-ns", edks: 1})
	}
	for _, p := range []keyring.Padding{keyring.PKCS1, keyring.OAEPSHA1, keyring.OAEPSHA256, keyring.OAEPSHA384, keyring.OAEPSHA512} {
		kr := mustRSA(t, "rsa-ns", "rsa-"+p.String(), p)
		kinds = append(kinds, keyringKind{name: "rsa-" + p.String(), enc: kr, dec: kr, ns: "rsa-ns", edks: 1})
	}
	gen := mustAES(t, "multi-aes-ns", "generator", testKey(32, 50))
	child := mustRSA(t, "multi-rsa-ns", "child", keyring.OAEPSHA256)
	multi := mustMulti(t, gen, child)
	kinds = append(kinds,
		keyringKind{name: "multi-dec-rsa", enc: multi, dec: child, ns: "multi-rsa-ns", edks: 2},
		keyringKind{name: "multi-dec-aes", enc: multi, dec: gen, ns: "multi-aes-ns", edks: 2},
		keyringKind{name: "multi-dec-multi", enc: multi, dec: multi, ns: "multi-aes-ns", edks: 2},
	)
	return kinds
}

var (
	rtFrames     = []int64{1, 128, 4096, 65536, 0} // 0: non-framed
	rtNonFramed  = []int{0, 1, 1000, 70000}
	writeNames   = []string{"one-write", "byte-writes", "random-writes"}
	readNames    = []string{"readall", "byte-reads", "random-reads", "copy"}
	sourceNames  = []string{"bytes", "one-byte-src", "data-err-src"}
	rtSizeLabels = []string{"0", "1", "f-1", "f", "f+1", "3f+7"}
)

func rtSize(frame int64, idx int) int {
	if frame == 0 {
		return rtNonFramed[idx%len(rtNonFramed)]
	}
	f := int(frame)
	return []int{0, 1, f - 1, f, f + 1, 3*f + 7}[idx]
}

// writePattern writes pt to w in the given pattern.
func writePattern(w io.Writer, pt []byte, pattern int, rng *rand.Rand, maxChunk int) error {
	switch pattern {
	case 0:
		n, err := w.Write(pt)
		if err == nil && n != len(pt) {
			err = fmt.Errorf("Write returned %d of %d without error", n, len(pt))
		}
		return err
	case 1:
		for i := range pt {
			if n, err := w.Write(pt[i : i+1]); err != nil || n != 1 {
				return fmt.Errorf("Write of byte %d: %d, %v", i, n, err)
			}
		}
		return nil
	default:
		for len(pt) > 0 {
			k := min(rng.Intn(maxChunk+1), len(pt)) // includes empty writes
			n, err := w.Write(pt[:k])
			if err != nil || n != k {
				return fmt.Errorf("Write of %d bytes: %d, %v", k, n, err)
			}
			pt = pt[k:]
		}
		return nil
	}
}

// readPattern reads d to the end in the given pattern and checks the
// io.Reader contract along the way.
func readPattern(d *encryptsdk.Decryptor, pattern int, rng *rand.Rand, maxChunk int) ([]byte, error) {
	readLoop := func(size func() int) ([]byte, error) {
		var out []byte
		empty := 0
		for {
			buf := make([]byte, size())
			n, err := d.Read(buf)
			if n < 0 || n > len(buf) {
				return out, fmt.Errorf("Read returned %d for a %d-byte buffer", n, len(buf))
			}
			out = append(out, buf[:n]...)
			if err == io.EOF {
				// io.EOF must stick.
				if n, err := d.Read(make([]byte, 8)); n != 0 || err != io.EOF {
					return out, fmt.Errorf("Read after io.EOF: %d, %v", n, err)
				}
				return out, nil
			}
			if err != nil {
				return out, err
			}
			if n == 0 {
				if empty++; empty > 100 {
					return out, errors.New("Read keeps returning 0, nil")
				}
			}
		}
	}
	switch pattern {
	case 0:
		return io.ReadAll(d)
	case 1:
		return readLoop(func() int { return 1 })
	case 2:
		return readLoop(func() int { return 1 + rng.Intn(maxChunk) })
	default:
		var buf bytes.Buffer
		n, err := io.Copy(&buf, d)
		if err == nil && n != int64(buf.Len()) {
			err = fmt.Errorf("io.Copy reported %d bytes, wrote %d", n, buf.Len())
		}
		return buf.Bytes(), err
	}
}

func sourcePattern(msg []byte, pattern int) io.Reader {
	switch pattern {
	case 0:
		return bytes.NewReader(msg)
	case 1:
		return iotest.OneByteReader(bytes.NewReader(msg))
	default:
		return iotest.DataErrReader(bytes.NewReader(msg))
	}
}

// TestRoundTrip covers every value of every dimension (suite, keyring,
// frame length, plaintext size, write, read and source pattern), combined
// pairwise.
func TestRoundTrip(t *testing.T) {
	suites := algorithms.All()
	kinds := keyringKinds(t)
	dims := []int{len(suites), len(kinds), len(rtFrames), len(rtSizeLabels), len(writeNames), len(readNames), len(sourceNames)}
	rows := pairwise(dims)
	t.Logf("%d round trips", len(rows))
	for i, r := range rows {
		s, kind, frame := suites[r[0]], kinds[r[1]], rtFrames[r[2]]
		size := rtSize(frame, r[3])
		wp, rp, sp := r[4], r[5], r[6]
		name := fmt.Sprintf("%s/%s/frame=%d/size=%d/%s/%s/%s", hexID(s.ID()), kind.name, frame, size, writeNames[wp], readNames[rp], sourceNames[sp])
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewSource(int64(i)))
			policy := policyFor(s, i%2 == 1)
			enc := &encryptsdk.Client{Manager: materials.NewDefaultManager(kind.enc), CommitmentPolicy: policy}
			dec := &encryptsdk.Client{Manager: materials.NewDefaultManager(kind.dec), CommitmentPolicy: policy}
			pt := plaintext(size, int64(i))
			ec := map[string]string{"row": fmt.Sprint(i), "kind": kind.name, "ünïcode": "välue"}

			var msg bytes.Buffer
			e, err := enc.Encrypt(bg, &msg, &encryptsdk.EncryptOptions{
				Suite: s.ID(), EncryptionContext: ec, FrameLength: frame, NonFramed: frame == 0,
			})
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			if e.Header().Suite.ID() != s.ID() || len(e.Header().EncryptedDataKeys) != kind.edks {
				t.Fatalf("Encryptor header: suite %v, %d EDKs", e.Header().Suite, len(e.Header().EncryptedDataKeys))
			}
			wantLen := e.MessageLength(int64(size))
			maxChunk := int(2*frame + 2)
			if frame == 0 {
				maxChunk = 5000
			}
			if err := writePattern(e, pt, wp, rng, maxChunk); err != nil {
				t.Fatal(err)
			}
			if err := e.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			ct := msg.Bytes()
			if int64(len(ct)) != wantLen {
				t.Errorf("message is %d bytes, MessageLength said %d", len(ct), wantLen)
			}

			d, err := dec.Decrypt(bg, sourcePattern(ct, sp), &encryptsdk.DecryptOptions{EncryptionContext: ec})
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			checkDecryptor(t, d, s, ec, kind.ns, frame)
			got, err := readPattern(d, rp, rng, maxChunk)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatalf("plaintext differs: got %d bytes, want %d", len(got), len(pt))
			}

			// The one-shot API agrees.
			got, d, err = dec.DecryptBytes(bg, ct, nil)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("DecryptBytes: %d bytes, %v", len(got), err)
			}
			checkDecryptor(t, d, s, ec, kind.ns, frame)
		})
	}
}

func checkDecryptor(t *testing.T, d *encryptsdk.Decryptor, s algorithms.Suite, ec map[string]string, ns string, frame int64) {
	t.Helper()
	h := d.Header()
	if h.Suite.ID() != s.ID() || d.Suite().ID() != s.ID() || int(h.Version) != s.MessageFormat() {
		t.Errorf("header suite %v version %d, Suite() %v; want %v", h.Suite, h.Version, d.Suite(), s)
	}
	switch {
	case frame == 0 && (h.ContentType != format.NonFramed || h.FrameLength != 0):
		t.Errorf("content type %d frame length %d, want non-framed", h.ContentType, h.FrameLength)
	case frame != 0 && (h.ContentType != format.Framed || int64(h.FrameLength) != frame):
		t.Errorf("content type %d frame length %d, want framed %d", h.ContentType, h.FrameLength, frame)
	}
	got := d.EncryptionContext()
	for k, v := range ec {
		if got[k] != v || h.EncryptionContext[k] != v {
			t.Errorf("encryption context[%q] = %q (header %q), want %q", k, got[k], h.EncryptionContext[k], v)
		}
	}
	pub, hasPub := got[algorithms.PublicKeyContextKey]
	if hasPub != s.Signed() || (hasPub && pub == "") {
		t.Errorf("signed suite %v: encryption context has %s = %q (%v)", s.Signed(), algorithms.PublicKeyContextKey, pub, hasPub)
	}
	wantLen := len(ec)
	if s.Signed() {
		wantLen++
	}
	if len(got) != wantLen {
		t.Errorf("encryption context has %d pairs, want %d: %v", len(got), wantLen, got)
	}
	if id := d.DataKey().ProviderID; id != ns {
		t.Errorf("DataKey().ProviderID = %q, want %q", id, ns)
	}
	// The returned context is a copy.
	got["row"] = "changed"
	if d.EncryptionContext()["row"] == "changed" {
		t.Error("EncryptionContext returns the Decryptor's own map")
	}
}

// TestMessageLength checks MessageLength against the real length of
// messages of many suites, frame lengths and sizes, including 0 and exact
// multiples of the frame length, framed and non-framed.
func TestMessageLength(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 3))
	ec := map[string]string{"a": "b"}
	for _, s := range algorithms.All() {
		t.Run(hexID(s.ID()), func(t *testing.T) {
			t.Parallel()
			c := clientFor(kr, s)
			check := func(opts *encryptsdk.EncryptOptions, size int) {
				t.Helper()
				pt := plaintext(size, int64(size))
				var buf bytes.Buffer
				e, err := c.Encrypt(bg, &buf, opts)
				if err != nil {
					t.Fatal(err)
				}
				before := e.MessageLength(int64(size))
				if _, err := e.Write(pt); err != nil {
					t.Fatal(err)
				}
				if err := e.Close(); err != nil {
					t.Fatal(err)
				}
				if after := e.MessageLength(int64(size)); before != int64(buf.Len()) || after != before {
					t.Errorf("frame %d non-framed %v size %d: MessageLength %d (after Close %d), message is %d bytes",
						opts.FrameLength, opts.NonFramed, size, before, after, buf.Len())
				}
				ct, err := c.EncryptBytes(bg, pt, opts)
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(ct)) != before {
					t.Errorf("frame %d non-framed %v size %d: EncryptBytes wrote %d bytes, MessageLength %d", opts.FrameLength, opts.NonFramed, size, len(ct), before)
				}
			}
			for _, f := range []int{1, 16, 100, 4096} {
				for _, n := range []int{0, 1, f - 1, f, f + 1, 2 * f, 3 * f, 3*f + 7} {
					check(&encryptsdk.EncryptOptions{Suite: s.ID(), FrameLength: int64(f), EncryptionContext: ec}, n)
				}
			}
			for _, n := range []int{0, 1, 16, 1000, 4096} {
				check(&encryptsdk.EncryptOptions{Suite: s.ID(), NonFramed: true, EncryptionContext: ec}, n)
			}
			// The default frame length is 4096.
			check(&encryptsdk.EncryptOptions{Suite: s.ID()}, 8192)
		})
	}
}

// TestMessageLengthIsConstantForSignedSuites: signatures are normalised to a
// fixed length, so the length of a signed message never varies.
func TestMessageLengthIsConstantForSignedSuites(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(16, 3))
	for _, id := range []algorithms.ID{algorithms.AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384} {
		s := suite(t, id)
		c := clientFor(kr, s)
		for i := 0; i < 24; i++ {
			ct, err := c.EncryptBytes(bg, []byte("x"), &encryptsdk.EncryptOptions{Suite: id})
			if err != nil {
				t.Fatal(err)
			}
			l := messageLayout(t, c, ct)
			if sigLen := int(ct[l.footer])<<8 | int(ct[l.footer+1]); sigLen != s.SignatureLen() || len(ct)-l.footer-2 != sigLen {
				t.Fatalf("%v: signature is %d bytes (field %d), want %d", id, len(ct)-l.footer-2, sigLen, s.SignatureLen())
			}
		}
	}
}

// TestDefaultSuites checks the suite used when none is requested.
func TestDefaultSuites(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 3))
	for _, tc := range []struct {
		policy encryptsdk.CommitmentPolicy
		want   algorithms.ID
	}{
		{encryptsdk.RequireEncryptRequireDecrypt, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384},
		{encryptsdk.RequireEncryptAllowDecrypt, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384},
		{encryptsdk.ForbidEncryptAllowDecrypt, algorithms.AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384},
	} {
		c := encryptsdk.New(kr)
		c.CommitmentPolicy = tc.policy
		var buf bytes.Buffer
		e, err := c.Encrypt(bg, &buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if e.Header().Suite.ID() != tc.want || e.Header().FrameLength != encryptsdk.DefaultFrameLength {
			t.Errorf("%v: suite %v frame %d, want %v and %d", tc.policy, e.Header().Suite.ID(), e.Header().FrameLength, tc.want, encryptsdk.DefaultFrameLength)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		got, _, err := c.DecryptBytes(bg, buf.Bytes(), nil)
		if err != nil || len(got) != 0 {
			t.Errorf("%v: empty message: %q, %v", tc.policy, got, err)
		}
	}
}
