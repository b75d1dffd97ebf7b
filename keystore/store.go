package keystore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/go-esdk/esdk/keyring/awskms"
	"github.com/go-esdk/esdk/keyring/hierarchy"
)

// Attribute names and values of the key store table.
const (
	attrBranchKeyID      = "branch-key-id"
	attrType             = "type"
	attrCreateTime       = "create-time"
	attrHierarchyVersion = "hierarchy-version"
	attrKMSARN           = "kms-arn"
	attrEnc              = "enc"
	attrVersion          = "version"
	// ecTableName is in the AWS KMS encryption context, not in the item.
	ecTableName = "tablename"

	typeActive        = "branch:ACTIVE"
	typeBeacon        = "beacon:ACTIVE"
	typeVersionPrefix = "branch:version:"
	hierarchyVersion1 = "1"

	// CustomContextPrefix prefixes the attribute names of a branch key's
	// custom encryption context.
	CustomContextPrefix = "aws-crypto-ec:"

	// timeFormat is ISO 8601 in UTC with microseconds.
	timeFormat = "2006-01-02T15:04:05.000000Z"
)

// reserved are the attribute names a custom encryption context may not
// produce.
var reserved = []string{attrBranchKeyID, attrType, attrCreateTime, attrHierarchyVersion, ecTableName, attrKMSARN, attrEnc, attrVersion}

// Errors of the key store. Each error of the package wraps one of them
// (and the AWS SDK's error, where there is one).
var (
	// ErrConfig: an invalid [Config] or argument.
	ErrConfig = errors.New("keystore: invalid configuration or argument")
	// ErrNotFound: the item of a branch key (version) or beacon key is
	// not in the table.
	ErrNotFound = errors.New("keystore: key not found")
	// ErrMalformedItem: an item lacks an attribute, has one of the wrong
	// type, or has values that disagree with its key.
	ErrMalformedItem = errors.New("keystore: malformed key store item")
	// ErrHierarchyVersion: an item's hierarchy-version is not 1.
	ErrHierarchyVersion = errors.New("keystore: unsupported hierarchy-version")
	// ErrKMSKeyMismatch: an item is wrapped by another AWS KMS key than
	// the configured one.
	ErrKMSKeyMismatch = errors.New("keystore: item's AWS KMS key is not the configured key")
	// ErrKMS: an AWS KMS request failed or returned an invalid response.
	ErrKMS = errors.New("keystore: AWS KMS")
	// ErrDynamoDB: a DynamoDB request failed or returned an invalid response.
	ErrDynamoDB = errors.New("keystore: DynamoDB")
	// ErrExists: CreateKey's branch key ID is already in the table, or
	// VersionKey lost a race with another writer.
	ErrExists = errors.New("keystore: conflicting write")
)

// Config configures a [Store].
type Config struct {
	// TableName is the DynamoDB table. Required.
	TableName string
	// LogicalKeyStoreName is bound to every key (the "tablename" pair of
	// its AWS KMS encryption context) and names the store in the
	// hierarchical keyring's cache identifiers. It must be the same for
	// every reader and writer of the table, including other SDKs, and
	// stays the same when the table is restored under another name.
	// Required.
	LogicalKeyStoreName string
	// KMSKeyARN is the AWS KMS key that wraps the keys; items wrapped by
	// another key are refused. Required (a key ARN, not an alias).
	KMSKeyARN string
	// DynamoDB and KMS are the clients. Required.
	DynamoDB DynamoDBClient
	KMS      KMSClient
	// GrantTokens are passed to every AWS KMS request.
	GrantTokens []string
}

// Store is a branch key store in a DynamoDB table. It implements
// [hierarchy.KeyStore] and is safe for concurrent use.
type Store struct {
	cfg Config
}

var _ hierarchy.KeyStore = (*Store)(nil)

// New returns a key store. It makes no request.
func New(cfg Config) (*Store, error) {
	switch {
	case cfg.TableName == "":
		return nil, fmt.Errorf("%w: no table name", ErrConfig)
	case cfg.LogicalKeyStoreName == "":
		return nil, fmt.Errorf("%w: no logical key store name", ErrConfig)
	case cfg.DynamoDB == nil || cfg.KMS == nil:
		return nil, fmt.Errorf("%w: DynamoDB and AWS KMS clients are required", ErrConfig)
	}
	a, err := awskms.ParseARN(cfg.KMSKeyARN)
	if err != nil || a.ResourceType != "key" {
		return nil, fmt.Errorf("%w: KMSKeyARN %q is not an AWS KMS key ARN", ErrConfig, cfg.KMSKeyARN)
	}
	cfg.GrantTokens = slices.Clone(cfg.GrantTokens)
	return &Store{cfg: cfg}, nil
}

// LogicalKeyStoreName implements [hierarchy.KeyStore].
func (s *Store) LogicalKeyStoreName() string { return s.cfg.LogicalKeyStoreName }

// CreateKeyStore creates the table (on-demand capacity) if it does not
// exist, and checks its key schema if it does. It returns the table ARN.
// A new table may still be in state CREATING when it returns.
func (s *Store) CreateKeyStore(ctx context.Context) (string, error) {
	d, err := s.cfg.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.cfg.TableName)})
	var notFound *types.ResourceNotFoundException
	switch {
	case err == nil:
		if d.Table == nil {
			return "", fmt.Errorf("%w: DescribeTable %s returned no table", ErrDynamoDB, s.cfg.TableName)
		}
		return checkTable(s.cfg.TableName, d.Table)
	case errors.As(err, &notFound):
	default:
		return "", fmt.Errorf("%w: DescribeTable %s: %w", ErrDynamoDB, s.cfg.TableName, err)
	}
	c, err := s.cfg.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(s.cfg.TableName),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrBranchKeyID), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrType), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(attrBranchKeyID), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(attrType), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return "", fmt.Errorf("%w: CreateTable %s: %w", ErrDynamoDB, s.cfg.TableName, err)
	}
	if c.TableDescription == nil {
		return "", fmt.Errorf("%w: CreateTable %s returned no table", ErrDynamoDB, s.cfg.TableName)
	}
	return checkTable(s.cfg.TableName, c.TableDescription)
}

func checkTable(name string, t *types.TableDescription) (string, error) {
	hasKey := func(attr string, kt types.KeyType) bool {
		return slices.ContainsFunc(t.KeySchema, func(k types.KeySchemaElement) bool {
			return aws.ToString(k.AttributeName) == attr && k.KeyType == kt
		})
	}
	hasDef := func(attr string) bool {
		return slices.ContainsFunc(t.AttributeDefinitions, func(d types.AttributeDefinition) bool {
			return aws.ToString(d.AttributeName) == attr && d.AttributeType == types.ScalarAttributeTypeS
		})
	}
	if !hasKey(attrBranchKeyID, types.KeyTypeHash) || !hasKey(attrType, types.KeyTypeRange) || !hasDef(attrBranchKeyID) || !hasDef(attrType) {
		return "", fmt.Errorf("%w: table %s does not have the key store's key schema (%s HASH, %s RANGE, both strings)", ErrMalformedItem, name, attrBranchKeyID, attrType)
	}
	if t.TableArn == nil {
		return "", fmt.Errorf("%w: table %s has no ARN", ErrDynamoDB, name)
	}
	return *t.TableArn, nil
}

// CreateKeyOptions are the options of [Store.CreateKey].
type CreateKeyOptions struct {
	// BranchKeyID is the new branch key's ID; empty means a random
	// (version 4) UUID. A caller-chosen ID needs a non-empty
	// EncryptionContext (as in the official SDKs).
	BranchKeyID string
	// EncryptionContext is the custom encryption context bound to every
	// version of the branch key and to its beacon key.
	EncryptionContext map[string]string
}

// CreateKey creates a branch key (its first version, active) and its
// beacon key, and returns the branch key ID. It fails with [ErrExists] if
// the ID is already in the table.
func (s *Store) CreateKey(ctx context.Context, opts *CreateKeyOptions) (string, error) {
	var o CreateKeyOptions
	if opts != nil {
		o = *opts
	}
	if o.BranchKeyID != "" && len(o.EncryptionContext) == 0 {
		return "", fmt.Errorf("%w: a caller-chosen branch key ID needs a custom encryption context", ErrConfig)
	}
	if err := checkCustomContext(o.EncryptionContext); err != nil {
		return "", err
	}
	id := o.BranchKeyID
	if id == "" {
		id = newUUID()
	} else if !utf8.ValidString(id) {
		return "", fmt.Errorf("%w: branch key ID is not UTF-8", ErrConfig)
	}
	version := newUUID()
	decryptOnly := map[string]string{
		attrBranchKeyID:      id,
		attrType:             typeVersionPrefix + version,
		attrCreateTime:       time.Now().UTC().Format(timeFormat),
		ecTableName:          s.cfg.LogicalKeyStoreName,
		attrKMSARN:           s.cfg.KMSKeyARN,
		attrHierarchyVersion: hierarchyVersion1,
	}
	for k, v := range o.EncryptionContext {
		decryptOnly[CustomContextPrefix+k] = v
	}
	active := activeContext(decryptOnly)
	beacon := maps.Clone(decryptOnly)
	beacon[attrType] = typeBeacon

	versionBlob, err := s.generate(ctx, decryptOnly)
	if err != nil {
		return "", err
	}
	activeBlob, err := s.reEncrypt(ctx, versionBlob, decryptOnly, active)
	if err != nil {
		return "", err
	}
	beaconBlob, err := s.generate(ctx, beacon)
	if err != nil {
		return "", err
	}
	notExists := func(ec map[string]string, blob []byte) types.TransactWriteItem {
		return s.put(ec, blob, "attribute_not_exists(#id)", nil)
	}
	_, err = s.cfg.DynamoDB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		notExists(decryptOnly, versionBlob), notExists(active, activeBlob), notExists(beacon, beaconBlob),
	}})
	if err != nil {
		return "", writeError(fmt.Sprintf("CreateKey %q", id), err)
	}
	return id, nil
}

// VersionKey makes a new version of a branch key the active one. The
// older versions stay in the table, so messages under them still decrypt.
// The active item is authenticated with AWS KMS (ReEncrypt) before it is
// replaced, and the write fails with [ErrExists] if another writer
// replaced it meanwhile.
func (s *Store) VersionKey(ctx context.Context, branchKeyID string) error {
	if branchKeyID == "" {
		return fmt.Errorf("%w: empty branch key ID", ErrConfig)
	}
	item, err := s.getItem(ctx, branchKeyID, typeActive)
	if err != nil {
		return err
	}
	old, err := s.parseItem(item, branchKeyID, typeActive)
	if err != nil {
		return err
	}
	// Authenticate the active item: KMS only re-encrypts it under its
	// own encryption context.
	if _, err := s.reEncrypt(ctx, old.enc, old.ec, old.ec); err != nil {
		return err
	}
	version := newUUID()
	decryptOnly := maps.Clone(old.ec)
	delete(decryptOnly, attrVersion)
	decryptOnly[attrType] = typeVersionPrefix + version
	decryptOnly[attrCreateTime] = time.Now().UTC().Format(timeFormat)
	active := activeContext(decryptOnly)

	versionBlob, err := s.generate(ctx, decryptOnly)
	if err != nil {
		return err
	}
	activeBlob, err := s.reEncrypt(ctx, versionBlob, decryptOnly, active)
	if err != nil {
		return err
	}
	_, err = s.cfg.DynamoDB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		s.put(decryptOnly, versionBlob, "attribute_not_exists(#id)", nil),
		s.put(active, activeBlob, "attribute_exists(#id) AND #enc = :oldenc", old.enc),
	}})
	if err != nil {
		return writeError(fmt.Sprintf("VersionKey %q", branchKeyID), err)
	}
	return nil
}

// GetActiveBranchKey implements [hierarchy.KeyStore]: it reads the
// branch key's ACTIVE item and decrypts it with AWS KMS.
func (s *Store) GetActiveBranchKey(ctx context.Context, branchKeyID string) (hierarchy.BranchKeyMaterials, error) {
	if branchKeyID == "" {
		return hierarchy.BranchKeyMaterials{}, fmt.Errorf("%w: empty branch key ID", ErrConfig)
	}
	return s.branchKey(ctx, branchKeyID, typeActive)
}

// GetBranchKeyVersion implements [hierarchy.KeyStore]: it reads the item
// of one version and decrypts it with AWS KMS.
func (s *Store) GetBranchKeyVersion(ctx context.Context, branchKeyID, version string) (hierarchy.BranchKeyMaterials, error) {
	if branchKeyID == "" || version == "" {
		return hierarchy.BranchKeyMaterials{}, fmt.Errorf("%w: empty branch key ID or version", ErrConfig)
	}
	return s.branchKey(ctx, branchKeyID, typeVersionPrefix+version)
}

// BeaconKeyMaterials is the beacon key of a branch key (used by
// searchable encryption).
type BeaconKeyMaterials struct {
	BeaconKeyID string
	// Key is the 32-byte beacon key. It is a secret.
	Key []byte
	// EncryptionContext is the custom encryption context.
	EncryptionContext map[string]string
}

// GetBeaconKey reads and decrypts the beacon key of a branch key.
func (s *Store) GetBeaconKey(ctx context.Context, branchKeyID string) (BeaconKeyMaterials, error) {
	if branchKeyID == "" {
		return BeaconKeyMaterials{}, fmt.Errorf("%w: empty branch key ID", ErrConfig)
	}
	it, key, err := s.read(ctx, branchKeyID, typeBeacon)
	if err != nil {
		return BeaconKeyMaterials{}, err
	}
	return BeaconKeyMaterials{BeaconKeyID: branchKeyID, Key: key, EncryptionContext: customContext(it.ec)}, nil
}

func (s *Store) branchKey(ctx context.Context, id, typ string) (hierarchy.BranchKeyMaterials, error) {
	it, key, err := s.read(ctx, id, typ)
	if err != nil {
		return hierarchy.BranchKeyMaterials{}, err
	}
	return hierarchy.BranchKeyMaterials{BranchKeyID: id, Version: it.version, Key: key, EncryptionContext: customContext(it.ec)}, nil
}

// read gets an item, checks it and decrypts its key.
func (s *Store) read(ctx context.Context, id, typ string) (parsedItem, []byte, error) {
	item, err := s.getItem(ctx, id, typ)
	if err != nil {
		return parsedItem{}, nil, err
	}
	it, err := s.parseItem(item, id, typ)
	if err != nil {
		return parsedItem{}, nil, err
	}
	out, err := s.cfg.KMS.Decrypt(ctx, &kms.DecryptInput{
		KeyId:             aws.String(s.cfg.KMSKeyARN),
		CiphertextBlob:    it.enc,
		EncryptionContext: it.ec,
		GrantTokens:       s.cfg.GrantTokens,
	})
	if err != nil {
		return parsedItem{}, nil, fmt.Errorf("%w: Decrypt of %s: %w", ErrKMS, describe(id, typ), err)
	}
	if aws.ToString(out.KeyId) != s.cfg.KMSKeyARN {
		return parsedItem{}, nil, fmt.Errorf("%w: Decrypt of %s answered for key %q, not %q", ErrKMS, describe(id, typ), aws.ToString(out.KeyId), s.cfg.KMSKeyARN)
	}
	if len(out.Plaintext) != hierarchy.BranchKeyLen {
		return parsedItem{}, nil, fmt.Errorf("%w: Decrypt of %s returned %d bytes, not %d", ErrKMS, describe(id, typ), len(out.Plaintext), hierarchy.BranchKeyLen)
	}
	return it, out.Plaintext, nil
}

func describe(id, typ string) string { return fmt.Sprintf("branch key %q item %q", id, typ) }

func (s *Store) getItem(ctx context.Context, id, typ string) (map[string]types.AttributeValue, error) {
	out, err := s.cfg.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.cfg.TableName),
		Key: map[string]types.AttributeValue{
			attrBranchKeyID: &types.AttributeValueMemberS{Value: id},
			attrType:        &types.AttributeValueMemberS{Value: typ},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("%w: GetItem %s: %w", ErrDynamoDB, describe(id, typ), err)
	}
	if len(out.Item) == 0 {
		return nil, fmt.Errorf("%w: %s is not in table %s", ErrNotFound, describe(id, typ), s.cfg.TableName)
	}
	return out.Item, nil
}

// parsedItem is a checked item: its AWS KMS encryption context (all
// attributes but enc, plus tablename), wrapped key, and version (for
// branch key items).
type parsedItem struct {
	ec      map[string]string
	enc     []byte
	version string
}

// parseItem checks an item read for (id, typ) and returns its parts.
func (s *Store) parseItem(item map[string]types.AttributeValue, id, typ string) (parsedItem, error) {
	bad := func(format string, a ...any) (parsedItem, error) {
		return parsedItem{}, fmt.Errorf("%w: %s: %s", ErrMalformedItem, describe(id, typ), fmt.Sprintf(format, a...))
	}
	var it parsedItem
	it.ec = map[string]string{ecTableName: s.cfg.LogicalKeyStoreName}
	for name, v := range item {
		switch name {
		case ecTableName:
			return bad("has a %q attribute", ecTableName)
		case attrEnc:
			b, ok := v.(*types.AttributeValueMemberB)
			if !ok {
				return bad("%q is not binary", name)
			}
			it.enc = b.Value
		case attrHierarchyVersion:
			n, ok := v.(*types.AttributeValueMemberN)
			if !ok {
				return bad("%q is not a number", name)
			}
			if n.Value != hierarchyVersion1 {
				return parsedItem{}, fmt.Errorf("%w: %s has hierarchy-version %q; this key store reads version 1", ErrHierarchyVersion, describe(id, typ), n.Value)
			}
			it.ec[name] = n.Value
		default:
			sv, ok := v.(*types.AttributeValueMemberS)
			if !ok {
				return bad("%q is not a string", name)
			}
			it.ec[name] = sv.Value
		}
	}
	for _, name := range []string{attrBranchKeyID, attrType, attrCreateTime, attrHierarchyVersion, attrKMSARN} {
		if _, ok := it.ec[name]; !ok {
			return bad("no %q attribute", name)
		}
	}
	if len(it.enc) == 0 {
		return bad("no %q attribute", attrEnc)
	}
	if it.ec[attrBranchKeyID] != id || it.ec[attrType] != typ {
		return bad("item is keyed (%q, %q)", it.ec[attrBranchKeyID], it.ec[attrType])
	}
	if arn := it.ec[attrKMSARN]; arn != s.cfg.KMSKeyARN {
		return parsedItem{}, fmt.Errorf("%w: %s is wrapped by %q, the store is configured with %q", ErrKMSKeyMismatch, describe(id, typ), arn, s.cfg.KMSKeyARN)
	}
	v, hasVersion := it.ec[attrVersion]
	switch {
	case typ == typeActive:
		if !hasVersion || !strings.HasPrefix(v, typeVersionPrefix) {
			return bad("%q is %q, want %q + a version", attrVersion, v, typeVersionPrefix)
		}
		it.version = v[len(typeVersionPrefix):]
	case hasVersion:
		return bad("has a %q attribute", attrVersion)
	case strings.HasPrefix(typ, typeVersionPrefix):
		it.version = typ[len(typeVersionPrefix):]
	}
	if typ != typeBeacon {
		if _, err := hierarchy.ParseVersion(it.version); err != nil {
			return bad("version: %v", err)
		}
	}
	return it, nil
}

// activeContext is the encryption context of the ACTIVE item of a
// version's (decrypt-only) context.
func activeContext(decryptOnly map[string]string) map[string]string {
	ec := maps.Clone(decryptOnly)
	ec[attrVersion] = decryptOnly[attrType]
	ec[attrType] = typeActive
	return ec
}

// customContext returns the custom encryption context of an item's
// encryption context, without the prefix.
func customContext(ec map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range ec {
		if c, ok := strings.CutPrefix(k, CustomContextPrefix); ok {
			out[c] = v
		}
	}
	return out
}

func checkCustomContext(ec map[string]string) error {
	for k, v := range ec {
		if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: custom encryption context keys must be non-empty UTF-8, values UTF-8", ErrConfig)
		}
		if slices.Contains(reserved, CustomContextPrefix+k) {
			return fmt.Errorf("%w: custom encryption context key %q is reserved", ErrConfig, k)
		}
	}
	return nil
}

// put is a conditional Put of the item of encryption context ec (without
// tablename) and wrapped key blob.
func (s *Store) put(ec map[string]string, blob []byte, cond string, oldEnc []byte) types.TransactWriteItem {
	item := map[string]types.AttributeValue{attrEnc: &types.AttributeValueMemberB{Value: blob}}
	for k, v := range ec {
		switch k {
		case ecTableName:
		case attrHierarchyVersion:
			item[k] = &types.AttributeValueMemberN{Value: v}
		default:
			item[k] = &types.AttributeValueMemberS{Value: v}
		}
	}
	p := &types.Put{
		TableName:                aws.String(s.cfg.TableName),
		Item:                     item,
		ConditionExpression:      aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#id": attrBranchKeyID},
	}
	if oldEnc != nil {
		p.ExpressionAttributeNames["#enc"] = attrEnc
		p.ExpressionAttributeValues = map[string]types.AttributeValue{":oldenc": &types.AttributeValueMemberB{Value: oldEnc}}
	}
	return types.TransactWriteItem{Put: p}
}

func writeError(what string, err error) error {
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) && slices.ContainsFunc(canceled.CancellationReasons, func(r types.CancellationReason) bool {
		return aws.ToString(r.Code) == "ConditionalCheckFailed"
	}) {
		return fmt.Errorf("%w: %s: a condition failed (the key exists, or another writer changed it): %w", ErrExists, what, err)
	}
	return fmt.Errorf("%w: TransactWriteItems for %s: %w", ErrDynamoDB, what, err)
}

func (s *Store) generate(ctx context.Context, ec map[string]string) ([]byte, error) {
	out, err := s.cfg.KMS.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{
		KeyId:             aws.String(s.cfg.KMSKeyARN),
		NumberOfBytes:     aws.Int32(hierarchy.BranchKeyLen),
		EncryptionContext: ec,
		GrantTokens:       s.cfg.GrantTokens,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: GenerateDataKeyWithoutPlaintext: %w", ErrKMS, err)
	}
	if aws.ToString(out.KeyId) != s.cfg.KMSKeyARN || len(out.CiphertextBlob) == 0 {
		return nil, fmt.Errorf("%w: GenerateDataKeyWithoutPlaintext answered for key %q with %d bytes", ErrKMS, aws.ToString(out.KeyId), len(out.CiphertextBlob))
	}
	return out.CiphertextBlob, nil
}

func (s *Store) reEncrypt(ctx context.Context, blob []byte, from, to map[string]string) ([]byte, error) {
	out, err := s.cfg.KMS.ReEncrypt(ctx, &kms.ReEncryptInput{
		CiphertextBlob:               blob,
		SourceKeyId:                  aws.String(s.cfg.KMSKeyARN),
		SourceEncryptionContext:      from,
		DestinationKeyId:             aws.String(s.cfg.KMSKeyARN),
		DestinationEncryptionContext: to,
		GrantTokens:                  s.cfg.GrantTokens,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: ReEncrypt: %w", ErrKMS, err)
	}
	if aws.ToString(out.KeyId) != s.cfg.KMSKeyARN || len(out.CiphertextBlob) == 0 {
		return nil, fmt.Errorf("%w: ReEncrypt answered for key %q with %d bytes", ErrKMS, aws.ToString(out.KeyId), len(out.CiphertextBlob))
	}
	return out.CiphertextBlob, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return hierarchy.FormatVersion(u)
}
