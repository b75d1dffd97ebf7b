// Package fileopen opens, renames and syncs the files encrypt-cli reads
// and writes one after the other on a tree of small files, with fewer
// system calls than the os package.
package fileopen
