package main

// AWS KMS RSA keyring cases: the peer's KMS RSA keyring and this library's
// (keyring/awskms.RSAKeyring) against an RSA key of the local KMS. The
// encrypting side has only the public key (it encrypts without calling
// KMS); the decrypting side calls KMS Decrypt. Each side sends its own grant
// token, so the server's records tell whose Decrypt requests they were.

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
	"github.com/go-esdk/esdk/materials"
)

// kmsRSAKeys holds one RSA key per peer on the local KMS, created on first
// use: the key ARN and its public key in PEM.
var kmsRSAKeys struct {
	sync.Mutex
	arn, pem map[string]string
}

// kmsRSAKey returns the ARN and public key PEM of the peer's RSA key,
// creating the key (RSA_2048, ENCRYPT_DECRYPT) on the local KMS.
func (e *env) kmsRSAKey(peer string) (arn, pubPEM string, err error) {
	kmsRSAKeys.Lock()
	defer kmsRSAKeys.Unlock()
	if a, ok := kmsRSAKeys.arn[peer]; ok {
		return a, kmsRSAKeys.pem[peer], nil
	}
	ctx := context.Background()
	c := e.kms.Client()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{
		KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt,
		Description: aws.String("interop KMS RSA key of " + peer),
	})
	if err != nil {
		return "", "", fmt.Errorf("creating the KMS RSA key: %w", err)
	}
	arn = aws.ToString(out.KeyMetadata.Arn)
	pub, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(arn)})
	if err != nil {
		return "", "", fmt.Errorf("GetPublicKey: %w", err)
	}
	pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub.PublicKey}))
	if kmsRSAKeys.arn == nil {
		kmsRSAKeys.arn, kmsRSAKeys.pem = map[string]string{}, map[string]string{}
	}
	kmsRSAKeys.arn[peer], kmsRSAKeys.pem[peer] = arn, pubPEM
	return arn, pubPEM, nil
}

// kmsRSASpec is a KMS RSA keyring in the drivers' JSON form:
//
//	{"type":"aws-kms-rsa","key-id":ARN,"region":R,"endpoint":URL,
//	 "algorithm":"RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256","public-key":PEM,"grant-token":T}
//
// The encrypting side gets the public key, the decrypting side a grant
// token (and no public key).
func (e *env) kmsRSASpec(arn, alg, pubPEM, grant string) KeySpec {
	s := KeySpec{"type": "aws-kms-rsa", "key-id": arn, "region": kmsRegion, "endpoint": e.kms.URL, "algorithm": alg}
	if pubPEM != "" {
		s["public-key"] = pubPEM
	}
	if grant != "" {
		s["grant-token"] = grant
	}
	return s
}

// goKMSRSAKeyring is goKeyring's "aws-kms-rsa" case.
func goKMSRSAKeyring(s KeySpec, server *kmstest.Server) (materials.Keyring, error) {
	if server == nil {
		return nil, fmt.Errorf("aws-kms-rsa key without a KMS server")
	}
	var pub *rsa.PublicKey
	if p := s["public-key"]; p != "" {
		b, _ := pem.Decode([]byte(p))
		if b == nil {
			return nil, fmt.Errorf("aws-kms-rsa: public key is not PEM")
		}
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		var ok bool
		if pub, ok = k.(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("aws-kms-rsa: public key is a %T", k)
		}
	}
	var opts []awskms.Option
	if g := s["grant-token"]; g != "" {
		opts = append(opts, awskms.WithGrantTokens(g))
	}
	return awskms.NewRSAKeyring(server.Client(), s["key-id"], types.EncryptionAlgorithmSpec(s["algorithm"]), pub, opts...)
}

type kmsRSACase struct {
	alg   string
	suite algorithms.ID
	frame int64
	size  int
	ec    int  // index into ecOpts
	multi bool // raw AES generator + KMS RSA child; decrypted with KMS RSA only
}

var kmsRSACases = []kmsRSACase{
	{"RSAES_OAEP_SHA_256", 0x0478, 4096, 4096, 2, false},
	{"RSAES_OAEP_SHA_256", 0x0178, 65536, 1 << 20, 1, false},
	{"RSAES_OAEP_SHA_256", 0x0014, 4096, 0, 0, true},
	{"RSAES_OAEP_SHA_1", 0x0478, 1, 1, 1, false},
	{"RSAES_OAEP_SHA_1", 0x0146, 0, 4096, 2, false},
	{"RSAES_OAEP_SHA_1", 0x0478, 4096, 1 << 20, 0, true},
}

func (c kmsRSACase) String() string {
	name := "aws-kms-rsa " + c.alg
	if c.multi {
		name = "multi(aes-256+aws-kms-rsa " + c.alg + ")/aws-kms-rsa"
	}
	return fmt.Sprintf("%s %s %s %s ec=%s", suiteName(c.suite), name, frameName(c.frame), sizeName(c.size), ecOpts[c.ec].name)
}

// kmsRSACases: the peer's KMS RSA keyring encrypts for this library's and
// decrypts what it wrote; both refuse a signed suite; the peer's Decrypt
// requests reach the local KMS. Peers without the keyring (JavaScript) are
// listed in notApplicable.
func (pr *peerRun) kmsRSACases() {
	if pr.peer.lacks("kms-rsa") {
		return
	}
	const group = "kms-rsa"
	arn, pubPEM, err := pr.env.kmsRSAKey(pr.peer.Name)
	if err != nil {
		pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: group, name: "KMS RSA key", detail: err.Error()})
		return
	}
	peerGrant, goGrant := "interop-"+pr.peer.Name, "interop-go"
	peerDecrypts := 0
	for _, c := range kmsRSACases {
		c := c
		enc := []KeySpec{pr.env.kmsRSASpec(arn, c.alg, pubPEM, "")}
		if c.multi {
			enc = append([]KeySpec{pr.env.keys.AES(256)}, enc...)
		}
		goDec := []KeySpec{pr.env.kmsRSASpec(arn, c.alg, "", goGrant)}
		peerDec := []KeySpec{pr.env.kmsRSASpec(arn, c.alg, "", peerGrant)}
		ec := ecOpts[c.ec].ec
		pt := pr.env.plaintext(c.size)

		frame := c.frame
		if !pr.peer.canWrite(frame) {
			frame = 4096
		}
		out := pr.path("ct")
		pr.job(Job{Op: "encrypt", Keys: enc, Suite: suiteHex(c.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[c.size], Out: out},
			func(r Result) {
				ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: group, name: c.String()}
				if frame != c.frame {
					ch.name += fmt.Sprintf(" (written with %s)", frameName(frame))
				}
				ch.detail = pr.verifyPeerMessage(r, out, goDec, c.suite, frame, ec, pt)
				ch.pass = ch.detail == ""
				pr.add(ch)
			})

		msg, err := goEncrypt(enc, pr.env.kms, c.suite, c.frame, ec, pt, false)
		if err != nil {
			pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: group, name: c.String(), detail: "go encrypt failed: " + err.Error()})
			continue
		}
		ct, ptOut := pr.path("ct"), pr.path("pt")
		writeFile(ct, msg)
		peerDecrypts++
		pr.job(Job{Op: "decrypt", Keys: peerDec, In: ct, Out: ptOut}, func(r Result) {
			ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: group, name: c.String()}
			ch.detail = pr.verifyPeerDecrypt(r, msg, ct, ptOut, ec, pt)
			ch.pass = ch.detail == ""
			pr.add(ch)
		})
	}

	// A signed suite: the peer refuses to encrypt with it, and so does this
	// library.
	enc := []KeySpec{pr.env.kmsRSASpec(arn, "RSAES_OAEP_SHA_256", pubPEM, "")}
	frame := int64(4096)
	pr.job(Job{Op: "encrypt", Keys: enc, Suite: suiteHex(0x0578), Frame: &frame, In: pr.env.plaintexts[1], Out: pr.path("ct")}, func(r Result) {
		ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: group, name: pr.peer.Name + " refuses suite 0x0578 (signed) with the KMS RSA keyring",
			pass: !r.OK && strings.Contains(strings.ToLower(r.Error), "sign")}
		if !ch.pass {
			ch.detail = fmt.Sprintf("want a refusal that names signing; ok=%v error=%q", r.OK, r.Error)
		}
		pr.add(ch)

		// Evaluations run after the whole batch: count the peer's Decrypt
		// requests for its key (each carries the peer's grant token).
		n := 0
		for _, c := range pr.env.kms.Calls() {
			if c.Op == "Decrypt" && c.KeyID == arn && slices.Contains(c.GrantTokens, peerGrant) {
				n++
			}
		}
		tr := check{peer: pr.peer.Name, dir: pr.fromGo(), group: group,
			name: fmt.Sprintf("%s called KMS Decrypt with its KMS RSA keyring: %d requests", pr.peer.Name, n), pass: n >= peerDecrypts}
		if !tr.pass {
			tr.detail = fmt.Sprintf("want at least %d", peerDecrypts)
		}
		pr.add(tr)
	})
	_, err = goEncrypt(enc, pr.env.kms, 0x0578, 4096, nil, []byte("x"), false)
	ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: group, name: "go refuses suite 0x0578 (signed) with the KMS RSA keyring", pass: err != nil}
	if err == nil {
		ch.detail = "go encrypted with a signed suite"
	}
	pr.add(ch)
}
