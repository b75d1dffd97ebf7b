package clierr

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestError(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		msg, hint string
		usage     bool
	}{
		{"usagef", Usagef("bad %s", "flag"), "bad flag", "", true},
		{"usage", Usage("bad", "try this"), "bad", "try this", true},
		{"with hint", WithHint(fs.ErrNotExist, "create it"), "file does not exist", "create it", false},
		{"wrapped", fmt.Errorf("x: %w", WithHint(errors.New("inner"), "h")), "x: inner", "h", false},
		{"as usage keeps the hint", AsUsage(WithHint(errors.New("e"), "h")), "e", "h", true},
		{"as usage of a plain error", AsUsage(errors.New("plain")), "plain", "", true},
		{"plain", errors.New("plain"), "plain", "", false},
	} {
		if tc.err.Error() != tc.msg || Hint(tc.err) != tc.hint || IsUsage(tc.err) != tc.usage {
			t.Errorf("%s: %q %q %v; want %q %q %v", tc.name, tc.err.Error(), Hint(tc.err), IsUsage(tc.err), tc.msg, tc.hint, tc.usage)
		}
	}
	if !errors.Is(WithHint(fs.ErrNotExist, "h"), fs.ErrNotExist) {
		t.Error("WithHint does not unwrap")
	}
}
