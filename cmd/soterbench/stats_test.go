package main

import (
	"testing"
	"time"
)

// TestPercentile checks the nearest-rank percentiles.
func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		ds := make([]time.Duration, len(vs))
		for i, v := range vs {
			ds[i] = time.Duration(v) * time.Millisecond
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{name: "empty", ds: nil, p: 50, want: 0},
		{name: "one", ds: ms(7), p: 99, want: 7 * time.Millisecond},
		{name: "median odd", ds: ms(3, 1, 2), p: 50, want: 2 * time.Millisecond},
		{name: "median even takes the lower", ds: ms(4, 1, 3, 2), p: 50, want: 2 * time.Millisecond},
		{name: "p99 of 100", ds: ms(hundred...), p: 99, want: 99 * time.Millisecond},
		{name: "p100", ds: ms(hundred...), p: 100, want: 100 * time.Millisecond},
		{name: "p0 is the least", ds: ms(5, 9), p: 0, want: 5 * time.Millisecond},
		{name: "negative delays sort first", ds: ms(-1, 2, 3), p: 50, want: 2 * time.Millisecond},
	}
	for _, test := range tests {
		if got := percentile(test.ds, test.p); got != test.want {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
	}
}

// TestProfileURL checks the pprof URLs of --profile values.
func TestProfileURL(t *testing.T) {
	tests := []struct {
		profile, want string
	}{
		{profile: "6060", want: "http://127.0.0.1:6060/debug/pprof/heap"},
		{profile: "127.0.0.1:6061", want: "http://127.0.0.1:6061/debug/pprof/heap"},
	}
	for _, test := range tests {
		if got := profileURL(test.profile, "heap"); got != test.want {
			t.Errorf("%s: got %s, want %s", test.profile, got, test.want)
		}
	}
}
