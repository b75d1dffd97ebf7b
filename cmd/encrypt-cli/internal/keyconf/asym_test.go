package keyconf

import (
	"strings"
	"testing"
)

func TestParseAsymSpec(t *testing.T) {
	const arn = "arn:aws:kms:us-west-2:111122223333:key/k"
	for _, tc := range []struct {
		group   []string
		decrypt bool
		err     string // "" for success
	}{
		{[]string{"provider=raw-ecdh", "key-file=a.pem", "recipient-key-file=b.pem"}, false, ""},
		{[]string{"provider=raw-ecdh", "recipient-key-file=b.pem"}, false, ""},
		{[]string{"provider=raw-ecdh", "key-file=a.pem"}, false, "needs recipient-key-file=PUBLIC.pem to encrypt"},
		{[]string{"provider=raw-ecdh", "key-file=a.pem"}, true, ""},
		{[]string{"provider=raw-ecdh", "recipient-key-file=b.pem"}, true, "needs key-file=PRIVATE.pem to decrypt"},
		{[]string{"provider=raw-ecdh", "key-file=a.pem", "key-file=c.pem"}, true, "takes one key-file="},
		{[]string{"provider=raw-ecdh", "key-file=a.pem", "curve=p256"}, true, `unknown attribute "curve"`},
		{[]string{"provider=aws-kms-rsa", "key=" + arn, "algorithm=RSAES_OAEP_SHA_256", "public-key-file=p.pem"}, false, ""},
		{[]string{"provider=aws-kms-rsa", "key=" + arn, "algorithm=RSAES_OAEP_SHA_256"}, false, ""},
		{[]string{"provider=aws-kms-rsa", "key=" + arn, "algorithm=RSAES_OAEP_SHA_1", "grant_tokens=a", "grant_tokens=b"}, true, ""},
		{[]string{"provider=aws-kms-rsa", "key=" + arn, "algorithm=RSAES_PKCS1_V1_5"}, true, "unknown algorithm"},
		{[]string{"provider=aws-kms-rsa", "key=alias/x", "algorithm=RSAES_OAEP_SHA_1"}, true, "is not a key ARN"},
		{[]string{"provider=aws-kms-ecdh", "key=" + arn, "recipient-key-file=b.pem"}, false, ""},
		{[]string{"provider=aws-kms-ecdh", "key=" + arn, "discovery=true"}, true, ""},
		{[]string{"provider=aws-kms-ecdh", "key=" + arn, "discovery=true"}, false, "only decrypts"},
		{[]string{"provider=aws-kms-ecdh", "key=" + arn, "discovery=true", "recipient-key-file=b.pem"}, true, "takes no recipient-key-file"},
		{[]string{"provider=aws-kms-ecdh", "key=" + arn}, true, "needs recipient-key-file"},
		{[]string{"provider=aws-kms-ecdh", "recipient-key-file=b.pem"}, false, "needs key=ARN"},
	} {
		specs, _, err := ParseWrappingKeys([][]string{tc.group}, tc.decrypt)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%v (decrypt %v): %v", tc.group, tc.decrypt, err)
		case tc.err == "" && specs[0].asym == nil:
			t.Errorf("%v: no asymmetric spec", tc.group)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%v (decrypt %v): got %v, want %q", tc.group, tc.decrypt, err, tc.err)
		}
	}
	specs, _, err := ParseWrappingKeys([][]string{{"provider=aws-kms-rsa", "key=" + arn, "algorithm=RSAES_OAEP_SHA_1", "grant_tokens=a", "grant_tokens=b", "region=eu-west-1"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if a := specs[0].asym; len(a.grantTokens) != 2 || a.region != "eu-west-1" || !strings.Contains(specs[0].String(), arn) {
		t.Fatalf("%+v", a)
	}
}
