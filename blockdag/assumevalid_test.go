package blockdag

import (
	"errors"
	"testing"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// countMarks returns the number of assumed-valid marks in the store.
func countMarks(t *testing.T, db *database.DB) int {
	t.Helper()
	it := db.NewIterator([]byte{byte(database.BucketAssumeValid)})
	defer it.Release()
	n := 0
	for it.Next() {
		n++
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iterate marks: %v", err)
	}
	return n
}

// assumeValidScript builds, on a DAG of its own, the chain
// genesis <- A <- B <- C <- F <- AV, where F spends A's coinbase with a
// bad signature (the builder accepts F only because it marks it), then
// G on AV, also with a bad signature. It returns the builder.
func assumeValidScript(t *testing.T) *testChain {
	b := newTestChain(t, testParams())
	b.cfg.AssumeValid = wire.Hash{0xaa} // a block that never comes
	b.reopen()
	b.mine("A", "genesis")
	b.mine("B", "A")
	b.mine("C", "B")
	forge := func(name, parent, spent string) {
		blk := b.build(name, []string{parent}, withTxs(spendTx(t, []spendable{b.coinbaseOut(spent, 0)},
			b.coinbaseOut(spent, 0).out.Value-1000)))
		blk.Transactions[1].TxIn[0].Signature[0] ^= 1
		blk.Header.MerkleRoot = wire.BlockMerkleRoot(blk.Transactions)
		solve(blk)
		h := blk.BlockHash()
		b.hashes[name] = h
		b.names[h] = name
	}
	forge("F", "C", "A")
	if err := b.dag.MarkAssumedValid([]wire.Hash{b.hash("F")}); err != nil {
		t.Fatalf("MarkAssumedValid: %v", err)
	}
	b.accept("F")
	b.mine("AV", "F")
	forge("G", "AV", "B")
	return b
}

// feed processes the builder's named blocks on c's DAG, in order, and
// returns the error of the last.
func feed(c *testChain, b *testChain, names ...string) error {
	var err error
	for _, name := range names {
		if _, err = c.dag.ProcessBlock(b.blocks[name], BFNone); err != nil {
			return err
		}
	}
	return err
}

// TestAssumeValidSkipsSignatures is the script of --assumevalid: a block
// with a bad signature in the past of the assumed-valid block is accepted
// when it is marked (the trust assumevalid asks of the operator: the
// signatures of AV's past were checked by whoever named AV), while the same
// block unmarked, or after AV arrived, or with assumevalid off, is rejected.
func TestAssumeValidSkipsSignatures(t *testing.T) {
	b := assumeValidScript(t)
	av := b.hash("AV")

	// Assumevalid on, F not marked: F is checked in full.
	c := newTestChain(t, testParams())
	c.cfg.AssumeValid = av
	c.reopen()
	if err := feed(c, b, "A", "B", "C"); err != nil {
		t.Fatalf("A..C: %v", err)
	}
	if err := feed(c, b, "F"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("unmarked F: got %v, want ErrBadSignature", err)
	}

	// Assumevalid off: marks are not taken.
	off := newTestChain(t, testParams())
	if err := off.dag.MarkAssumedValid([]wire.Hash{b.hash("F")}); err != nil {
		t.Fatalf("MarkAssumedValid with assumevalid off: %v", err)
	}
	if n := countMarks(t, off.db); n != 0 {
		t.Fatalf("assumevalid off: %d marks written", n)
	}
	if err := feed(off, b, "A", "B", "C", "F"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("F with assumevalid off: got %v, want ErrBadSignature", err)
	}

	// Assumevalid on, F and AV marked: F skips its signature checks.
	on := newTestChain(t, testParams())
	on.cfg.AssumeValid = av
	on.reopen()
	if info := on.dag.AssumeValidInfo(); info.Block != av || !info.Active {
		t.Fatalf("before the download: got %+v, want AV set and active", info)
	}
	if err := on.dag.MarkAssumedValid([]wire.Hash{av, b.hash("F")}); err != nil {
		t.Fatalf("MarkAssumedValid: %v", err)
	}
	if err := feed(on, b, "A", "B", "C", "F"); err != nil {
		t.Fatalf("marked F: got %v, want accepted", err)
	}
	info := on.dag.AssumeValidInfo()
	if !info.Active || info.Marked != 2 || info.SkippedBlocks != 1 {
		t.Fatalf("after F: got %+v, want active, 2 marked, 1 skipped", info)
	}
	// AV arrives: checks resume, later marks are ignored, and G (not in
	// AV's past, bad signature) is rejected even when someone marks it.
	if err := feed(on, b, "AV"); err != nil {
		t.Fatalf("AV: %v", err)
	}
	if info := on.dag.AssumeValidInfo(); info.Active {
		t.Fatalf("after AV: got %+v, want inactive", info)
	}
	if err := on.dag.MarkAssumedValid([]wire.Hash{b.hash("G")}); err != nil {
		t.Fatalf("MarkAssumedValid after AV: %v", err)
	}
	if err := feed(on, b, "G"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("G after AV: got %v, want ErrBadSignature", err)
	}
	on.close()
	db, err := database.Open(on.dir, nil)
	if err != nil {
		t.Fatalf("reopen the store: %v", err)
	}
	if n := countMarks(t, db); n != 0 {
		t.Errorf("after AV arrived: %d marks left, want them dropped", n)
	}
	db.Close()
}

// TestAssumeValidRestart checks that marks outlive a restart with the same
// assumed-valid block, and that a start with another one (or none) never
// honours them and drops them.
func TestAssumeValidRestart(t *testing.T) {
	b := assumeValidScript(t)
	c := newTestChain(t, testParams())
	c.cfg.AssumeValid = b.hash("AV")
	c.reopen()
	if err := c.dag.MarkAssumedValid([]wire.Hash{b.hash("F")}); err != nil {
		t.Fatalf("MarkAssumedValid: %v", err)
	}
	if err := feed(c, b, "A", "B", "C"); err != nil {
		t.Fatalf("A..C: %v", err)
	}

	// Another assumed-valid block: F's mark is not honoured.
	c.cfg.AssumeValid = wire.Hash{0xbb}
	c.reopen()
	if err := feed(c, b, "F"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("F under another AV: got %v, want ErrBadSignature", err)
	}
	c.close()
	db, err := database.Open(c.dir, nil)
	if err != nil {
		t.Fatalf("reopen the store: %v", err)
	}
	if n := countMarks(t, db); n != 0 {
		t.Errorf("under another AV: %d stale marks left", n)
	}
	db.Close()

	// The same AV across a restart: the mark holds.
	d := newTestChain(t, testParams())
	d.cfg.AssumeValid = b.hash("AV")
	d.reopen()
	if err := d.dag.MarkAssumedValid([]wire.Hash{b.hash("F")}); err != nil {
		t.Fatalf("MarkAssumedValid: %v", err)
	}
	d.reopen()
	if err := feed(d, b, "A", "B", "C", "F"); err != nil {
		t.Fatalf("F after a restart: got %v, want accepted", err)
	}
}

// TestHeadersInPast checks the getheaders walk: strictly descending (blue
// work, hash), each block once, only the past of what was asked, cut at
// max, and every header linked by hash to one listed before it.
func TestHeadersInPast(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "genesis")
	c.mine("C", "A", "B")
	c.mine("D", "C")
	c.mine("E", "A") // not in D's past

	tests := []struct {
		name   string
		wanted []string
		max    int
		want   []string // as a set, for the first len(want) entries
		count  int
	}{
		{"from D", []string{"D"}, 100, []string{"D", "C", "A", "B", "genesis"}, 5},
		{"cut at 2", []string{"D"}, 2, []string{"D", "C"}, 2},
		{"D twice and E", []string{"D", "D", "E"}, 100, []string{"D", "C", "A", "B", "E", "genesis"}, 6},
		{"unknown", nil, 100, nil, 0},
	}
	for _, test := range tests {
		wanted := make([]wire.Hash, len(test.wanted))
		for i, n := range test.wanted {
			wanted[i] = c.hash(n)
		}
		if test.name == "unknown" {
			wanted = []wire.Hash{{0x01}}
		}
		hs, err := c.dag.HeadersInPast(wanted, test.max)
		if err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		if len(hs) != test.count {
			t.Errorf("%s: got %d headers, want %d", test.name, len(hs), test.count)
			continue
		}
		got := make(map[string]bool)
		frontier := make(map[wire.Hash]bool)
		for _, w := range wanted {
			frontier[w] = true
		}
		var prev *blockNode
		for i := range hs {
			h := hs[i].BlockHash()
			name := c.name(h)
			if got[name] {
				t.Errorf("%s: %s listed twice", test.name, name)
			}
			got[name] = true
			if !frontier[h] {
				t.Errorf("%s: %s is not linked to a header listed before it", test.name, name)
			}
			delete(frontier, h)
			for _, p := range hs[i].Parents {
				frontier[p] = true
			}
			n, _ := c.dag.nodes.lookup(h)
			if prev != nil && !blockLess(n, prev) {
				t.Errorf("%s: %s does not come below %s in (blue work, hash)", test.name, name, c.name(prev.hash))
			}
			prev = n
		}
		for _, w := range test.want {
			if !got[w] {
				t.Errorf("%s: %s missing from %v", test.name, w, got)
			}
		}
	}
}
