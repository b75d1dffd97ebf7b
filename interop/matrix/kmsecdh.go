package main

// AWS KMS ECDH keyring cases: this library's KMS ECDH keyring
// (keyring/awskms.ECDHKeyring, calling DeriveSharedSecret on the local
// KMS) against the peer's raw ECDH keyring holding the same private keys.
// The local KMS imports a key pair made here, so the peer can be given the
// KMS key's private key in PEM. The peers' own KMS ECDH keyrings are not
// used: the local KMS serves DeriveSharedSecret over the AWS JSON protocol
// only to clients that it can route here, and the point of the group is
// the wire format, which the raw keyring shares.
//
// The Go-side key spec (drivers never see it) is
//
//	{"type":"aws-kms-ecdh","schema":"static|discovery","key-id":ARN,
//	 "recipient-public-key":BASE64,"grant-token":T}

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
	"github.com/go-esdk/esdk/materials"
)

const kmsECDHGroup = "kms-ecdh"

func init() {
	// The report's groups: kms-ecdh before the probes.
	i := slices.Index(groups, "n/a probe")
	if i < 0 {
		i = len(groups)
	}
	groups = slices.Insert(groups, i, kmsECDHGroup)
	notApplicable["js"] = append(notApplicable["js"], na{
		what:     "AWS KMS ECDH keyring (both ways, against the raw ECDH keyring)",
		reason:   "@aws-crypto/client-node 5.0.2 has neither an ECDH keyring nor a KMS ECDH keyring (provider IDs raw-ecdh, aws-kms-ecdh)",
		cannotOK: func(int64) bool { return false },
		feature:  "kms-ecdh",
	})
}

// kmsECDHParty is one curve's keys: the KMS key (imported into the local
// KMS; its private key is also a raw PEM for the peer), the peer's own key
// pair, and a second KMS key no message is for.
type kmsECDHParty struct {
	curve      string
	arn, other string
	kmsPair    ecdhPair // the KMS key's private key (PKCS #8) and public key
	peerPair   ecdhPair
}

var kmsECDHKeys struct {
	sync.Mutex
	parties []kmsECDHParty
}

// kmsECDHParties imports one key pair per curve into the local KMS (once
// per run) and returns them.
func (e *env) kmsECDHParties() ([]kmsECDHParty, error) {
	kmsECDHKeys.Lock()
	defer kmsECDHKeys.Unlock()
	if kmsECDHKeys.parties != nil {
		return kmsECDHKeys.parties, nil
	}
	pair := func(k *ecdh.PrivateKey) (ecdhPair, error) {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return ecdhPair{}, err
		}
		pub, err := x509.MarshalPKIXPublicKey(k.PublicKey())
		if err != nil {
			return ecdhPair{}, err
		}
		return ecdhPair{privPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), pubDER: base64.StdEncoding.EncodeToString(pub)}, nil
	}
	var out []kmsECDHParty
	for _, c := range ecdhCurves {
		p := kmsECDHParty{curve: c.name}
		var keys [3]*ecdh.PrivateKey
		for i := range keys {
			k, err := c.curve.GenerateKey(rand.Reader)
			if err != nil {
				return nil, err
			}
			keys[i] = k
		}
		var err error
		if p.arn, err = e.kms.AddECDHKey("interop-ecdh-"+c.name, keys[0]); err != nil {
			return nil, err
		}
		if p.other, err = e.kms.AddECDHKey("interop-ecdh-other-"+c.name, keys[2]); err != nil {
			return nil, err
		}
		if p.kmsPair, err = pair(keys[0]); err != nil {
			return nil, err
		}
		if p.peerPair, err = pair(keys[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	kmsECDHKeys.parties = out
	return out, nil
}

func kmsECDHSpec(schema, arn, recipientPub, grant string) KeySpec {
	s := KeySpec{"type": "aws-kms-ecdh", "schema": schema, "key-id": arn, "grant-token": grant}
	if recipientPub != "" {
		s["recipient-public-key"] = recipientPub
	}
	return s
}

// goKMSECDHKeyring is goKeyring's "aws-kms-ecdh" case.
func goKMSECDHKeyring(s KeySpec, server *kmstest.Server) (materials.Keyring, error) {
	if server == nil {
		return nil, fmt.Errorf("aws-kms-ecdh key without a KMS server")
	}
	cfg := awskms.ECDHConfig{KeyARN: s["key-id"]}
	switch s["schema"] {
	case "static":
		cfg.Schema = awskms.KMSPrivateKeyToStaticPublicKey
	case "discovery":
		cfg.Schema = awskms.KMSPublicKeyDiscovery
	default:
		return nil, fmt.Errorf("aws-kms-ecdh: unknown schema %q", s["schema"])
	}
	if r := s["recipient-public-key"]; r != "" {
		der, err := base64.StdEncoding.DecodeString(r)
		if err != nil {
			return nil, err
		}
		if cfg.RecipientPublicKey, err = keyring.ParseECDHPublicKeyDER(der); err != nil {
			return nil, err
		}
	}
	var opts []awskms.Option
	if g := s["grant-token"]; g != "" {
		opts = append(opts, awskms.WithGrantTokens(g))
	}
	return awskms.NewECDHKeyring(context.Background(), server.Client(), cfg, opts...)
}

// kmsECDHCases queues, per curve and for a signed and an unsigned suite:
// this library's static KMS ECDH keyring writes and the peer's raw ECDH
// keyrings read (discovery with the peer's key; static with either
// party's key); the peer's raw ECDH keyrings write to or from the KMS key
// (static with the peer's key or the KMS key's, ephemeral) and this
// library's KMS ECDH keyrings read (discovery and static). A KMS keyring
// for another key rejects the peer's message without a KMS request, and
// every read by this library is a DeriveSharedSecret request with its
// grant token.
func (pr *peerRun) kmsECDHCases() {
	if pr.peer.lacks("raw-ecdh") || pr.peer.lacks("kms-ecdh") {
		return
	}
	parties, err := pr.env.kmsECDHParties()
	if err != nil {
		pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: kmsECDHGroup, name: "KMS ECDH keys", detail: err.Error()})
		return
	}
	grant := "interop-go-ecdh-" + pr.peer.Name
	frame := int64(4096)
	pt := pr.env.plaintext(tamperSize)
	goReads := 0
	for _, p := range parties {
		kmsStatic := kmsECDHSpec("static", p.arn, p.peerPair.pubDER, grant)
		kmsDiscovery := kmsECDHSpec("discovery", p.arn, "", grant)
		// The peer's raw keyrings: its own key with the KMS key as the
		// other party, and the KMS key's private key with the peer's.
		peerStatic := ecdhSpec(p.curve, "static", &p.peerPair, &p.kmsPair)
		kmsKeyRawStatic := ecdhSpec(p.curve, "static", &p.kmsPair, &p.peerPair)
		peerDiscovery := ecdhSpec(p.curve, "discovery", &p.peerPair, nil)
		peerEphemeral := ecdhSpec(p.curve, "ephemeral", nil, &p.kmsPair)

		for _, s := range ecdhSuites {
			ec := ecOpts[s.ec].ec
			prefix := fmt.Sprintf("%s %s ", p.curve, suiteName(s.suite))
			// This library's KMS keyring writes; the peer reads.
			for _, path := range []ecdhPath{
				{"go KMS static → " + pr.peer.Name + " raw discovery (recipient's key)", kmsStatic, peerDiscovery},
				{"go KMS static → " + pr.peer.Name + " raw static (recipient's key)", kmsStatic, peerStatic},
				{"go KMS static → " + pr.peer.Name + " raw static (the KMS key's private key)", kmsStatic, kmsKeyRawStatic},
			} {
				pr.goWritesKMSECDH(prefix+path.name, path, s.suite, ec, pt)
			}
			// The peer writes; this library's KMS keyrings read.
			for _, path := range []ecdhPath{
				{pr.peer.Name + " raw ephemeral → go KMS discovery", peerEphemeral, kmsDiscovery},
				{pr.peer.Name + " raw static (its key) → go KMS discovery", peerStatic, kmsDiscovery},
				{pr.peer.Name + " raw static (its key) → go KMS static", peerStatic, kmsStatic},
				{pr.peer.Name + " raw static (the KMS key's private key) → go KMS static", kmsKeyRawStatic, kmsStatic},
			} {
				path := path
				name := prefix + path.name
				out := pr.path("ct")
				goReads++
				pr.job(Job{Op: "encrypt", Keys: []KeySpec{path.enc}, Suite: suiteHex(s.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[tamperSize], Out: out},
					func(r Result) {
						ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: kmsECDHGroup, name: name}
						ch.detail = pr.verifyPeerMessage(r, out, []KeySpec{path.dec}, s.suite, frame, ec, pt)
						ch.pass = ch.detail == ""
						pr.add(ch)
					})
			}
		}
		// Another KMS key's discovery keyring rejects the peer's message.
		s := ecdhSuites[0]
		ec := ecOpts[s.ec].ec
		name := fmt.Sprintf("%s %s %s raw ephemeral → go KMS discovery of another KMS key is rejected", p.curve, suiteName(s.suite), pr.peer.Name)
		out := pr.path("ct")
		other := kmsECDHSpec("discovery", p.other, "", grant)
		pr.job(Job{Op: "encrypt", Keys: []KeySpec{peerEphemeral}, Suite: suiteHex(s.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[tamperSize], Out: out},
			func(r Result) {
				ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: kmsECDHGroup, name: name}
				ch.detail = pr.kmsECDHRejects(r, out, other, p.other)
				ch.pass = ch.detail == ""
				pr.add(ch)
			})
	}
	// After the batch: this library's reads of the peer's messages each
	// called DeriveSharedSecret with its grant token.
	pr.job(Job{Op: "encrypt", Keys: []KeySpec{ecdhSpec(parties[0].curve, "ephemeral", nil, &parties[0].kmsPair)}, Suite: suiteHex(0x0478), Frame: &frame, In: pr.env.plaintexts[tamperSize], Out: pr.path("ct")},
		func(Result) {
			n := pr.kmsECDHRequests("", grant)
			ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: kmsECDHGroup,
				name: fmt.Sprintf("go's KMS ECDH keyrings called DeriveSharedSecret on the local KMS: %d requests", n), pass: n >= goReads}
			if !ch.pass {
				ch.detail = fmt.Sprintf("want at least %d", goReads)
			}
			pr.add(ch)
		})
}

// goWritesKMSECDH: this library encrypts with its KMS ECDH keyring
// (path.enc) and the peer decrypts with a raw ECDH keyring (path.dec).
func (pr *peerRun) goWritesKMSECDH(name string, path ecdhPath, suite algorithms.ID, ec map[string]string, pt []byte) {
	msg, err := goEncrypt([]KeySpec{path.enc}, pr.env.kms, suite, 4096, ec, pt, false)
	if err == nil {
		var h *headerInfo
		if h, err = kmsECDHHeader(msg); err == nil && h.providerID != awskms.ECDHProviderID {
			err = fmt.Errorf("encrypted data key has provider ID %q", h.providerID)
		}
	}
	if err != nil {
		pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: kmsECDHGroup, name: name, detail: "go encrypt failed: " + err.Error()})
		return
	}
	ct, out := pr.path("ct"), pr.path("pt")
	writeFile(ct, msg)
	pr.job(Job{Op: "decrypt", Keys: []KeySpec{path.dec}, In: ct, Out: out}, func(r Result) {
		ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: kmsECDHGroup, name: name}
		ch.detail = pr.verifyPeerDecrypt(r, msg, ct, out, ec, pt)
		ch.pass = ch.detail == ""
		pr.add(ch)
	})
}

type headerInfo struct{ providerID string }

// kmsECDHHeader returns the provider ID of the message's only encrypted
// data key.
func kmsECDHHeader(msg []byte) (*headerInfo, error) {
	h, err := headerOf(msg)
	if err != nil {
		return nil, err
	}
	if len(h.EncryptedDataKeys) != 1 {
		return nil, fmt.Errorf("%d encrypted data keys, want 1", len(h.EncryptedDataKeys))
	}
	return &headerInfo{providerID: h.EncryptedDataKeys[0].ProviderID}, nil
}

// kmsECDHRejects checks that this library's KMS ECDH keyring dec refuses
// the peer's message at path as addressed to other keys, without a
// DeriveSharedSecret request for arn. It returns "" when it does.
func (pr *peerRun) kmsECDHRejects(r Result, path string, dec KeySpec, arn string) string {
	if !r.OK {
		return pr.peer.Name + " encrypt failed: " + r.Error
	}
	msg, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	grant := dec["grant-token"]
	before := pr.kmsECDHRequests(arn, grant)
	if ok, why := goReject([]KeySpec{dec}, pr.env.kms, msg, nil); !ok {
		return why + " (message kept at " + path + ")"
	}
	c, err := goClient([]KeySpec{dec}, pr.env.kms, encryptsdk.RequireEncryptAllowDecrypt)
	if err == nil {
		_, _, err = c.DecryptBytes(context.Background(), msg, nil)
	}
	if !errors.Is(err, keyring.ErrECDHOtherKey) {
		return fmt.Sprintf("rejected, but not as addressed to other keys: %v", err)
	}
	if n := pr.kmsECDHRequests(arn, grant) - before; n != 0 {
		return fmt.Sprintf("%d DeriveSharedSecret requests for a message addressed to another key", n)
	}
	return ""
}

// kmsECDHRequests counts the DeriveSharedSecret requests for arn (any key
// if empty) that carried grant token grant.
func (pr *peerRun) kmsECDHRequests(arn, grant string) int {
	n := 0
	for _, c := range pr.env.kms.Calls() {
		if c.Op == "DeriveSharedSecret" && (arn == "" || c.KeyID == arn) && slices.Contains(c.GrantTokens, grant) {
			n++
		}
	}
	return n
}
