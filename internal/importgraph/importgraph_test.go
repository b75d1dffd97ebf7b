package importgraph

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// goCmd returns the go command that built this test.
func goCmd(t *testing.T) string {
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	return p
}

// listImports returns, for every package of the module, its direct
// (non-test) imports, and the module path.
func listImports(t *testing.T) (module string, imports map[string][]string) {
	t.Helper()
	gocmd := goCmd(t)
	out, err := exec.Command(gocmd, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not inside a module")
	}
	root := filepath.Dir(gomod)
	cmd := exec.Command(gocmd, "list", "-e", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	cmd = exec.Command(gocmd, "list", "-m")
	cmd.Dir = root
	m, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module = strings.TrimSpace(string(m))
	imports = map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, deps, _ := strings.Cut(line, "\t")
		imports[path] = strings.Fields(deps)
	}
	return module, imports
}

// rel returns p relative to the module ("" for the root package), and
// whether p is in the module.
func rel(module, p string) (string, bool) {
	if p == module {
		return "", true
	}
	r, ok := strings.CutPrefix(p, module+"/")
	return r, ok
}

// under reports whether pkg is dir or below it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// isStd reports whether an import path belongs to the standard library
// (its first element has no dot).
func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// rules are the one-way flow of DESIGN.md, on direct imports of module
// packages:
//
//	algorithms      → (nothing in the module)
//	materials       → algorithms
//	format          → algorithms, materials
//	keyring/...     → algorithms, materials, internal/kdf, internal/ecdhedk, internal/rawaes (and other keyring packages)
//	internal/kdf    → (nothing in the module)
//	internal/ecdhedk → internal/kdf
//	internal/rawaes → algorithms, materials
//	internal/wire   → algorithms
//	internal/frame  → algorithms, format, internal/wire
//	encryptsdk      ↛ keyring/...
//	keystore        → keyring/hierarchy, keyring/awskms (its ARN parser)
//	internal/kmscases → algorithms, materials, encryptsdk, keyring/awskms (tests of the KMS keyrings)
var rules = []struct {
	pkg     string // a package and everything below it
	allowed func(dep string) bool
	what    string
}{
	{"algorithms", func(string) bool { return false }, "nothing from the module"},
	{"materials", func(d string) bool { return d == "algorithms" }, "only algorithms"},
	{"format", func(d string) bool { return d == "algorithms" || d == "materials" }, "only algorithms and materials"},
	{"keyring", func(d string) bool {
		return d == "algorithms" || d == "materials" || d == "internal/kdf" || d == "internal/ecdhedk" || d == "internal/rawaes" || under(d, "keyring")
	}, "only algorithms, materials, internal/kdf, internal/ecdhedk, internal/rawaes and keyring packages"},
	{"internal/kdf", func(string) bool { return false }, "nothing from the module"},
	{"internal/ecdhedk", func(d string) bool { return d == "internal/kdf" }, "only internal/kdf"},
	{"internal/rawaes", func(d string) bool { return d == "algorithms" || d == "materials" }, "only algorithms and materials"},
	{"internal/wire", func(d string) bool { return d == "algorithms" }, "only algorithms"},
	{"internal/frame", func(d string) bool { return d == "algorithms" || d == "format" || d == "internal/wire" }, "only algorithms, format and internal/wire"},
	{"encryptsdk", func(d string) bool { return !under(d, "keyring") }, "no keyring package"},
	{"keystore", func(d string) bool { return d == "keyring/hierarchy" || d == "keyring/awskms" }, "only keyring/hierarchy and keyring/awskms"},
	{"internal/kmscases", func(d string) bool {
		return d == "algorithms" || d == "materials" || d == "encryptsdk" || d == "keyring/awskms"
	}, "only algorithms, materials, encryptsdk and keyring/awskms"},
}

// stdlibOnly are the core packages that import nothing outside the
// standard library and the module (DESIGN.md: keyring/awskms is the only
// keyring package that imports the AWS SDK; keystore, the branch key
// store, imports its DynamoDB and AWS KMS clients).
var stdlibOnly = []string{"algorithms", "materials", "format", "keyring", "internal/frame", "internal/wire", "internal/kdf", "internal/ecdhedk", "internal/rawaes",
	// encrypt-cli's Python-compatibility layer.
	"cmd/encrypt-cli/internal/argfile", "cmd/encrypt-cli/internal/argparse", "cmd/encrypt-cli/internal/clierr",
	"cmd/encrypt-cli/internal/pyglob", "cmd/encrypt-cli/internal/pyjson"}

// violations checks an import graph against the rules.
func violations(module string, imports map[string][]string) []string {
	var out []string
	seen := map[string]bool{}
	for path, deps := range imports {
		pkg, ok := rel(module, path)
		if !ok {
			out = append(out, "go list returned "+path+" outside module "+module)
			continue
		}
		for _, r := range rules {
			if !under(pkg, r.pkg) {
				continue
			}
			seen[r.pkg] = true
			for _, dep := range deps {
				if d, inModule := rel(module, dep); inModule && !r.allowed(d) {
					out = append(out, pkg+" imports "+d+"; "+r.pkg+" may import "+r.what)
				}
			}
		}
	}
	for _, r := range rules {
		if !seen[r.pkg] {
			out = append(out, "package "+r.pkg+" not found; update the import-graph rules")
		}
	}
	for _, pkg := range stdlibOnly {
		for _, dep := range imports[module+"/"+pkg] {
			if _, inModule := rel(module, dep); !inModule && !isStd(dep) {
				out = append(out, pkg+" imports third-party package "+dep)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestImportGraph(t *testing.T) {
	module, imports := listImports(t)
	for _, v := range violations(module, imports) {
		t.Error(v)
	}
}

// TestRulesCatchViolations feeds the checker a made-up graph with one
// violation of each kind.
func TestRulesCatchViolations(t *testing.T) {
	m := "example.com/m"
	graph := map[string][]string{
		m + "/algorithms":        {"fmt", m + "/materials"},
		m + "/materials":         {m + "/algorithms", m + "/format"},
		m + "/format":            {m + "/algorithms", m + "/materials", m + "/keyring"},
		m + "/keyring":           {m + "/algorithms", m + "/materials", "github.com/aws/aws-sdk-go-v2/aws"},
		m + "/keyring/awskms":    {m + "/keyring", m + "/materials", m + "/format", "github.com/aws/aws-sdk-go-v2/aws"},
		m + "/internal/frame":    {m + "/algorithms", m + "/format", m + "/materials"},
		m + "/internal/wire":     {m + "/algorithms", m + "/format"},
		m + "/internal/kdf":      {"crypto/hmac", m + "/algorithms"},
		m + "/internal/ecdhedk":  {m + "/internal/kdf", m + "/materials"},
		m + "/encryptsdk":        {m + "/format", m + "/keyring/awskms"},
		m + "/cmd/tool":          {m + "/keyring", m + "/encryptsdk"},
		m + "/keystore":          {m + "/keyring/hierarchy", m + "/encryptsdk"},
		m + "/internal/kmscases": {m + "/keyring/awskms", m + "/keyring"},
		m + "/internal/rawaes":   {m + "/algorithms", m + "/format"},
	}
	want := []string{
		"algorithms imports materials; algorithms may import nothing from the module",
		"encryptsdk imports keyring/awskms; encryptsdk may import no keyring package",
		"format imports keyring; format may import only algorithms and materials",
		"internal/ecdhedk imports materials; internal/ecdhedk may import only internal/kdf",
		"internal/frame imports materials; internal/frame may import only algorithms, format and internal/wire",
		"internal/kdf imports algorithms; internal/kdf may import nothing from the module",
		"internal/kmscases imports keyring; internal/kmscases may import only algorithms, materials, encryptsdk and keyring/awskms",
		"internal/rawaes imports format; internal/rawaes may import only algorithms and materials",
		"internal/wire imports format; internal/wire may import only algorithms",
		"keyring imports third-party package github.com/aws/aws-sdk-go-v2/aws",
		"keyring/awskms imports format; keyring may import only algorithms, materials, internal/kdf, internal/ecdhedk, internal/rawaes and keyring packages",
		"keystore imports encryptsdk; keystore may import only keyring/hierarchy and keyring/awskms",
		"materials imports format; materials may import only algorithms",
	}
	if got := violations(m, graph); !slices.Equal(got, want) {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	delete(graph, m+"/internal/frame")
	if got := violations(m, graph); !slices.Contains(got, "package internal/frame not found; update the import-graph rules") {
		t.Errorf("missing package not reported: %q", got)
	}
}

func TestHelpers(t *testing.T) {
	if !under("keyring/awskms", "keyring") || under("keyringx", "keyring") || !under("keyring", "keyring") {
		t.Error("under")
	}
	if r, ok := rel("m", "m/a/b"); !ok || r != "a/b" {
		t.Error("rel")
	}
	if _, ok := rel("m", "mx/a"); ok {
		t.Error("rel prefix")
	}
	if !isStd("crypto/aes") || isStd("github.com/x/y") {
		t.Error("isStd")
	}
}
