// Command peakrss encrypts and decrypts one message of a given size with
// one SDK and prints the peak resident set size of the process (VmHWM from
// /proc/self/status), to compare the memory our streaming API needs with
// that of one-shot APIs. Run each mode in its own process:
//
//	peakrss -mode ours-stream -size 256
//	peakrss -mode ours-oneshot -size 256
//	peakrss -mode official-oneshot -size 256
//
// ours-stream pipes a generated plaintext through Encrypt into Decrypt
// (io.Pipe, 64 KiB writes) and never holds the message; the one-shot modes
// hold the plaintext, the message and the decrypted plaintext, as their APIs
// require. Every mode checks that the SHA-256 of the decrypted plaintext
// equals that of the plaintext.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	mpl "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygenerated"
	mpltypes "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygeneratedtypes"
	esdk "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygenerated"
	esdktypes "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygeneratedtypes"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
)

var (
	wrappingKey  = []byte("0123456789abcdef0123456789abcdef")
	keyNamespace = "bench-namespace"
	keyName      = "bench-key"
)

const frameLength = 4096

func main() {
	mode := flag.String("mode", "ours-stream", "ours-stream, ours-oneshot or official-oneshot")
	sizeMiB := flag.Int64("size", 256, "plaintext size in MiB")
	suiteName := flag.String("suite", "0578", "algorithm suite: 0478 or 0578")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("peakrss: ")

	size := *sizeMiB << 20
	var ours algorithms.ID
	var theirs mpltypes.ESDKAlgorithmSuiteId
	switch *suiteName {
	case "0478":
		ours, theirs = algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY, mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKey
	case "0578":
		ours, theirs = algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKeyEcdsaP384
	default:
		log.Fatalf("unknown suite %q", *suiteName)
	}

	start := time.Now()
	var err error
	switch *mode {
	case "ours-stream":
		err = oursStream(size, ours)
	case "ours-oneshot":
		err = oursOneShot(size, ours)
	case "official-oneshot":
		err = officialOneShot(size, theirs)
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
	if err != nil {
		log.Fatalf("%s: %v", *mode, err)
	}
	elapsed := time.Since(start)
	fmt.Printf("peakrss mode=%s suite=%s size=%dMiB elapsed=%.2fs VmHWM=%s\n",
		*mode, *suiteName, *sizeMiB, elapsed.Seconds(), vmHWM())
}

// source is a deterministic plaintext stream.
func source(size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{1}), size)
}

func plaintext(size int64) []byte {
	b := make([]byte, size)
	io.ReadFull(source(size), b)
	return b
}

func oursClient() *encryptsdk.Client {
	kr, err := keyring.NewRawAES(keyNamespace, keyName, wrappingKey)
	if err != nil {
		log.Fatal(err)
	}
	return encryptsdk.New(kr)
}

func oursStream(size int64, suite algorithms.ID) error {
	ctx := context.Background()
	c := oursClient()
	pr, pw := io.Pipe()
	want := sha256.New()
	go func() {
		e, err := c.Encrypt(ctx, pw, &encryptsdk.EncryptOptions{Suite: suite, FrameLength: frameLength})
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		buf := make([]byte, 64<<10)
		if _, err := io.CopyBuffer(e, io.TeeReader(source(size), want), buf); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(e.Close())
	}()
	d, err := c.Decrypt(ctx, pr, nil)
	if err != nil {
		return err
	}
	got := sha256.New()
	n, err := io.Copy(got, d)
	if err != nil {
		return err
	}
	if n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		return fmt.Errorf("decrypted %d bytes that differ from the %d-byte plaintext", n, size)
	}
	return nil
}

func oursOneShot(size int64, suite algorithms.ID) error {
	ctx := context.Background()
	c := oursClient()
	pt := plaintext(size)
	ct, err := c.EncryptBytes(ctx, pt, &encryptsdk.EncryptOptions{Suite: suite, FrameLength: frameLength})
	if err != nil {
		return err
	}
	got, _, err := c.DecryptBytes(ctx, ct, nil)
	if err != nil {
		return err
	}
	if sha256.Sum256(got) != sha256.Sum256(pt) {
		return fmt.Errorf("decrypted plaintext differs")
	}
	return nil
}

func officialOneShot(size int64, suite mpltypes.ESDKAlgorithmSuiteId) error {
	ctx := context.Background()
	mp, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	if err != nil {
		return err
	}
	kr, err := mp.CreateRawAesKeyring(ctx, mpltypes.CreateRawAesKeyringInput{
		KeyName: keyName, KeyNamespace: keyNamespace,
		WrappingAlg: mpltypes.AesWrappingAlgAlgAes256GcmIv12Tag16, WrappingKey: wrappingKey,
	})
	if err != nil {
		return err
	}
	c, err := esdk.NewClient(esdktypes.AwsEncryptionSdkConfig{})
	if err != nil {
		return err
	}
	pt := plaintext(size)
	fl := int64(frameLength)
	enc, err := c.Encrypt(ctx, esdktypes.EncryptInput{Plaintext: pt, AlgorithmSuiteId: &suite, FrameLength: &fl, Keyring: kr})
	if err != nil {
		return err
	}
	dec, err := c.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: enc.Ciphertext, Keyring: kr})
	if err != nil {
		return err
	}
	if sha256.Sum256(dec.Plaintext) != sha256.Sum256(pt) {
		return fmt.Errorf("decrypted plaintext differs")
	}
	return nil
}

// vmHWM returns the process's peak resident set size as /proc reports it.
func vmHWM() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			return strings.Join(strings.Fields(v), "")
		}
	}
	return "unknown"
}
