package keystore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// fakeDDB is an in-memory table that understands the requests and
// conditions the key store makes.
type fakeDDB struct {
	mu       sync.Mutex
	table    string
	created  bool
	items    map[[2]string]map[string]types.AttributeValue
	gets     int
	getErr   error
	writeErr error
}

func newFakeDDB(table string) *fakeDDB {
	return &fakeDDB{table: table, items: map[[2]string]map[string]types.AttributeValue{}}
}

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func (f *fakeDDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.getErr != nil {
		return nil, f.getErr
	}
	if aws.ToString(in.TableName) != f.table {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no table")}
	}
	it := f.items[[2]string{str(in.Key["branch-key-id"]), str(in.Key["type"])}]
	return &dynamodb.GetItemOutput{Item: maps.Clone(it)}, nil
}

func (f *fakeDDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr != nil {
		return nil, f.writeErr
	}
	reasons := make([]types.CancellationReason, len(in.TransactItems))
	failed := false
	for i, ti := range in.TransactItems {
		p := ti.Put
		key := [2]string{str(p.Item["branch-key-id"]), str(p.Item["type"])}
		cur, exists := f.items[key]
		ok := false
		switch aws.ToString(p.ConditionExpression) {
		case "attribute_not_exists(#id)":
			ok = !exists
		case "attribute_exists(#id) AND #enc = :oldenc":
			old := p.ExpressionAttributeValues[":oldenc"].(*types.AttributeValueMemberB).Value
			ok = exists && bytes.Equal(cur["enc"].(*types.AttributeValueMemberB).Value, old)
		default:
			return nil, fmt.Errorf("fake: unknown condition %q", aws.ToString(p.ConditionExpression))
		}
		reasons[i].Code = aws.String("None")
		if !ok {
			reasons[i].Code = aws.String("ConditionalCheckFailed")
			failed = true
		}
	}
	if failed {
		return nil, &types.TransactionCanceledException{Message: aws.String("canceled"), CancellationReasons: reasons}
	}
	for _, ti := range in.TransactItems {
		key := [2]string{str(ti.Put.Item["branch-key-id"]), str(ti.Put.Item["type"])}
		f.items[key] = maps.Clone(ti.Put.Item)
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

func (f *fakeDDB) description() *types.TableDescription {
	return &types.TableDescription{
		TableName: aws.String(f.table), TableArn: aws.String("arn:aws:dynamodb:us-west-2:111122223333:table/" + f.table),
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("branch-key-id"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("type"), KeyType: types.KeyTypeRange}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("branch-key-id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("type"), AttributeType: types.ScalarAttributeTypeS}},
	}
}

func (f *fakeDDB) DescribeTable(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.created || aws.ToString(in.TableName) != f.table {
		return nil, &types.ResourceNotFoundException{Message: aws.String("not found")}
	}
	return &dynamodb.DescribeTableOutput{Table: f.description()}, nil
}

func (f *fakeDDB) CreateTable(_ context.Context, in *dynamodb.CreateTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.created {
		return nil, &types.ResourceInUseException{Message: aws.String("exists")}
	}
	f.created = true
	f.table = aws.ToString(in.TableName)
	return &dynamodb.CreateTableOutput{TableDescription: f.description()}, nil
}

// fakeKMS "wraps" keys by remembering them under a random blob, bound to
// the key ID and encryption context, as AWS KMS would authenticate them.
type fakeKMS struct {
	mu       sync.Mutex
	keyID    string
	blobs    map[string]wrapped
	decrypts int
	refuse   error
	lastEC   map[string]string
}

type wrapped struct {
	key []byte
	ec  map[string]string
}

func newFakeKMS(keyID string) *fakeKMS { return &fakeKMS{keyID: keyID, blobs: map[string]wrapped{}} }

func (k *fakeKMS) wrap(key []byte, ec map[string]string) []byte {
	blob := make([]byte, 48)
	rand.Read(blob)
	k.blobs[string(blob)] = wrapped{key: key, ec: maps.Clone(ec)}
	return blob
}

func (k *fakeKMS) unwrap(keyID string, blob []byte, ec map[string]string) ([]byte, error) {
	if k.refuse != nil {
		return nil, k.refuse
	}
	w, ok := k.blobs[string(blob)]
	if !ok || keyID != k.keyID || !maps.Equal(w.ec, ec) {
		return nil, &kmstypes.InvalidCiphertextException{Message: aws.String("invalid ciphertext")}
	}
	return w.key, nil
}

func (k *fakeKMS) GenerateDataKeyWithoutPlaintext(_ context.Context, in *kms.GenerateDataKeyWithoutPlaintextInput, _ ...func(*kms.Options)) (*kms.GenerateDataKeyWithoutPlaintextOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.refuse != nil {
		return nil, k.refuse
	}
	if aws.ToString(in.KeyId) != k.keyID || aws.ToInt32(in.NumberOfBytes) != 32 {
		return nil, errors.New("fake: bad GenerateDataKeyWithoutPlaintext request")
	}
	key := make([]byte, 32)
	rand.Read(key)
	return &kms.GenerateDataKeyWithoutPlaintextOutput{KeyId: aws.String(k.keyID), CiphertextBlob: k.wrap(key, in.EncryptionContext)}, nil
}

func (k *fakeKMS) ReEncrypt(_ context.Context, in *kms.ReEncryptInput, _ ...func(*kms.Options)) (*kms.ReEncryptOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, err := k.unwrap(aws.ToString(in.SourceKeyId), in.CiphertextBlob, in.SourceEncryptionContext)
	if err != nil {
		return nil, err
	}
	return &kms.ReEncryptOutput{KeyId: aws.String(k.keyID), CiphertextBlob: k.wrap(key, in.DestinationEncryptionContext)}, nil
}

func (k *fakeKMS) Decrypt(_ context.Context, in *kms.DecryptInput, _ ...func(*kms.Options)) (*kms.DecryptOutput, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.decrypts++
	k.lastEC = maps.Clone(in.EncryptionContext)
	key, err := k.unwrap(aws.ToString(in.KeyId), in.CiphertextBlob, in.EncryptionContext)
	if err != nil {
		return nil, err
	}
	return &kms.DecryptOutput{KeyId: aws.String(k.keyID), Plaintext: bytes.Clone(key)}, nil
}
