package blockdag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// pruneTestParams returns parameters with short finality and merge
// depths, so a few hundred blocks prune many times.
func pruneTestParams() *Params {
	p := testParams()
	p.FinalityDepth = 40
	p.MergeDepth = 20
	return p
}

// storedBodyAndDiffBytes adds up the values of the block and past diff
// buckets: what pruning bounds.
func storedBodyAndDiffBytes(t *testing.T, db *database.DB) int64 {
	t.Helper()
	var n int64
	for _, b := range []database.Bucket{database.BucketBlocks, database.BucketUndo} {
		it := db.NewIterator([]byte{byte(b)})
		for it.Next() {
			n += int64(len(it.Value()))
		}
		err := it.Err()
		it.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// TestPruneMatchesArchive feeds the same random DAG, with transactions,
// side branches and a late block below the pruned heights, to an archive
// DAG and a pruned one, and checks that they agree on tips, order, virtual
// and UTXO commitment at every step while the pruned one deletes old
// bodies several times; then it checks what a pruned store answers and
// how it reopens.
func TestPruneMatchesArchive(t *testing.T) {
	params := pruneTestParams()
	target := MinPruneBytes(params)

	archive := newTestChain(t, params)
	rng := rand.New(rand.NewSource(7))
	var names []string
	states := map[uint64]dagState{}
	for i := 0; i < 30; i++ {
		names = append(names, randomDAG(t, archive, rng, fmt.Sprintf("R%02d_", i), 20)...)
		states[archive.dag.BlockCount()] = stateOf(t, archive.dag)
	}

	pruned := newTestChain(t, params)
	pruned.cfg.PruneBytes = target
	pruned.reopen()
	pruned.dag.commitmentEvery = 25
	lowests := map[uint32]bool{}
	for _, name := range names {
		if _, err := pruned.dag.ProcessBlock(archive.blocks[name], BFNone); err != nil {
			t.Fatalf("block %s: %v", name, err)
		}
		if want, ok := states[pruned.dag.BlockCount()]; ok {
			pruned.dag.pruner.flush()
			if diff := stateOf(t, pruned.dag).equal(want); diff != "" {
				t.Fatalf("after %d blocks: %s", pruned.dag.BlockCount(), diff)
			}
			lowests[pruned.dag.PruneInfo().LowestHeight] = true
		}
	}
	info := pruned.dag.PruneInfo()
	if !info.Pruned || info.TargetBytes != target || info.LowestHeight == 0 {
		t.Fatalf("prune info %+v: want pruned to target %d above height 0", info, target)
	}
	t.Logf("prune info %+v, limit heights seen %v", info, lowests)
	if len(lowests) < 4 {
		t.Fatalf("pruned at %d distinct heights, want several", len(lowests))
	}

	// The tally is the stored bytes, and they are within the target
	// unless the window alone takes more.
	actual := storedBodyAndDiffBytes(t, pruned.db)
	if r := int64(info.RetainedBytes); r < actual*9/10 || r > actual*11/10 {
		t.Errorf("tally %d bytes, store holds %d", r, actual)
	}
	limit, err := pruned.dag.pruneLimit(pruned.dag.finalityPos)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(actual) > target && info.LowestHeight < limit {
		t.Errorf("%d bytes retained above the %d target, yet pruning stopped at height %d "+
			"below the limit %d", actual, target, info.LowestHeight, limit)
	}
	if err := checkStoredIndex(pruned.dag); err != nil {
		t.Fatal(err)
	}

	// Below the lowest height: the block is known, its body pruned.
	_, err = pruned.dag.BlockByHash(&params.GenesisHash)
	if !errors.Is(err, ErrBlockPruned) || !strings.Contains(err.Error(), "archive node") {
		t.Fatalf("getblock of genesis: %v, want ErrBlockPruned naming what to do", err)
	}
	tip := pruned.dag.Tips()[0]
	if _, err := pruned.dag.BlockByHash(&tip); err != nil {
		t.Fatalf("getblock of a tip: %v", err)
	}

	// A late block on a pruned height is kept pending (its checks need
	// node records only), and a block merging it breaks the merge depth
	// rule before anything reads a pruned body: the same verdicts as the
	// archive.
	old := archive.names[mustChainHash(t, archive.dag, 2)]
	archive.build("LATE", []string{old}, blockOpts{})
	archive.accept("LATE")
	if _, err := pruned.dag.ProcessBlock(archive.blocks["LATE"], BFNone); err != nil {
		t.Fatalf("late block: %v", err)
	}
	merge := []string{archive.name(archive.dag.Tips()[0]), "LATE"}
	archive.build("MERGE", merge, blockOpts{})
	archive.reject("MERGE", ErrMergeDepth)
	if _, err := pruned.dag.ProcessBlock(archive.blocks["MERGE"], BFNone); !errors.Is(err, ErrMergeDepth) {
		t.Fatalf("block merging the late block: %v, want ErrMergeDepth", err)
	}
	if diff := stateOf(t, pruned.dag).equal(stateOf(t, archive.dag)); diff != "" {
		t.Fatalf("after the late block: %s", diff)
	}

	// A clean restart measures the same bytes and keeps pruning.
	pruned.reopen()
	pruned.dag.pruner.flush()
	if got := pruned.dag.PruneInfo(); got.LowestHeight != info.LowestHeight {
		t.Errorf("reopened with lowest height %d, want %d", got.LowestHeight, info.LowestHeight)
	}
	if diff := stateOf(t, pruned.dag).equal(stateOf(t, archive.dag)); diff != "" {
		t.Fatalf("after reopening: %s", diff)
	}

	// A pruned store cannot become an archive again.
	pruned.close()
	db, err := database.Open(pruned.dir, &database.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = New(&Config{DB: db, Params: params})
	if err == nil || !strings.Contains(err.Error(), "was pruned below height") {
		t.Fatalf("archive open of a pruned store: %v, want a refusal", err)
	}
}

// mustChainHash returns the hash at a position of d's selected chain.
func mustChainHash(t *testing.T, d *BlockDAG, pos uint64) wire.Hash {
	t.Helper()
	d.stateLock.RLock()
	defer d.stateLock.RUnlock()
	h, err := d.chain.hashAt(pos)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestPruneArchiveToPruned turns pruning on for an archive store: the
// first start prunes it down, and the DAG is unchanged.
func TestPruneArchiveToPruned(t *testing.T) {
	params := pruneTestParams()
	c := newTestChain(t, params)
	rng := rand.New(rand.NewSource(11))
	randomDAG(t, c, rng, "A", 400)
	want := stateOf(t, c.dag)
	before := storedBodyAndDiffBytes(t, c.db)

	c.cfg.PruneBytes = MinPruneBytes(params)
	c.reopen()
	c.dag.pruner.flush()
	if info := c.dag.PruneInfo(); info.LowestHeight == 0 {
		t.Fatalf("nothing pruned: %+v", info)
	}
	after := storedBodyAndDiffBytes(t, c.db)
	if after >= before/2 {
		t.Errorf("bodies and diffs went from %d to %d bytes only", before, after)
	}
	if diff := stateOf(t, c.dag).equal(want); diff != "" {
		t.Fatal(diff)
	}
	// It keeps validating blocks.
	randomDAG(t, c, rng, "B", 50)
	if err := checkStoredIndex(c.dag); err != nil {
		t.Fatal(err)
	}
}

// TestPruneConfig checks the refused configurations.
func TestPruneConfig(t *testing.T) {
	params := pruneTestParams()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"below the minimum", Config{PruneBytes: MinPruneBytes(params) - 1},
			fmt.Sprintf("minimum of %d", MinPruneBytes(params))},
		{"with the transaction index", Config{PruneBytes: MinPruneBytes(params), TxIndex: true},
			"transaction index cannot be kept with pruning"},
	}
	for _, test := range tests {
		db, err := database.Open(t.TempDir(), &database.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		cfg := test.cfg
		cfg.DB, cfg.Params = db, params
		d, err := New(&cfg)
		if err == nil {
			d.Close()
		}
		db.Close()
		if err == nil || !strings.Contains(err.Error(), test.wantErr) {
			t.Errorf("%s: got %v, want an error containing %q", test.name, err, test.wantErr)
		}
	}
	if got := MinPruneMiB(MainNetParams()); got < 1 {
		t.Errorf("mainnet minimum %d MiB", got)
	}
}

// FuzzDecodePruneRecord checks that the pruned record decoder never panics
// and round-trips what it accepts.
func FuzzDecodePruneRecord(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0})
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodePruneRecord(b)
		if err != nil {
			return
		}
		if got := encodePruneRecord(h); string(got) != string(b) {
			t.Fatalf("round trip: %x -> %d -> %x", b, h, got)
		}
	})
}

// TestPruneCrash is the crash test with pruning on: children that prune
// every few blocks are killed at random points, and every reopened store
// must match the reference and hold the body of every block from its
// lowest retained height up and none below.
func TestPruneCrash(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("child process")
	}
	pruned := false
	crashEpisodes(t, true, func(d *BlockDAG) error {
		lowest := d.PruneInfo().LowestHeight
		pruned = pruned || lowest > 0
		it := d.db.NewIterator([]byte{byte(database.BucketHeights)})
		defer it.Release()
		for it.Next() {
			k := it.Key()
			height := binary.BigEndian.Uint32(k[1:])
			h := wire.Hash(k[5:])
			have, err := d.db.Has(blockKey(&h))
			if err != nil {
				return err
			}
			if have != (height >= lowest) {
				return fmt.Errorf("block %s at height %d: body stored %v, lowest retained height %d",
					h, height, have, lowest)
			}
		}
		return it.Err()
	})
	if !pruned {
		t.Fatal("no reopened store was pruned")
	}
}
