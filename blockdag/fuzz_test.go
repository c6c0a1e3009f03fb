package blockdag

import (
	"bytes"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/soterdag/soterd/wire"
)

// The stored records are read back only by this package, but a damaged
// disk can hand the decoders anything: they must fail cleanly, never panic
// or allocate beyond the record's size, and what they accept must encode
// back to the same bytes.

// seedRecords returns real encodings of each record kind from a small DAG.
func seedRecords(t testing.TB) (index, diffs, virtuals [][]byte) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "A")
	tx := spendTx(t, []spendable{c.coinbaseOut("A", 0)}, 1000, 2000)
	c.mineWith("D", withTxs(tx), "B", "C")
	d := c.dag
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	for _, n := range d.index {
		index = append(index, encodeIndexRecord(n))
		if pd, err := d.loadPastDiff(n.pastKey); err == nil && pd != nil {
			diffs = append(diffs, encodePastDiff(pd))
		}
	}
	virtuals = append(virtuals, encodeVirtualRecord(d.virtual.record()))
	return index, diffs, virtuals
}

// fakeNode returns a node standing for a hash, for re-encoding.
func fakeNode(nodes map[wire.Hash]*blockNode, h wire.Hash) *blockNode {
	if n, ok := nodes[h]; ok {
		return n
	}
	n := &blockNode{hash: h}
	nodes[h] = n
	return n
}

func FuzzDecodeIndexRecord(f *testing.F) {
	index, _, _ := seedRecords(f)
	for _, s := range index {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeIndexRecord(b)
		if err != nil {
			return
		}
		if again := encodeIndexRecord(nodeFromRecord(rec)); !bytes.Equal(again, b) {
			t.Fatalf("round trip differs")
		}
	})
}

// nodeFromRecord builds a node from a decoded index record, with stand-in
// nodes for the blocks it names.
func nodeFromRecord(rec *indexRecord) *blockNode {
	nodes := map[wire.Hash]*blockNode{}
	n := &blockNode{
		version:    rec.header.Version,
		merkleRoot: rec.header.MerkleRoot,
		timestamp:  rec.header.Timestamp,
		bits:       rec.header.Bits,
		nonce:      rec.header.Nonce,
		height:     rec.height,
		status:     rec.status,
		size:       rec.size,
		txCount:    rec.txCount,
	}
	for _, p := range rec.header.Parents {
		n.parents = append(n.parents, fakeNode(nodes, p))
	}
	n.blueScore = rec.blueScore
	n.blueWork = rec.blueWork
	for _, h := range rec.blues {
		n.blues = append(n.blues, fakeNode(nodes, h))
	}
	for _, h := range rec.reds {
		n.reds = append(n.reds, fakeNode(nodes, h))
	}
	for i, h := range rec.anticoneNodes {
		n.anticoneSizes = append(n.anticoneSizes, anticoneSize{fakeNode(nodes, h), rec.anticoneSizes[i]})
	}
	return n
}

func FuzzDecodePastDiff(f *testing.F) {
	_, diffs, _ := seedRecords(f)
	for _, s := range diffs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodePastDiff(b)
		if err != nil {
			return
		}
		nodes := map[wire.Hash]*blockNode{}
		pd := &pastDiff{diff: &utxoDiff{removed: s.removed, added: s.added}}
		for i, h := range s.blocks {
			pd.accepted = append(pd.accepted, blockAcceptance{
				node: fakeNode(nodes, h), txCount: s.txCount[i], bits: s.bits[i]})
		}
		s2, err := decodePastDiff(encodePastDiff(pd))
		if err != nil {
			t.Fatalf("re-encoded diff does not decode: %v", err)
		}
		if fmt.Sprint(s2.blocks, s2.txCount, s2.bits) != fmt.Sprint(s.blocks, s.txCount, s.bits) ||
			len(s2.removed) != len(s.removed) || len(s2.added) != len(s.added) {
			t.Fatalf("round trip differs")
		}
		for op, e := range s.added {
			if e2, ok := s2.added[op]; !ok || *e2 != *e {
				t.Fatalf("added entry %s differs", op)
			}
		}
		for op, e := range s.removed {
			if e2, ok := s2.removed[op]; !ok || *e2 != *e {
				t.Fatalf("removed entry %s differs", op)
			}
		}
	})
}

func FuzzDecodeVirtualRecord(f *testing.F) {
	_, _, virtuals := seedRecords(f)
	for _, s := range virtuals {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeVirtualRecord(b)
		if err != nil {
			return
		}
		if again := encodeVirtualRecord(v); !bytes.Equal(again, b) {
			t.Fatalf("round trip differs")
		}
	})
}

// TestDecodersRejectDamage feeds truncated and altered records to the
// decoders.
func TestDecodersRejectDamage(t *testing.T) {
	index, diffs, virtuals := seedRecords(t)
	for _, set := range []struct {
		name   string
		recs   [][]byte
		decode func([]byte) error
	}{
		{"index", index, func(b []byte) error { _, err := decodeIndexRecord(b); return err }},
		{"diff", diffs, func(b []byte) error { _, err := decodePastDiff(b); return err }},
		{"virtual", virtuals, func(b []byte) error { _, err := decodeVirtualRecord(b); return err }},
	} {
		for _, rec := range set.recs {
			if err := set.decode(rec); err != nil {
				t.Fatalf("%s: valid record: %v", set.name, err)
			}
			for cut := 0; cut < len(rec); cut += 1 + len(rec)/50 {
				if err := set.decode(rec[:cut]); err == nil {
					t.Fatalf("%s: record cut to %d of %d bytes decoded", set.name, cut, len(rec))
				}
			}
			if err := set.decode(append(append([]byte(nil), rec...), 0)); err == nil {
				t.Fatalf("%s: record with a trailing byte decoded", set.name)
			}
		}
	}
	// A count far beyond the record's size.
	if _, err := decodePastDiff([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); err == nil {
		t.Fatalf("huge count decoded")
	}
	if _, err := decodeUTXOEntry(make([]byte, utxoEntrySize-1)); err == nil {
		t.Fatalf("short utxo entry decoded")
	}
	bad := make([]byte, utxoEntrySize)
	bad[utxoEntrySize-1] = 0x80
	if _, err := decodeUTXOEntry(bad); err == nil {
		t.Fatalf("utxo entry with unknown flags decoded")
	}
	_ = big.NewInt
}

// TestWriteFuzzSeeds writes the seed records to testdata/fuzz when
// BLOCKDAG_WRITE_FUZZ_SEEDS is set, so the corpus follows format changes.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("BLOCKDAG_WRITE_FUZZ_SEEDS") == "" {
		t.Skip("set BLOCKDAG_WRITE_FUZZ_SEEDS=1 to rewrite the seed corpus")
	}
	index, diffs, virtuals := seedRecords(t)
	for name, recs := range map[string][][]byte{
		"FuzzDecodeIndexRecord":   index[:min(3, len(index))],
		"FuzzDecodePastDiff":      diffs[:min(3, len(diffs))],
		"FuzzDecodeVirtualRecord": virtuals,
	} {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0755); err != nil {
			t.Fatal(err)
		}
		for i, r := range recs {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", r)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%d", i)), []byte(body), 0644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
