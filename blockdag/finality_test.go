package blockdag

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/soterdag/soterd/wire"
)

// mineChain mines n blocks named prefix01.. on top of from, one per
// height, and returns the last name.
func (c *testChain) mineChain(prefix, from string, n int) string {
	c.t.Helper()
	prev := from
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("%s%02d", prefix, i)
		c.mine(name, prev)
		prev = name
	}
	return prev
}

// statusOf returns a named block's status as BlockInfo reports it.
func (c *testChain) statusOf(name string) string {
	c.t.Helper()
	h := c.hash(name)
	info, err := c.dag.BlockInfo(&h)
	if err != nil {
		c.t.Fatalf("block %s: %v", name, err)
	}
	return info.Status
}

// TestMergeDepth checks the bounded merge depth rule: a block may merge a
// block only when the latter's selected chain holds the former's merge
// depth root, and the virtual (so every template) keeps the rule too.
func TestMergeDepth(t *testing.T) {
	params := testParams()
	params.FinalityDepth = 40
	params.MergeDepth = 10
	c := newTestChain(t, params)
	c.mineChain("A", "genesis", 20)

	// S forks at A05: with 20 blocks on the chain, a block on A20 has
	// blue score 21 + (S's blueness), so its merge depth root is at
	// blue score 11 or 12, above S's fork.
	c.mine("S", "A05")
	if got := c.dag.VirtualInfo().Parents; slices.Contains(got, c.hash("S")) {
		t.Fatalf("the virtual merges S, which is beyond the merge depth")
	}
	tmpl := c.dag.TemplateInfo()
	if len(tmpl.Parents) != 1 || tmpl.Parents[0] != c.hash("A20") {
		t.Fatalf("template parents %v, want A20 alone", tmpl.Parents)
	}
	c.build("M", []string{"A20", "S"}, blockOpts{})
	c.reject("M", ErrMergeDepth)

	// T forks at A15, within the merge depth: the virtual merges it and
	// so may a block.
	c.mine("T", "A15")
	if got := c.dag.VirtualInfo().Parents; !slices.Contains(got, c.hash("T")) {
		t.Fatalf("the virtual does not merge T: parents %v", got)
	}
	c.mine("N", "A20", "T")
	c.expectTips("N", "S")
	if err := checkStoredIndex(c.dag); err != nil {
		t.Fatal(err)
	}
}

// TestPendingBelowFinality checks blocks whose selected chain forks below
// the finality point: they are stored pending without UTXO validation, and
// validated when a block that extends the virtual's chain merges them, with
// the same verdict as a node that validated them on arrival.
func TestPendingBelowFinality(t *testing.T) {
	params := testParams()
	params.FinalityDepth = 20
	params.MergeDepth = 10

	// Two DAGs: "late" gets the side blocks after the finality point
	// passed their fork, "early" while it had not.
	early := newTestChain(t, params)
	late := newTestChain(t, params)
	late.blocks, late.hashes, late.names = early.blocks, early.hashes, early.names

	early.mineChain("A", "genesis", 19)
	// P spends an output that does not exist; Q is a plain block. Both
	// fork at A18.
	missing := spendable{op: wire.OutPoint{TxID: wire.Hash{0x55}}, out: wire.TxOut{Value: 1, PubKey: testPubKey}}
	early.build("P", []string{"A18"}, withTxs(spendTx(t, []spendable{missing}, 1)))
	early.reject("P", ErrMissingTxOut)
	early.mine("Q", "A18")
	early.mineChain("B", "A19", 20) // B01..B20, blue scores 20..39

	for i := 1; i <= 19; i++ {
		late.accept(fmt.Sprintf("A%02d", i))
	}
	for i := 1; i <= 20; i++ {
		late.accept(fmt.Sprintf("B%02d", i))
	}
	// The virtual's blue score is 40: the finality point is at 20, B01,
	// above the fork of P and Q.
	fp, score, err := late.dag.FinalityPoint()
	if err != nil || late.name(fp) != "B01" || score != 20 {
		t.Fatalf("finality point %s at %d (%v), want B01 at 20", late.name(fp), score, err)
	}
	before := late.dag.VirtualInfo()
	late.accept("P")
	late.accept("Q")
	for _, name := range []string{"P", "Q"} {
		if got := late.statusOf(name); got != "pending" {
			t.Fatalf("%s: status %q, want pending", name, got)
		}
	}
	if after := late.dag.VirtualInfo(); after.BlueScore != before.BlueScore ||
		!slices.Equal(after.Parents, before.Parents) {
		t.Fatalf("a pending block moved the virtual")
	}
	late.expectTips("B20")
	if err := checkStoredIndex(late.dag); err != nil {
		t.Fatal(err)
	}

	// W merges P from B03 (blue score 22 + 1: its merge depth root is at
	// 13, A13, on P's chain), so P is validated now: invalid, and so is W.
	late.build("W", []string{"B03", "P"}, blockOpts{})
	late.reject("W", ErrInvalidParent)
	if got := late.statusOf("P"); got != "invalid" {
		t.Fatalf("P: status %q after W, want invalid", got)
	}
	// P stays in the store with its verdict (HaveBlock keeps peers from
	// sending it again); a resubmission is known invalid.
	if _, err := late.process("P"); !errors.Is(err, ErrKnownInvalid) {
		t.Fatalf("P resubmitted: %v, want %v", err, ErrKnownInvalid)
	}
	// A child of the invalid block, and another block merging it.
	late.build("P2", []string{"P"}, blockOpts{})
	late.reject("P2", ErrInvalidParent)
	early.reject("W", ErrInvalidParent)

	// V merges Q the same way: Q is valid, V is accepted.
	late.mine("V", "B03", "Q")
	if got := late.statusOf("Q"); got != "valid" {
		t.Fatalf("Q: status %q after V, want valid", got)
	}
	early.accept("V")
	if err := checkStoredIndex(late.dag); err != nil {
		t.Fatal(err)
	}

	// Verdicts survive a restart.
	late.reopen()
	for name, want := range map[string]string{"P": "invalid", "Q": "valid", "V": "valid"} {
		if got := late.statusOf(name); got != want {
			t.Fatalf("after restart: %s has status %q, want %q", name, got, want)
		}
	}
	late.reject("W", ErrInvalidParent)

	// A block merging a pending block from too deep: the merge depth
	// rule refuses it before anything is validated.
	late.mine("R", "A05")
	if got := late.statusOf("R"); got != "pending" {
		t.Fatalf("R: status %q, want pending", got)
	}
	late.build("X", []string{"B20", "R"}, blockOpts{})
	late.reject("X", ErrMergeDepth)
	if got := late.statusOf("R"); got != "pending" {
		t.Fatalf("R: status %q after X, want still pending", got)
	}
	if err := checkStoredIndex(late.dag); err != nil {
		t.Fatal(err)
	}
	// Both DAGs agree on the virtual.
	if a, b := early.dag.VirtualInfo(), late.dag.VirtualInfo(); a.BlueScore != b.BlueScore ||
		!slices.Equal(a.Parents, b.Parents) || early.dag.UTXOCommitment() != late.dag.UTXOCommitment() {
		t.Fatalf("the two DAGs differ: %+v and %+v", a, b)
	}
}

// TestDuplicateFromStore resubmits blocks that only the store knows (a
// restart empties the node cache): each is a duplicate, found by the store
// lookup that a block at or below the DAG's max height gets, and nothing
// is written twice.
func TestDuplicateFromStore(t *testing.T) {
	c := newTestChain(t, testParams())
	c.mineChain("A", "genesis", 60)
	c.reopen()
	// The start loads the virtual's mergeset and past median time window
	// (27 blocks); these are below both.
	for _, name := range []string{"A02", "A05", "A08"} {
		h := c.hash(name)
		if c.dag.nodes.cached(h) {
			t.Fatalf("%s is in the node cache after a restart", name)
		}
		if _, err := c.process(name); !errors.Is(err, ErrDuplicateBlock) {
			t.Fatalf("%s resubmitted: %v, want %v", name, err, ErrDuplicateBlock)
		}
	}
	if got := c.dag.BlockCount(); got != 61 {
		t.Fatalf("block count %d after resubmissions, want 61", got)
	}
	if err := checkStoredIndex(c.dag); err != nil {
		t.Fatal(err)
	}
}

// stageRecorder sums the stage times it is told of.
type stageRecorder struct {
	blocks int
	total  StageTimes
}

func (r *stageRecorder) BlockStages(took *StageTimes) {
	r.blocks++
	for i, d := range took {
		r.total[i] += d
	}
}

// TestStageObserver checks that every block that joins the DAG, pending
// ones included, is reported once with time in each stage it went
// through, and that rejected blocks are not.
func TestStageObserver(t *testing.T) {
	params := testParams()
	params.FinalityDepth = 20
	params.MergeDepth = 10
	c := newTestChain(t, params)
	rec := &stageRecorder{}
	c.cfg.StageObserver = rec
	c.reopen()
	c.mineChain("A", "genesis", 30)
	c.mine("P", "A02") // below the finality point: pending
	c.build("X", []string{"A30"}, blockOpts{coinbase: func(tx *wire.MsgTx) { tx.TxOut[0].Value++ }})
	c.reject("X", ErrBadCoinbaseValue)
	if rec.blocks != 31 {
		t.Fatalf("%d blocks reported, want 31", rec.blocks)
	}
	for _, s := range Stages() {
		if rec.total[s] <= 0 {
			t.Errorf("stage %s: no time reported", s)
		}
	}
}
