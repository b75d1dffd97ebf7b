package keyring

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-esdk/esdk/internal/ecdhedk"
)

// ECDH key loading. Every helper returns keys on P-256, P-384 or P-521
// only; a key on another curve wraps [ErrECDHCurve], a point that is not
// on its curve (or the point at infinity) wraps [ErrECDHPublicKey].

// ParseECDHPublicKeyDER parses an X.509 SubjectPublicKeyInfo (the DER
// form of a PEM "PUBLIC KEY", and what AWS KMS GetPublicKey returns).
func ParseECDHPublicKeyDER(der []byte) (*ecdh.PublicKey, error) {
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: SubjectPublicKeyInfo: %v", ErrECDHPublicKey, err)
	}
	var pub *ecdh.PublicKey
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if pub, err = k.ECDH(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrECDHCurve, err)
		}
	case *ecdh.PublicKey:
		pub = k
	default:
		return nil, fmt.Errorf("%w: the public key is a %T, not an elliptic-curve key", ErrECDHCurve, key)
	}
	if _, err := ecdhedk.CurveOf(pub.Curve()); err != nil {
		return nil, err
	}
	return pub, nil
}

// ParseECDHPublicKeyPEM parses a PEM "PUBLIC KEY" block (SPKI).
func ParseECDHPublicKeyPEM(data []byte) (*ecdh.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("keyring: no PEM block found in ECDH public key")
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("keyring: ECDH public key PEM block is %q, want \"PUBLIC KEY\"", block.Type)
	}
	return ParseECDHPublicKeyDER(block.Bytes)
}

// ParseECDHPublicKey parses a SEC 1 point, uncompressed (04 || X || Y) or
// compressed (02 or 03 || X), on curve (ecdh.P256(), ecdh.P384() or
// ecdh.P521()).
func ParseECDHPublicKey(curve ecdh.Curve, point []byte) (*ecdh.PublicKey, error) {
	c, err := ecdhedk.CurveOf(curve)
	if err != nil {
		return nil, err
	}
	if len(point) > 0 && (point[0] == 2 || point[0] == 3) {
		return c.Decompress(point)
	}
	pub, err := curve.NewPublicKey(point)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrECDHPublicKey, err)
	}
	return pub, nil
}

// ParseECDHPrivateKeyDER parses a PKCS #8 or SEC 1 ("EC PRIVATE KEY")
// elliptic-curve private key.
func ParseECDHPrivateKeyDER(der []byte) (*ecdh.PrivateKey, error) {
	var key any
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		if key, err = x509.ParseECPrivateKey(der); err != nil {
			// The parser's message says nothing about the key's value.
			return nil, errors.New("keyring: ECDH private key does not parse as PKCS #8 or SEC 1")
		}
	}
	var priv *ecdh.PrivateKey
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if priv, err = k.ECDH(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrECDHCurve, err)
		}
	case *ecdh.PrivateKey:
		priv = k
	default:
		return nil, fmt.Errorf("%w: the private key is a %T, not an elliptic-curve key", ErrECDHCurve, key)
	}
	if _, err := ecdhedk.CurveOf(priv.Curve()); err != nil {
		return nil, err
	}
	return priv, nil
}

// ParseECDHPrivateKeyPEM parses a PEM "PRIVATE KEY" (PKCS #8) or
// "EC PRIVATE KEY" (SEC 1) block.
func ParseECDHPrivateKeyPEM(data []byte) (*ecdh.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("keyring: no PEM block found in ECDH private key")
	}
	if block.Type != "PRIVATE KEY" && block.Type != "EC PRIVATE KEY" {
		return nil, fmt.Errorf("keyring: ECDH private key PEM block is %q, want \"PRIVATE KEY\" or \"EC PRIVATE KEY\"", block.Type)
	}
	return ParseECDHPrivateKeyDER(block.Bytes)
}
