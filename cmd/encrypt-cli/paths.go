package main

// Input and output resolution, as the Python CLI does it
// (__init__.py: process_cli_request, io_handling.py), and the output file
// that replaces its target only when the operation succeeds.

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

func isRegular(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// ---- operations ----

// op is one encryption or decryption: a source and a destination, each a
// path or "-" for stdin/stdout.
type op struct {
	src, dst string
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

// planner turns the command's input and output into operations.
type planner struct {
	cfg  *config
	warn func(string)
}

// plan resolves -i and -o. Its errors are the Python CLI's
// BadUserArgumentError checks (exit status 1).
func (p *planner) plan() ([]op, error) {
	cfg := p.cfg
	in, out := cfg.input, cfg.output
	if out != "-" && !isDir(out) {
		if !isDir(realpath(filepath.Dir(out))) {
			return nil, clierr.WithHint(errors.New("If destination is a file, the immediate parent directory must already exist."),
				fmt.Sprintf("create %s first, or name an existing directory with -o", filepath.Dir(out)))
		}
	}
	if err := p.checkMetadataPath(); err != nil {
		return nil, err
	}
	if !(in == "-" && out == "-") && realpath(in) == realpath(out) {
		return nil, errors.New("Destination and source cannot be the same")
	}
	if in == "-" {
		if isDir(out) {
			return nil, clierr.WithHint(errors.New("Destination may not be a directory when source is stdin"), "name an output file with -o, or - for stdout")
		}
		return []op{{src: "-", dst: out}}, nil
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
	var ops []op
	for _, s := range sources {
		switch {
		case isDir(s):
			if !cfg.recursive {
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
				dst = outputName(s, out, cfg.mode, cfg.suffix)
			}
			ops = append(ops, op{src: s, dst: dst})
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
func (p *planner) walk(root, dstRoot string) ([]op, error) {
	dstInfo, _ := os.Stat(dstRoot)
	var ops []op
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
			ops = append(ops, op{src: full, dst: outputName(full, filepath.Join(dstRoot, rel), p.cfg.mode, p.cfg.suffix)})
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
	m := p.cfg.metadata
	switch {
	case p.cfg.suppress:
		return nil
	case m == "":
		return errors.New("Metadata output file name cannot be empty")
	case m == "-":
		if p.cfg.output == "-" {
			return clierr.WithHint(errors.New("Metadata output cannot be stdout when output is stdout"), "write metadata to a file with --metadata-output FILE")
		}
		return nil
	}
	if !isDir(realpath(filepath.Dir(m))) {
		return errors.New("Parent directory for requested metadata file does not exist.")
	}
	rm, rs, rd := realpath(m), realpath(p.cfg.input), realpath(p.cfg.output)
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

// realpath is os.path.realpath: symbolic links are resolved as far as the
// path exists; the rest is appended.
func realpath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	var tail []string
	cur := abs
	for {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(append([]string{r}, tail...)...)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs
		}
		tail = append([]string{filepath.Base(cur)}, tail...)
		cur = parent
	}
}
