package cli

// Test support for AWS KMS: two KMS regions behind one endpoint,
// configured through the environment as a user would.
//
// The KMS is the project's test KMS (local-kms), which lives in a module of
// its own (kmstest/ at the repository root) so that this module does not
// depend on it. Each world starts it as a separate process, kmstest/cmd/
// kmstest, with `go run` from that module's directory (or the binary named
// by $ESDK_KMSTEST), and puts an in-process reverse proxy per region in
// front of it that records each request and can answer in the server's
// stead; one router sends each request to its region's proxy.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The keys of the seed files in testdata/kms.
const (
	kmsKeyA    = "arn:aws:kms:us-west-2:111122223333:key/d6f2e4ec-ac99-4efd-9e63-3bb74cc36098"
	kmsKeyAID  = "d6f2e4ec-ac99-4efd-9e63-3bb74cc36098"
	kmsAliasA  = "alias/encrypt-cli-test" // targets key A
	kmsKeyB    = "arn:aws:kms:us-west-2:111122223333:key/91b0f781-a8ad-4273-8666-caffd27f781a"
	kmsKeyC    = "arn:aws:kms:us-east-1:111122223333:key/d68371c7-b15c-45ba-a9e7-f1b07476b0a7"
	kmsKeyCID  = "d68371c7-b15c-45ba-a9e7-f1b07476b0a7"
	kmsKeyD    = "arn:aws:kms:us-west-2:444455556666:key/a0c39b58-4439-4240-9271-9dfda9e240da"
	kmsMRKWest = "arn:aws:kms:us-west-2:111122223333:key/mrk-caef43a7f4174c31a49129aa0c9def86"
	kmsMRKEast = "arn:aws:kms:us-east-1:111122223333:key/mrk-caef43a7f4174c31a49129aa0c9def86"
)

// kmsWorld is two KMS regions: us-west-2 (keys A, B, D of account
// 444455556666, the MRK and alias/encrypt-cli-test) and us-east-1 (key C
// and the MRK), reached through one endpoint URL that routes each request
// by the region it is signed for.
type kmsWorld struct {
	west, east *kmsServer
	// URL is the endpoint of both regions.
	URL string
	// Env is the environment that points an AWS SDK (Go or Python) at
	// the servers, with test credentials and us-west-2 as the default
	// region; setKMSEnv sets it for the test process.
	Env map[string]string
}

// awsEnvVars are the variables of the real environment that could send a
// test to AWS or change its configuration; the tests clear them.
var awsEnvVars = []string{
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
}

func newKMSWorld(t testing.TB) *kmsWorld {
	t.Helper()
	urls := startKMSTest(t,
		"us-west-2=testdata/kms/us-west-2.yaml",
		"us-west-2/444455556666=testdata/kms/us-west-2-444455556666.yaml",
		"us-east-1=testdata/kms/us-east-1.yaml")
	w := &kmsWorld{
		west: newKMSServer(t, "us-west-2", urls["us-west-2"]),
		east: newKMSServer(t, "us-east-1", urls["us-east-1"]),
	}
	router := httptest.NewServer(kmsRouter(w.west, w.east))
	t.Cleanup(router.Close)
	w.URL = router.URL

	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	credFile := filepath.Join(dir, "credentials")
	// Profile "east": another region and its own credentials.
	writeFile(t, cfgFile, "[profile east]\nregion = us-east-1\naws_access_key_id = AKIDEASTPROFILE\naws_secret_access_key = east-secret\n")
	writeFile(t, credFile, "")
	w.Env = map[string]string{
		"AWS_ENDPOINT_URL_KMS":        w.URL,
		"AWS_ACCESS_KEY_ID":           "AKIDENCRYPTCLITEST",
		"AWS_SECRET_ACCESS_KEY":       "encrypt-cli-test-secret",
		"AWS_REGION":                  "us-west-2",
		"AWS_DEFAULT_REGION":          "us-west-2",
		"AWS_CONFIG_FILE":             cfgFile,
		"AWS_SHARED_CREDENTIALS_FILE": credFile,
		"AWS_MAX_ATTEMPTS":            "1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"NO_PROXY":                    "127.0.0.1",
		"no_proxy":                    "127.0.0.1",
	}
	return w
}

// setEnv sets w.Env in the test process (so the test cannot be parallel)
// and clears the other AWS variables.
func (w *kmsWorld) setEnv(t *testing.T) {
	t.Helper()
	for _, k := range awsEnvVars {
		unsetenv(t, k)
	}
	for k, v := range w.Env {
		t.Setenv(k, v)
	}
}

// unsetenv unsets k for the duration of the test.
func unsetenv(t *testing.T, k string) {
	t.Helper()
	t.Setenv(k, "") // records the old value for the cleanup
	os.Unsetenv(k)
}

// reset forgets the requests both servers received.
func (w *kmsWorld) reset() {
	w.west.ResetCalls()
	w.east.ResetCalls()
}

// count is the number of requests for op (and keyID, if not empty) on
// both servers.
func (w *kmsWorld) count(op, keyID string) int {
	return w.west.Count(op, keyID) + w.east.Count(op, keyID)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// kmstestDir is the directory of the test KMS module, relative to this
// package.
const kmstestDir = "../../../../kmstest"

// startKMSTest starts the test KMS with the given kmstest arguments
// (REGION[/ACCOUNT][=SEEDFILE], seed files relative to this package),
// stops it when the test ends, and returns the URL of each region.
func startKMSTest(t testing.TB, args ...string) map[string]string {
	t.Helper()
	args = slices.Clone(args)
	for i, a := range args {
		if where, file, ok := strings.Cut(a, "="); ok {
			abs, err := filepath.Abs(file)
			if err != nil {
				t.Fatal(err)
			}
			args[i] = where + "=" + abs
		}
	}
	var cmd *exec.Cmd
	if bin := os.Getenv("ESDK_KMSTEST"); bin != "" {
		cmd = exec.Command(bin, args...)
	} else {
		if _, err := os.Stat(filepath.Join(kmstestDir, "go.mod")); err != nil {
			t.Skipf("the test KMS module (%s) is not here and $ESDK_KMSTEST is not set: %v", kmstestDir, err)
		}
		gobin, err := exec.LookPath("go")
		if err != nil {
			t.Fatalf("go command for the test KMS: %v", err)
		}
		cmd = exec.Command(gobin, append([]string{"run", "./cmd/kmstest"}, args...)...)
		cmd.Dir = kmstestDir
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the test KMS: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Closing its standard input stops the server, which then deletes its
	// data; a server that does not stop is killed.
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})

	// The first start compiles the server; later ones find it in the
	// build cache.
	regions := map[string]bool{}
	for _, a := range args {
		where, _, _ := strings.Cut(a, "=")
		region, _, _ := strings.Cut(where, "/")
		regions[region] = true
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
	}()
	urls := map[string]string{}
	timeout := time.After(5 * time.Minute)
	for len(urls) < len(regions) {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the test KMS exited before it was ready:\n%s", stderr.String())
			}
			region, u, ok := strings.Cut(line, " ")
			if !ok || !regions[region] || !strings.HasPrefix(u, "http://127.0.0.1:") {
				t.Fatalf("the test KMS wrote %q", line)
			}
			urls[region] = u
		case <-timeout:
			t.Fatalf("the test KMS did not start within 5 minutes:\n%s", stderr.String())
		}
	}
	return urls
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// kmsCall records one request a region received.
type kmsCall struct {
	// Op is the KMS operation, for example "Decrypt".
	Op string
	// KeyID is the request's KeyId as sent; empty if it had none.
	KeyID string
	// GrantTokens are the request's grant tokens.
	GrantTokens []string
}

// kmsInterceptor inspects a request before it is passed on to the test
// KMS. If it returns true it has written the whole response itself.
type kmsInterceptor func(w http.ResponseWriter, r *http.Request, c kmsCall) bool

// kmsServer is one region of the test KMS as the tests see it: a reverse
// proxy that records the requests and runs an interceptor.
type kmsServer struct {
	Region string
	proxy  *httputil.ReverseProxy

	mu          sync.Mutex
	calls       []kmsCall
	interceptor kmsInterceptor
}

func newKMSServer(t testing.TB, region, upstream string) *kmsServer {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	return &kmsServer{Region: region, proxy: httputil.NewSingleHostReverseProxy(u)}
}

// maxKMSRequest bounds the request bodies the proxy reads.
const maxKMSRequest = 1 << 20

func (s *kmsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxKMSRequest+1))
	if err != nil || len(body) > maxKMSRequest {
		writeKMSError(w, http.StatusBadRequest, "SerializationException", "request body unreadable or too large")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var c kmsCall
	if _, op, ok := strings.Cut(r.Header.Get("X-Amz-Target"), "."); ok {
		c.Op = op
	}
	var in struct {
		KeyId       string
		GrantTokens []string
	}
	_ = json.Unmarshal(body, &in)
	c.KeyID, c.GrantTokens = in.KeyId, in.GrantTokens
	s.mu.Lock()
	s.calls = append(s.calls, c)
	intercept := s.interceptor
	s.mu.Unlock()
	if intercept != nil && intercept(w, r, c) {
		return
	}
	s.proxy.ServeHTTP(w, r)
}

// SetInterceptor installs f (nil removes the current one).
func (s *kmsServer) SetInterceptor(f kmsInterceptor) {
	s.mu.Lock()
	s.interceptor = f
	s.mu.Unlock()
}

// Calls returns the requests received so far, in order.
func (s *kmsServer) Calls() []kmsCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Count returns how many requests for op (and keyID, if not empty) were
// received so far.
func (s *kmsServer) Count(op, keyID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Op == op && (keyID == "" || c.KeyID == keyID) {
			n++
		}
	}
	return n
}

// ResetCalls forgets the recorded requests.
func (s *kmsServer) ResetCalls() {
	s.mu.Lock()
	s.calls = nil
	s.mu.Unlock()
}

// kmsRouter sends each request to the server of the region in its SigV4
// credential scope (Authorization: ... Credential=AKID/DATE/REGION/kms/...),
// so that tools configured with one endpoint reach every region.
func kmsRouter(servers ...*kmsServer) http.Handler {
	byRegion := make(map[string]*kmsServer, len(servers))
	for _, s := range servers {
		byRegion[s.Region] = s
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region := sigV4Region(r.Header.Get("Authorization"))
		s, ok := byRegion[region]
		if !ok {
			writeKMSError(w, http.StatusBadRequest, "UnrecognizedClientException", "no test KMS server for region "+region)
			return
		}
		s.ServeHTTP(w, r)
	})
}

// sigV4Region returns the region of a SigV4 Authorization header, or "".
func sigV4Region(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}

// writeKMSError writes a KMS-style JSON error response.
func writeKMSError(w http.ResponseWriter, status int, errType, message string) {
	b, _ := json.Marshal(map[string]string{"__type": errType, "message": message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	w.Write(b)
}
