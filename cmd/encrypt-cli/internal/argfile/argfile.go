// Package argfile expands @file arguments the way the Python
// aws-encryption-cli does: argparse's fromfile_prefix_chars="@" with the
// CLI's convert_arg_line_to_args, which splits each line (str.splitlines)
// with shlex in POSIX mode (whitespace_split, '#' comments, both quote
// characters escapable) and then applies os.path.expanduser and
// os.path.expandvars to every token. Nested @files are expanded too.
package argfile

import (
	"fmt"
	"os"
	"os/user"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
)

// Env is what expansion needs from the outside world, replaceable in
// tests.
type Env struct {
	ReadFile  func(name string) ([]byte, error)
	LookupEnv func(name string) (string, bool)
	HomeDir   func(user string) (string, bool) // "" is the current user
	Windows   bool                             // shlex's escape character is ` (Python CLI on Windows)
}

// OSEnv is the Env of the running process.
func OSEnv() Env {
	return Env{
		ReadFile:  os.ReadFile,
		LookupEnv: os.LookupEnv,
		HomeDir: func(name string) (string, bool) {
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
		Windows: runtime.GOOS == "windows",
	}
}

// MaxDepth bounds @file nesting (a file that includes itself).
const MaxDepth = 32

// Expand replaces every argument that starts with '@' by the arguments read
// from the named file. Its errors are usage errors (package clierr).
func Expand(args []string, env Env) ([]string, error) { return expand(args, env, 0) }

func expand(args []string, env Env, depth int) ([]string, error) {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "@") {
			out = append(out, a)
			continue
		}
		if depth >= MaxDepth {
			return nil, clierr.Usage(fmt.Sprintf("argument file %s: @file arguments nested more than %d deep", a, MaxDepth), "an argument file may be including itself")
		}
		data, err := env.ReadFile(a[1:])
		if err != nil {
			if pe, ok := err.(*os.PathError); ok {
				err = pe.Err
			}
			return nil, clierr.Usagef("cannot read argument file %q: %v", a[1:], err)
		}
		var fileArgs []string
		for n, line := range SplitLines(string(data)) {
			toks, err := Split(line, env.Windows)
			if err != nil {
				return nil, clierr.Usagef("argument file %q, line %d: %v", a[1:], n+1, err)
			}
			for _, t := range toks {
				t = strings.TrimSpace(t)
				t = ExpandUser(t, env)
				t = ExpandVars(t, env)
				fileArgs = append(fileArgs, t)
			}
		}
		sub, err := expand(fileArgs, env, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

// SplitLines splits s like Python's str.splitlines.
func SplitLines(s string) []string {
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

// Split splits a line like Python's shlex in POSIX mode with
// whitespace_split=True and escapedquotes set to both quote characters (the
// Python CLI's configuration). A '#' outside quotes starts a comment, even
// in the middle of a word.
func Split(line string, windows bool) ([]string, error) {
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

// ExpandUser does what Python's os.path.expanduser does on POSIX.
func ExpandUser(s string, env Env) string {
	if !strings.HasPrefix(s, "~") {
		return s
	}
	i := strings.IndexByte(s[1:], '/') + 1
	if i == 0 {
		i = len(s)
	}
	home, ok := env.HomeDir(s[1:i])
	if !ok {
		return s
	}
	home = strings.TrimRight(home, "/")
	if r := home + s[i:]; r != "" {
		return r
	}
	return "/"
}

// ExpandVars does what Python's os.path.expandvars does on POSIX: $NAME and
// ${NAME} are replaced when NAME is set and left alone otherwise.
func ExpandVars(s string, env Env) string {
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
		v, ok := env.LookupEnv(name)
		if !ok {
			i = end
			continue
		}
		s = s[:start] + v + s[end:]
		i = start + len(v)
	}
}
