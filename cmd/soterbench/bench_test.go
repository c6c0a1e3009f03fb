package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// BenchmarkSchnorrVerify measures one verification as blockdag does it per
// input, on one goroutine: the per-core figure behind soterbench schnorr.
func BenchmarkSchnorrVerify(b *testing.B) {
	samples, err := makeSchnorrSamples(64)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !verifySample(&samples[i%len(samples)]) {
			b.Fatal("sample does not verify")
		}
	}
}

// BenchmarkSignBenchTx measures signing one benchmark transaction, the
// cost that dominates building a source DAG with transactions.
func BenchmarkSignBenchTx(b *testing.B) {
	w, err := newWallet(blockdag.RegressionNetParams(), 1)
	if err != nil {
		b.Fatal(err)
	}
	u := unsignedTx{
		tx: &wire.MsgTx{Version: wire.TxVersion, TxIn: []wire.TxIn{{}},
			TxOut: []wire.TxOut{{Value: 5000, PubKey: w.pubs[0]}}},
		prevOut: wire.TxOut{Value: 6000, PubKey: w.pubs[0]},
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.sign(&u); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildDAG measures building a coinbase-only source DAG of 500
// blocks, per block.
func BenchmarkBuildDAG(b *testing.B) {
	const blocks = 500
	b.ReportAllocs()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		cfg := &buildConfig{Params: blockdag.RegressionNetParams(),
			DBPath: filepath.Join(b.TempDir(), "db"), Blocks: blocks, Width: 1}
		start := time.Now()
		if _, err := buildDAG(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(blocks*b.N)/total.Seconds(), "blocks/s")
}

// BenchmarkPercentile measures the statistics over a propagate run's hops.
func BenchmarkPercentile(b *testing.B) {
	ds := make([]time.Duration, 4*50)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for j := range ds {
			ds[j] = time.Duration((j * 7919) % 1000)
		}
		percentile(ds, 99)
	}
}
