package main

// Hierarchical keyring cases: branch keys in a DynamoDB table of moto (in
// server mode, on 127.0.0.1), wrapped by a moto AWS KMS key. The peer's key
// store creates and rotates its branch key and encrypts before and after
// the rotation; this library decrypts both messages with its own key store
// on the same table. This library creates and rotates another branch key
// and encrypts before and after; the peer decrypts both.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/keyring/hierarchy"
	"github.com/go-esdk/esdk/keystore"
	"github.com/go-esdk/esdk/kmstest/moto"
	"github.com/go-esdk/esdk/materials"
)

// hierarchyPeers are the peers whose drivers build the hierarchical
// keyring and its key store.
var hierarchyPeers = map[string]bool{"python": true, "java": true, "js": true, "rust": true}

const (
	hierTable   = "interop-branch-keys"
	hierLogical = "interop-logical-key-store"
)

// hierarchyEnv is the moto server, its KMS key and the key store table,
// set up once for all peers.
type hierarchyEnv struct {
	once   sync.Once
	err    error
	server *moto.Server
	keyARN string
}

var hier hierarchyEnv

func (h *hierarchyEnv) setup() error {
	h.once.Do(func() {
		if h.server, h.err = moto.Run(); h.err != nil {
			return
		}
		ctx := context.Background()
		if h.keyARN, h.err = h.server.CreateKey(ctx); h.err != nil {
			return
		}
		spec := h.spec("")
		var s *keystore.Store
		if s, h.err = goKeyStore(spec); h.err != nil {
			return
		}
		_, h.err = s.CreateKeyStore(ctx)
	})
	return h.err
}

func (h *hierarchyEnv) close() {
	if h.server != nil {
		h.server.Close()
	}
}

// spec is the drivers' JSON form of a hierarchical keyring:
//
//	{"type":"aws-kms-hierarchy","branch-key-id":ID,"table":T,"logical-name":L,
//	 "kms-key":ARN,"region":R,"endpoint":URL}
func (h *hierarchyEnv) spec(branchKeyID string) KeySpec {
	return KeySpec{"type": "aws-kms-hierarchy", "branch-key-id": branchKeyID, "table": hierTable, "logical-name": hierLogical,
		"kms-key": h.keyARN, "region": moto.Region, "endpoint": h.server.URL}
}

// goKeyStore is this library's key store for a spec.
func goKeyStore(s KeySpec) (*keystore.Store, error) {
	cfg := aws.Config{Region: s["region"], Credentials: credentials.NewStaticCredentialsProvider("AKIDINTEROP", "interop-secret", ""),
		HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	return keystore.New(keystore.Config{
		TableName: s["table"], LogicalKeyStoreName: s["logical-name"], KMSKeyARN: s["kms-key"],
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(s["endpoint"]) }),
		KMS:      kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(s["endpoint"]) }),
	})
}

// goHierarchyKeyring is goKeyring's "aws-kms-hierarchy" case: a fresh
// keyring (cold cache) over a fresh key store.
func goHierarchyKeyring(s KeySpec) (materials.Keyring, error) {
	store, err := goKeyStore(s)
	if err != nil {
		return nil, err
	}
	return hierarchy.New(hierarchy.Config{KeyStore: store, BranchKeyID: s["branch-key-id"], TTL: 10 * time.Minute})
}

// versionOf returns the branch key version of a message's hierarchical
// encrypted data key.
func versionOf(msg []byte) (string, error) {
	h, err := headerOf(msg)
	if err != nil {
		return "", err
	}
	for _, k := range h.EncryptedDataKeys {
		if k.ProviderID == hierarchy.ProviderID && len(k.Ciphertext) >= 44 {
			var v [16]byte
			copy(v[:], k.Ciphertext[28:44])
			return hierarchy.FormatVersion(v), nil
		}
	}
	return "", fmt.Errorf("no %s encrypted data key", hierarchy.ProviderID)
}

type hierCase struct {
	suite algorithms.ID
	size  int
	ec    int // index into ecOpts
}

// Before and after the rotation.
var hierCases = [2]hierCase{{0x0478, 4096, 2}, {0x0578, 1 << 20, 1}}

func (c hierCase) String(when string) string {
	return fmt.Sprintf("%s aws-kms-hierarchy %s %s ec=%s", suiteName(c.suite), when, sizeName(c.size), ecOpts[c.ec].name)
}

func randomID(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (pr *peerRun) hierarchyCases() {
	if !hierarchyPeers[pr.peer.Name] {
		return
	}
	const group = "hierarchy"
	fail := func(dir, name string, err error) {
		pr.add(check{peer: pr.peer.Name, dir: dir, group: group, name: name, detail: err.Error()})
	}
	if err := hier.setup(); err != nil {
		fail(pr.toGo(), "moto (DynamoDB + KMS)", err)
		return
	}
	ctx := context.Background()
	frame := int64(4096)
	when := [2]string{"before VersionKey", "after VersionKey"}

	// The peer creates its branch key, encrypts, rotates, encrypts; this
	// library decrypts both, and sees two versions.
	peerSpec := hier.spec(randomID("interop-" + pr.peer.Name + "-"))
	created := map[string]string{"created-by": pr.peer.Name}
	pr.job(Job{Op: "keystore", Action: "create-key", Keys: []KeySpec{peerSpec}, EC: created}, func(r Result) {
		ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: group, name: pr.peer.Name + " creates a branch key in the table; go reads it", pass: r.OK}
		if !r.OK {
			ch.detail = r.Error
		} else if store, err := goKeyStore(peerSpec); err != nil {
			ch.pass, ch.detail = false, err.Error()
		} else if m, err := store.GetActiveBranchKey(ctx, peerSpec["branch-key-id"]); err != nil {
			ch.pass, ch.detail = false, err.Error()
		} else if m.EncryptionContext["created-by"] != pr.peer.Name {
			ch.pass, ch.detail = false, fmt.Sprintf("custom encryption context %v", m.EncryptionContext)
		}
		pr.add(ch)
	})
	var peerMsgs [2]string
	versionCheck := func() {
		// After the whole batch: the two messages name different versions,
		// the second one the active version go reads now.
		ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: group, name: pr.peer.Name + "'s two messages are under two versions, the second the active one"}
		var v [2]string
		for i, p := range peerMsgs {
			msg, err := os.ReadFile(p)
			if err == nil {
				v[i], err = versionOf(msg)
			}
			if err != nil {
				ch.detail = err.Error()
				pr.add(ch)
				return
			}
		}
		store, err := goKeyStore(peerSpec)
		if err != nil {
			ch.detail = err.Error()
			pr.add(ch)
			return
		}
		m, err := store.GetActiveBranchKey(ctx, peerSpec["branch-key-id"])
		switch {
		case err != nil:
			ch.detail = err.Error()
		case v[0] == v[1]:
			ch.detail = "both messages name version " + v[0]
		case m.Version != v[1]:
			ch.detail = fmt.Sprintf("active version %s, second message %s", m.Version, v[1])
		default:
			ch.pass = true
		}
		pr.add(ch)
	}
	for i, c := range hierCases {
		if i == 1 {
			pr.job(Job{Op: "keystore", Action: "version-key", Keys: []KeySpec{peerSpec}}, func(r Result) {
				ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: group, name: pr.peer.Name + " rotates its branch key (VersionKey)", pass: r.OK, detail: r.Error}
				pr.add(ch)
			})
		}
		out := pr.path("ct")
		peerMsgs[i] = out
		ec := ecOpts[c.ec].ec
		pt := pr.env.plaintext(c.size)
		pr.job(Job{Op: "encrypt", Keys: []KeySpec{peerSpec}, Suite: suiteHex(c.suite), Frame: &frame, EC: ec, In: pr.env.plaintexts[c.size], Out: out},
			func(r Result) {
				ch := check{peer: pr.peer.Name, dir: pr.toGo(), group: group, name: c.String(when[i])}
				ch.detail = pr.verifyPeerMessage(r, out, []KeySpec{peerSpec}, c.suite, frame, ec, pt)
				ch.pass = ch.detail == ""
				pr.add(ch)
				if i == 1 {
					versionCheck()
				}
			})
	}
	// This library creates its branch key, encrypts, rotates, encrypts;
	// the peer decrypts both.
	goSpec := hier.spec(randomID("interop-go-for-" + pr.peer.Name + "-"))
	store, err := goKeyStore(goSpec)
	if err == nil {
		_, err = store.CreateKey(ctx, &keystore.CreateKeyOptions{BranchKeyID: goSpec["branch-key-id"], EncryptionContext: map[string]string{"created-by": "go"}})
	}
	if err != nil {
		fail(pr.fromGo(), "go creates a branch key", err)
		return
	}
	for i, c := range hierCases {
		if i == 1 {
			if err := store.VersionKey(ctx, goSpec["branch-key-id"]); err != nil {
				fail(pr.fromGo(), "go rotates its branch key (VersionKey)", err)
				return
			}
		}
		ec := ecOpts[c.ec].ec
		pt := pr.env.plaintext(c.size)
		msg, err := goEncrypt([]KeySpec{goSpec}, pr.env.kms, c.suite, frame, ec, pt, false)
		if err != nil {
			fail(pr.fromGo(), c.String(when[i]), fmt.Errorf("go encrypt failed: %w", err))
			continue
		}
		ct, ptOut := pr.path("ct"), pr.path("pt")
		writeFile(ct, msg)
		pr.job(Job{Op: "decrypt", Keys: []KeySpec{goSpec}, In: ct, Out: ptOut}, func(r Result) {
			ch := check{peer: pr.peer.Name, dir: pr.fromGo(), group: group, name: c.String(when[i])}
			ch.detail = pr.verifyPeerDecrypt(r, msg, ct, ptOut, ec, pt)
			ch.pass = ch.detail == ""
			pr.add(ch)
		})
	}
}
