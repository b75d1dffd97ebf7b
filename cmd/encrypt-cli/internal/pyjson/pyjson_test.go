package pyjson

import "testing"

// Each want is what Python 3.11's json.dumps(v, sort_keys=True) writes.
func TestMarshal(t *testing.T) {
	for _, tc := range []struct {
		python string
		v      any
		want   string
	}{
		{"None, True, ints", []any{nil, true, false, 1, int64(-2), uint32(3)}, `[null, true, false, 1, -2, 3]`},
		{"empty containers", Object{"a": Object{}, "l": []any{}}, `{"a": {}, "l": []}`},
		{"keys sorted at every level", Object{"b": Object{"z": 1, "y": 2}, "a": map[string]string{"d": "1", "c": "2"}}, `{"a": {"c": "2", "d": "1"}, "b": {"y": 2, "z": 1}}`},
		{"short escapes", "\"\\\n\r\t\b\f", `"\"\\\n\r\t\b\f"`},
		{"control characters and DEL", "\x01\x1f\x7f", `"\u0001\u001f\u007f"`},
		{"ensure_ascii: BMP", "é€", `"\u00e9\u20ac"`},
		{"ensure_ascii: surrogate pairs", "😀", `"\ud83d\ude00"`},
		{"surrogateescape of a byte that is not UTF-8", "a\xffb", `"a\udcffb"`},
		{"[]string", []string{"x", "y"}, `["x", "y"]`},
	} {
		if got := string(Marshal(tc.v)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.python, got, tc.want)
		}
	}
}

// json.dumps(v, sort_keys=True, indent=2).
func TestMarshalIndent(t *testing.T) {
	got := string(MarshalIndent(Object{"a": []any{1}, "b": Object{"c": "d"}, "e": []any{}}, 2))
	want := "{\n  \"a\": [\n    1\n  ],\n  \"b\": {\n    \"c\": \"d\"\n  },\n  \"e\": []\n}"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestMarshalPanicsOnUnknownTypes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a float")
		}
	}()
	Marshal(1.5)
}
