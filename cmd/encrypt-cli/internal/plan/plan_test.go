package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each case is what the Python CLI's process_cli_request does with the
// same -i and -o (BadUserArgumentError messages included).
func TestPlan(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.txt", "b.txt", "tree/x", "tree/sub/y", "tree/.h"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "out"), 0o755)
	t.Chdir(dir)
	dot := ".x"
	for _, tc := range []struct {
		python string
		req    Request
		want   string // "src>dst" joined by spaces, or "error: ..."
	}{
		{"a file to a file", Request{Input: "a.txt", Output: "c.enc", Mode: "encrypt"}, "a.txt>c.enc"},
		{"a file into a directory: SOURCE.encrypted", Request{Input: "a.txt", Output: "out", Mode: "encrypt"}, "a.txt>out/a.txt.encrypted"},
		{"decrypt appends .decrypted", Request{Input: "a.txt", Output: "out", Mode: "decrypt"}, "a.txt>out/a.txt.decrypted"},
		{"--suffix", Request{Input: "a.txt", Output: "out", Mode: "encrypt", Suffix: &dot}, "a.txt>out/a.txt.x"},
		{"a glob into a directory", Request{Input: "*.txt", Output: "out", Mode: "encrypt"}, "a.txt>out/a.txt.encrypted b.txt>out/b.txt.encrypted"},
		{"stdin to stdout", Request{Input: "-", Output: "-", Mode: "encrypt"}, "->-"},
		{"-r mirrors the tree, files before subdirectories, dotfiles included", Request{Input: "tree", Output: "out", Mode: "encrypt", Recursive: true},
			"tree/.h>out/.h.encrypted tree/x>out/x.encrypted tree/sub/y>out/sub/y.encrypted"},
		{"a directory without -r is skipped", Request{Input: "tree", Output: "out", Mode: "encrypt"}, ""},
		{"several sources need a directory", Request{Input: "*.txt", Output: "c.enc", Mode: "encrypt"}, "error: If operating on multiple sources, destination must be an existing directory"},
		{"stdin cannot go to a directory", Request{Input: "-", Output: "out", Mode: "encrypt"}, "error: Destination may not be a directory when source is stdin"},
		{"no match", Request{Input: "*.none", Output: "out", Mode: "encrypt"}, "error: Invalid source.  Must be a valid pathname pattern or stdin (-)"},
		{"the parent of a file destination must exist", Request{Input: "a.txt", Output: "no/such/c", Mode: "encrypt"}, "error: If destination is a file, the immediate parent directory must already exist."},
		{"source and destination the same", Request{Input: "a.txt", Output: "./a.txt", Mode: "encrypt"}, "error: Destination and source cannot be the same"},
		{"metadata cannot be stdout with stdout output", Request{Input: "-", Output: "-", Mode: "encrypt", Metadata: "-"}, "error: Metadata output cannot be stdout when output is stdout"},
		{"metadata cannot be in the output directory", Request{Input: "a.txt", Output: "out", Mode: "encrypt", Metadata: "out/m.json"}, "error: Metadata output file cannot be in the output directory"},
	} {
		if tc.req.Metadata == "" {
			tc.req.Suppress = true
		}
		var warnings []string
		tc.req.Warn = func(s string) { warnings = append(warnings, s) }
		ops, err := Plan(tc.req)
		var got string
		if err != nil {
			got = "error: " + err.Error()
		} else {
			var parts []string
			for _, o := range ops {
				parts = append(parts, o.Src+">"+o.Dst)
			}
			got = strings.Join(parts, " ")
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q (warnings %q)", tc.python, got, tc.want, warnings)
		}
	}
}

// realpathByComponent is Realpath as first written: the whole path through
// filepath.EvalSymlinks, then shorter prefixes until one resolves. The
// Resolver must agree with it on every path.
func realpathByComponent(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	var tail []string
	cur := abs
	for {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(append([]string{r}, tail...)...)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		tail = append([]string{filepath.Base(cur)}, tail...)
		cur = parent
	}
}

func TestResolver(t *testing.T) {
	dir := t.TempDir()
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"a/b/file", "a/c/file", "other/x"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	links := map[string]string{
		"a/tob":       "b",                           // relative, to a directory
		"a/abs":       filepath.Join(real, "other"),  // absolute
		"a/chain":     "tob",                         // a link to a link
		"a/b/up":      "../c",                        // through ..
		"a/tofile":    "b/file",                      // to a file
		"a/dangling":  "nowhere",                     // to nothing
		"a/loop1":     "loop2",                       // a loop
		"a/loop2":     "loop1",                       //
		"a/b/deep":    "../../other/x",               // out of the tree
		"a/c/dirlink": filepath.Join(real, "a", "b"), // back in
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for _, rel := range []string{
		".", "a", "a/b", "a/b/file", "a/b/new", "a/new/deeper/file", "a/tob", "a/tob/file", "a/tob/new",
		"a/abs/x", "a/abs/y", "a/chain/file", "a/chain/up/file", "a/b/up/file", "a/tofile", "a/tofile/x",
		"a/dangling", "a/dangling/x", "a/loop1", "a/loop1/x", "a/b/deep", "a/c/dirlink/up/dirlink/file",
		"a/b/file/x/y", "a/./b/../c/file", "a/tob/../c/file", "no/such", "/",
	} {
		paths = append(paths, filepath.Join(dir, rel))
	}
	t.Chdir(filepath.Join(dir, "a", "tob"))
	paths = append(paths, "file", "new", "up/file", "../c/file", ".", "..", "../tob/up/../file")

	shared := new(Resolver)
	for round := range 2 { // the second round is answered from what the first remembered
		for _, p := range paths {
			want := realpathByComponent(p)
			if got := shared.Realpath(p); got != want {
				t.Errorf("round %d: Realpath(%q) = %q, want %q", round, p, got, want)
			}
			if got := Realpath(p); got != want {
				t.Errorf("Realpath(%q) alone = %q, want %q", p, got, want)
			}
		}
	}
}
