package hierarchy_test

import "testing"

// TestFIPSOnlyHierarchy runs the wrapping and unwrapping tests of the
// hierarchical keyring; scripts/test runs it with GODEBUG=fips140=only.
// Its wrapping IVs are random, so it seals and opens with Go's approved
// AES-GCM with random nonces; its SP 800-108 KDF is HMAC-SHA256 with a
// 32-byte branch key.
func TestFIPSOnlyHierarchy(t *testing.T) {
	t.Run("EDKLayout", TestEDKLayout)
	t.Run("DecryptFailures", TestDecryptFailures)
	t.Run("Supplier", TestSupplier)
	t.Run("StoreReturnsWrongKey", TestStoreReturnsWrongKey)
}
