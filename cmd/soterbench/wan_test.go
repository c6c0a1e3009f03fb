package main

import (
	"testing"
	"time"
)

// TestLinkBound checks the link's lower bound: bytes at the links'
// combined bandwidth plus three round trips.
func TestLinkBound(t *testing.T) {
	tests := []struct {
		name  string
		bytes uint64
		opts  ibdOptions
		want  time.Duration
	}{
		{name: "no cap, no delay", bytes: 3e6, opts: ibdOptions{peers: 1}, want: 0},
		{name: "delay only", bytes: 3e6, opts: ibdOptions{peers: 1, delay: 150 * time.Millisecond},
			want: 900 * time.Millisecond},
		{name: "issue's far link", bytes: 3e6, opts: ibdOptions{peers: 1, delay: 150 * time.Millisecond, mbit: 100},
			want: 900*time.Millisecond + 240*time.Millisecond},
		{name: "four slow links", bytes: 15e6, opts: ibdOptions{peers: 4, delay: 50 * time.Millisecond, mbit: 2},
			want: 300*time.Millisecond + 15*time.Second},
	}
	for _, test := range tests {
		got := linkBound(test.bytes, &test.opts)
		if d := got - test.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
	}
}
