package rpcserver

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRefusalLogSummarises checks that a burst of refusals takes one line
// at once and one summary line per interval with the right counts, and
// that a quiet interval makes the next refusal log at once again.
func TestRefusalLogSummarises(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	logf := func(f string, a ...interface{}) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, fmt.Sprintf(f, a...))
	}
	get := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), lines...)
	}
	const interval = 100 * time.Millisecond
	r := newRefusalLog(interval, logf)
	for i := 0; i < 1000; i++ {
		r.refuse(refusedClientLimit, fmt.Sprintf("127.0.0.1:%d", 1000+i), "")
	}
	r.refuse(refusedTooLarge, "127.0.0.2:5", "")
	if got := get(); len(got) != 1 || !strings.Contains(got[0], "127.0.0.1:1000") {
		t.Fatalf("after the burst got %q, want one line naming the first client", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(get()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := get()
	if len(got) != 2 {
		t.Fatalf("got %d lines, want 2: %q", len(got), got)
	}
	want := "Refused 1000 more RPC requests"
	if !strings.Contains(got[1], want) || !strings.Contains(got[1], "999 "+refusedClientLimit) ||
		!strings.Contains(got[1], "1 "+refusedTooLarge) || !strings.Contains(got[1], "127.0.0.2") {
		t.Errorf("summary %q, want %q with 999 client limit and 1 too large", got[1], want)
	}
	// Two quiet intervals: the next refusal is logged at once.
	time.Sleep(3 * interval)
	r.refuse(refusedAuth, "127.0.0.3:7", " (websocket)")
	if got := get(); len(got) != 3 || !strings.Contains(got[2], "127.0.0.3:7") {
		t.Errorf("after a quiet period got %q, want a third line at once", got)
	}
	r.refuse(refusedAuth, "127.0.0.3:8", "")
	r.stop()
	if got := get(); len(got) != 4 || !strings.Contains(got[3], "Refused 1 more") {
		t.Errorf("stop did not flush the pending refusal: %q", got)
	}
	r.refuse(refusedAuth, "127.0.0.3:9", "")
	r.stop()
	if got := get(); len(got) != 4 {
		t.Errorf("refusal after stop logged: %q", got)
	}
}
