package progress

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestBar(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	mu.Lock()
	p := Start(&out, &mu, "tool", 2048, time.Millisecond)
	mu.Unlock()
	io.Copy(io.Discard, p.Reader(strings.NewReader(strings.Repeat("x", 1024))))
	time.Sleep(20 * time.Millisecond)
	p.Finish()
	mu.Lock()
	s := out.String()
	mu.Unlock()
	if !strings.Contains(s, "tool: [...............") || !strings.Contains(s, " 50% 1.0 KiB / 2.0 KiB") || !strings.HasSuffix(s, "\r\x1b[K") {
		t.Fatalf("bar output: %q", s)
	}
	n := out.Len()
	mu.Lock()
	p.Clear() // after Finish: nothing to erase
	mu.Unlock()
	if out.Len() != n {
		t.Fatal("Clear wrote after Finish")
	}
	var nilBar *Bar
	nilBar.Clear()
	nilBar.Finish()
}
