package awskms_test

import (
	"testing"

	"github.com/go-esdk/esdk/internal/kmscases"
	"github.com/go-esdk/esdk/kmstest"
)

// TestKMSCases runs the KMS keyring cases of the library module against
// the local KMS, over the AWS SDK's HTTP path.
func TestKMSCases(t *testing.T) {
	kmscases.Run(t, func(t testing.TB) *kmscases.World {
		w := newWorld(t)
		return &kmscases.World{West: region{w.west}, East: region{w.east}, Supplier: w.sup}
	})
}

// region presents a local KMS server as a [kmscases.Region].
type region struct{ *kmstest.Server }

func (r region) Calls() []kmscases.Call {
	var out []kmscases.Call
	for _, c := range r.Server.Calls() {
		out = append(out, kmscases.Call{Op: c.Op, KeyID: c.KeyID, GrantTokens: c.GrantTokens, EncryptionAlgorithm: c.EncryptionAlgorithm})
	}
	return out
}
