package main

// encrypt-cli inspect FILE: what a message says about itself, read from
// its header only, without any key.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/materials"
)

const inspectUsage = `usage: encrypt-cli inspect [--decode] [--max-encrypted-data-keys N] FILE

Prints what the message in FILE (or - for stdin) says about itself, as JSON:
its algorithm suite, encryption context, the wrapping keys of its encrypted
data keys, and its framing. Only the header is read; no key is needed and
nothing is decrypted.
`

func runInspect(_ context.Context, args []string, stdin io.Reader, stdout io.Writer, u *ui) int {
	var path string
	decode := false
	maxEDKs := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "--help":
			io.WriteString(stdout, inspectUsage)
			return exitOK
		case a == "--decode":
			decode = true
		case a == "--max-encrypted-data-keys" || strings.HasPrefix(a, "--max-encrypted-data-keys="):
			v, ok := strings.CutPrefix(a, "--max-encrypted-data-keys=")
			if !ok {
				if i+1 >= len(args) {
					return u.fail(&usageError{msg: "argument --max-encrypted-data-keys: expected one argument", hint: strings.TrimSpace(strings.SplitN(inspectUsage, "\n", 2)[0])})
				}
				i++
				v = args[i]
			}
			n, err := parsePyInt(v)
			if err != nil || n < 1 || n > 0xffff {
				return u.fail(usagef("--max-encrypted-data-keys must be between 1 and 65535, not %s", v))
			}
			maxEDKs = int(n)
		case a == "-" || !strings.HasPrefix(a, "-"):
			if path != "" {
				return u.fail(&usageError{msg: "inspect takes one file", hint: strings.TrimSpace(strings.SplitN(inspectUsage, "\n", 2)[0])})
			}
			path = a
		default:
			return u.fail(&usageError{msg: "inspect: unknown option " + a, hint: strings.TrimSpace(strings.SplitN(inspectUsage, "\n", 2)[0])})
		}
	}
	if path == "" {
		return u.fail(&usageError{msg: "inspect needs a file (or - for stdin)", hint: strings.TrimSpace(strings.SplitN(inspectUsage, "\n", 2)[0])})
	}
	var src io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return u.fail(fmt.Errorf("%s: %v", path, unwrapPathError(err)))
		}
		defer f.Close()
		src = f
	}
	if decode {
		src = base64.NewDecoder(base64.StdEncoding, &spaceFilter{r: src})
	}
	mr := format.NewReader(src, format.Limits{MaxEncryptedDataKeys: maxEDKs})
	hdr, raw, err := mr.ReadHeader()
	if err != nil {
		return u.fail(fmt.Errorf("%s: %w", displayPath(path, "<stdin>"), err))
	}
	out := inspectJSON(hdr)
	if auth, err := mr.ReadHeaderAuth(); err == nil {
		out["header_auth"] = headerAuthJSON(auth)
		out["header_length"] = int64(mr.Offset())
	} else {
		out["header_length"] = int64(len(raw))
	}
	b := appendPyJSON(nil, out, 2, 0)
	b = append(b, '\n')
	if _, err := stdout.Write(b); err != nil {
		return u.fail(err)
	}
	return exitOK
}

// inspectJSON describes a header for people and scripts.
func inspectJSON(h *format.Header) jsonObject {
	var edks []any
	for _, k := range h.EncryptedDataKeys {
		e := jsonObject{
			"provider_id":       k.ProviderID,
			"key_info_base64":   b64(k.ProviderInfo),
			"key_info":          nil,
			"ciphertext_length": len(k.Ciphertext),
		}
		if printable(k.ProviderInfo) {
			e["key_info"] = string(k.ProviderInfo)
		}
		if name, ok := rawAESKeyName(k); ok {
			e["key_name"] = name
		} else if k.ProviderID != "aws-kms" && printable(k.ProviderInfo) {
			e["key_name"] = string(k.ProviderInfo) // raw RSA: the key name
		}
		edks = append(edks, e)
	}
	if edks == nil {
		edks = []any{}
	}
	ec := h.EncryptionContext
	if ec == nil {
		ec = materials.EncryptionContext{}
	}
	content := "framed"
	if h.ContentType == format.NonFramed {
		content = "non-framed"
	}
	o := jsonObject{
		"version":             int(h.Version),
		"algorithm":           pythonSuiteName(h.Suite.ID()),
		"algorithm_id":        fmt.Sprintf("0x%04x", uint16(h.Suite.ID())),
		"committing":          h.Suite.Committing(),
		"signed":              h.Suite.Signed(),
		"message_id":          b64(h.MessageID),
		"encryption_context":  ec,
		"encrypted_data_keys": edks,
		"content_type":        content,
		"frame_length":        h.FrameLength,
		"commitment_key":      nil,
	}
	if len(h.SuiteData) > 0 {
		o["commitment_key"] = b64(h.SuiteData)
	}
	return o
}

func printable(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// rawAESKeyName recognises the provider info of the raw AES keyring:
// name || u32 128 || u32 12 || 12-byte IV.
func rawAESKeyName(k materials.EncryptedDataKey) (string, bool) {
	info := k.ProviderInfo
	n := len(info) - 20
	if n <= 0 || k.ProviderID == "aws-kms" {
		return "", false
	}
	if binary.BigEndian.Uint32(info[n:]) != 128 || binary.BigEndian.Uint32(info[n+4:]) != 12 {
		return "", false
	}
	name := info[:n]
	if !printable(name) || bytes.ContainsRune(name, 0) {
		return "", false
	}
	return string(name), true
}
