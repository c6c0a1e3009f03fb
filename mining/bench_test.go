package mining

import (
	"testing"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// BenchmarkHash measures one proof-of-work attempt as the workers make it:
// a double SHA-256 of a one-parent header with a new nonce and the target
// comparison.
func BenchmarkHash(b *testing.B) {
	header := wire.BlockHeader{Version: 1, Parents: []wire.Hash{{1}}, Bits: 0x1d00ffff}
	h := NewHeaderHasher(&header)
	tgt := TargetFromBits(header.Bits)
	b.ReportAllocs()
	b.ResetTimer()
	found := 0
	for i := 0; i < b.N; i++ {
		hash := h.Hash(uint64(i))
		if tgt.Met(&hash) {
			found++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
	_ = found
}

// BenchmarkNewBlockTemplate measures a template with 2,000 mempool
// transactions checked against the UTXO set.
func BenchmarkNewBlockTemplate(b *testing.B) {
	params := blockdag.RegressionNetParams()
	chain := newFakeChain(params)
	descs := make([]*mempool.TxDesc, 2000)
	for i := range descs {
		op := wire.OutPoint{TxID: wire.Hash{0xfd}, Index: uint32(i)}
		chain.utxos[op] = &blockdag.UTXOEntry{Amount: 10_000, PubKey: payTo, BlueScore: 1}
		descs[i] = desc(txSpending(9_000, op), 1000+uint64(i))
	}
	g, err := NewGenerator(&Config{
		Params:        params,
		TemplateState: chain.state,
		TxSource:      &fakePool{descs: descs},
		FetchUTXO:     chain.fetchUTXO,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tmpl, err := g.NewBlockTemplate(payTo)
		if err != nil {
			b.Fatal(err)
		}
		if len(tmpl.Block.Transactions) != 2001 {
			b.Fatalf("%d txs", len(tmpl.Block.Transactions))
		}
	}
}
