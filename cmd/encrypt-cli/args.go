package main

// The command line parser. It reproduces the behaviour of the Python
// aws-encryption-cli's argparse parser that scripts depend on:
//
//   - options that take several values (-w, -c, --caching) consume every
//     following token up to the next option-like token;
//   - --opt=value and --opt value, -ivalue and -i value, clustered short
//     flags (-dS, -vvv);
//   - @file arguments anywhere, expanded with Python's shlex rules, '#'
//     comments, ~ and $VAR expansion, and nested @files;
//   - single-dash spellings of long options ("-encrypt") are rejected with
//     a "did you mean" message;
//   - the required options and the two required groups.
//
// One deliberate difference: argparse silently accepts any unique prefix of
// a long option (--overwrite means --overwrite-metadata, the cause of
// aws/aws-encryption-sdk-cli#98). Here a unique prefix still works, so that
// existing scripts keep running, but a warning names the full option.

import (
	"fmt"
	"os"
	"os/user"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// usageError is a mistake in the command line. It exits with status 2.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) *usageError {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// hintError is a runtime error (exit status 1) with a suggestion.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

// rawOptions is the command line as parsed, before its values are checked.
type rawOptions struct {
	action     string // "encrypt", "decrypt" or "decrypt-unsigned"
	version    bool
	help       bool
	input      *string
	output     *string
	wrapping   [][]string
	encCtx     []string
	encCtxSet  bool
	reqECKeys  bool // the hidden --required-encryption-context-keys was given
	algorithm  *string
	frameLen   *int64
	maxLength  *int64
	maxEDKs    *int64
	commitment string
	caching    []string
	cachingSet bool
	buffer     bool
	encode     bool
	decode     bool
	suppress   bool
	metadata   *string
	overwrite  bool
	suffix     *string
	interact   bool
	noOverwr   bool
	recursive  bool
	verbosity  int
	quiet      bool
	jobs       *int64

	warnings []string // notes for the user, printed unless -q
}

// nargs values of an option.
const (
	nargsNone     = 0
	nargsOne      = 1
	nargsOptional = -1 // argparse "?"
	nargsPlus     = -2 // argparse "+"
)

// Mutually exclusive groups.
const (
	groupNone = iota
	groupAction
	groupMetadata
)

type optDef struct {
	names  []string // every spelling: "-d", "--decrypt"
	nargs  int
	unique bool // argparse UniqueStoreAction: may not be repeated
	group  int
	hidden bool
	set    func(o *rawOptions, opt string, vals []string) error
}

// display is argparse's name for the option in messages: "-d/--decrypt".
func (d *optDef) display() string { return strings.Join(d.names, "/") }

var optDefs []*optDef

func init() {
	optDefs = []*optDef{
		{names: []string{"-h", "--help"}, set: func(o *rawOptions, _ string, _ []string) error { o.help = true; return nil }},
		{names: []string{"--version"}, group: groupAction, set: func(o *rawOptions, _ string, _ []string) error { o.version = true; return nil }},
		{names: []string{"-e", "--encrypt"}, group: groupAction, set: setAction("encrypt")},
		{names: []string{"-d", "--decrypt"}, group: groupAction, set: setAction("decrypt")},
		{names: []string{"--decrypt-unsigned"}, group: groupAction, set: setAction("decrypt-unsigned")},
		{names: []string{"-S", "--suppress-metadata"}, group: groupMetadata, set: func(o *rawOptions, _ string, _ []string) error { o.suppress = true; return nil }},
		{names: []string{"--metadata-output"}, nargs: nargsOne, group: groupMetadata, set: func(o *rawOptions, _ string, v []string) error { o.metadata = &v[0]; return nil }},
		{names: []string{"--overwrite-metadata"}, set: func(o *rawOptions, _ string, _ []string) error { o.overwrite = true; return nil }},
		{names: []string{"-w", "--wrapping-keys"}, nargs: nargsPlus, set: func(o *rawOptions, _ string, v []string) error {
			o.wrapping = append(o.wrapping, slices.Clone(v))
			return nil
		}},
		{names: []string{"--commitment-policy"}, nargs: nargsOne, set: func(o *rawOptions, opt string, v []string) error {
			if !slices.Contains(commitmentPolicyNames, v[0]) {
				return &usageError{
					msg:  fmt.Sprintf("argument --commitment-policy: invalid choice: %s", pyRepr(v[0])),
					hint: "choose from " + strings.Join(commitmentPolicyNames, ", "),
				}
			}
			o.commitment = v[0]
			return nil
		}},
		{names: []string{"--caching"}, nargs: nargsPlus, unique: true, set: func(o *rawOptions, _ string, v []string) error {
			o.caching, o.cachingSet = slices.Clone(v), true
			return nil
		}},
		{names: []string{"-b", "--buffer"}, set: func(o *rawOptions, _ string, _ []string) error { o.buffer = true; return nil }},
		{names: []string{"-i", "--input"}, nargs: nargsOne, unique: true, set: func(o *rawOptions, _ string, v []string) error { o.input = &v[0]; return nil }},
		{names: []string{"-o", "--output"}, nargs: nargsOne, unique: true, set: func(o *rawOptions, _ string, v []string) error { o.output = &v[0]; return nil }},
		{names: []string{"--encode"}, set: func(o *rawOptions, _ string, _ []string) error { o.encode = true; return nil }},
		{names: []string{"--decode"}, set: func(o *rawOptions, _ string, _ []string) error { o.decode = true; return nil }},
		{names: []string{"-c", "--encryption-context"}, nargs: nargsPlus, unique: true, set: func(o *rawOptions, _ string, v []string) error {
			o.encCtx, o.encCtxSet = slices.Clone(v), true
			return nil
		}},
		{names: []string{"--required-encryption-context-keys"}, nargs: nargsPlus, unique: true, hidden: true, set: func(o *rawOptions, _ string, _ []string) error {
			o.reqECKeys = true
			return nil
		}},
		{names: []string{"--algorithm"}, nargs: nargsOne, unique: true, set: func(o *rawOptions, _ string, v []string) error { o.algorithm = &v[0]; return nil }},
		{names: []string{"--frame-length"}, nargs: nargsOne, unique: true, set: setInt(func(o *rawOptions) **int64 { return &o.frameLen })},
		{names: []string{"--max-length"}, nargs: nargsOne, unique: true, set: setInt(func(o *rawOptions) **int64 { return &o.maxLength })},
		{names: []string{"--max-encrypted-data-keys"}, nargs: nargsOne, unique: true, set: setInt(func(o *rawOptions) **int64 { return &o.maxEDKs })},
		{names: []string{"--suffix"}, nargs: nargsOptional, unique: true, set: func(o *rawOptions, _ string, v []string) error {
			s := ""
			if len(v) > 0 {
				s = v[0]
			}
			o.suffix = &s
			return nil
		}},
		{names: []string{"--interactive"}, set: func(o *rawOptions, _ string, _ []string) error { o.interact = true; return nil }},
		{names: []string{"--no-overwrite"}, set: func(o *rawOptions, _ string, _ []string) error { o.noOverwr = true; return nil }},
		{names: []string{"-r", "-R", "--recursive"}, set: func(o *rawOptions, _ string, _ []string) error { o.recursive = true; return nil }},
		{names: []string{"-v"}, set: func(o *rawOptions, _ string, _ []string) error { o.verbosity++; return nil }},
		{names: []string{"-q", "--quiet"}, set: func(o *rawOptions, _ string, _ []string) error { o.quiet = true; return nil }},
		// Not in the Python CLI.
		{names: []string{"--jobs"}, nargs: nargsOne, unique: true, set: setInt(func(o *rawOptions) **int64 { return &o.jobs })},
	}
}

var commitmentPolicyNames = []string{"forbid-encrypt-allow-decrypt", "require-encrypt-allow-decrypt", "require-encrypt-require-decrypt"}

func setAction(a string) func(o *rawOptions, _ string, _ []string) error {
	return func(o *rawOptions, _ string, _ []string) error { o.action = a; return nil }
}

func setInt(field func(o *rawOptions) **int64) func(o *rawOptions, opt string, v []string) error {
	return func(o *rawOptions, opt string, v []string) error {
		n, err := parsePyInt(v[0])
		if err != nil {
			return usagef("argument %s: invalid int value: %s", optDisplay(opt), pyRepr(v[0]))
		}
		*field(o) = &n
		return nil
	}
}

// parsePyInt parses an integer the way Python's int() does for the usual
// spellings: surrounding whitespace, a sign, decimal digits, and single
// underscores between digits.
func parsePyInt(s string) (int64, error) {
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

// optDisplay returns the argparse display name of an option spelling.
func optDisplay(opt string) string {
	if d := lookupExact(opt); d != nil {
		return d.display()
	}
	return opt
}

func lookupExact(name string) *optDef {
	for _, d := range optDefs {
		if slices.Contains(d.names, name) {
			return d
		}
	}
	return nil
}

// pyRepr quotes s the way Python's repr() does for simple strings.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// argEnv is what parsing needs from the outside world, replaceable in tests.
type argEnv struct {
	readFile  func(name string) ([]byte, error)
	lookupEnv func(name string) (string, bool)
	homeDir   func(user string) (string, bool)
	windows   bool
}

func osArgEnv() argEnv {
	return argEnv{
		readFile:  os.ReadFile,
		lookupEnv: os.LookupEnv,
		homeDir: func(name string) (string, bool) {
			if name == "" {
				if h, ok := os.LookupEnv("HOME"); ok {
					return h, true
				}
				u, err := user.Current()
				if err != nil {
					return "", false
				}
				return u.HomeDir, true
			}
			u, err := user.Lookup(name)
			if err != nil {
				return "", false
			}
			return u.HomeDir, true
		},
		windows: runtime.GOOS == "windows",
	}
}

// maxArgFileDepth bounds @file nesting (a file that includes itself).
const maxArgFileDepth = 32

// expandArgFiles replaces every argument that starts with '@' by the
// arguments read from the named file, as argparse's fromfile_prefix_chars
// does with the Python CLI's line parser.
func expandArgFiles(args []string, env argEnv, depth int) ([]string, error) {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "@") {
			out = append(out, a)
			continue
		}
		if depth >= maxArgFileDepth {
			return nil, &usageError{msg: fmt.Sprintf("argument file %s: @file arguments nested more than %d deep", a, maxArgFileDepth), hint: "an argument file may be including itself"}
		}
		data, err := env.readFile(a[1:])
		if err != nil {
			return nil, usagef("cannot read argument file %q: %v", a[1:], unwrapPathError(err))
		}
		var fileArgs []string
		for n, line := range pySplitLines(string(data)) {
			toks, err := shlexSplit(line, env.windows)
			if err != nil {
				return nil, usagef("argument file %q, line %d: %v", a[1:], n+1, err)
			}
			for _, t := range toks {
				t = strings.TrimSpace(t)
				t = expandUser(t, env)
				t = expandVars(t, env)
				fileArgs = append(fileArgs, t)
			}
		}
		sub, err := expandArgFiles(fileArgs, env, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// pySplitLines splits s like Python's str.splitlines.
func pySplitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\v', '\f', '\x1c', '\x1d', '\x1e', '\u0085', '\u2028', '\u2029':
			lines = append(lines, s[start:i])
			i += size
			start = i
		case '\r':
			lines = append(lines, s[start:i])
			i += size
			if i < len(s) && s[i] == '\n' {
				i++
			}
			start = i
		default:
			i += size
		}
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// shlexSplit splits a line like Python's shlex in POSIX mode with
// whitespace_split=True and escapedquotes set to both quote characters (the
// Python CLI's configuration). A '#' outside quotes starts a comment, even
// in the middle of a word.
func shlexSplit(line string, windows bool) ([]string, error) {
	const whitespace = " \t\r\n"
	escape := '\\'
	if windows {
		escape = '`'
	}
	isQuote := func(r rune) bool { return r == '\'' || r == '"' }
	var toks []string
	runes := []rune(line)
	i := 0
	for {
		// One call of shlex.read_token.
		var tok strings.Builder
		quoted := false
		state := ' '
		var escapedState rune
		eof := false
	token:
		for {
			if i >= len(runes) {
				switch {
				case isQuote(state):
					return nil, fmt.Errorf("no closing quotation")
				case state == escape:
					return nil, fmt.Errorf("no escaped character")
				}
				eof = true
				break token
			}
			c := runes[i]
			i++
			switch {
			case state == ' ':
				switch {
				case strings.ContainsRune(whitespace, c):
					if tok.Len() > 0 || quoted {
						break token
					}
				case c == '#':
					i = len(runes) // the rest of the line is a comment
				case c == escape:
					escapedState, state = 'a', escape
				case isQuote(c):
					state = c
				default:
					tok.WriteRune(c)
					state = 'a'
				}
			case isQuote(state):
				quoted = true
				switch {
				case c == state:
					state = 'a'
				case c == escape:
					escapedState, state = state, escape
				default:
					tok.WriteRune(c)
				}
			case state == escape:
				if isQuote(escapedState) && c != state && c != escapedState {
					tok.WriteRune(state)
				}
				tok.WriteRune(c)
				state = escapedState
			default: // 'a'
				switch {
				case strings.ContainsRune(whitespace, c):
					state = ' '
					if tok.Len() > 0 || quoted {
						break token
					}
				case c == '#':
					i = len(runes)
					state = ' '
					if tok.Len() > 0 || quoted {
						break token
					}
				case isQuote(c):
					state = c
				case c == escape:
					escapedState, state = 'a', escape
				default:
					tok.WriteRune(c)
				}
			}
		}
		if tok.Len() > 0 || quoted {
			toks = append(toks, tok.String())
		}
		if eof {
			return toks, nil
		}
	}
}

// expandUser does what Python's os.path.expanduser does on POSIX.
func expandUser(s string, env argEnv) string {
	if !strings.HasPrefix(s, "~") {
		return s
	}
	i := strings.IndexByte(s[1:], '/') + 1
	if i == 0 {
		i = len(s)
	}
	home, ok := env.homeDir(s[1:i])
	if !ok {
		return s
	}
	home = strings.TrimRight(home, "/")
	if r := home + s[i:]; r != "" {
		return r
	}
	return "/"
}

// expandVars does what Python's os.path.expandvars does on POSIX: $NAME and
// ${NAME} are replaced when NAME is set and left alone otherwise.
func expandVars(s string, env argEnv) string {
	if !strings.Contains(s, "$") {
		return s
	}
	isWord := func(c byte) bool {
		return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	i := 0
	for {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			return s
		}
		start := i + j
		end := start + 1
		var name string
		switch {
		case end < len(s) && s[end] == '{':
			k := strings.IndexByte(s[end:], '}')
			if k < 0 {
				return s
			}
			name = s[end+1 : end+k]
			end += k + 1
		default:
			for end < len(s) && isWord(s[end]) {
				end++
			}
			name = s[start+1 : end]
			if name == "" {
				i = start + 1
				continue
			}
		}
		v, ok := env.lookupEnv(name)
		if !ok {
			i = end
			continue
		}
		s = s[:start] + v + s[end:]
		i = start + len(v)
	}
}

// isNegativeNumber reports whether argparse would take tok as a negative
// number (a value) rather than an option: ^-\d+$ or ^-\d*\.\d+$.
func isNegativeNumber(tok string) bool {
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

// isOptionLike reports whether argparse classifies tok as an option ('O')
// rather than a value ('A').
func isOptionLike(tok string) bool {
	switch {
	case len(tok) < 2 || tok[0] != '-':
		return false
	case lookupExact(tok) != nil:
		return true
	case isNegativeNumber(tok):
		return false
	case strings.Contains(tok, " "):
		name, _, _ := strings.Cut(tok, "=")
		return lookupExact(name) != nil
	}
	return true
}

// longOptions returns every long spelling, in definition order.
func longOptions() []string {
	var out []string
	for _, d := range optDefs {
		for _, n := range d.names {
			if strings.HasPrefix(n, "--") {
				out = append(out, n)
			}
		}
	}
	return out
}

// parseArgs parses the command line (after @file expansion).
func parseArgs(args []string, env argEnv) (*rawOptions, error) {
	args, err := expandArgFiles(args, env, 0)
	if err != nil {
		return nil, err
	}
	o := &rawOptions{commitment: "require-encrypt-require-decrypt"}
	seen := map[*optDef]string{} // option as typed
	groupSeen := map[int]*optDef{}
	var extras []string

	apply := func(d *optDef, typed string, vals []string) error {
		if _, ok := seen[d]; ok && d.unique {
			return usagef("%s argument may not be specified more than once", typed)
		}
		if d.group != groupNone {
			if other := groupSeen[d.group]; other != nil && other != d {
				return usagef("argument %s: not allowed with argument %s", d.display(), other.display())
			}
			groupSeen[d.group] = d
		}
		seen[d] = typed
		return d.set(o, typed, vals)
	}

	i := 0
	for i < len(args) {
		tok := args[i]
		i++
		if tok == "--" {
			extras = append(extras, args[i:]...)
			break
		}
		if !isOptionLike(tok) {
			extras = append(extras, tok)
			continue
		}
		d, typed, explicit, hasExplicit, err := resolveOption(tok, o)
		if err != nil {
			return nil, err
		}
		if d == nil {
			extras = append(extras, tok)
			continue
		}
		// argparse's consume_optional: an explicit argument (--opt=value,
		// -ovalue) is the one value of an option that takes values; for a
		// short flag it continues a cluster (-dS, -vvv).
		var vals []string
	consume:
		for {
			switch {
			case hasExplicit && d.nargs != nargsNone:
				vals = []string{explicit}
			case hasExplicit && !strings.HasPrefix(typed, "--") && explicit != "":
				if err := apply(d, typed, nil); err != nil {
					return nil, err
				}
				if o.help || o.version {
					return o, nil
				}
				_, size := utf8.DecodeRuneInString(explicit)
				next := "-" + explicit[:size]
				nd := lookupExact(next)
				if nd == nil {
					return nil, usagef("argument %s: ignored explicit argument %s", d.display(), pyRepr(explicit))
				}
				d, typed = nd, next
				explicit = explicit[size:]
				hasExplicit = explicit != ""
				continue consume
			case hasExplicit:
				return nil, usagef("argument %s: ignored explicit argument %s", d.display(), pyRepr(explicit))
			case d.nargs == nargsOne:
				if i >= len(args) || args[i] == "--" || isOptionLike(args[i]) {
					return nil, usagef("argument %s: expected one argument", d.display())
				}
				vals = []string{args[i]}
				i++
			case d.nargs == nargsOptional:
				if i < len(args) && args[i] != "--" && !isOptionLike(args[i]) {
					vals = []string{args[i]}
					i++
				}
			case d.nargs == nargsPlus:
				for i < len(args) && args[i] != "--" && !isOptionLike(args[i]) {
					vals = append(vals, args[i])
					i++
				}
				if len(vals) == 0 {
					return nil, usagef("argument %s: expected at least one argument", d.display())
				}
			}
			break
		}
		if err := apply(d, typed, vals); err != nil {
			return nil, err
		}
		if o.help || o.version {
			return o, nil
		}
	}

	var missing []string
	for _, name := range []string{"-w", "-i", "-o"} {
		if _, ok := seen[lookupExact(name)]; !ok {
			missing = append(missing, lookupExact(name).display())
		}
	}
	if len(missing) > 0 {
		return nil, &usageError{msg: "the following arguments are required: " + strings.Join(missing, ", ")}
	}
	if groupSeen[groupAction] == nil {
		return nil, &usageError{msg: "one of the arguments --version -e/--encrypt -d/--decrypt --decrypt-unsigned is required"}
	}
	if groupSeen[groupMetadata] == nil {
		return nil, &usageError{
			msg:  "one of the arguments -S/--suppress-metadata --metadata-output is required",
			hint: "add -S to write no metadata, or --metadata-output FILE (or -) to record each operation",
		}
	}
	if len(extras) > 0 {
		return nil, usagef("unrecognized arguments: %s", strings.Join(extras, " "))
	}
	if o.reqECKeys {
		return nil, usagef("--required-encryption-context-keys cannot be manually provided")
	}
	return o, nil
}

// resolveOption finds the option an option-like token names. It returns
// d == nil for an unknown option (argparse reports those with the other
// unrecognized arguments).
func resolveOption(tok string, o *rawOptions) (d *optDef, typed, explicit string, hasExplicit bool, err error) {
	if d := lookupExact(tok); d != nil {
		return d, tok, "", false, nil
	}
	name, value, hasValue := strings.Cut(tok, "=")
	if d := lookupExact(name); hasValue && d != nil {
		return d, name, value, true, nil
	}
	if strings.HasPrefix(tok, "--") {
		var matches []string
		for _, n := range longOptions() {
			if strings.HasPrefix(n, name) && !lookupExact(n).hidden {
				matches = append(matches, n)
			}
		}
		switch len(matches) {
		case 0:
			return nil, "", "", false, nil
		case 1:
			o.warnings = append(o.warnings, fmt.Sprintf("%s is taken as %s; spell options out in full", name, matches[0]))
			return lookupExact(matches[0]), matches[0], value, hasValue, nil
		default:
			return nil, "", "", false, usagef("ambiguous option: %s could match %s", name, strings.Join(matches, ", "))
		}
	}
	// Single dash. The Python CLI registers "-encrypt" for every
	// "--encrypt" to catch this typo.
	if len(name) > 2 {
		if d := lookupExact("-" + name); d != nil && !d.hidden {
			return nil, "", "", false, usagef("Found invalid argument %q. Did you mean %q?", name, "-"+name)
		}
	}
	if d := lookupExact(tok[:2]); d != nil {
		return d, tok[:2], tok[2:], len(tok) > 2, nil
	}
	return nil, "", "", false, nil
}
