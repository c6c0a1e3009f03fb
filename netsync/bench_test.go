package netsync

import (
	"testing"
	"time"
)

// BenchmarkSyncManager measures the manager's own cost per downloaded block:
// a 10,000-block chain is synced from a simulated peer into a fake DAG that
// does no validation, so the figure is an upper bound that the real DAG and
// network divide down.
func BenchmarkSyncManager(b *testing.B) {
	const blocks = 10_000
	remote := newFakeDAG()
	remote.addChain(b, genesis.BlockHash(), blocks)
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		local := newFakeDAG()
		sm, n := testManager(b, local, nil, nil)
		start := time.Now()
		connect(b, sm, n, remote)
		for local.MaxHeight() < blocks {
			time.Sleep(time.Millisecond)
		}
		elapsed += time.Since(start)
		b.StopTimer()
		sm.Stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(blocks*b.N)/elapsed.Seconds(), "blocks/s")
}
