// Package fileopen opens the files encrypt-cli reads and writes one after
// the other on a tree of small files, with fewer system calls than
// os.OpenFile.
package fileopen
