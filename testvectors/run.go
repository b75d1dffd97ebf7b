package testvectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/materials"
)

// Status is the outcome of one test.
type Status int

// The outcomes of a test.
const (
	Passed Status = iota
	Failed
	Skipped
	// Refused: in FIPS 140-only mode (GODEBUG=fips140=only), the test
	// needs a keyring the library refuses there by design (errors
	// wrapping algorithms.ErrFIPSUnapproved), and no other keyring of
	// the test decrypted the message.
	Refused
)

// Outcome is the result of one test of a manifest.
type Outcome struct {
	Name   string
	Status Status
	// Reason says why a test failed or was skipped.
	Reason string
	// Unsupported names what a skipped test needs that the runner lacks:
	// a key description type (aws-kms-hierarchy, ...), a decryption
	// method or a scenario type. For a refused test it names what FIPS
	// 140-only mode refuses.
	Unsupported string
}

// RunOptions adjusts how a manifest is run.
type RunOptions struct {
	// NetV400Retry enables the decrypt retry for messages written by the
	// ESDK for .NET 4.0.0.
	NetV400Retry bool
}

// Run decrypts every test of the manifest. A positive test passes when the
// message decrypts, one-shot and streaming, to the expected plaintext; a
// negative test passes when decryption fails.
func (m *DecryptManifest) Run(ctx context.Context, opts RunOptions) []Outcome {
	names := make([]string, 0, len(m.Tests))
	for name := range m.Tests {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]Outcome, 0, len(names))
	for _, name := range names {
		o := m.runOne(ctx, m.Tests[name], opts)
		o.Name = name
		out = append(out, o)
	}
	return out
}

// testCase is a test in the form every manifest version reduces to.
type testCase struct {
	ciphertext string
	plaintext  string // empty for a negative test
	manager    materials.Manager
	client     encryptsdk.Client
	options    encryptsdk.DecryptOptions
	// refused is the error of a keyring of the test left out because FIPS
	// 140-only mode refuses it (nil if none).
	refused error
}

// refusal is the outcome of a test that needs what FIPS 140-only mode
// refuses (err wraps algorithms.ErrFIPSUnapproved); Unsupported names it.
func refusal(err error) Outcome {
	what := err.Error()
	if _, after, ok := strings.Cut(what, algorithms.ErrFIPSUnapproved.Error()+": "); ok {
		what = after
	}
	if i := strings.IndexAny(what, ":("); i > 0 {
		what = strings.TrimSpace(what[:i])
	}
	return Outcome{Status: Refused, Reason: err.Error(), Unsupported: what}
}

func (m *DecryptManifest) runOne(ctx context.Context, t DecryptTest, opts RunOptions) Outcome {
	tc, err := m.prepare(t)
	var u *unsupportedError
	if errors.As(err, &u) {
		return Outcome{Status: Skipped, Reason: err.Error(), Unsupported: u.name}
	}
	if errors.Is(err, algorithms.ErrFIPSUnapproved) {
		return refusal(err)
	}
	if err != nil {
		return Outcome{Status: Failed, Reason: "bad test: " + err.Error()}
	}
	tc.options.NetV400Retry = opts.NetV400Retry
	ct, err := os.ReadFile(m.resolve(tc.ciphertext))
	if err != nil {
		return Outcome{Status: Failed, Reason: err.Error()}
	}
	got, derr := decryptBoth(ctx, &tc.client, ct, &tc.options)
	var nokey *materials.NoDecryptableKeyError
	if errors.Is(derr, algorithms.ErrFIPSUnapproved) {
		return refusal(derr)
	}
	if tc.refused != nil && errors.As(derr, &nokey) {
		// A keyring of the test was refused, and the others could not
		// decrypt: the message needs the refused one.
		return refusal(tc.refused)
	}
	if tc.plaintext == "" {
		if derr == nil {
			return Outcome{Status: Failed, Reason: "negative test decrypted successfully"}
		}
		return Outcome{Status: Passed, Reason: derr.Error()}
	}
	if derr != nil {
		return Outcome{Status: Failed, Reason: derr.Error()}
	}
	want, err := os.ReadFile(m.resolve(tc.plaintext))
	if err != nil {
		return Outcome{Status: Failed, Reason: err.Error()}
	}
	if !bytes.Equal(got, want) {
		return Outcome{Status: Failed, Reason: fmt.Sprintf("plaintext differs: got %d bytes, want %d", len(got), len(want))}
	}
	return Outcome{Status: Passed}
}

// decryptBoth decrypts one-shot and streaming (with small reads) and checks
// that both ways agree.
func decryptBoth(ctx context.Context, c *encryptsdk.Client, ct []byte, opts *encryptsdk.DecryptOptions) ([]byte, error) {
	one, _, err1 := c.DecryptBytes(ctx, ct, opts)
	var streamed bytes.Buffer
	err2 := func() error {
		d, err := c.Decrypt(ctx, bytes.NewReader(ct), opts)
		if err != nil {
			return err
		}
		buf := make([]byte, 1000)
		for {
			n, err := d.Read(buf)
			streamed.Write(buf[:n])
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}()
	switch {
	case err1 != nil && err2 != nil:
		return nil, err1
	case err1 != nil || err2 != nil:
		return nil, fmt.Errorf("one-shot and streaming decryption disagree: one-shot: %v; streaming: %v", err1, err2)
	case !bytes.Equal(one, streamed.Bytes()):
		return nil, errors.New("one-shot and streaming plaintexts differ")
	}
	return one, nil
}

func (m *DecryptManifest) prepare(t DecryptTest) (*testCase, error) {
	tc := &testCase{}
	tc.client.CommitmentPolicy = algorithms.RequireEncryptAllowDecrypt
	var desc *KeyDescription
	if s := t.Scenario; s != nil {
		if s.Type != "positive-esdk" {
			return nil, unsupported("scenario type", s.Type)
		}
		tc.ciphertext, tc.plaintext, desc = s.Ciphertext, s.Result, s.Key
		tc.options.EncryptionContext = s.Reproduced
	} else {
		tc.ciphertext = t.Ciphertext
		switch {
		case t.Plaintext != "":
			tc.plaintext = t.Plaintext
		case t.Result != nil && t.Result.Output != nil:
			tc.plaintext = t.Result.Output.Plaintext
		case t.Result != nil && t.Result.Error != nil:
		default:
			return nil, errors.New("test has no expected result")
		}
		// A version 4 test's encryption context is the reproduced context; a
		// RequiredEncryptionContext CMM adds nothing a default manager with
		// that reproduced context does not check.
		tc.options.EncryptionContext = t.Context
		if t.Method == "streaming-unsigned-only" {
			tc.options.UnsignedOnly = true
		} else if t.Method != "" {
			return nil, unsupported("decryption method", t.Method)
		}
		if o := t.Options; o != nil {
			if o.CommitmentPolicy != "" {
				p, err := algorithms.ParseCommitmentPolicy(o.CommitmentPolicy)
				if err != nil {
					return nil, err
				}
				tc.client.CommitmentPolicy = p
			}
			tc.client.MaxEncryptedDataKeys = o.MaxEncryptedDataKeys
			tc.options.UnsignedOnly = tc.options.UnsignedOnly || o.UnsignedOnly
		}
	}
	var err error
	if desc != nil {
		tc.manager, err = m.manager(*desc, &tc.refused)
	} else {
		var kr materials.Keyring
		if kr, err = m.decryptKeyring(t.MasterKeys, &tc.refused); err == nil {
			tc.manager = materials.NewDefaultManager(kr)
		}
	}
	if err != nil {
		return nil, err
	}
	tc.client.Manager = tc.manager
	return tc, nil
}

// manager builds the materials manager of a version 5 key description.
func (m *DecryptManifest) manager(d KeyDescription, refused *error) (materials.Manager, error) {
	if d.Type == "required-encryption-context-cmm" {
		if d.Underlying == nil {
			return nil, errors.New("required-encryption-context-cmm without underlying")
		}
		under, err := m.manager(*d.Underlying, refused)
		if err != nil {
			return nil, err
		}
		return materials.NewRequiredContextManager(under, d.RequiredKeys)
	}
	kr, err := m.keyring(d, false, refused)
	if err != nil {
		return nil, err
	}
	if kr == nil {
		if *refused != nil {
			return nil, *refused
		}
		return nil, errors.New("the test's key cannot decrypt")
	}
	return materials.NewDefaultManager(kr), nil
}

// Summary counts outcomes; refused tests are counted by [Refusals].
func Summary(outcomes []Outcome) (passed, failed, skipped int) {
	for _, o := range outcomes {
		switch o.Status {
		case Passed:
			passed++
		case Failed:
			failed++
		case Skipped:
			skipped++
		}
	}
	return
}

// Refusals counts the outcomes of status Refused.
func Refusals(outcomes []Outcome) int {
	n := 0
	for _, o := range outcomes {
		if o.Status == Refused {
			n++
		}
	}
	return n
}
