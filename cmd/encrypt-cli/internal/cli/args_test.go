package cli

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
