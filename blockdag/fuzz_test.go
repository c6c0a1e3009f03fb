package blockdag

import (
	"bytes"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/soterdag/soterd/database"
)

// The stored records are read back only by this package, but a damaged
// disk can hand the decoders anything: they must fail cleanly, never panic
// or allocate beyond the record's size, and what they accept must encode
// back to the same bytes.

// seedRecords returns real encodings of each record kind from a small DAG.
func seedRecords(t testing.TB) (index, diffs, virtuals [][]byte) {
	recs := seedRecordKinds(t)
	return recs["index"], recs["diff"], recs["virtual"]
}

// seedRecordKinds returns real encodings of every stored record kind from a
// small DAG, read from its store.
func seedRecordKinds(t testing.TB) map[string][][]byte {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	c.mine("B", "A")
	c.mine("C", "A")
	tx := spendTx(t, []spendable{c.coinbaseOut("A", 0)}, 1000, 2000)
	c.mineWith("D", withTxs(tx), "B", "C")
	d := c.dag
	out := map[string][][]byte{}
	for kind, bucket := range map[string]database.Bucket{
		"index": database.BucketBlockIndex,
		"diff":  database.BucketUndo,
		"chain": database.BucketOrder,
	} {
		it := d.db.NewIterator([]byte{byte(bucket)})
		for it.Next() {
			out[kind] = append(out[kind], it.Value())
		}
		it.Release()
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for kind, key := range map[string][]byte{"virtual": virtualStateKey, "commitment": commitmentKey} {
		v, err := d.db.Get(key)
		if err != nil {
			t.Fatal(err)
		}
		out[kind] = append(out[kind], v)
	}
	return out
}

func FuzzDecodeIndexRecord(f *testing.F) {
	index, _, _ := seedRecords(f)
	for _, s := range index {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := decodeNodeRecord(b)
		if err != nil {
			return
		}
		if again := encodeNodeRecord(n); !bytes.Equal(again, b) {
			t.Fatalf("round trip differs")
		}
	})
}

func FuzzDecodeCommitmentRecord(f *testing.F) {
	for _, s := range seedRecordKinds(f)["commitment"] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCommitmentRecord(b)
		if err != nil {
			return
		}
		if again := encodeCommitmentRecord(c); !bytes.Equal(again, b) {
			t.Fatalf("round trip differs")
		}
	})
}

func FuzzDecodeChainEntry(f *testing.F) {
	for _, s := range seedRecordKinds(f)["chain"] {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := decodeChainEntry(b); err == nil {
			if again := encodeChainEntry(&e); !bytes.Equal(again, b) {
				t.Fatalf("chain entry round trip differs")
			}
		}
	})
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
		pd := &pastDiff{diff: &utxoDiff{removed: s.removed, added: s.added}}
		for i, h := range s.blocks {
			pd.accepted = append(pd.accepted, blockAcceptance{
				hash: h, txCount: s.txCount[i], bits: s.bits[i]})
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
	recs := seedRecordKinds(t)
	for _, set := range []struct {
		name   string
		recs   [][]byte
		decode func([]byte) error
	}{
		{"index", recs["index"], func(b []byte) error { _, err := decodeNodeRecord(b); return err }},
		{"diff", recs["diff"], func(b []byte) error { _, err := decodePastDiff(b); return err }},
		{"virtual", recs["virtual"], func(b []byte) error { _, err := decodeVirtualRecord(b); return err }},
		{"chain", recs["chain"], func(b []byte) error { _, err := decodeChainEntry(b); return err }},
		{"commitment", recs["commitment"], func(b []byte) error { _, err := decodeCommitmentRecord(b); return err }},
	} {
		if len(set.recs) == 0 {
			t.Fatalf("%s: no records to test", set.name)
		}
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
	kinds := seedRecordKinds(t)
	for name, recs := range map[string][][]byte{
		"FuzzDecodeIndexRecord":      kinds["index"][:min(3, len(kinds["index"]))],
		"FuzzDecodePastDiff":         kinds["diff"][:min(3, len(kinds["diff"]))],
		"FuzzDecodeVirtualRecord":    kinds["virtual"],
		"FuzzDecodeChainEntry":       kinds["chain"][:min(3, len(kinds["chain"]))],
		"FuzzDecodeCommitmentRecord": kinds["commitment"],
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
