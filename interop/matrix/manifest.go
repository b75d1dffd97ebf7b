package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-esdk/esdk/testvectors"
)

// genManifest is the awses-decrypt manifest written by this library's
// vector generator, turned into driver jobs.
type genManifest struct {
	dir   string
	tests []manifestTest
}

type manifestTest struct {
	name       string
	ciphertext string
	plaintext  string
	keys       []KeySpec
}

// generateManifest runs the generator of `esdk-vectors generate -out dir`
// and reads back what it wrote.
func generateManifest(dir string) (*genManifest, error) {
	if _, err := testvectors.Generate(context.Background(), dir); err != nil {
		return nil, err
	}
	return loadManifest(dir)
}

func loadManifest(dir string) (*genManifest, error) {
	var m testvectors.DecryptManifest
	if err := readJSON(filepath.Join(dir, "manifest.json"), &m); err != nil {
		return nil, err
	}
	var keys testvectors.KeysManifest
	if err := readJSON(filepath.Join(dir, strings.TrimPrefix(m.Keys, "file://")), &keys); err != nil {
		return nil, err
	}
	g := &genManifest{dir: dir}
	for _, name := range slices.Sorted(maps.Keys(m.Tests)) {
		t := m.Tests[name]
		if t.Result == nil || t.Result.Output == nil {
			return nil, fmt.Errorf("manifest test %s: only positive tests are expected", name)
		}
		mt := manifestTest{
			name:       name,
			ciphertext: filepath.Join(dir, strings.TrimPrefix(t.Ciphertext, "file://")),
			plaintext:  filepath.Join(dir, strings.TrimPrefix(t.Result.Output.Plaintext, "file://")),
		}
		for _, d := range t.MasterKeys {
			s, err := manifestKey(d, keys)
			if err != nil {
				return nil, fmt.Errorf("manifest test %s: %w", name, err)
			}
			mt.keys = append(mt.keys, s)
		}
		g.tests = append(g.tests, mt)
	}
	return g, nil
}

// manifestKey turns a master-key description and its keys-manifest entry
// into a driver key spec.
func manifestKey(d testvectors.KeyDescription, keys testvectors.KeysManifest) (KeySpec, error) {
	k, ok := keys.Keys[d.Key]
	if !ok || d.Type != "raw" {
		return nil, fmt.Errorf("unsupported master key %+v", d)
	}
	var material string
	if err := json.Unmarshal(k.Material, &material); err != nil {
		return nil, fmt.Errorf("key %s: material: %w", d.Key, err)
	}
	name := k.KeyID
	if name == "" {
		name = d.Key
	}
	switch d.Algorithm {
	case "aes":
		return KeySpec{"type": "raw-aes", "namespace": d.ProviderID, "name": name, "key": material}, nil
	case "rsa":
		padding := "pkcs1"
		if d.Padding == "oaep-mgf1" {
			padding = "oaep-" + d.PaddingHash
		}
		s := KeySpec{"type": "raw-rsa", "namespace": d.ProviderID, "name": name, "padding": padding}
		if k.Type == "private" {
			s["private-key"] = material
		} else {
			s["public-key"] = material
		}
		return s, nil
	}
	return nil, fmt.Errorf("unsupported algorithm %q", d.Algorithm)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func writeFile(path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		panic(err)
	}
}
