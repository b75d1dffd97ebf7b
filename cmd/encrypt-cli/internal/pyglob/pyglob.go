// Package pyglob expands file name patterns with the rules of Python's
// glob.glob (not recursive, hidden files excluded) and fnmatch, which the
// Python aws-encryption-cli applies to -i.
package pyglob

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// HasMagic is glob.has_magic: the pattern holds *, ? or [.
func HasMagic(s string) bool { return strings.ContainsAny(s, "*?[") }

// Glob expands pattern with the rules of Python's glob.glob (not
// recursive, hidden files excluded): '*' and '?' do not match a leading '.'
// unless the pattern component starts with '.', '[!x]' negates, there is no
// escape character, and a pattern without magic characters matches a path
// that exists (even a broken symlink). Matches in each directory are sorted
// (Python returns them in directory order).
func Glob(pattern string) []string {
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
	if !HasMagic(pathname) {
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
	if dirname != pathname && HasMagic(dirname) {
		dirs = pyIGlob(dirname, true)
	} else {
		dirs = []string{dirname}
	}
	var out []string
	for _, d := range dirs {
		var names []string
		if HasMagic(basename) {
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
	m := Compile(pattern)
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") {
			continue
		}
		if dironly && !isDir(filepath.Join(d, name)) {
			continue
		}
		if m.Match(name) {
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

// Pattern is a pattern compiled with the rules of Python's
// fnmatch.translate (case-sensitive, as fnmatchcase on POSIX).
type Pattern []fnItem

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

// Compile ports fnmatch.translate, including its treatment of
// ranges ('-' between chunks), reversed ranges (removed), a trailing '-'
// and a lone '!' class.
func Compile(pat string) Pattern {
	p := []rune(pat)
	n := len(p)
	var out Pattern
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

// Match reports whether name matches, as fnmatch.fnmatchcase does; bytes
// that are not UTF-8 are the surrogates of Python's surrogateescape.
func (m Pattern) Match(name string) bool {
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
