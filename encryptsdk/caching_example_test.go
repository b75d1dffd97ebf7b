package encryptsdk_test

import (
	"context"
	"fmt"
	"time"

	"github.com/go-esdk/esdk/encryptsdk"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/materials"
)

// A caching materials manager lets many messages share one data key, so a
// KMS keyring is called once per data key rather than once per message.
func ExampleClient_caching() {
	kr, _ := keyring.NewRawAES("example", "key", make([]byte, 32))
	cm, err := materials.NewCachingManager(materials.NewDefaultManager(kr), materials.CachingConfig{
		Cache:                materials.NewLocalCache(100),
		MaxAge:               5 * time.Minute,
		MaxMessagesEncrypted: 1000,
	})
	if err != nil {
		panic(err)
	}
	client := &encryptsdk.Client{Manager: cm}
	ctx := context.Background()
	first, _ := client.EncryptBytes(ctx, []byte("record 1"), nil)
	second, _ := client.EncryptBytes(ctx, []byte("record 2"), nil)

	_, d1, _ := client.DecryptBytes(ctx, first, nil)
	pt, d2, err := client.DecryptBytes(ctx, second, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(pt))
	fmt.Println("same encrypted data key:", d1.DataKey().Equal(d2.DataKey()))
	// Output:
	// record 2
	// same encrypted data key: true
}
