package procnode

import (
	"io"
	"testing"
)

// BenchmarkOutputWatcher measures the cost the watcher adds to every line a
// node prints.
func BenchmarkOutputWatcher(b *testing.B) {
	line := []byte("2026-01-01 00:00:00.000 [INF] SYNC: Processed 500 blocks in the last 10s (height 1234)\n")
	w := newOutputWatcher(io.Discard)
	b.ReportAllocs()
	b.SetBytes(int64(len(line)))
	for i := 0; i < b.N; i++ {
		w.Write(line)
	}
}

// BenchmarkCall measures one getdaginfo round trip to a real process.
func BenchmarkCall(b *testing.B) {
	n := StartTest(b, &Config{Binary: bins.Soterd, HomeDir: b.TempDir(), NoListen: true})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := n.GetDAGInfo(); err != nil {
			b.Fatal(err)
		}
	}
}
