package awskms_test

import (
	"testing"

	"github.com/go-esdk/esdk/internal/kmscases"
)

// TestKMSCases runs the KMS keyring cases shared with module kmstest
// against the in-memory fake KMS.
func TestKMSCases(t *testing.T) {
	kmscases.Run(t, func(t testing.TB) *kmscases.World {
		w := newWorld(t)
		return &kmscases.World{West: w.west, East: w.east, Supplier: w.sup}
	})
}
