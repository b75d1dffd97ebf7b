//go:build unix

package fileopen

import (
	"io/fs"
	"os"
	"syscall"
)

// OpenFile is os.OpenFile without the runtime's poller. os.OpenFile offers
// every file it opens to the poller, which refuses regular files and
// directories on Linux: five system calls wasted per file (fcntl four
// times, epoll_ctl once). Reads and writes of the file returned block
// their thread, as they do for any regular file. Only perm's permission
// bits are used.
func OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}

// SyncDir flushes the directory dir (the names it holds) to stable
// storage, as opening it with OpenFile and calling Sync would, without
// an *os.File: one system call fewer (os.NewFile's fcntl).
func SyncDir(dir string) error {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer syscall.Close(fd)
	for {
		err = syscall.Fsync(fd)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "sync", Path: dir, Err: err}
	}
	return nil
}
