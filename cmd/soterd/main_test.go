package main

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// TestStopNodeSignals checks that a second signal arriving with the first
// does not force an unclean exit, that one arriving later does, and that a
// stop taking longer than the timeout gives up with exit code 1.
func TestStopNodeSignals(t *testing.T) {
	const gap = 200 * time.Millisecond
	tests := []struct {
		name     string
		stopTime time.Duration
		sendAt   []time.Duration
		timeout  time.Duration
		want     int
	}{
		{"clean stop", 10 * time.Millisecond, nil, time.Minute, 0},
		{"signal with the first", 400 * time.Millisecond, []time.Duration{0, 5 * time.Millisecond}, time.Minute, 0},
		{"signal after the gap", time.Minute, []time.Duration{gap + 100*time.Millisecond}, time.Minute, 1},
		{"timeout", time.Minute, nil, 300 * time.Millisecond, 1},
	}
	for _, test := range tests {
		interrupt := make(chan os.Signal, 2)
		release := make(chan struct{})
		stop := func() {
			select {
			case <-time.After(test.stopTime):
			case <-release:
			}
		}
		go func(sendAt []time.Duration) {
			start := time.Now()
			for _, at := range sendAt {
				time.Sleep(at - time.Since(start))
				interrupt <- syscall.SIGINT
			}
		}(test.sendAt)
		begin := time.Now()
		got := stopNode(stop, interrupt, test.timeout, gap)
		close(release)
		if got != test.want {
			t.Errorf("%s: exit code %d after %v, want %d", test.name, got, time.Since(begin), test.want)
		}
	}
}
