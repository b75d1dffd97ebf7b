// Package outfile writes encrypt-cli's output files: to a temporary file
// that replaces the target only when the operation succeeded, after the
// kernel agreed that the user may write the target.
package outfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/fileopen"
)

// File writes to a temporary file beside its target and renames it
// over the target on commit, so that a failed operation leaves no partial
// file and never destroys an existing one. The temporary file is created
// on the first write. A target that exists and is not a regular file (a
// device such as /dev/null or /dev/stdout, a FIFO) is written directly.
//
// An existing target is first opened for writing (without truncating it),
// so that the kernel decides, as it does for the Python CLI's open() or a
// shell's redirection, whether the user may write it: a write-protected
// file, a read-only mount, or a symbolic link the kernel refuses to follow
// (fs.protected_symlinks) fails here and is left alone. Symbolic links are
// never resolved in user space: the file replaced on commit is the one the
// kernel opened.
type File struct {
	target    string // the path written on commit
	direct    bool
	noClobber bool
	mode      fs.FileMode // of the file being replaced; 0 for a new file
	f         *os.File
	tmp       string
	written   int64 // bytes written to a direct target
}

// New prepares the output for path. With noClobber, a file that appears at
// path while the operation runs is left alone (Commit returns
// ErrSkippedExisting).
func New(path string, noClobber bool) (*File, error) {
	lfi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Create(path, noClobber), nil
	}
	o := &File{target: path, noClobber: noClobber}
	if err != nil {
		return nil, err
	}
	if lfi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	switch {
	case errors.Is(err, syscall.EISDIR):
		return nil, fmt.Errorf("%s is a directory", path)
	case errors.Is(err, fs.ErrNotExist) && lfi.Mode()&fs.ModeSymlink != 0:
		return nil, clierr.WithHint(fmt.Errorf("%s is a symbolic link to a file that does not exist", path),
			"name the link's target with -o, or remove the link")
	case err != nil:
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		o.direct, o.f = true, f
		return o, nil
	}
	o.mode = fi.Mode().Perm()
	if lfi.Mode()&fs.ModeSymlink != 0 {
		o.target, err = openedPath(f, fi)
	}
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

// Create prepares the output for path, which did not exist when the
// caller checked: New without looking again. If a file appears at path
// before Commit, Commit replaces it, or with noClobber leaves it alone.
func Create(path string, noClobber bool) *File {
	return &File{target: path, noClobber: noClobber}
}

// openedPath returns the path of the file f, which was opened through a
// symbolic link: the one the kernel reports for the descriptor where it
// can (/proc/self/fd), else the link resolved here; in both cases only if
// it names the file that was opened.
func openedPath(f *os.File, fi fs.FileInfo) (string, error) {
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	if err != nil || !filepath.IsAbs(p) {
		// The kernel followed the link when it opened f, so resolving it
		// again follows nothing the kernel would not.
		if p, err = filepath.EvalSymlinks(f.Name()); err != nil {
			return "", err
		}
	}
	if now, err := os.Stat(p); err != nil || !os.SameFile(now, fi) {
		return "", errors.New("the symbolic link changed while it was being opened")
	}
	return p, nil
}

func (o *File) open() error {
	if o.f != nil {
		return nil
	}
	if o.direct {
		return errors.New("output already closed")
	}
	dir, base := filepath.Split(o.target)
	madeDir := false
	for range 10 {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := filepath.Join(dir, "."+base+".encrypt-cli-"+hex.EncodeToString(rnd[:])+".tmp")
		// 0666 and the umask give the permissions a new file gets anyway.
		f, err := fileopen.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil && !errors.Is(err, fs.ErrExist) && !madeDir {
			// The directory may not exist yet (the first file of a
			// directory of the output tree): make it, and say why not if
			// that fails.
			if err := os.MkdirAll(filepath.Clean(dir+"."), 0o777); err != nil {
				return err
			}
			madeDir = true
			f, err = fileopen.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		o.f, o.tmp = f, name
		if o.mode != 0 {
			if err := f.Chmod(o.mode); err != nil {
				o.Abort()
				return err
			}
		}
		return nil
	}
	return errors.New("cannot create a temporary file")
}

// Direct reports whether the target is written directly (it is not a
// regular file): what is written reaches it at once.
func (o *File) Direct() bool { return o.direct }

// Written returns the number of bytes written to a direct target.
func (o *File) Written() int64 { return o.written }

// Write writes to the temporary file (created on the first write) or to a
// direct target.
func (o *File) Write(p []byte) (int, error) {
	if err := o.open(); err != nil {
		return 0, err
	}
	n, err := o.f.Write(p)
	if o.direct {
		o.written += int64(n)
	}
	return n, err
}

// Commit makes the output visible under its name.
func (o *File) Commit() error {
	if err := o.open(); err != nil { // an empty output still makes a file
		return err
	}
	if o.direct {
		err := o.f.Close()
		o.f = nil
		return err
	}
	if err := o.f.Sync(); err != nil {
		o.Abort()
		return err
	}
	if err := o.f.Close(); err != nil {
		o.f = nil
		o.Abort()
		return err
	}
	o.f = nil
	var err error
	if o.noClobber {
		// Never replace a file that appeared since the check.
		if err = os.Link(o.tmp, o.target); err == nil {
			os.Remove(o.tmp)
		} else if errors.Is(err, fs.ErrExist) {
			os.Remove(o.tmp)
			o.tmp = ""
			return ErrSkippedExisting
		} else if _, statErr := os.Lstat(o.target); statErr == nil {
			os.Remove(o.tmp)
			o.tmp = ""
			return ErrSkippedExisting
		} else {
			err = fileopen.Rename(o.tmp, o.target)
		}
	} else {
		err = fileopen.Rename(o.tmp, o.target)
	}
	if err != nil {
		o.Abort()
		return err
	}
	o.tmp = ""
	fileopen.SyncDir(filepath.Dir(o.target)) // best effort: the file is in place
	return nil
}

// Abort removes the temporary file; the target is untouched. It does
// nothing after Commit.
func (o *File) Abort() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
	if o.tmp != "" {
		os.Remove(o.tmp)
		o.tmp = ""
	}
}

// ErrSkippedExisting is returned by Commit when a file appeared at the
// target under --no-overwrite.
var ErrSkippedExisting = errors.New("output file appeared while the operation ran; left it alone (--no-overwrite)")

var _ io.Writer = (*File)(nil)
