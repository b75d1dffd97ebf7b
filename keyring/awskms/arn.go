package awskms

import (
	"errors"
	"fmt"
	"strings"
)

// maxIdentifierLen is the longest key identifier accepted, as in the
// AWS Cryptographic Material Providers Library.
const maxIdentifierLen = 2048

// ARN is a parsed AWS KMS ARN,
// arn:<partition>:kms:<region>:<account>:<resource type>/<resource ID>.
type ARN struct {
	Partition string // for example "aws"
	Service   string // always "kms"
	Region    string
	AccountID string
	// ResourceType is "key" or "alias".
	ResourceType string
	// ResourceID is the key ID or the alias name (without "alias/"). It may
	// contain "/".
	ResourceID string
}

// ParseARN parses an AWS KMS key or alias ARN. It requires exactly six
// colon-separated parts, the service "kms", non-empty partition, region
// and account, and a resource of the form key/<id> or alias/<name>.
// Spec: framework/aws-kms/aws-kms-key-arn.md.
func ParseARN(s string) (ARN, error) {
	if err := checkASCII(s); err != nil {
		return ARN{}, err
	}
	parts := strings.Split(s, ":")
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, fmt.Errorf("awskms: %q is not an ARN (arn:partition:kms:region:account:key/id)", short(s))
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4]}
	switch {
	case a.Partition == "":
		return ARN{}, fmt.Errorf("awskms: ARN %q has no partition", short(s))
	case a.Service != "kms":
		return ARN{}, fmt.Errorf("awskms: ARN %q is not an AWS KMS ARN", short(s))
	case a.Region == "":
		return ARN{}, fmt.Errorf("awskms: ARN %q has no region", short(s))
	case a.AccountID == "":
		return ARN{}, fmt.Errorf("awskms: ARN %q has no account", short(s))
	}
	typ, id, ok := strings.Cut(parts[5], "/")
	if !ok || (typ != "key" && typ != "alias") || id == "" {
		return ARN{}, fmt.Errorf("awskms: ARN %q does not name a key (key/<id>) or an alias (alias/<name>)", short(s))
	}
	a.ResourceType, a.ResourceID = typ, id
	return a, nil
}

// String returns the ARN in its usual form.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.ResourceType + "/" + a.ResourceID
}

// IsMRK reports whether a names a multi-Region key: a key (not an
// alias) whose ID starts with "mrk-".
func (a ARN) IsMRK() bool { return a.ResourceType == "key" && strings.HasPrefix(a.ResourceID, "mrk-") }

// IsMRK reports whether the key identifier id (a key ARN, alias ARN, key
// ID or alias name) names a multi-Region key. Aliases never do; a bare key
// ID does when it starts with "mrk-".
func IsMRK(id string) bool {
	switch {
	case strings.HasPrefix(id, "arn:"):
		a, err := ParseARN(id)
		return err == nil && a.IsMRK()
	case strings.HasPrefix(id, "alias/"):
		return false
	default:
		return strings.HasPrefix(id, "mrk-")
	}
}

// MRKMatch reports whether an encrypted data key written under the key
// ARN message may be decrypted by a keyring configured with the identifier
// configured: when the two are equal, or when both are ARNs of
// multi-Region keys that differ at most in their region.
// Spec: framework/aws-kms/aws-kms-mrk-match-for-decrypt.md.
func MRKMatch(configured, message string) bool {
	if configured == message {
		return true
	}
	a, err := ParseARN(configured)
	if err != nil || !a.IsMRK() {
		return false
	}
	b, err := ParseARN(message)
	if err != nil || !b.IsMRK() {
		return false
	}
	a.Region = b.Region
	return a == b
}

// checkIdentifier checks that id is a key identifier KMS accepts: a key
// or alias ARN, "alias/<name>", or a key ID.
func checkIdentifier(id string) error {
	switch {
	case id == "":
		return errors.New("awskms: empty AWS KMS key identifier")
	case strings.HasPrefix(id, "arn:"):
		_, err := ParseARN(id)
		return err
	case strings.HasPrefix(id, "alias/"):
		if id == "alias/" {
			return errors.New(`awskms: AWS KMS alias "alias/" has no name`)
		}
	case strings.Contains(id, ":"):
		return fmt.Errorf("awskms: %q is neither an ARN, an alias nor a key ID", short(id))
	}
	if err := checkASCII(id); err != nil {
		return err
	}
	if strings.ContainsAny(id, " \t\r\n") {
		return fmt.Errorf("awskms: AWS KMS key identifier %q contains white space", short(id))
	}
	return nil
}

func checkASCII(s string) error {
	if len(s) > maxIdentifierLen {
		return fmt.Errorf("awskms: AWS KMS key identifier is %d bytes, more than %d", len(s), maxIdentifierLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("awskms: AWS KMS key identifier %q contains a character that is not printable ASCII", short(s))
		}
	}
	return nil
}

// parseKeyARN parses the provider info of an aws-kms encrypted data key,
// which must be a key (not alias) ARN.
func parseKeyARN(s string) (ARN, error) {
	a, err := ParseARN(s)
	if err != nil {
		return a, err
	}
	if a.ResourceType != "key" {
		return a, fmt.Errorf("awskms: ARN %q names an alias, not a key", short(s))
	}
	return a, nil
}

// short abbreviates s for an error message.
func short(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
