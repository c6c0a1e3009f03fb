package blockdag

import (
	"errors"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/wire"
)

// TestBlockSignatureBatches checks that blocks whose signatures are
// verified in batches fail exactly as signature-by-signature checks would:
// the first bad signature in block order is the one named, whatever batch
// it falls in, and a block of good ones passes.
func TestBlockSignatureBatches(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A1", "genesis")
	c.mine("A2", "A1")
	c.mine("A3", "A2")
	const n = 150 // several batches on any worker count
	cb := c.coinbaseOut("A1", 0)
	values := make([]uint64, n)
	for i := range values {
		values[i] = cb.out.Value/n - 1
	}
	split := spendTx(t, []spendable{cb}, values...)
	c.mineWith("S", withTxs(split), "A3")

	spends := func(bad ...int) []*wire.MsgTx {
		txs := make([]*wire.MsgTx, n)
		for i := range txs {
			txs[i] = spendTx(t, []spendable{txOut(split, i)}, values[i]-1)
		}
		for _, i := range bad {
			txs[i].TxIn[0].Signature[40] ^= 0x01
		}
		return txs
	}
	for _, tc := range []struct {
		name  string
		bad   []int
		first int
	}{
		{"one bad", []int{97}, 97},
		{"two bad", []int{140, 12}, 12},
		{"first and last", []int{0, n - 1}, 0},
	} {
		txs := spends(tc.bad...)
		c.build(tc.name, []string{"S"}, withTxs(txs...))
		_, err := c.process(tc.name)
		if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("%s: %v, want %v", tc.name, err, ErrBadSignature)
		}
		if want := txs[tc.first].TxID().String(); !strings.Contains(err.Error(), want) ||
			!strings.Contains(err.Error(), "input 0") {
			t.Fatalf("%s: error %q does not name transaction %d (%s) input 0", tc.name, err, tc.first, want)
		}
	}
	c.mineWith("good", withTxs(spends()...), "S")
}

// TestSignatureSAboveOrder checks BIP-340's rule that s must be below the
// group order n: a signature with s = n (which a parser that reduces s, as
// btcec v2.3.5's does, would read as 0) is refused, in a block and alone.
// Honest signatures never differ between the two readings: a signature
// could only be altered this way if its s were below 2^256 - n, about
// 2^128, which a signer cannot aim for.
func TestSignatureSAboveOrder(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A1", "genesis")
	c.mine("A2", "A1")
	c.mine("A3", "A2")
	cb := c.coinbaseOut("A1", 0)
	tx := spendTx(t, []spendable{cb}, cb.out.Value-1)
	btcec.S256().N.FillBytes(tx.TxIn[0].Signature[32:])

	entry := &UTXOEntry{Amount: cb.out.Value, PubKey: cb.out.PubKey, BlueScore: 1, IsCoinbase: true}
	err := VerifySignatures(tx, tx.TxID(), []*UTXOEntry{entry})
	if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "input 0") {
		t.Fatalf("VerifySignatures: %v, want %v naming input 0", err, ErrBadSignature)
	}
	c.build("B", []string{"A3"}, withTxs(tx))
	c.reject("B", ErrBadSignature)
}
