package main

import (
	"context"
	"errors"

	"github.com/go-esdk/esdk/materials"
)

// kmsSpec is one AWS KMS -w group, checked against the Python CLI's rules
// (see parseKMSSpec): either strict (Keys non-empty, Discovery false) or
// discovery (Discovery true, no Keys, optionally a filter of accounts in
// one partition).
type kmsSpec struct {
	// Keys are the key=, in order: key ARNs, key IDs, alias names or alias
	// ARNs on encrypt; key ARNs on decrypt.
	Keys []string
	// Region is region= (used for keys that are not ARNs, and for discovery
	// clients); empty means the profile's or the SDK's default.
	Region string
	// Profile is profile=: a named profile of the shared AWS config files.
	Profile string
	// Discovery is discovery=true (decrypt only).
	Discovery bool
	// DiscoveryAccounts and DiscoveryPartition are the discovery filter;
	// both are set or neither.
	DiscoveryAccounts  []string
	DiscoveryPartition string
	// Decrypt is true for -d/--decrypt and --decrypt-unsigned.
	Decrypt bool
	// Primary is true when this is the first -w group of the command: the
	// first of its Keys generates the data key. When no spec is Primary, the
	// keyring is used as a child of a multi-keyring and must only add an
	// encrypted copy of the data key that another keyring generated.
	Primary bool
	// Extra holds attributes the CLI does not know; the user was warned
	// that they are ignored.
	Extra map[string][]string
}

// errKMSUnsupported is returned until AWS KMS keyrings are wired in.
var errKMSUnsupported = errors.New("AWS KMS wrapping keys are not supported yet")

// kmsKeyring returns the keyring for every AWS KMS -w group of the command,
// in command-line order (MRK-aware strict keyrings for Keys, MRK-aware
// discovery keyrings otherwise, one client per region). It is the only
// place the CLI touches AWS.
func kmsKeyring(ctx context.Context, specs []kmsSpec) (materials.Keyring, error) {
	_ = ctx
	_ = specs
	return nil, withHint(errKMSUnsupported, "use a local key for now: -w provider=raw-aes key=NAME namespace=NS key-file=PATH")
}
