package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"

	"github.com/go-esdk/esdk/algorithms"
)

// tamperSize is the plaintext of the tampered messages: two full 4096-byte
// frames and a partial final one.
const tamperSize = 10000

// --- positive cases -----------------------------------------------------

// peerEncrypts: the peer encrypts, this library decrypts (one-shot and
// streaming) and compares plaintext, encryption context, suite and frame
// length.
func (pr *peerRun) peerEncrypts(cs []combo) {
	for _, c := range cs {
		c := c
		out := pr.path("ct")
		frame := c.frame
		pr.job(Job{Op: "encrypt", Keys: c.key.enc, Suite: suiteHex(c.suite), Frame: &frame, EC: c.ec.ec, In: pr.env.plaintexts[c.size], Out: out},
			func(r Result) {
				ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: c.key.group, name: c.String(), combo: c.pairwise()}
				ch.detail = pr.verifyPeerMessage(r, out, c.key.dec, c.suite, c.frame, c.ec.ec, pr.env.plaintext(c.size))
				ch.pass = ch.detail == ""
				pr.add(ch)
			})
	}
}

// verifyPeerMessage checks a message the peer wrote: what the peer reports,
// the header, and this library's decryption. It returns "" when all is well.
func (pr *peerRun) verifyPeerMessage(r Result, path string, dec []KeySpec, suite algorithms.ID, frame int64, ec map[string]string, pt []byte) string {
	if !r.OK {
		return pr.peer.Name + " encrypt failed: " + r.Error
	}
	if r.Suite != suiteHex(suite) || r.frameDiffers(frame) {
		return fmt.Sprintf("%s reports suite %s frame %s, want %s frame %d", pr.peer.Name, r.Suite, r.frameText(), suiteHex(suite), frame)
	}
	msg, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	h, err := headerOf(msg)
	if err != nil {
		return "go cannot parse the header: " + err.Error()
	}
	if h.Suite.ID() != suite || frameOf(h) != frame {
		return fmt.Sprintf("header has suite %s frame %d, want %s frame %d", suiteName(h.Suite.ID()), frameOf(h), suiteName(suite), frame)
	}
	res, err := goDecrypt(dec, pr.env.kms, msg, nil)
	if err != nil {
		return fmt.Sprintf("go decrypt failed: %v (message kept at %s)", err, path)
	}
	if !bytes.Equal(res.pt, pt) {
		return fmt.Sprintf("go decrypted %d bytes that differ from the %d-byte plaintext", len(res.pt), len(pt))
	}
	if d := ecDiff(stripReserved(res.ec), ec); d != "" {
		return "go: " + d
	}
	if d := ecDiff(res.ec, r.EC); d != "" {
		return "go and " + pr.peer.Name + " see different contexts: " + d
	}
	if s, _ := algorithms.Lookup(suite); s.Signed() && res.ec[algorithms.PublicKeyContextKey] == "" {
		return "signed suite without aws-crypto-public-key"
	}
	return ""
}

// goEncrypts: this library encrypts, the peer decrypts and reports what it
// saw. Every other message goes through the streaming encryptor.
func (pr *peerRun) goEncrypts(cs []combo) {
	for i, c := range cs {
		c := c
		streaming := i%2 == 1
		name := c.String()
		if streaming {
			name += " (streaming encrypt)"
		}
		ct, out := pr.path("ct"), pr.path("pt")
		pt := pr.env.plaintext(c.size)
		msg, err := goEncrypt(c.key.enc, pr.env.kms, c.suite, c.frame, c.ec.ec, pt, streaming)
		if err == nil {
			err = os.WriteFile(ct, msg, 0o644)
		}
		if err != nil {
			pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: c.key.group, name: name, detail: "go encrypt failed: " + err.Error()})
			continue
		}
		pr.job(Job{Op: "decrypt", Keys: c.key.dec, In: ct, Out: out}, func(r Result) {
			ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: c.key.group, name: name, combo: c.pairwise()}
			ch.detail = pr.verifyPeerDecrypt(r, msg, ct, out, c.ec.ec, pt)
			ch.pass = ch.detail == ""
			pr.add(ch)
		})
	}
}

// verifyPeerDecrypt checks the peer's decryption of a message this library
// wrote.
func (pr *peerRun) verifyPeerDecrypt(r Result, msg []byte, ctPath, ptPath string, ec map[string]string, pt []byte) string {
	if !r.OK {
		return fmt.Sprintf("%s decrypt failed: %s (message kept at %s)", pr.peer.Name, r.Error, ctPath)
	}
	h, err := headerOf(msg)
	if err != nil {
		return err.Error()
	}
	if r.Suite != suiteHex(h.Suite.ID()) || r.frameDiffers(frameOf(h)) {
		return fmt.Sprintf("%s reports suite %s frame %s, want %s frame %d", pr.peer.Name, r.Suite, r.frameText(), suiteHex(h.Suite.ID()), frameOf(h))
	}
	got, err := os.ReadFile(ptPath)
	if err != nil {
		return err.Error()
	}
	if !bytes.Equal(got, pt) {
		return fmt.Sprintf("%s decrypted %d bytes that differ from the %d-byte plaintext", pr.peer.Name, len(got), len(pt))
	}
	if d := ecDiff(stripReserved(r.EC), ec); d != "" {
		return pr.peer.Name + ": " + d
	}
	if d := ecDiff(r.EC, h.EncryptionContext); d != "" {
		return pr.peer.Name + " and the header differ: " + d
	}
	return ""
}

// --- negative cases -----------------------------------------------------

type tamperBase struct {
	suite algorithms.ID
	key   string
	frame int64
	ec    int // index into ecOpts
}

var tamperBases = []tamperBase{
	{0x0578, "aes-256", 4096, 1},
	{0x0478, "rsa-oaep-sha256", 4096, 2},
	{0x0378, "aes-128", 4096, 1},
	{0x0178, "aes-192", 0, 1},
	{0x0014, "multi(aes-256+rsa-oaep-sha256)/aes", 4096, 2},
}

func keyByName(opts []keyOpt, name string) keyOpt {
	for _, o := range opts {
		if o.name == name {
			return o
		}
	}
	panic("no key option " + name)
}

func (b tamperBase) label(frame int64) string {
	return fmt.Sprintf("%s %s %s", suiteName(b.suite), b.key, frameName(frame))
}

// peerTamper: the peer writes a valid message, this library decrypts it
// (the control) and must reject every tampered variant of it.
func (pr *peerRun) peerTamper(keys []keyOpt) {
	for _, b := range tamperBases {
		b := b
		key := keyByName(keys, b.key)
		frame := b.frame
		if !pr.peer.canWrite(frame) {
			frame = 4096
		}
		out := pr.path("ct")
		ec := ecOpts[b.ec].ec
		pr.job(Job{Op: "encrypt", Keys: key.enc, Suite: suiteHex(b.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[tamperSize], Out: out},
			func(r Result) {
				base := b.label(frame)
				ctl := check{peer: pr.peer.Name, dir: pr.toGo(), group: "tamper", name: base + ": untampered control decrypts"}
				ctl.detail = pr.verifyPeerMessage(r, out, key.dec, b.suite, frame, ec, pr.env.plaintext(tamperSize))
				ctl.pass = ctl.detail == ""
				pr.add(ctl)
				if !ctl.pass {
					return
				}
				msg, _ := os.ReadFile(out)
				vs, err := tamper(msg, true)
				if err != nil {
					pr.add(check{peer: pr.peer.Name, dir: pr.toGo(), group: "tamper", name: base, detail: err.Error()})
					return
				}
				for _, v := range vs {
					ok, why := goReject(key.dec, pr.env.kms, v.msg, nil)
					ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: "tamper", name: base + ": " + v.name + " is rejected", pass: ok}
					if ok {
						ch.detail = why
					} else {
						p := pr.path("tampered")
						os.WriteFile(p, v.msg, 0o644)
						ch.detail = why + " (message kept at " + p + ")"
					}
					pr.add(ch)
				}
			})
	}
}

// goTamper: this library writes a valid message; the peer decrypts it (the
// control) and must reject every tampered variant of it.
func (pr *peerRun) goTamper(keys []keyOpt) {
	for _, b := range tamperBases {
		key := keyByName(keys, b.key)
		ec := ecOpts[b.ec].ec
		pt := pr.env.plaintext(tamperSize)
		base := b.label(b.frame)
		msg, err := goEncrypt(key.enc, pr.env.kms, b.suite, b.frame, ec, pt, false)
		var vs []variant
		if err == nil {
			vs, err = tamper(msg, false)
		}
		if err != nil {
			pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: "tamper", name: base, detail: err.Error()})
			continue
		}
		ct, out := pr.path("ct"), pr.path("pt")
		os.WriteFile(ct, msg, 0o644)
		pr.job(Job{Op: "decrypt", Keys: key.dec, In: ct, Out: out}, func(r Result) {
			ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: "tamper", name: base + ": untampered control decrypts"}
			ch.detail = pr.verifyPeerDecrypt(r, msg, ct, out, ec, pt)
			ch.pass = ch.detail == ""
			pr.add(ch)
		})
		for _, v := range vs {
			v := v
			ct, out := pr.path("tampered"), pr.path("pt")
			os.WriteFile(ct, v.msg, 0o644)
			pr.job(Job{Op: "decrypt", Keys: key.dec, In: ct, Out: out}, func(r Result) {
				ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: "tamper", name: base + ": " + v.name + " is rejected", pass: !r.OK}
				if r.OK {
					ch.detail = fmt.Sprintf("%s accepted it (message kept at %s)", pr.peer.Name, ct)
				} else {
					ch.detail = r.Error
				}
				pr.add(ch)
			})
		}
	}
}

// --- not applicable -----------------------------------------------------

// naResult is a verified "not applicable" entry.
type naResult struct {
	peer, what, reason, evidence string
}

// probeNA asks the peer to do each thing it is listed as unable to do; it
// must refuse, and its error is kept as evidence. A peer that succeeds
// makes the entry stale, which fails the run.
func (pr *peerRun) probeNA(keys []keyOpt, out *[]naResult) {
	for _, n := range notApplicable[pr.peer.Name] {
		n := n
		if n.feature != "" {
			*out = append(*out, naResult{pr.peer.Name, n.what, n.reason, ""})
			continue
		}
		key := keyByName(keys, "aes-256")
		frame := n.probeFrame
		pr.job(Job{Op: "encrypt", Keys: key.enc, Suite: "0x0578", Frame: &frame, EC: ecOpts[1].ec, In: pr.env.plaintexts[4096], Out: pr.path("ct")},
			func(r Result) {
				if r.OK {
					pr.add(check{peer: pr.peer.Name, dir: pr.toGo(), group: "n/a probe", name: n.what,
						detail: "listed as not applicable, but " + pr.peer.Name + " did it: update notApplicable"})
					return
				}
				*out = append(*out, naResult{pr.peer.Name, n.what, n.reason, r.Error})
			})
	}
}

// --- the generated manifest ----------------------------------------------

// manifestDecrypts: the peer decrypts every test of the manifest that
// `esdk-vectors generate` wrote.
func (pr *peerRun) manifestDecrypts() {
	m := pr.env.manifest
	for _, t := range m.tests {
		t := t
		out := pr.path("pt")
		pr.job(Job{Op: "decrypt", Keys: t.keys, In: t.ciphertext, Out: out}, func(r Result) {
			ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: "manifest", name: "esdk-vectors generate: " + t.name}
			switch {
			case !r.OK:
				ch.detail = fmt.Sprintf("%s decrypt failed: %s (%s)", pr.peer.Name, r.Error, t.ciphertext)
			default:
				got, _ := os.ReadFile(out)
				want, _ := os.ReadFile(t.plaintext)
				if !bytes.Equal(got, want) {
					ch.detail = "plaintext differs"
				} else if h, err := os.ReadFile(t.ciphertext); err == nil {
					if hdr, err := headerOf(h); err == nil && !maps.Equal(r.EC, map[string]string(hdr.EncryptionContext)) {
						ch.detail = ecDiff(r.EC, hdr.EncryptionContext)
					}
				}
			}
			ch.pass = ch.detail == ""
			pr.add(ch)
		})
	}
}
