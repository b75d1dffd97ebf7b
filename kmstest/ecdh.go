package kmstest

// ECC key-agreement keys, which local-kms does not have: the server owns
// them itself and answers CreateKey (KeyUsage KEY_AGREEMENT),
// DeriveSharedSecret, GetPublicKey and DescribeKey for them, with the JSON
// shapes of AWS KMS; every other request goes to local-kms.

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	lkconfig "github.com/nsmithuk/local-kms/src/config"
)

// ecdhKey is one key-agreement key the server owns.
type ecdhKey struct {
	arn, id, description string
	priv                 *ecdh.PrivateKey
	created              time.Time
}

var keySpecs = map[ecdh.Curve]string{
	ecdh.P256(): "ECC_NIST_P256",
	ecdh.P384(): "ECC_NIST_P384",
	ecdh.P521(): "ECC_NIST_P521",
}

var specCurves = map[string]ecdh.Curve{
	"ECC_NIST_P256": ecdh.P256(),
	"ECC_NIST_P384": ecdh.P384(),
	"ECC_NIST_P521": ecdh.P521(),
}

// AddECDHKey adds an ECC key-agreement key (KeyUsage KEY_AGREEMENT, key
// spec ECC_NIST_P256, ECC_NIST_P384 or ECC_NIST_P521 after the curve of
// priv) with the given key ID and private key to the server's account, and
// returns its ARN. The server then answers DeriveSharedSecret,
// GetPublicKey and DescribeKey for it; aliases created through local-kms
// may name it. Tests that need the private key outside KMS (to compare
// with another implementation) create it themselves and import it here.
func (s *Server) AddECDHKey(keyID string, priv *ecdh.PrivateKey) (string, error) {
	if keyID == "" || strings.ContainsAny(keyID, ":/") {
		return "", fmt.Errorf("kmstest: invalid key ID %q", keyID)
	}
	if priv == nil || keySpecs[priv.Curve()] == "" {
		return "", errors.New("kmstest: an ECDH key must be on P-256, P-384 or P-521")
	}
	arn := s.arnPrefix() + "key/" + keyID
	global.Lock()
	_, err := s.db.LoadKey(arn)
	global.Unlock()
	if err == nil {
		return "", fmt.Errorf("kmstest: key %s already exists", arn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ecdhKeys == nil {
		s.ecdhKeys = map[string]*ecdhKey{}
	}
	if _, ok := s.ecdhKeys[arn]; ok {
		return "", fmt.Errorf("kmstest: key %s already exists", arn)
	}
	s.ecdhKeys[arn] = &ecdhKey{arn: arn, id: keyID, priv: priv, created: time.Now()}
	return arn, nil
}

// ECDHPrivateKey returns the private key of a key-agreement key the
// server owns (by key ARN), for tests that check the key agreement
// against another implementation.
func (s *Server) ECDHPrivateKey(arn string) (*ecdh.PrivateKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.ecdhKeys[arn]
	if !ok {
		return nil, false
	}
	return k.priv, true
}

func (s *Server) arnPrefix() string {
	return "arn:aws:kms:" + s.Region + ":" + s.AccountID + ":"
}

// ecdhKeyFor resolves the KeyId of a request (key ID, key ARN, alias name
// or alias ARN) to a key-agreement key of the server, or nil.
func (s *Server) ecdhKeyFor(keyID string) *ecdhKey {
	prefix := s.arnPrefix()
	arn := keyID
	switch {
	case strings.HasPrefix(keyID, "alias/"):
		arn = prefix + keyID
	case !strings.HasPrefix(keyID, "arn:"):
		arn = prefix + "key/" + keyID
	}
	if strings.HasPrefix(arn, prefix+"alias/") {
		global.Lock()
		s.configure(s.AccountID)
		a, err := s.db.LoadAlias(arn)
		global.Unlock()
		if err != nil || a == nil {
			return nil
		}
		arn = a.TargetKeyId
		if !strings.HasPrefix(arn, "arn:") {
			arn = prefix + "key/" + arn
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ecdhKeys[arn]
}

// serveECDH answers the requests that concern key-agreement keys and
// reports whether it did.
func (s *Server) serveECDH(w http.ResponseWriter, op string, body []byte) bool {
	var in struct {
		KeyId                 string
		KeyUsage              string
		KeySpec               string
		Description           string
		KeyAgreementAlgorithm string
		PublicKey             []byte
		DryRun                bool
	}
	switch op {
	case "CreateKey":
		if json.Unmarshal(body, &in) != nil || in.KeyUsage != "KEY_AGREEMENT" {
			return false
		}
		s.createECDHKey(w, in.KeySpec, in.Description)
		return true
	case "DeriveSharedSecret", "GetPublicKey", "DescribeKey":
	default:
		return false
	}
	if err := json.Unmarshal(body, &in); err != nil {
		WriteError(w, http.StatusBadRequest, "SerializationException", "kmstest: request body is not the JSON of "+op)
		return true
	}
	k := s.ecdhKeyFor(in.KeyId)
	if k == nil {
		if op != "DeriveSharedSecret" {
			return false // local-kms's key, or none: local-kms answers
		}
		if s.localKeyExists(in.KeyId) {
			WriteError(w, http.StatusBadRequest, "InvalidKeyUsageException", "kmstest: "+in.KeyId+" is not a KEY_AGREEMENT key")
		} else {
			WriteError(w, http.StatusBadRequest, "NotFoundException", "kmstest: key "+in.KeyId+" does not exist")
		}
		return true
	}
	switch op {
	case "GetPublicKey":
		der, err := x509.MarshalPKIXPublicKey(k.priv.PublicKey())
		if err != nil {
			WriteError(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
			return true
		}
		spec := keySpecs[k.priv.Curve()]
		writeJSON(w, map[string]any{
			"KeyId": k.arn, "PublicKey": der, "KeySpec": spec, "CustomerMasterKeySpec": spec,
			"KeyUsage": "KEY_AGREEMENT", "KeyAgreementAlgorithms": []string{"ECDH"},
		})
	case "DescribeKey":
		writeJSON(w, map[string]any{"KeyMetadata": k.metadata(s)})
	case "DeriveSharedSecret":
		if in.KeyAgreementAlgorithm != "ECDH" {
			WriteError(w, http.StatusBadRequest, "ValidationException", "kmstest: KeyAgreementAlgorithm must be ECDH")
			return true
		}
		pub, err := parsePeerKey(in.PublicKey, k.priv.Curve())
		if err != nil {
			WriteError(w, http.StatusBadRequest, "ValidationException", "kmstest: PublicKey: "+err.Error())
			return true
		}
		if in.DryRun {
			WriteError(w, http.StatusPreconditionFailed, "DryRunOperationException", "kmstest: the request would have succeeded")
			return true
		}
		z, err := k.priv.ECDH(pub)
		if err != nil {
			WriteError(w, http.StatusBadRequest, "ValidationException", "kmstest: key agreement failed")
			return true
		}
		writeJSON(w, map[string]any{"KeyId": k.arn, "SharedSecret": z, "KeyAgreementAlgorithm": "ECDH", "KeyOrigin": "AWS_KMS"})
	}
	return true
}

// parsePeerKey parses the PublicKey of DeriveSharedSecret: a DER
// SubjectPublicKeyInfo on the key's curve.
func parsePeerKey(der []byte, curve ecdh.Curve) (*ecdh.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not a DER SubjectPublicKeyInfo")
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not an elliptic-curve key")
	}
	pub, err := ek.ECDH()
	if err != nil || pub.Curve() != curve {
		return nil, errors.New("not a key on the KMS key's curve")
	}
	return pub, nil
}

// localKeyExists reports whether local-kms has a key that keyID names.
func (s *Server) localKeyExists(keyID string) bool {
	arn := keyID
	if !strings.HasPrefix(arn, "arn:") && !strings.HasPrefix(arn, "alias/") {
		arn = s.arnPrefix() + "key/" + keyID
	}
	global.Lock()
	defer global.Unlock()
	s.configure(s.AccountID)
	if strings.HasPrefix(arn, "alias/") {
		arn = lkconfig.ArnPrefix() + arn
	}
	if strings.Contains(arn, ":alias/") {
		a, err := s.db.LoadAlias(arn)
		return err == nil && a != nil
	}
	_, err := s.db.LoadKey(arn)
	return err == nil
}

func (s *Server) createECDHKey(w http.ResponseWriter, spec, description string) {
	curve, ok := specCurves[spec]
	if !ok {
		WriteError(w, http.StatusBadRequest, "ValidationException", "kmstest: KEY_AGREEMENT keys have key spec ECC_NIST_P256, ECC_NIST_P384 or ECC_NIST_P521")
		return
	}
	priv, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
		return
	}
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	id := fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
	arn, err := s.AddECDHKey(id, priv)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
		return
	}
	s.mu.Lock()
	k := s.ecdhKeys[arn]
	k.description = description
	s.mu.Unlock()
	writeJSON(w, map[string]any{"KeyMetadata": k.metadata(s)})
}

func (k *ecdhKey) metadata(s *Server) map[string]any {
	spec := keySpecs[k.priv.Curve()]
	return map[string]any{
		"KeyId": k.id, "Arn": k.arn, "AWSAccountId": s.AccountID, "CreationDate": k.created.Unix(),
		"Description": k.description, "Enabled": true, "KeyState": "Enabled", "KeyManager": "CUSTOMER",
		"Origin": "AWS_KMS", "KeyUsage": "KEY_AGREEMENT", "KeySpec": spec, "CustomerMasterKeySpec": spec,
		"KeyAgreementAlgorithms": []string{"ECDH"}, "MultiRegion": false,
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "KMSInternalException", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
