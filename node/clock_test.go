package node

import (
	"testing"
	"time"
)

// TestClockCheck feeds offsets to the clock check and ensures it blames our
// clock only when several sources agree beyond the allowed drift, and
// re-arms once they agree with us again.
func TestClockCheck(t *testing.T) {
	const drift = 2 * time.Minute
	tests := []struct {
		name    string
		offsets []time.Duration
		warned  bool
	}{
		{"no samples", nil, false},
		{"two lagging peers are not several", []time.Duration{10 * time.Minute, 10 * time.Minute}, false},
		{"three lagging peers", []time.Duration{10 * time.Minute, 9 * time.Minute, 11 * time.Minute}, true},
		{"three fast peers", []time.Duration{-10 * time.Minute, -9 * time.Minute, -11 * time.Minute}, true},
		{"within the drift", []time.Duration{time.Minute, -time.Minute, 90 * time.Second, 0}, false},
		{"one wrong peer among honest ones", []time.Duration{0, time.Second, time.Hour, -time.Second}, false},
		{"fixed again", []time.Duration{time.Hour, time.Hour, time.Hour, 0, 0, 0, 0}, false},
	}
	for _, test := range tests {
		c := newClockCheck(drift)
		for _, off := range test.offsets {
			c.add("peer", off)
		}
		if c.warned != test.warned {
			t.Errorf("%s: warned %v, want %v", test.name, c.warned, test.warned)
		}
	}
}
