package algorithms

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// PublicKeyContextKey is the encryption context key under which a signed
// message carries its base64 compressed ECDSA verification key.
const PublicKeyContextKey = "aws-crypto-public-key"

// ErrSignature means a message signature did not verify.
var ErrSignature = errors.New("algorithms: signature does not verify")

// GenerateSigningKey makes a fresh ECDSA key pair on the suite's curve.
func (s Suite) GenerateSigningKey() (*ecdsa.PrivateKey, error) {
	if !s.Signed() {
		return nil, fmt.Errorf("algorithms: suite %v does not sign", s.id)
	}
	return ecdsa.GenerateKey(s.curve, rand.Reader)
}

// EncodePublicKey returns the form of pub stored in the encryption context:
// standard padded base64 of the SEC 1 compressed point.
func EncodePublicKey(pub *ecdsa.PublicKey) (string, error) {
	raw, err := pub.Bytes() // 04 || X || Y
	if err != nil {
		return "", fmt.Errorf("algorithms: %w", err)
	}
	n := (len(raw) - 1) / 2
	out := make([]byte, 1+n)
	out[0] = 2 | raw[len(raw)-1]&1
	copy(out[1:], raw[1:1+n])
	return base64.StdEncoding.EncodeToString(out), nil
}

// DecodePublicKey parses the encryption context form of a verification key
// for the suite's curve. Only compressed points are accepted; the point must
// be on the curve.
func (s Suite) DecodePublicKey(encoded string) (*ecdsa.PublicKey, error) {
	if !s.Signed() {
		return nil, fmt.Errorf("algorithms: suite %v does not sign", s.id)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil || strings.ContainsAny(encoded, "\r\n") {
		return nil, errors.New("algorithms: verification key is not valid base64")
	}
	size := (s.curve.Params().BitSize + 7) / 8
	if len(raw) != 1+size || (raw[0] != 2 && raw[0] != 3) {
		return nil, fmt.Errorf("algorithms: verification key is not a compressed %s point", s.curve.Params().Name)
	}
	x, y := elliptic.UnmarshalCompressed(s.curve, raw)
	if x == nil {
		return nil, fmt.Errorf("algorithms: verification key is not a point on %s", s.curve.Params().Name)
	}
	full := make([]byte, 1+2*size)
	full[0] = 4
	x.FillBytes(full[1 : 1+size])
	y.FillBytes(full[1+size:])
	pub, err := ecdsa.ParseUncompressedPublicKey(s.curve, full)
	if err != nil {
		return nil, fmt.Errorf("algorithms: verification key: %w", err)
	}
	return pub, nil
}

type ecdsaSig struct{ R, S *big.Int }

// Sign signs a message digest and returns a DER signature of exactly
// [Suite.SignatureLen] bytes: when the first signature has another length
// it tries the equivalent signature (r, n−s) and otherwise signs again.
func (s Suite) Sign(priv *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	want := s.SignatureLen()
	n := s.curve.Params().N
	for range 64 {
		sig, err := ecdsa.SignASN1(rand.Reader, priv, digest)
		if err != nil {
			return nil, fmt.Errorf("algorithms: sign: %w", err)
		}
		if len(sig) == want {
			return sig, nil
		}
		var v ecdsaSig
		if _, err := asn1.Unmarshal(sig, &v); err != nil {
			return nil, fmt.Errorf("algorithms: sign: %w", err)
		}
		v.S.Sub(n, v.S)
		if alt, err := asn1.Marshal(v); err == nil && len(alt) == want {
			return alt, nil
		}
	}
	return nil, errors.New("algorithms: could not make a signature of the fixed length")
}

// Verify checks a DER signature of any length over a message digest.
func Verify(pub *ecdsa.PublicKey, digest, sig []byte) error {
	if !ecdsa.VerifyASN1(pub, digest, sig) {
		return ErrSignature
	}
	return nil
}
