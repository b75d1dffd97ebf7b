package awskms_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOnlyAWSKMSImportsAWS checks that no library package of the module
// outside keyring/awskms and keystore (the branch key store, a DynamoDB and
// AWS KMS client by nature) imports the AWS SDK (commands under cmd/ may
// load AWS configuration, and internal/kmscases holds the KMS keyring tests), and that no file of the module, test files included,
// imports local-kms: the test KMS lives in the kmstest module, so that its
// dependencies stay out of this module's go.mod.
func TestOnlyAWSKMSImportsAWS(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skip("module root not found")
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		isTest := strings.HasSuffix(path, "_test.go")
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return nil // someone else's file being edited; not this test's business
		}
		inAWSKMS := strings.HasPrefix(rel, "keyring/awskms/") || strings.HasPrefix(rel, "keystore/") || strings.HasPrefix(rel, "cmd/") || strings.HasPrefix(rel, "internal/kmscases/")
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			aws := strings.HasPrefix(p, "github.com/aws/")
			lk := strings.HasPrefix(p, "github.com/nsmithuk/") || strings.HasPrefix(p, "github.com/go-esdk/esdk/kmstest")
			if (aws && !inAWSKMS && !isTest) || lk {
				t.Errorf("%s imports %s", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
