package encryptsdk_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
)

func TestQuickRoundTrip(t *testing.T) {
	kr, _ := keyring.NewRawAES("ns", "k", make([]byte, 32))
	for _, s := range algorithms.All() {
		c := encryptsdk.New(kr)
		c.CommitmentPolicy = encryptsdk.RequireEncryptAllowDecrypt
		if !s.Committing() {
			c.CommitmentPolicy = encryptsdk.ForbidEncryptAllowDecrypt
		}
		for _, size := range []int{0, 1, 4095, 4096, 4097, 20000} {
			pt := bytes.Repeat([]byte{7}, size)
			ct, err := c.EncryptBytes(context.Background(), pt, &encryptsdk.EncryptOptions{Suite: s.ID, EncryptionContext: map[string]string{"a": "b"}})
			if err != nil {
				t.Fatal(s.ID, err)
			}
			got, d, err := c.DecryptBytes(context.Background(), ct, nil)
			if err != nil {
				t.Fatal(s.ID, size, err)
			}
			if !bytes.Equal(got, pt) || d.EncryptionContext()["a"] != "b" {
				t.Fatal("mismatch")
			}
		}
	}
}
