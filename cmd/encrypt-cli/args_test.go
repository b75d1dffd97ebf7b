package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeEnv is an argEnv over an in-memory file system.
func fakeEnv(files map[string]string, vars map[string]string) argEnv {
	return argEnv{
		readFile: func(name string) ([]byte, error) {
			if s, ok := files[name]; ok {
				return []byte(s), nil
			}
			return nil, os.ErrNotExist
		},
		lookupEnv: func(name string) (string, bool) { v, ok := vars[name]; return v, ok },
		homeDir: func(user string) (string, bool) {
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

// Expected values come from Python 3.11: shlex with the Python CLI's
// settings, os.path.expanduser and os.path.expandvars.
func TestShlexSplit(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
		err  bool
	}{
		{`-w key=a key=b`, []string{"-w", "key=a", "key=b"}, false},
		{`  spaced   out  `, []string{"spaced", "out"}, false},
		{`# all comment`, nil, false},
		{`a#b c`, []string{"a"}, false},
		{`a "#not" c`, []string{"a", "#not", "c"}, false},
		{`"two words" 'single "q"'`, []string{"two words", `single "q"`}, false},
		{`"esc \" quote" 'esc \' too'`, []string{`esc " quote`, `esc ' too`}, false},
		{`"keep \n backslash"`, []string{`keep \n backslash`}, false},
		{`out\ side \#x`, []string{"out side", "#x"}, false},
		{`''`, []string{""}, false},
		{`a''b "" c`, []string{"ab", "", "c"}, false},
		{`x="a b"y`, []string{"x=a by"}, false},
		{`"open`, nil, true},
		{`trailing\`, nil, true},
	} {
		got, err := shlexSplit(tc.line, false)
		if (err != nil) != tc.err || (!tc.err && !slices.Equal(got, tc.want)) {
			t.Errorf("shlexSplit(%q) = %q, %v; want %q (error %v)", tc.line, got, err, tc.want, tc.err)
		}
	}
	if got, _ := shlexSplit("a` b c\\d", true); !slices.Equal(got, []string{"a b", `c\d`}) {
		t.Errorf("windows escape: %q", got)
	}
}

func TestExpandUserAndVars(t *testing.T) {
	env := fakeEnv(nil, map[string]string{"KEY": "v", "EMPTY": "", "A_1": "x"})
	for in, want := range map[string]string{
		"~":             "/home/me",
		"~/k.pem":       "/home/me/k.pem",
		"~bob/k":        "/home/bob/k",
		"~nobody/k":     "~nobody/k",
		"key-file=~/k":  "key-file=~/k",
		"$KEY":          "v",
		"${KEY}x":       "vx",
		"$KEYx":         "$KEYx",
		"a$EMPTY-b":     "a-b",
		"$A_1.$UNSET.$": "x.$UNSET.$",
		"${}":           "${}",
		"${open":        "${open",
		"$$KEY":         "$v",
		"cost=$5":       "cost=$5",
	} {
		if got := expandVars(expandUser(in, env), env); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExpandArgFiles(t *testing.T) {
	env := fakeEnv(map[string]string{
		"a.conf":    "# comment\n-w key=$K\r\n  region=r # note\n@b.conf\n",
		"b.conf":    "-c 'x=1 2'\x0bend",
		"self.conf": "@self.conf",
	}, map[string]string{"K": "kk"})
	got, err := expandArgFiles([]string{"-e", "@a.conf", "-S"}, env, 0)
	want := []string{"-e", "-w", "key=kk", "region=r", "-c", "x=1 2", "end", "-S"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"@missing", "@self.conf"} {
		var ue *usageError
		if _, err := expandArgFiles([]string{bad}, env, 0); !errors.As(err, &ue) {
			t.Errorf("%s: %v, want a usage error", bad, err)
		}
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

func TestPyJSON(t *testing.T) {
	got := string(appendPyJSON(nil, jsonObject{
		"b": []any{1, nil, true, "x"}, "a": jsonObject{}, "é\"\\\n\x01\x7f😀": map[string]string{"z": "1", "y": "2"}, "l": []any{},
		"bad": "\xff",
	}, 0, 0))
	want := `{"a": {}, "b": [1, null, true, "x"], "bad": "\udcff", "l": [], "\u00e9\"\\\n\u0001\u007f\ud83d\ude00": {"y": "2", "z": "1"}}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	got = string(appendPyJSON(nil, jsonObject{"a": []any{1}, "b": jsonObject{"c": "d"}}, 2, 0))
	want = "{\n  \"a\": [\n    1\n  ],\n  \"b\": {\n    \"c\": \"d\"\n  }\n}"
	if got != want {
		t.Fatalf("indent: got\n%s\nwant\n%s", got, want)
	}
}

// Expected values from Python 3.11's fnmatch.fnmatchcase.
func TestFnmatch(t *testing.T) {
	for _, tc := range []struct {
		pat, name string
		want      bool
	}{
		{"*", "abc", true}, {"*.txt", "a.txt", true}, {"*.txt", "a.txtx", false},
		{"a?c", "abc", true}, {"a?c", "ac", false}, {"[abc]", "b", true}, {"[!abc]", "b", false},
		{"[!abc]", "d", true}, {"[^a]", "^", true}, {"[^a]", "b", false}, {"[a-c]", "b", true},
		{"[c-a]", "b", false}, {"[]]", "]", true}, {"[!]]", "]", false}, {"[a-]", "-", true},
		{"[-a]", "-", true}, {"[", "[", true}, {"[a", "[a", true}, {"[!]", "!", false}, {"[!]", "[!]", true},
		{"\\*", "\\x", true}, {"[\\]", "\\", true}, {"*a*b", "xxaxxb", true}, {"*a*b", "xxaxxbx", false},
		{"[[]", "[", true}, {"a[b-d-f]g", "a-g", true}, {"a[b-d-f]g", "aeg", false}, {"a[b-d-f]g", "afg", true},
		{"é?", "éé", true}, {"[z-a]x", "x", false}, {"[az-ab]", "b", true},
	} {
		if got := compileFnmatch(tc.pat).match(tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.name, tc.pat, got, tc.want)
		}
	}
}

// Expected values from Python 3.11's glob.glob over the same tree.
func TestPyGlob(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.txt", "b.txt", ".h.txt", "d1/x.txt", "d1/.y.txt", "d1/sub/z.txt", ".hid/q.txt", "d2/x.log", "br[1].txt", "b1.txt"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	os.Symlink("nowhere", filepath.Join(dir, "broken"))
	os.Symlink("d1", filepath.Join(dir, "linkdir"))
	t.Chdir(dir)
	for pat, want := range map[string]string{
		"*":          "a.txt b.txt b1.txt br[1].txt broken d1 d2 linkdir",
		"*.txt":      "a.txt b.txt b1.txt br[1].txt",
		".*":         ".h.txt .hid",
		"*/*.txt":    "d1/x.txt linkdir/x.txt",
		"*/.*":       "d1/.y.txt linkdir/.y.txt",
		"d1/":        "d1/",
		"*/":         "d1/ d2/ linkdir/",
		"[!a].txt":   "b.txt",
		"br[1].txt":  "",
		"b[0-9].txt": "b1.txt",
		"broken":     "broken",
		"nothere":    "",
		"d1//x.txt":  "d1//x.txt",
		"./*.txt":    "./a.txt ./b.txt ./b1.txt ./br[1].txt",
		"**/*.txt":   "d1/x.txt linkdir/x.txt",
		"*/sub/*":    "d1/sub/z.txt linkdir/sub/z.txt",
		"":           "",
	} {
		got := pyGlob(pat)
		slices.Sort(got)
		if strings.Join(got, " ") != want {
			t.Errorf("glob(%q) = %q, want %q", pat, strings.Join(got, " "), want)
		}
	}
	abs := pyGlob(filepath.Join(dir, "d*", "x.*"))
	if len(abs) != 2 {
		t.Errorf("absolute pattern: %q", abs)
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
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("%q: not a usage error: %v", toks, err)
			}
			return
		}
		if o.help || o.version {
			return
		}
		if _, err := buildConfig(o); err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("%q: not a usage error: %v", toks, err)
			}
		}
		_ = fmt.Sprint(o)
	})
}
