package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

var groups = []string{"raw-aes", "raw-rsa", "raw-ecdh", "multi-keyring", "edge", "required-ec", "tamper", "manifest", "kms", "kms-rsa", "hierarchy", "n/a probe"}

// report prints failures (every case with verbose), the table of peer ×
// direction × case group, the coverage of each dimension value, and the
// not-applicable list. It returns the number of failed checks.
func report(w io.Writer, peers []*Peer, checks []check, nas []naResult, errs []string, verbose bool) int {
	failed := 0
	for _, c := range checks {
		if !c.pass {
			failed++
		}
		if !c.pass || verbose {
			status := "PASS"
			if !c.pass {
				status = "FAIL"
			}
			line := fmt.Sprintf("%s  %-16s %-14s %s", status, c.dir, c.group, c.name)
			if c.detail != "" && (!c.pass || verbose) {
				line += "\n      " + c.detail
			}
			fmt.Fprintln(w, line)
		}
	}
	for _, e := range errs {
		fmt.Fprintln(w, "ERROR", e)
	}

	// The table.
	type key struct{ dir, group string }
	pass, total := map[key]int{}, map[key]int{}
	for _, c := range checks {
		k := key{c.dir, c.group}
		total[k]++
		if c.pass {
			pass[k]++
		}
	}
	used := slices.DeleteFunc(slices.Clone(groups), func(g string) bool {
		for k := range total {
			if k.group == g {
				return false
			}
		}
		return true
	})
	fmt.Fprintln(w)
	header := fmt.Sprintf("%-8s %-16s", "peer", "direction")
	for _, g := range used {
		header += fmt.Sprintf(" %13s", g)
	}
	header += fmt.Sprintf(" %11s", "all")
	fmt.Fprintln(w, header)
	fmt.Fprintln(w, strings.Repeat("-", len(header)))
	for _, p := range peers {
		for _, dir := range []string{p.Name + " → go", "go → " + p.Name} {
			line := fmt.Sprintf("%-8s %-16s", p.Name, dir)
			tp, tt := 0, 0
			for _, g := range used {
				k := key{dir, g}
				if total[k] == 0 {
					line += fmt.Sprintf(" %13s", "-")
					continue
				}
				cell := fmt.Sprintf("%d/%d", pass[k], total[k])
				if pass[k] != total[k] {
					cell += "!"
				}
				line += fmt.Sprintf(" %13s", cell)
				tp += pass[k]
				tt += total[k]
			}
			line += fmt.Sprintf(" %11s", fmt.Sprintf("%d/%d", tp, tt))
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "peer versions:")
	for _, p := range peers {
		fmt.Fprintf(w, "  %-7s %s\n", p.Name, p.Version)
	}

	// Coverage: how many passing positive cases each value appeared in.
	fmt.Fprintln(w)
	fmt.Fprintln(w, "coverage of the pairwise cases (passing cases per value, all peers and directions):")
	dims := []struct {
		name string
		vals []string
		of   func(c *combo) string
	}{
		{"suite", mapStr(allSuites(), suiteName), func(c *combo) string { return suiteName(c.suite) }},
		{"key", nil, func(c *combo) string { return c.key.name }},
		{"frame", mapStr(frameOpts, frameName), func(c *combo) string { return frameName(c.frame) }},
		{"size", mapStr(sizeOpts, sizeName), func(c *combo) string { return sizeName(c.size) }},
		{"context", mapStr(ecOpts, func(e ecOpt) string { return e.name }), func(c *combo) string { return c.ec.name }},
	}
	for _, d := range dims {
		count := map[string]int{}
		var order []string
		for _, c := range checks {
			if c.combo == nil || !c.pass {
				continue
			}
			v := d.of(c.combo)
			if count[v] == 0 {
				order = append(order, v)
			}
			count[v]++
		}
		vals := d.vals
		if vals == nil {
			vals = order
		}
		var parts []string
		for _, v := range vals {
			parts = append(parts, fmt.Sprintf("%s: %d", v, count[v]))
		}
		fmt.Fprintf(w, "  %-8s %s\n", d.name, strings.Join(parts, ", "))
	}

	fmt.Fprintln(w)
	if len(nas) == 0 {
		fmt.Fprintln(w, "not applicable: nothing")
	} else {
		fmt.Fprintln(w, "not applicable (verified in this run where there is an API to try: the peer was asked and refused):")
		slices.SortFunc(nas, func(a, b naResult) int { return strings.Compare(a.peer+a.what, b.peer+b.what) })
		for _, n := range nas {
			fmt.Fprintf(w, "  %-7s %s: %s\n", n.peer, n.what, n.reason)
			if n.evidence != "" {
				fmt.Fprintf(w, "          refused with: %s\n", n.evidence)
			} else {
				fmt.Fprintf(w, "          (no API to try)\n")
			}
		}
	}
	if failed == 0 && len(errs) == 0 {
		fmt.Fprintln(w, "  everything else (all 11 suites incl. AES-192, raw AES 128/192/256, all five RSA paddings,")
		fmt.Fprintln(w, "  frame lengths 1/4096/65536, non-framed, sizes 0/1/4096/1 MiB) worked in both directions for every peer.")
	}
	return failed
}

func mapStr[T any](xs []T, f func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
