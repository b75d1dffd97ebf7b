package cli

// Commands for the transcripts of the asymmetric providers: elliptic-curve
// key pairs, and a test KMS (package kmstest) that the CLI reaches through
// the usual AWS environment variables.

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-esdk/esdk/kmstest"
	"github.com/rogpeppe/go-internal/testscript"
)

var ecdhCurves = map[string]ecdh.Curve{"p256": ecdh.P256(), "p384": ecdh.P384(), "p521": ecdh.P521()}

// writeECDHPair writes k as PEM: PKCS #8 (if priv is not empty) and PKIX.
func writeECDHPair(ts *testscript.TestScript, k *ecdh.PrivateKey, priv, pub string) {
	if priv != "" {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(priv), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	}
	der, err := x509.MarshalPKIXPublicKey(k.PublicKey())
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(pub), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644))
}

// eckey CURVE PRIVATE PUBLIC writes a new key pair on p256, p384 or p521
// as PEM (PKCS #8 and PKIX).
func cmdECKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 || ecdhCurves[args[0]] == nil {
		ts.Fatalf("usage: eckey p256|p384|p521 private.pem public.pem")
	}
	k, err := ecdhCurves[args[0]].GenerateKey(rand.Reader)
	ts.Check(err)
	writeECDHPair(ts, k, args[1], args[2])
}

// kmsHolder holds the script's test KMS (region us-west-2), started by
// "kms start"; Setup puts one in each script's values.
type kmsHolder struct{ srv *kmstest.Server }

const kmsServerKey = "kmsServer"

// kms start: starts a test KMS for the script and points the AWS SDK's
// environment at it (static credentials, region us-west-2, endpoint).
//
// kms ecdhkey VAR CURVE [PRIVATE] PUBLIC: imports a new key-agreement key
// pair; sets $VAR to its ARN and writes its public key (and, if named, its
// private key, to compare with the raw keyring) as PEM.
//
// kms rsakey VAR PUBLIC: creates an RSA_2048 ENCRYPT_DECRYPT key; sets
// $VAR to its ARN and writes its public key as PEM.
//
// kms count OP N: the server received N requests for operation OP since
// it started or since "kms reset".
func cmdKMS(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: kms start | ecdhkey VAR CURVE [PRIVATE] PUBLIC | rsakey VAR PUBLIC | count OP N | reset")
	}
	h, _ := ts.Value(kmsServerKey).(*kmsHolder)
	if h == nil {
		ts.Fatalf("kms: no server holder in the script's values")
	}
	srv := h.srv
	if args[0] != "start" && srv == nil {
		ts.Fatalf("kms %s: no server (kms start first)", args[0])
	}
	ctx := context.Background()
	switch args[0] {
	case "start":
		s, err := kmstest.NewServer("us-west-2", "")
		ts.Check(err)
		ts.Defer(s.Close)
		h.srv = s
		for k, v := range map[string]string{
			"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "SECRETTEST", "AWS_REGION": "us-west-2",
			"AWS_ENDPOINT_URL_KMS": s.URL, "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
		} {
			ts.Setenv(k, v)
		}
	case "ecdhkey":
		if len(args) != 4 && len(args) != 5 || ecdhCurves[args[2]] == nil {
			ts.Fatalf("usage: kms ecdhkey VAR p256|p384|p521 [private.pem] public.pem")
		}
		k, err := ecdhCurves[args[2]].GenerateKey(rand.Reader)
		ts.Check(err)
		arn, err := srv.AddECDHKey("ecdh-"+args[1], k)
		ts.Check(err)
		ts.Setenv(args[1], arn)
		priv := ""
		if len(args) == 5 {
			priv = args[3]
		}
		writeECDHPair(ts, k, priv, args[len(args)-1])
	case "rsakey":
		if len(args) != 3 {
			ts.Fatalf("usage: kms rsakey VAR public.pem")
		}
		c := srv.Client()
		out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
		ts.Check(err)
		arn := aws.ToString(out.KeyMetadata.Arn)
		pub, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(arn)})
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub.PublicKey}), 0o644))
		ts.Setenv(args[1], arn)
	case "count":
		if len(args) != 3 {
			ts.Fatalf("usage: kms count OP N")
		}
		want, err := strconv.Atoi(args[2])
		ts.Check(err)
		if got := srv.Count(args[1], ""); got != want {
			ts.Fatalf("%d %s requests, want %s", got, args[1], args[2])
		}
	case "reset":
		srv.ResetCalls()
	default:
		ts.Fatalf("kms: unknown subcommand %q", args[0])
	}
}
