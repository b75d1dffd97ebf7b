package metadata

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/pyjson"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/materials"
)

func suite(t *testing.T, id algorithms.ID) algorithms.Suite {
	t.Helper()
	s, err := algorithms.Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The Python CLI's json_ready_header and json_ready_header_auth: base64
// fields, EDKs sorted by provider ID and info, "2.0"-style versions, type
// and header_iv_length only in format 1, the Python Algorithm names.
func TestHeader(t *testing.T) {
	v2 := &format.Header{
		Version: 2, Suite: suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384),
		MessageID:         bytes.Repeat([]byte{1}, 32),
		EncryptionContext: materials.EncryptionContext{"purpose": "test"},
		EncryptedDataKeys: []materials.EncryptedDataKey{
			{ProviderID: "raw", ProviderInfo: []byte("b"), Ciphertext: []byte{2}},
			{ProviderID: "raw", ProviderInfo: []byte("a"), Ciphertext: []byte{1}},
		},
		ContentType: format.Framed, FrameLength: 4096, SuiteData: bytes.Repeat([]byte{3}, 32),
	}
	got := string(pyjson.Marshal(Header(v2)))
	want := `{"algorithm": "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384", "commitment_key": "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=", "content_type": 2, ` +
		`"encrypted_data_keys": [{"encrypted_data_key": "AQ==", "key_provider": {"key_info": "YQ==", "provider_id": "cmF3"}}, {"encrypted_data_key": "Ag==", "key_provider": {"key_info": "Yg==", "provider_id": "cmF3"}}], ` +
		`"encryption_context": {"purpose": "test"}, "frame_length": 4096, "header_iv_length": null, "message_id": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "type": null, "version": "2.0"}`
	if got != want {
		t.Errorf("format 2:\ngot  %s\nwant %s", got, want)
	}
	v1 := &format.Header{Version: 1, Suite: suite(t, algorithms.AES_128_GCM_IV12_TAG16_NO_KDF), MessageID: make([]byte, 16), ContentType: format.NonFramed}
	got = string(pyjson.Marshal(Header(v1)))
	for _, part := range []string{`"algorithm": "AES_128_GCM_IV12_TAG16"`, `"type": 128`, `"header_iv_length": 12`, `"version": "1.0"`, `"encryption_context": {}`, `"encrypted_data_keys": []`, `"commitment_key": null`, `"content_type": 1`} {
		if !strings.Contains(got, part) {
			t.Errorf("format 1: %s lacks %s", got, part)
		}
	}
	if got := string(pyjson.Marshal(HeaderAuth(format.HeaderAuth{Tag: []byte{9}}))); got != `{"iv": "AAAAAAAAAAAAAAAA", "tag": "CQ=="}` {
		t.Errorf("format 2 header auth: %s", got)
	}
}

func TestSuiteNames(t *testing.T) {
	for _, s := range algorithms.All() {
		name := SuiteName(s.ID())
		if id, ok := ParseSuite(name); !ok || id != s.ID() {
			t.Errorf("%v: %q parses as %v, %v", s.ID(), name, id, ok)
		}
	}
	if _, ok := ParseSuite("AES_999"); ok {
		t.Error("unknown suite accepted")
	}
}

func TestSink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "meta.jsonl")
	os.WriteFile(path, []byte("old\n"), 0o644)
	for _, tc := range []struct {
		overwrite bool
		want      string
	}{{false, "old\n{\"a\": 1}\n{\"b\": 2}\n"}, {true, "{\"a\": 1}\n{\"b\": 2}\n"}} {
		os.WriteFile(path, []byte("old\n"), 0o644)
		s := &Sink{Path: path, Overwrite: tc.overwrite}
		if !s.Enabled() {
			t.Fatal("not enabled")
		}
		for _, o := range []pyjson.Object{{"a": 1}, {"b": 2}} {
			if err := s.Write(Line(o)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != tc.want {
			t.Errorf("overwrite=%v: %q, want %q", tc.overwrite, b, tc.want)
		}
	}
	// Nothing written: the file is not touched.
	untouched := filepath.Join(dir, "none.jsonl")
	if err := (&Sink{Path: untouched, Overwrite: true}).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(untouched); err == nil {
		t.Error("a sink with no line created its file")
	}
	var out bytes.Buffer
	s := &Sink{Path: "-", Stdout: &out}
	s.Write(Line(pyjson.Object{"x": "y"}))
	if out.String() != "{\"x\": \"y\"}\n" {
		t.Errorf("stdout: %q", out.String())
	}
	bad := &Sink{Path: filepath.Join(dir, "no/such/dir/m.jsonl")}
	if err := bad.Write(Line(pyjson.Object{})); err == nil || !strings.Contains(err.Error(), "metadata output") {
		t.Errorf("unwritable file: %v", err)
	}
	if (&Sink{}).Enabled() {
		t.Error("a sink without a path is enabled")
	}
}

// Inspect names raw AES keys by parsing their provider info.
func TestInspect(t *testing.T) {
	aesInfo := append([]byte("my-key"), 0, 0, 0, 128, 0, 0, 0, 12)
	aesInfo = append(aesInfo, make([]byte, 12)...)
	h := &format.Header{
		Version: 2, Suite: suite(t, algorithms.AES_256_GCM_HKDF_SHA512_COMMIT_KEY), MessageID: make([]byte, 32),
		EncryptedDataKeys: []materials.EncryptedDataKey{
			{ProviderID: "ns", ProviderInfo: aesInfo, Ciphertext: make([]byte, 48)},
			{ProviderID: "rsa-ns", ProviderInfo: []byte("rsa-key"), Ciphertext: make([]byte, 256)},
			{ProviderID: "aws-kms", ProviderInfo: []byte("arn:aws:kms:us-west-2:111122223333:key/k"), Ciphertext: make([]byte, 9)},
		},
		ContentType: format.Framed, FrameLength: 4096,
	}
	got := string(pyjson.Marshal(Inspect(h)))
	for _, part := range []string{`"key_name": "my-key"`, `"key_name": "rsa-key"`, `"key_info": "arn:aws:kms:us-west-2:111122223333:key/k"`, `"algorithm_id": "0x0478"`, `"committing": true`, `"signed": false`, `"content_type": "framed"`, `"ciphertext_length": 256`} {
		if !strings.Contains(got, part) {
			t.Errorf("%s lacks %s", got, part)
		}
	}
	if strings.Count(got, `"key_name"`) != 2 {
		t.Errorf("an aws-kms key got a key_name: %s", got)
	}
}
