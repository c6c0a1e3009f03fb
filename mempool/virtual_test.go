package mempool

import (
	"testing"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// spentEntries returns the UTXO entries tx spends, from the fake DAG, so a
// test can disconnect it later.
func spentEntries(t *testing.T, d *fakeDAG, tx *wire.MsgTx) []blockdag.UTXOEntry {
	t.Helper()
	entries := make([]blockdag.UTXOEntry, len(tx.TxIn))
	for i := range tx.TxIn {
		e, ok := d.FetchUTXO(tx.TxIn[i].PreviousOutPoint)
		if !ok {
			t.Fatalf("input %d of %s not in the UTXO set", i, tx.TxID())
		}
		entries[i] = *e
	}
	return entries
}

func TestVirtualChangedAccepted(t *testing.T) {
	h := newHarness(t, nil)
	fundA, fundB := h.fund(100_000, 1), h.fund(100_000, 1)
	a := h.spend([]coin{fundA}, 90_000)
	aChild := h.spend([]coin{outputOf(a, 0)}, 80_000)
	b := h.spend([]coin{fundB}, 90_000)
	bChild := h.spend([]coin{outputOf(b, 0)}, 80_000)
	for _, tx := range []*wire.MsgTx{a, aChild, b, bChild} {
		h.mustAccept(tx, 1)
	}
	// An orphan that spends fundC, which a block will spend too.
	fundC := h.fund(100_000, 1)
	orphanParent := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	orphanConflict := h.spend([]coin{outputOf(orphanParent, 0), fundC}, 150_000)
	if _, _, err := h.pool.ProcessTransaction(orphanConflict, true); err != nil {
		t.Fatal(err)
	}

	// A block accepts a, b2, which spends fundB like b, and c2, which
	// spends fundC like the orphan.
	b2 := h.spend([]coin{fundB}, 95_000)
	c2 := h.spend([]coin{fundC}, 95_000)
	for _, tx := range []*wire.MsgTx{a, b2, c2} {
		h.dag.connect(tx)
	}
	h.pool.HandleVirtualChanged([]*wire.MsgTx{a, b2, c2}, nil)

	in := func(tx *wire.MsgTx) bool {
		id := tx.TxID()
		return h.pool.HaveTransaction(&id)
	}
	if in(a) || !in(aChild) {
		t.Errorf("accepted a: a in pool %v, child in pool %v; want a gone, child kept", in(a), in(aChild))
	}
	if in(b) || in(bChild) {
		t.Errorf("conflict: b in pool %v, its child %v; want both gone", in(b), in(bChild))
	}
	if in(orphanConflict) {
		t.Errorf("conflicting orphan kept")
	}
	if h.pool.Count() != 1 || h.pool.Bytes() != aChild.SerializeSize() {
		t.Errorf("pool: %d txs, %d bytes; want only a's child", h.pool.Count(), h.pool.Bytes())
	}
	// The child of the accepted a is still minable: its input is in the
	// UTXO set now, and a grandchild can join.
	h.mustAccept(h.spend([]coin{outputOf(aChild, 0)}, 70_000), 1)
}

func TestVirtualChangedReorg(t *testing.T) {
	h := newHarness(t, nil)
	fund := h.fund(100_000, 1)
	tx := h.spend([]coin{fund}, 90_000)
	child := h.spend([]coin{outputOf(tx, 0)}, 80_000)
	grandchild := h.spend([]coin{outputOf(child, 0)}, 70_000)

	// tx is accepted in a block without ever being in the pool; child
	// then enters the pool spending the confirmed output.
	spent := spentEntries(t, h.dag, tx)
	h.dag.connect(tx)
	h.pool.HandleVirtualChanged([]*wire.MsgTx{tx}, nil)
	h.mustAccept(child, 1)

	// The block that accepted tx leaves the chain. The list of
	// unaccepted transactions also holds grandchild, and lists it before
	// tx, to check that they are taken back parents first.
	h.dag.disconnect(tx, spent)
	h.pool.HandleVirtualChanged(nil, []*wire.MsgTx{grandchild, tx})

	in := func(t2 *wire.MsgTx) bool {
		id := t2.TxID()
		return h.pool.IsTransactionInPool(&id)
	}
	// grandchild's input (child's output) is in the pool, so it comes back
	// too, after tx.
	if !in(tx) || !in(child) || !in(grandchild) {
		t.Fatalf("re-admission: tx %v child %v grandchild %v; want all in the pool",
			in(tx), in(child), in(grandchild))
	}
	// Taken-back transactions are not reported again.
	if got := h.notified(); len(got) != 1 || got[0] != child.TxID() {
		t.Errorf("notifications: got %v, want only child's", got)
	}

	// Now a reorg in which a conflicting spend of fund is accepted and tx
	// loses acceptance: tx cannot come back, and its descendants go.
	h.pool.HandleVirtualChanged([]*wire.MsgTx{tx}, nil) // accepted again
	h.dag.connect(tx)
	if in(tx) || !in(child) {
		t.Fatalf("tx accepted again: tx %v child %v", in(tx), in(child))
	}
	h.dag.disconnect(tx, spent)
	rival := h.spend([]coin{fund}, 95_000)
	h.dag.connect(rival)
	h.pool.HandleVirtualChanged([]*wire.MsgTx{rival}, []*wire.MsgTx{tx})
	if in(tx) || in(child) || in(grandchild) || h.pool.Count() != 0 {
		t.Errorf("lost to a rival: tx %v child %v grandchild %v count %d; want an empty pool",
			in(tx), in(child), in(grandchild), h.pool.Count())
	}
}

func TestVirtualChangedTxInBothLists(t *testing.T) {
	// A transaction unaccepted by the old chain and accepted by the new one
	// stays out of the pool, and its pool children stay in.
	h := newHarness(t, nil)
	tx := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	h.dag.connect(tx)
	h.pool.HandleVirtualChanged([]*wire.MsgTx{tx}, nil)
	child := h.spend([]coin{outputOf(tx, 0)}, 80_000)
	h.mustAccept(child, 1)
	h.pool.HandleVirtualChanged([]*wire.MsgTx{tx}, []*wire.MsgTx{tx})
	id, childID := tx.TxID(), child.TxID()
	if h.pool.HaveTransaction(&id) || !h.pool.HaveTransaction(&childID) {
		t.Errorf("got tx in pool %v, child %v; want tx out, child in",
			h.pool.HaveTransaction(&id), h.pool.HaveTransaction(&childID))
	}
}

func TestVirtualChangedBlueScoreDrop(t *testing.T) {
	h := newHarness(t, nil)
	c := h.fund(100_000, 1)
	tx := h.spend([]coin{c}, 90_000)
	tx.LockTime = 1000
	tx = resign(t, tx, []coin{c})
	h.mustAccept(tx, 1)
	child := h.spend([]coin{outputOf(tx, 0)}, 80_000)
	h.mustAccept(child, 1)
	other := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	h.mustAccept(other, 1)

	h.dag.setBlueScore(999)
	h.pool.HandleVirtualChanged(nil, nil)
	if h.pool.Count() != 1 {
		t.Errorf("after the blue score fell below the lock time: %d txs, want 1", h.pool.Count())
	}
}

func TestVirtualChangedPromotesOrphans(t *testing.T) {
	h := newHarness(t, nil)
	parent := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	orphan := h.spend([]coin{outputOf(parent, 0)}, 80_000)
	if _, _, err := h.pool.ProcessTransaction(orphan, true); err != nil {
		t.Fatal(err)
	}
	h.dag.connect(parent)
	h.pool.HandleVirtualChanged([]*wire.MsgTx{parent}, nil)
	id := orphan.TxID()
	if !h.pool.IsTransactionInPool(&id) || h.pool.OrphanCount() != 0 {
		t.Errorf("orphan of an accepted parent not promoted")
	}
	if got := h.notified(); len(got) != 1 || got[0] != id {
		t.Errorf("promotion not reported: %v", got)
	}
}

func TestTopoSort(t *testing.T) {
	h := newHarness(t, nil)
	a := h.spend([]coin{h.fund(100_000, 1)}, 90_000, 5_000)
	b := h.spend([]coin{outputOf(a, 0)}, 80_000)
	c := h.spend([]coin{outputOf(b, 0), outputOf(a, 1)}, 70_000)
	d := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	tests := []struct {
		name string
		in   []*wire.MsgTx
	}{
		{"sorted", []*wire.MsgTx{a, b, c, d}},
		{"reversed", []*wire.MsgTx{d, c, b, a}},
		{"mixed", []*wire.MsgTx{c, d, a, b}},
		{"one", []*wire.MsgTx{c}},
		{"none", nil},
	}
	for _, test := range tests {
		got := topoSort(test.in)
		if len(got) != len(test.in) {
			t.Errorf("%s: got %d txs, want %d", test.name, len(got), len(test.in))
			continue
		}
		pos := make(map[wire.Hash]int)
		for i, tx := range got {
			pos[tx.TxID()] = i
		}
		for _, tx := range got {
			for _, in := range tx.TxIn {
				if p, ok := pos[in.PreviousOutPoint.TxID]; ok && p > pos[tx.TxID()] {
					t.Errorf("%s: %s comes after its child", test.name, in.PreviousOutPoint.TxID)
				}
			}
		}
	}
}

func TestVirtualChangedAcceptedOrphan(t *testing.T) {
	h := newHarness(t, nil)
	parent := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	orphan := h.spend([]coin{outputOf(parent, 0)}, 80_000)
	if _, _, err := h.pool.ProcessTransaction(orphan, true); err != nil {
		t.Fatal(err)
	}
	// A block accepts both: the orphan is confirmed, not promoted.
	h.dag.connect(parent)
	h.dag.connect(orphan)
	h.pool.HandleVirtualChanged([]*wire.MsgTx{parent, orphan}, nil)
	if h.pool.OrphanCount() != 0 || h.pool.Count() != 0 || len(h.notified()) != 0 {
		t.Errorf("confirmed orphan: %d orphans, %d in pool, %d notified; want none",
			h.pool.OrphanCount(), h.pool.Count(), len(h.notified()))
	}
}
