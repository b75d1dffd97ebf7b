package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"

	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/kmstest"
	"github.com/go-esdk/esdk/materials"
)

// KeySpec is one keyring in the drivers' JSON form (see ../README.md):
//
//	{"type":"raw-aes","namespace":N,"name":K,"key":BASE64}
//	{"type":"raw-rsa","namespace":N,"name":K,"padding":"pkcs1|oaep-sha1|…","public-key":PEM,"private-key":PEM}
//	{"type":"aws-kms","key-id":ARN,"region":R,"endpoint":URL}
//	{"type":"raw-ecdh","curve":"p256|p384|p521","schema":"static|ephemeral|discovery","private-key":PEM,"recipient-public-key":BASE64}
//	{"type":"aws-kms-rsa",…} (see kmsRSASpec)
//	{"type":"aws-kms-ecdh",…} (Go side only; see kmsecdh.go)
//
// A list of them is a multi-keyring: the first is the generator.
type KeySpec map[string]string

const namespace = "go-esdk-interop"

// Keys holds the wrapping keys of one run, made fresh each time.
type Keys struct {
	aes     map[int][]byte // by bits
	privPEM string
	pubPEM  string
}

func newKeys() (*Keys, error) {
	k := &Keys{aes: map[int][]byte{}}
	for _, bits := range []int{128, 192, 256} {
		b := make([]byte, bits/8)
		rand.Read(b)
		k.aes[bits] = b
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	k.privPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	k.pubPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	return k, nil
}

// aesName gives each AES key its own name; the 256-bit one is not ASCII, so
// that non-ASCII provider info crosses languages too.
func aesName(bits int) string {
	if bits == 256 {
		return "aes-256-ключ-\U0001F511"
	}
	return fmt.Sprintf("aes-%d", bits)
}

func (k *Keys) AES(bits int) KeySpec {
	return KeySpec{"type": "raw-aes", "namespace": namespace, "name": aesName(bits), "key": base64.StdEncoding.EncodeToString(k.aes[bits])}
}

// RSAPublic and RSAPrivate are the two halves of the RSA key pair: the
// encrypting side gets only the public key, the decrypting side only the
// private one.
func (k *Keys) RSAPublic(padding string) KeySpec {
	return KeySpec{"type": "raw-rsa", "namespace": namespace, "name": "rsa-2048-" + padding, "padding": padding, "public-key": k.pubPEM}
}

func (k *Keys) RSAPrivate(padding string) KeySpec {
	return KeySpec{"type": "raw-rsa", "namespace": namespace, "name": "rsa-2048-" + padding, "padding": padding, "private-key": k.privPEM}
}

// keyOpt is one value of the "wrapping key" dimension: the keyrings of the
// encrypting and of the decrypting side.
type keyOpt struct {
	name  string
	group string // raw-aes, raw-rsa, multi-keyring
	enc   []KeySpec
	dec   []KeySpec
}

var paddings = []string{"pkcs1", "oaep-sha1", "oaep-sha256", "oaep-sha384", "oaep-sha512"}

func (k *Keys) options() []keyOpt {
	var o []keyOpt
	for _, bits := range []int{128, 192, 256} {
		s := k.AES(bits)
		o = append(o, keyOpt{fmt.Sprintf("aes-%d", bits), "raw-aes", []KeySpec{s}, []KeySpec{s}})
	}
	for _, p := range paddings {
		o = append(o, keyOpt{"rsa-" + p, "raw-rsa", []KeySpec{k.RSAPublic(p)}, []KeySpec{k.RSAPrivate(p)}})
	}
	// Multi-keyrings of an AES and an RSA key; the decrypting side holds only
	// one of the two, so it must skip the other encrypted data key.
	o = append(o,
		keyOpt{"multi(aes-256+rsa-oaep-sha256)/aes", "multi-keyring",
			[]KeySpec{k.AES(256), k.RSAPublic("oaep-sha256")}, []KeySpec{k.AES(256)}},
		keyOpt{"multi(rsa-oaep-sha1+aes-128)/rsa", "multi-keyring",
			[]KeySpec{k.RSAPublic("oaep-sha1"), k.AES(128)}, []KeySpec{k.RSAPrivate("oaep-sha1")}},
	)
	return o
}

// goKeyring builds this library's keyring for specs; kms is the local KMS
// server the aws-kms specs point at.
func goKeyring(specs []KeySpec, kms *kmstest.Server) (materials.Keyring, error) {
	var krs []materials.Keyring
	for _, s := range specs {
		var kr materials.Keyring
		var err error
		switch s["type"] {
		case "raw-aes":
			key, err2 := base64.StdEncoding.DecodeString(s["key"])
			if err2 != nil {
				return nil, err2
			}
			kr, err = keyring.NewRawAES(s["namespace"], s["name"], key)
		case "raw-rsa":
			p, err2 := keyring.ParsePadding(s["padding"])
			if err2 != nil {
				return nil, err2
			}
			c := keyring.RawRSAConfig{Namespace: s["namespace"], Name: s["name"], Padding: p}
			if s["public-key"] != "" {
				if c.PublicKey, err = keyring.ParseRSAPublicKeyPEM([]byte(s["public-key"])); err != nil {
					return nil, err
				}
			}
			if s["private-key"] != "" {
				if c.PrivateKey, err = keyring.ParseRSAPrivateKeyPEM([]byte(s["private-key"])); err != nil {
					return nil, err
				}
			}
			kr, err = keyring.NewRawRSA(c)
		case "raw-ecdh":
			kr, err = goECDHKeyring(s)
		case "aws-kms":
			if kms == nil {
				return nil, fmt.Errorf("aws-kms key without a KMS server")
			}
			kr, err = awskms.NewKeyring(kms.Client(), s["key-id"])
		case "aws-kms-rsa":
			kr, err = goKMSRSAKeyring(s, kms)
		case "aws-kms-ecdh":
			kr, err = goKMSECDHKeyring(s, kms)
		case "aws-kms-hierarchy":
			kr, err = goHierarchyKeyring(s)
		default:
			return nil, fmt.Errorf("unknown keyring type %q", s["type"])
		}
		if err != nil {
			return nil, err
		}
		krs = append(krs, kr)
	}
	if len(krs) == 1 {
		return krs[0], nil
	}
	return keyring.NewMulti(krs[0], krs[1:]...)
}
