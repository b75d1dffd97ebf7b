// Package argparse parses a command line the way Python's argparse parses
// the Python aws-encryption-cli's, for the behaviours scripts depend on:
//
//   - options that take several values (nargs "+") consume every following
//     token up to the next option-like token (Parser.Parse, _match_argument);
//   - --opt=value and --opt value, -ovalue and -o value, clustered short
//     flags (-dS, -vvv) (consume_optional);
//   - negative numbers are values, not options (_negative_number_matcher);
//   - a unique prefix of a long option selects it (allow_abbrev); unlike
//     argparse, which accepts it silently, Parse also returns a warning;
//   - single-dash spellings of long options ("-encrypt") are refused with a
//     "did you mean" (the Python CLI registers those spellings to catch
//     the typo);
//   - options that may not be repeated, and mutually exclusive groups.
//
// Errors are worded as argparse words them.
package argparse

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Nargs is how many values an option takes.
type Nargs int

// Values of Nargs, as argparse's nargs.
const (
	None     Nargs = 0  // a flag
	One      Nargs = 1  // exactly one value
	Optional Nargs = -1 // "?": zero or one value
	Plus     Nargs = -2 // "+": one or more values
)

// Option is one option of a Parser.
type Option struct {
	Names  []string // every spelling: "-d", "--decrypt"
	Nargs  Nargs
	Unique bool // may not be repeated (the Python CLI's UniqueStoreAction)
	Group  int  // options with the same non-zero group are mutually exclusive
	Hidden bool // never matched by an abbreviation or suggested
	Stop   bool // parsing stops after it (argparse's help and version actions)
	// Set receives the option as typed and its values.
	Set func(typed string, vals []string) error
}

// Display is argparse's name of the option in messages: "-d/--decrypt".
func (o *Option) Display() string { return strings.Join(o.Names, "/") }

// Parser is a set of options.
type Parser struct {
	Options []*Option
}

// Result is what Parse found besides what the options' Set functions
// received.
type Result struct {
	Seen     map[*Option]string // every option given, as typed (the last spelling)
	Groups   map[int]*Option    // the option given in each group
	Extras   []string           // arguments that are not options or their values
	Warnings []string           // abbreviations taken as full options
	Stopped  bool               // a Stop option ended parsing
}

// Lookup returns the option with exactly this spelling, or nil.
func (p *Parser) Lookup(name string) *Option {
	for _, d := range p.Options {
		if slices.Contains(d.Names, name) {
			return d
		}
	}
	return nil
}

// DisplayOf returns the argparse display name of a spelling.
func (p *Parser) DisplayOf(typed string) string {
	if d := p.Lookup(typed); d != nil {
		return d.Display()
	}
	return typed
}

// IsNegativeNumber reports whether argparse takes tok as a negative number
// (a value) rather than an option: ^-\d+$ or ^-\d*\.\d+$.
func IsNegativeNumber(tok string) bool {
	if len(tok) < 2 || tok[0] != '-' {
		return false
	}
	digits := func(s string) bool {
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	intPart, frac, dot := strings.Cut(tok[1:], ".")
	if !dot {
		return digits(intPart)
	}
	return digits(intPart) && frac != "" && digits(frac)
}

// IsOptionLike reports whether argparse classifies tok as an option ('O')
// rather than a value ('A') (_parse_optional).
func (p *Parser) IsOptionLike(tok string) bool {
	switch {
	case len(tok) < 2 || tok[0] != '-':
		return false
	case p.Lookup(tok) != nil:
		return true
	case IsNegativeNumber(tok):
		return false
	case strings.Contains(tok, " "):
		name, _, _ := strings.Cut(tok, "=")
		return p.Lookup(name) != nil
	}
	return true
}

func (p *Parser) longOptions() []string {
	var out []string
	for _, d := range p.Options {
		for _, n := range d.Names {
			if strings.HasPrefix(n, "--") {
				out = append(out, n)
			}
		}
	}
	return out
}

// Parse parses args (after any @file expansion), calling each option's Set
// in command-line order. Checking required options is left to the caller.
func (p *Parser) Parse(args []string) (*Result, error) {
	res := &Result{Seen: map[*Option]string{}, Groups: map[int]*Option{}}
	apply := func(d *Option, typed string, vals []string) error {
		if _, ok := res.Seen[d]; ok && d.Unique {
			return fmt.Errorf("%s argument may not be specified more than once", typed)
		}
		if d.Group != 0 {
			if other := res.Groups[d.Group]; other != nil && other != d {
				return fmt.Errorf("argument %s: not allowed with argument %s", d.Display(), other.Display())
			}
			res.Groups[d.Group] = d
		}
		res.Seen[d] = typed
		if err := d.Set(typed, vals); err != nil {
			return err
		}
		res.Stopped = d.Stop
		return nil
	}

	i := 0
	for i < len(args) {
		tok := args[i]
		i++
		if tok == "--" {
			res.Extras = append(res.Extras, args[i:]...)
			break
		}
		if !p.IsOptionLike(tok) {
			res.Extras = append(res.Extras, tok)
			continue
		}
		d, typed, explicit, hasExplicit, err := p.resolve(tok, res)
		if err != nil {
			return nil, err
		}
		if d == nil {
			res.Extras = append(res.Extras, tok)
			continue
		}
		// consume_optional: an explicit argument (--opt=value, -ovalue) is
		// the one value of an option that takes values; for a short flag it
		// continues a cluster (-dS, -vvv).
		var vals []string
	consume:
		for {
			switch {
			case hasExplicit && d.Nargs != None:
				vals = []string{explicit}
			case hasExplicit && !strings.HasPrefix(typed, "--") && explicit != "":
				if err := apply(d, typed, nil); err != nil {
					return nil, err
				}
				if res.Stopped {
					return res, nil
				}
				_, size := utf8.DecodeRuneInString(explicit)
				next := "-" + explicit[:size]
				nd := p.Lookup(next)
				if nd == nil {
					return nil, fmt.Errorf("argument %s: ignored explicit argument %s", d.Display(), Repr(explicit))
				}
				d, typed = nd, next
				explicit = explicit[size:]
				hasExplicit = explicit != ""
				continue consume
			case hasExplicit:
				return nil, fmt.Errorf("argument %s: ignored explicit argument %s", d.Display(), Repr(explicit))
			case d.Nargs == One:
				if i >= len(args) || args[i] == "--" || p.IsOptionLike(args[i]) {
					return nil, fmt.Errorf("argument %s: expected one argument", d.Display())
				}
				vals = []string{args[i]}
				i++
			case d.Nargs == Optional:
				if i < len(args) && args[i] != "--" && !p.IsOptionLike(args[i]) {
					vals = []string{args[i]}
					i++
				}
			case d.Nargs == Plus:
				for i < len(args) && args[i] != "--" && !p.IsOptionLike(args[i]) {
					vals = append(vals, args[i])
					i++
				}
				if len(vals) == 0 {
					return nil, fmt.Errorf("argument %s: expected at least one argument", d.Display())
				}
			}
			break
		}
		if err := apply(d, typed, vals); err != nil {
			return nil, err
		}
		if res.Stopped {
			return res, nil
		}
	}
	return res, nil
}

// resolve finds the option an option-like token names. It returns d == nil
// for an unknown option (argparse reports those with the other
// unrecognized arguments).
func (p *Parser) resolve(tok string, res *Result) (d *Option, typed, explicit string, hasExplicit bool, err error) {
	if d := p.Lookup(tok); d != nil {
		return d, tok, "", false, nil
	}
	name, value, hasValue := strings.Cut(tok, "=")
	if d := p.Lookup(name); hasValue && d != nil {
		return d, name, value, true, nil
	}
	if strings.HasPrefix(tok, "--") {
		var matches []string
		for _, n := range p.longOptions() {
			if strings.HasPrefix(n, name) && !p.Lookup(n).Hidden {
				matches = append(matches, n)
			}
		}
		switch len(matches) {
		case 0:
			return nil, "", "", false, nil
		case 1:
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is taken as %s; spell options out in full", name, matches[0]))
			return p.Lookup(matches[0]), matches[0], value, hasValue, nil
		default:
			return nil, "", "", false, fmt.Errorf("ambiguous option: %s could match %s", name, strings.Join(matches, ", "))
		}
	}
	// Single dash: "-encrypt" for "--encrypt".
	if len(name) > 2 {
		if d := p.Lookup("-" + name); d != nil && !d.Hidden {
			return nil, "", "", false, fmt.Errorf("Found invalid argument %q. Did you mean %q?", name, "-"+name)
		}
	}
	if d := p.Lookup(tok[:2]); d != nil {
		return d, tok[:2], tok[2:], len(tok) > 2, nil
	}
	return nil, "", "", false, nil
}

// ParseInt parses an integer the way Python's int() does for the usual
// spellings: surrounding whitespace, a sign, decimal digits, and single
// underscores between digits.
func ParseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "_") {
		if strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") || strings.Contains(s, "__") ||
			strings.HasPrefix(strings.TrimLeft(s, "+-"), "_") {
			return 0, strconv.ErrSyntax
		}
		s = strings.ReplaceAll(s, "_", "")
	}
	return strconv.ParseInt(s, 10, 64)
}

// Repr quotes s the way Python's repr() quotes a string, as argparse's
// messages show values ("invalid choice: 'x'"): single quotes, or double
// quotes when s holds a single quote and no double quote.
func Repr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
