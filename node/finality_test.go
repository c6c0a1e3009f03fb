package node

import (
	"slices"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
)

// finalityParams are regtest's with depths small enough to cross in a
// test: finality 40, merge depth 20.
func finalityParams() *blockdag.Params {
	p := testParams()
	p.FinalityDepth = 40
	p.MergeDepth = 20
	return p
}

// TestFinalityAcrossNodes joins nodes that mined apart, over the wire.
// A node that is still shallower than the finality depth follows the
// heavier DAG; one whose own chain is final keeps it: the other side's
// blocks are stored pending and never move its virtual (a finality
// conflict needs an operator).
func TestFinalityAcrossNodes(t *testing.T) {
	t.Run("shallow side follows", func(t *testing.T) {
		a := newTestNode(t, nodeOptions{params: finalityParams()})
		b := newTestNode(t, nodeOptions{params: finalityParams()})
		aBlocks := a.mine(100, 0)
		b.mine(10, 1)
		b.connectTo(a)
		aTip := aBlocks[len(aBlocks)-1]
		waitFor(t, 30*time.Second, "b follows a", func() bool {
			return b.DAG().VirtualInfo().SelectedParent == aTip
		})
		// b's own branch forks at genesis, below the finality point it
		// reached on a's chain: no longer a tip, so both list the same.
		waitFor(t, 10*time.Second, "same virtual and tips", func() bool {
			va, vb := a.DAG().VirtualInfo(), b.DAG().VirtualInfo()
			return va.UTXOCommitment == vb.UTXOCommitment && va.BlueScore == vb.BlueScore &&
				slices.Equal(a.DAG().Tips(), b.DAG().Tips())
		})
	})

	t.Run("final side stays", func(t *testing.T) {
		a := newTestNode(t, nodeOptions{params: finalityParams()})
		b := newTestNode(t, nodeOptions{params: finalityParams()})
		aBlocks := a.mine(100, 0)
		bBlocks := b.mine(60, 1)
		bTip := bBlocks[len(bBlocks)-1]
		before := b.DAG().VirtualInfo()
		if before.FinalityBlueScore == 0 {
			t.Fatalf("b's finality point did not leave genesis")
		}
		b.connectTo(a)
		aTip := aBlocks[len(aBlocks)-1]
		waitFor(t, 30*time.Second, "b stores a's blocks", func() bool {
			return b.DAG().HaveBlock(&aTip)
		})
		info, err := b.DAG().BlockInfo(&aTip)
		if err != nil {
			t.Fatal(err)
		}
		if info.Status != "pending" {
			t.Fatalf("a's tip in b: status %q, want pending", info.Status)
		}
		after := b.DAG().VirtualInfo()
		if after.SelectedParent != bTip || after.UTXOCommitment != before.UTXOCommitment {
			t.Fatalf("b's virtual moved to a's heavier fork below its finality point")
		}
		// b goes on mining its own chain, and a's blocks stay pending.
		mined := b.mine(5, 1)
		if got := b.DAG().VirtualInfo().SelectedParent; got != mined[len(mined)-1] {
			t.Fatalf("b's new block is not its virtual's selected parent")
		}
		if info, err := b.DAG().BlockInfo(&aTip); err != nil || info.Status != "pending" {
			t.Fatalf("a's tip in b after more blocks: %+v, %v", info, err)
		}
	})
}
