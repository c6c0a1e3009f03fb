package logrotate

import (
	"path/filepath"
	"strings"
	"testing"
)

// benchLine is the size of a typical info-level log line.
var benchLine = []byte("2026-11-27 00:00:00.000 [INF] SYNC: Processed 1 block in the " +
	"last 10s (1 transaction, height 12345)" + strings.Repeat(" ", 10) + "\n")

// BenchmarkWrite measures what a logging goroutine pays per line: the copy
// into the buffer, not the disk.
func BenchmarkWrite(b *testing.B) {
	w, err := New(&Config{Filename: filepath.Join(b.TempDir(), "bench.log"),
		MaxSize: 1 << 20, MaxBackups: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		w.Write(benchLine)
	}
	b.StopTimer()
	w.Sync()
	b.ReportMetric(float64(w.Lost())/float64(b.N*len(benchLine)), "lost-fraction")
}

// BenchmarkWriteParallel measures contention on the buffer lock when every
// core logs at once.
func BenchmarkWriteParallel(b *testing.B) {
	w, err := New(&Config{Filename: filepath.Join(b.TempDir(), "bench.log"),
		MaxSize: 1 << 20, MaxBackups: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchLine)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Write(benchLine)
		}
	})
	b.StopTimer()
	w.Sync()
	b.ReportMetric(float64(w.Lost())/float64(b.N*len(benchLine)), "lost-fraction")
}

// BenchmarkWriteSync measures 100 lines that go all the way to stable
// storage, rotation and fsync included: the cost of Sync.
func BenchmarkWriteSync(b *testing.B) {
	w, err := New(&Config{Filename: filepath.Join(b.TempDir(), "bench.log"),
		MaxSize: 1 << 20, MaxBackups: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	b.ReportAllocs()
	b.SetBytes(int64(100 * len(benchLine)))
	for b.Loop() {
		for range 100 {
			w.Write(benchLine)
		}
		w.Sync()
	}
}
