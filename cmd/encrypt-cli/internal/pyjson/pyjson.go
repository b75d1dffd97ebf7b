// Package pyjson writes JSON byte for byte as Python's json.dumps with
// sort_keys=True (and ensure_ascii, the default) writes it: the form of the
// Python aws-encryption-cli's metadata lines.
package pyjson

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Object is a JSON object; its keys are written sorted.
type Object map[string]any

// Marshal returns v as Python's json.dumps(v, sort_keys=True) writes it:
// keys sorted at every level, ", " and ": " separators, non-ASCII escaped
// as \uXXXX (ensure_ascii). v is built from nil, bool, int, int64, uint32,
// string, []any, []string, Object and map[string]string; Marshal panics on
// anything else (a bug in the caller, never input).
func Marshal(v any) []byte { return appendValue(nil, v, 0, 0) }

// MarshalIndent is json.dumps(v, sort_keys=True, indent=indent): items on
// their own lines, "," between them, ": " after keys.
func MarshalIndent(v any, indent int) []byte { return appendValue(nil, v, indent, 0) }

func appendValue(b []byte, v any, indent, depth int) []byte {
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
		return appendString(b, v)
	case []string:
		items := make([]any, len(v))
		for i, s := range v {
			items[i] = s
		}
		return appendValue(b, items, indent, depth)
	case map[string]string:
		obj := make(Object, len(v))
		for k, s := range v {
			obj[k] = s
		}
		return appendValue(b, obj, indent, depth)
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
			b = appendValue(b, item, indent, depth+1)
		}
		b = newline(b, depth)
		return append(b, ']')
	case Object:
		if len(v) == 0 {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, itemSep...)
			}
			b = newline(b, depth+1)
			b = appendString(b, k)
			b = append(b, ": "...)
			b = appendValue(b, v[k], indent, depth+1)
		}
		b = newline(b, depth)
		return append(b, '}')
	}
	panic(fmt.Sprintf("appendPyJSON: unexpected %T", v))
}

// appendString writes s as a JSON string with ensure_ascii. Bytes that
// are not UTF-8 are written as the lone surrogates Python's
// surrogateescape gives them (\udcXX), as Python does for such file names.
func appendString(b []byte, s string) []byte {
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
