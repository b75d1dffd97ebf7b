package main

// Metadata lines: one JSON object per operation, with the fields, types and
// base64 conventions of the Python CLI (internal/metadata.py), written the
// way Python's json.dumps(sort_keys=True) writes them: keys sorted at every
// level, ", " and ": " separators, non-ASCII escaped as \uXXXX.

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/cmd/encrypt-cli/internal/pyjson"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/materials"
)

// pythonSuiteName is the Python ESDK's Algorithm member name for a suite,
// which the Python CLI's --algorithm accepts and its metadata writes: the
// ESDK name, without "_NO_KDF" for the identity-KDF suites.
func pythonSuiteName(id algorithms.ID) string {
	return strings.TrimSuffix(id.String(), "_NO_KDF")
}

// parseSuite accepts a Python Algorithm name, or anything else
// algorithms.ParseID accepts (the ESDK's canonical names, hex IDs).
func parseSuite(s string) (algorithms.ID, bool) {
	id, err := algorithms.ParseID(s)
	return id, err == nil
}

func b64(p []byte) string { return base64.StdEncoding.EncodeToString(p) }

// headerJSON is the Python CLI's json_ready_header.
func headerJSON(h *format.Header) pyjson.Object {
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
		"algorithm":           pythonSuiteName(h.Suite.ID),
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

// headerAuthJSON is the Python CLI's json_ready_header_auth. In message
// format 2 the IV is not stored; Python reports the suite's fixed IV (12
// zero bytes).
func headerAuthJSON(a format.HeaderAuth) pyjson.Object {
	return pyjson.Object{"iv": b64(a.AuthIV()), "tag": b64(a.Tag)}
}

// metadataSink writes metadata lines in operation order, whatever order
// the operations finish in. It opens its file on the first line, so a run
// that completes no operation leaves the file untouched (as Python does).
type metadataSink struct {
	mu        sync.Mutex
	path      string // "" for suppressed, "-" for stdout
	stdout    io.Writer
	overwrite bool
	w         io.Writer
	f         *os.File
	err       error
}

func (m *metadataSink) enabled() bool { return m.path != "" }

func (m *metadataSink) write(line []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if m.w == nil {
		if m.path == "-" {
			m.w = m.stdout
		} else {
			flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
			if m.overwrite {
				flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(m.path, flag, 0o666)
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

func (m *metadataSink) close() error {
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

// metadataLine renders one operation's record.
func metadataLine(o pyjson.Object) []byte {
	return append(pyjson.Marshal(o), '\n')
}
