package main

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
	"github.com/go-esdk/esdk/testvectors"
)

// Raw ECDH keyrings between this library and the peers that have them
// (Python and Java, through the Material Providers Library). The driver
// key spec is
//
//	{"type":"raw-ecdh","curve":"p256|p384|p521","schema":"static|ephemeral|discovery",
//	 "private-key":PEM,"recipient-public-key":BASE64}
//
// with a PKCS #8 private key (static: the sender's; discovery: the
// recipient's) and the recipient's SubjectPublicKeyInfo (static,
// ephemeral).

func init() {
	notApplicable["js"] = append(notApplicable["js"], na{
		what:     "raw ECDH keyring (every curve and schema, both ways, and the generated ECDH vectors)",
		reason:   "@aws-crypto/client-node 5.0.2 has no ECDH keyring (the Material Providers Library's raw ECDH keyring is not in the JavaScript SDK)",
		cannotOK: func(int64) bool { return false },
		feature:  "raw-ecdh",
	})
}

// ecdhPair is one key pair in the drivers' encodings.
type ecdhPair struct {
	privPEM string // PKCS #8
	pubDER  string // SubjectPublicKeyInfo, base64
}

// ecdhParties are the key pairs of one curve: a sender, a recipient and a
// stranger whose key no message is for.
type ecdhParties struct {
	curve                       string // p256, p384, p521
	sender, recipient, stranger ecdhPair
}

var ecdhCurves = []struct {
	name  string
	curve ecdh.Curve
}{{"p256", ecdh.P256()}, {"p384", ecdh.P384()}, {"p521", ecdh.P521()}}

func newECDHParties() ([]ecdhParties, error) {
	var out []ecdhParties
	for _, c := range ecdhCurves {
		p := ecdhParties{curve: c.name}
		for _, pair := range []*ecdhPair{&p.sender, &p.recipient, &p.stranger} {
			priv, err := c.curve.GenerateKey(rand.Reader)
			if err != nil {
				return nil, err
			}
			der, err := x509.MarshalPKCS8PrivateKey(priv)
			if err != nil {
				return nil, err
			}
			pub, err := x509.MarshalPKIXPublicKey(priv.PublicKey())
			if err != nil {
				return nil, err
			}
			pair.privPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
			pair.pubDER = base64.StdEncoding.EncodeToString(pub)
		}
		out = append(out, p)
	}
	return out, nil
}

func ecdhSpec(curve, schema string, priv, recipient *ecdhPair) KeySpec {
	s := KeySpec{"type": "raw-ecdh", "curve": curve, "schema": schema}
	if priv != nil {
		s["private-key"] = priv.privPEM
	}
	if recipient != nil {
		s["recipient-public-key"] = recipient.pubDER
	}
	return s
}

// goECDHKeyring builds this library's raw ECDH keyring for a driver spec.
func goECDHKeyring(s KeySpec) (materials.Keyring, error) {
	c := keyring.RawECDHConfig{}
	switch s["schema"] {
	case "static":
		c.Schema = keyring.ECDHStatic
	case "ephemeral":
		c.Schema = keyring.ECDHEphemeral
	case "discovery":
		c.Schema = keyring.ECDHDiscovery
	default:
		return nil, fmt.Errorf("raw-ecdh: unknown schema %q", s["schema"])
	}
	if s["private-key"] != "" {
		k, err := keyring.ParseECDHPrivateKeyPEM([]byte(s["private-key"]))
		if err != nil {
			return nil, err
		}
		c.PrivateKey = k
	}
	if s["recipient-public-key"] != "" {
		der, err := base64.StdEncoding.DecodeString(s["recipient-public-key"])
		if err != nil {
			return nil, err
		}
		if c.RecipientPublicKey, err = keyring.ParseECDHPublicKeyDER(der); err != nil {
			return nil, err
		}
	}
	kr, err := keyring.NewRawECDH(c)
	if err != nil {
		return nil, err
	}
	var curve *ecdh.PublicKey
	if c.RecipientPublicKey != nil {
		curve = c.RecipientPublicKey
	} else {
		curve = c.PrivateKey.PublicKey()
	}
	if want := map[string]ecdh.Curve{"p256": ecdh.P256(), "p384": ecdh.P384(), "p521": ecdh.P521()}[s["curve"]]; curve.Curve() != want {
		return nil, fmt.Errorf("raw-ecdh: keys are not on %s", s["curve"])
	}
	return kr, nil
}

// ecdhPath is one way of writing and reading a message.
type ecdhPath struct {
	name     string
	enc, dec KeySpec
}

func (p ecdhParties) paths() []ecdhPath {
	static := ecdhSpec(p.curve, "static", &p.sender, &p.recipient)
	return []ecdhPath{
		{"static → recipient's static", static, ecdhSpec(p.curve, "static", &p.recipient, &p.sender)},
		{"static → sender's static", static, static},
		{"static → discovery", static, ecdhSpec(p.curve, "discovery", &p.recipient, nil)},
		{"ephemeral → discovery", ecdhSpec(p.curve, "ephemeral", nil, &p.recipient), ecdhSpec(p.curve, "discovery", &p.recipient, nil)},
	}
}

// ecdhRejections are messages a reader must not decrypt.
func (p ecdhParties) rejections() []ecdhPath {
	return []ecdhPath{
		{"static → a stranger's discovery is rejected", ecdhSpec(p.curve, "static", &p.sender, &p.recipient), ecdhSpec(p.curve, "discovery", &p.stranger, nil)},
		// A static keyring knows both public keys; an ephemeral sender key
		// is neither.
		{"ephemeral → recipient's static is rejected", ecdhSpec(p.curve, "ephemeral", nil, &p.recipient), ecdhSpec(p.curve, "static", &p.recipient, &p.sender)},
	}
}

var ecdhSuites = []struct {
	suite algorithms.ID
	ec    int // index into ecOpts
}{{0x0478, 2}, {0x0578, 1}}

const ecdhGroup = "raw-ecdh"

// ecdhCases queues the raw ECDH cases of one peer, both ways, and its
// decryption of the generated ECDH vectors.
func (pr *peerRun) ecdhCases() {
	if pr.peer.lacks("raw-ecdh") {
		return
	}
	frame := int64(4096)
	pt := pr.env.plaintext(tamperSize)
	for _, p := range pr.env.ecdh {
		for _, s := range ecdhSuites {
			ec := ecOpts[s.ec].ec
			for _, path := range p.paths() {
				name := fmt.Sprintf("%s %s %s", p.curve, suiteName(s.suite), path.name)
				// The peer writes, this library reads.
				out := pr.path("ct")
				pr.job(Job{Op: "encrypt", Keys: []KeySpec{path.enc}, Suite: suiteHex(s.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[tamperSize], Out: out},
					func(r Result) {
						ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: ecdhGroup, name: name}
						ch.detail = pr.verifyPeerMessage(r, out, []KeySpec{path.dec}, s.suite, frame, ec, pt)
						ch.pass = ch.detail == ""
						pr.add(ch)
					})
				// This library writes, the peer reads.
				pr.goWritesECDH(name, path, s.suite, ec, pt, false, false)
			}
		}
		// Rejections, both ways, and a commitment key damaged by one bit.
		s := ecdhSuites[0]
		ec := ecOpts[s.ec].ec
		for _, path := range p.rejections() {
			name := fmt.Sprintf("%s %s %s", p.curve, suiteName(s.suite), path.name)
			out := pr.path("ct")
			pr.job(Job{Op: "encrypt", Keys: []KeySpec{path.enc}, Suite: suiteHex(s.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[tamperSize], Out: out},
				func(r Result) { pr.goMustReject(name, r, out, path.dec, keyring.ErrECDHOtherKey) })
			pr.goWritesECDH(name, path, s.suite, ec, pt, true, false)
		}
		path := p.paths()[0]
		name := fmt.Sprintf("%s %s %s: commitment key off by one bit is rejected", p.curve, suiteName(s.suite), path.name)
		out := pr.path("ct")
		pr.job(Job{Op: "encrypt", Keys: []KeySpec{path.enc}, Suite: suiteHex(s.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[tamperSize], Out: out},
			func(r Result) {
				if r.OK {
					msg, _ := os.ReadFile(out)
					if err := flipCommitmentKey(msg); err != nil {
						pr.add(check{peer: pr.peer.Name, dir: pr.toGo(), group: ecdhGroup, name: name, detail: err.Error()})
						return
					}
					os.WriteFile(out, msg, 0o644)
				}
				pr.goMustReject(name, r, out, path.dec, keyring.ErrECDHCommitment)
			})
		pr.goWritesECDH(name, path, s.suite, ec, pt, true, true)
	}
	// The generated ECDH vectors.
	for _, t := range pr.env.ecdhManifest {
		t := t
		out := pr.path("pt")
		pr.job(Job{Op: "decrypt", Keys: t.keys, In: t.ciphertext, Out: out}, func(r Result) {
			ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: "manifest", name: "esdk-vectors generate (raw ECDH): " + t.name}
			if !r.OK {
				ch.detail = fmt.Sprintf("%s decrypt failed: %s (%s)", pr.peer.Name, r.Error, t.ciphertext)
			} else {
				got, _ := os.ReadFile(out)
				want, _ := os.ReadFile(t.plaintext)
				if !bytes.Equal(got, want) {
					ch.detail = "plaintext differs"
				} else if h, err := os.ReadFile(t.ciphertext); err == nil {
					if hdr, err := headerOf(h); err == nil && !maps.Equal(r.EC, map[string]string(hdr.EncryptionContext)) {
						ch.detail = ecDiff(r.EC, hdr.EncryptionContext)
					}
				}
			}
			ch.pass = ch.detail == ""
			pr.add(ch)
		})
	}
}

// goWritesECDH: this library encrypts with path.enc and the peer decrypts
// with path.dec; with reject the peer must fail. damage flips a bit of the
// commitment key first.
func (pr *peerRun) goWritesECDH(name string, path ecdhPath, suite algorithms.ID, ec map[string]string, pt []byte, reject, damage bool) {
	msg, err := goEncrypt([]KeySpec{path.enc}, nil, suite, 4096, ec, pt, false)
	if err == nil && damage {
		err = flipCommitmentKey(msg)
	}
	if err != nil {
		pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: ecdhGroup, name: name, detail: "go encrypt failed: " + err.Error()})
		return
	}
	ct, out := pr.path("ct"), pr.path("pt")
	if err := os.WriteFile(ct, msg, 0o644); err != nil {
		pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: ecdhGroup, name: name, detail: err.Error()})
		return
	}
	pr.job(Job{Op: "decrypt", Keys: []KeySpec{path.dec}, In: ct, Out: out}, func(r Result) {
		ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: ecdhGroup, name: name}
		switch {
		case reject && r.OK:
			ch.detail = fmt.Sprintf("%s decrypted it (message kept at %s)", pr.peer.Name, ct)
		case reject:
			ch.pass, ch.detail = true, r.Error
		default:
			ch.detail = pr.verifyPeerDecrypt(r, msg, ct, out, ec, pt)
			ch.pass = ch.detail == ""
		}
		pr.add(ch)
	})
}

// goMustReject checks that this library refuses the peer's message at
// path with an error that wraps want.
func (pr *peerRun) goMustReject(name string, r Result, path string, dec KeySpec, want error) {
	ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: ecdhGroup, name: name}
	if !r.OK {
		ch.detail = pr.peer.Name + " encrypt failed: " + r.Error
		pr.add(ch)
		return
	}
	msg, err := os.ReadFile(path)
	if err != nil {
		ch.detail = err.Error()
		pr.add(ch)
		return
	}
	ok, why := goReject([]KeySpec{dec}, nil, msg, nil)
	ch.pass, ch.detail = ok, why
	if ok {
		c, err := goClient([]KeySpec{dec}, nil, encryptsdk.RequireEncryptAllowDecrypt)
		if err == nil {
			_, _, err = c.DecryptBytes(context.Background(), msg, nil)
		}
		if !errors.Is(err, want) {
			ch.pass, ch.detail = false, fmt.Sprintf("rejected, but not for the expected reason (%v): %v", want, err)
		}
	} else {
		ch.detail += " (message kept at " + path + ")"
	}
	pr.add(ch)
}

// flipCommitmentKey flips one bit of the commitment key of the message's
// first raw ECDH encrypted data key, in place.
func flipCommitmentKey(msg []byte) error {
	h, err := headerOf(msg)
	if err != nil {
		return err
	}
	for _, edk := range h.EncryptedDataKeys {
		if edk.ProviderID != "raw-ecdh" {
			continue
		}
		i := bytes.Index(msg, edk.Ciphertext)
		if i < 0 {
			break
		}
		msg[i+32] ^= 0x04
		return nil
	}
	return errors.New("no raw-ecdh encrypted data key in the message")
}

// loadECDHManifest reads the raw ECDH manifest the generator wrote into dir
// and turns each test into driver jobs.
func loadECDHManifest(dir string) ([]manifestTest, error) {
	var m testvectors.DecryptManifest
	if err := readJSON(filepath.Join(dir, "manifest-ecdh.json"), &m); err != nil {
		return nil, err
	}
	var keys testvectors.KeysManifest
	if err := readJSON(filepath.Join(dir, strings.TrimPrefix(m.Keys, "file://")), &keys); err != nil {
		return nil, err
	}
	var out []manifestTest
	for _, name := range slices.Sorted(maps.Keys(m.Tests)) {
		s := m.Tests[name].Scenario
		if s == nil || s.Key == nil || s.Key.Type != "raw-ecdh" {
			return nil, fmt.Errorf("manifest-ecdh.json test %s: not a raw-ecdh scenario", name)
		}
		d := s.Key
		curve := map[string]string{"ecc-256": "p256", "ecc-384": "p384", "ecc-521": "p521"}[d.Curve]
		spec := KeySpec{"type": "raw-ecdh", "curve": curve, "schema": d.Schema}
		switch d.Schema {
		case "static":
			spec["private-key"] = keys.Keys[d.Sender].SenderMaterial
			spec["recipient-public-key"] = keys.Keys[d.Recipient].RecipientPublicKey
		case "discovery":
			spec["private-key"] = keys.Keys[d.Recipient].RecipientMaterial
		default:
			return nil, fmt.Errorf("manifest-ecdh.json test %s: schema %q does not decrypt", name, d.Schema)
		}
		if curve == "" || spec["private-key"] == "" {
			return nil, fmt.Errorf("manifest-ecdh.json test %s: bad key description %+v", name, *d)
		}
		out = append(out, manifestTest{
			name:       name,
			ciphertext: filepath.Join(dir, strings.TrimPrefix(s.Ciphertext, "file://")),
			plaintext:  filepath.Join(dir, strings.TrimPrefix(s.Result, "file://")),
			keys:       []KeySpec{spec},
		})
	}
	return out, nil
}
