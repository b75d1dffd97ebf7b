package cli

import (
	"encoding/json"
	"testing"
)

// The header authentication in decrypt metadata is the Decryptor's, the
// same that inspect reads from the message, for both message formats.
func TestMetadataHeaderAuthMatchesInspect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("p.txt", "header auth")
	for _, suite := range []string{"AES_256_GCM_HKDF_SHA512_COMMIT_KEY", "AES_256_GCM_IV12_TAG16_HKDF_SHA256"} {
		e.ok("", args("-e", "-i", e.path("p.txt"), "-o", e.path("m.enc"), "-S", "--algorithm", suite, "--commitment-policy", policyFor(suite), e.aesKey()))
		r := e.ok("", args("-d", "-i", e.path("m.enc"), "-o", e.path("m.out"), "--metadata-output", "-", "--commitment-policy", "require-encrypt-allow-decrypt", e.aesKey()))
		meta := metaLines(t, r.stdout)[0]
		var insp map[string]any
		if err := json.Unmarshal([]byte(e.ok("", "inspect", e.path("m.enc")).stdout), &insp); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"iv", "tag"} {
			got, want := field(meta, "header_auth", k), field(insp, "header_auth", k)
			if got == nil || got != want {
				t.Errorf("%s: header_auth.%s = %v in metadata, %v in inspect", suite, k, got, want)
			}
		}
	}
}

func policyFor(suite string) string {
	if suite == "AES_256_GCM_HKDF_SHA512_COMMIT_KEY" {
		return "require-encrypt-require-decrypt"
	}
	return "forbid-encrypt-allow-decrypt"
}
