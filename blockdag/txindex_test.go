package blockdag

import (
	"errors"
	"fmt"
	"testing"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// checkTxIndex checks that the index agrees with the stored blocks: every
// transaction of every block is found, in a block that holds it, and every
// record names a block in the DAG.
func checkTxIndex(d *BlockDAG) error {
	order, err := d.Order(0, 1<<30)
	if err != nil {
		return err
	}
	for _, ob := range order {
		blk, err := d.BlockByHash(&ob.Hash)
		if err != nil {
			return err
		}
		for _, tx := range blk.Transactions {
			id := tx.TxID()
			got, at, ok := d.FindTransaction(&id)
			if !ok || got.TxID() != id {
				return fmt.Errorf("transaction %s of block %s is not in the index", id, ob.Hash)
			}
			if !d.HaveBlock(&at) {
				return fmt.Errorf("transaction %s is indexed in unknown block %s", id, at)
			}
		}
	}
	if complete, err := d.db.Has(txIndexCompleteKey); err != nil || !complete {
		return fmt.Errorf("the index is not marked complete (%v)", err)
	}
	it := d.db.NewIterator([]byte{byte(database.BucketTxIndex)})
	defer it.Release()
	for it.Next() {
		block, _, err := decodeTxIndexValue(it.Value())
		if err != nil {
			return err
		}
		if !d.HaveBlock(&block) {
			return fmt.Errorf("a record names block %s, which is not in the DAG", block)
		}
	}
	return it.Err()
}

// expectFound checks FindTransaction's answer for tx.
func (c *testChain) expectFound(tx *wire.MsgTx, blockName string) {
	c.t.Helper()
	id := tx.TxID()
	got, block, ok := c.dag.FindTransaction(&id)
	if blockName == "" {
		if ok {
			c.t.Fatalf("FindTransaction(%s): found in %s, want not found", id, c.name(block))
		}
		return
	}
	if !ok {
		c.t.Fatalf("FindTransaction(%s): not found, want block %s", id, blockName)
	}
	if got.TxID() != id || block != c.hash(blockName) {
		c.t.Fatalf("FindTransaction(%s): got tx %s in %s, want block %s", id, got.TxID(),
			c.name(block), blockName)
	}
}

// TestTxIndex checks the index kept block by block: records in each block's
// batch, the first of two parallel blocks keeping a shared transaction, and
// the records after a reopen.
func TestTxIndex(t *testing.T) {
	c := newTestChain(t, testParams())
	c.cfg.TxIndex = true
	c.reopen()
	genesisCB := c.params.GenesisBlock.Transactions[0]
	c.expectFound(genesisCB, "genesis")

	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "B")
	tx := spendTx(t, []spendable{c.coinbaseOut("A", 0)}, 1*BaseUnitsPerCoin)
	other := spendTx(t, []spendable{c.coinbaseOut("B", 0)}, 1*BaseUnitsPerCoin)
	c.mineWith("D1", withTxs(tx), "C")
	// D2 holds the same transaction in parallel, and another one.
	c.mineWith("D2", withTxs(tx, other), "C")

	tests := []struct {
		name  string
		tx    *wire.MsgTx
		block string // "" for not found
	}{
		{"genesis coinbase", genesisCB, "genesis"},
		{"coinbase A", c.blocks["A"].Transactions[0], "A"},
		{"coinbase D2", c.blocks["D2"].Transactions[0], "D2"},
		{"shared, first stored wins", tx, "D1"},
		{"second in D2", other, "D2"},
		{"unknown", spendTx(t, []spendable{c.coinbaseOut("C", 0)}, 1), ""},
	}
	check := func(when string) {
		t.Helper()
		for _, test := range tests {
			id := test.tx.TxID()
			_, block, ok := c.dag.FindTransaction(&id)
			var want wire.Hash
			if test.block != "" {
				want = c.hash(test.block)
			}
			if ok != (test.block != "") || block != want {
				t.Errorf("%s: %s: got %s (ok %v), want %q", when, test.name,
					c.name(block), ok, test.block)
			}
		}
	}
	check("built")

	// A block that makes D2 the selected chain changes nothing: the index
	// is about containment, not acceptance.
	c.mine("E", "D2")
	check("after the reorg")
	if err := checkTxIndex(c.dag); err != nil {
		t.Fatal(err)
	}

	c.reopen()
	check("reopened")
	c.expectFound(c.blocks["E"].Transactions[0], "E")
	if err := checkTxIndex(c.dag); err != nil {
		t.Fatal(err)
	}
}

// TestTxIndexTurnedOnAndOff checks that New builds the index over a store
// kept without it, and that turning it off marks it incomplete so that the
// next start with it rebuilds what was stored in between.
func TestTxIndexTurnedOnAndOff(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "B")
	tx := spendTx(t, []spendable{c.coinbaseOut("A", 0)}, 1*BaseUnitsPerCoin)
	c.mineWith("D1", withTxs(tx), "C")
	c.mineWith("D2", withTxs(tx), "C")

	// Off: nothing is found and nothing is written.
	c.expectFound(tx, "")
	c.expectFound(c.blocks["A"].Transactions[0], "")
	it := c.db.NewIterator([]byte{byte(database.BucketTxIndex)})
	if it.Next() {
		t.Fatalf("index records written with the index off")
	}
	it.Release()

	// On: built at startup, D1 and D2 both at height 4, so the one first
	// in height order (smaller hash) keeps the shared transaction.
	c.cfg.TxIndex = true
	c.reopen()
	first := "D1"
	if h1, h2 := c.hash("D1"), c.hash("D2"); h2.Less(&h1) {
		first = "D2"
	}
	c.expectFound(tx, first)
	c.expectFound(c.blocks["C"].Transactions[0], "C")
	if err := checkTxIndex(c.dag); err != nil {
		t.Fatal(err)
	}

	// Off again: the completeness record goes, and blocks stored now are
	// not indexed.
	c.cfg.TxIndex = false
	c.reopen()
	if complete, err := c.db.Has(txIndexCompleteKey); err != nil || complete {
		t.Fatalf("completeness record after turning the index off: %v %v", complete, err)
	}
	c.expectFound(tx, "")
	tx2 := spendTx(t, []spendable{c.coinbaseOut("B", 0)}, 1*BaseUnitsPerCoin)
	c.mineWith("E", withTxs(tx2), "D1", "D2")
	id2 := tx2.TxID()
	if has, err := c.db.Has(txIndexKey(&id2)); err != nil || has {
		t.Fatalf("a record was written with the index off (%v)", err)
	}

	// On again: the gap is filled and the old records stand.
	c.cfg.TxIndex = true
	c.reopen()
	c.expectFound(tx2, "E")
	c.expectFound(tx, first)
	if err := checkTxIndex(c.dag); err != nil {
		t.Fatal(err)
	}
}

// TestTxIndexBadRecords checks that FindTransaction answers not found,
// without panicking, for records that do not match the stored blocks.
func TestTxIndexBadRecords(t *testing.T) {
	c := newTestChain(t, testParams())
	c.cfg.TxIndex = true
	c.reopen()
	c.mine("A", "genesis")
	a := c.hash("A")
	unknown := wire.Hash{1, 2, 3}
	tests := []struct {
		name  string
		value []byte
	}{
		{"short", a[:]},
		{"long", append(encodeTxIndexValue(&a, 0), 0)},
		{"position past the end", encodeTxIndexValue(&a, 7)},
		{"wrong transaction", encodeTxIndexValue(&a, 0)},
		{"unknown block", encodeTxIndexValue(&unknown, 0)},
	}
	for i, test := range tests {
		id := wire.Hash{0xee, byte(i)}
		if err := c.db.Put(txIndexKey(&id), test.value); err != nil {
			t.Fatal(err)
		}
		if tx, _, ok := c.dag.FindTransaction(&id); ok || tx != nil {
			t.Errorf("%s: got found, want not found", test.name)
		}
	}
	// The same for a block that is not in the cache.
	c.reopen()
	for i, test := range tests {
		id := wire.Hash{0xee, byte(i)}
		if _, _, ok := c.dag.FindTransaction(&id); ok {
			t.Errorf("%s after reopen: got found, want not found", test.name)
		}
	}
	if _, _, err := decodeTxIndexValue(nil); !errors.Is(err, ErrCorruptState) {
		t.Errorf("decode of an empty record: got %v, want ErrCorruptState", err)
	}
}
