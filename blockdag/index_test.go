package blockdag

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// checkStoredIndex reads every record of the stored block index straight
// from the store, past the node cache, and checks that the records agree
// with each other: the state record's counters, the height index, children
// and tips, the reachability tree and future covering sets (against pasts
// computed by walking parents), and the selected chain with its order
// positions. It is meant for small DAGs: it loads the whole index.
func checkStoredIndex(d *BlockDAG) error {
	d.processLock.Lock()
	defer d.processLock.Unlock()
	db := d.db
	nodes := map[wire.Hash]*blockNode{}
	it := db.NewIterator([]byte{byte(database.BucketBlockIndex)})
	for it.Next() {
		h := wire.Hash(it.Key()[1:])
		n, err := loadNode(db, h)
		if err != nil {
			it.Release()
			return err
		}
		nodes[h] = n
	}
	it.Release()
	if err := it.Err(); err != nil {
		return err
	}
	b, err := db.Get(virtualStateKey)
	if err != nil {
		return err
	}
	vrec, err := decodeVirtualRecord(b)
	if err != nil {
		return err
	}
	st := &vrec.dag
	if st.blockCount != uint64(len(nodes)) {
		return fmt.Errorf("state record counts %d blocks, the index holds %d", st.blockCount, len(nodes))
	}
	var maxHeight uint32
	for _, n := range nodes {
		maxHeight = max(maxHeight, n.height)
	}
	if st.maxHeight != maxHeight {
		return fmt.Errorf("state record max height %d, index %d", st.maxHeight, maxHeight)
	}

	// Heights, children and tips.
	keys := func(bucket database.Bucket) (map[string]bool, error) {
		out := map[string]bool{}
		it := db.NewIterator([]byte{byte(bucket)})
		defer it.Release()
		for it.Next() {
			out[string(it.Key())] = true
		}
		return out, it.Err()
	}
	heights, err := keys(database.BucketHeights)
	if err != nil {
		return err
	}
	hasChild := map[wire.Hash]bool{}
	for h, n := range nodes {
		if !heights[string(heightKey(n.height, &h))] {
			return fmt.Errorf("block %s is missing from the height index", h)
		}
		for i := range n.parents {
			hasChild[n.parents[i]] = true
		}
	}
	if len(heights) != len(nodes) {
		return fmt.Errorf("%d height keys for %d blocks", len(heights), len(nodes))
	}
	// The tips are the valid blocks with no valid block in their future;
	// pending blocks (pending.go) do not count.
	covered := map[wire.Hash]bool{}
	for _, n := range nodes {
		if n.status != statusValid {
			continue
		}
		queue := append([]wire.Hash(nil), n.parents...)
		for len(queue) > 0 {
			h := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if covered[h] {
				continue
			}
			covered[h] = true
			queue = append(queue, nodes[h].parents...)
		}
	}
	var wantTips []wire.Hash
	for h, n := range nodes {
		if n.status == statusValid && !covered[h] {
			wantTips = append(wantTips, h)
		}
	}
	gotTips := append([]wire.Hash(nil), st.tips...)
	byHash := func(a, b wire.Hash) int { return a.Compare(&b) }
	slices.SortFunc(gotTips, byHash)
	slices.SortFunc(wantTips, byHash)
	fpRec, err := db.Get(chainKey(st.finalityPos))
	if err != nil {
		return fmt.Errorf("finality position %d: %w", st.finalityPos, err)
	}
	fpEntry, err := decodeChainEntry(fpRec)
	if err != nil {
		return err
	}
	fpHash := fpEntry.hash
	for _, h := range wantTips {
		if _, ok := slices.BinarySearchFunc(gotTips, h, byHash); ok {
			continue
		}
		// A block validated only when something merged it, which was
		// then rejected, is not a tip: its selected chain does not hold
		// the finality point, so the virtual could not choose it.
		if isTreeAncestorOrSelf(nodes[fpHash], nodes[h]) {
			return fmt.Errorf("valid block %s has no valid block in its future but is not a tip", h)
		}
	}
	for _, h := range gotTips {
		if _, ok := slices.BinarySearchFunc(wantTips, h, byHash); !ok {
			return fmt.Errorf("stored tip %s is not valid or has a valid block in its future", h)
		}
	}
	// Children as BlockInfo derives them from the reachability data.
	for h, n := range nodes {
		var want []wire.Hash
		for c, cn := range nodes {
			if slices.Contains(cn.parents, h) {
				want = append(want, c)
			}
		}
		slices.SortFunc(want, byHash)
		got, err := d.childrenOf(n)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("block %s: %d children derived, %d in the index", h, len(got), len(want))
		}
	}

	// Reachability: the tree follows selected parents, children lie in
	// their parent's interval in order, and the future covering sets are
	// exactly the blocks that merged a block through a non-selected edge.
	src := mapSource(nodes)
	wantFCS := map[wire.Hash][]wire.Hash{}
	for h, n := range nodes {
		for _, m := range n.blues[min(1, len(n.blues)):] {
			wantFCS[m] = append(wantFCS[m], h)
		}
		for _, m := range n.reds {
			wantFCS[m] = append(wantFCS[m], h)
		}
	}
	for h, n := range nodes {
		if n.isGenesis() {
			if h != d.params.GenesisHash {
				return fmt.Errorf("block %s has no selected parent", h)
			}
		} else {
			p := nodes[n.selectedParent]
			if p == nil || !slices.Contains(p.reach.treeChildren, h) {
				return fmt.Errorf("block %s is not a tree child of its selected parent", h)
			}
			if !isTreeAncestorOrSelf(p, n) || isTreeAncestorOrSelf(n, p) {
				return fmt.Errorf("block %s's interval is not inside its selected parent's", h)
			}
		}
		for i := 1; i < len(n.reach.treeChildren); i++ {
			a, b := nodes[n.reach.treeChildren[i-1]], nodes[n.reach.treeChildren[i]]
			if a == nil || b == nil || a.reach.end >= b.reach.start {
				return fmt.Errorf("tree children of %s overlap or are missing", h)
			}
		}
		got := append([]wire.Hash(nil), n.reach.fcs...)
		want := wantFCS[h]
		slices.SortFunc(got, func(a, b wire.Hash) int { return a.Compare(&b) })
		slices.SortFunc(want, func(a, b wire.Hash) int { return a.Compare(&b) })
		if !slices.Equal(got, want) {
			return fmt.Errorf("future covering set of %s: %d blocks, want %d", h, len(got), len(want))
		}
		for i := 1; i < len(n.reach.fcs); i++ {
			if nodes[n.reach.fcs[i-1]].reach.start >= nodes[n.reach.fcs[i]].reach.start {
				return fmt.Errorf("future covering set of %s is not sorted", h)
			}
		}
	}
	pasts := map[wire.Hash]map[wire.Hash]bool{}
	var pastOf func(h wire.Hash) map[wire.Hash]bool
	pastOf = func(h wire.Hash) map[wire.Hash]bool {
		if p, ok := pasts[h]; ok {
			return p
		}
		p := map[wire.Hash]bool{}
		for _, q := range nodes[h].parents {
			p[q] = true
			for x := range pastOf(q) {
				p[x] = true
			}
		}
		pasts[h] = p
		return p
	}
	for a, na := range nodes {
		for b, nb := range nodes {
			got, err := isAncestor(src, na, nb)
			if err != nil {
				return err
			}
			if want := pastOf(b)[a]; got != want {
				return fmt.Errorf("isAncestor(%s, %s) = %v, want %v", a, b, got, want)
			}
		}
	}

	// The selected chain.
	var chain []wire.Hash
	for h := d.virtual.selectedParent; ; {
		chain = append(chain, h)
		n := nodes[h]
		if n == nil {
			return fmt.Errorf("chain block %s is not in the index", h)
		}
		if n.isGenesis() {
			break
		}
		h = n.selectedParent
	}
	slices.Reverse(chain)
	if st.chainLen != uint64(len(chain)) {
		return fmt.Errorf("state record chain length %d, the virtual's chain has %d", st.chainLen, len(chain))
	}
	stored, err := keys(database.BucketOrder)
	if err != nil {
		return err
	}
	if len(stored) != len(chain) {
		return fmt.Errorf("%d chain records for a chain of %d", len(stored), len(chain))
	}
	prefix := uint64(0)
	for i, h := range chain {
		v, err := db.Get(chainKey(uint64(i)))
		if err != nil {
			return fmt.Errorf("chain position %d: %w", i, err)
		}
		e, err := decodeChainEntry(v)
		if err != nil {
			return err
		}
		if i > 0 {
			prefix += uint64(nodes[h].mergeSetSize())
		}
		if e.hash != h || e.prefix != prefix || e.blueScore != nodes[h].blueScore {
			return fmt.Errorf("chain position %d: %+v, want %s prefix %d", i, e, h, prefix)
		}
	}
	// The finality point is on the chain (checked above with the
	// positions); its depth follows the highest blue score the virtual
	// has had, which TestFinality checks.
	return nil
}

// mapSource is a nodeSource over a map, for checks that bypass the cache.
type mapSource map[wire.Hash]*blockNode

func (m mapSource) node(h wire.Hash) (*blockNode, error) {
	if n, ok := m[h]; ok {
		return n, nil
	}
	return nil, fmt.Errorf("no block %s", h)
}

func (m mapSource) markDirty(*blockNode) {}

// TestStoredIndex checks the stored index of random DAGs after growth and
// after a restart, with a node cache small enough that most lookups go to
// the store.
func TestStoredIndex(t *testing.T) {
	for seed := int64(1); seed <= 2; seed++ {
		c := newTestChain(t, testParams())
		c.cfg.CacheBytes = MinCacheBytes
		c.reopen()
		// A node cache of a few nodes: force generations often.
		c.dag.nodes.genCost = 2000
		rng := rand.New(rand.NewSource(seed))
		randomDAG(t, c, rng, "R", 120)
		if err := checkStoredIndex(c.dag); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		before := stateOf(t, c.dag)
		c.reopen()
		if diff := stateOf(t, c.dag).equal(before); diff != "" {
			t.Fatalf("seed %d: after restart: %s", seed, diff)
		}
		if err := checkStoredIndex(c.dag); err != nil {
			t.Fatalf("seed %d: after restart: %v", seed, err)
		}
		nodes, _, hits, misses := c.dag.nodes.stats()
		t.Logf("seed %d: %d blocks, %d cached nodes, %d hits, %d misses",
			seed, c.dag.BlockCount(), nodes, hits, misses)
	}
}

// wantFinalityPoint computes the finality point from the public API: the
// selected chain block with the highest blue score at most blueScore (the
// highest the virtual has had) minus the depth.
func wantFinalityPoint(t *testing.T, d *BlockDAG, blueScore uint64) wire.Hash {
	t.Helper()
	v := d.VirtualInfo()
	limit := int64(blueScore) - int64(d.params.FinalityDepth)
	want := d.params.GenesisHash
	for i := uint64(0); i < v.ChainHeight; i++ {
		h, err := d.SelectedChainBlock(i)
		if err != nil {
			t.Fatal(err)
		}
		info, err := d.BlockInfo(&h)
		if err != nil {
			t.Fatal(err)
		}
		if int64(info.BlueScore) <= limit {
			want = h
		}
	}
	return want
}

// TestFinality grows a chain past a small finality depth and checks the
// finality rule: the finality point follows the virtual's chain, a fork
// from above it can win a reorganisation, a heavier fork from below it is
// stored (blocks stay valid) but never becomes the virtual's chain, and the
// finality point survives a restart.
func TestFinality(t *testing.T) {
	params := testParams()
	params.FinalityDepth = 10
	params.MergeDepth = 9
	c := newTestChain(t, params)
	// The finality point follows the highest blue score the virtual has
	// had: when a virtual move drops a merged tip (one that became too
	// old to merge), the virtual's blue score can go down, and the
	// finality point does not.
	var maxBlueScore uint64
	expectFinality := func(when string) {
		t.Helper()
		fp, _, err := c.dag.FinalityPoint()
		if err != nil {
			t.Fatal(err)
		}
		maxBlueScore = max(maxBlueScore, c.dag.VirtualInfo().BlueScore)
		if want := wantFinalityPoint(t, c.dag, maxBlueScore); fp != want {
			t.Fatalf("%s: finality point %s, want %s", when, c.name(fp), c.name(want))
		}
	}
	expectSelected := func(name string) {
		t.Helper()
		if got := c.dag.VirtualInfo().SelectedParent; c.name(got) != name {
			t.Fatalf("virtual selected parent %s, want %s", c.name(got), name)
		}
	}
	prev := "genesis"
	for i := 1; i <= 30; i++ {
		name := fmt.Sprintf("A%02d", i)
		c.mine(name, prev)
		prev = name
		expectFinality(name)
	}
	fp, score, err := c.dag.FinalityPoint()
	if err != nil {
		t.Fatal(err)
	}
	// Blue scores along a chain are heights; the virtual's is 31, so the
	// finality point is the chain block at blue score 31 - 10.
	if c.name(fp) != "A21" || score != 21 {
		t.Fatalf("finality point %s at blue score %d, want A21 at 21", c.name(fp), score)
	}

	// A fork from above the finality point wins when it grows heavier
	// (the virtual merges the fork's blocks meanwhile, so the finality
	// point keeps moving up the A chain until the fork takes over).
	prevB := "A28"
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("B%02d", i)
		c.mine(name, prevB)
		prevB = name
		expectFinality(name)
	}
	expectSelected("B06")
	fp, _, _ = c.dag.FinalityPoint()
	if info, err := c.dag.BlockInfo(&fp); err != nil || !info.IsChainBlock {
		t.Fatalf("finality point %s is not on the new chain", c.name(fp))
	}

	// A fork from far below the finality point is stored pending, without
	// UTXO validation (so without a past diff), and even when it has more
	// blue work the virtual stays: a finality conflict.
	prevX := "A05"
	for i := 1; i <= 40; i++ {
		name := fmt.Sprintf("X%02d", i)
		c.mine(name, prevX)
		prevX = name
	}
	xInfo, err := c.dag.BlockInfo(ptr(c.hash("X40")))
	if err != nil {
		t.Fatal(err)
	}
	vInfo := c.dag.VirtualInfo()
	if xInfo.BlueWork.Cmp(vInfo.BlueWork) <= 0 {
		t.Fatalf("the X fork (blue work %v) is not heavier than the virtual (%v)", xInfo.BlueWork, vInfo.BlueWork)
	}
	expectSelected("B06")
	expectFinality("X40")
	expectPending := func(when string) {
		t.Helper()
		for i := 1; i <= 40; i++ {
			h := c.hash(fmt.Sprintf("X%02d", i))
			info, err := c.dag.BlockInfo(&h)
			if err != nil {
				t.Fatal(err)
			}
			if info.Status != "pending" {
				t.Fatalf("%s: X%02d has status %q, want pending", when, i, info.Status)
			}
			if i == 1 {
				// X01 names A06's parent set, so it shares A06's
				// past diff.
				continue
			}
			has, err := c.db.Has(undoKey(pastKeyOf(info.Parents)))
			if err != nil || has {
				t.Fatalf("%s: X%02d has a past diff (%v): stage three ran", when, i, err)
			}
		}
	}
	expectPending("after the fork")
	c.expectTips("B06", "A30")
	if err := checkStoredIndex(c.dag); err != nil {
		t.Fatal(err)
	}

	c.reopen()
	fp2, _, err := c.dag.FinalityPoint()
	if err != nil || fp2 != fp {
		t.Fatalf("after restart: finality point %s (%v), want %s", c.name(fp2), err, c.name(fp))
	}
	expectSelected("B06")
	expectPending("after restart")
	c.mine("B07", "B06")
	expectSelected("B07")
	expectFinality("B07")
	if err := checkStoredIndex(c.dag); err != nil {
		t.Fatal(err)
	}
}

// ptr returns a pointer to a copy of h.
func ptr(h wire.Hash) *wire.Hash { return &h }

// TestStartReadsLittle checks that opening a store reads a bounded number
// of records, not the index: the node cache is empty but for what the
// virtual needs, however many blocks the DAG holds.
func TestStartReadsLittle(t *testing.T) {
	c := newTestChain(t, testParams())
	prev := "genesis"
	for i := 0; i < 600; i++ {
		name := fmt.Sprintf("C%03d", i)
		c.mine(name, prev)
		prev = name
	}
	c.reopen()
	nodes, _, _, misses := c.dag.nodes.stats()
	// The virtual's GHOSTDAG and median-time window need a few dozen
	// blocks; the chain tail is positions, not nodes.
	if nodes > 64 || misses > 64 {
		t.Fatalf("start loaded %d nodes (%d store reads) for a DAG of %d blocks",
			nodes, misses, c.dag.BlockCount())
	}
	if c.dag.BlockCount() != 601 {
		t.Fatalf("block count %d after restart", c.dag.BlockCount())
	}
}

// TestCommitmentReplay stops a DAG without Close, as a crash would, so the
// commitment record on disk belongs to an older virtual (genesis's here: it
// is written every commitmentInterval blocks), and checks that the reopened
// DAG replays the past diffs to the same commitment, also across a
// reorganisation of the virtual's chain.
func TestCommitmentReplay(t *testing.T) {
	c := newTestChain(t, testParams())
	rng := rand.New(rand.NewSource(7))
	randomDAG(t, c, rng, "R", 80)
	want := stateOf(t, c.dag)

	// Abandon the DAG without Close.
	c.dag.pool.close()
	c.dag = nil
	c.db.Close()
	c.db = nil
	c.open()
	if c.dag.sinceCommitment == 0 {
		t.Fatalf("the reopened DAG did not replay the commitment")
	}
	if diff := stateOf(t, c.dag).equal(want); diff != "" {
		t.Fatalf("after the replay: %s", diff)
	}
	// A clean close stores the commitment: the next start replays nothing.
	c.reopen()
	if c.dag.sinceCommitment != 0 {
		t.Fatalf("a start after Close replayed the commitment")
	}
	if diff := stateOf(t, c.dag).equal(want); diff != "" {
		t.Fatalf("after a clean restart: %s", diff)
	}
}

// TestCommitmentRecomputed turns a store into one from before the ChaCha8
// elements (its state under the old key, in another construction) and
// checks that the next start recomputes the commitment from the UTXO set,
// stores it under the new key and drops the old one; and that a UTXO set
// that disagrees with the virtual record is refused as corrupt.
func TestCommitmentRecomputed(t *testing.T) {
	c := newTestChain(t, testParams())
	randomDAG(t, c, rand.New(rand.NewSource(8)), "R", 60)
	want := stateOf(t, c.dag)

	makeOld := func() {
		t.Helper()
		c.close()
		db, err := database.Open(c.dir, &database.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := db.Get(commitmentKey)
		if err != nil {
			t.Fatalf("the new commitment key is not written: %v", err)
		}
		// Any other state stands for the old construction's.
		rec[len(rec)-1] ^= 0xff
		b := db.NewBatch()
		b.Put(legacyCommitmentKey, rec)
		b.Delete(commitmentKey)
		if err := db.Write(b); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	makeOld()
	c.open()
	if diff := stateOf(t, c.dag).equal(want); diff != "" {
		t.Fatalf("after the recomputation: %s", diff)
	}
	if ok, err := c.db.Has(legacyCommitmentKey); err != nil || ok {
		t.Fatalf("the old commitment key is still there (%v, %v)", ok, err)
	}
	c.reopen()
	if diff := stateOf(t, c.dag).equal(want); diff != "" {
		t.Fatalf("after a restart: %s", diff)
	}

	// One unspent output gone: the count no longer matches.
	makeOld()
	db, err := database.Open(c.dir, &database.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	it := db.NewIterator([]byte{byte(database.BucketUTXO)})
	if !it.Next() {
		t.Fatal("no UTXO records")
	}
	key := append([]byte(nil), it.Key()...)
	it.Release()
	if err := db.Delete(key); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = database.Open(c.dir, &database.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := c.cfg
	cfg.DB, cfg.Params = db, c.params
	if _, err := New(&cfg); !errors.Is(err, ErrCorruptState) || !strings.Contains(err.Error(), "virtual record says") {
		t.Fatalf("New over a UTXO set short of one output: %v, want %v", err, ErrCorruptState)
	}
}

// TestUTXOElementVector pins the multiset element's construction: a
// change of Go's ChaCha8 or of the encodings would change every node's
// commitment, and must be a deliberate one.
func TestUTXOElementVector(t *testing.T) {
	var op wire.OutPoint
	for i := range op.TxID {
		op.TxID[i] = byte(i)
	}
	op.Index = 7
	e := &UTXOEntry{Amount: 5_000_000_000, BlueScore: 42, IsCoinbase: true}
	e.PubKey[0] = 0x02
	var el element
	utxoElement(op, e, &el)
	got := fmt.Sprintf("%016x %016x %016x", el[0], el[1], el[63])
	const want = "91dbdef767a1a948 1cb10f48cb759edc 2217a5ac52668e51"
	if got != want {
		t.Fatalf("element words 0, 1, 63: %s, want %s", got, want)
	}
}

// TestMultisetArithmetic checks the state's addition and subtraction
// against math/big modulo 2^4096 on random values, carries and borrows
// across every word included.
func TestMultisetArithmetic(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	mod := new(big.Int).Lsh(big.NewInt(1), multisetWords*64)
	toBig := func(w *[multisetWords]uint64) *big.Int {
		b := new(big.Int)
		for i := multisetWords - 1; i >= 0; i-- {
			b.Lsh(b, 64)
			b.Or(b, new(big.Int).SetUint64(w[i]))
		}
		return b
	}
	word := func() uint64 {
		switch rng.Intn(4) {
		case 0:
			return ^uint64(0) // carries and borrows run through
		case 1:
			return 0
		}
		return rng.Uint64()
	}
	for i := 0; i < 500; i++ {
		var m multiset
		var e element
		for j := range m.w {
			m.w[j], e[j] = word(), word()
		}
		a, b := toBig(&m.w), toBig((*[multisetWords]uint64)(&e))
		sum := m
		sum.addElement(&e)
		if want := new(big.Int).Mod(new(big.Int).Add(a, b), mod); toBig(&sum.w).Cmp(want) != 0 {
			t.Fatalf("case %d: the sum differs from math/big's", i)
		}
		diff := m
		diff.subElement(&e)
		if want := new(big.Int).Mod(new(big.Int).Sub(a, b), mod); toBig(&diff.w).Cmp(want) != 0 {
			t.Fatalf("case %d: the difference differs from math/big's", i)
		}
		sum.subElement(&e)
		if sum != m {
			t.Fatalf("case %d: adding then subtracting an element changed the state", i)
		}
	}
}

// TestFlushAfterClose checks that Flush answers nil once the store is
// closed, since closing wrote the queue out: the RPC server flushes before
// every reply, and a reply during shutdown must not turn into an error.
func TestFlushAfterClose(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mine("A", "genesis")
	if err := c.dag.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	dag := c.dag
	c.close()
	if err := dag.Flush(); err != nil {
		t.Fatalf("Flush after Close: %v", err)
	}
}
