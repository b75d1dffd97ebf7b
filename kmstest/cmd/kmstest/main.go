// Command kmstest serves the test KMS of package
// [github.com/go-esdk/esdk/kmstest] (local-kms, one server per region) on
// 127.0.0.1 for tests that run in another process or module, such as those
// of cmd/encrypt-cli.
//
// Usage:
//
//	kmstest REGION[/ACCOUNT][=SEEDFILE] ...
//
// Each argument names a region, optionally with a local-kms seed file to
// load into it, in the region's default account (111122223333) or in
// ACCOUNT. A region named by several arguments is one server with every
// seed loaded, in order. When all servers are up, kmstest writes one line
// per region to standard output, in the order the regions were first
// named:
//
//	REGION URL
//
// and then serves until standard input reaches end of file (or it is
// interrupted), when it stops the servers and deletes their data. A test
// that starts kmstest with a pipe as standard input so stops it by closing
// the pipe, or by exiting.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/go-esdk/esdk/kmstest"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kmstest:", err)
		os.Exit(1)
	}
}

// seed is one argument: a region, and an optional seed file for an
// optional account.
type seed struct {
	region, account, file string
}

func parseArg(arg string) (seed, error) {
	var s seed
	where, file, hasFile := strings.Cut(arg, "=")
	s.region, s.account, _ = strings.Cut(where, "/")
	if hasFile {
		if file == "" {
			return s, fmt.Errorf("argument %q: empty seed file name", arg)
		}
		s.file = file
	}
	if s.region == "" || strings.ContainsAny(s.region, " \t\n") {
		return s, fmt.Errorf("argument %q: want REGION[/ACCOUNT][=SEEDFILE]", arg)
	}
	if s.account != "" && (len(s.account) != 12 || strings.Trim(s.account, "0123456789") != "") {
		return s, fmt.Errorf("argument %q: account %q is not 12 digits", arg, s.account)
	}
	if s.account != "" && !hasFile {
		return s, fmt.Errorf("argument %q: an account needs a seed file", arg)
	}
	return s, nil
}

// run starts the servers that args describe, writes their URLs to out and
// serves until in ends or a signal arrives.
func run(args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: kmstest REGION[/ACCOUNT][=SEEDFILE] [REGION...]")
	}
	var seeds []seed
	for _, a := range args {
		s, err := parseArg(a)
		if err != nil {
			return err
		}
		seeds = append(seeds, s)
	}
	servers := map[string]*kmstest.Server{}
	var order []*kmstest.Server
	defer func() {
		for _, s := range order {
			s.Close()
		}
	}()
	for _, sd := range seeds {
		s := servers[sd.region]
		if s == nil {
			var err error
			if s, err = kmstest.NewServer(sd.region, ""); err != nil {
				return err
			}
			servers[sd.region] = s
			order = append(order, s)
		}
		if sd.file == "" {
			continue
		}
		b, err := os.ReadFile(sd.file)
		if err != nil {
			return err
		}
		if err := s.Seed(sd.account, b); err != nil {
			return fmt.Errorf("%s: %w", sd.file, err)
		}
	}
	w := bufio.NewWriter(out)
	for _, s := range order {
		fmt.Fprintf(w, "%s %s\n", s.Region, s.URL)
	}
	if err := w.Flush(); err != nil {
		return err
	}

	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, in)
		close(done)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	select {
	case <-done:
	case <-sig:
	}
	return nil
}
