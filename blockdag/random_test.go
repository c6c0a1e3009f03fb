package blockdag

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/soterdag/soterd/wire"
)

// pastViewFor returns a view of the UTXO state of the past of a block with
// the given parents and that block's blue score, for test generators.
func (d *BlockDAG) pastViewFor(parentHashes []wire.Hash) (*utxoView, uint64, error) {
	d.processLock.Lock()
	defer d.processLock.Unlock()
	parents := make([]*blockNode, len(parentHashes))
	for i := range parentHashes {
		n, err := d.nodes.lookup(parentHashes[i])
		if err != nil {
			return nil, 0, err
		}
		if n == nil {
			return nil, 0, notFound(&parentHashes[i])
		}
		parents[i] = n
	}
	sort.Slice(parents, func(i, j int) bool { return parents[i].hash.Less(&parents[j].hash) })
	gd, err := d.gd.ghostdag(parents)
	if err != nil {
		return nil, 0, err
	}
	view, _, err := d.pastView(gd, pastKeyOf(hashesOf(parents)))
	return view, gd.blueScore, err
}

// randomDAG grows a random DAG with transactions on c: blocks name one to
// three recent tips, and spend random known outputs that exist in their
// past, so siblings often double spend. It returns the block names in the
// order they were accepted.
func randomDAG(t *testing.T, c *testChain, rng *rand.Rand, prefix string, nBlocks int) []string {
	t.Helper()
	var names []string
	var outs []spendable
	for i := 0; i < nBlocks; i++ {
		tips := c.dag.Tips()
		var parents []string
		n := 1 + rng.Intn(3)
		perm := rng.Perm(len(tips))
		for _, j := range perm[:min(n, len(perm))] {
			parents = append(parents, c.name(tips[j]))
		}
		if rng.Intn(8) == 0 && len(names) > 3 {
			// Sometimes build on an older block, making a side
			// branch (and a redundant parent is possible: drop it).
			parents = []string{names[len(names)-1-rng.Intn(min(len(names), 6))]}
		}
		hashes := make([]wire.Hash, len(parents))
		for j, p := range parents {
			hashes[j] = c.hash(p)
		}
		view, bs, err := c.dag.pastViewFor(hashes)
		if err != nil {
			t.Fatalf("past view: %v", err)
		}
		// Up to four spends of known outputs that exist in this past.
		var txs []*wire.MsgTx
		used := map[wire.OutPoint]bool{}
		for tries := 0; tries < 6 && len(txs) < 4 && len(outs) > 0; tries++ {
			o := outs[rng.Intn(len(outs))]
			if used[o.op] {
				continue
			}
			e, err := view.fetch(o.op)
			if err != nil {
				t.Fatal(err)
			}
			if e == nil || (e.IsCoinbase && bs < e.BlueScore+c.params.CoinbaseMaturity) {
				continue
			}
			used[o.op] = true
			half := o.out.Value / 2
			tx := spendTx(t, []spendable{o}, half, o.out.Value-half-uint64(rng.Intn(1000)))
			txs = append(txs, tx)
			outs = append(outs, txOut(tx, 0), txOut(tx, 1))
		}
		name := fmt.Sprintf("%s%03d", prefix, i)
		c.build(name, parents, withTxs(txs...))
		if _, err := c.process(name); err != nil {
			t.Fatalf("block %s on %v: %v", name, parents, err)
		}
		names = append(names, name)
		outs = append(outs, c.coinbaseOut(name, 0))
	}
	return names
}

// naiveUTXO applies the virtual's past in GHOSTDAG order from scratch with
// the acceptance rules, independently of the DAG's diffs, and returns the
// resulting set.
func naiveUTXO(t *testing.T, d *BlockDAG) (map[wire.OutPoint]UTXOEntry, int) {
	t.Helper()
	order, err := d.Order(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	set := make(map[wire.OutPoint]UTXOEntry)
	rejected := 0
	for _, ob := range order {
		block, err := d.BlockByHash(&ob.Hash)
		if err != nil {
			t.Fatal(err)
		}
		info, err := d.BlockInfo(&ob.Hash)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range block.Transactions {
			id := tx.TxID()
			if tx.IsCoinBase() {
				exists := false
				for i := range tx.TxOut {
					if _, ok := set[wire.OutPoint{TxID: id, Index: uint32(i)}]; ok {
						exists = true
					}
				}
				if exists {
					continue
				}
			} else {
				entries := make([]*UTXOEntry, len(tx.TxIn))
				ok := true
				for i, in := range tx.TxIn {
					e, found := set[in.PreviousOutPoint]
					if !found {
						ok = false
						break
					}
					entries[i] = &e
				}
				if !ok {
					rejected++
					continue
				}
				if _, err := CheckTransactionInputs(tx, info.BlueScore, entries, d.params); err != nil {
					rejected++
					continue
				}
				for _, in := range tx.TxIn {
					delete(set, in.PreviousOutPoint)
				}
			}
			for i, out := range tx.TxOut {
				set[wire.OutPoint{TxID: id, Index: uint32(i)}] = UTXOEntry{
					Amount: out.Value, PubKey: out.PubKey, BlueScore: info.BlueScore,
					IsCoinbase: tx.IsCoinBase(),
				}
			}
		}
	}
	return set, rejected
}

// dagState is what two DAGs fed the same blocks must agree on.
type dagState struct {
	tips       []wire.Hash
	order      []OrderedBlock
	commitment wire.Hash
	count      uint64
	total      uint64
	virtual    VirtualInfo
}

func stateOf(t *testing.T, d *BlockDAG) dagState {
	t.Helper()
	order, err := d.Order(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	count, total, commitment := d.UTXOStats()
	return dagState{tips: d.Tips(), order: order, commitment: commitment,
		count: count, total: total, virtual: *d.VirtualInfo()}
}

func (s dagState) equal(o dagState) string {
	switch {
	case fmt.Sprint(s.tips) != fmt.Sprint(o.tips):
		return "tips differ"
	case fmt.Sprint(s.order) != fmt.Sprint(o.order):
		return "order differs"
	case s.commitment != o.commitment || s.count != o.count || s.total != o.total:
		return "utxo set differs"
	case fmt.Sprint(s.virtual) != fmt.Sprint(o.virtual):
		return fmt.Sprintf("virtual differs: %+v vs %+v", s.virtual, o.virtual)
	}
	return ""
}

// TestRandomDAGConsistency grows random DAGs with double spends and checks
// the virtual's UTXO set against a from-scratch replay of the order, a
// second DAG fed the blocks in another topological order, and a restart.
func TestRandomDAGConsistency(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewSource(seed))
		c := newTestChain(t, testParams())
		names := randomDAG(t, c, rng, "R", 60)
		want := stateOf(t, c.dag)

		// From scratch.
		set, rejected := naiveUTXO(t, c.dag)
		t.Logf("seed %d: %d blocks, %d entries, %d transactions not accepted", seed, len(want.order), len(set), rejected)
		var ms multiset
		var total uint64
		for op, e := range set {
			e := e
			ms.addEntry(op, &e)
			total += e.Amount
			got, ok := c.dag.FetchUTXO(op)
			if !ok || *got != e {
				t.Fatalf("seed %d: FetchUTXO(%s) = %v %v, replay has %v", seed, op, got, ok, e)
			}
		}
		if ms.hash() != want.commitment || uint64(len(set)) != want.count || total != want.total {
			t.Fatalf("seed %d: commitment/count/total differ from the replay (%d vs %d entries)",
				seed, want.count, len(set))
		}

		// Another feeding order: a random topological order, with
		// some blocks sent before their parents (orphans).
		// Its node cache holds a few nodes, so nearly every lookup
		// reads the store and generations turn over at every block.
		other := newTestChain(t, testParams())
		other.dag.nodes.genCost = 2000
		for _, n := range names {
			other.blocks[n] = c.blocks[n]
			other.hashes[n] = c.hashes[n]
			other.names[c.hashes[n]] = n
		}
		shuffled := append([]string(nil), names...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for _, n := range shuffled {
			if _, err := other.process(n); err != nil {
				t.Fatalf("seed %d: other DAG, block %s: %v", seed, n, err)
			}
		}
		if other.dag.OrphanCount() != 0 {
			t.Fatalf("seed %d: %d orphans left", seed, other.dag.OrphanCount())
		}
		if diff := stateOf(t, other.dag).equal(want); diff != "" {
			t.Fatalf("seed %d: other feeding order: %s", seed, diff)
		}
		if err := checkStoredIndex(other.dag); err != nil {
			t.Fatalf("seed %d: other feeding order: %v", seed, err)
		}

		c.reopen()
		if diff := stateOf(t, c.dag).equal(want); diff != "" {
			t.Fatalf("seed %d: after restart: %s", seed, diff)
		}
		// And it continues.
		randomDAG(t, c, rng, "S", 5)
	}
}
