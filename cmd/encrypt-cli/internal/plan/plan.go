package plan

// Package plan turns encrypt-cli's -i and -o into operations, as the
// Python aws-encryption-cli does (__init__.py: process_cli_request,
// io_handling.py): glob patterns with Python's rules, directories walked
// like os.walk, outputs named SOURCE.encrypted or SOURCE.decrypted, and the
// same checks with the same messages.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/pyglob"
)

func isDir(p string) bool {
	if p == "" {
		p = "."
	}
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// IsRegular reports whether p is (or links to) a regular file.
func IsRegular(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// ---- operations ----

// Op is one encryption or decryption: a source and a destination, each a
// path or "-" for stdin/stdout.
type Op struct {
	Src, Dst string
}

// outputName is the Python CLI's output_filename: the source's base name
// plus the suffix, in the destination directory. The suffix is always
// appended, also when decrypting (a.txt.encrypted -> a.txt.encrypted.decrypted).
func outputName(src, dstDir, mode string, suffix *string) string {
	s := ".encrypted"
	if mode != "encrypt" {
		s = ".decrypted"
	}
	if suffix != nil {
		s = *suffix
	}
	return filepath.Join(dstDir, filepath.Base(src)) + s
}

// Request is what Plan needs from the command line.
type Request struct {
	Input, Output string  // -i and -o
	Mode          string  // "encrypt", "decrypt" or "decrypt-unsigned"
	Suffix        *string // --suffix; nil for the default
	Recursive     bool
	Metadata      string // --metadata-output
	Suppress      bool   // -S
	Warn          func(string)
}

// Plan resolves -i and -o into operations. Its errors are the Python
// CLI's BadUserArgumentError checks (exit status 1).
func Plan(req Request) ([]Op, error) {
	p := &planner{req: req}
	return p.plan()
}

type planner struct {
	req Request
}

func (p *planner) warn(s string) { p.req.Warn(s) }

func (p *planner) plan() ([]Op, error) {
	cfg := p.req
	in, out := cfg.Input, cfg.Output
	if out != "-" && !isDir(out) {
		if !isDir(Realpath(filepath.Dir(out))) {
			return nil, clierr.WithHint(errors.New("If destination is a file, the immediate parent directory must already exist."),
				fmt.Sprintf("create %s first, or name an existing directory with -o", filepath.Dir(out)))
		}
	}
	if err := p.checkMetadataPath(); err != nil {
		return nil, err
	}
	if !(in == "-" && out == "-") && Realpath(in) == Realpath(out) {
		return nil, errors.New("Destination and source cannot be the same")
	}
	if in == "-" {
		if isDir(out) {
			return nil, clierr.WithHint(errors.New("Destination may not be a directory when source is stdin"), "name an output file with -o, or - for stdout")
		}
		return []Op{{Src: "-", Dst: out}}, nil
	}
	sources := pyglob.Glob(in)
	if len(sources) == 0 && pyglob.HasMagic(in) {
		if _, err := os.Lstat(in); err == nil {
			sources = []string{in} // a file whose name holds [ * or ?
		}
	}
	if len(sources) == 0 {
		return nil, clierr.WithHint(errors.New("Invalid source.  Must be a valid pathname pattern or stdin (-)"),
			fmt.Sprintf("%s matches no file", in))
	}
	outIsDir := isDir(out)
	if len(sources) > 1 && !outIsDir {
		return nil, clierr.WithHint(errors.New("If operating on multiple sources, destination must be an existing directory"),
			fmt.Sprintf("%s matches %d files", in, len(sources)))
	}
	for _, s := range sources {
		if isDir(s) && !outIsDir {
			return nil, errors.New("If operating on a source directory, destination must be an existing directory")
		}
	}
	var ops []Op
	for _, s := range sources {
		switch {
		case isDir(s):
			if !cfg.Recursive {
				p.warn(fmt.Sprintf("Skipping %s because it is a directory and -r/-R/--recursive is not set", s))
				continue
			}
			walked, err := p.walk(s, out)
			if err != nil {
				return nil, err
			}
			ops = append(ops, walked...)
		case exists(s):
			// A regular file, or a device or FIFO (the Python CLI silently
			// ignores those, so "-i /dev/stdin" did nothing).
			dst := out
			if outIsDir {
				dst = outputName(s, out, cfg.Mode, cfg.Suffix)
			}
			ops = append(ops, Op{Src: s, Dst: dst})
		default:
			p.warn(fmt.Sprintf("Skipping %s because it is a broken symbolic link", s))
		}
	}
	return ops, nil
}

// walk lists the files under root like os.walk (symbolic links to
// directories are not followed; other entries are files), files of a
// directory before its subdirectories, each sorted, mirroring the tree
// under dstRoot. The output directory is not walked when it lies inside
// the input tree, so that outputs are never taken as inputs.
func (p *planner) walk(root, dstRoot string) ([]Op, error) {
	dstInfo, _ := os.Stat(dstRoot)
	var ops []Op
	var visit func(dir string) error
	visit = func(dir string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, unwrapPathError(err))
		}
		var subdirs []string
		for _, e := range entries {
			full := filepath.Join(dir, e.Name())
			isDirEntry := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				if isDir(full) {
					continue // os.walk lists it as a directory and does not enter it
				}
			}
			if isDirEntry {
				subdirs = append(subdirs, full)
				continue
			}
			rel, err := filepath.Rel(root, dir)
			if err != nil {
				return err
			}
			ops = append(ops, Op{Src: full, Dst: outputName(full, filepath.Join(dstRoot, rel), p.req.Mode, p.req.Suffix)})
		}
		for _, d := range subdirs {
			if fi, err := os.Stat(d); err == nil && dstInfo != nil && os.SameFile(fi, dstInfo) {
				p.warn(fmt.Sprintf("Skipping %s because it is the output directory", d))
				continue
			}
			if err := visit(d); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(root); err != nil {
		return nil, err
	}
	return ops, nil
}

// checkMetadataPath is the Python CLI's _catch_bad_metadata_file_requests,
// with path containment checked by path components (Python compares
// string prefixes, so it also refused "out.json" beside a directory "out").
func (p *planner) checkMetadataPath() error {
	m := p.req.Metadata
	switch {
	case p.req.Suppress:
		return nil
	case m == "":
		return errors.New("Metadata output file name cannot be empty")
	case m == "-":
		if p.req.Output == "-" {
			return clierr.WithHint(errors.New("Metadata output cannot be stdout when output is stdout"), "write metadata to a file with --metadata-output FILE")
		}
		return nil
	}
	if !isDir(Realpath(filepath.Dir(m))) {
		return errors.New("Parent directory for requested metadata file does not exist.")
	}
	rm, rs, rd := Realpath(m), Realpath(p.req.Input), Realpath(p.req.Output)
	switch {
	case isDir(rm):
		return errors.New("Metadata output cannot be a directory")
	case rm == rs || rm == rd:
		return errors.New("Metadata output file cannot be the input or output")
	case isDir(rd) && within(rm, rd):
		return errors.New("Metadata output file cannot be in the output directory")
	case isDir(rs) && within(rm, rs):
		return errors.New("Metadata output file cannot be in the input directory")
	}
	return nil
}

func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// Realpath is os.path.realpath: symbolic links are resolved as far as the
// path exists; the rest is appended.
func Realpath(p string) string {
	return new(Resolver).Realpath(p)
}

// Resolver computes Realpath for many paths, remembering each directory it
// has resolved, so that the files of a directory cost one lookup each
// instead of one per path component. What it remembers is the file system
// as it was when a directory was first resolved; it is meant for the
// checks of one run, made when the run starts.
type Resolver struct {
	cwd  string
	dirs map[string]resolved
}

// resolved is a path with its symbolic links resolved, and whether it
// exists (if not, nothing under it needs looking up).
type resolved struct {
	path   string
	exists bool
}

// Realpath is the package's Realpath, with directories remembered.
func (r *Resolver) Realpath(p string) string {
	if !filepath.IsAbs(p) {
		if r.cwd == "" {
			cwd, err := os.Getwd()
			if err != nil {
				return p
			}
			r.cwd = cwd
		}
		p = filepath.Join(r.cwd, p)
	}
	return r.resolve(filepath.Clean(p)).path
}

// resolve resolves abs, a clean absolute path: its directory first (once
// per directory), then its last component, which only a symbolic link
// makes more than one lookup. A path whose directory does not exist, or
// whose last component does not or is a link that leads nowhere, keeps
// its last component as it is, after its resolved directory.
func (r *Resolver) resolve(abs string) resolved {
	dir := filepath.Dir(abs)
	if dir == abs {
		return resolved{abs, true} // the root
	}
	d, ok := r.dirs[dir]
	if !ok {
		d = r.resolve(dir)
		if r.dirs == nil {
			r.dirs = map[string]resolved{}
		}
		r.dirs[dir] = d
	}
	p := filepath.Join(d.path, filepath.Base(abs))
	if !d.exists {
		return resolved{p, false}
	}
	fi, err := os.Lstat(p)
	if err != nil {
		return resolved{p, false}
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		t, err := filepath.EvalSymlinks(p)
		if err != nil {
			return resolved{p, false}
		}
		return resolved{t, true}
	}
	return resolved{p, true}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
