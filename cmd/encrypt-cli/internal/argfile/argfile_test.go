package argfile

import (
	"os"
	"slices"
	"testing"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
)

// fakeEnv is an Env over an in-memory file system.
func fakeEnv(files map[string]string, vars map[string]string) Env {
	return Env{
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
		got, err := Split(tc.line, false)
		if (err != nil) != tc.err || (!tc.err && !slices.Equal(got, tc.want)) {
			t.Errorf("shlex.split(%q) = %q, %v; want %q (error %v)", tc.line, got, err, tc.want, tc.err)
		}
	}
	if got, _ := Split("a` b c\\d", true); !slices.Equal(got, []string{"a b", `c\d`}) {
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
		if got := ExpandVars(ExpandUser(in, env), env); got != want {
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
	got, err := Expand([]string{"-e", "@a.conf", "-S"}, env)
	want := []string{"-e", "-w", "key=kk", "region=r", "-c", "x=1 2", "end", "-S"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"@missing", "@self.conf"} {
		if _, err := Expand([]string{bad}, env); !clierr.IsUsage(err) {
			t.Errorf("%s: %v, want a usage error", bad, err)
		}
	}
}

// Python's str.splitlines: every line boundary it knows, \r\n as one.
func TestSplitLines(t *testing.T) {
	got := SplitLines("a\nb\r\nc\rd\x0be\x0cf\x1cg\u2028h\u0085i\n\nj")
	want := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "", "j"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := SplitLines("x\n"); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("trailing newline: %q", got)
	}
}
