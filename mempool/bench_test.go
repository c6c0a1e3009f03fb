package mempool

import (
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/wire"
)

// benchTxs returns n signed one-in, one-out transactions, each spending its
// own funding output, and a pool over those outputs.
func benchTxs(b *testing.B, n int) (*harness, []*wire.MsgTx) {
	h := newHarness(b, func(c *Config) { c.OnTxAccepted = nil })
	txs := make([]*wire.MsgTx, n)
	for i := range txs {
		txs[i] = h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	}
	return h, txs
}

// BenchmarkProcessTransaction measures transactions accepted into the pool
// per second, one caller: every rule, the signature check included. Compare
// it with BenchmarkSchnorrVerify, the part no pool can avoid.
func BenchmarkProcessTransaction(b *testing.B) {
	h, txs := benchTxs(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := h.pool.ProcessTransaction(txs[i], false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txs/s")
}

// BenchmarkProcessTransactionParallel is BenchmarkProcessTransaction with a
// caller per core: signature checks run outside the pool's lock, so they
// spread over the cores.
func BenchmarkProcessTransactionParallel(b *testing.B) {
	h, txs := benchTxs(b, b.N)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tx := txs[next.Add(1)-1]
			if _, _, err := h.pool.ProcessTransaction(tx, false); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txs/s")
}

// BenchmarkSchnorrVerify measures one BIP-340 verification with key and
// signature parsing, what every input costs: the ceiling for
// BenchmarkProcessTransaction.
func BenchmarkSchnorrVerify(b *testing.B) {
	h, txs := benchTxs(b, 1)
	tx := txs[0]
	prevOut := h.dag.utxos[tx.TxIn[0].PreviousOutPoint].TxOut()
	sighash, err := wire.SignatureHash(tx, 0, []wire.TxOut{prevOut})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key, err := schnorr.ParsePubKey(prevOut.PubKey[:])
		if err != nil {
			b.Fatal(err)
		}
		sig, err := schnorr.ParseSignature(tx.TxIn[0].Signature[:])
		if err != nil {
			b.Fatal(err)
		}
		if !sig.Verify(sighash[:], key) {
			b.Fatal("signature does not verify")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}
