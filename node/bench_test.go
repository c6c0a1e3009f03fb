package node

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
)

// ibdBlocks is the size of the benchmark's DAG.
const ibdBlocks = 10_000

var (
	ibdOnce sync.Once
	ibdDir  string
)

// ibdStore returns a closed store of ibdBlocks coinbase-only blocks on
// simnet (whose subsidy does not run out within them, so every block adds
// an output to the UTXO set), built once per test binary run.
func ibdStore(b *testing.B) string {
	ibdOnce.Do(func() {
		dir, err := os.MkdirTemp("", "soterd-ibd-bench-")
		if err != nil {
			b.Fatal(err)
		}
		ibdDir = filepath.Join(dir, "store")
		start := time.Now()
		buildStore(b, ibdDir, blockdag.SimNetParams(), ibdBlocks, 1)
		b.Logf("built %d blocks in %v", ibdBlocks, time.Since(start))
	})
	return ibdDir
}

// BenchmarkIBD measures an in-process initial block download of 10,000
// coinbase-only blocks over loopback TCP: a fresh node connects to a node
// that has them and the clock stops when both have the same tips, UTXO
// commitment and block count. It reports blocks per second.
func BenchmarkIBD(b *testing.B) {
	store := ibdStore(b)
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		src := newTestNode(b, nodeOptions{store: store, params: blockdag.SimNetParams()})
		dst := newTestNode(b, nodeOptions{params: blockdag.SimNetParams()})
		b.StartTimer()
		start := time.Now()
		dst.connectTo(src)
		waitFor(b, 5*time.Minute, "sync", func() bool { return sameState(src, dst) })
		elapsed += time.Since(start)
		b.StopTimer()
		dst.Stop()
		src.Stop()
	}
	b.ReportMetric(float64(ibdBlocks*b.N)/elapsed.Seconds(), "blocks/s")
}
