package main

// Test support for AWS KMS: two in-process KMS regions behind one
// endpoint, configured through the environment as a user would.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/go-esdk/esdk/keyring/awskms/awskmstest"
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

// kmsWorld is two in-process KMS regions: us-west-2 (keys A, B, D of
// account 444455556666, the MRK and alias/encrypt-cli-test) and us-east-1
// (key C and the MRK), reached through one endpoint URL that routes each
// request by the region it is signed for.
type kmsWorld struct {
	west, east *awskmstest.Server
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
	w := &kmsWorld{
		west: awskmstest.Start(t, "us-west-2", "testdata/kms/us-west-2.yaml"),
		east: awskmstest.Start(t, "us-east-1", "testdata/kms/us-east-1.yaml"),
	}
	b, err := os.ReadFile("testdata/kms/us-west-2-444455556666.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.west.Seed("444455556666", b); err != nil {
		t.Fatal(err)
	}
	router, err := awskmstest.NewRouter(w.west, w.east)
	if err != nil {
		t.Fatal(err)
	}
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
