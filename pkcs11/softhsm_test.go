package pkcs11_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/go-esdk/esdk/pkcs11"
	"github.com/go-esdk/esdk/pkcs11/softhsmtest"
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

func TestMain(m *testing.M) {
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
	softhsmLib, err = softhsmtest.Setup(dir,
		softhsmtest.Token{Label: tokenLabel, SOPIN: soPIN, UserPIN: userPIN},
		softhsmtest.Token{Label: pinToken, SOPIN: soPIN, UserPIN: userPIN})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
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
