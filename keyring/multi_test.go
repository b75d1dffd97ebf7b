package keyring_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// probe is a keyring that records calls and can be told to fail.
type probe struct {
	name   string
	log    *[]string
	encErr error
	decErr error
	// decKey, when set, is returned as the data key on decrypt.
	decKey []byte
	// sawPDK records whether OnDecrypt got materials with a data key.
	sawPDK bool
}

func (p *probe) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	*p.log = append(*p.log, "enc:"+p.name)
	if p.encErr != nil {
		return m, p.encErr
	}
	if m.PlaintextDataKey == nil {
		m.PlaintextDataKey = key(m.Suite.KeyLen(), 1)
	}
	return m.WithEncryptedDataKey(materials.EncryptedDataKey{ProviderID: p.name}), nil
}

func (p *probe) OnDecrypt(_ context.Context, m materials.DecryptionMaterials, edks []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	*p.log = append(*p.log, "dec:"+p.name)
	p.sawPDK = p.sawPDK || m.PlaintextDataKey != nil
	if p.decErr != nil {
		return m, p.decErr
	}
	if p.decKey != nil {
		return m.WithPlaintextDataKey(p.decKey, materials.EncryptedDataKey{ProviderID: p.name})
	}
	return m, &materials.NoDecryptableKeyError{Reason: p.name + " found nothing"}
}

func TestMultiConstruction(t *testing.T) {
	if _, err := keyring.NewMulti(nil); err == nil {
		t.Error("no generator and no children accepted")
	}
	var log []string
	if _, err := keyring.NewMulti(&probe{log: &log}, nil); err == nil {
		t.Error("nil child accepted")
	}
	if _, err := keyring.NewMulti(nil, &probe{log: &log}); err != nil {
		t.Errorf("children only: %v", err)
	}
}

func TestMultiEncryptOrder(t *testing.T) {
	priv := testRSAKey(t)
	gen := newAES(t, "ns", "gen", key(32, 1))
	c1 := newRSA(t, keyring.OAEPSHA256, &priv.PublicKey, priv)
	c2 := newAES(t, "ns", "child2", key(16, 2))
	mk, err := keyring.NewMulti(gen, c1, c2)
	if err != nil {
		t.Fatal(err)
	}
	ec := materials.EncryptionContext{"a": "b"}
	m, err := mk.OnEncrypt(ctx, encMaterials(t, 0x0578, ec))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.EncryptedDataKeys) != 3 {
		t.Fatalf("%d EDKs", len(m.EncryptedDataKeys))
	}
	for i, want := range []string{"gen", "rsa-key", "child2"} {
		if got := string(m.EncryptedDataKeys[i].ProviderInfo[:len(want)]); got != want {
			t.Errorf("EDK %d from %q, want %q (generator first, then children in order)", i, got, want)
		}
	}
	// Each keyring alone can decrypt its own EDK to the same data key.
	for _, kr := range []keyring.Keyring{gen, c1, c2} {
		out, err := kr.OnDecrypt(ctx, decMaterials(t, 0x0578, ec), m.EncryptedDataKeys)
		if err != nil || !bytes.Equal(out.PlaintextDataKey, m.PlaintextDataKey) {
			t.Errorf("%v: %v", kr, err)
		}
	}
	// And so can the multi-keyring.
	out, err := mk.OnDecrypt(ctx, decMaterials(t, 0x0578, ec), m.EncryptedDataKeys)
	if err != nil || !bytes.Equal(out.PlaintextDataKey, m.PlaintextDataKey) {
		t.Errorf("multi decrypt: %v", err)
	}
}

func TestMultiEncryptFailures(t *testing.T) {
	priv := testRSAKey(t)
	gen := newAES(t, "ns", "gen", key(32, 1))
	privOnly := newRSA(t, keyring.OAEPSHA1, nil, priv)

	// A failing child fails the whole call.
	mk, _ := keyring.NewMulti(gen, newAES(t, "ns", "ok", key(32, 3)), privOnly)
	if _, err := mk.OnEncrypt(ctx, encMaterials(t, 0x0478, nil)); !errors.Is(err, materials.ErrEncryptNotSupported) {
		t.Errorf("failing child: %v", err)
	}
	var log []string
	boom := errors.New("boom")
	mk, _ = keyring.NewMulti(&probe{name: "g", log: &log}, &probe{name: "c1", log: &log, encErr: boom}, &probe{name: "c2", log: &log})
	if _, err := mk.OnEncrypt(ctx, encMaterials(t, 0x0478, nil)); !errors.Is(err, boom) {
		t.Errorf("failing probe child: %v", err)
	}
	if want := []string{"enc:g", "enc:c1"}; !equalStrings(log, want) {
		t.Errorf("calls %q, want %q (stop at the first failure)", log, want)
	}
	// A failing generator.
	log = nil
	mk, _ = keyring.NewMulti(&probe{name: "g", log: &log, encErr: boom}, &probe{name: "c", log: &log})
	if _, err := mk.OnEncrypt(ctx, encMaterials(t, 0x0478, nil)); !errors.Is(err, boom) || len(log) != 1 {
		t.Errorf("failing generator: %v, calls %q", err, log)
	}
	// The generator with a data key already present.
	mk, _ = keyring.NewMulti(gen, newAES(t, "ns", "c", key(32, 4)))
	in := encMaterials(t, 0x0478, nil)
	in.PlaintextDataKey = key(32, 9)
	if _, err := mk.OnEncrypt(ctx, in); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Errorf("generator with a data key: %v", err)
	}
	// No generator: the data key must be there already, then children wrap it.
	mk, _ = keyring.NewMulti(nil, newAES(t, "ns", "c", key(32, 4)))
	if _, err := mk.OnEncrypt(ctx, encMaterials(t, 0x0478, nil)); err == nil {
		t.Error("no generator and no data key: succeeded")
	}
	m, err := mk.OnEncrypt(ctx, in)
	if err != nil || len(m.EncryptedDataKeys) != 1 || !bytes.Equal(m.PlaintextDataKey, key(32, 9)) {
		t.Errorf("no generator with a data key: %v", err)
	}
	// A generator that makes no data key.
	mk, _ = keyring.NewMulti(noKeyGenerator{})
	if _, err := mk.OnEncrypt(ctx, encMaterials(t, 0x0478, nil)); !errors.Is(err, materials.ErrInvalidMaterials) {
		t.Errorf("generator without a data key: %v", err)
	}
}

type noKeyGenerator struct{}

func (noKeyGenerator) OnEncrypt(_ context.Context, m materials.EncryptionMaterials) (materials.EncryptionMaterials, error) {
	return m, nil
}
func (noKeyGenerator) OnDecrypt(_ context.Context, m materials.DecryptionMaterials, _ []materials.EncryptedDataKey) (materials.DecryptionMaterials, error) {
	return m, nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMultiDecrypt(t *testing.T) {
	var log []string
	e1, e3 := errors.New("e1"), errors.New("e3")
	pdk := key(32, 7)
	gen := &probe{name: "g", log: &log, decErr: e1}
	c1 := &probe{name: "c1", log: &log}              // nothing matched: no per-key error
	c2 := &probe{name: "c2", log: &log, decKey: pdk} // succeeds
	c3 := &probe{name: "c3", log: &log, decErr: e3}  // never reached
	mk, _ := keyring.NewMulti(gen, c1, c2, c3)
	out, err := mk.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), nil)
	if err != nil || !bytes.Equal(out.PlaintextDataKey, pdk) || out.DataKey.ProviderID != "c2" {
		t.Fatalf("decrypt: %v", err)
	}
	if want := []string{"dec:g", "dec:c1", "dec:c2"}; !equalStrings(log, want) {
		t.Errorf("calls %q, want %q", log, want)
	}
	if gen.sawPDK || c1.sawPDK || c2.sawPDK {
		t.Error("a child got materials with a data key (each must get the unmodified input)")
	}

	// Nobody succeeds: every failure is collected.
	log = nil
	inner := errors.New("inner per-key error")
	c2 = &probe{name: "c2", log: &log, decErr: &materials.NoDecryptableKeyError{Reason: "c2", Errs: []error{inner}}}
	mk, _ = keyring.NewMulti(gen, c1, c2, c3)
	_, err = mk.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), nil)
	var nd *materials.NoDecryptableKeyError
	if !errors.As(err, &nd) {
		t.Fatalf("err = %v, want *NoDecryptableKeyError", err)
	}
	for _, want := range []error{e1, inner, e3} {
		if !errors.Is(err, want) {
			t.Errorf("aggregate error %v does not include %v", err, want)
		}
	}
	if want := []string{"dec:g", "dec:c1", "dec:c2", "dec:c3"}; !equalStrings(log, want) {
		t.Errorf("calls %q, want %q", log, want)
	}

	// A data key already present.
	in := decMaterials(t, 0x0478, nil)
	in.PlaintextDataKey = pdk
	if _, err := mk.OnDecrypt(ctx, in, nil); !errors.Is(err, materials.ErrPlaintextDataKeyPresent) {
		t.Errorf("data key present: %v", err)
	}

	// A child that returns neither a key nor an error is a failure too.
	mk, _ = keyring.NewMulti(nil, noKeyGenerator{})
	if _, err := mk.OnDecrypt(ctx, decMaterials(t, 0x0478, nil), nil); err == nil {
		t.Error("child without a key: succeeded")
	}
}

// TestMultiDecryptRealKeyrings: the first EDKs are for keyrings that fail,
// the last for one that works.
func TestMultiDecryptRealKeyrings(t *testing.T) {
	ec := materials.EncryptionContext{"k": "v"}
	right := newAES(t, "ns", "right", key(32, 1))
	m, _ := right.OnEncrypt(ctx, encMaterials(t, 0x0178, ec))
	wrongKey := newAES(t, "ns", "right", key(32, 2)) // same name, other key
	other := newAES(t, "ns", "other", key(32, 1))
	mk, _ := keyring.NewMulti(wrongKey, other, right)
	out, err := mk.OnDecrypt(ctx, decMaterials(t, 0x0178, ec), m.EncryptedDataKeys)
	if err != nil || !bytes.Equal(out.PlaintextDataKey, m.PlaintextDataKey) {
		t.Errorf("decrypt: %v", err)
	}
	mk, _ = keyring.NewMulti(wrongKey, other)
	_, err = mk.OnDecrypt(ctx, decMaterials(t, 0x0178, ec), m.EncryptedDataKeys)
	var nd *materials.NoDecryptableKeyError
	// One failure per child: the wrong key's authentication failure, and
	// the other keyring's reason for matching nothing.
	if !errors.As(err, &nd) || len(nd.Errs) != 2 || !strings.Contains(nd.Errs[0].Error(), "did not authenticate") || !strings.Contains(nd.Errs[1].Error(), "ns/other") {
		t.Errorf("err = %v, want the wrong key's failure and the other keyring's reason", err)
	}
}
