package node

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// TestNodeMempoolDustLimit checks that the mempool the node builds refuses
// an output below the documented dust limit (docs/mining.md) and accepts
// one at the limit: the node once built its pool without the limit.
func TestNodeMempoolDustLimit(t *testing.T) {
	n := newTestNode(t, nodeOptions{})
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	first := n.mineTo(1, pub)[0]
	n.mine(int(testParams().CoinbaseMaturity)+1, 0)
	block, err := n.DAG().BlockByHash(&first)
	if err != nil {
		t.Fatal(err)
	}
	coinbase := block.Transactions[0]
	prevOut := coinbase.TxOut[0]
	spend := func(small uint64) *wire.MsgTx {
		tx := &wire.MsgTx{
			Version: wire.TxVersion,
			TxIn:    []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: coinbase.TxID()}}},
			TxOut: []wire.TxOut{
				{Value: small, PubKey: minerKey(7)},
				{Value: prevOut.Value - small - 100_000, PubKey: pub},
			},
		}
		if err := keys.SignTx(tx, []wire.TxOut{prevOut}, []*btcec.PrivateKey{priv}); err != nil {
			t.Fatal(err)
		}
		return tx
	}

	tests := []struct {
		name  string
		value uint64
		want  error
	}{
		{"100 base units", 100, mempool.ErrDust},
		{"one below the limit", mempool.DefaultDustLimit - 1, mempool.ErrDust},
		{"at the limit", mempool.DefaultDustLimit, nil},
	}
	for _, test := range tests {
		_, _, err := n.TxPool().ProcessTransaction(spend(test.value), false)
		if test.want == nil && err != nil || test.want != nil && !errors.Is(err, test.want) {
			t.Errorf("%s: got %v, want %v", test.name, err, test.want)
		}
	}
}
