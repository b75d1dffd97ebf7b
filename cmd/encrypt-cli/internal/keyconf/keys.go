// Package keyconf turns encrypt-cli's key options into a materials
// manager: the -w groups of the Python aws-encryption-cli (AWS KMS keys,
// strict or discovery, with its rules and messages) plus local raw AES and
// raw RSA keys, and --caching.
package keyconf

// Wrapping keys: the -w grammar of the Python CLI, plus local keys.
//
//	-w [provider=aws-kms] key=ARN... [region=R] [profile=P]
//	-w [provider=aws-kms] discovery=true [discovery-account=ID... discovery-partition=P] [region=R] [profile=P]
//	-w provider=raw-aes key=NAME namespace=NS key-file=PATH
//	-w provider=raw-rsa key=NAME namespace=NS key-file=PEM padding=pkcs1|oaep-sha1|oaep-sha256|oaep-sha384|oaep-sha512
//	-w provider=raw-ecdh|aws-kms-rsa|aws-kms-ecdh ... (see asym.go)
//	-w provider=aws-kms-hierarchy branch-key-id=ID table=TABLE kms-key=ARN [logical-name=NAME] [ttl=SECONDS] [region=R] [profile=P]
//
// Several -w groups make a multi-keyring whose generator is the first
// group's first key.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// Provider names accepted in provider=.
const (
	providerKMS        = "aws-kms"
	providerKMSPython  = "aws-encryption-sdk-cli::aws-kms"
	providerRawAES     = "raw-aes"
	providerRawRSA     = "raw-rsa"
	knownProvidersText = "aws-kms (the default), raw-aes, raw-rsa, " + asymProvidersTxt + ", aws-kms-hierarchy"
)

// Spec is one -w group, checked.
type Spec struct {
	kms  *kmsSpec
	aes  *rawKeySpec
	rsa  *rawKeySpec
	asym *asymSpec
	hier *hierSpec
	// extra is a group of a provider added with RegisterProvider.
	extra Group
}

// String describes the group for messages; it holds no key material.
func (s Spec) String() string {
	switch {
	case s.kms != nil && s.kms.Discovery:
		return fmt.Sprintf("aws-kms discovery (region %q, profile %q, accounts %v, partition %q)", s.kms.Region, s.kms.Profile, s.kms.DiscoveryAccounts, s.kms.DiscoveryPartition)
	case s.kms != nil:
		return fmt.Sprintf("aws-kms %v (region %q, profile %q)", s.kms.Keys, s.kms.Region, s.kms.Profile)
	case s.aes != nil:
		return fmt.Sprintf("raw-aes %v from %s", s.aes, s.aes.keyFile)
	case s.rsa != nil:
		return fmt.Sprintf("raw-rsa %v (%v) from %s", s.rsa, s.rsa.padding, s.rsa.keyFile)
	case s.asym != nil:
		return s.asym.String()
	case s.hier != nil:
		return fmt.Sprintf("aws-kms-hierarchy branch key %q (table %q, KMS key %q)", s.hier.BranchKeyID, s.hier.KeyStore.Table, s.hier.KeyStore.KMSKey)
	case s.extra != nil:
		return s.extra.String()
	}
	return "?"
}

// rawKeySpec names a local key: raw AES or raw RSA.
type rawKeySpec struct {
	name, namespace string
	keyFile         string
	padding         keyring.Padding // RSA only
}

func (s *rawKeySpec) String() string { return s.namespace + "/" + s.name }

// KV holds the key=value tokens of one group, values in order.
type KV map[string][]string

// ParseKV is the Python CLI's _parse_kwargs: every token is key=value with
// a non-empty key and value; repeated keys collect their values.
func ParseKV(tokens []string) (KV, error) {
	kv := KV{}
	for _, t := range tokens {
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" || v == "" {
			return nil, clierr.Usage(`Argument parameter must follow the format "key=value"`, fmt.Sprintf("%q is not of the form key=value", t))
		}
		kv[k] = append(kv[k], v)
	}
	return kv, nil
}

func (kv KV) has(k string) bool { return len(kv[k]) > 0 }

// ParseWrappingKeys checks every -w group. decrypt is true for both decrypt
// modes. The strings returned are warnings for the user.
func ParseWrappingKeys(groups [][]string, decrypt bool) ([]Spec, []string, error) {
	if len(groups) == 0 {
		return nil, nil, clierr.Usagef("No wrapping key provider configuration found")
	}
	var specs []Spec
	var warnings []string
	for gi, g := range groups {
		kv, err := ParseKV(g)
		if err != nil {
			return nil, nil, err
		}
		provider := []string{providerKMSPython}
		if p, ok := kv["provider"]; ok {
			provider = p
		}
		if len(provider) != 1 {
			return nil, nil, clierr.Usagef(`You must provide exactly one "provider" for each wrapping key provider configuration. %d provided`, len(provider))
		}
		delete(kv, "provider")
		var spec Spec
		switch provider[0] {
		case providerKMS, providerKMSPython:
			k, w, err := parseKMSSpec(kv, decrypt)
			if err != nil {
				return nil, nil, err
			}
			k.Primary = gi == 0
			spec.kms = k
			warnings = append(warnings, w...)
		case providerRawAES, providerRawRSA:
			r, err := parseRawSpec(provider[0], kv)
			if err != nil {
				return nil, nil, err
			}
			if provider[0] == providerRawAES {
				spec.aes = r
			} else {
				spec.rsa = r
			}
		case providerRawECDH, providerKMSRSA, providerKMSECDH:
			a, err := parseAsymSpec(provider[0], kv, decrypt)
			if err != nil {
				return nil, nil, err
			}
			spec.asym = a
		case providerHierarchy:
			h, err := parseHierSpec(kv)
			if err != nil {
				return nil, nil, err
			}
			spec.hier = h
		default:
			parse, ok := extraProvider(provider[0])
			if !ok {
				return nil, nil, clierr.Usage(fmt.Sprintf("Requested master key provider not found: %q", provider[0]), "the providers are "+knownProviders()+"; Python plugins are not supported")
			}
			if spec.extra, err = parse(kv, decrypt); err != nil {
				return nil, nil, err
			}
		}
		specs = append(specs, spec)
	}
	return specs, warnings, nil
}

func discoveryAttrs(kv KV) bool {
	return kv.has("discovery") || kv.has("discovery-account") || kv.has("discovery-partition")
}

// parseKMSSpec applies the Python CLI's rules for an AWS KMS group
// (_process_kms_key_config, _process_discovery_args and the checks of
// aws_kms_master_key_provider).
func parseKMSSpec(kv KV, decrypt bool) (*kmsSpec, []string, error) {
	if !decrypt && discoveryAttrs(kv) {
		return nil, nil, clierr.Usagef("Discovery attributes are supported only on decryption for AWS KMS keys")
	}
	if !decrypt && !kv.has("key") {
		return nil, nil, clierr.Usage(`At least one "key" must be provided for each wrapping key provider configuration`, "name the AWS KMS key with key=ARN, or use provider=raw-aes / provider=raw-rsa for a local key")
	}
	s := &kmsSpec{Keys: slices.Clone(kv["key"]), Decrypt: decrypt}
	if !kv.has("discovery") {
		if kv.has("discovery-account") || kv.has("discovery-partition") {
			return nil, nil, clierr.Usagef("Discovery-account and discovery-partition are valid only when the discovery attribute is set to true")
		}
	} else {
		d, err := pseudoBool(kv["discovery"][0])
		if err != nil {
			return nil, nil, err
		}
		s.Discovery = d
		accounts, partition := kv["discovery-account"], kv["discovery-partition"]
		switch {
		case !d && (len(accounts) > 0 || len(partition) > 0):
			return nil, nil, clierr.Usagef("Discovery-account and discovery-partition are valid only when the discovery attribute is set to true")
		case len(accounts) > 0 && len(partition) == 0:
			return nil, nil, clierr.Usagef("When specifying discovery-account, you must also specify discovery-partition")
		case len(partition) > 0 && len(accounts) == 0:
			return nil, nil, clierr.Usagef("When specifying discovery-partition, you must also specify discovery-account")
		case len(partition) > 1:
			return nil, nil, clierr.Usagef("You can only specify discovery-partition once")
		}
		s.DiscoveryAccounts = slices.Clone(accounts)
		if len(partition) == 1 {
			s.DiscoveryPartition = partition[0]
		}
	}
	if s.Discovery && len(s.Keys) > 0 {
		return nil, nil, clierr.Usage("If discovery is true (enabled), you cannot specify wrapping keys", "use either discovery=true or key=ARN in one -w group")
	}
	if !s.Discovery && len(s.Keys) == 0 {
		return nil, nil, clierr.Usage("When discovery is false (disabled), you must specify at least one wrapping key", "name the key with key=ARN, or add discovery=true to decrypt with any AWS KMS key you may use")
	}
	if p := kv["profile"]; len(p) > 1 {
		// Not a usage error: the Python CLI finds it when it builds the
		// provider, and exits 1; so does kmsKeyring.
		s.buildErr = clierr.WithHint(fmt.Errorf("Only one profile may be specified per master key provider configuration. %d provided.", len(p)), "give each profile its own -w group")
	} else if len(p) == 1 {
		s.Profile = p[0]
	}
	if r := kv["region"]; len(r) > 1 {
		if s.buildErr == nil {
			s.buildErr = clierr.WithHint(fmt.Errorf("Only one region may be specified per master key provider configuration. %d provided.", len(r)), "give each region its own -w group; key ARNs carry their own region")
		}
	} else if len(r) == 1 {
		s.Region = r[0]
	}
	// region_names= and grant_tokens= reach the Python provider's
	// configuration as they are (region= becomes region_names, and wins);
	// any other attribute makes the Python provider fail when it is built,
	// and so it does here (in kmsKeyring, with status 1).
	if s.Region == "" && kv.has("region_names") {
		s.Region = kv["region_names"][0]
	}
	s.GrantTokens = slices.Clone(kv["grant_tokens"])
	known := []string{"key", "region", "profile", "discovery", "discovery-account", "discovery-partition", "grant_tokens", "region_names"}
	for _, k := range sortedKeys(kv) {
		if !slices.Contains(known, k) && s.buildErr == nil {
			s.buildErr = clierr.WithHint(fmt.Errorf("-w: unknown AWS KMS attribute %q", k),
				"the attributes are key, region, profile, discovery, discovery-account, discovery-partition and grant_tokens")
		}
	}
	var warnings []string
	if decrypt {
		for _, k := range s.Keys {
			if a, err := awskms.ParseARN(k); err != nil || a.ResourceType != "key" {
				warnings = append(warnings, fmt.Sprintf("-w key=%s: when decrypting, AWS KMS keys must be named by key ARN; key IDs and aliases never match (use the key ARN, or discovery=true)", k))
			}
		}
	}
	return s, warnings, nil
}

// pseudoBool is the Python CLI's discovery_pseudobool.
func pseudoBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "false", "f", "0", "no", "n":
		return false, nil
	case "true", "t", "1", "yes", "y":
		return true, nil
	}
	return false, clierr.Usagef("Value %s could not be parsed as true or false", v)
}

// parseRawSpec checks a raw-aes or raw-rsa group.
func parseRawSpec(provider string, kv KV) (*rawKeySpec, error) {
	if discoveryAttrs(kv) {
		return nil, clierr.Usagef("Discovery attributes are supported only for AWS KMS wrapping keys")
	}
	if !kv.has("key") {
		return nil, clierr.Usage(`At least one "key" must be provided for each wrapping key provider configuration`, fmt.Sprintf("-w provider=%s key=NAME namespace=NAMESPACE key-file=PATH", provider))
	}
	one := func(attr, what string) (string, error) {
		v := kv[attr]
		switch len(v) {
		case 1:
			return v[0], nil
		case 0:
			return "", clierr.Usage(fmt.Sprintf("provider=%s needs %s=%s", provider, attr, what), fmt.Sprintf("-w provider=%s key=NAME namespace=NAMESPACE key-file=PATH%s", provider, map[bool]string{true: " padding=oaep-sha256"}[provider == providerRawRSA]))
		default:
			hint := ""
			if attr == "key" {
				hint = "give each local key its own -w group"
			}
			return "", clierr.Usage(fmt.Sprintf("provider=%s takes exactly one %s=, %d provided", provider, attr, len(v)), hint)
		}
	}
	s := &rawKeySpec{}
	var err error
	if s.name, err = one("key", "NAME"); err != nil {
		return nil, err
	}
	if s.namespace, err = one("namespace", "NAMESPACE"); err != nil {
		return nil, err
	}
	if s.namespace == providerKMS {
		return nil, clierr.Usagef(`provider=%s: the namespace "aws-kms" is reserved for AWS KMS keys`, provider)
	}
	if s.keyFile, err = one("key-file", "PATH"); err != nil {
		return nil, err
	}
	known := []string{"key", "namespace", "key-file"}
	if provider == providerRawRSA {
		known = append(known, "padding")
		p, err := one("padding", "pkcs1|oaep-sha1|oaep-sha256|oaep-sha384|oaep-sha512")
		if err != nil {
			return nil, err
		}
		if s.padding, err = keyring.ParsePadding(p); err != nil {
			return nil, clierr.Usage(fmt.Sprintf("provider=raw-rsa: unknown padding %q", p), "padding is one of pkcs1, oaep-sha1, oaep-sha256, oaep-sha384, oaep-sha512, and must be the one the message was encrypted with")
		}
	}
	for _, k := range sortedKeys(kv) {
		if !slices.Contains(known, k) {
			return nil, clierr.Usage(fmt.Sprintf("provider=%s: unknown attribute %q", provider, k), fmt.Sprintf("provider=%s takes %s", provider, strings.Join(known, "=, ")+"="))
		}
	}
	return s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// BuildKeyring makes the keyring of the -w groups: one keyring per group,
// combined in a multi-keyring whose generator is the first group's. All
// AWS KMS groups are handed to kmsKeyring together; their keyring takes the
// place of the first of them.
//
// kmsOpts are applied to every AWS KMS client (for example a user agent).
func BuildKeyring(ctx context.Context, specs []Spec, decrypt bool, warn func(string), kmsOpts ...func(*kms.Options)) (materials.Keyring, error) {
	var rings []materials.Keyring
	var kmsSpecs []kmsSpec
	kmsAt := -1
	for _, s := range specs {
		switch {
		case s.kms != nil:
			if kmsAt < 0 {
				kmsAt = len(rings)
				rings = append(rings, nil)
			}
			kmsSpecs = append(kmsSpecs, *s.kms)
		case s.aes != nil:
			kr, err := rawAESKeyring(s.aes)
			if err != nil {
				return nil, err
			}
			rings = append(rings, kr)
		case s.rsa != nil:
			kr, err := rawRSAKeyring(s.rsa, decrypt, warn)
			if err != nil {
				return nil, err
			}
			rings = append(rings, kr)
		case s.asym != nil:
			kr, err := s.asym.build(ctx, warn, kmsOpts)
			if err != nil {
				return nil, err
			}
			rings = append(rings, kr)
		case s.hier != nil:
			kr, err := hierarchyKeyring(ctx, s.hier, kmsOpts)
			if err != nil {
				return nil, err
			}
			rings = append(rings, kr)
		case s.extra != nil:
			kr, err := s.extra.Keyring(ctx, decrypt, warn)
			if err != nil {
				return nil, err
			}
			rings = append(rings, kr)
		}
	}
	if kmsAt >= 0 {
		kr, err := kmsKeyring(ctx, kmsSpecs, kmsOpts)
		if err != nil {
			return nil, err
		}
		rings[kmsAt] = kr
	}
	if len(rings) == 1 {
		return rings[0], nil
	}
	return keyring.NewMulti(rings[0], rings[1:]...)
}

// keyFileError reports a problem with a key file without quoting any of
// its content.
func keyFileError(s *rawKeySpec, format string, args ...any) error {
	return fmt.Errorf("-w key=%s: key-file %s: %s", s.name, s.keyFile, fmt.Sprintf(format, args...))
}

func readKeyFile(s *rawKeySpec) ([]byte, error) {
	path := s.keyFile
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, keyFileError(s, "%v", unwrapPathError(err))
	}
	return data, nil
}

// decodeBase64Key decodes data as standard base64 (padding optional),
// ignoring ASCII whitespace anywhere.
func decodeBase64Key(data []byte) ([]byte, bool) {
	clean := make([]byte, 0, len(data))
	for _, c := range data {
		if !isASCIISpace(c) {
			clean = append(clean, c)
		}
	}
	if len(clean) == 0 {
		return nil, false
	}
	if k, err := base64.StdEncoding.Strict().DecodeString(string(clean)); err == nil {
		return k, true
	}
	if k, err := base64.RawStdEncoding.Strict().DecodeString(string(clean)); err == nil {
		return k, true
	}
	return nil, false
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func validAESKeyLen(n int) bool { return n == 16 || n == 24 || n == 32 }

// parseAESKey reads an AES key file: the raw 16, 24 or 32 key bytes, or
// their base64. A file that is both (a 24- or 32-byte file made only of
// base64 characters) is refused rather than guessed.
func parseAESKey(data []byte) ([]byte, error) {
	b64, isB64 := decodeBase64Key(data)
	isB64 = isB64 && validAESKeyLen(len(b64))
	switch {
	case isB64 && validAESKeyLen(len(data)):
		return nil, clierr.WithHint(errors.New("ambiguous: it could be a raw key or base64"),
			"store the key as base64 followed by a newline (base64 -w0 key.bin > key.b64; echo >> key.b64)")
	case isB64:
		return b64, nil
	case validAESKeyLen(len(data)):
		return bytes.Clone(data), nil
	}
	return nil, clierr.WithHint(fmt.Errorf("holds %d bytes, which is neither a 16, 24 or 32-byte AES key nor its base64", len(data)),
		"make a key with: head -c 32 /dev/urandom | base64 > key.b64")
}

// keyParseError names the key file in a parsing error, keeping its hint.
func keyParseError(s *rawKeySpec, err error) error {
	if h := clierr.Hint(err); h != "" {
		return clierr.WithHint(keyFileError(s, "%v", err), h)
	}
	return keyFileError(s, "%v", err)
}

func rawAESKeyring(s *rawKeySpec) (materials.Keyring, error) {
	data, err := readKeyFile(s)
	if err != nil {
		return nil, err
	}
	key, err := parseAESKey(data)
	clear(data)
	if err != nil {
		return nil, keyParseError(s, err)
	}
	defer clear(key)
	kr, err := keyring.NewRawAES(s.namespace, s.name, key)
	if err != nil {
		return nil, fmt.Errorf("-w key=%s: %w", s.name, err)
	}
	return kr, nil
}

// parseRSAKey reads an RSA key file: PEM (PKCS #1 or PKCS #8 private key,
// PKIX or PKCS #1 public key), DER, or base64 of DER.
func parseRSAKey(data []byte) (*rsa.PublicKey, *rsa.PrivateKey, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		block, _ := pem.Decode(data)
		if block == nil {
			return nil, nil, errors.New("holds no PEM block")
		}
		//lint:ignore SA1019 only detects an encrypted key, to refuse it with a clear error
		if x509.IsEncryptedPEMBlock(block) || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, nil, clierr.WithHint(errors.New("holds an encrypted private key"), "decrypt it first, e.g. openssl pkey -in key.pem -out plain.pem")
		}
		if strings.Contains(block.Type, "PRIVATE KEY") {
			priv, err := keyring.ParseRSAPrivateKeyPEM(data)
			if err != nil {
				return nil, nil, errors.New("holds a private key that is not a PKCS #1 or PKCS #8 RSA key")
			}
			return &priv.PublicKey, priv, nil
		}
		pub, err := keyring.ParseRSAPublicKeyPEM(data)
		if err != nil {
			return nil, nil, errors.New("holds a public key that is not a PKIX or PKCS #1 RSA key")
		}
		return pub, nil, nil
	}
	der := data
	if b, ok := decodeBase64Key(data); ok {
		der = b
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if priv, ok := k.(*rsa.PrivateKey); ok {
			return &priv.PublicKey, priv, nil
		}
		return nil, nil, errors.New("holds a private key that is not an RSA key")
	}
	if priv, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return &priv.PublicKey, priv, nil
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		if pub, ok := k.(*rsa.PublicKey); ok {
			return pub, nil, nil
		}
		return nil, nil, errors.New("holds a public key that is not an RSA key")
	}
	if pub, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return pub, nil, nil
	}
	return nil, nil, clierr.WithHint(errors.New("holds no RSA key (PEM, DER or base64 of DER)"),
		"make a key pair with: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out private.pem")
}

func rawRSAKeyring(s *rawKeySpec, decrypt bool, warn func(string)) (materials.Keyring, error) {
	data, err := readKeyFile(s)
	if err != nil {
		return nil, err
	}
	pub, priv, err := parseRSAKey(data)
	clear(data)
	if err != nil {
		return nil, keyParseError(s, err)
	}
	if decrypt && priv == nil {
		warn(fmt.Sprintf("-w key=%s: key-file %s holds only a public key, which cannot decrypt", s.name, s.keyFile))
	}
	cfg := keyring.RawRSAConfig{Namespace: s.namespace, Name: s.name, Padding: s.padding, PublicKey: pub}
	if priv != nil {
		cfg.PrivateKey = crypto.Decrypter(priv)
	}
	kr, err := keyring.NewRawRSA(cfg)
	if err != nil {
		return nil, fmt.Errorf("-w key=%s: %w", s.name, err)
	}
	return kr, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
