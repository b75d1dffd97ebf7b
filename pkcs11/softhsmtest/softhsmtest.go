// Package softhsmtest sets up SoftHSM2 tokens for tests of code that uses
// package [github.com/go-esdk/esdk/pkcs11]: it finds the SoftHSM2 library,
// writes a SoftHSM2 configuration whose token store is a directory the
// caller owns (normally a temporary one), points SOFTHSM2_CONF at it and
// initialises tokens with an SO PIN and a user PIN.
//
// Tests should skip, with [Library]'s reason, only when the library is not
// installed.
package softhsmtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	p11 "github.com/miekg/pkcs11"
)

// ErrNotInstalled is returned by [Library] when SoftHSM2 is not installed.
var ErrNotInstalled = errors.New("softhsmtest: SoftHSM2 is not installed")

// Paths are where distributions install libsofthsm2.so; $SOFTHSM2_LIB,
// when set, replaces them.
var Paths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
	"/opt/homebrew/lib/softhsm/libsofthsm2.so",
}

// Library returns the path of the SoftHSM2 library, or an error wrapping
// ErrNotInstalled that names the paths it looked at.
func Library() (string, error) {
	paths := Paths
	if p := os.Getenv("SOFTHSM2_LIB"); p != "" {
		paths = []string{p}
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no libsofthsm2.so at %s (install the softhsm2 package or set SOFTHSM2_LIB; scripts/test installs it)", ErrNotInstalled, strings.Join(paths, ", "))
}

// Token is a token for [Setup] to initialise.
type Token struct {
	Label, SOPIN, UserPIN string
}

// Setup writes a SoftHSM2 configuration with its token store under dir,
// sets SOFTHSM2_CONF to it for the process, and initialises the tokens.
// Call it before the library is loaded by anything else in the process
// (SoftHSM2 reads its configuration when it is initialised), e.g. from
// TestMain. It returns the library path.
func Setup(dir string, tokens ...Token) (string, error) {
	lib, err := Library()
	if err != nil {
		return "", err
	}
	store := filepath.Join(dir, "tokens")
	if err := os.Mkdir(store, 0o700); err != nil {
		return "", err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	cfg := "directories.tokendir = " + store + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return "", err
	}
	if err := os.Setenv("SOFTHSM2_CONF", conf); err != nil {
		return "", err
	}
	ctx := p11.New(lib)
	if ctx == nil {
		return "", fmt.Errorf("softhsmtest: cannot load %s", lib)
	}
	defer ctx.Destroy()
	if err := ctx.Initialize(); err != nil {
		return "", fmt.Errorf("softhsmtest: C_Initialize: %w", err)
	}
	defer ctx.Finalize()
	for _, t := range tokens {
		if err := initToken(ctx, t); err != nil {
			return "", fmt.Errorf("softhsmtest: token %q: %w", t.Label, err)
		}
	}
	return lib, nil
}

// initToken initialises t in SoftHSM2's free slot and sets its user PIN.
func initToken(ctx *p11.Ctx, t Token) error {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return err
	}
	free, ok := uint(0), false
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		if err == nil && info.Flags&p11.CKF_TOKEN_INITIALIZED == 0 {
			free, ok = s, true
			break
		}
	}
	if !ok {
		return errors.New("no free slot")
	}
	if err := ctx.InitToken(free, t.SOPIN, t.Label); err != nil {
		return fmt.Errorf("C_InitToken: %w", err)
	}
	// SoftHSM2 moves an initialised token to a slot of its own.
	if slots, err = ctx.GetSlotList(true); err != nil {
		return err
	}
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		if err != nil || strings.TrimRight(info.Label, " ") != t.Label {
			continue
		}
		sh, err := ctx.OpenSession(s, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
		if err != nil {
			return err
		}
		defer ctx.CloseSession(sh)
		if err := ctx.Login(sh, p11.CKU_SO, t.SOPIN); err != nil {
			return fmt.Errorf("SO login: %w", err)
		}
		defer ctx.Logout(sh)
		if err := ctx.InitPIN(sh, t.UserPIN); err != nil {
			return fmt.Errorf("C_InitPIN: %w", err)
		}
		return nil
	}
	return errors.New("the initialised token is not in the slot list")
}
