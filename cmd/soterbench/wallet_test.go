package main

import (
	"testing"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// TestWalletSplitsThenSpends checks that the wallet splits coins until the
// next round has enough, then pays coins on one to one, and that every
// signature verifies.
func TestWalletSplitsThenSpends(t *testing.T) {
	params := blockdag.RegressionNetParams()
	w, err := newWallet(params, 2)
	if err != nil {
		t.Fatal(err)
	}
	// One matured coinbase of 50 coins.
	cb := &wire.MsgTx{Version: wire.TxVersion, Payload: make([]byte, 16),
		TxOut: []wire.TxOut{{Value: 50 * blockdag.BaseUnitsPerCoin, PubKey: w.pubs[0]}}}
	w.addCoinbase(cb, 0, 1)
	fetch := func(op wire.OutPoint) (*blockdag.UTXOEntry, bool) {
		return &blockdag.UTXOEntry{Amount: cb.TxOut[0].Value, PubKey: w.pubs[0], BlueScore: 1, IsCoinbase: true}, true
	}
	w.matureCoinbases(params.CoinbaseMaturity, 8, fetch)
	if w.spendable() != 0 {
		t.Fatalf("an immature coinbase became spendable")
	}
	w.matureCoinbases(1+params.CoinbaseMaturity, 8, fetch)
	if w.spendable() != 1 {
		t.Fatalf("got %d spendable coins after maturity, want 1", w.spendable())
	}

	const need = 8
	wantOuts := []int{2, 4, 8, 8, 8} // coins after each round
	for round, want := range wantOuts {
		txs := w.makeTxs(need, need, round%2)
		if err := w.signRound(txs); err != nil {
			t.Fatal(err)
		}
		for i, u := range txs {
			if !keys.VerifyInput(u.tx, 0, []wire.TxOut{u.prevOut}) {
				t.Fatalf("round %d tx %d: signature does not verify", round, i)
			}
			var out uint64
			for _, o := range u.tx.TxOut {
				out += o.Value
				if o.Value < minBenchOutput {
					t.Errorf("round %d tx %d: output %d below the minimum", round, i, o.Value)
				}
			}
			if out+benchTxFee != u.prevOut.Value {
				t.Errorf("round %d tx %d: outputs %d + fee != input %d", round, i, out, u.prevOut.Value)
			}
		}
		w.endRound()
		if got := w.spendable(); got != want {
			t.Errorf("round %d: got %d coins, want %d", round, got, want)
		}
	}
}

// TestWalletDropsDust checks that coins too small to pay the fee are
// skipped.
func TestWalletDropsDust(t *testing.T) {
	w, err := newWallet(blockdag.RegressionNetParams(), 1)
	if err != nil {
		t.Fatal(err)
	}
	w.pool = append(w.pool, coin{out: wire.TxOut{Value: benchTxFee, PubKey: w.pubs[0]}})
	if txs := w.makeTxs(1, 1, 0); len(txs) != 0 {
		t.Errorf("got %d transactions from dust, want none", len(txs))
	}
	if w.spendable() != 0 {
		t.Errorf("dust stayed in the pool")
	}
}
