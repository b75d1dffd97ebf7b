package awskms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// Client is the part of the AWS KMS API the keyrings use. *kms.Client
// satisfies it; tests can supply their own implementation.
//
// Implementations must be safe for concurrent use.
type Client interface {
	Encrypt(ctx context.Context, in *kms.EncryptInput, optFns ...func(*kms.Options)) (*kms.EncryptOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
}

var _ Client = (*kms.Client)(nil)

// ClientSupplier gives the multi-keyring helpers ([NewStrictMultiKeyring]
// and the others) an AWS KMS client for a region. The region is that of a
// key ARN, or "" for a key identifier that is not an ARN (an alias name or
// key ID), meaning the default region.
//
// Keyrings ask for a client only when they are about to call AWS KMS, with
// the context of that operation. Implementations must be safe for
// concurrent use and should return the same client for the same region.
type ClientSupplier interface {
	ClientForRegion(ctx context.Context, region string) (Client, error)
}

// ClientSupplierFunc adapts a function to a [ClientSupplier].
type ClientSupplierFunc func(ctx context.Context, region string) (Client, error)

// ClientForRegion returns f(ctx, region).
func (f ClientSupplierFunc) ClientForRegion(ctx context.Context, region string) (Client, error) {
	return f(ctx, region)
}

// NewClientSupplier returns a [ClientSupplier] that creates one *kms.Client
// per region from cfg, the first time the region is asked for, and then
// returns that client again. Region "" gets a client for cfg.Region. The
// option functions are applied to every client after its region is set,
// so they can depend on it (for example to pick an endpoint). The
// supplier is safe for concurrent use.
func NewClientSupplier(cfg aws.Config, optFns ...func(*kms.Options)) ClientSupplier {
	return &clientCache{cfg: cfg, optFns: slices.Clone(optFns), clients: make(map[string]*kms.Client)}
}

type clientCache struct {
	cfg    aws.Config
	optFns []func(*kms.Options)

	mu      sync.Mutex
	clients map[string]*kms.Client
}

// userAgent marks requests as coming from this library.
var userAgent = kms.WithAPIOptions(awsmiddleware.AddUserAgentKey("go-esdk"))

func (c *clientCache) ClientForRegion(ctx context.Context, region string) (Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if region == "" {
		region = c.cfg.Region
		if region == "" {
			return nil, errors.New("awskms: no region for a key identifier that is not an ARN, and the AWS config has no default region")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.clients[region]; ok {
		return k, nil
	}
	fns := make([]func(*kms.Options), 0, len(c.optFns)+2)
	fns = append(fns, func(o *kms.Options) { o.Region = region }, userAgent)
	fns = append(fns, c.optFns...)
	k := kms.NewFromConfig(c.cfg, fns...)
	if got := k.Options().Region; got != region {
		return nil, fmt.Errorf("awskms: client for region %s was configured for region %s", region, got)
	}
	c.clients[region] = k
	return k, nil
}
