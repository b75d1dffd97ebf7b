package pkcs11provider_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/keyconf"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/pkcs11provider"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
	"github.com/go-esdk/esdk/pkcs11"
	"github.com/go-esdk/esdk/pkcs11/softhsmtest"
)

const (
	tokenLabel = "esdk-cli"
	userPIN    = "8642-user"
	pinEnv     = "ESDK_TEST_TOKEN_PIN"
)

var softhsmLib, skipReason string

func TestMain(m *testing.M) {
	pkcs11provider.Register()
	pkcs11provider.Register() // twice is harmless
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := softhsmtest.Library(); err != nil {
		skipReason = err.Error()
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "esdk-softhsm")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if softhsmLib, err = softhsmtest.Setup(dir, softhsmtest.Token{Label: tokenLabel, SOPIN: "1111-so", UserPIN: userPIN}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

var bg = context.Background()

// token opens the test token for provisioning keys.
func token(t *testing.T) *pkcs11.Token {
	t.Helper()
	if softhsmLib == "" {
		t.Skip(skipReason)
	}
	tok, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: tokenLabel, PIN: userPIN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.Close() })
	return tok
}

// build parses and builds the -w groups as the CLI does.
func build(decrypt bool, groups ...[]string) (materials.Keyring, error) {
	specs, _, err := keyconf.ParseWrappingKeys(groups, decrypt)
	if err != nil {
		return nil, err
	}
	return keyconf.BuildKeyring(bg, specs, decrypt, func(string) {})
}

func group(key string, extra ...string) []string {
	return append([]string{"provider=pkcs11", "module=" + softhsmLib, "token=" + tokenLabel, "key=" + key, "pin-env=" + pinEnv, "namespace=hsm"}, extra...)
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		group []string
		want  string
	}{
		{[]string{"provider=pkcs11", "token=t", "key=k", "pin-env=P", "namespace=n", "name=m"}, "needs module="},
		{[]string{"provider=pkcs11", "module=m", "key=k", "pin-env=P", "namespace=n", "name=m"}, "exactly one of token=LABEL and slot=ID"},
		{[]string{"provider=pkcs11", "module=m", "token=t", "slot=1", "key=k", "pin-env=P", "namespace=n", "name=m"}, "exactly one of token=LABEL and slot=ID"},
		{[]string{"provider=pkcs11", "module=m", "slot=x", "key=k", "pin-env=P", "namespace=n", "name=m"}, "not a slot number"},
		{[]string{"provider=pkcs11", "module=m", "token=t", "key=k", "namespace=n", "name=m"}, "needs pin-env="},
		{[]string{"provider=pkcs11", "module=m", "token=t", "key=k", "pin-env=P", "namespace=aws-kms", "name=m"}, "reserved"},
		{[]string{"provider=pkcs11", "module=m", "token=t", "key=k", "key=k2", "pin-env=P", "namespace=n", "name=m"}, "exactly one key="},
		{[]string{"provider=pkcs11", "module=m", "token=t", "key=k", "pin-env=P", "namespace=n", "name=m", "padding=oaep"}, "unknown padding"},
		{[]string{"provider=pkcs11", "module=m", "token=t", "key=k", "pin=1234", "namespace=n", "name=m"}, `unknown attribute "pin"`},
	} {
		_, _, err := keyconf.ParseWrappingKeys([][]string{c.group}, false)
		if err == nil || !clierr.IsUsage(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want a usage error containing %q", c.group, err, c.want)
		}
	}
	specs, _, err := keyconf.ParseWrappingKeys([][]string{{"provider=pkcs11", "module=m", "slot=3", "key=k", "pin-env=P", "namespace=n", "name=m", "padding=oaep-sha256"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if s := specs[0].String(); !strings.Contains(s, "RSA oaep-sha256") || !strings.Contains(s, "slot 3") {
		t.Errorf("String: %q", s)
	}
}

func TestAESKeyThroughCLIOptions(t *testing.T) {
	tok := token(t)
	key := make([]byte, 32)
	rand.Read(key)
	ref := pkcs11.KeyRef{Label: "cli-aes"}
	if err := tok.ImportAESKey(bg, ref, key); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.DestroyKeys(bg, ref) })
	t.Setenv(pinEnv, userPIN)
	hsm, err := build(false, group("cli-aes", "name=k1"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.b64")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := build(true, []string{"provider=raw-aes", "key=k1", "namespace=hsm", "key-file=" + keyFile})
	if err != nil {
		t.Fatal(err)
	}
	pt := []byte("through the CLI's -w options")
	for _, dir := range []struct{ enc, dec materials.Keyring }{{hsm, raw}, {raw, hsm}} {
		ct, err := encryptsdk.New(dir.enc).EncryptBytes(bg, pt, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := encryptsdk.New(dir.dec).DecryptBytes(bg, ct, nil)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("cross-decrypt: %v", err)
		}
	}
}

func TestRSAKeyInMultiKeyring(t *testing.T) {
	tok := token(t)
	ref := pkcs11.KeyRef{Label: "cli-rsa"}
	if err := tok.GenerateRSAKeyPair(bg, ref, 2048); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.DestroyKeys(bg, ref) })
	keyFile := filepath.Join(t.TempDir(), "key.b64")
	aes := make([]byte, 32)
	rand.Read(aes)
	os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(aes)+"\n"), 0o600)
	t.Setenv(pinEnv, userPIN)
	rawGroup := []string{"provider=raw-aes", "key=local", "namespace=ns", "key-file=" + keyFile}
	multi, err := build(false, rawGroup, group("cli-rsa", "name=rsa", "padding=oaep-sha1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := multi.(*keyring.Multi); !ok {
		t.Fatalf("got a %T, want a multi-keyring", multi)
	}
	pt := []byte("either key alone decrypts")
	ct, err := encryptsdk.New(multi).EncryptBytes(bg, pt, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range [][]string{rawGroup, group("cli-rsa", "name=rsa", "padding=oaep-sha1")} {
		kr, err := build(true, g)
		if err != nil {
			t.Fatal(err)
		}
		if got, _, err := encryptsdk.New(kr).DecryptBytes(bg, ct, nil); err != nil || !bytes.Equal(got, pt) {
			t.Errorf("%v alone: %v", g[0], err)
		}
	}
}

func TestErrors(t *testing.T) {
	tok := token(t)
	ref := pkcs11.KeyRef{Label: "cli-aes-err"}
	if err := tok.GenerateAESKey(bg, ref, 256); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.DestroyKeys(bg, ref) })

	t.Setenv(pinEnv, "")
	_, err := build(false, group("cli-aes-err", "name=n"))
	if err == nil || !strings.Contains(err.Error(), "pin-env="+pinEnv) || clierr.Hint(err) == "" {
		t.Errorf("PIN variable empty: %v", err)
	}
	const wrong = "0000-wrong"
	t.Setenv(pinEnv, wrong)
	_, err = build(false, group("cli-aes-err", "name=n"))
	if !errors.Is(err, pkcs11.ErrWrongPIN) || strings.Contains(err.Error(), wrong) || strings.Contains(clierr.Hint(err), wrong) {
		t.Errorf("wrong PIN: %v (hint %q)", err, clierr.Hint(err))
	}
	t.Setenv(pinEnv, userPIN)
	for _, c := range []struct {
		group []string
		want  error
	}{
		{append(group("cli-aes-err", "name=n"), "padding=oaep-sha1"), pkcs11.ErrKeyNotFound},
		{group("no-such-key", "name=n"), pkcs11.ErrKeyNotFound},
		{[]string{"provider=pkcs11", "module=" + filepath.Join(t.TempDir(), "missing.so"), "token=" + tokenLabel, "key=k", "pin-env=" + pinEnv, "namespace=n", "name=n"}, pkcs11.ErrModule},
		{[]string{"provider=pkcs11", "module=" + softhsmLib, "token=no-such-token", "key=k", "pin-env=" + pinEnv, "namespace=n", "name=n"}, pkcs11.ErrTokenNotFound},
	} {
		_, err := build(false, c.group)
		if !errors.Is(err, c.want) || clierr.Hint(err) == "" || strings.Contains(err.Error(), userPIN) {
			t.Errorf("%q: %v (hint %q), want %v with a hint", c.group, err, clierr.Hint(err), c.want)
		}
	}
}
