package cli

// AWS KMS wrapping keys and --caching, against two test KMS regions
// reached through AWS_ENDPOINT_URL_KMS. These tests set environment
// variables, so they do not run in parallel.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/materials"
)

// kmsEnv is a CLI env plus a KMS world whose environment is set.
func kmsEnv(t *testing.T) (*cliEnv, *kmsWorld) {
	t.Helper()
	w := newKMSWorld(t)
	w.setEnv(t)
	return newEnv(t), w
}

// edkARNs returns the key ARNs of the aws-kms encrypted data keys named
// in a metadata line.
func edkARNs(t *testing.T, m map[string]any) []string {
	t.Helper()
	var out []string
	list, _ := field(m, "header", "encrypted_data_keys").([]any)
	for _, e := range list {
		obj := e.(map[string]any)
		pid, _ := base64.StdEncoding.DecodeString(field(obj, "key_provider", "provider_id").(string))
		info, _ := base64.StdEncoding.DecodeString(field(obj, "key_provider", "key_info").(string))
		if string(pid) == "aws-kms" {
			out = append(out, string(info))
		}
	}
	return out
}

func TestKMSStrict(t *testing.T) {
	e, w := kmsEnv(t)
	e.write("p.txt", "kms plaintext")
	var mu sync.Mutex
	var agents []string
	w.west.SetInterceptor(func(_ http.ResponseWriter, r *http.Request, _ kmsCall) bool {
		mu.Lock()
		defer mu.Unlock()
		agents = append(agents, r.Header.Get("User-Agent"))
		return false
	})
	r := e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "--metadata-output", "-", "-c", "purpose=test", "-w", "key="+kmsKeyA)
	w.west.SetInterceptor(nil)
	if len(agents) != 1 || !strings.Contains(agents[0], "encrypt-cli/") {
		t.Fatalf("User-Agent: %q", agents)
	}
	if got := edkARNs(t, metaLines(t, r.stdout)[0]); !slices.Equal(got, []string{kmsKeyA}) {
		t.Fatalf("encrypted data keys: %v", got)
	}
	if n := w.west.Count("GenerateDataKey", kmsKeyA); n != 1 {
		t.Fatalf("GenerateDataKey calls: %d", n)
	}
	e.ok("", "-d", "-i", e.path("p.enc"), "-o", e.path("p.out"), "-S", "-c", "purpose=test", "-w", "key="+kmsKeyA)
	if e.read("p.out") != "kms plaintext" {
		t.Fatal("round trip")
	}
	if n := w.west.Count("Decrypt", kmsKeyA); n != 1 {
		t.Fatalf("Decrypt calls: %d", n)
	}

	// A strict keyring with another key does not decrypt, and sends no
	// request for a key it was not given.
	w.reset()
	e.fails(1, "error:", "", "-d", "-i", e.path("p.enc"), "-o", e.path("q.out"), "-S", "-w", "key="+kmsKeyB)
	if e.exists("q.out") || w.count("Decrypt", "") != 0 {
		t.Fatal("decrypted with the wrong key")
	}

	// Alias names and key IDs encrypt, in the group's region or the
	// default one; they never match on decrypt (with a warning).
	for _, keyArgs := range [][]string{
		{"key=" + kmsAliasA},
		{"key=" + kmsKeyAID, "region=us-west-2"},
		{"key=" + kmsKeyCID, "region=us-east-1"},
		{"key=arn:aws:kms:us-west-2:111122223333:" + kmsAliasA},
	} {
		w.reset()
		r := e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("a.enc"), "--metadata-output", "-", "-w", keyArgs)
		arns := edkARNs(t, metaLines(t, r.stdout)[0])
		if len(arns) != 1 || w.count("GenerateDataKey", strings.TrimPrefix(keyArgs[0], "key=")) != 1 {
			t.Fatalf("%v: %v", keyArgs, arns)
		}
		e.ok("", "-d", "-i", e.path("a.enc"), "-o", e.path("a.out"), "-S", "-w", "key="+arns[0])
		r = e.fails(1, "error:", "", "-d", "-i", e.path("a.enc"), "-o", e.path("a.out"), "-S", "-w", keyArgs)
		if !strings.Contains(r.stderr, "must be named by key ARN") || !strings.Contains(r.stderr, "hint:") {
			t.Fatalf("no hint about key ARNs:\n%s", r.stderr)
		}
	}

	// A key that does not exist fails the encryption, leaving no output.
	missing := "arn:aws:kms:us-west-2:111122223333:key/00000000-0000-0000-0000-000000000000"
	e.fails(1, "GenerateDataKey", "", "-e", "-i", e.path("p.txt"), "-o", e.path("m.enc"), "-S", "-w", "key="+missing)
	if e.exists("m.enc") {
		t.Fatal("output left behind")
	}
}

func TestKMSMultipleKeys(t *testing.T) {
	e, w := kmsEnv(t)
	e.write("p.txt", "several keys")
	// One group with keys in two regions, and the same as two groups: the
	// first key generates the data key, the others encrypt it.
	for _, keys := range [][]string{
		{"-w", "key=" + kmsKeyA, "key=" + kmsKeyC, "key=" + kmsMRKWest},
		{"-w", "key=" + kmsKeyA, "-w", "key=" + kmsKeyC, "key=" + kmsMRKWest},
		{"-w", "key=" + kmsKeyA, "-w", "key=" + kmsKeyC, "-w", "key=" + kmsMRKWest},
	} {
		w.reset()
		r := e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "--metadata-output", "-", keys)
		got := edkARNs(t, metaLines(t, r.stdout)[0])
		slices.Sort(got)
		want := []string{kmsKeyC, kmsKeyA, kmsMRKWest}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%v: encrypted data keys %v", keys, got)
		}
		if w.west.Count("GenerateDataKey", kmsKeyA) != 1 || w.east.Count("Encrypt", kmsKeyC) != 1 || w.west.Count("Encrypt", kmsMRKWest) != 1 || w.count("GenerateDataKey", "") != 1 {
			t.Fatalf("%v: calls %+v %+v", keys, w.west.Calls(), w.east.Calls())
		}
		// Each key alone decrypts.
		for _, k := range []string{kmsKeyA, kmsKeyC, kmsMRKWest} {
			e.ok("", "-d", "-i", e.path("p.enc"), "-o", e.path("p.out"), "-S", "-w", "key="+k)
			if e.read("p.out") != "several keys" {
				t.Fatal("round trip")
			}
		}
	}
	// Keys are tried in order on decrypt; a failing key is skipped.
	w.reset()
	e.ok("", "-d", "-i", e.path("p.enc"), "-o", e.path("p.out"), "-S", "-w", "key="+kmsKeyB, "-w", "key="+kmsKeyC)
	if w.count("Decrypt", "") != 1 || w.east.Count("Decrypt", kmsKeyC) != 1 {
		t.Fatalf("calls %+v %+v", w.west.Calls(), w.east.Calls())
	}
	// Two identifiers of one multi-Region key in a group are refused, as
	// the Python CLI does.
	e.fails(1, "same multi-Region key", "", "-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "-S", "-w", "key="+kmsMRKWest, "key="+kmsMRKEast)

	// KMS after a local key: the local key generates, KMS only encrypts;
	// a local key after KMS: KMS generates.
	w.reset()
	r := e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("mixed.enc"), "--metadata-output", "-", e.aesKey(), "-w", "key="+kmsKeyA, "key="+kmsKeyC)
	if got := edkARNs(t, metaLines(t, r.stdout)[0]); len(got) != 2 || w.count("GenerateDataKey", "") != 0 || w.count("Encrypt", "") != 2 {
		t.Fatalf("KMS as a child: %v, calls %+v %+v", got, w.west.Calls(), w.east.Calls())
	}
	e.ok("", "-d", "-i", e.path("mixed.enc"), "-o", e.path("m1.out"), "-S", "-w", "key="+kmsKeyC)
	e.ok("", "-d", "-i", e.path("mixed.enc"), "-o", e.path("m2.out"), "-S", e.aesKey())
	w.reset()
	e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("mixed2.enc"), "-S", "-w", "key="+kmsKeyA, e.aesKey(), "-w", "key="+kmsKeyB)
	if w.west.Count("GenerateDataKey", kmsKeyA) != 1 || w.west.Count("Encrypt", kmsKeyB) != 1 {
		t.Fatalf("KMS first: calls %+v", w.west.Calls())
	}
	e.ok("", "-d", "-i", e.path("mixed2.enc"), "-o", e.path("m3.out"), "-S", "-w", "key="+kmsKeyB)
	e.ok("", "-d", "-i", e.path("mixed2.enc"), "-o", e.path("m4.out"), "-S", e.aesKey())
	for _, f := range []string{"m1.out", "m2.out", "m3.out", "m4.out"} {
		if e.read(f) != "several keys" {
			t.Fatal(f)
		}
	}
}

func TestKMSDiscovery(t *testing.T) {
	e, w := kmsEnv(t)
	e.write("a.txt", "under A")
	e.write("c.txt", "under C")
	e.write("d.txt", "under D")
	e.ok("", "-e", "-i", e.path("a.txt"), "-o", e.path("a.enc"), "-S", "-w", "key="+kmsKeyA)
	e.ok("", "-e", "-i", e.path("c.txt"), "-o", e.path("c.enc"), "-S", "-w", "key="+kmsKeyC)
	e.ok("", "-e", "-i", e.path("d.txt"), "-o", e.path("d.enc"), "-S", "-w", "key="+kmsKeyD)

	// No region list: each key is used in the region of its ARN, whatever
	// the default region (us-west-2) or region= say.
	for _, extra := range [][]string{nil, {"region=us-east-1"}, {"region=eu-west-1"}} {
		for _, f := range []string{"a", "c", "d"} {
			w.reset()
			e.ok("", "-d", "-i", e.path(f+".enc"), "-o", e.path(f+".out"), "-S", "-w", "discovery=true", extra)
			if e.read(f+".out") != "under "+strings.ToUpper(f) {
				t.Fatal(f)
			}
			if w.count("Decrypt", "") != 1 || (f == "c") != (w.east.Count("Decrypt", kmsKeyC) == 1) {
				t.Fatalf("%s %v: calls %+v %+v", f, extra, w.west.Calls(), w.east.Calls())
			}
		}
	}

	// A filter limits the accounts; excluded keys cost no request.
	filter := []string{"-w", "discovery=true", "discovery-account=111122223333", "discovery-partition=aws"}
	e.ok("", "-d", "-i", e.path("a.enc"), "-o", e.path("fa.out"), "-S", filter)
	e.ok("", "-d", "-i", e.path("c.enc"), "-o", e.path("fc.out"), "-S", filter)
	w.reset()
	r := e.fails(1, "found no encrypted data key it may use", "", "-d", "-i", e.path("d.enc"), "-o", e.path("fd.out"), "-S", filter)
	if w.count("Decrypt", "") != 0 || e.exists("fd.out") || !strings.Contains(r.stderr, kmsKeyD) {
		t.Fatalf("filtered key used: %+v\n%s", w.west.Calls(), r.stderr)
	}
	e.ok("", "-d", "-i", e.path("d.enc"), "-o", e.path("fd.out"), "-S",
		"-w", "discovery=true", "discovery-account=111122223333", "discovery-account=444455556666", "discovery-partition=aws")
	w.reset()
	e.fails(1, "found no encrypted data key it may use", "", "-d", "-i", e.path("a.enc"), "-o", e.path("fp.out"), "-S",
		"-w", "discovery=true", "discovery-account=111122223333", "discovery-partition=aws-cn")
	if w.count("Decrypt", "") != 0 {
		t.Fatal("other partition used")
	}

	// Discovery after a strict group that fails; discovery=false needs keys.
	e.ok("", "-d", "-i", e.path("c.enc"), "-o", e.path("s.out"), "-S", "-w", "key="+kmsKeyB, "-w", "discovery=true")
	e.fails(2, "you must specify at least one wrapping key", "", "-d", "-i", e.path("c.enc"), "-o", e.path("s.out"), "-S", "-w", "discovery=false")
	// Discovery cannot encrypt.
	e.fails(2, "Discovery attributes are supported only on decryption", "", "-e", "-i", e.path("a.txt"), "-o", e.path("x.enc"), "-S", "-w", "discovery=true")
}

func TestKMSMultiRegionKeys(t *testing.T) {
	e, w := kmsEnv(t)
	e.write("p.txt", "multi-Region")
	e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("east.enc"), "-S", "-w", "key="+kmsMRKEast)
	if w.east.Count("GenerateDataKey", kmsMRKEast) != 1 {
		t.Fatal("not generated in us-east-1")
	}
	// Strict: the replica's ARN decrypts, in its own region.
	w.reset()
	e.ok("", "-d", "-i", e.path("east.enc"), "-o", e.path("p1.out"), "-S", "-w", "key="+kmsMRKWest)
	if w.west.Count("Decrypt", kmsMRKWest) != 1 || w.east.Count("Decrypt", "") != 0 {
		t.Fatalf("strict MRK: calls %+v %+v", w.west.Calls(), w.east.Calls())
	}
	// Discovery: a multi-Region key is used in the default region
	// (us-west-2) or region=, through the replica there.
	w.reset()
	e.ok("", "-d", "-i", e.path("east.enc"), "-o", e.path("p2.out"), "-S", "-w", "discovery=true")
	if w.west.Count("Decrypt", kmsMRKWest) != 1 || w.east.Count("Decrypt", "") != 0 {
		t.Fatalf("discovery MRK: calls %+v %+v", w.west.Calls(), w.east.Calls())
	}
	w.reset()
	e.ok("", "-d", "-i", e.path("east.enc"), "-o", e.path("p3.out"), "-S", "-w", "discovery=true", "region=us-east-1")
	if w.east.Count("Decrypt", kmsMRKEast) != 1 || w.west.Count("Decrypt", "") != 0 {
		t.Fatalf("discovery MRK in us-east-1: calls %+v %+v", w.west.Calls(), w.east.Calls())
	}
	// A region without a replica fails (no server there).
	e.fails(1, "error:", "", "-d", "-i", e.path("east.enc"), "-o", e.path("p4.out"), "-S", "-w", "discovery=true", "region=eu-west-1")
	for _, f := range []string{"p1.out", "p2.out", "p3.out"} {
		if e.read(f) != "multi-Region" {
			t.Fatal(f)
		}
	}
	// Without any region, discovery fails up front, as in Python (the
	// region for multi-Region keys must be known).
	unsetenv(t, "AWS_REGION")
	unsetenv(t, "AWS_DEFAULT_REGION")
	e.write("q.txt", "single-Region")
	e.ok("", "-e", "-i", e.path("q.txt"), "-o", e.path("c.enc"), "-S", "-w", "key="+kmsKeyC)
	for _, f := range []string{"east.enc", "c.enc"} {
		r := e.fails(1, "no AWS region to decrypt multi-Region keys in", "", "-d", "-i", e.path(f), "-o", e.path("p5.out"), "-S", "-w", "discovery=true")
		if !strings.Contains(r.stderr, "region=") {
			t.Fatalf("no hint:\n%s", r.stderr)
		}
	}
	e.ok("", "-d", "-i", e.path("c.enc"), "-o", e.path("p5.out"), "-S", "-w", "discovery=true", "region=eu-west-1")
}

func TestKMSProfilesAndRegions(t *testing.T) {
	e, w := kmsEnv(t)
	e.write("p.txt", "profiles")
	// As in botocore, AWS_REGION (AWS_DEFAULT_REGION for botocore) wins
	// over a profile's region; without it, the profile's region is used.
	unsetenv(t, "AWS_REGION")
	unsetenv(t, "AWS_DEFAULT_REGION")
	// profile=east: its region (us-east-1) places key C's bare ID.
	e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "-S", "-w", "key="+kmsKeyCID, "profile=east")
	if w.east.Count("GenerateDataKey", kmsKeyCID) != 1 {
		t.Fatal("profile region not used")
	}
	// region= overrides the profile's region.
	e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("p2.enc"), "-S", "-w", "key="+kmsKeyAID, "profile=east", "region=us-west-2")
	e.ok("", "-d", "-i", e.path("p2.enc"), "-o", e.path("p2.out"), "-S", "-w", "key="+kmsKeyA, "profile=east")
	// Groups with different profiles in one command.
	e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("p3.enc"), "-S", "-w", "key="+kmsKeyAID, "region=us-west-2", "-w", "key="+kmsKeyCID, "profile=east")
	e.ok("", "-d", "-i", e.path("p3.enc"), "-o", e.path("p3.out"), "-S", "-w", "key="+kmsKeyC)
	// A profile that does not exist.
	r := e.fails(1, "profile=nope", "", "-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "-S", "-w", "key="+kmsKeyA, "profile=nope")
	if !strings.Contains(r.stderr, "hint:") || e.exists("x.enc") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
	// No region anywhere: a key that is not an ARN cannot be placed.
	e.fails(1, "no AWS region for a key that is not an ARN", "", "-e", "-i", e.path("p.txt"), "-o", e.path("x.enc"), "-S", "-w", "key="+kmsAliasA)
	// ARNs need no default region.
	e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("p4.enc"), "-S", "-w", "key="+kmsKeyC)
	e.ok("", "-d", "-i", e.path("p4.enc"), "-o", e.path("p4.out"), "-S", "-w", "key="+kmsKeyC)
}

// TestKMSEndpointVariables checks that the endpoint comes from the AWS
// configuration as aws-sdk-go-v2 reads it: AWS_ENDPOINT_URL_KMS, else
// AWS_ENDPOINT_URL, else a shared config "services" section.
func TestKMSEndpointVariables(t *testing.T) {
	e, w := kmsEnv(t)
	e.write("p.txt", "endpoints")
	unsetenv(t, "AWS_ENDPOINT_URL_KMS")
	t.Setenv("AWS_ENDPOINT_URL", w.URL)
	e.ok("", "-e", "-i", e.path("p.txt"), "-o", e.path("p.enc"), "-S", "-w", "key="+kmsKeyA)
	// The service-specific variable wins over the general one.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_KMS", w.URL)
	e.ok("", "-d", "-i", e.path("p.enc"), "-o", e.path("p.out"), "-S", "-w", "key="+kmsKeyA)
	// A profile's services section.
	unsetenv(t, "AWS_ENDPOINT_URL")
	unsetenv(t, "AWS_ENDPOINT_URL_KMS")
	cfg := e.write("aws-config", fmt.Sprintf("[profile local]\nregion = us-west-2\naws_access_key_id = AKIDLOCAL\naws_secret_access_key = x\nservices = local-kms\n\n[services local-kms]\nkms =\n  endpoint_url = %s\n", w.URL))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	w.reset()
	e.ok("", "-d", "-i", e.path("p.enc"), "-o", e.path("p2.out"), "-S", "-w", "key="+kmsKeyA, "profile=local")
	if w.west.Count("Decrypt", kmsKeyA) != 1 || e.read("p2.out") != "endpoints" {
		t.Fatal("services section not used")
	}
}

// TestCachingReducesKMSCalls encrypts a directory of files in one run: with
// --caching the files share data keys within the limits given.
func TestCachingReducesKMSCalls(t *testing.T) {
	e, w := kmsEnv(t)
	const files = 20
	for i := range files {
		e.write(fmt.Sprintf("in/f%02d.txt", i), strings.Repeat(string(rune('a'+i)), 100))
	}
	for _, tc := range []struct {
		name    string
		caching []string
		jobs    string
		want    int // GenerateDataKey calls
	}{
		{"none", nil, "1", files},
		{"cached", []string{"--caching", "capacity=10", "max_age=60"}, "1", 1},
		{"cached-parallel", []string{"--caching", "capacity=10", "max_age=60"}, "4", 1},
		{"max-messages", []string{"--caching", "capacity=10", "max_age=60", "max_messages_encrypted=5"}, "1", 4},
		{"max-bytes", []string{"--caching", "capacity=10", "max_age=60", "max_bytes_encrypted=250"}, "1", 10},
		{"files-larger-than-max-bytes", []string{"--caching", "capacity=10", "max_age=60", "max_bytes_encrypted=99"}, "1", files},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.reset()
			out := "out-" + tc.name
			os.MkdirAll(e.path(out), 0o755)
			e.ok("", "-e", "-r", "-i", e.path("in"), "-o", e.path(out), "-S", "--jobs", tc.jobs, tc.caching, "-w", "key="+kmsKeyA, "key="+kmsKeyC)
			if n := w.west.Count("GenerateDataKey", ""); n != tc.want {
				t.Fatalf("GenerateDataKey calls: %d, want %d", n, tc.want)
			}
			if n := w.east.Count("Encrypt", ""); n != tc.want {
				t.Fatalf("Encrypt calls: %d, want %d", n, tc.want)
			}
			// Decrypt the directory, with and without caching.
			w.reset()
			dec := "dec-" + tc.name
			os.MkdirAll(e.path(dec), 0o755)
			e.ok("", "-d", "-r", "-i", e.path(out), "-o", e.path(dec), "-S", tc.caching, "-w", "key="+kmsKeyC)
			want := files
			if tc.caching != nil {
				want = tc.want // one Decrypt per distinct data key
			}
			if n := w.east.Count("Decrypt", ""); n != want {
				t.Fatalf("Decrypt calls: %d, want %d", n, want)
			}
			for i := range files {
				name := fmt.Sprintf("f%02d.txt", i)
				if e.read(dec+"/"+name+".encrypted.decrypted") != strings.Repeat(string(rune('a'+i)), 100) {
					t.Fatal(name)
				}
			}
		})
	}
	// Stdin has no known length, so it bypasses the cache.
	w.reset()
	e.ok("x", "-e", "-i", "-", "-o", e.path("stdin.enc"), "-S", "--caching", "capacity=1", "max_age=1", "-w", "key="+kmsKeyA)
	if w.west.Count("GenerateDataKey", "") != 1 {
		t.Fatal("stdin")
	}
}

func TestCachingLocalKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("in/a", "aaa")
	e.write("in/b", "bbb")
	os.MkdirAll(e.path("out"), 0o755)
	r := e.ok("", "-e", "-r", "-i", e.path("in"), "-o", e.path("out"), "--metadata-output", "-", "--caching", "capacity=10", "max_age=60.5", "max_messages_encrypted=5", "max_bytes_encrypted=1_000", e.aesKey())
	lines := metaLines(t, r.stdout)
	// The two messages share their data key: same encrypted data key.
	if len(lines) != 2 || fmt.Sprint(field(lines[0], "header", "encrypted_data_keys")) != fmt.Sprint(field(lines[1], "header", "encrypted_data_keys")) {
		t.Fatalf("data key not shared: %v", lines)
	}
	e.ok("", "-d", "-i", e.path("out/a.encrypted"), "-o", e.path("a.out"), "-S", "--caching", "capacity=1", "max_age=0.001", e.aesKey())
	if e.read("a.out") != "aaa" {
		t.Fatal("round trip")
	}
	e.fails(2, "max_messages_encrypted must be at most 2^32", "", "-e", "-i", e.path("in/a"), "-o", e.path("x"), "-S", "--caching", "capacity=1", "max_age=1", "max_messages_encrypted=4294967297", e.aesKey())
}

// TestKMSDiscoveryKeyringUnit covers what the CLI cannot easily produce
// with the keyring of a discovery=true group (awskms.AnyRegionDiscoveryKeyring,
// tested in full in its package): a message whose aws-kms key does not name
// a key ARN, and encryption.
func TestKMSDiscoveryKeyringUnit(t *testing.T) {
	t.Parallel()
	kr, _ := awskms.NewAnyRegionDiscoveryKeyring(awskms.ClientSupplierFunc(func(context.Context, string) (awskms.Client, error) {
		return nil, errors.New("no client in this test")
	}), "us-west-2", nil)
	_, err := kr.OnDecrypt(context.Background(), materials.DecryptionMaterials{}, []materials.EncryptedDataKey{
		{ProviderID: "aws-kms", ProviderInfo: []byte("alias/not-a-key-arn"), Ciphertext: []byte{1}},
	})
	if !errors.Is(err, awskms.ErrMalformedProviderInfo) {
		t.Fatalf("malformed provider info: %v", err)
	}
	_, err = kr.OnDecrypt(context.Background(), materials.DecryptionMaterials{}, []materials.EncryptedDataKey{
		{ProviderID: "raw", ProviderInfo: []byte("x"), Ciphertext: []byte{1}},
	})
	var nd *materials.NoDecryptableKeyError
	if !errors.As(err, &nd) || !strings.Contains(err.Error(), "no AWS KMS encrypted data key") {
		t.Fatalf("no aws-kms key: %v", err)
	}
	// With no region for multi-Region keys (kmsKeyring refuses that
	// configuration), such a key is reported, not sent anywhere.
	kr2, _ := awskms.NewAnyRegionDiscoveryKeyring(awskms.ClientSupplierFunc(func(context.Context, string) (awskms.Client, error) {
		t.Fatal("client asked for")
		return nil, nil
	}), "", nil)
	_, err = kr2.OnDecrypt(context.Background(), materials.DecryptionMaterials{}, []materials.EncryptedDataKey{
		{ProviderID: "aws-kms", ProviderInfo: []byte(kmsMRKEast), Ciphertext: []byte{1}},
	})
	if !errors.As(err, &nd) || !strings.Contains(fmt.Sprint(nd.Errs), "has no region to decrypt it in") {
		t.Fatalf("MRK without region: %v", err)
	}
	if _, err := kr.OnEncrypt(context.Background(), materials.EncryptionMaterials{}); !errors.Is(err, materials.ErrEncryptNotSupported) {
		t.Fatalf("encrypt: %v", err)
	}
}
