//go:build linux || darwin || freebsd || netbsd || openbsd

package logrotate

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHungDisk checks that a file that stops accepting bytes never blocks
// Write, and that Sync and Close give up after the timeout. A FIFO whose
// reader never reads stands in for a hung disk: writes block once the pipe
// buffer is full.
func TestHungDisk(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(name, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	reader, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	const timeout = 200 * time.Millisecond
	w, err := New(&Config{Filename: name, BufferSize: 1 << 20,
		Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}

	// 2 MiB is far more than a pipe holds and twice the buffer, so the
	// goroutine blocks and later writes are dropped.
	line := []byte(strings.Repeat("z", 1023) + "\n")
	start := time.Now()
	for i := 0; i < 2048; i++ {
		if n, err := w.Write(line); n != len(line) || err != nil {
			t.Fatalf("write %d: n %d, err %v", i, n, err)
		}
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("writes took %v", elapsed)
	}
	if w.Lost() == 0 {
		t.Errorf("lost: got 0, want some bytes dropped")
	}

	start = time.Now()
	if err := w.Sync(); !errors.Is(err, ErrTimeout) {
		t.Errorf("sync: got %v, want %v", err, ErrTimeout)
	}
	if err := w.Close(); !errors.Is(err, ErrTimeout) {
		t.Errorf("close: got %v, want %v", err, ErrTimeout)
	}
	if elapsed := time.Since(start); elapsed > 10*timeout {
		t.Errorf("sync and close took %v", elapsed)
	}

	// Once the disk recovers (the reader drains the pipe), the goroutine
	// writes what it holds and exits.
	go io.Copy(io.Discard, reader)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		t.Fatal("writer goroutine did not exit")
	}
}
