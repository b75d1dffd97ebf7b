//go:build !unix

package fileopen

import (
	"io/fs"
	"os"
)

// OpenFile is os.OpenFile.
func OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}

// SyncDir flushes the directory dir to stable storage where the system
// can (os.Open and Sync).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Rename is os.Rename.
func Rename(oldname, newname string) error { return os.Rename(oldname, newname) }
