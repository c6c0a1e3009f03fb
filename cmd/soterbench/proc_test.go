package main

import (
	"os"
	"testing"
	"time"
)

// TestParseProcStatCPU checks the CPU times read from /proc stat lines,
// including command names with spaces and parentheses.
func TestParseProcStatCPU(t *testing.T) {
	tail := " S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 0 0"
	tests := []struct {
		name    string
		line    string
		want    time.Duration
		wantErr bool
	}{
		{name: "plain", line: "1234 (soterd)" + tail, want: 3 * time.Second},
		{name: "spaces and parens in the name", line: "1234 (a (b) c)" + tail, want: 3 * time.Second},
		{name: "no name", line: "1234 soterd S 1 2", wantErr: true},
		{name: "too short", line: "1234 (soterd) S 1 2 3", wantErr: true},
		{name: "not a number", line: "1234 (soterd) S 1 2 3 4 5 6 7 8 9 10 x 50", wantErr: true},
		{name: "stime not a number", line: "1234 (soterd) S 1 2 3 4 5 6 7 8 9 10 1 y", wantErr: true},
	}
	for _, test := range tests {
		got, err := parseProcStatCPU(test.line)
		if (err != nil) != test.wantErr {
			t.Errorf("%s: got error %v, want error %v", test.name, err, test.wantErr)
			continue
		}
		if got != test.want {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
	}
}

// TestProcessCPUTime reads the test's own CPU time.
func TestProcessCPUTime(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	if _, err := processCPUTime(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if loadAverage() == "" {
		t.Error("no load average read from /proc/loadavg")
	}
}

// FuzzParseProcStatCPU checks that no stat line makes the parser panic and
// that what it accepts is a non-negative duration.
func FuzzParseProcStatCPU(f *testing.F) {
	f.Add("1234 (soterd) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 0 0")
	f.Add("1 ((x)) R 0 0 0 0 0 0 0 0 0 0 18446744073709551615 1")
	f.Add(")")
	f.Fuzz(func(t *testing.T, line string) {
		d, err := parseProcStatCPU(line)
		if err == nil && d < 0 && len(line) < 20 {
			t.Errorf("negative duration %v from %q", d, line)
		}
	})
}
