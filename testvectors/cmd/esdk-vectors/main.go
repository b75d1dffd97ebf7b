// Command esdk-vectors runs and writes AWS Encryption SDK test vectors.
//
//	esdk-vectors decrypt [-net-v4-retry] [-allow-skip NAME,...] [-v] MANIFEST...
//	esdk-vectors inspect MANIFEST...
//	esdk-vectors generate -out DIR
//
// decrypt runs awses-decrypt manifests and prints one line per failed or
// skipped test, then "N passed, N failed" (", N skipped (not supported
// by this runner: N what, ...)" when any test could not run, naming what
// each skipped test needs that the runner lacks; under
// GODEBUG=fips140=only, ", N refused by design in FIPS 140-only mode
// (N what; ...)" for tests that need a keyring that mode refuses, which
// are not failures). A skip is not a failure unless -allow-skip is given:
// then only tests that need one of the listed things (key description
// types such as aws-kms-ecdh) may be skipped, and any other skip
// fails the run. inspect parses every message of the manifests without
// keys and verifies every signature. generate writes new awses-decrypt
// manifests (manifest.json, manifest-ecdh.json for raw ECDH and
// manifest-hierarchy.json for the hierarchical keyring) of
// messages made by this library. The exit status is 0 only when
// nothing failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/go-esdk/esdk/testvectors"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	ok := true
	switch os.Args[1] {
	case "decrypt":
		ok, err = decrypt(os.Args[2:])
	case "inspect":
		ok, err = inspect(os.Args[2:])
	case "generate":
		err = generate(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "esdk-vectors:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: esdk-vectors decrypt [-net-v4-retry] [-allow-skip NAME,...] [-v] MANIFEST... | inspect MANIFEST... | generate -out DIR")
	os.Exit(2)
}

func decrypt(args []string) (bool, error) {
	fs := flag.NewFlagSet("decrypt", flag.ExitOnError)
	retry := fs.Bool("net-v4-retry", false, "retry header authentication as messages of the ESDK for .NET 4.0.0 need")
	verbose := fs.Bool("v", false, "print every test with its outcome (and, for a negative test, the error)")
	allowSkip := fs.String("allow-skip", "", "comma-separated `names` (e.g. aws-kms-ecdh): only tests needing these may be skipped; any other skip fails the run")
	fs.Parse(args)
	if fs.NArg() == 0 {
		usage()
	}
	allowed := map[string]bool{}
	for _, n := range strings.Split(*allowSkip, ",") {
		if n != "" {
			allowed[n] = true
		}
	}
	var passed, failed, skipped, unexpected int
	skippedFor, refusedFor := map[string]int{}, map[string]int{}
	refused := 0
	for _, path := range fs.Args() {
		m, err := testvectors.LoadDecryptManifest(path)
		if err != nil {
			return false, err
		}
		outcomes := m.Run(context.Background(), testvectors.RunOptions{NetV400Retry: *retry})
		for _, o := range outcomes {
			switch o.Status {
			case testvectors.Failed:
				fmt.Printf("FAIL %s %s: %s\n", path, o.Name, o.Reason)
			case testvectors.Refused:
				if *verbose {
					fmt.Printf("REFUSED %s %s: %s\n", path, o.Name, o.Reason)
				}
				refusedFor[o.Unsupported]++
			case testvectors.Skipped:
				fmt.Printf("SKIP %s %s: %s\n", path, o.Name, o.Reason)
				skippedFor[o.Unsupported]++
				if len(allowed) > 0 && !allowed[o.Unsupported] {
					unexpected++
				}
			default:
				if *verbose {
					fmt.Printf("PASS %s %s %s\n", path, o.Name, o.Reason)
				}
			}
		}
		p, f, s := testvectors.Summary(outcomes)
		passed, failed, skipped = passed+p, failed+f, skipped+s
		refused += testvectors.Refusals(outcomes)
	}
	line := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if refused > 0 {
		var why []string
		for _, n := range slices.Sorted(maps.Keys(refusedFor)) {
			why = append(why, fmt.Sprintf("%d %s", refusedFor[n], n))
		}
		line += fmt.Sprintf(", %d refused by design in FIPS 140-only mode (%s)", refused, strings.Join(why, "; "))
	}
	if skipped > 0 {
		var why []string
		for _, n := range slices.Sorted(maps.Keys(skippedFor)) {
			why = append(why, fmt.Sprintf("%d %s", skippedFor[n], n))
		}
		line += fmt.Sprintf(", %d skipped (not supported by this runner: %s)", skipped, strings.Join(why, ", "))
	}
	if unexpected > 0 {
		line += fmt.Sprintf("; %d skipped tests are not allowed by -allow-skip", unexpected)
	}
	fmt.Println(line)
	return failed == 0 && unexpected == 0, nil
}

func inspect(args []string) (bool, error) {
	if len(args) == 0 {
		usage()
	}
	var total testvectors.InspectResult
	for _, path := range args {
		r, err := testvectors.InspectManifest(path)
		if err != nil {
			return false, err
		}
		for _, f := range r.Failures {
			fmt.Printf("FAIL %s %s\n", path, f)
		}
		total.Parsed += r.Parsed
		total.Verified += r.Verified
		total.Failures = append(total.Failures, r.Failures...)
	}
	fmt.Printf("%d parsed, %d signatures verified, %d failed\n", total.Parsed, total.Verified, len(total.Failures))
	return len(total.Failures) == 0, nil
}

func generate(args []string) error {
	fs := flag.NewFlagSet("generate", flag.ExitOnError)
	out := fs.String("out", "", "directory to write the manifest, keys, plaintexts and ciphertexts into")
	fs.Parse(args)
	if *out == "" {
		usage()
	}
	n, err := testvectors.Generate(context.Background(), *out)
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d tests to %s\n", n, *out)
	return nil
}
