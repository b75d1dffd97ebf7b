package pkcs11_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-esdk/esdk/pkcs11"
	p11 "github.com/miekg/pkcs11"
)

// The tokens TestMain initialises in a fresh SoftHSM2 store.
const (
	tokenLabel = "esdk-test"
	pinToken   = "esdk-pin" // only the wrong-PIN test opens it
	userPIN    = "2468-user-pin"
	soPIN      = "1357-so-pin"
)

// softhsmLib is the SoftHSM2 library path, or "" when it is not installed;
// skipReason then says where it was looked for.
var softhsmLib, skipReason string

// softhsmPaths are where distributions install libsofthsm2.so.
var softhsmPaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
	"/opt/homebrew/lib/softhsm/libsofthsm2.so",
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	paths := softhsmPaths
	if p := os.Getenv("SOFTHSM2_LIB"); p != "" {
		paths = []string{p}
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			softhsmLib = p
			break
		}
	}
	if softhsmLib == "" {
		skipReason = "SoftHSM2 is not installed: no libsofthsm2.so at " + strings.Join(paths, ", ") + " (install the softhsm2 package or set SOFTHSM2_LIB; scripts/test installs it)"
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "esdk-softhsm")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := initSoftHSM(dir); err != nil {
		fmt.Fprintln(os.Stderr, "initialise SoftHSM2:", err)
		return 1
	}
	return m.Run()
}

// initSoftHSM points SoftHSM2 at a configuration and token store in dir
// and initialises the test tokens with their SO and user PINs.
func initSoftHSM(dir string) error {
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	cfg := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return err
	}
	os.Setenv("SOFTHSM2_CONF", conf)
	ctx := p11.New(softhsmLib)
	if ctx == nil {
		return fmt.Errorf("cannot load %s", softhsmLib)
	}
	defer ctx.Destroy()
	if err := ctx.Initialize(); err != nil {
		return err
	}
	defer ctx.Finalize()
	for _, label := range []string{tokenLabel, pinToken} {
		slots, err := ctx.GetSlotList(true)
		if err != nil {
			return err
		}
		var free *uint
		for _, s := range slots {
			info, err := ctx.GetTokenInfo(s)
			if err == nil && info.Flags&p11.CKF_TOKEN_INITIALIZED == 0 {
				free = &s
				break
			}
		}
		if free == nil {
			return fmt.Errorf("no free slot for token %q", label)
		}
		if err := ctx.InitToken(*free, soPIN, label); err != nil {
			return fmt.Errorf("C_InitToken %q: %w", label, err)
		}
		// The slot list changes once a token is initialised.
		slots, err = ctx.GetSlotList(true)
		if err != nil {
			return err
		}
		for _, s := range slots {
			info, err := ctx.GetTokenInfo(s)
			if err != nil || strings.TrimRight(info.Label, " ") != label {
				continue
			}
			sh, err := ctx.OpenSession(s, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
			if err != nil {
				return err
			}
			if err := ctx.Login(sh, p11.CKU_SO, soPIN); err != nil {
				return err
			}
			if err := ctx.InitPIN(sh, userPIN); err != nil {
				return err
			}
			ctx.Logout(sh)
			ctx.CloseSession(sh)
		}
	}
	return nil
}

// needSoftHSM skips the test when SoftHSM2 is not installed.
func needSoftHSM(t testing.TB) {
	t.Helper()
	if softhsmLib == "" {
		t.Skip(skipReason)
	}
}

// openToken opens the test token and closes it when the test ends.
func openToken(t testing.TB) *pkcs11.Token {
	t.Helper()
	needSoftHSM(t)
	tok, err := pkcs11.Open(pkcs11.Config{ModulePath: softhsmLib, TokenLabel: tokenLabel, PIN: userPIN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tok.Close() })
	return tok
}

var keySeq atomic.Int64

// newRef returns a key reference no other test uses, and destroys its
// objects when the test ends.
func newRef(t testing.TB, tok *pkcs11.Token, kind string) pkcs11.KeyRef {
	t.Helper()
	n := keySeq.Add(1)
	r := pkcs11.KeyRef{Label: fmt.Sprintf("%s-%s-%d", t.Name(), kind, n), ID: []byte(fmt.Sprintf("id-%d", n))}
	t.Cleanup(func() { tok.DestroyKeys(context.Background(), r) })
	return r
}
