package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, f *File, s string) {
	t.Helper()
	if _, err := f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	read := func(name string) string { b, _ := os.ReadFile(p(name)); return string(b) }

	// A new file appears only on commit.
	f, err := New(p("new"), false)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, "hello")
	if _, err := os.Stat(p("new")); err == nil {
		t.Fatal("visible before commit")
	}
	if err := f.Commit(); err != nil || read("new") != "hello" {
		t.Fatalf("commit: %v %q", err, read("new"))
	}

	// Abort keeps an existing file, and leaves no temporary file.
	f, _ = New(p("new"), false)
	write(t, f, "partial")
	f.Abort()
	if read("new") != "hello" {
		t.Fatal("abort changed the target")
	}
	if m, _ := filepath.Glob(p(".*.tmp")); len(m) != 0 {
		t.Fatalf("temporary files left: %q", m)
	}

	// Replacing keeps the target's permissions.
	os.Chmod(p("new"), 0o640)
	f, _ = New(p("new"), false)
	write(t, f, "again")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p("new")); fi.Mode().Perm() != 0o640 || read("new") != "again" {
		t.Fatalf("replaced file: %v %q", fi.Mode().Perm(), read("new"))
	}

	// Through a symbolic link, the link's target is replaced.
	os.Symlink("new", p("link"))
	f, err = New(p("link"), false)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, "via link")
	if err := f.Commit(); err != nil || read("new") != "via link" {
		t.Fatalf("through a link: %v %q", err, read("new"))
	}
	if fi, _ := os.Lstat(p("link")); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced by a file")
	}

	// Refused targets.
	os.Mkdir(p("dir"), 0o755)
	os.Symlink("missing", p("dangling"))
	for name, want := range map[string]string{"dir": "is a directory", "dangling": "symbolic link to a file that does not exist"} {
		if _, err := New(p(name), false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}

	// A device is written directly, and what reached it is counted.
	f, err = New(os.DevNull, false)
	if err != nil {
		t.Skip(err)
	}
	if !f.Direct() {
		t.Fatal("/dev/null is not written directly")
	}
	write(t, f, "12345")
	if f.Written() != 5 || f.Commit() != nil {
		t.Fatalf("direct: %d written", f.Written())
	}

	// --no-overwrite: a file that appears meanwhile is left alone.
	f, _ = New(p("late"), true)
	write(t, f, "mine")
	os.WriteFile(p("late"), []byte("theirs"), 0o644)
	if err := f.Commit(); !errors.Is(err, ErrSkippedExisting) || read("late") != "theirs" {
		t.Fatalf("no-clobber: %v %q", err, read("late"))
	}
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	read := func(name string) string { b, _ := os.ReadFile(p(name)); return string(b) }
	noTemp := func() {
		t.Helper()
		if m, _ := filepath.Glob(p(".*.tmp")); len(m) != 0 {
			t.Fatalf("temporary files left: %q", m)
		}
	}

	// A missing target, in a directory that does not exist yet.
	f := Create(p("sub/new"), false)
	write(t, f, "hello")
	if err := f.Commit(); err != nil || read("sub/new") != "hello" {
		t.Fatalf("commit: %v %q", err, read("sub/new"))
	}

	// A file that appears before the commit is replaced, or left alone
	// with noClobber.
	f = Create(p("late"), false)
	write(t, f, "mine")
	os.WriteFile(p("late"), []byte("theirs"), 0o644)
	if err := f.Commit(); err != nil || read("late") != "mine" {
		t.Fatalf("replace: %v %q", err, read("late"))
	}
	f = Create(p("late2"), true)
	write(t, f, "mine")
	os.WriteFile(p("late2"), []byte("theirs"), 0o644)
	if err := f.Commit(); !errors.Is(err, ErrSkippedExisting) || read("late2") != "theirs" {
		t.Fatalf("no-clobber: %v %q", err, read("late2"))
	}

	// A directory that appears before the commit is never replaced, empty
	// or not, and the temporary file goes.
	for _, full := range []bool{false, true} {
		f = Create(p("d"), false)
		write(t, f, "mine")
		os.Mkdir(p("d"), 0o755)
		if full {
			os.WriteFile(p("d/keep"), []byte("keep"), 0o644)
		}
		var le *os.LinkError
		if err := f.Commit(); !errors.As(err, &le) || le.Op != "rename" {
			t.Fatalf("a directory in the way (full %v): %v", full, err)
		}
		if fi, err := os.Stat(p("d")); err != nil || !fi.IsDir() || (full && read("d/keep") != "keep") {
			t.Fatalf("the directory was changed (full %v): %v", full, err)
		}
		noTemp()
		os.RemoveAll(p("d"))
	}
}
