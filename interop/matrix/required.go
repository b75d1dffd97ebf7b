package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/go-esdk/esdk/algorithms"
)

// Required encryption context: the writer's required-encryption-context
// CMM keeps some pairs out of the message but authenticates them; the
// reader must supply them (the reproduced encryption context).

type reqCase struct {
	suite    algorithms.ID
	key      string
	frame    int64
	size     int
	ec       int
	required []string
	all      bool // the reader reproduces the whole context, not only the required pairs
}

var reqCases = []reqCase{
	{0x0578, "aes-256", 4096, 4096, 2, []string{"ключ", "\U0001F600 key"}, false},
	{0x0178, "rsa-oaep-sha256", 0, 1, 1, []string{"purpose"}, true},
}

func (c reqCase) label(frame int64) string {
	what := "required pairs"
	if c.all {
		what = "whole context"
	}
	return fmt.Sprintf("%s %s %s %s, required %q, reader reproduces the %s", suiteName(c.suite), c.key, frameName(frame), sizeName(c.size), c.required, what)
}

func (c reqCase) reproduced() map[string]string {
	ec := ecOpts[c.ec].ec
	if c.all {
		return maps.Clone(ec)
	}
	out := map[string]string{}
	for _, k := range c.required {
		out[k] = ec[k]
	}
	return out
}

// wrong is the reproduced context with one required value changed.
func (c reqCase) wrong() map[string]string {
	r := c.reproduced()
	r[c.required[0]] += " (changed)"
	return r
}

// storedOK checks that the header holds the context without the required keys.
func storedOK(msg []byte, ec map[string]string, required []string) string {
	h, err := headerOf(msg)
	if err != nil {
		return "go cannot parse the header: " + err.Error()
	}
	want := maps.Clone(ec)
	for _, k := range required {
		delete(want, k)
	}
	if d := ecDiff(stripReserved(h.EncryptionContext), want); d != "" {
		return "header: " + d
	}
	return ""
}

// peerRequired: the peer writes with its required-encryption-context CMM;
// this library decrypts with the reproduced context and must fail without it
// or with a wrong value.
func (pr *peerRun) peerRequired(keys []keyOpt) {
	if pr.peer.lacks("required-ec") {
		return
	}
	for _, c := range reqCases {
		c := c
		key := keyByName(keys, c.key)
		frame := c.frame
		if !pr.peer.canWrite(frame) {
			frame = 4096
		}
		ec := ecOpts[c.ec].ec
		out := pr.path("ct")
		pr.job(Job{Op: "encrypt", Keys: key.enc, Suite: suiteHex(c.suite), Frame: &frame, EC: ec, RequiredKeys: c.required,
			In: pr.env.plaintexts[c.size], Out: out},
			func(r Result) {
				base := c.label(frame)
				ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: "required-ec", name: base + ": decrypts"}
				ch.detail = func() string {
					if !r.OK {
						return pr.peer.Name + " encrypt failed: " + r.Error
					}
					msg, err := os.ReadFile(out)
					if err != nil {
						return err.Error()
					}
					if d := storedOK(msg, ec, c.required); d != "" {
						return d
					}
					res, err := goDecrypt(key.dec, pr.env.kms, msg, c.reproduced())
					if err != nil {
						return fmt.Sprintf("go decrypt failed: %v (message kept at %s)", err, out)
					}
					if !bytes.Equal(res.pt, pr.env.plaintext(c.size)) {
						return "plaintext differs"
					}
					return ecDiff(stripReserved(res.ec), ec)
				}()
				ch.pass = ch.detail == ""
				pr.add(ch)
				if !ch.pass {
					return
				}
				msg, _ := os.ReadFile(out)
				for _, n := range []struct {
					what string
					ec   map[string]string
				}{{"without the required pairs", nil}, {"with a wrong required value", c.wrong()}} {
					ok, why := goReject(key.dec, pr.env.kms, msg, n.ec)
					pr.add(check{peer: pr.peer.Name, dir: pr.toGo(), group: "required-ec", name: base + ": rejected " + n.what, pass: ok, detail: why})
				}
			})
	}
}

// goRequired: this library writes with its required-encryption-context
// manager; the peer decrypts with the reproduced context and must fail
// without it or with a wrong value.
func (pr *peerRun) goRequired(keys []keyOpt) {
	if pr.peer.lacks("required-ec") {
		return
	}
	for _, c := range reqCases {
		c := c
		key := keyByName(keys, c.key)
		ec := ecOpts[c.ec].ec
		pt := pr.env.plaintext(c.size)
		base := c.label(c.frame)
		msg, err := goEncryptRequired(key.enc, pr.env.kms, c.suite, c.frame, ec, c.required, pt, false)
		if err == nil {
			if d := storedOK(msg, ec, c.required); d != "" {
				err = fmt.Errorf("go wrote %s", d)
			}
		}
		if err != nil {
			pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: "required-ec", name: base, detail: err.Error()})
			continue
		}
		ct, out := pr.path("ct"), pr.path("pt")
		writeFile(ct, msg)
		pr.job(Job{Op: "decrypt", Keys: key.dec, Reproduced: c.reproduced(), In: ct, Out: out}, func(r Result) {
			ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: "required-ec", name: base + ": decrypts"}
			ch.detail = func() string {
				if !r.OK {
					return fmt.Sprintf("%s decrypt failed: %s (message kept at %s)", pr.peer.Name, r.Error, ct)
				}
				got, _ := os.ReadFile(out)
				if !bytes.Equal(got, pt) {
					return "plaintext differs"
				}
				// The peer reports the stored pairs, and may add the required ones.
				seen := stripReserved(r.EC)
				for k, v := range seen {
					if ec[k] != v {
						return fmt.Sprintf("%s reports %q=%q", pr.peer.Name, k, v)
					}
				}
				for k := range ec {
					if _, ok := seen[k]; !ok && !slices.Contains(c.required, k) {
						return fmt.Sprintf("%s does not report stored pair %q", pr.peer.Name, k)
					}
				}
				return ""
			}()
			ch.pass = ch.detail == ""
			pr.add(ch)
		})
		for _, n := range []struct {
			what string
			ec   map[string]string
		}{{"without the required pairs", nil}, {"with a wrong required value", c.wrong()}} {
			out := pr.path("pt")
			pr.job(Job{Op: "decrypt", Keys: key.dec, Reproduced: n.ec, In: ct, Out: out}, func(r Result) {
				ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: "required-ec", name: base + ": rejected " + n.what, pass: !r.OK, detail: r.Error}
				if r.OK {
					ch.detail = pr.peer.Name + " accepted it"
				}
				pr.add(ch)
			})
		}
	}
}
