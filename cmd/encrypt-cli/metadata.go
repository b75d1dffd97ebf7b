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
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-esdk/esdk/algorithms"
	"github.com/go-esdk/esdk/format"
	"github.com/go-esdk/esdk/materials"
)

// jsonObject is a JSON object; its keys are written sorted.
type jsonObject map[string]any

// appendPyJSON appends v as Python's json.dumps(v, sort_keys=True) would
// write it; with indent > 0, as json.dumps(v, sort_keys=True, indent=indent).
// v is built from nil, bool, int, int64, uint32, string, []any, []string,
// jsonObject and map[string]string.
func appendPyJSON(b []byte, v any, indent, depth int) []byte {
	newline := func(b []byte, d int) []byte {
		if indent <= 0 {
			return b
		}
		b = append(b, '\n')
		return append(b, bytes.Repeat([]byte(" "), indent*d)...)
	}
	itemSep := ", "
	if indent > 0 {
		itemSep = ","
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case string:
		return appendPyString(b, v)
	case []string:
		items := make([]any, len(v))
		for i, s := range v {
			items[i] = s
		}
		return appendPyJSON(b, items, indent, depth)
	case map[string]string:
		obj := make(jsonObject, len(v))
		for k, s := range v {
			obj[k] = s
		}
		return appendPyJSON(b, obj, indent, depth)
	case materials.EncryptionContext:
		return appendPyJSON(b, map[string]string(v), indent, depth)
	case []any:
		if len(v) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i, item := range v {
			if i > 0 {
				b = append(b, itemSep...)
			}
			b = newline(b, depth+1)
			b = appendPyJSON(b, item, indent, depth+1)
		}
		b = newline(b, depth)
		return append(b, ']')
	case jsonObject:
		if len(v) == 0 {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				b = append(b, itemSep...)
			}
			b = newline(b, depth+1)
			b = appendPyString(b, k)
			b = append(b, ": "...)
			b = appendPyJSON(b, v[k], indent, depth+1)
		}
		b = newline(b, depth)
		return append(b, '}')
	}
	panic(fmt.Sprintf("appendPyJSON: unexpected %T", v))
}

// appendPyString writes s as a JSON string with ensure_ascii. Bytes that
// are not UTF-8 are written as the lone surrogates Python's
// surrogateescape gives them (\udcXX), as Python does for such file names.
func appendPyString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	u := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = u(b, 0xdc00|rune(s[i]))
			i++
			continue
		}
		i += size
		switch {
		case r == '"':
			b = append(b, `\"`...)
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\b':
			b = append(b, `\b`...)
		case r == '\f':
			b = append(b, `\f`...)
		case r < 0x20 || r > 0x7e && r < 0x10000:
			b = u(b, r)
		case r >= 0x10000:
			r1, r2 := utf16.EncodeRune(r)
			b = u(u(b, r1), r2)
		default:
			b = append(b, byte(r))
		}
	}
	return append(b, '"')
}

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
func headerJSON(h *format.Header) jsonObject {
	edks := slices.Clone(h.EncryptedDataKeys)
	slices.SortStableFunc(edks, func(a, b materials.EncryptedDataKey) int {
		return bytes.Compare(append([]byte(a.ProviderID), a.ProviderInfo...), append([]byte(b.ProviderID), b.ProviderInfo...))
	})
	var list []any
	for _, k := range edks {
		list = append(list, jsonObject{
			"key_provider":       jsonObject{"provider_id": b64([]byte(k.ProviderID)), "key_info": b64(k.ProviderInfo)},
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
	o := jsonObject{
		"version":             fmt.Sprintf("%d.0", h.Version),
		"type":                nil,
		"algorithm":           pythonSuiteName(h.Suite.ID()),
		"message_id":          b64(h.MessageID),
		"encryption_context":  ec,
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
func headerAuthJSON(a format.HeaderAuth) jsonObject {
	return jsonObject{"iv": b64(a.AuthIV()), "tag": b64(a.Tag)}
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
func metadataLine(o jsonObject) []byte {
	return append(appendPyJSON(nil, o, 0, 0), '\n')
}
