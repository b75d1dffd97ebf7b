package encryptsdk_test

// FIPS 140-3 mode. These tests run in every mode and assert what the
// mode promises: with GODEBUG=fips140=only, encryption is refused before
// any output and messages of every suite decrypt through Go's approved
// AES-GCM; otherwise encryption works. scripts/test runs them with
// GODEBUG=fips140=only (go test -run FIPSOnly ./...).

import (
	"bytes"
	"context"
	"crypto/fips140"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/materials"
)

// countingKeyring counts the data keys asked of a keyring.
type countingKeyring struct {
	materials.Keyring
	encrypts atomic.Int32
}

func (k *countingKeyring) OnEncrypt(ctx context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	k.encrypts.Add(1)
	return k.Keyring.OnEncrypt(ctx, m)
}

// fipsCase is one message of the FIPS decryption test.
type fipsCase struct {
	suite    algorithms.ID
	frameLen int // 0: non-framed
	n        int // plaintext length
}

func (c fipsCase) file() string {
	return fmt.Sprintf("%04x-%d-%d.esdk", uint16(c.suite), c.frameLen, c.n)
}

func fipsCases() []fipsCase {
	var cs []fipsCase
	for _, s := range algorithms.All() {
		cs = append(cs, fipsCase{s.ID(), 0, 1000})
		for _, n := range []int{0, 3 * 128, 1000} {
			cs = append(cs, fipsCase{s.ID(), 128, n})
		}
	}
	// Many frames, opened in parallel by the worker pool.
	cs = append(cs, fipsCase{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, 4096, 1<<20 + 17},
		fipsCase{algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, 4096, 1<<20 + 17})
	return cs
}

func fipsKeyring(t testing.TB) *encryptsdk.Client {
	return encryptsdk.New(mustAES(t, "fips", "key", testKey(32, 0x40)))
}

// fipsEncrypt writes the messages of fipsCases to dir.
func fipsEncrypt(t testing.TB, dir string) {
	for _, c := range fipsCases() {
		client := clientFor(mustAES(t, "fips", "key", testKey(32, 0x40)), suite(t, c.suite))
		opts := &encryptsdk.EncryptOptions{Suite: c.suite, FrameLength: int64(c.frameLen), NonFramed: c.frameLen == 0}
		ct, err := client.EncryptBytes(bg, plaintext(c.n, int64(c.n)), opts)
		if err != nil {
			t.Fatalf("%s: %v", c.file(), err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.file()), ct, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFIPSHelperProcess writes the messages of fipsCases to the directory
// named by ESDK_FIPS_FIXTURES when that is set; TestFIPSOnlyDecrypt runs
// it in a child process outside FIPS 140-only mode, where encryption
// works. Without the variable it does nothing.
func TestFIPSHelperProcess(t *testing.T) {
	dir := os.Getenv("ESDK_FIPS_FIXTURES")
	if dir == "" {
		return
	}
	if fips140.Enforced() {
		t.Fatal("the helper process must run outside FIPS 140-only mode")
	}
	fipsEncrypt(t, dir)
}

// TestFIPSOnlyEncryptRefused: in FIPS 140-only mode each encryption entry
// point fails with ErrFIPSEncrypt (wrapping ErrFIPSUnapproved and naming
// golang/go#73110) before asking for materials or writing anything.
// Outside it, the same calls encrypt.
func TestFIPSOnlyEncryptRefused(t *testing.T) {
	only := fips140.Enforced()
	kr := &countingKeyring{Keyring: mustAES(t, "fips", "key", testKey(32, 0x40))}
	client := encryptsdk.New(kr)
	check := func(what string, err error, wrote int) {
		t.Helper()
		if !only {
			if err != nil {
				t.Errorf("%s outside FIPS 140-only mode: %v", what, err)
			}
			return
		}
		if !errors.Is(err, encryptsdk.ErrFIPSEncrypt) || !errors.Is(err, encryptsdk.ErrFIPSUnapproved) {
			t.Errorf("%s: got %v, want ErrFIPSEncrypt", what, err)
		} else if !bytes.Contains([]byte(err.Error()), []byte("golang/go#73110")) {
			t.Errorf("%s: error %q does not cite golang/go#73110", what, err)
		}
		if wrote != 0 {
			t.Errorf("%s wrote %d bytes", what, wrote)
		}
	}
	var buf bytes.Buffer
	enc, err := client.Encrypt(bg, &buf, nil)
	if err == nil {
		_, err = enc.Write([]byte("x"))
		if cerr := enc.Close(); err == nil {
			err = cerr
		}
	}
	check("Encrypt", err, buf.Len())
	ct, err := client.EncryptBytes(bg, []byte("x"), nil)
	if only {
		check("EncryptBytes", err, len(ct))
	} else {
		check("EncryptBytes", err, 0)
	}
	dst := []byte("prefix")
	out, err := client.AppendEncrypt(bg, dst, []byte("x"), nil)
	if only {
		check("AppendEncrypt", err, len(out)-len(dst))
		if !bytes.Equal(out, dst) {
			t.Errorf("AppendEncrypt changed dst to %q", out)
		}
	} else {
		check("AppendEncrypt", err, 0)
	}
	if only && kr.encrypts.Load() != 0 {
		t.Errorf("the keyring was asked for %d data keys; encryption must be refused first", kr.encrypts.Load())
	}
}

// TestFIPSOnlyDecrypt: messages of every suite, framed (empty, exact
// frame multiple, final partial frame) and non-framed, decrypt one-shot,
// streaming and by random access; a changed header tag or frame tag is
// detected. In FIPS 140-only mode the messages come from a child process
// run with GODEBUG=fips140=on, and every AES-GCM opening goes through the
// approved cipher.NewGCMWithRandomNonce.
func TestFIPSOnlyDecrypt(t *testing.T) {
	dir := t.TempDir()
	if fips140.Enforced() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFIPSHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ESDK_FIPS_FIXTURES="+dir, "GODEBUG=fips140=on")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("helper process: %v\n%s", err, out)
		}
	} else {
		fipsEncrypt(t, dir)
	}
	client := fipsKeyring(t)
	client.CommitmentPolicy = encryptsdk.RequireEncryptAllowDecrypt
	for _, c := range fipsCases() {
		t.Run(c.file(), func(t *testing.T) {
			ct, err := os.ReadFile(filepath.Join(dir, c.file()))
			if err != nil {
				t.Fatal(err)
			}
			want := plaintext(c.n, int64(c.n))
			got, _, err := client.DecryptBytes(bg, ct, nil)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("DecryptBytes: %v (%d bytes, want %d)", err, len(got), len(want))
			}
			d, err := client.Decrypt(bg, bytes.NewReader(ct), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(d); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("Decrypt: %v (%d bytes, want %d)", err, len(got), len(want))
			}
			if c.frameLen == 0 {
				return
			}
			ra, err := client.OpenReaderAt(bg, bytes.NewReader(ct), int64(len(ct)), &encryptsdk.RandomAccessOptions{SkipSignatureVerification: true})
			if err != nil {
				t.Fatal(err)
			}
			if c.n > 200 {
				part := make([]byte, 150)
				if _, err := ra.ReadAt(part, 100); err != nil || !bytes.Equal(part, want[100:250]) {
					t.Fatalf("ReadAt: %v", err)
				}
			}
			l := messageLayout(t, client, ct)
			for _, tc := range []struct {
				what string
				at   int
				want error
			}{
				{"header tag", l.hdrLen + l.authLen - 1, encryptsdk.ErrHeaderAuthentication},
				{"first frame's tag", l.frames[0].end - 1, encryptsdk.ErrFrameAuthentication},
				{"final frame's tag", l.frames[len(l.frames)-1].end - 1, encryptsdk.ErrFrameAuthentication},
			} {
				bad := bytes.Clone(ct)
				bad[tc.at] ^= 1
				if _, _, err := client.DecryptBytes(bg, bad, nil); !errors.Is(err, tc.want) {
					t.Errorf("%s changed: got %v, want %v", tc.what, err, tc.want)
				}
			}
		})
	}
}
