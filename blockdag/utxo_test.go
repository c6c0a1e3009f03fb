package blockdag

import (
	"testing"

	"github.com/soterdag/soterd/wire"
)

// lastVirtualChange returns the newest VirtualChanged notification.
func (c *testChain) lastVirtualChange() *VirtualChangedData {
	c.t.Helper()
	for i := len(c.notes) - 1; i >= 0; i-- {
		if c.notes[i].Type == NTVirtualChanged {
			return c.notes[i].Data.(*VirtualChangedData)
		}
	}
	c.t.Fatalf("no VirtualChanged notification")
	return nil
}

// hasTx reports whether txs holds tx (by txid).
func hasTx(txs []*wire.MsgTx, tx *wire.MsgTx) bool {
	id := tx.TxID()
	for _, t := range txs {
		if t.TxID() == id {
			return true
		}
	}
	return false
}

// TestDoubleSpendInAnticone spends one output in two blocks of each other's
// anticone: the one first in the GHOSTDAG order has its transaction
// accepted, the other not; reorgs that flip the order flip that.
func TestDoubleSpendInAnticone(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "B")
	coin := c.coinbaseOut("A", 0)
	tx1 := spendTx(t, []spendable{coin}, 1*BaseUnitsPerCoin)
	tx2 := spendTx(t, []spendable{coin}, 2*BaseUnitsPerCoin)
	c.mineWith("D1", withTxs(tx1), "C")
	c.mineWith("D2", withTxs(tx2), "C")

	// D1 and D2 tie on blue work: the larger hash is the virtual's
	// selected parent and comes first in the order.
	first, second, firstTx, secondTx := "D1", "D2", tx1, tx2
	if h1, h2 := c.hash("D1"), c.hash("D2"); h1.Less(&h2) {
		first, second, firstTx, secondTx = "D2", "D1", tx2, tx1
	}
	c.expectTips(first, second)
	accepted := func(tx *wire.MsgTx) bool {
		_, ok := c.dag.FetchUTXO(txOut(tx, 0).op)
		return ok
	}
	if !accepted(firstTx) || accepted(secondTx) {
		t.Fatalf("before the reorg: first accepted %v, second accepted %v",
			accepted(firstTx), accepted(secondTx))
	}
	vc := c.lastVirtualChange()
	if hasTx(vc.AcceptedTxs, secondTx) {
		t.Fatalf("the double spend was reported accepted")
	}
	// Both blocks are valid DAG members; the loser's transaction is just
	// not accepted.
	secondHash := c.hash(second)
	info, err := c.dag.BlockInfo(&secondHash)
	if err != nil || info.Status != "valid" {
		t.Fatalf("BlockInfo(%s): %v %v", second, info, err)
	}

	// A block on the second one makes it the selected chain: it now comes
	// first, its transaction is accepted and the other is not.
	c.mine("E", second)
	c.expectTips("E", first)
	if accepted(firstTx) || !accepted(secondTx) {
		t.Fatalf("after the reorg: first accepted %v, second accepted %v",
			accepted(firstTx), accepted(secondTx))
	}
	vc = c.lastVirtualChange()
	if len(vc.RemovedChainBlocks) != 1 || vc.RemovedChainBlocks[0] != c.hash(first) {
		t.Fatalf("removed chain blocks %v, want %s", vc.RemovedChainBlocks, first)
	}
	if len(vc.AddedChainBlocks) != 2 || vc.AddedChainBlocks[0] != c.hash(second) ||
		vc.AddedChainBlocks[1] != c.hash("E") {
		t.Fatalf("added chain blocks %v, want %s E", vc.AddedChainBlocks, second)
	}
	if !hasTx(vc.AcceptedTxs, secondTx) || hasTx(vc.AcceptedTxs, firstTx) {
		t.Fatalf("accepted txs: second %v first %v", hasTx(vc.AcceptedTxs, secondTx), hasTx(vc.AcceptedTxs, firstTx))
	}
	if !hasTx(vc.UnacceptedTxs, firstTx) || hasTx(vc.UnacceptedTxs, secondTx) {
		t.Fatalf("unaccepted txs: first %v second %v", hasTx(vc.UnacceptedTxs, firstTx), hasTx(vc.UnacceptedTxs, secondTx))
	}
	commitAfterFirstReorg := c.dag.UTXOCommitment()

	// Two blocks on the first one flip it back.
	c.mine("F", first)
	c.mine("F2", "F")
	if !accepted(firstTx) || accepted(secondTx) {
		t.Fatalf("after the second reorg: first accepted %v, second accepted %v",
			accepted(firstTx), accepted(secondTx))
	}
	vc = c.lastVirtualChange()
	if !hasTx(vc.AcceptedTxs, firstTx) || !hasTx(vc.UnacceptedTxs, secondTx) {
		t.Fatalf("second reorg notification: accepted first %v, unaccepted second %v",
			hasTx(vc.AcceptedTxs, firstTx), hasTx(vc.UnacceptedTxs, secondTx))
	}

	// The commitment equals that of a DAG fed the same blocks in another
	// order, and a restart keeps it.
	want := c.dag.UTXOCommitment()
	if want == commitAfterFirstReorg {
		t.Fatalf("commitment did not change across the reorg")
	}
	other := newTestChain(t, testParams())
	for _, name := range []string{"A", "B", "C", second, "E", first, "F", "F2"} {
		other.blocks[name] = c.blocks[name]
		other.hashes[name] = c.hashes[name]
		other.accept(name)
	}
	if got := other.dag.UTXOCommitment(); got != want {
		t.Fatalf("commitment %v after another feeding order, want %v", got, want)
	}
	c.reopen()
	if got := c.dag.UTXOCommitment(); got != want {
		t.Fatalf("commitment %v after restart, want %v", got, want)
	}
	if !accepted(firstTx) || accepted(secondTx) {
		t.Fatalf("after restart: first accepted %v, second accepted %v",
			accepted(firstTx), accepted(secondTx))
	}
}
