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
	"slices"
	"strings"
	"unicode/utf8"
)

// ---- Python glob ----

// hasMagic is glob.has_magic: the pattern holds *, ? or [.
func hasMagic(s string) bool { return strings.ContainsAny(s, "*?[") }

// pyGlob expands pattern with the rules of Python's glob.glob (not
// recursive, hidden files excluded): '*' and '?' do not match a leading '.'
// unless the pattern component starts with '.', '[!x]' negates, there is no
// escape character, and a pattern without magic characters matches a path
// that exists (even a broken symlink). Matches in each directory are sorted
// (Python returns them in directory order).
func pyGlob(pattern string) []string {
	if pattern == "" {
		return nil
	}
	return pyIGlob(pattern, false)
}

// pySplit is os.path.split on POSIX.
func pySplit(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/') + 1
	dir, base = p[:i], p[i:]
	if dir != "" && strings.Trim(dir, "/") != "" {
		dir = strings.TrimRight(dir, "/")
	}
	return dir, base
}

// pyJoin is os.path.join on POSIX for two parts.
func pyJoin(a, b string) string {
	switch {
	case strings.HasPrefix(b, "/"):
		return b
	case a == "" || strings.HasSuffix(a, "/"):
		return a + b
	}
	return a + "/" + b
}

func pyIGlob(pathname string, dironly bool) []string {
	dirname, basename := pySplit(pathname)
	if !hasMagic(pathname) {
		if basename != "" {
			if _, err := os.Lstat(pathname); err == nil {
				return []string{pathname}
			}
		} else if isDir(dirname) {
			return []string{pathname}
		}
		return nil
	}
	if dirname == "" {
		return glob1("", basename, dironly)
	}
	var dirs []string
	if dirname != pathname && hasMagic(dirname) {
		dirs = pyIGlob(dirname, true)
	} else {
		dirs = []string{dirname}
	}
	var out []string
	for _, d := range dirs {
		var names []string
		if hasMagic(basename) {
			names = glob1(d, basename, dironly)
		} else {
			names = glob0(d, basename)
		}
		for _, n := range names {
			out = append(out, pyJoin(d, n))
		}
	}
	return out
}

func glob1(dir, pattern string, dironly bool) []string {
	d := dir
	if d == "" {
		d = "."
	}
	entries, err := os.ReadDir(d)
	if err != nil {
		return nil
	}
	m := compileFnmatch(pattern)
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") {
			continue
		}
		if dironly && !isDir(filepath.Join(d, name)) {
			continue
		}
		if m.match(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func glob0(dir, basename string) []string {
	if basename == "" {
		if isDir(dir) {
			return []string{""}
		}
		return nil
	}
	if _, err := os.Lstat(pyJoin(dir, basename)); err == nil {
		return []string{basename}
	}
	return nil
}

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

// fnmatchPattern is a pattern compiled with the rules of Python's
// fnmatch.translate (case-sensitive, as fnmatchcase on POSIX).
type fnmatchPattern []fnItem

type fnKind int

const (
	fnLiteral fnKind = iota
	fnAny            // ?
	fnStar           // *
	fnClass          // [...]
	fnNever          // an empty class: never matches
)

type fnItem struct {
	kind   fnKind
	r      rune
	negate bool
	ranges [][2]rune // class members, as closed ranges
}

// compileFnmatch ports fnmatch.translate, including its treatment of
// ranges ('-' between chunks), reversed ranges (removed), a trailing '-'
// and a lone '!' class.
func compileFnmatch(pat string) fnmatchPattern {
	p := []rune(pat)
	n := len(p)
	var out fnmatchPattern
	i := 0
	for i < n {
		c := p[i]
		i++
		switch c {
		case '*':
			if len(out) == 0 || out[len(out)-1].kind != fnStar {
				out = append(out, fnItem{kind: fnStar})
			}
		case '?':
			out = append(out, fnItem{kind: fnAny})
		case '[':
			j := i
			if j < n && p[j] == '!' {
				j++
			}
			if j < n && p[j] == ']' {
				j++
			}
			for j < n && p[j] != ']' {
				j++
			}
			if j >= n {
				out = append(out, fnItem{kind: fnLiteral, r: '['})
				continue
			}
			out = append(out, fnClassItem(p, i, j))
			i = j + 1
		default:
			out = append(out, fnItem{kind: fnLiteral, r: c})
		}
	}
	return out
}

// fnClassItem builds the class of p[i:j] (the text between the brackets).
func fnClassItem(p []rune, i, j int) fnItem {
	// Split into chunks at the hyphens that make ranges, as translate does.
	var chunks [][]rune
	if !slices.Contains(p[i:j], '-') {
		chunks = [][]rune{slices.Clone(p[i:j])}
	} else {
		k := i + 1
		if p[i] == '!' {
			k = i + 2
		}
		for {
			idx := -1
			for x := k; x < j; x++ {
				if p[x] == '-' {
					idx = x
					break
				}
			}
			if idx < 0 {
				break
			}
			chunks = append(chunks, slices.Clone(p[i:idx]))
			i = idx + 1
			k = idx + 3
		}
		if chunk := p[i:j]; len(chunk) > 0 {
			chunks = append(chunks, slices.Clone(chunk))
		} else {
			chunks[len(chunks)-1] = append(chunks[len(chunks)-1], '-')
		}
		// Remove empty ranges.
		for k := len(chunks) - 1; k > 0; k-- {
			prev, cur := chunks[k-1], chunks[k]
			if len(prev) > 0 && len(cur) > 0 && prev[len(prev)-1] > cur[0] {
				chunks[k-1] = append(slices.Clone(prev[:len(prev)-1]), cur[1:]...)
				chunks = slices.Delete(chunks, k, k+1)
			}
		}
	}
	// The regular expression class is the chunks joined by range hyphens.
	// Read it back as sre would: an atom followed by a range hyphen and
	// another atom is a range.
	type atom struct {
		r     rune
		hyphn bool // a range hyphen, not a member
	}
	var atoms []atom
	for ci, ch := range chunks {
		if ci > 0 {
			atoms = append(atoms, atom{r: '-', hyphn: true})
		}
		for _, r := range ch {
			atoms = append(atoms, atom{r: r})
		}
	}
	if len(atoms) == 0 {
		return fnItem{kind: fnNever}
	}
	item := fnItem{kind: fnClass}
	if !atoms[0].hyphn && atoms[0].r == '!' {
		if len(atoms) == 1 {
			return fnItem{kind: fnAny}
		}
		item.negate = true
		atoms = atoms[1:]
	}
	for x := 0; x < len(atoms); x++ {
		a := atoms[x]
		if x+2 < len(atoms) && atoms[x+1].hyphn {
			lo, hi := a.r, atoms[x+2].r
			if lo <= hi {
				item.ranges = append(item.ranges, [2]rune{lo, hi})
			}
			x += 2
			continue
		}
		item.ranges = append(item.ranges, [2]rune{a.r, a.r})
	}
	return item
}

func (it *fnItem) matches(r rune) bool {
	switch it.kind {
	case fnLiteral:
		return r == it.r
	case fnAny:
		return true
	case fnClass:
		in := false
		for _, rg := range it.ranges {
			if rg[0] <= r && r <= rg[1] {
				in = true
				break
			}
		}
		return in != it.negate
	}
	return false
}

func (m fnmatchPattern) match(name string) bool {
	var s []rune
	for i := 0; i < len(name); {
		r, size := utf8.DecodeRuneInString(name[i:])
		if r == utf8.RuneError && size == 1 {
			r = 0xdc00 | rune(name[i]) // surrogateescape, as Python sees it
		}
		s = append(s, r)
		i += size
	}
	// Iterative matching with backtracking to the last star.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(m) && m[pi].kind == fnStar {
			starP, starS = pi, si
			pi++
			continue
		}
		if pi < len(m) && m[pi].matches(s[si]) {
			pi++
			si++
			continue
		}
		if starP >= 0 {
			starS++
			pi, si = starP+1, starS
			continue
		}
		return false
	}
	for pi < len(m) && m[pi].kind == fnStar {
		pi++
	}
	return pi == len(m)
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
			return nil, withHint(errors.New("If destination is a file, the immediate parent directory must already exist."),
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
			return nil, withHint(errors.New("Destination may not be a directory when source is stdin"), "name an output file with -o, or - for stdout")
		}
		return []op{{src: "-", dst: out}}, nil
	}
	sources := pyGlob(in)
	if len(sources) == 0 && hasMagic(in) {
		if _, err := os.Lstat(in); err == nil {
			sources = []string{in} // a file whose name holds [ * or ?
		}
	}
	if len(sources) == 0 {
		return nil, withHint(errors.New("Invalid source.  Must be a valid pathname pattern or stdin (-)"),
			fmt.Sprintf("%s matches no file", in))
	}
	outIsDir := isDir(out)
	if len(sources) > 1 && !outIsDir {
		return nil, withHint(errors.New("If operating on multiple sources, destination must be an existing directory"),
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
			return withHint(errors.New("Metadata output cannot be stdout when output is stdout"), "write metadata to a file with --metadata-output FILE")
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
