package metadata

// Package metadata writes encrypt-cli's metadata lines: one JSON object
// per operation, with the fields, types and base64 conventions of the
// Python aws-encryption-cli (internal/metadata.py), written as its
// json.dumps(sort_keys=True) writes them (package pyjson). It also
// describes a header for "encrypt-cli inspect".

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/pyjson"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/materials"
)

// SuiteName is the Python ESDK's Algorithm member name for a suite,
// which the Python CLI's --algorithm accepts and its metadata writes: the
// ESDK name, without "_NO_KDF" for the identity-KDF suites.
func SuiteName(id algorithms.ID) string {
	return strings.TrimSuffix(id.String(), "_NO_KDF")
}

// ParseSuite accepts a Python Algorithm name, or anything else
// algorithms.ParseID accepts (the ESDK's canonical names, hex IDs).
func ParseSuite(s string) (algorithms.ID, bool) {
	id, err := algorithms.ParseID(s)
	return id, err == nil
}

func b64(p []byte) string { return base64.StdEncoding.EncodeToString(p) }

// Header is the Python CLI's json_ready_header.
func Header(h *format.Header) pyjson.Object {
	edks := slices.Clone(h.EncryptedDataKeys)
	slices.SortStableFunc(edks, func(a, b materials.EncryptedDataKey) int {
		return bytes.Compare(append([]byte(a.ProviderID), a.ProviderInfo...), append([]byte(b.ProviderID), b.ProviderInfo...))
	})
	var list []any
	for _, k := range edks {
		list = append(list, pyjson.Object{
			"key_provider":       pyjson.Object{"provider_id": b64([]byte(k.ProviderID)), "key_info": b64(k.ProviderInfo)},
			"encrypted_data_key": b64(k.Ciphertext),
		})
	}
	if list == nil {
		list = []any{}
	}
	ec := h.EncryptionContext
	if ec == nil {
		ec = materials.EncryptionContext{}
	}
	o := pyjson.Object{
		"version":             fmt.Sprintf("%d.0", h.Version),
		"type":                nil,
		"algorithm":           SuiteName(h.Suite.ID()),
		"message_id":          b64(h.MessageID),
		"encryption_context":  map[string]string(ec),
		"encrypted_data_keys": list,
		"content_type":        int(h.ContentType),
		"header_iv_length":    nil,
		"frame_length":        h.FrameLength,
		"commitment_key":      nil,
	}
	if h.Version == 1 {
		o["type"] = 128
		o["header_iv_length"] = algorithms.IVLen
	}
	if len(h.SuiteData) > 0 {
		o["commitment_key"] = b64(h.SuiteData)
	}
	return o
}

// HeaderAuth is the Python CLI's json_ready_header_auth. In message
// format 2 the IV is not stored; Python reports the suite's fixed IV (12
// zero bytes).
func HeaderAuth(a format.HeaderAuth) pyjson.Object {
	return pyjson.Object{"iv": b64(a.AuthIV()), "tag": b64(a.Tag)}
}

// Sink writes metadata lines in operation order, whatever order
// the operations finish in. It opens its file on the first line, so a run
// that completes no operation leaves the file untouched (as Python does).
type Sink struct {
	Path      string // "" for suppressed, "-" for stdout
	Stdout    io.Writer
	Overwrite bool // truncate the file (--overwrite-metadata) rather than append

	mu  sync.Mutex
	w   io.Writer
	f   *os.File
	err error
}

// Enabled reports whether lines are written.
func (m *Sink) Enabled() bool { return m.Path != "" }

// Write writes one line; the file is opened on the first.
func (m *Sink) Write(line []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if m.w == nil {
		if m.Path == "-" {
			m.w = m.Stdout
		} else {
			flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
			if m.Overwrite {
				flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(m.Path, flag, 0o666)
			if err != nil {
				m.err = fmt.Errorf("metadata output: %w", err)
				return m.err
			}
			m.f, m.w = f, f
		}
	}
	if _, err := m.w.Write(line); err != nil {
		m.err = fmt.Errorf("metadata output: %w", err)
	}
	return m.err
}

// Close closes the file, and returns the first error of any write.
func (m *Sink) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.f != nil {
		if err := m.f.Close(); err != nil && m.err == nil {
			m.err = fmt.Errorf("metadata output: %w", err)
		}
		m.f = nil
	}
	return m.err
}

// Line renders one operation's record as a line.
func Line(o pyjson.Object) []byte {
	return append(pyjson.Marshal(o), '\n')
}

// Inspect describes a header for people and scripts (encrypt-cli inspect).
func Inspect(h *format.Header) pyjson.Object {
	var edks []any
	for _, k := range h.EncryptedDataKeys {
		e := pyjson.Object{
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
	o := pyjson.Object{
		"version":             int(h.Version),
		"algorithm":           SuiteName(h.Suite.ID()),
		"algorithm_id":        fmt.Sprintf("0x%04x", uint16(h.Suite.ID())),
		"committing":          h.Suite.Committing(),
		"signed":              h.Suite.Signed(),
		"message_id":          b64(h.MessageID),
		"encryption_context":  map[string]string(ec),
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
