package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestResultFrame checks the driver results with and without "frame": a
// peer that reports a frame length is held to it (0 = non-framed included),
// one that leaves it out (the Rust SDK reports none) is not, and the
// verification of a peer message still compares the suite.
func TestResultFrame(t *testing.T) {
	for _, c := range []struct {
		json    string
		frame   int64
		differs bool
	}{
		{`{"ok":true,"suite":"0x0478","frame":4096,"ec":{}}`, 4096, false},
		{`{"ok":true,"suite":"0x0478","frame":4096,"ec":{}}`, 1, true},
		{`{"ok":true,"suite":"0x0478","frame":0,"ec":{}}`, 4096, true},
		{`{"ok":true,"suite":"0x0478","frame":0,"ec":{}}`, 0, false},
		{`{"ok":true,"suite":"0x0478","ec":{}}`, 4096, false},
		{`{"ok":true,"suite":"0x0478","ec":{}}`, 0, false},
	} {
		var r Result
		if err := json.Unmarshal([]byte(c.json), &r); err != nil {
			t.Fatal(err)
		}
		if got := r.frameDiffers(c.frame); got != c.differs {
			t.Errorf("%s: frameDiffers(%d) = %v, want %v", c.json, c.frame, got, c.differs)
		}
	}
	var r Result
	if err := json.Unmarshal([]byte(`{"ok":true,"suite":"0x0578","ec":{}}`), &r); err != nil {
		t.Fatal(err)
	}
	pr := &peerRun{peer: &Peer{Name: "rust"}}
	msg := pr.verifyPeerMessage(r, "/nonexistent", nil, 0x0478, 4096, nil, nil)
	if !strings.Contains(msg, "reports suite 0x0578 frame (not reported), want 0x0478 frame 4096") {
		t.Errorf("suite mismatch without a frame: %q", msg)
	}
}
