// Command benchtable reads the output of run.sh and prints the tables of
// BENCHMARKS.md in Markdown: the median of each benchmark's runs, the
// ratios of ours to the official SDK and to the bare primitives, 1 KiB
// latencies beside the P-384 costs, and the peak RSS lines.
//
//	go run ./cmd/benchtable results.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// stats holds every run's value of each unit ("ns/op", "MB/s", "B/op",
// "allocs/op") of one benchmark.
type stats map[string][]float64

func (s stats) median(unit string) float64 {
	v := slices.Clone(s[unit])
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

var procSuffix = regexp.MustCompile(`-\d+$`)

func main() {
	log.SetFlags(0)
	var in io.Reader = os.Stdin
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		in = f
	}
	res := map[string]stats{}
	var comments, peak []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# loadavg"):
			comments = append(comments, line)
		case strings.HasPrefix(line, "peakrss "):
			peak = append(peak, line)
		case strings.HasPrefix(line, "Benchmark"):
			f := strings.Fields(line)
			if len(f) < 4 {
				continue
			}
			name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
			if res[name] == nil {
				res[name] = stats{}
			}
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err == nil {
					res[name][f[i+1]] = append(res[name][f[i+1]], v)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	get := func(name, unit string) float64 {
		if s := res[name]; s != nil {
			return s.median(unit)
		}
		return 0
	}
	runs := func(name string) int { return len(res[name]["ns/op"]) }

	seal := get("Baseline/AESGCM/Seal/64MiB", "MB/s")
	open := get("Baseline/AESGCM/Open/64MiB", "MB/s")
	sha := get("Baseline/SHA384/64MiB", "MB/s")
	aes := map[string]float64{"Encrypt": seal, "Decrypt": open}

	fmt.Println("### One-shot (EncryptBytes / DecryptBytes vs the official Encrypt / Decrypt)")
	fmt.Println()
	fmt.Println("| op | suite | size | ours MB/s | ours allocs/op | official MB/s | official allocs/op | ours ÷ official | ours ÷ AES-GCM | ours ÷ SHA-384 |")
	fmt.Println("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, op := range []string{"Encrypt", "Decrypt"} {
		for _, suite := range []string{"0178", "0478", "0578"} {
			for _, size := range []string{"1KiB", "64KiB", "1MiB", "64MiB"} {
				key := op + "/" + suite + "/" + size
				o, a := get("Ours/"+key, "MB/s"), get("Official/"+key, "MB/s")
				if o == 0 && a == 0 {
					continue
				}
				// Small messages are dominated by fixed costs (see the
				// latency table), so the primitive ratios start at 1 MiB.
				toAES, toSHA := "", ""
				if size == "1MiB" || size == "64MiB" {
					toAES, toSHA = ratio(o, aes[op]), shaRatio(suite, o, sha)
				}
				fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", op, suite, size,
					num(o), num(get("Ours/"+key, "allocs/op")), num(a), num(get("Official/"+key, "allocs/op")),
					ratio(o, a), toAES, toSHA)
			}
		}
	}
	rustTable(get)
	fmt.Println()
	fmt.Println("### Streaming (ours only; the official Go SDK has no streaming API)")
	fmt.Println()
	fmt.Println("| op | suite | size | MB/s | allocs/op | B/op | ÷ one-shot | ÷ official | ÷ AES-GCM | ÷ SHA-384 |")
	fmt.Println("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, op := range []string{"Encrypt", "Decrypt"} {
		for _, suite := range []string{"0478", "0578"} {
			key := op + "/" + suite + "/64MiB"
			s := get("OursStream/"+key, "MB/s")
			if s == 0 {
				continue
			}
			fmt.Printf("| %s | %s | 64MiB | %s | %s | %s | %s | %s | %s | %s |\n", op, suite, num(s),
				num(get("OursStream/"+key, "allocs/op")), num(get("OursStream/"+key, "B/op")),
				ratio(s, get("Ours/"+key, "MB/s")), ratio(s, get("Official/"+key, "MB/s")),
				ratio(s, aes[op]), shaRatio(suite, s, sha))
		}
		for _, w := range []string{"1", "2"} {
			key := op + "/0478-w" + w + "/64MiB"
			s := get("Workers/"+key, "MB/s")
			if s == 0 {
				continue
			}
			fmt.Printf("| %s | 0478, %s worker(s) | 64MiB | %s | %s | %s | %s | %s | %s |  |\n", op, w, num(s),
				num(get("Workers/"+key, "allocs/op")), num(get("Workers/"+key, "B/op")),
				ratio(s, get("Ours/"+op+"/0478/64MiB", "MB/s")), ratio(s, get("Official/"+op+"/0478/64MiB", "MB/s")),
				ratio(s, aes[op]))
		}
		key := op + "/0478/64MiB"
		if s := get("OursAppend/"+key, "MB/s"); s != 0 {
			fmt.Printf("| %s | 0478, one-shot Append into a reused buffer | 64MiB | %s | %s | %s | %s | %s | %s |  |\n", op, num(s),
				num(get("OursAppend/"+key, "allocs/op")), num(get("OursAppend/"+key, "B/op")),
				ratio(s, get("Ours/"+key, "MB/s")), ratio(s, get("Official/"+key, "MB/s")), ratio(s, aes[op]))
		}
	}
	fmt.Println()
	fmt.Println("### Streaming at every size beside one-shot, Tink and the floor (0x0478)")
	fmt.Println()
	fmt.Println("Stream: `Encrypt`/`Decrypt` with io.Copy from a bytes.Reader into a bytes.Buffer; Tink: streaming AEAD " +
		"AES256_GCM_HKDF_4KB driven the same way; floor: the data path from stdlib primitives and our key derivation on one goroutine, fresh output. " +
		"At 1 KiB, one-shot MB/s ÷ stream MB/s is stream time ÷ one-shot time.")
	fmt.Println()
	fmt.Println("| op | size | stream MB/s | stream B/op | one-shot MB/s | Tink MB/s | floor MB/s | stream ÷ one-shot | stream ÷ Tink | one-shot ÷ floor |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, op := range []string{"Encrypt", "Decrypt"} {
		for _, size := range []string{"1KiB", "64KiB", "1MiB", "64MiB"} {
			st := get("OursStreamSizes/"+op+"/0478/"+size, "MB/s")
			one := get("Ours/"+op+"/0478/"+size, "MB/s")
			tk := get("Tink/"+op+"/AES256_GCM_HKDF_4KB/"+size, "MB/s")
			fl := get("Floor/"+op+"/0478/"+size, "MB/s")
			if st == 0 && tk == 0 && fl == 0 {
				continue
			}
			fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", op, size, num(st),
				num(get("OursStreamSizes/"+op+"/0478/"+size, "B/op")), num(one), num(tk), num(fl),
				ratio(st, one), ratio(st, tk), ratio(one, fl))
		}
	}
	oneCoreTable(get)
	fmt.Println()
	fmt.Println("| op | 64MiB, 2 cores | MB/s | 2-goroutine floor MB/s | ÷ floor |")
	fmt.Println("|---|---|---:|---:|---:|")
	for _, op := range []string{"Encrypt", "Decrypt"} {
		fl2 := get("Floor2/"+op+"/0478/64MiB", "MB/s")
		if fl2 == 0 {
			continue
		}
		for _, row := range [][2]string{
			{"stream to/from io.Discard (OursStream)", "OursStream/" + op + "/0478/64MiB"},
			{"stream via bytes.Buffer (OursStreamSizes)", "OursStreamSizes/" + op + "/0478/64MiB"},
		} {
			s := get(row[1], "MB/s")
			fmt.Printf("| %s | %s | %s | %s | %s |\n", op, row[0], num(s), num(fl2), ratio(s, fl2))
		}
	}
	fmt.Println()
	fmt.Println("### Baselines")
	fmt.Println()
	fmt.Println("| benchmark | MB/s | µs/op | allocs/op | runs |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, name := range []string{"Baseline/AESGCM/Seal/64MiB", "Baseline/AESGCM/Open/64MiB",
		"Baseline/AESGCM/Seal/4KiB", "Baseline/AESGCM/Open/4KiB", "Baseline/SHA384/64MiB"} {
		fmt.Printf("| %s | %s | %s | %s | %d |\n", name, num(get(name, "MB/s")), num(get(name, "ns/op")/1e3), num(get(name, "allocs/op")), runs(name))
	}
	for _, name := range []string{"Baseline/P384/KeygenSign", "Baseline/P384/Verify", "Baseline/HKDF/Ours", "Baseline/HKDF/CryptoHKDF"} {
		fmt.Printf("| %s | – | %s | %s | %d |\n", name, num(get(name, "ns/op")/1e3), num(get(name, "allocs/op")), runs(name))
	}
	fmt.Println()
	fmt.Println("### 1 KiB latency (µs/op) beside the P-384 costs")
	fmt.Println()
	ks, vf := get("Baseline/P384/KeygenSign", "ns/op")/1e3, get("Baseline/P384/Verify", "ns/op")/1e3
	fmt.Printf("P-384 keygen+sign: %s µs; verify: %s µs.\n\n", num(ks), num(vf))
	fmt.Println("| op | suite | ours µs | official µs | ours ÷ P-384 cost | official ÷ P-384 cost |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	for _, op := range []string{"Encrypt", "Decrypt"} {
		p := ks
		if op == "Decrypt" {
			p = vf
		}
		for _, suite := range []string{"0178", "0478", "0578"} {
			key := op + "/" + suite + "/1KiB"
			o, a := get("Ours/"+key, "ns/op")/1e3, get("Official/"+key, "ns/op")/1e3
			fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", op, suite, num(o), num(a), ratio(o, p), ratio(a, p))
		}
	}
	if len(peak) > 0 {
		fmt.Println()
		fmt.Println("### Peak RSS")
		fmt.Println()
		for _, l := range peak {
			fmt.Println("    " + l)
		}
	}
	if len(comments) > 0 {
		fmt.Println()
		for _, l := range comments {
			fmt.Println("    " + l)
		}
	}
}

func num(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func shaRatio(suite string, v, sha float64) string {
	if suite != "0578" {
		return ""
	}
	return ratio(v, sha)
}

// rustTable prints the official Rust SDK's one-shot rows (BenchmarkRust,
// written by the Rust interop driver's bench mode) beside ours and the
// official Go SDK's, if the results have them.
func rustTable(get func(name, unit string) float64) {
	found := false
	for _, op := range []string{"Encrypt", "Decrypt"} {
		for _, suite := range []string{"0478", "0578"} {
			if get("Rust/"+op+"/"+suite+"/1KiB", "MB/s") != 0 || get("Rust/"+op+"/"+suite+"/64MiB", "MB/s") != 0 {
				found = true
			}
		}
	}
	if !found {
		return
	}
	fmt.Println()
	fmt.Println("### One-shot beside the official Rust SDK (aws-esdk)")
	fmt.Println()
	fmt.Println("| op | suite | size | Rust MB/s | Rust allocs/op | ours MB/s | official Go MB/s | ours ÷ Rust | Rust ÷ official Go |")
	fmt.Println("|---|---|---|---:|---:|---:|---:|---:|---:|")
	for _, op := range []string{"Encrypt", "Decrypt"} {
		for _, suite := range []string{"0478", "0578"} {
			for _, size := range []string{"1KiB", "64KiB", "1MiB", "64MiB"} {
				key := op + "/" + suite + "/" + size
				r := get("Rust/"+key, "MB/s")
				if r == 0 {
					continue
				}
				o, a := get("Ours/"+key, "MB/s"), get("Official/"+key, "MB/s")
				fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", op, suite, size,
					num(r), num(get("Rust/"+key, "allocs/op")), num(o), num(a), ratio(o, r), ratio(r, a))
			}
		}
	}
}

// oneCoreTable prints the 0x0478 rows measured with one processor
// (GOMAXPROCS=1, benchmarks named 1Core/...), if the results have them:
// one-shot and streaming beside the floor and Tink, all on one goroutine.
func oneCoreTable(get func(name, unit string) float64) {
	if get("1Core/Floor/Decrypt/0478/1MiB", "MB/s") == 0 {
		return
	}
	fmt.Println()
	fmt.Println("One core (GOMAXPROCS=1: one worker, as the floor and Tink):")
	fmt.Println()
	fmt.Println("| op | size | one-shot MB/s | floor MB/s | one-shot ÷ floor | stream MB/s | Tink MB/s | stream ÷ Tink | stream ÷ one-shot |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, op := range []string{"Encrypt", "Decrypt"} {
		for _, size := range []string{"1KiB", "64KiB", "1MiB"} {
			one := get("1Core/Ours/"+op+"/0478/"+size, "MB/s")
			fl := get("1Core/Floor/"+op+"/0478/"+size, "MB/s")
			st := get("1Core/OursStreamSizes/"+op+"/0478/"+size, "MB/s")
			tk := get("1Core/Tink/"+op+"/AES256_GCM_HKDF_4KB/"+size, "MB/s")
			fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", op, size, num(one), num(fl), ratio(one, fl),
				num(st), num(tk), ratio(st, tk), ratio(st, one))
		}
	}
}
