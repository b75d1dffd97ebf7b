package keyconf

// AWS KMS wrapping keys: the -w groups of the Python CLI's aws-kms
// provider, turned into keyrings of package awskms.
//
// The Python CLI (4.x, over the Python ESDK 3.x) makes one master key
// provider per -w group: MRKAwareStrictAwsKmsMasterKeyProvider for key=,
// MRKAwareDiscoveryAwsKmsMasterKeyProvider for discovery=true. This file
// builds the keyring equivalent of each:
//
//   - strict: an MRK-aware multi-keyring of the group's keys
//     (awskms.NewMRKMultiKeyring). Keys that are not ARNs use the group's
//     region (region=, else the profile's or the SDK's default region);
//     ARNs use their own region.
//   - discovery: awskms.AnyRegionDiscoveryKeyring. Like the Python provider it
//     needs no list of regions: an encrypted data key of a single-Region
//     key is decrypted in the region of its ARN, one of a multi-Region key
//     in the group's region (region=, else the default region), with the
//     ARN of the replica there. As in Python, that region must be known.
//
// Endpoints, credentials and regions come from the usual AWS configuration
// (aws-sdk-go-v2's config.LoadDefaultConfig): environment variables such
// as AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_KMS,
// and the shared config and credentials files; profile= names a profile of
// those files and region= overrides the region.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/clierr"
	"github.com/go-esdk/esdk/keyring"
	"github.com/go-esdk/esdk/keyring/awskms"
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
	// GrantTokens are grant_tokens=, passed with every AWS KMS request.
	GrantTokens []string

	// buildErr is a problem the Python CLI finds only when it builds the
	// provider (two region= or profile=, an unknown attribute), so that it
	// exits 1 rather than 2: kmsKeyring returns it.
	buildErr error
}

// loadAWSConfig loads the AWS configuration of a -w group: the default
// configuration (environment, shared files), with profile= and region=.
func loadAWSConfig(ctx context.Context, profile, region string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	return awsconfig.LoadDefaultConfig(ctx, opts...)
}

// kmsKeyring returns the keyring for every AWS KMS -w group of the command,
// in command-line order (MRK-aware strict keyrings for Keys, MRK-aware
// discovery keyrings otherwise, one client per region). It is the only
// place the CLI touches AWS.
func kmsKeyring(ctx context.Context, specs []kmsSpec, kmsOpts []func(*kms.Options)) (materials.Keyring, error) {
	if len(specs) == 0 {
		return nil, errors.New("no AWS KMS wrapping keys")
	}
	type groupKey struct{ profile, region string }
	suppliers := map[groupKey]*kmsGroupConfig{}
	primary := specs[0].Primary
	rings := make([]materials.Keyring, 0, len(specs))
	for _, s := range specs {
		if s.buildErr != nil {
			return nil, s.buildErr
		}
	}
	for i, s := range specs {
		gk := groupKey{s.Profile, s.Region}
		g, ok := suppliers[gk]
		if !ok {
			cfg, err := loadAWSConfig(ctx, s.Profile, s.Region)
			if err != nil {
				return nil, kmsConfigError(s, err)
			}
			g = &kmsGroupConfig{region: cfg.Region, supplier: awskms.NewClientSupplier(cfg, kmsOpts...)}
			suppliers[gk] = g
		}
		kr, err := g.keyring(s, i == 0 && primary)
		if err != nil {
			return nil, err
		}
		rings = append(rings, kr)
	}
	if len(rings) == 1 {
		return rings[0], nil
	}
	if primary {
		return keyring.NewMulti(rings[0], rings[1:]...)
	}
	return keyring.NewMulti(nil, rings...)
}

// kmsGroupConfig is the AWS configuration shared by the -w groups with the
// same profile= and region=.
type kmsGroupConfig struct {
	region   string // the configuration's region: region=, the profile's or the default; may be empty
	supplier awskms.ClientSupplier
}

// keyring builds the keyring of one group. generator says whether its first
// key generates the data key.
func (g *kmsGroupConfig) keyring(s kmsSpec, generator bool) (materials.Keyring, error) {
	if s.Discovery {
		if g.region == "" {
			// As the Python provider (and the specification of the MRK-aware
			// discovery provider) requires, even for messages without a
			// multi-Region key.
			return nil, clierr.WithHint(errors.New("-w discovery=true: no AWS region to decrypt multi-Region keys in"),
				"add region=REGION to the -w group, or set AWS_REGION (or a region in the AWS profile)")
		}
		var filter *awskms.DiscoveryFilter
		if len(s.DiscoveryAccounts) > 0 {
			filter = &awskms.DiscoveryFilter{Partition: s.DiscoveryPartition, AccountIDs: slices.Clone(s.DiscoveryAccounts)}
		}
		return awskms.NewAnyRegionDiscoveryKeyring(g.supplier, g.region, filter, awskms.WithGrantTokens(s.GrantTokens...))
	}
	if g.region == "" {
		for _, k := range s.Keys {
			if !strings.HasPrefix(k, "arn:") {
				return nil, clierr.WithHint(fmt.Errorf("-w key=%s: no AWS region for a key that is not an ARN", k),
					"add region=REGION to the -w group, set AWS_REGION, or name the key by its ARN")
			}
		}
	}
	gen, others := "", s.Keys
	if generator {
		gen, others = s.Keys[0], s.Keys[1:]
	}
	kr, err := awskms.NewMRKMultiKeyring(g.supplier, gen, others, awskms.WithGrantTokens(s.GrantTokens...))
	if err != nil {
		return nil, fmt.Errorf("-w %s: %w", describeKeys(s.Keys), err)
	}
	return kr, nil
}

func describeKeys(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "key=" + k
	}
	return strings.Join(parts, " ")
}

// kmsConfigError reports a failure to load the AWS configuration of a
// group (most often a profile that does not exist).
func kmsConfigError(s kmsSpec, err error) error {
	what := "the AWS configuration"
	hint := "check AWS_PROFILE, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"
	if s.Profile != "" {
		what = fmt.Sprintf("the AWS configuration of profile=%s", s.Profile)
		hint = "the profile must exist in ~/.aws/config or ~/.aws/credentials (or the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name)"
	}
	return clierr.WithHint(fmt.Errorf("cannot load %s: %w", what, err), hint)
}
