package node

import (
	"testing"
	"time"
)

// TestRPCTxRelayed submits a transaction the way sendrawtransaction does,
// through the RPC server's mempool adapter, and checks that it reaches a
// peer. The adapter once added it to the pool without announcing it, so
// transactions sent over RPC never left the node.
func TestRPCTxRelayed(t *testing.T) {
	a, b, tx := syncedPairWithTx(t)
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
