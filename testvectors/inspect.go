package testvectors

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
)

// InspectResult counts what InspectManifest checked.
type InspectResult struct {
	Parsed   int      // messages parsed completely
	Verified int      // signatures verified
	Failures []string // one line per message that failed
}

// InspectManifest parses every ciphertext of a decrypt manifest without any
// key: header, header authentication, every frame, footer, end of input.
// For signed suites it verifies the signature with the public key carried
// in the encryption context. Ciphertexts of negative tests are left out.
func InspectManifest(path string) (InspectResult, error) {
	m, err := LoadDecryptManifest(path)
	if err != nil {
		return InspectResult{}, err
	}
	var r InspectResult
	names := make([]string, 0, len(m.Tests))
	for name := range m.Tests {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t := m.Tests[name]
		ct := t.Ciphertext
		if t.Scenario != nil {
			ct = t.Scenario.Ciphertext
		}
		if t.Result != nil && t.Result.Error != nil {
			continue
		}
		signed, err := inspectFile(m.resolve(ct))
		if err != nil {
			r.Failures = append(r.Failures, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		r.Parsed++
		if signed {
			r.Verified++
		}
	}
	return r, nil
}

func inspectFile(path string) (signed bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return Inspect(f)
}

// Inspect parses one message from r and, for a signed suite, verifies its
// signature. It needs no key and decrypts nothing.
func Inspect(r io.Reader) (signed bool, err error) {
	mr := format.NewReader(r, format.Limits{})
	hdr, raw, err := mr.ReadHeader()
	if err != nil {
		return false, err
	}
	auth, err := mr.ReadHeaderAuth()
	if err != nil {
		return false, err
	}
	suite := hdr.Suite
	var h interface {
		io.Writer
		Sum([]byte) []byte
	}
	if suite.Signed() {
		hh := suite.SignatureHash()
		hh.Write(raw)
		hh.Write(auth.IV)
		hh.Write(auth.Tag)
		h = hh
	}
	var buf []byte
	for {
		var fr format.Frame
		if hdr.ContentType == format.NonFramed {
			fr, err = mr.ReadNonFramed(buf)
		} else {
			fr, err = mr.ReadFrame(buf)
		}
		if err != nil {
			return false, err
		}
		if h != nil {
			h.Write(fr.Raw)
		}
		buf = fr.Raw[:0]
		if fr.Final {
			break
		}
	}
	if suite.Signed() {
		sig, err := mr.ReadFooter()
		if err != nil {
			return false, err
		}
		pub, err := suite.DecodePublicKey(hdr.EncryptionContext[algorithms.PublicKeyContextKey])
		if err != nil {
			return false, err
		}
		if err := algorithms.Verify(pub, h.Sum(nil), sig); err != nil {
			return false, err
		}
	}
	return suite.Signed(), mr.ExpectEOF()
}
