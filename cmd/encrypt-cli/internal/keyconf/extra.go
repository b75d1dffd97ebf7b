package keyconf

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/go-esdk/esdk/materials"
)

// Group is one checked -w group of a provider added with
// [RegisterProvider].
type Group interface {
	// String describes the group for messages; it must hold no secret.
	String() string
	// Keyring builds the group's keyring. decrypt is true for both
	// decrypt modes; warn prints a warning for the user.
	Keyring(ctx context.Context, decrypt bool, warn func(string)) (materials.Keyring, error)
}

// ParseFunc checks the attributes of a -w group (provider= removed) for
// a registered provider.
type ParseFunc func(kv KV, decrypt bool) (Group, error)

var (
	extraMu        sync.RWMutex
	extraProviders = map[string]ParseFunc{}
)

// RegisterProvider adds a -w provider. It lets a build of the CLI with
// more dependencies (PKCS #11 needs cgo) offer more key kinds while this
// module stays pure Go. Call it before the command line is parsed (from
// an init function). It panics if name is empty, built in or already
// registered: that is a programming error, not an input.
func RegisterProvider(name string, parse ParseFunc) {
	extraMu.Lock()
	defer extraMu.Unlock()
	builtin := []string{providerKMS, providerKMSPython, providerRawAES, providerRawRSA, providerRawECDH, providerKMSRSA, providerKMSECDH, providerHierarchy}
	if name == "" || parse == nil || slices.Contains(builtin, name) || extraProviders[name] != nil {
		panic(fmt.Sprintf("keyconf: cannot register -w provider %q", name))
	}
	extraProviders[name] = parse
}

// extraProvider returns the registered provider name.
func extraProvider(name string) (ParseFunc, bool) {
	extraMu.RLock()
	defer extraMu.RUnlock()
	p, ok := extraProviders[name]
	return p, ok
}

// knownProviders lists the provider names for messages.
func knownProviders() string {
	extraMu.RLock()
	defer extraMu.RUnlock()
	s := knownProvidersText
	for _, n := range sortedKeys(extraProviders) {
		s += ", " + n
	}
	return s
}
