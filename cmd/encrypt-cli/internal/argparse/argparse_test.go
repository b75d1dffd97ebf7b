package argparse

import (
	"slices"
	"strings"
	"testing"
)

// parser is a small option set shaped like the Python CLI's.
func parser(got map[string][]string) *Parser {
	set := func(typed string, vals []string) error {
		got[typed] = append(got[typed], vals...)
		if vals == nil {
			got[typed] = append(got[typed], "")
		}
		return nil
	}
	return &Parser{Options: []*Option{
		{Names: []string{"-h", "--help"}, Stop: true, Set: set},
		{Names: []string{"-e", "--encrypt"}, Group: 1, Set: set},
		{Names: []string{"-d", "--decrypt"}, Group: 1, Set: set},
		{Names: []string{"-S", "--suppress-metadata"}, Set: set},
		{Names: []string{"-i", "--input"}, Nargs: One, Unique: true, Set: set},
		{Names: []string{"-w", "--wrapping-keys"}, Nargs: Plus, Set: set},
		{Names: []string{"--suffix"}, Nargs: Optional, Set: set},
		{Names: []string{"--frame-length"}, Nargs: One, Set: set},
		{Names: []string{"--overwrite-metadata"}, Set: set},
		{Names: []string{"--hidden-thing"}, Hidden: true, Set: set},
		{Names: []string{"-v"}, Set: set},
	}}
}

// Each case is what Python 3.11's argparse does with the same parser.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		python string // the argparse behaviour reproduced
		args   string
		want   string // typed option=values;... in order of first use, or the error
		extras string
		warn   string
	}{
		{"nargs='+' consumes up to the next option", "-w a b -e", "-w=a,b;-e=", "", ""},
		{"--opt=value", "--input=x", "--input=x", "", ""},
		{"-ovalue", "-ix", "-i=x", "", ""},
		{"clustered flags", "-eS -vvv", "-e=;-S=;-v=,,", "", ""},
		{"a cluster ending in a value", "-Six", "-S=;-i=x", "", ""},
		{"negative numbers are values", "--frame-length -5", "--frame-length=-5", "", ""},
		{"negative decimals are values", "--frame-length -.5", "--frame-length=-.5", "", ""},
		{"nargs='?' without a value", "--suffix -e", "--suffix=;-e=", "", ""},
		{"nargs='?' with a value", "--suffix .x", "--suffix=.x", "", ""},
		{"a unique prefix selects the option (with a warning here)", "--overwrite", "--overwrite-metadata=", "", "--overwrite is taken as --overwrite-metadata"},
		{"hidden options are not abbreviated", "--hidden", "", "--hidden", ""},
		{"'--' ends options", "-e -- -d", "-e=", "-d", ""},
		{"positional arguments are extras", "x -e y", "-e=", "x y", ""},
		{"unknown options are extras", "--bogus -e", "-e=", "--bogus", ""},
		{"help stops parsing", "-h --bogus", "-h=", "", ""},
		{"an option value with a space is a value", "-w '-x y'", "-w='-x y'", "", ""},
		{"UniqueStoreAction", "-i a -i b", "error: -i argument may not be specified more than once", "", ""},
		{"mutually exclusive group", "-e -d", "error: argument -d/--decrypt: not allowed with argument -e/--encrypt", "", ""},
		{"expected one argument", "-i -e", "error: argument -i/--input: expected one argument", "", ""},
		{"expected at least one argument", "-w -e", "error: argument -w/--wrapping-keys: expected at least one argument", "", ""},
		{"ambiguous prefix", "--su", "", "", ""},
		{"ignored explicit argument", "-e=x", "error: argument -e/--encrypt: ignored explicit argument 'x'", "", ""},
		{"ignored explicit argument in a cluster", "-eZ", "error: argument -e/--encrypt: ignored explicit argument 'Z'", "", ""},
		{"single-dash long option (the Python CLI's check)", "-encrypt", `error: Found invalid argument "-encrypt". Did you mean "--encrypt"?`, "", ""},
	} {
		got := map[string][]string{}
		p := parser(got)
		args := strings.Fields(tc.args)
		if tc.python == "an option value with a space is a value" {
			args = []string{"-w", "-x y"}
		}
		res, err := p.Parse(args)
		var s string
		if err != nil {
			s = "error: " + err.Error()
		} else {
			var parts []string
			order := orderOf(args, got)
			for _, k := range order {
				parts = append(parts, k+"="+strings.Join(got[k], ","))
			}
			s = strings.Join(parts, ";")
			if strings.Join(res.Extras, " ") != tc.extras {
				t.Errorf("%s: %q: extras %q, want %q", tc.python, tc.args, res.Extras, tc.extras)
			}
			if tc.warn != "" && !strings.Contains(strings.Join(res.Warnings, "\n"), tc.warn) {
				t.Errorf("%s: %q: warnings %q, want %q", tc.python, tc.args, res.Warnings, tc.warn)
			}
		}
		if tc.args == "--su" {
			if err == nil || err.Error() != "ambiguous option: --su could match --suppress-metadata, --suffix" {
				t.Errorf("%s: %v", tc.python, err)
			}
			continue
		}
		if tc.python == "an option value with a space is a value" {
			if !slices.Equal(got["-w"], []string{"-x y"}) {
				t.Errorf("%s: %q", tc.python, got)
			}
			continue
		}
		if s != tc.want {
			t.Errorf("%s: %q: got %q, want %q", tc.python, tc.args, s, tc.want)
		}
	}
}

// orderOf lists the typed spellings in got in the order they first appear
// in args (clusters and --opt=value included).
func orderOf(args []string, got map[string][]string) []string {
	var out []string
	add := func(k string) {
		if _, ok := got[k]; ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		add(name)
		if strings.HasPrefix(a, "--") {
			for k := range got {
				if strings.HasPrefix(k, name) {
					add(k)
				}
			}
			continue
		}
		for _, c := range a[min(1, len(a)):] {
			add("-" + string(c))
		}
	}
	return out
}

// Python's int() for the spellings a command line uses.
func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "-0": 0, " 12 ": 12, "+7": 7, "1_000": 1000, "-5": -5} {
		if got, err := ParseInt(in); err != nil || got != want {
			t.Errorf("int(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1__0", "_1", "1_", "-_1", "0x10", "1.0", "ten"} {
		if _, err := ParseInt(bad); err == nil {
			t.Errorf("int(%q) accepted; Python raises ValueError", bad)
		}
	}
}

// Python's repr() of a str.
func TestRepr(t *testing.T) {
	for in, want := range map[string]string{
		"x":      `'x'`,
		"it's":   `"it's"`,
		`a'b"c`:  `'a\'b"c'`,
		`back\s`: `'back\\s'`,
		`"q"`:    `'"q"'`,
	} {
		if got := Repr(in); got != want {
			t.Errorf("repr(%q) = %s, want %s", in, got, want)
		}
	}
}
