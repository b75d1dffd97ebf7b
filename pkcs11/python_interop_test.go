package pkcs11_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/pkcs11"
)

// pythonDriver returns the Python interpreter of the virtualenv that
// interop/run installs (the official Python SDK, pinned) and the path of
// the interop driver. Without the virtualenv the test is skipped, unless
// $ESDK_REQUIRE_PYTHON_SDK is set (scripts/test sets it after interop/run
// has installed it), when the test fails.
func pythonDriver(t *testing.T) (python, driver string) {
	t.Helper()
	cache := os.Getenv("GO_ESDK_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(home, ".cache", "go-esdk")
	}
	python = filepath.Join(cache, "pyvenv-sdk", "bin", "python")
	driver, err := filepath.Abs(filepath.Join("..", "interop", "python", "driver.py"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{python, driver} {
		if _, err := os.Stat(p); err != nil {
			msg := fmt.Sprintf("the Python SDK's interop driver is not available (%v); interop/run installs the virtualenv (run from the repository root; needs python3 and PyPI)", err)
			if os.Getenv("ESDK_REQUIRE_PYTHON_SDK") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return python, driver
}

// pyJob is one job of the driver's batch mode (interop/README.md).
type pyJob struct {
	Op    string            `json:"op"`
	Keys  []map[string]any  `json:"keys"`
	Suite string            `json:"suite,omitempty"`
	Frame *int              `json:"frame,omitempty"`
	EC    map[string]string `json:"ec,omitempty"`
	In    string            `json:"in"`
	Out   string            `json:"out"`
}

// pyResult is what the driver reports for a job.
type pyResult struct {
	OK    bool              `json:"ok"`
	Error string            `json:"error"`
	Suite string            `json:"suite"`
	EC    map[string]string `json:"ec"`
}

// TestPythonInterop exchanges messages with the official Python SDK: a
// message wrapped by the token AES keyring (the key imported from known
// bytes, non-extractable) decrypts with the Python raw AES keyring holding
// the same bytes, and a message the Python raw AES keyring wraps decrypts
// with the token keyring, for each AES key size and for a signed and an
// unsigned committing suite. A Python keyring with other key bytes must
// fail to decrypt the token's message.
func TestPythonInterop(t *testing.T) {
	python, driver := pythonDriver(t)
	tok := openToken(t)
	dir := t.TempDir()
	const ns, name = "pkcs11-interop", "token-key"
	pt := randBytes(5000)
	ptFile := filepath.Join(dir, "plain")
	if err := os.WriteFile(ptFile, pt, 0o600); err != nil {
		t.Fatal(err)
	}
	frame := 1024

	// One case per key size and suite: Go encrypts goFile with the token
	// keyring, Python decrypts it (job 2i) and encrypts pyFile (job 2i+1).
	type exchange struct {
		what           string
		suite          algorithms.ID
		hsm            *pkcs11.AESKeyring
		goFile, pyFile string
	}
	var cases []exchange
	var jobs []pyJob
	for _, size := range []int{16, 24, 32} {
		key := randBytes(size)
		r := newRef(t, tok, fmt.Sprint("py", size))
		if err := tok.ImportAESKey(bg, r, key); err != nil {
			t.Fatal(err)
		}
		hsm, err := tok.NewAESKeyring(bg, ns, name, r)
		if err != nil {
			t.Fatal(err)
		}
		pyKey := []map[string]any{{"type": "raw-aes", "namespace": ns, "name": name, "key": base64.StdEncoding.EncodeToString(key)}}
		for _, s := range []algorithms.ID{0x0478, 0x0578} {
			c := exchange{
				what:   fmt.Sprintf("AES-%d, suite %04X", size*8, uint16(s)),
				suite:  s,
				hsm:    hsm,
				goFile: filepath.Join(dir, fmt.Sprintf("go-%d-%04x", size, uint16(s))),
				pyFile: filepath.Join(dir, fmt.Sprintf("py-%d-%04x", size, uint16(s))),
			}
			ct, err := encryptsdk.New(hsm).EncryptBytes(bg, pt, &encryptsdk.EncryptOptions{EncryptionContext: testEC, Suite: s, FrameLength: int64(frame)})
			if err != nil {
				t.Fatalf("%s: token encrypt: %v", c.what, err)
			}
			if err := os.WriteFile(c.goFile, ct, 0o600); err != nil {
				t.Fatal(err)
			}
			cases = append(cases, c)
			jobs = append(jobs,
				pyJob{Op: "decrypt", Keys: pyKey, In: c.goFile, Out: c.goFile + ".dec"},
				pyJob{Op: "encrypt", Keys: pyKey, Suite: fmt.Sprintf("0x%04x", uint16(s)), Frame: &frame, EC: testEC, In: ptFile, Out: c.pyFile})
		}
	}
	// The last job: other key bytes under the same name must not decrypt.
	other := []map[string]any{{"type": "raw-aes", "namespace": ns, "name": name, "key": base64.StdEncoding.EncodeToString(randBytes(32))}}
	jobs = append(jobs, pyJob{Op: "decrypt", Keys: other, In: cases[len(cases)-1].goFile, Out: filepath.Join(dir, "other.dec")})

	results := runPythonBatch(t, python, driver, dir, jobs)
	failures := 0
	fail := func(format string, args ...any) {
		t.Helper()
		failures++
		t.Errorf(format, args...)
	}
	for i, c := range cases {
		// Token → Python.
		if r := results[2*i]; !r.OK {
			fail("%s: Python decrypt of the token's message: %s", c.what, r.Error)
		} else if got, err := os.ReadFile(c.goFile + ".dec"); err != nil || !bytes.Equal(got, pt) {
			fail("%s: Python decrypt of the token's message: plaintext differs (%v)", c.what, err)
		} else if r.Suite != fmt.Sprintf("0x%04x", uint16(c.suite)) || !ecHas(r.EC, testEC) {
			fail("%s: Python saw suite %s and context %v", c.what, r.Suite, r.EC)
		}
		// Python → token.
		if r := results[2*i+1]; !r.OK {
			fail("%s: Python encrypt: %s", c.what, r.Error)
			continue
		}
		ct, err := os.ReadFile(c.pyFile)
		if err != nil {
			t.Fatal(err)
		}
		got, d, err := encryptsdk.New(c.hsm).DecryptBytes(bg, ct, nil)
		if err != nil || !bytes.Equal(got, pt) {
			fail("%s: token decrypt of the Python message: %v", c.what, err)
		} else if d.Suite().ID() != c.suite || !ecHas(d.EncryptionContext(), testEC) {
			fail("%s: the Python message has suite %v and context %v", c.what, d.Suite().ID(), d.EncryptionContext())
		}
	}
	if r := results[len(results)-1]; r.OK {
		fail("Python decrypted the token's message with other key bytes")
	}
	t.Logf("Python SDK: %d messages each way, %d failures", len(cases), failures)
}

// ecHas reports whether ec holds every pair of want.
func ecHas(ec, want map[string]string) bool {
	for k, v := range want {
		if got, ok := ec[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// runPythonBatch runs jobs in one driver process and returns its results,
// one per job.
func runPythonBatch(t *testing.T, python, driver, dir string, jobs []pyJob) []pyResult {
	t.Helper()
	jobsFile, resultsFile := filepath.Join(dir, "jobs.json"), filepath.Join(dir, "results.json")
	b, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jobsFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(python, driver, "batch", jobsFile, resultsFile).CombinedOutput(); err != nil {
		t.Fatalf("Python driver: %v\n%s", err, out)
	}
	if b, err = os.ReadFile(resultsFile); err != nil {
		t.Fatal(err)
	}
	var results []pyResult
	if err := json.Unmarshal(b, &results); err != nil || len(results) != len(jobs) {
		t.Fatalf("driver results: %v (%d results for %d jobs)", err, len(results), len(jobs))
	}
	return results
}
