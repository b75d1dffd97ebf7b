package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/go-esdk/esdk/kmstest"
)

func TestRun(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run([]string{
			"us-west-2=../../awskms/testdata/us-west-2.yaml",
			"us-east-1",
			"us-west-2/444455556666=../../awskms/testdata/us-west-2-444455556666.yaml",
		}, inR, outW)
		outW.Close()
	}()
	sc := bufio.NewScanner(outR)
	urls := map[string]string{}
	var regions []string
	for range 2 {
		if !sc.Scan() {
			t.Fatalf("output ended: %v", <-errc)
		}
		region, url, ok := strings.Cut(sc.Text(), " ")
		if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("output line %q", sc.Text())
		}
		urls[region] = url
		regions = append(regions, region)
	}
	if strings.Join(regions, ",") != "us-west-2,us-east-1" {
		t.Fatalf("regions %v", regions)
	}
	cfg := kmstest.AWSConfig()
	cfg.Region = "us-west-2"
	c := kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(urls["us-west-2"]) })
	// Both seeds of us-west-2 are loaded into one server.
	for _, key := range []string{
		"arn:aws:kms:us-west-2:111122223333:key/2b7c1f5e-3f0a-4c4e-9a51-1d2e3f4a5b6c",
		"arn:aws:kms:us-west-2:444455556666:key/5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
	} {
		if _, err := c.Encrypt(context.Background(), &kms.EncryptInput{KeyId: aws.String(key), Plaintext: []byte("x")}); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	inW.Close()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return when its input ended")
	}
	if _, err := c.Encrypt(context.Background(), &kms.EncryptInput{KeyId: aws.String("alias/esdk-test"), Plaintext: []byte("x")}); err == nil {
		t.Fatal("server still answers after its input ended")
	}
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{""},
		{"=seed.yaml"},
		{"us-west-2="},
		{"us-west-2/4444=x.yaml"},
		{"us-west-2/444455556666"},
		{"us-west-2=does-not-exist.yaml"},
	} {
		if err := run(args, strings.NewReader(""), io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
