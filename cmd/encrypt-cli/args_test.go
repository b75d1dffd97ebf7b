package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/argfile"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
)

// fakeEnv is an argfile.Env over an in-memory file system.
func fakeEnv(files map[string]string, vars map[string]string) argfile.Env {
	return argfile.Env{
		ReadFile: func(name string) ([]byte, error) {
			if s, ok := files[name]; ok {
				return []byte(s), nil
			}
			return nil, os.ErrNotExist
		},
		LookupEnv: func(name string) (string, bool) { v, ok := vars[name]; return v, ok },
		HomeDir: func(user string) (string, bool) {
			if user == "" {
				return "/home/me", true
			}
			if user == "bob" {
				return "/home/bob/", true
			}
			return "", false
		},
	}
}

func TestParseArgsValues(t *testing.T) {
	env := fakeEnv(nil, nil)
	parse := func(a ...string) *rawOptions {
		t.Helper()
		o, err := parseArgs(a, env)
		if err != nil {
			t.Fatalf("%q: %v", a, err)
		}
		return o
	}
	o := parse("-d", "-S", "-i", "-", "-o", "-", "-w", "key=a", "key=b", "-w", "discovery=true", "-c", "a=1", "b", "--suffix", "-vvv", "-R")
	if o.action != "decrypt" || *o.input != "-" || *o.output != "-" || o.verbosity != 3 || !o.recursive || *o.suffix != "" {
		t.Fatalf("%+v", o)
	}
	if len(o.wrapping) != 2 || !slices.Equal(o.wrapping[0], []string{"key=a", "key=b"}) || !slices.Equal(o.encCtx, []string{"a=1", "b"}) {
		t.Fatalf("%+v", o)
	}
	o = parse("--encrypt", "--suppress-metadata", "--input=x", "-oy", "-w=key=k", "--frame-length", "-0", "--suffix=.x", "--max-length", " 1_0 ")
	if *o.input != "x" || *o.output != "y" || len(o.wrapping[0]) != 1 || *o.frameLen != 0 || *o.suffix != ".x" || *o.maxLength != 10 {
		t.Fatalf("%+v", o)
	}
	// A negative number is a value, not an option.
	if o := parse("-e", "-S", "-i", "x", "-o", "y", "-w", "key=k", "--frame-length", "-5"); *o.frameLen != -5 {
		t.Fatal("negative number")
	}
	if o := parse("-h"); !o.help {
		t.Fatal("-h")
	}
	if o := parse("--version", "--bogus"); !o.version {
		t.Fatal("--version acts at once, as argparse's version action does")
	}
}

func TestParseKMSSpec(t *testing.T) {
	specs, warnings, err := parseWrappingKeys([][]string{
		{"key=arn:aws:kms:us-east-1:111122223333:key/a", "key=alias/b", "region=us-east-1", "profile=p", "grant_tokens=x", "grant_tokens=y"},
		{"provider=aws-kms", "discovery=Yes", "discovery-account=1", "discovery-account=2", "discovery-partition=aws"},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	k0, k1 := specs[0].kms, specs[1].kms
	if !k0.Primary || k1.Primary || !k0.Decrypt || k0.Region != "us-east-1" || k0.Profile != "p" || len(k0.Keys) != 2 || !slices.Equal(k0.GrantTokens, []string{"x", "y"}) {
		t.Fatalf("%+v", k0)
	}
	if !k1.Discovery || !slices.Equal(k1.DiscoveryAccounts, []string{"1", "2"}) || k1.DiscoveryPartition != "aws" {
		t.Fatalf("%+v", k1)
	}
	joined := strings.Join(warnings, "\n")
	if !strings.Contains(joined, "key=alias/b: when decrypting") {
		t.Fatalf("warnings: %q", warnings)
	}
	// Unknown attributes fail, as they make the Python provider fail;
	// region_names= is the Python provider's own name for region=.
	// (reported by kmsKeyring, with exit status 1, as Python finds them
	// when it builds the provider).
	specs, _, err = parseWrappingKeys([][]string{{"key=k", "grant-token=x"}}, false)
	if err != nil || specs[0].kms.buildErr == nil || !strings.Contains(specs[0].kms.buildErr.Error(), `unknown AWS KMS attribute "grant-token"`) {
		t.Fatalf("unknown attribute: %v %+v", err, specs[0].kms)
	}
	specs, _, err = parseWrappingKeys([][]string{{"key=k", "region_names=eu-west-1", "region_names=us-east-1"}}, false)
	if err != nil || specs[0].kms.Region != "eu-west-1" {
		t.Fatalf("region_names: %v %+v", err, specs[0].kms)
	}
}

func TestParseCaching(t *testing.T) {
	c, err := parseCaching([]string{"capacity=10", "max_age=2.5", "max_messages_encrypted=3", "max_bytes_encrypted=1_000", "capacity=99"})
	if err != nil || *c != (cachingConfig{Capacity: 10, MaxAge: 2.5, MaxMessagesEncrypted: 3, MaxBytesEncrypted: 1000}) {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range [][]string{{"max_age=1"}, {"capacity=0", "max_age=1"}, {"capacity=1", "max_age=nan"}, {"capacity=1", "max_age=1", "x=1"}, {"capacity"}} {
		if _, err := parseCaching(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseRawKeys(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	if k, err := parseAESKey(key); err != nil || string(k) != string(key) {
		t.Fatal("raw key")
	}
	if _, err := parseAESKey([]byte("0123456789abcdef0123456789abcdef")); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("32 base64 characters: %v", err)
	}
	if _, _, err := parseRSAKey([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")); err == nil {
		t.Fatal("junk PEM accepted")
	}
}

// FuzzParseArgs checks that no command line makes the parser (or the
// checks after it) panic, and that every failure is a usage error.
func FuzzParseArgs(f *testing.F) {
	for _, seed := range []string{
		"-e -S -i x -o y -w provider=raw-aes key=k namespace=n key-file=f",
		"-d --metadata-output - -i - -o - -w discovery=true discovery-account=1 discovery-partition=aws -c a=1 b",
		"-eS -vvv --frame-len=0 -ix -oy -w=key=k --caching capacity=1 max_age=2 --suffix",
		"@args.conf -- -x",
		"-encrypt --en -- -5 -1.5 '-a b'",
		"--decrypt-unsigned -S -i - -o - -w key=arn:aws:kms:us-east-1:1:key/k --algorithm 0x0578 --commitment-policy forbid-encrypt-allow-decrypt",
	} {
		f.Add(seed, "-w key=$HOME ~/x \"q\" # c\n@args.conf")
	}
	f.Fuzz(func(t *testing.T, line, file string) {
		env := fakeEnv(map[string]string{"args.conf": file}, map[string]string{"HOME": "/h"})
		toks := strings.Split(line, " ")
		o, err := parseArgs(toks, env)
		if err != nil {
			if !clierr.IsUsage(err) {
				t.Fatalf("%q: not a usage error: %v", toks, err)
			}
			return
		}
		if o.help || o.version {
			return
		}
		if _, err := buildConfig(o); err != nil {
			if !clierr.IsUsage(err) {
				t.Fatalf("%q: not a usage error: %v", toks, err)
			}
		}
		_ = fmt.Sprint(o)
	})
}
