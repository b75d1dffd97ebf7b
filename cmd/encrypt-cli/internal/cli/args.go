package cli

// The command line: the Python aws-encryption-cli's options, parsed with
// its argparse behaviour (package argparse) after @file expansion (package
// argfile), and its required options and groups.
//
// One deliberate difference: argparse silently accepts any unique prefix of
// a long option (--overwrite means --overwrite-metadata, the cause of
// aws/aws-encryption-sdk-cli#98). Here a unique prefix still works, so that
// existing scripts keep running, but a warning names the full option.

import (
	"os"
	"slices"
	"strings"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/argfile"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/argparse"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
)

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
	rng        *string // --range START:END
	skipSig    bool    // --skip-signature-verification

	warnings []string // notes for the user, printed unless -q
}

// Mutually exclusive groups.
const (
	groupAction = iota + 1
	groupMetadata
)

// newParser returns the parser of the command line, which stores what it
// finds in o.
func newParser(o *rawOptions) *argparse.Parser {
	flag := func(f func()) func(string, []string) error {
		return func(string, []string) error { f(); return nil }
	}
	action := func(a string) func(string, []string) error { return flag(func() { o.action = a }) }
	p := &argparse.Parser{}
	setInt := func(field **int64) func(string, []string) error {
		return func(typed string, v []string) error {
			n, err := argparse.ParseInt(v[0])
			if err != nil {
				return clierr.Usagef("argument %s: invalid int value: %s", p.DisplayOf(typed), argparse.Repr(v[0]))
			}
			*field = &n
			return nil
		}
	}
	p.Options = []*argparse.Option{
		{Names: []string{"-h", "--help"}, Stop: true, Set: flag(func() { o.help = true })},
		{Names: []string{"--version"}, Group: groupAction, Stop: true, Set: flag(func() { o.version = true })},
		{Names: []string{"-e", "--encrypt"}, Group: groupAction, Set: action("encrypt")},
		{Names: []string{"-d", "--decrypt"}, Group: groupAction, Set: action("decrypt")},
		{Names: []string{"--decrypt-unsigned"}, Group: groupAction, Set: action("decrypt-unsigned")},
		{Names: []string{"-S", "--suppress-metadata"}, Group: groupMetadata, Set: flag(func() { o.suppress = true })},
		{Names: []string{"--metadata-output"}, Nargs: argparse.One, Group: groupMetadata, Set: func(_ string, v []string) error { o.metadata = &v[0]; return nil }},
		{Names: []string{"--overwrite-metadata"}, Set: flag(func() { o.overwrite = true })},
		{Names: []string{"-w", "--wrapping-keys"}, Nargs: argparse.Plus, Set: func(_ string, v []string) error {
			o.wrapping = append(o.wrapping, slices.Clone(v))
			return nil
		}},
		{Names: []string{"--commitment-policy"}, Nargs: argparse.One, Set: func(_ string, v []string) error {
			if !slices.Contains(commitmentPolicyNames, v[0]) {
				return clierr.Usage("argument --commitment-policy: invalid choice: "+argparse.Repr(v[0]),
					"choose from "+strings.Join(commitmentPolicyNames, ", "))
			}
			o.commitment = v[0]
			return nil
		}},
		{Names: []string{"--caching"}, Nargs: argparse.Plus, Unique: true, Set: func(_ string, v []string) error {
			o.caching, o.cachingSet = slices.Clone(v), true
			return nil
		}},
		{Names: []string{"-b", "--buffer"}, Set: flag(func() { o.buffer = true })},
		{Names: []string{"-i", "--input"}, Nargs: argparse.One, Unique: true, Set: func(_ string, v []string) error { o.input = &v[0]; return nil }},
		{Names: []string{"-o", "--output"}, Nargs: argparse.One, Unique: true, Set: func(_ string, v []string) error { o.output = &v[0]; return nil }},
		{Names: []string{"--encode"}, Set: flag(func() { o.encode = true })},
		{Names: []string{"--decode"}, Set: flag(func() { o.decode = true })},
		{Names: []string{"-c", "--encryption-context"}, Nargs: argparse.Plus, Unique: true, Set: func(_ string, v []string) error {
			o.encCtx, o.encCtxSet = slices.Clone(v), true
			return nil
		}},
		{Names: []string{"--required-encryption-context-keys"}, Nargs: argparse.Plus, Unique: true, Hidden: true, Set: flag(func() { o.reqECKeys = true })},
		{Names: []string{"--algorithm"}, Nargs: argparse.One, Unique: true, Set: func(_ string, v []string) error { o.algorithm = &v[0]; return nil }},
		{Names: []string{"--frame-length"}, Nargs: argparse.One, Unique: true, Set: setInt(&o.frameLen)},
		{Names: []string{"--max-length"}, Nargs: argparse.One, Unique: true, Set: setInt(&o.maxLength)},
		{Names: []string{"--max-encrypted-data-keys"}, Nargs: argparse.One, Unique: true, Set: setInt(&o.maxEDKs)},
		{Names: []string{"--suffix"}, Nargs: argparse.Optional, Unique: true, Set: func(_ string, v []string) error {
			s := ""
			if len(v) > 0 {
				s = v[0]
			}
			o.suffix = &s
			return nil
		}},
		{Names: []string{"--interactive"}, Set: flag(func() { o.interact = true })},
		{Names: []string{"--no-overwrite"}, Set: flag(func() { o.noOverwr = true })},
		{Names: []string{"-r", "-R", "--recursive"}, Set: flag(func() { o.recursive = true })},
		{Names: []string{"-v"}, Set: flag(func() { o.verbosity++ })},
		{Names: []string{"-q", "--quiet"}, Set: flag(func() { o.quiet = true })},
		// Not in the Python CLI.
		{Names: []string{"--jobs"}, Nargs: argparse.One, Unique: true, Set: setInt(&o.jobs)},
		{Names: []string{"--range"}, Nargs: argparse.One, Unique: true, Set: func(_ string, v []string) error { o.rng = &v[0]; return nil }},
		{Names: []string{"--skip-signature-verification"}, Set: flag(func() { o.skipSig = true })},
	}
	return p
}

var commitmentPolicyNames = []string{"forbid-encrypt-allow-decrypt", "require-encrypt-allow-decrypt", "require-encrypt-require-decrypt"}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// parseArgs parses the command line (after @file expansion). Its errors
// are usage errors.
func parseArgs(args []string, env argfile.Env) (*rawOptions, error) {
	args, err := argfile.Expand(args, env)
	if err != nil {
		return nil, err
	}
	o := &rawOptions{commitment: "require-encrypt-require-decrypt"}
	p := newParser(o)
	res, err := p.Parse(args)
	if err != nil {
		return nil, clierr.AsUsage(err)
	}
	o.warnings = res.Warnings
	if res.Stopped {
		return o, nil
	}
	var missing []string
	for _, name := range []string{"-w", "-i", "-o"} {
		if _, ok := res.Seen[p.Lookup(name)]; !ok {
			missing = append(missing, p.Lookup(name).Display())
		}
	}
	switch {
	case len(missing) > 0:
		return nil, clierr.Usagef("the following arguments are required: %s", strings.Join(missing, ", "))
	case res.Groups[groupAction] == nil:
		return nil, clierr.Usagef("one of the arguments --version -e/--encrypt -d/--decrypt --decrypt-unsigned is required")
	case res.Groups[groupMetadata] == nil:
		return nil, clierr.Usage("one of the arguments -S/--suppress-metadata --metadata-output is required",
			"add -S to write no metadata, or --metadata-output FILE (or -) to record each operation")
	case len(res.Extras) > 0:
		return nil, clierr.Usagef("unrecognized arguments: %s", strings.Join(res.Extras, " "))
	case o.reqECKeys:
		return nil, clierr.Usagef("--required-encryption-context-keys cannot be manually provided")
	}
	return o, nil
}
