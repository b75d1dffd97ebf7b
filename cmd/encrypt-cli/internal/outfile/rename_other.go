//go:build !unix

package outfile

import "os"

// rename is os.Rename.
func rename(oldname, newname string) error { return os.Rename(oldname, newname) }
