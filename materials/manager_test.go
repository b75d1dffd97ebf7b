package materials_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/materials"
)

// fakeKeyring "wraps" a data key by storing it in the clear, and records
// the materials it saw. Hooks let a test break it.
type fakeKeyring struct {
	mu        sync.Mutex
	sawEnc    []materials.EncryptionMaterials
	sawDec    []materials.DecryptionMaterials
	encErr    error
	decErr    error
	tamperEnc func(*materials.EncryptionMaterials)
	tamperDec func(*materials.DecryptionMaterials)
}

const fakeProvider = "fake"

func (k *fakeKeyring) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	k.mu.Lock()
	k.sawEnc = append(k.sawEnc, m)
	k.mu.Unlock()
	if k.encErr != nil {
		return m, k.encErr
	}
	if m.PlaintextDataKey == nil {
		m.PlaintextDataKey = bytes.Repeat([]byte{7}, m.Suite.KeyLen())
	}
	m = m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: fakeProvider, ProviderInfo: []byte("k"), Ciphertext: bytes.Clone(m.PlaintextDataKey)})
	if k.tamperEnc != nil {
		k.tamperEnc(&m)
	}
	return m, nil
}

func (k *fakeKeyring) OnDecrypt(_ context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	k.mu.Lock()
	k.sawDec = append(k.sawDec, m)
	k.mu.Unlock()
	if k.decErr != nil {
		return m, k.decErr
	}
	for _, edk := range edks {
		if edk.ProviderID != fakeProvider {
			continue
		}
		out, err := m.WithPlaintextDataKey(bytes.Clone(edk.Ciphertext), edk)
		if err != nil {
			return m, err
		}
		if k.tamperDec != nil {
			k.tamperDec(&out)
		}
		return out, nil
	}
	return m, &materials.NoDecryptableKeyError{Reason: "fake keyring found nothing"}
}

var ctx = context.Background()

func suite(t testing.TB, id algorithms.ID) algorithms.Suite {
	t.Helper()
	s, err := algorithms.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDefaultManagerDefaultSuite(t *testing.T) {
	for _, c := range []struct {
		p    algorithms.CommitmentPolicy
		want algorithms.ID
	}{
		{algorithms.RequireEncryptRequireDecrypt, 0x0578},
		{algorithms.RequireEncryptAllowDecrypt, 0x0578},
		{algorithms.ForbidEncryptAllowDecrypt, 0x0378},
	} {
		kr := &fakeKeyring{}
		m, err := materials.NewDefaultManager(kr).GetEncryptionMaterials(ctx, materials.EncryptionRequest{CommitmentPolicy: c.p, PlaintextLength: -1})
		if err != nil {
			t.Fatalf("%v: %v", c.p, err)
		}
		if m.Suite.ID() != c.want {
			t.Errorf("%v: suite %v, want %v", c.p, m.Suite.ID(), c.want)
		}
	}
}

func TestDefaultManagerSuites(t *testing.T) {
	for _, s := range algorithms.All() {
		for _, p := range []algorithms.CommitmentPolicy{algorithms.RequireEncryptRequireDecrypt, algorithms.RequireEncryptAllowDecrypt, algorithms.ForbidEncryptAllowDecrypt} {
			kr := &fakeKeyring{}
			caller := EC{"purpose": "test", "\U0001F600": "x"}
			callerCopy := caller.Clone()
			m, err := materials.NewDefaultManager(kr).GetEncryptionMaterials(ctx, materials.EncryptionRequest{
				EncryptionContext: caller, CommitmentPolicy: p, Suite: s.ID(), PlaintextLength: 10,
			})
			if !p.AllowsEncrypt(s) {
				if !errors.Is(err, materials.ErrCommitmentPolicy) {
					t.Errorf("%v under %v: err = %v, want ErrCommitmentPolicy", s, p, err)
				}
				if len(kr.sawEnc) != 0 {
					t.Errorf("%v under %v: keyring was called", s, p)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%v under %v: %v", s, p, err)
			}
			if m.Suite.ID() != s.ID() || len(m.PlaintextDataKey) != s.KeyLen() || len(m.EncryptedDataKeys) != 1 {
				t.Fatalf("%v: bad materials %+v", s, m)
			}
			if !caller.Equal(callerCopy) {
				t.Errorf("%v: caller's context modified: %q", s, caller)
			}
			pubKey, has := m.EncryptionContext[algorithms.PublicKeyContextKey]
			if !s.Signed() {
				if has || m.SigningKey != nil {
					t.Errorf("%v: unsigned suite got a signing key or %s", s, algorithms.PublicKeyContextKey)
				}
				if !m.EncryptionContext.Equal(caller) {
					t.Errorf("%v: context %q, want %q", s, m.EncryptionContext, caller)
				}
				continue
			}
			if !has || m.SigningKey == nil {
				t.Fatalf("%v: signed suite without a signing key (%q)", s, m.EncryptionContext)
			}
			if m.SigningKey.Curve != s.Curve() {
				t.Errorf("%v: signing key on %s", s, m.SigningKey.Curve.Params().Name)
			}
			pub, err := s.DecodePublicKey(pubKey)
			if err != nil || !pub.Equal(&m.SigningKey.PublicKey) {
				t.Errorf("%v: %s does not hold the signing key's public key: %v", s, algorithms.PublicKeyContextKey, err)
			}
			if len(m.EncryptionContext) != len(caller)+1 {
				t.Errorf("%v: context %q", s, m.EncryptionContext)
			}
			// The keyring saw the public key: it is added before wrapping.
			if len(kr.sawEnc) != 1 || kr.sawEnc[0].EncryptionContext[algorithms.PublicKeyContextKey] != pubKey {
				t.Errorf("%v: keyring did not see %s", s, algorithms.PublicKeyContextKey)
			}
			// The materials do not share the caller's map.
			m.EncryptionContext["new"] = "x"
			if _, ok := caller["new"]; ok {
				t.Errorf("%v: materials share the caller's map", s)
			}
		}
	}
}

func TestDefaultManagerEncryptRejects(t *testing.T) {
	dm := func(kr *fakeKeyring) *materials.DefaultManager { return materials.NewDefaultManager(kr) }
	// Caller's context holds the public key entry.
	kr := &fakeKeyring{}
	_, err := dm(kr).GetEncryptionMaterials(ctx, materials.EncryptionRequest{
		EncryptionContext: EC{algorithms.PublicKeyContextKey: "AAAA"}, Suite: 0x0478,
	})
	if !errors.Is(err, materials.ErrReservedEncryptionContextKey) {
		t.Errorf("caller %s: %v", algorithms.PublicKeyContextKey, err)
	}
	if len(kr.sawEnc) != 0 {
		t.Error("keyring called despite the reserved key")
	}
	// Unknown suites.
	for _, id := range []algorithms.ID{0x0070, 0x6700, 0xffff} {
		if _, err := dm(&fakeKeyring{}).GetEncryptionMaterials(ctx, materials.EncryptionRequest{Suite: id}); err == nil {
			t.Errorf("suite 0x%04x accepted", uint16(id))
		}
	}
	// Keyring failures and broken materials.
	boom := errors.New("boom")
	for _, c := range []struct {
		name string
		kr   *fakeKeyring
		want error
	}{
		{"keyring error", &fakeKeyring{encErr: boom}, boom},
		{"no EDK", &fakeKeyring{tamperEnc: func(m *materials.EncryptionMaterials) { m.EncryptedDataKeys = nil }}, materials.ErrInvalidMaterials},
		{"short PDK", &fakeKeyring{tamperEnc: func(m *materials.EncryptionMaterials) { m.PlaintextDataKey = m.PlaintextDataKey[1:] }}, materials.ErrInvalidMaterials},
		{"no PDK", &fakeKeyring{tamperEnc: func(m *materials.EncryptionMaterials) { m.PlaintextDataKey = nil }}, materials.ErrInvalidMaterials},
		{"suite changed", &fakeKeyring{tamperEnc: func(m *materials.EncryptionMaterials) { m.Suite = suite(t, 0x0478) }}, materials.ErrInvalidMaterials},
		{"required key dropped from context", &fakeKeyring{tamperEnc: func(m *materials.EncryptionMaterials) {
			m.EncryptionContext = EC{}
			m.RequiredEncryptionContextKeys = []string{"r"}
		}}, materials.ErrInvalidMaterials},
	} {
		_, err := dm(c.kr).GetEncryptionMaterials(ctx, materials.EncryptionRequest{Suite: 0x0578, EncryptionContext: EC{"r": "1"}})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestDefaultManagerRequiredKeysPassThrough(t *testing.T) {
	kr := &fakeKeyring{}
	req := []string{"a"}
	m, err := materials.NewDefaultManager(kr).GetEncryptionMaterials(ctx, materials.EncryptionRequest{
		EncryptionContext: EC{"a": "1", "b": "2"}, Suite: 0x0478, RequiredEncryptionContextKeys: req,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.RequiredEncryptionContextKeys, []string{"a"}) {
		t.Errorf("required keys %q", m.RequiredEncryptionContextKeys)
	}
	m.RequiredEncryptionContextKeys[0] = "z"
	if req[0] != "a" {
		t.Error("materials share the request's required-key slice")
	}
	// Nil context becomes an empty map.
	m, err = materials.NewDefaultManager(&fakeKeyring{}).GetEncryptionMaterials(ctx, materials.EncryptionRequest{Suite: 0x0478})
	if err != nil || m.EncryptionContext == nil {
		t.Errorf("nil context: %#v, %v", m.EncryptionContext, err)
	}
}

// signedEC returns a header context with a fresh verification key for s.
func signedEC(t *testing.T, s algorithms.Suite) (EC, algorithms.Suite) {
	t.Helper()
	priv, err := s.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := algorithms.EncodePublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return EC{"a": "1", algorithms.PublicKeyContextKey: enc}, s
}

func fakeEDKs(n int) []materials.EncryptedDataKey {
	return []materials.EncryptedDataKey{
		{ProviderID: "other", ProviderInfo: []byte("x"), Ciphertext: []byte("y")},
		{ProviderID: fakeProvider, ProviderInfo: []byte("k"), Ciphertext: bytes.Repeat([]byte{9}, n)},
	}
}

func TestDefaultManagerDecrypt(t *testing.T) {
	for _, s := range algorithms.All() {
		ec := EC{"a": "1"}
		if s.Signed() {
			ec, _ = signedEC(t, s)
		}
		kr := &fakeKeyring{}
		m, err := materials.NewDefaultManager(kr).DecryptMaterials(ctx, materials.DecryptionRequest{
			Suite: s, CommitmentPolicy: algorithms.RequireEncryptAllowDecrypt, EncryptedDataKeys: fakeEDKs(s.KeyLen()), EncryptionContext: ec,
		})
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if !bytes.Equal(m.PlaintextDataKey, bytes.Repeat([]byte{9}, s.KeyLen())) || m.DataKey.ProviderID != fakeProvider {
			t.Errorf("%v: materials %+v", s, m)
		}
		if s.Signed() {
			want, _ := s.DecodePublicKey(ec[algorithms.PublicKeyContextKey])
			if m.VerificationKey == nil || !m.VerificationKey.Equal(want) {
				t.Errorf("%v: verification key %v", s, m.VerificationKey)
			}
			// The keyring already sees the verification key.
			if kr.sawDec[0].VerificationKey == nil {
				t.Errorf("%v: keyring got no verification key", s)
			}
		} else if m.VerificationKey != nil {
			t.Errorf("%v: unsigned suite got a verification key", s)
		}
		if len(m.RequiredEncryptionContextKeys) != 0 {
			t.Errorf("%v: required keys %q without a reproduced context", s, m.RequiredEncryptionContextKeys)
		}
	}
}

func TestDefaultManagerDecryptRejects(t *testing.T) {
	dm := materials.NewDefaultManager(&fakeKeyring{})
	s578 := suite(t, 0x0578)
	ec578, _ := signedEC(t, s578)
	s214 := suite(t, 0x0214)
	ec214, _ := signedEC(t, s214)
	bad := ec578.Clone()
	bad[algorithms.PublicKeyContextKey] = "AAAA"
	for _, c := range []struct {
		name   string
		suite  algorithms.Suite
		policy algorithms.CommitmentPolicy
		ec     EC
		want   error
	}{
		{"signed suite, no key", s578, 0, EC{"a": "1"}, materials.ErrInvalidMaterials},
		{"signed suite, empty context", s578, 0, nil, materials.ErrInvalidMaterials},
		{"unsigned suite with key (half-signed)", suite(t, 0x0478), 0, ec578, materials.ErrInvalidMaterials},
		{"unsigned v1 suite with key", suite(t, 0x0178), algorithms.ForbidEncryptAllowDecrypt, ec214, materials.ErrInvalidMaterials},
		{"bad key", s578, 0, bad, materials.ErrInvalidMaterials},
		{"P-384 key for a P-256 suite", s214, algorithms.ForbidEncryptAllowDecrypt, ec578, materials.ErrInvalidMaterials},
		{"non-committing under RequireRequire", s214, algorithms.RequireEncryptRequireDecrypt, ec214, materials.ErrCommitmentPolicy},
		{"non-committing unsigned under RequireRequire", suite(t, 0x0014), algorithms.RequireEncryptRequireDecrypt, EC{}, materials.ErrCommitmentPolicy},
	} {
		_, err := dm.DecryptMaterials(ctx, materials.DecryptionRequest{Suite: c.suite, CommitmentPolicy: c.policy, EncryptedDataKeys: fakeEDKs(c.suite.KeyLen()), EncryptionContext: c.ec})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Keyring problems.
	boom := errors.New("boom")
	for _, c := range []struct {
		name string
		kr   *fakeKeyring
		edks []materials.EncryptedDataKey
		want error
	}{
		{"keyring error", &fakeKeyring{decErr: boom}, fakeEDKs(32), boom},
		{"no matching key", &fakeKeyring{}, fakeEDKs(32)[:1], nil},
		{"PDK removed", &fakeKeyring{tamperDec: func(m *materials.DecryptionMaterials) { m.PlaintextDataKey = nil }}, fakeEDKs(32), materials.ErrInvalidMaterials},
		{"suite changed", &fakeKeyring{tamperDec: func(m *materials.DecryptionMaterials) { m.Suite = suite(t, 0x0578) }}, fakeEDKs(32), materials.ErrInvalidMaterials},
		{"wrong length", &fakeKeyring{}, fakeEDKs(16), materials.ErrInvalidMaterials},
	} {
		_, err := materials.NewDefaultManager(c.kr).DecryptMaterials(ctx, materials.DecryptionRequest{Suite: suite(t, 0x0478), EncryptedDataKeys: c.edks})
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Reproduced context that disagrees with the header.
	_, err := dm.DecryptMaterials(ctx, materials.DecryptionRequest{Suite: suite(t, 0x0478), EncryptedDataKeys: fakeEDKs(32), EncryptionContext: EC{"a": "1"}, ReproducedEncryptionContext: EC{"a": "2"}})
	if !errors.Is(err, materials.ErrEncryptionContextMismatch) {
		t.Errorf("reproduced mismatch: %v", err)
	}
}

func TestDefaultManagerDecryptReproduced(t *testing.T) {
	kr := &fakeKeyring{}
	header := EC{"a": "1"}
	m, err := materials.NewDefaultManager(kr).DecryptMaterials(ctx, materials.DecryptionRequest{
		Suite: suite(t, 0x0478), EncryptedDataKeys: fakeEDKs(32),
		EncryptionContext: header, ReproducedEncryptionContext: EC{"a": "1", "b": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !m.EncryptionContext.Equal(EC{"a": "1", "b": "2"}) || !slices.Equal(m.RequiredEncryptionContextKeys, []string{"b"}) {
		t.Errorf("materials context %q, required %q", m.EncryptionContext, m.RequiredEncryptionContextKeys)
	}
	if !header.Equal(EC{"a": "1"}) {
		t.Errorf("header context modified: %q", header)
	}
	// The keyring saw the merged context (keyrings bind the full context).
	if !kr.sawDec[0].EncryptionContext.Equal(EC{"a": "1", "b": "2"}) {
		t.Errorf("keyring saw %q", kr.sawDec[0].EncryptionContext)
	}
}

// stubManager returns canned materials so the required-context manager can
// be tested against a manager that misbehaves.
type stubManager struct {
	encReq  materials.EncryptionRequest
	decReq  materials.DecryptionRequest
	enc     materials.EncryptionMaterials
	dec     materials.DecryptionMaterials
	called  int
	useReal materials.Manager
}

func (s *stubManager) GetEncryptionMaterials(ctx context.Context, req materials.EncryptionRequest) (materials.EncryptionMaterials, error) {
	s.called++
	s.encReq = req
	if s.useReal != nil {
		return s.useReal.GetEncryptionMaterials(ctx, req)
	}
	return s.enc, nil
}

func (s *stubManager) DecryptMaterials(ctx context.Context, req materials.DecryptionRequest) (materials.DecryptionMaterials, error) {
	s.called++
	s.decReq = req
	if s.useReal != nil {
		return s.useReal.DecryptMaterials(ctx, req)
	}
	return s.dec, nil
}

func TestRequiredContextManagerEncrypt(t *testing.T) {
	if _, err := materials.NewRequiredContextManager(nil, []string{"a"}); err == nil {
		t.Error("NewRequiredContextManager(nil) succeeded")
	}
	keys := []string{"a", "b"}
	stub := &stubManager{useReal: materials.NewDefaultManager(&fakeKeyring{})}
	rm, err := materials.NewRequiredContextManager(stub, keys)
	if err != nil {
		t.Fatal(err)
	}
	keys[0] = "changed" // the manager keeps its own copy

	// Missing required key: fails before the underlying manager.
	_, err = rm.GetEncryptionMaterials(ctx, materials.EncryptionRequest{Suite: 0x0478, EncryptionContext: EC{"a": "1"}})
	if !errors.Is(err, materials.ErrEncryptionContextMismatch) || stub.called != 0 {
		t.Errorf("missing key: %v (underlying called %d times)", err, stub.called)
	}

	m, err := rm.GetEncryptionMaterials(ctx, materials.EncryptionRequest{
		Suite: 0x0478, EncryptionContext: EC{"a": "1", "b": "2", "c": "3"}, RequiredEncryptionContextKeys: []string{"c", "a"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stub.encReq.RequiredEncryptionContextKeys, []string{"c", "a", "b"}) {
		t.Errorf("underlying got required keys %q, want the union [c a b]", stub.encReq.RequiredEncryptionContextKeys)
	}
	for _, k := range []string{"a", "b"} {
		if !slices.Contains(m.RequiredEncryptionContextKeys, k) {
			t.Errorf("materials do not list required key %q: %q", k, m.RequiredEncryptionContextKeys)
		}
	}

	// An underlying manager that drops a required key.
	drop := &stubManager{enc: materials.EncryptionMaterials{Suite: suite(t, 0x0478), EncryptionContext: EC{"a": "1", "b": "2"}, RequiredEncryptionContextKeys: []string{"a"}}}
	rm, _ = materials.NewRequiredContextManager(drop, []string{"a", "b"})
	if _, err := rm.GetEncryptionMaterials(ctx, materials.EncryptionRequest{EncryptionContext: EC{"a": "1", "b": "2"}}); !errors.Is(err, materials.ErrInvalidMaterials) {
		t.Errorf("dropped key: %v", err)
	}
}

func TestRequiredContextManagerDecrypt(t *testing.T) {
	stub := &stubManager{useReal: materials.NewDefaultManager(&fakeKeyring{})}
	rm, _ := materials.NewRequiredContextManager(stub, []string{"r"})
	base := materials.DecryptionRequest{Suite: suite(t, 0x0478), EncryptedDataKeys: fakeEDKs(32), EncryptionContext: EC{"a": "1"}}

	// The reproduced context must carry the required key, even if the
	// header has it.
	for _, c := range []struct {
		name       string
		header     EC
		reproduced EC
	}{
		{"nothing reproduced", EC{"a": "1"}, nil},
		{"other key reproduced", EC{"a": "1"}, EC{"a": "1"}},
		{"key only in header", EC{"a": "1", "r": "x"}, EC{"a": "1"}},
	} {
		req := base
		req.EncryptionContext, req.ReproducedEncryptionContext = c.header, c.reproduced
		stub.called = 0
		if _, err := rm.DecryptMaterials(ctx, req); !errors.Is(err, materials.ErrEncryptionContextMismatch) || stub.called != 0 {
			t.Errorf("%s: err = %v (underlying called %d times)", c.name, err, stub.called)
		}
	}

	req := base
	req.ReproducedEncryptionContext = EC{"r": "x"}
	m, err := rm.DecryptMaterials(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if m.EncryptionContext["r"] != "x" || !slices.Equal(m.RequiredEncryptionContextKeys, []string{"r"}) {
		t.Errorf("materials context %q, required %q", m.EncryptionContext, m.RequiredEncryptionContextKeys)
	}
	if !stub.decReq.ReproducedEncryptionContext.Equal(EC{"r": "x"}) || !stub.decReq.EncryptionContext.Equal(EC{"a": "1"}) {
		t.Errorf("request not passed down unchanged: %+v", stub.decReq)
	}

	// Underlying materials without the required key.
	drop := &stubManager{dec: materials.DecryptionMaterials{Suite: suite(t, 0x0478), EncryptionContext: EC{"a": "1"}, PlaintextDataKey: make([]byte, 32)}}
	rm, _ = materials.NewRequiredContextManager(drop, []string{"r"})
	if _, err := rm.DecryptMaterials(ctx, req); !errors.Is(err, materials.ErrInvalidMaterials) {
		t.Errorf("dropped key: %v", err)
	}
}

func TestMaterialsTransitions(t *testing.T) {
	s := suite(t, 0x0478)
	edk1 := materials.EncryptedDataKey{ProviderID: "1"}
	edk2 := materials.EncryptedDataKey{ProviderID: "2"}
	edk3 := materials.EncryptedDataKey{ProviderID: "3"}
	base := materials.EncryptionMaterials{Suite: s, EncryptedDataKeys: make([]materials.EncryptedDataKey, 1, 10)}
	base.EncryptedDataKeys[0] = edk1
	a := base.WithEncryptedDataKey(edk2)
	b := base.WithEncryptedDataKey(edk3) // must not overwrite a's second key
	if len(base.EncryptedDataKeys) != 1 || a.EncryptedDataKeys[1].ProviderID != "2" || b.EncryptedDataKeys[1].ProviderID != "3" {
		t.Errorf("WithEncryptedDataKey shares the backing array: base %v, a %v, b %v", base.EncryptedDataKeys, a.EncryptedDataKeys, b.EncryptedDataKeys)
	}

	d := materials.DecryptionMaterials{Suite: s}
	if _, err := d.WithPlaintextDataKey(make([]byte, 16), edk1); !errors.Is(err, materials.ErrInvalidMaterials) {
		t.Errorf("short key: %v", err)
	}
	d2, err := d.WithPlaintextDataKey(make([]byte, 32), edk1)
	if err != nil || d.PlaintextDataKey != nil || d2.DataKey.ProviderID != "1" {
		t.Fatalf("WithPlaintextDataKey: %v", err)
	}
	if _, err := d2.WithPlaintextDataKey(make([]byte, 32), edk2); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Errorf("second key: %v", err)
	}
}

func TestNoDecryptableKeyError(t *testing.T) {
	e1, e2 := errors.New("first"), errors.New("second")
	err := error(&materials.NoDecryptableKeyError{Reason: "why", Errs: []error{e1, e2}})
	if got, want := err.Error(), "materials: no encrypted data key could be decrypted: why (first; second)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, e1) || !errors.Is(err, e2) {
		t.Error("errors.Is does not reach the per-key errors")
	}
	if got := (&materials.NoDecryptableKeyError{}).Error(); strings.Contains(got, "(") || strings.HasSuffix(got, ": ") {
		t.Errorf("empty error: %q", got)
	}
}
