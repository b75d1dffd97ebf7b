package encryptsdk_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/materials"
)

// contextEditingManager returns materials whose encryption context it has
// changed, as a manager with a colliding cache entry would.
type contextEditingManager struct {
	materials.Manager
	edit func(materials.EncryptionContext)
}

func (m contextEditingManager) GetEncryptionMaterials(ctx context.Context, req materials.EncryptionRequest) (materials.EncryptionMaterials, error) {
	out, err := m.Manager.GetEncryptionMaterials(ctx, req)
	if err == nil {
		out.EncryptionContext = out.EncryptionContext.Clone()
		m.edit(out.EncryptionContext)
	}
	return out, err
}

func (m contextEditingManager) DecryptMaterials(ctx context.Context, req materials.DecryptionRequest) (materials.DecryptionMaterials, error) {
	out, err := m.Manager.DecryptMaterials(ctx, req)
	if err == nil {
		out.EncryptionContext = out.EncryptionContext.Clone()
		m.edit(out.EncryptionContext)
	}
	return out, err
}

// TestClientChecksMaterialsContext: the client refuses materials that do
// not carry every encryption context pair the caller asked for (on
// encrypt) or that the header stores or the caller expects (on decrypt).
func TestClientChecksMaterialsContext(t *testing.T) {
	kr := mustAES(t, "ns", "k", testKey(32, 1))
	good := encryptsdk.New(kr)
	ec := map[string]string{"purpose": "test", "tenant": "a"}
	msg, err := good.EncryptBytes(bg, []byte("hello"), &encryptsdk.EncryptOptions{EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(materials.EncryptionContext){
		"pair dropped":  func(c materials.EncryptionContext) { delete(c, "tenant") },
		"value changed": func(c materials.EncryptionContext) { c["tenant"] = "b" },
	}
	for name, edit := range edits {
		c := &encryptsdk.Client{Manager: contextEditingManager{materials.NewDefaultManager(kr), edit}}
		var buf bytes.Buffer
		if _, err := c.Encrypt(bg, &buf, &encryptsdk.EncryptOptions{EncryptionContext: ec}); !errors.Is(err, materials.ErrInvalidMaterials) || buf.Len() != 0 {
			t.Errorf("encrypt, %s: %v (wrote %d bytes), want ErrInvalidMaterials and nothing written", name, err, buf.Len())
		}
		if _, _, err := c.DecryptBytes(bg, msg, nil); !errors.Is(err, materials.ErrInvalidMaterials) {
			t.Errorf("decrypt, %s: %v, want ErrInvalidMaterials", name, err)
		}
		if _, _, err := c.DecryptBytes(bg, msg, &encryptsdk.DecryptOptions{EncryptionContext: map[string]string{"tenant": "a"}}); !errors.Is(err, materials.ErrInvalidMaterials) {
			t.Errorf("decrypt with expected context, %s: %v, want ErrInvalidMaterials", name, err)
		}
	}
}
