package node

import (
	"slices"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// sameDAG reports whether two nodes agree on tips, virtual and UTXO
// commitment.
func sameDAG(a, b *testNode) bool {
	va, vb := a.DAG().VirtualInfo(), b.DAG().VirtualInfo()
	return va.UTXOCommitment == vb.UTXOCommitment && va.BlueScore == vb.BlueScore &&
		va.SelectedParent == vb.SelectedParent && slices.Equal(a.DAG().Tips(), b.DAG().Tips())
}

// TestPrunedNodes runs a pruned node next to archive ones over the wire:
// it syncs and prunes while it syncs, stays identical to the archive, and
// advertises its lowest height; a new node whose only peer is the pruned
// one reports it instead of stalling, and syncs once an archive peer is
// connected too.
func TestPrunedNodes(t *testing.T) {
	params := finalityParams()
	archive := newTestNode(t, nodeOptions{params: params})
	mined := archive.mine(1100, 0)

	pruned := newTestNode(t, nodeOptions{params: params, mutate: func(c *Config) {
		c.PruneBytes = blockdag.MinPruneBytes(params)
	}})
	pruned.connectTo(archive)
	tip := mined[len(mined)-1]
	waitFor(t, 60*time.Second, "the pruned node syncs", func() bool {
		return pruned.DAG().HaveBlock(&tip) && sameDAG(pruned, archive)
	})
	waitFor(t, 10*time.Second, "the pruned node prunes", func() bool {
		return pruned.DAG().PruneInfo().LowestHeight > 0
	})
	lowest := pruned.DAG().PruneInfo().LowestHeight
	if _, err := pruned.DAG().BlockByHash(&params.GenesisHash); err == nil {
		t.Fatalf("the pruned node still serves genesis")
	}

	// A new node with only the pruned peer: it cannot get height 1.
	fresh := newTestNode(t, nodeOptions{params: params})
	fresh.connectTo(pruned)
	waitFor(t, 10*time.Second, "only pruned peers reported", func() bool {
		return fresh.SyncManager().SyncState().OnlyPrunedPeers
	})
	var seen bool
	for _, p := range fresh.Peers() {
		if p.Services&wire.SFNodePruned != 0 {
			seen = true
		}
	}
	if !seen {
		t.Fatalf("the pruned peer does not advertise SFNodePruned")
	}
	if got := fresh.DAG().MaxHeight(); got >= lowest {
		t.Fatalf("the fresh node reached height %d with only a peer pruned below %d", got, lowest)
	}

	// With the archive peer too it syncs from both.
	fresh.connectTo(archive)
	waitFor(t, 60*time.Second, "the fresh node syncs", func() bool {
		return fresh.DAG().HaveBlock(&tip) && sameDAG(fresh, archive)
	})
	waitFor(t, 10*time.Second, "the report clears", func() bool {
		return !fresh.SyncManager().SyncState().OnlyPrunedPeers
	})

	// The pruned node mines on; everyone follows.
	more := pruned.mine(30, 1)
	last := more[len(more)-1]
	waitFor(t, 30*time.Second, "all follow the pruned node's blocks", func() bool {
		return archive.DAG().HaveBlock(&last) && fresh.DAG().HaveBlock(&last) &&
			sameDAG(pruned, archive) && sameDAG(fresh, archive)
	})
}
