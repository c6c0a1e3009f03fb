package procnode

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// waitFor polls cond until it holds or a minute passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOutputWatcher feeds log output in pieces and checks the addresses, the
// readiness and the tail.
func TestOutputWatcher(t *testing.T) {
	const log = "2026-01-01 00:00:00.000 [INF] SOTD: soterd version 0.1.0\n" +
		"2026-01-01 00:00:00.001 [INF] SOTD: Listening for peers on [127.0.0.1:4001 [::1]:4001]\n" +
		"2026-01-01 00:00:00.002 [INF] RPCS: RPC server listening on 127.0.0.1:9\n" +
		"2026-01-01 00:00:00.003 [INF] SOTD: RPC server listening on [127.0.0.1:4002]\n" +
		"partial"
	tests := []struct {
		name  string
		chunk int
	}{
		{"whole", len(log)},
		{"bytes", 1},
		{"sevens", 7},
	}
	for _, test := range tests {
		var file bytes.Buffer
		w := newOutputWatcher(&file)
		for i := 0; i < len(log); i += test.chunk {
			end := min(i+test.chunk, len(log))
			if n, err := w.Write([]byte(log[i:end])); n != end-i || err != nil {
				t.Fatalf("%s: write: got %d, %v", test.name, n, err)
			}
		}
		select {
		case <-w.ready:
		default:
			t.Errorf("%s: not ready", test.name)
		}
		p2p, rpc := w.addrs()
		if p2p != "127.0.0.1:4001" || rpc != "127.0.0.1:4002" {
			t.Errorf("%s: got %s %s, want 127.0.0.1:4001 127.0.0.1:4002", test.name, p2p, rpc)
		}
		if file.String() != log {
			t.Errorf("%s: the log file did not get every byte", test.name)
		}
		tail := w.lastLines(2)
		if !strings.HasSuffix(tail, "[127.0.0.1:4002]\npartial") {
			t.Errorf("%s: tail %q", test.name, tail)
		}
	}
}

// TestOutputWatcherBounds checks that a line without an end does not grow
// memory and that the tail keeps the last lines only.
func TestOutputWatcherBounds(t *testing.T) {
	var file bytes.Buffer
	w := newOutputWatcher(&file)
	big := bytes.Repeat([]byte("x"), 4096)
	for i := 0; i < 100; i++ {
		w.Write(big)
	}
	if len(w.partial) > maxLineLen {
		t.Fatalf("partial line grew to %d bytes, bound %d", len(w.partial), maxLineLen)
	}
	w.Write([]byte("\n"))
	for i := 0; i < 3*tailLines; i++ {
		w.Write([]byte("line\n"))
	}
	if len(w.tail) != tailLines {
		t.Fatalf("tail holds %d lines, want %d", len(w.tail), tailLines)
	}
}

// TestParseVmHWM covers valid and malformed status files.
func TestParseVmHWM(t *testing.T) {
	tests := []struct {
		name string
		data string
		want uint64
		err  error
	}{
		{"valid", "Name:\tsoterd\nVmPeak:\t  9 kB\nVmHWM:\t   123 kB\nVmRSS:\t 100 kB\n", 123 * 1024, nil},
		{"missing", "Name:\tsoterd\n", 0, ErrProc},
		{"no unit", "VmHWM:\t123\n", 0, ErrProc},
		{"not a number", "VmHWM:\tmany kB\n", 0, ErrProc},
		{"huge", "VmHWM:\t99999999999999999 kB\n", 0, ErrProc},
	}
	for _, test := range tests {
		got, err := parseVmHWM([]byte(test.data))
		if got != test.want || !errors.Is(err, test.err) && (err != nil || test.err != nil) {
			t.Errorf("%s: got %d, %v; want %d, %v", test.name, got, err, test.want, test.err)
		}
	}
}

// FuzzOutputWatcher checks that no output makes the watcher panic or keep
// more than its bounds.
func FuzzOutputWatcher(f *testing.F) {
	f.Add([]byte("x SOTD: RPC server listening on [127.0.0.1:1]\n"))
	f.Add([]byte("SOTD: Listening for peers on [\nSOTD: Listening for peers on []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var file bytes.Buffer
		w := newOutputWatcher(&file)
		w.Write(data)
		w.Write(data)
		if len(w.partial) > maxLineLen || len(w.tail) > tailLines {
			t.Fatalf("bounds exceeded: partial %d tail %d", len(w.partial), len(w.tail))
		}
		w.addrs()
		w.lastLines(10)
	})
}

// FuzzParseVmHWM checks that no status file makes the parser panic.
func FuzzParseVmHWM(f *testing.F) {
	f.Add([]byte("VmHWM:\t   123 kB\n"))
	f.Add([]byte("VmHWM:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseVmHWM(data)
	})
}
