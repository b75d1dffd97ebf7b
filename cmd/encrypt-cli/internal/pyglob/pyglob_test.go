package pyglob

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

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
		if got := Compile(tc.pat).Match(tc.name); got != tc.want {
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
		got := Glob(pat)
		slices.Sort(got)
		if strings.Join(got, " ") != want {
			t.Errorf("glob(%q) = %q, want %q", pat, strings.Join(got, " "), want)
		}
	}
	abs := Glob(filepath.Join(dir, "d*", "x.*"))
	if len(abs) != 2 {
		t.Errorf("absolute pattern: %q", abs)
	}
}
