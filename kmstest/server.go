// Package kmstest runs a KMS-compatible server in the current process,
// for tests of code that uses the AWS KMS keyrings of package
// [github.com/go-esdk/esdk/keyring/awskms] without an AWS account.
//
// The server is local-kms (github.com/nsmithuk/local-kms), served by
// [net/http/httptest] on 127.0.0.1 with a fresh data directory. It
// implements GenerateDataKey, Encrypt, Decrypt (enforcing the encryption
// context and the KeyId) and most other symmetric-key operations; it
// accepts any credentials and ignores grant tokens. Each [Server] is one
// region of one AWS account; keys of other accounts can be added to it
// with [Server.Seed]. A multi-Region key (MRK) is modelled as the same
// "mrk-…" key ID with the same key material added to the server of each
// region.
//
// local-kms has no key-agreement keys: the server owns those itself
// ([Server.AddECDHKey], or CreateKey with KeyUsage KEY_AGREEMENT) and
// answers DeriveSharedSecret (ECDH), GetPublicKey and DescribeKey for them
// in the JSON of AWS KMS, so that clients exercise the AWS SDK's real
// request path.
//
// Known differences from AWS KMS: a Decrypt whose KeyId names another key
// fails with InvalidCiphertextException rather than IncorrectKeyException
// (and only when the two keys have different material), multi-Region
// metadata and replication are not implemented, and some malformed
// requests are answered with HTTP 500. Tests should assert that such calls
// fail, not which error code they return.
//
// local-kms keeps its region and account in package variables. This
// package sets them for each request under a lock shared by all servers
// of the process, so several servers (regions) can run side by side, but
// requests are handled one at a time.
package kmstest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/nsmithuk/local-kms/src/cmk"
	lkconfig "github.com/nsmithuk/local-kms/src/config"
	"github.com/nsmithuk/local-kms/src/data"
	"github.com/nsmithuk/local-kms/src/handler"
	"github.com/sirupsen/logrus"
	"gopkg.in/yaml.v2"
)

// DefaultAccountID is the AWS account of a server created with an empty
// account ID.
const DefaultAccountID = "111122223333"

// maxRequestBody bounds the request bodies the server reads.
const maxRequestBody = 1 << 20

// global guards local-kms's package-level configuration (region and
// account) and serializes the requests of every server in the process.
var global sync.Mutex

// quiet is the logger handed to local-kms: it discards everything.
var quiet = func() *logrus.Logger {
	l := logrus.New()
	l.Out = io.Discard
	l.SetLevel(logrus.PanicLevel)
	return l
}()

// Call records one request a [Server] received.
type Call struct {
	// Op is the KMS operation, for example "Decrypt".
	Op string
	// KeyID is the request's KeyId as sent: a key ID, key ARN, alias name
	// or alias ARN; empty if the request had none.
	KeyID string
	// GrantTokens are the request's grant tokens (local-kms ignores them).
	GrantTokens []string
	// EncryptionAlgorithm is the request's EncryptionAlgorithm, for
	// example "RSAES_OAEP_SHA_256"; empty if the request had none.
	EncryptionAlgorithm string
}

// Interceptor inspects a request before the server handles it. If it
// returns true it has written the whole response itself and the request
// is not passed on to local-kms. It runs outside the server lock, so it
// may block (for example until r.Context() is done, to simulate a
// server that does not answer). It must be safe for concurrent use.
type Interceptor func(w http.ResponseWriter, r *http.Request, c Call) bool

// Server is one in-process KMS region. Its methods are safe for concurrent
// use.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:<port>.
	URL string
	// Region is the region that appears in the ARNs of the server's keys.
	Region string
	// AccountID is the account of the keys created by [Server.AddKey] or
	// by the CreateKey operation.
	AccountID string

	srv  *httptest.Server
	db   *data.Database
	dir  string
	done chan struct{}

	mu          sync.Mutex
	calls       []Call
	interceptor Interceptor
	closed      bool
	ecdhKeys    map[string]*ecdhKey // key ARN -> key-agreement key (ecdh.go)
}

// NewServer starts a server for region and accountID (empty means
// [DefaultAccountID]) on 127.0.0.1 with an empty key store in a new
// temporary directory. Call [Server.Close] to stop it and delete its data.
func NewServer(region, accountID string) (*Server, error) {
	if region == "" {
		return nil, errors.New("kmstest: region must not be empty")
	}
	if accountID == "" {
		accountID = DefaultAccountID
	}
	dir, err := os.MkdirTemp("", "kmstest-")
	if err != nil {
		return nil, fmt.Errorf("kmstest: %w", err)
	}
	db, err := openDatabase(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{Region: region, AccountID: accountID, db: db, dir: dir, done: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s, nil
}

func openDatabase(dir string) (db *data.Database, err error) {
	defer func() {
		if r := recover(); r != nil { // data.NewDatabase panics on failure
			err = fmt.Errorf("kmstest: opening key store: %v", r)
		}
	}()
	return data.NewDatabase(dir), nil
}

// Start is [NewServer] for tests: it seeds the server with the local-kms
// seed files named by seedFiles (in the server's account), stops the test
// on any error, and closes the server when the test ends.
func Start(tb testing.TB, region string, seedFiles ...string) *Server {
	tb.Helper()
	s, err := NewServer(region, "")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	for _, f := range seedFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		if err := s.Seed("", b); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
	}
	return s
}

// Close stops the server, waits for the requests in progress and deletes
// its data directory. Blocked interceptors are released: the request
// context of the requests they hold is done when Close is called.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
	global.Lock()
	s.db.Close()
	global.Unlock()
	os.RemoveAll(s.dir)
}

// Done returns a channel that is closed when [Server.Close] is called. An
// [Interceptor] that blocks should also stop waiting when it is closed.
func (s *Server) Done() <-chan struct{} { return s.done }

// SetInterceptor installs f (nil removes the current one).
func (s *Server) SetInterceptor(f Interceptor) {
	s.mu.Lock()
	s.interceptor = f
	s.mu.Unlock()
}

// Calls returns the requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Count returns how many requests for operation op (for example
// "Decrypt") were received so far, and for which keyID if keyID is not
// empty.
func (s *Server) Count(op, keyID string) int {
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
func (s *Server) ResetCalls() {
	s.mu.Lock()
	s.calls = nil
	s.mu.Unlock()
}

// Client returns a KMS client for the server: its region, static test
// credentials, and no retries (local-kms answers some bad requests with
// HTTP 500, which the SDK would otherwise retry).
func (s *Server) Client(optFns ...func(*kms.Options)) *kms.Client {
	cfg := AWSConfig()
	cfg.Region = s.Region
	return kms.NewFromConfig(cfg, append([]func(*kms.Options){s.endpoint}, optFns...)...)
}

func (s *Server) endpoint(o *kms.Options) { o.BaseEndpoint = aws.String(s.URL) }

// AWSConfig returns an [aws.Config] with static test credentials, no
// region and no retries, for use with [Endpoints].
func AWSConfig() aws.Config {
	return aws.Config{
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "SECRETTEST", Source: "kmstest"}, nil
		}),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// Endpoints returns a KMS client option that sends the requests of each
// server's region to that server. A client for any other region fails
// every request without leaving the machine. Use it with
// awskms.NewClientSupplier(kmstest.AWSConfig(), kmstest.Endpoints(…)).
func Endpoints(servers ...*Server) func(*kms.Options) {
	urls := make(map[string]string, len(servers))
	for _, s := range servers {
		urls[s.Region] = s.URL
	}
	return func(o *kms.Options) {
		if u, ok := urls[o.Region]; ok {
			o.BaseEndpoint = aws.String(u)
			return
		}
		o.BaseEndpoint = aws.String("http://127.0.0.1:1")
		o.HTTPClient = noServer(o.Region)
	}
}

type noServer string

func (r noServer) Do(*http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("kmstest: no server for region %q", string(r))
}

// seedFile is the local-kms seed file format.
type seedFile struct {
	Keys struct {
		Symmetric struct {
			Aes  []cmk.AesKey  `yaml:"Aes"`
			Hmac []cmk.HmacKey `yaml:"Hmac"`
		} `yaml:"Symmetric"`
		Asymmetric struct {
			Rsa []cmk.RsaKey `yaml:"Rsa"`
			Ecc []cmk.EccKey `yaml:"Ecc"`
		} `yaml:"Asymmetric"`
	} `yaml:"Keys"`
	Aliases []data.Alias `yaml:"Aliases"`
}

// Seed adds the keys and aliases of a local-kms seed file to the server,
// in account accountID (empty means the server's account). Key ARNs are
// arn:aws:kms:<region>:<account>:key/<KeyId>. Unlike local-kms itself,
// Seed fails on a file it cannot parse, and on a key or alias that
// already exists.
//
// The format (see the local-kms documentation; backing keys are 32-byte
// hex strings, the last one current):
//
//	Keys:
//	  Symmetric:
//	    Aes:
//	      - Metadata:
//	          KeyId: mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0
//	        BackingKeys:
//	          - 5b5fe7c7c7847d2464090fa8b733f6f714f3d0fc2eb234b496954b5fc22c42a7
//	Aliases:
//	  - AliasName: alias/example
//	    TargetKeyId: mrk-5f1e2d3c4b5a69788796a5b4c3d2e1f0
func (s *Server) Seed(accountID string, seedYAML []byte) error {
	if accountID == "" {
		accountID = s.AccountID
	}
	global.Lock()
	defer global.Unlock()
	s.configure(accountID)
	var f seedFile
	// cmk's UnmarshalYAML builds each key's ARN from the global config.
	if err := yaml.UnmarshalStrict(seedYAML, &f); err != nil {
		return fmt.Errorf("kmstest: seed: %w", err)
	}
	var keys []cmk.Key
	for i := range f.Keys.Symmetric.Aes {
		keys = append(keys, &f.Keys.Symmetric.Aes[i])
	}
	for i := range f.Keys.Symmetric.Hmac {
		keys = append(keys, &f.Keys.Symmetric.Hmac[i])
	}
	for i := range f.Keys.Asymmetric.Rsa {
		keys = append(keys, &f.Keys.Asymmetric.Rsa[i])
	}
	for i := range f.Keys.Asymmetric.Ecc {
		keys = append(keys, &f.Keys.Asymmetric.Ecc[i])
	}
	for _, k := range keys {
		if err := s.saveKey(k); err != nil {
			return err
		}
	}
	for _, a := range f.Aliases {
		if !strings.HasPrefix(a.AliasName, "alias/") || a.TargetKeyId == "" {
			return fmt.Errorf("kmstest: seed: alias %q needs a name starting with alias/ and a target key", a.AliasName)
		}
		a.AliasArn = lkconfig.ArnPrefix() + a.AliasName
		if _, err := s.db.LoadAlias(a.AliasArn); err == nil {
			return fmt.Errorf("kmstest: seed: alias %s already exists", a.AliasArn)
		}
		if err := s.db.SaveAlias(&a); err != nil {
			return fmt.Errorf("kmstest: seed: %w", err)
		}
	}
	return nil
}

func (s *Server) saveKey(k cmk.Key) error {
	if k.GetMetadata().KeyId == "" {
		return errors.New("kmstest: seed: key without a KeyId")
	}
	if _, err := s.db.LoadKey(k.GetArn()); err == nil {
		return fmt.Errorf("kmstest: seed: key %s already exists", k.GetArn())
	}
	if err := s.db.SaveKey(k); err != nil {
		return fmt.Errorf("kmstest: seed: %w", err)
	}
	return nil
}

// AddKey adds a symmetric encryption key with the given key ID and 32
// bytes of key material to the server's account and returns its ARN.
// To model a multi-Region key, add the same "mrk-…" key ID with the same
// material to the server of each region.
func (s *Server) AddKey(keyID string, material []byte) (string, error) {
	if keyID == "" || strings.ContainsAny(keyID, ":/") {
		return "", fmt.Errorf("kmstest: invalid key ID %q", keyID)
	}
	if len(material) != 32 {
		return "", fmt.Errorf("kmstest: key material must be 32 bytes, not %d", len(material))
	}
	global.Lock()
	defer global.Unlock()
	s.configure(s.AccountID)
	md := cmk.KeyMetadata{
		Arn:          lkconfig.ArnPrefix() + "key/" + keyID,
		KeyId:        keyID,
		AWSAccountId: s.AccountID,
		CreationDate: time.Now().Unix(),
		Enabled:      true,
		KeyManager:   "CUSTOMER",
		KeyState:     cmk.KeyStateEnabled,
		Origin:       cmk.KeyOriginAwsKms,
	}
	k := cmk.NewAesKey(md, "", cmk.KeyOriginAwsKms)
	k.BackingKeys = [][32]byte{[32]byte(material)}
	if err := s.saveKey(k); err != nil {
		return "", err
	}
	return md.Arn, nil
}

// configure points local-kms's globals at this server. The caller holds
// the global lock.
func (s *Server) configure(accountID string) {
	lkconfig.AWSRegion, lkconfig.AWSAccountId = s.Region, accountID
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		WriteError(w, http.StatusBadRequest, "SerializationException", "request body unreadable or too large")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var c Call
	if _, op, ok := strings.Cut(r.Header.Get("X-Amz-Target"), "."); ok {
		c.Op = op
	}
	var in struct {
		KeyId               string
		GrantTokens         []string
		EncryptionAlgorithm string
	}
	_ = json.Unmarshal(body, &in)
	c.KeyID, c.GrantTokens, c.EncryptionAlgorithm = in.KeyId, in.GrantTokens, in.EncryptionAlgorithm

	s.mu.Lock()
	s.calls = append(s.calls, c)
	intercept := s.interceptor
	s.mu.Unlock()
	if intercept != nil && intercept(w, r, c) {
		return
	}
	if r.Method != http.MethodPost || !strings.Contains(r.Header.Get("Content-Type"), "json") {
		WriteError(w, http.StatusBadRequest, "ValidationException", "expected a JSON POST request")
		return
	}

	if s.serveECDH(w, c.Op, body) {
		return
	}
	global.Lock()
	s.configure(s.AccountID)
	resp, ok := dispatch(handler.NewRequestHandler(r, quiet, s.db), c.Op)
	global.Unlock()
	if !ok {
		WriteError(w, http.StatusNotImplemented, "UnsupportedOperationException", "kmstest: operation "+c.Op+" is not implemented by local-kms")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(resp.Code)
	io.WriteString(w, resp.Body)
}

// dispatch calls the local-kms handler method named op, as local-kms's
// own server does.
func dispatch(h *handler.RequestHandler, op string) (handler.Response, bool) {
	if op == "" {
		return handler.Response{}, false
	}
	m := reflect.ValueOf(h).MethodByName(op)
	if !m.IsValid() || m.Type().NumIn() != 0 || m.Type().NumOut() != 1 {
		return handler.Response{}, false
	}
	resp, ok := m.Call(nil)[0].Interface().(handler.Response)
	return resp, ok
}

// WriteError writes a KMS-style JSON error response, for an
// [Interceptor]. errType is the exception name, for example
// "KMSInternalException"; the SDK reports it as the error code.
func WriteError(w http.ResponseWriter, status int, errType, message string) {
	b, _ := json.Marshal(map[string]string{"__type": errType, "message": message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	w.Write(b)
}
