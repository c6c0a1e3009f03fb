package node

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// TestRPCTxRelayed submits a transaction the way sendrawtransaction does,
// through the RPC server's mempool adapter, and checks that it reaches a
// peer. The adapter once added it to the pool without announcing it, so
// transactions sent over RPC never left the node.
func TestRPCTxRelayed(t *testing.T) {
	a := newTestNode(t, nodeOptions{})
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	first := a.mineTo(1, pub)[0]
	a.mine(int(testParams().CoinbaseMaturity)+1, 0)
	b := newTestNode(t, nodeOptions{})
	b.connectTo(a)
	waitFor(t, 30*time.Second, "sync", func() bool {
		return sameState(a, b) && !b.SyncManager().InSyncMode()
	})

	block, err := a.DAG().BlockByHash(&first)
	if err != nil {
		t.Fatal(err)
	}
	coinbase := block.Transactions[0]
	prevOut := coinbase.TxOut[0]
	tx := &wire.MsgTx{
		Version: wire.TxVersion,
		TxIn:    []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: coinbase.TxID()}}},
		TxOut:   []wire.TxOut{{Value: prevOut.Value - 100_000, PubKey: minerKey(7)}},
	}
	if err := keys.SignTx(tx, []wire.TxOut{prevOut}, []*btcec.PrivateKey{priv}); err != nil {
		t.Fatal(err)
	}
	if err := (rpcMempool{a.Server}).ProcessTransaction(tx); err != nil {
		t.Fatalf("ProcessTransaction: %v", err)
	}
	txID := tx.TxID()
	waitFor(t, 10*time.Second, "tx relayed", func() bool { return b.TxPool().HaveTransaction(&txID) })

	// A rejected transaction is reported and not announced.
	if err := (rpcMempool{a.Server}).ProcessTransaction(tx); err == nil {
		t.Fatalf("ProcessTransaction of a duplicate: no error")
	}
}
