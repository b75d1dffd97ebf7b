package algorithms_test

import (
	"testing"

	"github.com/go-esdk/esdk/algorithms"
)

func TestCommitmentPolicyTable(t *testing.T) {
	type want struct {
		name              string
		encryptCommitting bool // committing suites may encrypt
		encryptLegacy     bool // non-committing suites may encrypt
		decryptLegacy     bool // non-committing suites may decrypt
		def               algorithms.ID
	}
	table := map[algorithms.CommitmentPolicy]want{
		algorithms.RequireEncryptRequireDecrypt: {"REQUIRE_ENCRYPT_REQUIRE_DECRYPT", true, false, false, 0x0578},
		algorithms.RequireEncryptAllowDecrypt:   {"REQUIRE_ENCRYPT_ALLOW_DECRYPT", true, false, true, 0x0578},
		algorithms.ForbidEncryptAllowDecrypt:    {"FORBID_ENCRYPT_ALLOW_DECRYPT", false, true, true, 0x0378},
	}
	var zero algorithms.CommitmentPolicy
	if zero != algorithms.RequireEncryptRequireDecrypt {
		t.Error("the zero CommitmentPolicy is not RequireEncryptRequireDecrypt")
	}
	for p, w := range table {
		if !p.Valid() {
			t.Errorf("%v: Valid() = false", p)
		}
		if p.String() != w.name {
			t.Errorf("String() = %q, want %q", p.String(), w.name)
		}
		if p.DefaultSuite() != w.def {
			t.Errorf("%v: DefaultSuite() = %v, want %v", p, p.DefaultSuite(), w.def)
		}
		def := mustLookup(t, p.DefaultSuite())
		if !p.AllowsEncrypt(def) {
			t.Errorf("%v: does not allow encrypting with its own default suite", p)
		}
		for _, s := range algorithms.All() {
			wantEnc := w.encryptLegacy
			wantDec := w.decryptLegacy
			if s.Committing() {
				wantEnc = w.encryptCommitting
				wantDec = true // every policy decrypts committing suites
			}
			if got := p.AllowsEncrypt(s); got != wantEnc {
				t.Errorf("%v.AllowsEncrypt(%v) = %v, want %v", p, s, got, wantEnc)
			}
			if got := p.AllowsDecrypt(s); got != wantDec {
				t.Errorf("%v.AllowsDecrypt(%v) = %v, want %v", p, s, got, wantDec)
			}
		}
		for _, in := range []string{w.name, toLower(w.name), dashes(w.name), dashes(toLower(w.name))} {
			got, err := algorithms.ParseCommitmentPolicy(in)
			if err != nil || got != p {
				t.Errorf("ParseCommitmentPolicy(%q) = %v, %v; want %v", in, got, err, p)
			}
		}
	}
	for _, p := range []algorithms.CommitmentPolicy{-1, 3, 100} {
		if p.Valid() {
			t.Errorf("CommitmentPolicy(%d).Valid() = true", int(p))
		}
		if got, want := p.String(), "CommitmentPolicy("+itoa(int(p))+")"; got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
	for _, in := range []string{"", "REQUIRE", "REQUIRE_ENCRYPT", "FORBID_ENCRYPT_ALLOW_DECRYPT_", " FORBID_ENCRYPT_ALLOW_DECRYPT",
		"FORBID ENCRYPT ALLOW DECRYPT", "FORBID_ENCRYPT_REQUIRE_DECRYPT", "0", "ＦORBID_ENCRYPT_ALLOW_DECRYPT"} {
		if got, err := algorithms.ParseCommitmentPolicy(in); err == nil {
			t.Errorf("ParseCommitmentPolicy(%q) = %v, want an error", in, got)
		}
	}
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func dashes(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}

func itoa(n int) string {
	if n < 0 {
		return "-" + itoa(-n)
	}
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
