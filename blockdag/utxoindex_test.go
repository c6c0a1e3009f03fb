package blockdag

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// checkUTXOIndex checks that the index mirrors the UTXO set exactly: a
// record for every unspent output, with its amount, blue score and flag,
// and no other record.
func checkUTXOIndex(d *BlockDAG) error {
	set := make(map[wire.OutPoint]UTXOEntry)
	it := d.db.NewIterator([]byte{byte(database.BucketUTXO)})
	for it.Next() {
		e, err := decodeUTXOEntry(it.Value())
		if err != nil {
			it.Release()
			return err
		}
		set[decodeOutPoint(it.Key()[1:])] = *e
	}
	it.Release()
	if complete, err := d.db.Has(utxoIndexCompleteKey); err != nil || !complete {
		return fmt.Errorf("the index is not marked complete (%v)", err)
	}
	idx := d.db.NewIterator([]byte{byte(database.BucketUTXOIndex)})
	defer idx.Release()
	n := 0
	for idx.Next() {
		op, e, err := decodeUTXOIndexRecord(idx.Key(), idx.Value())
		if err != nil {
			return err
		}
		want, ok := set[op]
		if !ok {
			return fmt.Errorf("index record for %s, which is not in the UTXO set", op)
		}
		if want != e {
			return fmt.Errorf("index record for %s is %+v, the set has %+v", op, e, want)
		}
		n++
	}
	if n != len(set) {
		return fmt.Errorf("%d index records for %d unspent outputs", n, len(set))
	}
	return idx.Err()
}

// keyUTXOs returns what ForEachUTXOOfKey lists for pub.
func keyUTXOs(t *testing.T, d *BlockDAG, pub [wire.PubKeySize]byte) map[wire.OutPoint]UTXOEntry {
	t.Helper()
	got := make(map[wire.OutPoint]UTXOEntry)
	if _, err := d.ForEachUTXOOfKey(pub, func(_ uint64, op wire.OutPoint, e *UTXOEntry) bool {
		got[op] = *e
		return true
	}); err != nil {
		t.Fatalf("ForEachUTXOOfKey: %v", err)
	}
	return got
}

// TestUTXOIndex checks the index through spends, a parallel double spend,
// a reorg that changes which of the two is accepted, and a reopen.
func TestUTXOIndex(t *testing.T) {
	c := newTestChain(t, testParams())
	c.cfg.UTXOIndex = true
	c.reopen()
	check := func(when string) {
		t.Helper()
		if err := checkUTXOIndex(c.dag); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	check("genesis")

	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "B")
	check("three blocks")
	a0 := c.coinbaseOut("A", 0)
	if got := keyUTXOs(t, c.dag, a0.out.PubKey); len(got) == 0 {
		t.Fatalf("no outputs listed for the miner's key")
	} else if _, ok := got[a0.op]; !ok {
		t.Fatalf("coinbase of A is not listed")
	}

	// D1 and D2 spend A's coinbase in parallel, to different amounts.
	tx1 := spendTx(t, []spendable{a0}, 1*BaseUnitsPerCoin)
	tx2 := spendTx(t, []spendable{a0}, 2*BaseUnitsPerCoin, 3*BaseUnitsPerCoin)
	c.mineWith("D1", withTxs(tx1), "C")
	// The virtual change notification carries the UTXO change.
	vc := c.lastVirtualChange()
	spent, created := false, false
	for _, r := range vc.UTXOsRemoved {
		spent = spent || (r.OutPoint == a0.op && r.Entry.Amount == a0.out.Value)
	}
	for _, a := range vc.UTXOsAdded {
		created = created || (a.OutPoint == wire.OutPoint{TxID: tx1.TxID()} && a.Entry.Amount == BaseUnitsPerCoin)
	}
	if !spent || !created {
		t.Errorf("virtual change: spent %v created %v in %+v", spent, created, vc)
	}
	c.mineWith("D2", withTxs(tx2), "C")
	check("parallel spends")
	got := keyUTXOs(t, c.dag, a0.out.PubKey)
	if _, ok := got[a0.op]; ok {
		t.Errorf("spent coinbase of A is still listed")
	}

	// E on D2 alone and F on E move the selected chain.
	c.mine("E", "D2")
	c.mine("F", "E")
	check("after the reorg")
	c.mine("G", "D1", "F")
	check("after the merge")

	c.reopen()
	check("reopened")
	// The key's listing is exactly the set's outputs locked to it.
	want := 0
	it := c.db.NewIterator([]byte{byte(database.BucketUTXO)})
	for it.Next() {
		if e, err := decodeUTXOEntry(it.Value()); err == nil && e.PubKey == a0.out.PubKey {
			want++
		}
	}
	it.Release()
	if n := len(keyUTXOs(t, c.dag, a0.out.PubKey)); n != want || n == 0 {
		t.Errorf("outputs of the key: got %d, want %d", n, want)
	}
	var other [wire.PubKeySize]byte
	other[0] = 1
	if n := len(keyUTXOs(t, c.dag, other)); n != 0 {
		t.Errorf("unknown key: %d outputs, want 0", n)
	}
}

// TestUTXOIndexTurnedOnAndOff checks that New builds the index from the
// UTXO set, that turning it off drops the completeness record, and that
// the next build removes the records that went stale in between.
func TestUTXOIndexTurnedOnAndOff(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "B")
	if _, err := c.dag.ForEachUTXOOfKey(testPubKey, func(uint64, wire.OutPoint, *UTXOEntry) bool {
		return true
	}); !errors.Is(err, ErrNoUTXOIndex) {
		t.Fatalf("index off: got %v, want %v", err, ErrNoUTXOIndex)
	}

	c.cfg.UTXOIndex = true
	c.reopen()
	if err := checkUTXOIndex(c.dag); err != nil {
		t.Fatalf("built: %v", err)
	}

	// Off: spend A's coinbase; its record goes stale.
	c.cfg.UTXOIndex = false
	c.reopen()
	if complete, err := c.db.Has(utxoIndexCompleteKey); err != nil || complete {
		t.Fatalf("completeness record after turning the index off: %v %v", complete, err)
	}
	a0 := c.coinbaseOut("A", 0)
	c.mineWith("D", withTxs(spendTx(t, []spendable{a0}, 1*BaseUnitsPerCoin)), "C")
	if has, _ := c.db.Has(utxoIndexKey(&a0.out.PubKey, a0.op)); !has {
		t.Fatalf("the stale record was removed with the index off")
	}

	// On again: rebuilt, the stale record gone.
	c.cfg.UTXOIndex = true
	c.reopen()
	if err := checkUTXOIndex(c.dag); err != nil {
		t.Fatalf("rebuilt: %v", err)
	}
	if _, ok := keyUTXOs(t, c.dag, a0.out.PubKey)[a0.op]; ok {
		t.Fatalf("spent output listed after the rebuild")
	}
}

// TestUTXOIndexBadRecord checks that a damaged record is an error, not a
// panic.
func TestUTXOIndexBadRecord(t *testing.T) {
	c := newTestChain(t, testParams())
	c.cfg.UTXOIndex = true
	c.reopen()
	var pub [wire.PubKeySize]byte
	pub[0] = 7
	if err := c.db.Put(utxoIndexKey(&pub, wire.OutPoint{}), []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	_, err := c.dag.ForEachUTXOOfKey(pub, func(uint64, wire.OutPoint, *UTXOEntry) bool { return true })
	if !errors.Is(err, ErrCorruptState) {
		t.Fatalf("got %v, want %v", err, ErrCorruptState)
	}
}

// FuzzDecodeUTXOIndexRecord checks that a stored index record never makes
// the decoder panic and that what it accepts encodes back to the same
// bytes.
func FuzzDecodeUTXOIndexRecord(f *testing.F) {
	var pub [wire.PubKeySize]byte
	pub[3] = 9
	e := &UTXOEntry{Amount: 5, PubKey: pub, BlueScore: 7, IsCoinbase: true}
	op := wire.OutPoint{TxID: wire.Hash{1}, Index: 2}
	f.Add(utxoIndexKey(&pub, op), appendUTXOIndexValue(nil, e))
	f.Add([]byte{0x0c}, []byte{1, 2})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		op, e, err := decodeUTXOIndexRecord(k, v)
		if err != nil {
			return
		}
		if !bytes.Equal(utxoIndexKey(&e.PubKey, op)[1:], k[1:]) ||
			!bytes.Equal(appendUTXOIndexValue(nil, &e), v) {
			t.Fatalf("record does not round trip")
		}
	})
}
