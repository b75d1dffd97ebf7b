package cli

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"testing"
)

// On decrypt the CLI accepts at most defaultMaxEDKs encrypted data keys
// unless --max-encrypted-data-keys says otherwise, so that a hostile
// message cannot make it try thousands of keys (each one a KMS call).
// Encryption is unchanged: the user names the keys.
func TestDefaultMaxEncryptedDataKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "many keys")
	keys := func(n int) []string {
		var out []string
		for i := range n {
			name := fmt.Sprintf("k%d.key", i)
			e.write(name, base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(i + 1)}, 32))+"\n")
			out = append(out, "-w", "provider=raw-aes", fmt.Sprintf("key=k%d", i), "namespace=many", "key-file="+e.path(name))
		}
		return out
	}
	first := keys(1)
	// Encrypting for more keys than the decrypt default needs no flag.
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("over.enc"), "-S", keys(defaultMaxEDKs+1)))
	e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("at.enc"), "-S", keys(defaultMaxEDKs)))

	r := e.fails(1, "too many encrypted data keys", "", args("-d", "-i", e.path("over.enc"), "-o", e.path("x.out"), "-S", first))
	if e.exists("x.out") {
		t.Fatal("output written")
	}
	want := "--max-encrypted-data-keys " + strconv.Itoa(defaultMaxEDKs)
	if !bytes.Contains([]byte(r.stderr), []byte(want)) {
		t.Fatalf("the hint does not name the default (%q):\n%s", want, r.stderr)
	}
	e.ok("", args("-d", "-i", e.path("at.enc"), "-o", e.path("at.out"), "-S", first))
	e.ok("", args("-d", "-i", e.path("over.enc"), "-o", e.path("over.out"), "-S", "--max-encrypted-data-keys", strconv.Itoa(defaultMaxEDKs+1), first))
	if e.read("at.out") != "many keys" || e.read("over.out") != "many keys" {
		t.Fatal("round trip")
	}
}
