// Package pkcs11provider adds the -w provider "pkcs11" to encrypt-cli:
// wrapping keys inside a PKCS #11 token (an HSM such as AWS CloudHSM),
// through module [github.com/go-esdk/esdk/pkcs11].
//
//	-w provider=pkcs11 module=PATH token=LABEL|slot=ID key=LABEL pin-env=VAR namespace=NS name=NAME [padding=P]
//
// key= is the token key's label (CKA_LABEL); name= and namespace= are the
// ESDK key name and namespace written into the message, as for raw-aes and
// raw-rsa. Without padding= the key is an AES key (the raw AES keyring's
// wire format, AES-GCM on the token); with padding=pkcs1|oaep-sha1|
// oaep-sha256|oaep-sha384|oaep-sha512 it is an RSA private key (the raw
// RSA keyring's wire format, decryption on the token). The user PIN is read
// from the environment variable pin-env names; it is never printed.
//
// It lives in a module of its own because PKCS #11 needs cgo, and it is
// reached by calling [Register] before the CLI parses its command line
// (the binary cmd/encrypt-cli-pkcs11 of this module does, then runs the
// CLI); the module's import path lies under cmd/encrypt-cli, so it may use
// the CLI's internal packages.
package pkcs11provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/keyconf"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
	"github.com/go-esdk/esdk/pkcs11"
)

// Name is the provider's name in -w provider=.
const Name = "pkcs11"

var registerOnce sync.Once

// Register adds the provider to the CLI's -w options. Calling it more than
// once is harmless.
func Register() {
	registerOnce.Do(func() { keyconf.RegisterProvider(Name, Parse) })
}

const usageLine = "-w provider=pkcs11 module=PATH token=LABEL key=LABEL pin-env=VAR namespace=NS name=NAME [padding=oaep-sha256]"

// group is one checked -w provider=pkcs11 group.
type group struct {
	module, token   string
	slot            *uint
	key             string
	pinEnv          string
	namespace, name string
	padding         keyring.Padding // 0 for an AES key
}

func (g *group) String() string {
	where := fmt.Sprintf("token %q", g.token)
	if g.slot != nil {
		where = fmt.Sprintf("slot %d", *g.slot)
	}
	kind := "AES"
	if g.padding != 0 {
		kind = "RSA " + g.padding.String()
	}
	return fmt.Sprintf("pkcs11 %s/%s (%s key %q in %s of %s)", g.namespace, g.name, kind, g.key, where, g.module)
}

// Parse checks the attributes of a -w provider=pkcs11 group.
func Parse(kv keyconf.KV, _ bool) (keyconf.Group, error) {
	known := []string{"module", "token", "slot", "key", "pin-env", "namespace", "name", "padding"}
	for k := range kv {
		if !slices.Contains(known, k) {
			return nil, clierr.Usage(fmt.Sprintf("provider=pkcs11: unknown attribute %q", k), "provider=pkcs11 takes "+strings.Join(known, "=, ")+"=")
		}
	}
	one := func(attr string, required bool) (string, error) {
		switch v := kv[attr]; len(v) {
		case 1:
			return v[0], nil
		case 0:
			if !required {
				return "", nil
			}
			return "", clierr.Usage(fmt.Sprintf("provider=pkcs11 needs %s=", attr), usageLine)
		default:
			return "", clierr.Usage(fmt.Sprintf("provider=pkcs11 takes exactly one %s=, %d provided", attr, len(v)), "give each token key its own -w group")
		}
	}
	g := &group{}
	var err error
	for _, f := range []struct {
		attr     string
		dst      *string
		required bool
	}{{"module", &g.module, true}, {"key", &g.key, true}, {"pin-env", &g.pinEnv, true}, {"namespace", &g.namespace, true}, {"name", &g.name, true}, {"token", &g.token, false}} {
		if *f.dst, err = one(f.attr, f.required); err != nil {
			return nil, err
		}
	}
	slot, err := one("slot", false)
	if err != nil {
		return nil, err
	}
	if (g.token == "") == (slot == "") {
		return nil, clierr.Usage("provider=pkcs11 needs exactly one of token=LABEL and slot=ID", usageLine)
	}
	if slot != "" {
		n, err := strconv.ParseUint(slot, 10, 0)
		if err != nil {
			return nil, clierr.Usagef("provider=pkcs11: slot=%s is not a slot number", slot)
		}
		s := uint(n)
		g.slot = &s
	}
	if g.namespace == "aws-kms" {
		return nil, clierr.Usagef(`provider=pkcs11: the namespace "aws-kms" is reserved for AWS KMS keys`)
	}
	padding, err := one("padding", false)
	if err != nil {
		return nil, err
	}
	if padding != "" {
		if g.padding, err = keyring.ParsePadding(padding); err != nil {
			return nil, clierr.Usage(fmt.Sprintf("provider=pkcs11: unknown padding %q", padding), "padding is one of pkcs1, oaep-sha1, oaep-sha256, oaep-sha384, oaep-sha512 (RSA keys only; none for an AES key)")
		}
	}
	return g, nil
}

// Keyring opens the token (it stays open for the life of the process)
// and returns the keyring of the group's key.
func (g *group) Keyring(ctx context.Context, _ bool, _ func(string)) (materials.Keyring, error) {
	pin, ok := os.LookupEnv(g.pinEnv)
	if !ok || pin == "" {
		return nil, clierr.WithHint(fmt.Errorf("-w provider=pkcs11 key=%s: pin-env=%s: the environment variable is not set", g.key, g.pinEnv),
			fmt.Sprintf("put the token's user PIN in %s (read -rs %s; export %s)", g.pinEnv, g.pinEnv, g.pinEnv))
	}
	tok, err := pkcs11.Open(pkcs11.Config{ModulePath: g.module, TokenLabel: g.token, Slot: g.slot, PIN: pin})
	if err != nil {
		return nil, g.explain(err)
	}
	ref := pkcs11.KeyRef{Label: g.key}
	var kr materials.Keyring
	if g.padding == 0 {
		kr, err = tok.NewAESKeyring(ctx, g.namespace, g.name, ref)
	} else {
		kr, err = tok.NewRSAKeyring(ctx, g.namespace, g.name, g.padding, ref)
	}
	if err != nil {
		tok.Close()
		return nil, g.explain(err)
	}
	return kr, nil
}

// explain adds a hint to the errors a user can fix.
func (g *group) explain(err error) error {
	err = fmt.Errorf("-w provider=pkcs11 key=%s: %w", g.key, err)
	switch {
	case errors.Is(err, pkcs11.ErrModule):
		return clierr.WithHint(err, "module= names the token's PKCS #11 library, e.g. /opt/cloudhsm/lib/libcloudhsm_pkcs11.so")
	case errors.Is(err, pkcs11.ErrWrongPIN):
		return clierr.WithHint(err, fmt.Sprintf("check the user PIN in %s", g.pinEnv))
	case errors.Is(err, pkcs11.ErrTokenNotFound):
		return clierr.WithHint(err, "token= is the token's label (see: softhsm2-util --show-slots, or your HSM's tools); slot= its slot number")
	case errors.Is(err, pkcs11.ErrKeyNotFound):
		kind := "an AES secret key (no padding=)"
		if g.padding != 0 {
			kind = "an RSA private key (with padding=)"
		}
		return clierr.WithHint(err, fmt.Sprintf("key= is the label (CKA_LABEL) of %s on the token", kind))
	case errors.Is(err, pkcs11.ErrUnsupportedMechanism):
		return clierr.WithHint(err, "the token does not offer this padding; use one it supports (SoftHSM2 2.6: pkcs1 or oaep-sha1)")
	}
	return err
}
