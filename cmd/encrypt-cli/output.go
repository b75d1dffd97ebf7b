package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// outputFile writes to a temporary file beside its target and renames it
// over the target on commit, so that a failed operation leaves no partial
// file and never destroys an existing one. The temporary file is created
// on the first write. A target that exists and is not a regular file (a
// device such as /dev/null, a FIFO) is written directly.
type outputFile struct {
	target    string // the path written on commit (symbolic links resolved)
	direct    bool
	noClobber bool
	mode      fs.FileMode // of the file being replaced; 0 for a new file
	f         *os.File
	tmp       string
}

func newOutputFile(path string, noClobber bool) (*outputFile, error) {
	o := &outputFile{target: path, noClobber: noClobber}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if resolved, err := filepath.EvalSymlinks(path); err == nil {
			o.target = resolved
		}
	}
	if fi, err := os.Stat(o.target); err == nil {
		switch {
		case fi.IsDir():
			return nil, fmt.Errorf("%s is a directory", path)
		case !fi.Mode().IsRegular():
			o.direct = true
		default:
			o.mode = fi.Mode().Perm()
		}
	}
	return o, nil
}

func (o *outputFile) open() error {
	if o.f != nil {
		return nil
	}
	if o.direct {
		f, err := os.OpenFile(o.target, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		o.f = f
		return nil
	}
	dir, base := filepath.Split(o.target)
	if err := os.MkdirAll(filepath.Clean(dir+"."), 0o777); err != nil {
		return err
	}
	for range 10 {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := filepath.Join(dir, "."+base+".encrypt-cli-"+hex.EncodeToString(rnd[:])+".tmp")
		// 0666 and the umask give the permissions a new file gets anyway.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		o.f, o.tmp = f, name
		if o.mode != 0 {
			if err := f.Chmod(o.mode); err != nil {
				o.abort()
				return err
			}
		}
		return nil
	}
	return errors.New("cannot create a temporary file")
}

func (o *outputFile) Write(p []byte) (int, error) {
	if err := o.open(); err != nil {
		return 0, err
	}
	return o.f.Write(p)
}

// commit makes the output visible under its name.
func (o *outputFile) commit() error {
	if err := o.open(); err != nil { // an empty output still makes a file
		return err
	}
	if o.direct {
		err := o.f.Close()
		o.f = nil
		return err
	}
	if err := o.f.Sync(); err != nil {
		o.abort()
		return err
	}
	if err := o.f.Close(); err != nil {
		o.f = nil
		o.abort()
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
			return errSkippedExisting
		} else if _, statErr := os.Lstat(o.target); statErr == nil {
			os.Remove(o.tmp)
			o.tmp = ""
			return errSkippedExisting
		} else {
			err = os.Rename(o.tmp, o.target)
		}
	} else {
		err = os.Rename(o.tmp, o.target)
	}
	if err != nil {
		o.abort()
		return err
	}
	o.tmp = ""
	if d, err := os.Open(filepath.Dir(o.target)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// abort removes the temporary file; the target is untouched.
func (o *outputFile) abort() {
	if o.f != nil {
		o.f.Close()
		o.f = nil
	}
	if o.tmp != "" {
		os.Remove(o.tmp)
		o.tmp = ""
	}
}

var errSkippedExisting = errors.New("output file appeared while the operation ran; left it alone (--no-overwrite)")

var _ io.Writer = (*outputFile)(nil)
