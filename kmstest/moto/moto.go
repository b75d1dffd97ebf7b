// Package moto runs moto (github.com/getmoto/moto) in server mode on
// 127.0.0.1 for tests: one process serving Amazon DynamoDB and AWS KMS
// over HTTP, so that the AWS SDK's real requests (signing, JSON protocol,
// retries) are exercised. kmstest/moto/install.sh installs it (pinned)
// into a virtualenv; tests that call [Start] are skipped, saying why, when
// it is not installed.
//
// The server sits behind a counting proxy: [Server.Count] reports how
// many requests of an operation reached it, and [Server.Throttle] and
// [Server.Fail] answer the next requests of an operation with a
// throttling or other error, as DynamoDB and AWS KMS do under load or
// when a key policy refuses.
package moto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// Region is the region of the clients of [Server.DynamoDB] and
// [Server.KMS]; AccountID is moto's default account.
const (
	Region    = "us-west-2"
	AccountID = "123456789012"
)

// Operation names as [Server.Count] and [Server.Throttle] take them: the
// X-Amz-Target header of the JSON protocols.
const (
	GetItem            = "DynamoDB_20120810.GetItem"
	TransactWriteItems = "DynamoDB_20120810.TransactWriteItems"
	KMSDecrypt         = "TrentService.Decrypt"
	KMSReEncrypt       = "TrentService.ReEncrypt"
	KMSGenerateNoPlain = "TrentService.GenerateDataKeyWithoutPlaintext"
)

// Binary returns the path of moto_server in the virtualenv of
// install.sh ($GO_ESDK_PYVENV_MOTO, by default
// $HOME/.cache/go-esdk/pyvenv-moto).
func Binary() string {
	venv := os.Getenv("GO_ESDK_PYVENV_MOTO")
	if venv == "" {
		home, _ := os.UserHomeDir()
		venv = filepath.Join(home, ".cache", "go-esdk", "pyvenv-moto")
	}
	return filepath.Join(venv, "bin", "moto_server")
}

// Server is a running moto server behind a counting proxy.
type Server struct {
	// URL is the proxy's endpoint (http://127.0.0.1:port).
	URL string
	// MotoURL is moto's own endpoint, without the proxy.
	MotoURL string

	mu       sync.Mutex
	counts   map[string]int
	failures map[string]failure

	close     func()
	closeOnce sync.Once
}

// failure is an error the proxy answers instead of moto.
type failure struct {
	n       int
	errType string
}

// ErrNotInstalled is returned by [Run] when moto_server is not installed.
var ErrNotInstalled = errors.New("moto is not installed; kmstest/moto/install.sh installs it (scripts/test and interop/run run it)")

// Start starts moto and its proxy for one test and stops them when the
// test ends. It skips the test if moto is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Run()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Run starts moto and its proxy; [Server.Close] stops them.
func Run() (*Server, error) {
	bin := Binary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w (%s not found)", ErrNotInstalled, bin)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &logs}, &syncWriter{w: &logs}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stopMoto := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	motoURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(motoURL, exited, 60*time.Second); err != nil {
		stopMoto()
		return nil, fmt.Errorf("moto did not start: %w\n%s", err, logs.String())
	}
	s := &Server{MotoURL: motoURL, counts: map[string]int{}, failures: map[string]failure{}}
	target, _ := url.Parse(motoURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := r.Header.Get("X-Amz-Target")
		s.mu.Lock()
		s.counts[op]++
		f := s.failures[op]
		fail := f.n > 0
		if fail {
			f.n--
			s.failures[op] = f
		}
		s.mu.Unlock()
		if fail {
			io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
			writeError(w, op, f.errType)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	s.URL = ps.URL
	s.close = func() {
		ps.Close()
		stopMoto()
	}
	return s, nil
}

// Close stops the proxy and moto.
func (s *Server) Close() { s.closeOnce.Do(s.close) }

// writeError answers a request of operation op with an error of type
// errType ("" for the service's throttling error), in the JSON protocol
// of the service.
func writeError(w http.ResponseWriter, op, errType string) {
	if strings.HasPrefix(op, "DynamoDB_") {
		if errType == "" {
			errType = "ProvisionedThroughputExceededException"
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"answered by the test proxy"}`, errType)
		return
	}
	if errType == "" {
		errType = "ThrottlingException"
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":"%s","message":"answered by the test proxy"}`, errType)
}

// Count returns how many requests of operation op (an X-Amz-Target value
// such as [GetItem]) reached the proxy, throttled ones included.
func (s *Server) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// ResetCounts sets every count to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
}

// Throttle answers the next n requests of operation op with a throttling
// error (DynamoDB: ProvisionedThroughputExceededException; AWS KMS:
// ThrottlingException) instead of passing them to moto.
func (s *Server) Throttle(op string, n int) { s.Fail(op, n, "") }

// Fail answers the next n requests of operation op with an error of type
// errType (an AWS error code such as "AccessDeniedException"; "" means
// the service's throttling error) instead of passing them to moto: the
// answers moto cannot give, such as a key policy's refusal.
func (s *Server) Fail(op string, n int, errType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[op] = failure{n: n, errType: errType}
}

// Config returns an AWS config for the proxy: region [Region], static
// test credentials, and retry backoff shortened so that throttling tests
// are quick (the number of attempts stays the SDK's default).
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAMOTOTEST", "secret", ""),
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
	}
}

// DynamoDB returns a DynamoDB client of the proxy.
func (s *Server) DynamoDB(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(s.Config(), append([]func(*dynamodb.Options){func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(s.URL) }}, optFns...)...)
}

// KMS returns an AWS KMS client of the proxy.
func (s *Server) KMS(optFns ...func(*kms.Options)) *kms.Client {
	return kms.NewFromConfig(s.Config(), append([]func(*kms.Options){func(o *kms.Options) { o.BaseEndpoint = aws.String(s.URL) }}, optFns...)...)
}

// CreateKey creates a symmetric encryption key and returns its ARN.
func (s *Server) CreateKey(ctx context.Context) (string, error) {
	out, err := s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.KeyMetadata.Arn), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(u string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("moto_server exited")
		default:
		}
		resp, err := c.Get(u + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no answer from %s within %v", u, limit)
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
