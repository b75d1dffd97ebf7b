package main

import (
	"crypto/rand"
	"fmt"

	"github.com/go-esdk/esdk/algorithms"
)

const kmsRegion = "us-west-2"

// kmsSpec is the peer's view of its key on the in-process local KMS: the
// key ARN and the server's loopback URL.
func (e *env) kmsSpec(peer string) KeySpec {
	return KeySpec{"type": "aws-kms", "key-id": e.kmsKeys[peer], "region": kmsRegion, "endpoint": e.kms.URL}
}

// addKMSKey gives each peer its own KMS key, so that the server's request
// counts tell which calls the peer made.
func (e *env) addKMSKey(peer string) error {
	material := make([]byte, 32)
	rand.Read(material)
	arn, err := e.kms.AddKey("interop-"+peer, material)
	if err != nil {
		return err
	}
	e.kmsKeys[peer] = arn
	return nil
}

type kmsCase struct {
	name  string
	suite algorithms.ID
	frame int64
	size  int
	ec    int
	multi bool // KMS generator + raw AES child; decrypted with KMS only
}

var kmsCases = []kmsCase{
	{"aws-kms", 0x0578, 4096, 4096, 2, false},
	{"aws-kms", 0x0178, 65536, 1 << 20, 1, false},
	{"multi(aws-kms+aes-256)/aws-kms", 0x0478, 1, 1, 0, true},
}

func (c kmsCase) String() string {
	return fmt.Sprintf("%s %s %s %s ec=%s", suiteName(c.suite), c.name, frameName(c.frame), sizeName(c.size), ecOpts[c.ec].name)
}

// kmsCases: the peer's AWS KMS keyring against the local KMS encrypts for
// this library's KMS keyring, and decrypts what it wrote.
func (pr *peerRun) kmsCases() {
	kms := pr.env.kmsSpec(pr.peer.Name)
	for _, c := range kmsCases {
		c := c
		enc := []KeySpec{kms}
		if c.multi {
			enc = append(enc, pr.env.keys.AES(256))
		}
		dec := []KeySpec{kms}
		ec := ecOpts[c.ec].ec
		pt := pr.env.plaintext(c.size)

		out := pr.path("ct")
		frame := c.frame
		if !pr.peer.canWrite(frame) {
			frame = 4096
		}
		pr.job(Job{Op: "encrypt", Keys: enc, Suite: suiteHex(c.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[c.size], Out: out},
			func(r Result) {
				ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: "kms", name: c.String()}
				if frame != c.frame {
					ch.name += fmt.Sprintf(" (written with %s)", frameName(frame))
				}
				ch.detail = pr.verifyPeerMessage(r, out, dec, c.suite, frame, ec, pt)
				ch.pass = ch.detail == ""
				pr.add(ch)
			})

		msg, err := goEncrypt(enc, pr.env.kms, c.suite, c.frame, ec, pt, false)
		if err != nil {
			pr.add(check{peer: pr.peer.Name, dir: pr.fromGo(), group: "kms", name: c.String(), detail: "go encrypt failed: " + err.Error()})
			continue
		}
		ct, ptOut := pr.path("ct"), pr.path("pt")
		writeFile(ct, msg)
		pr.job(Job{Op: "decrypt", Keys: dec, In: ct, Out: ptOut}, func(r Result) {
			ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: "kms", name: c.String()}
			ch.detail = pr.verifyPeerDecrypt(r, msg, ct, ptOut, ec, pt)
			ch.pass = ch.detail == ""
			pr.add(ch)
		})
	}
}

// kmsTraffic checks that the peer's keyring really called the local KMS:
// before and after are the server's counts for the peer's key around the
// peer's batch, in which only the peer used that key.
func (pr *peerRun) kmsTraffic(genBefore, decBefore int) {
	arn := pr.env.kmsKeys[pr.peer.Name]
	gen := pr.env.kms.Count("GenerateDataKey", arn) - genBefore
	dec := pr.env.kms.Count("Decrypt", arn) - decBefore
	ch := check{peer: pr.peer.Name, dir: pr.peer.Name + " → go", group: "kms",
		name: fmt.Sprintf("%s called the local KMS: %d GenerateDataKey, %d Decrypt", pr.peer.Name, gen, dec)}
	ch.pass = gen >= len(kmsCases) && dec >= len(kmsCases)
	if !ch.pass {
		ch.detail = fmt.Sprintf("want at least %d of each", len(kmsCases))
	}
	pr.add(ch)
}
