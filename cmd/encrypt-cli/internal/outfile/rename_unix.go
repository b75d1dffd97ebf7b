//go:build unix

package outfile

import (
	"os"
	"syscall"
)

// rename renames the temporary file oldname over newname with one system
// call. os.Rename first looks newname up, to refuse replacing a directory
// with a directory; rename(2) itself refuses to put a file in place of a
// directory (EISDIR), and oldname is always a file here.
func rename(oldname, newname string) error {
	for {
		err := syscall.Rename(oldname, newname)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
		}
		return nil
	}
}
