package node

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// Shared stores, built once for the tests that need them: building a DAG
// costs as much as syncing it.
var (
	storesOnce sync.Once
	storesDir  string
	storesErr  error
)

// Names of the shared stores.
const (
	chainStore = "chain2000" // 2,000 blocks, one per height
	wideStore  = "wide4"     // 450 rounds of 4 sibling blocks by 4 miners
)

// sharedStore returns the directory of a shared store, building them all on
// first use.
func sharedStore(t testing.TB, name string) string {
	t.Helper()
	storesOnce.Do(func() {
		storesDir, storesErr = os.MkdirTemp("", "soterd-node-test-")
		if storesErr != nil {
			return
		}
		buildStore(t, filepath.Join(storesDir, chainStore), nil, 2000, 1)
		buildStore(t, filepath.Join(storesDir, wideStore), nil, 450, 4)
	})
	if storesErr != nil {
		t.Fatalf("shared stores: %v", storesErr)
	}
	return filepath.Join(storesDir, name)
}

// TestMain removes the shared stores after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if storesDir != "" {
		os.RemoveAll(storesDir)
	}
	if ibdDir != "" {
		os.RemoveAll(filepath.Dir(ibdDir))
	}
	os.Exit(code)
}

// TestSyncChain syncs a fresh node from a node with 2,000 blocks to the
// same tips and UTXO commitment.
func TestSyncChain(t *testing.T) {
	src := newTestNode(t, nodeOptions{store: sharedStore(t, chainStore)})
	if h := src.DAG().MaxHeight(); h != 2000 {
		t.Fatalf("source max height %d, want 2000", h)
	}
	dst := newTestNode(t, nodeOptions{})
	start := time.Now()
	dst.connectTo(src)
	waitFor(t, 60*time.Second, "sync", func() bool { return sameState(src, dst) })
	t.Logf("synced 2000 blocks in %v", time.Since(start))
	waitFor(t, 5*time.Second, "end of sync mode", func() bool { return !dst.SyncManager().InSyncMode() })
	st := dst.SyncManager().SyncState()
	if st.MaxHeight != 2000 || st.Progress != 100 || st.BlocksProcessed < 2000 {
		t.Errorf("sync state after sync: %+v", st)
	}
	if dst.DAG().OrphanCount() != 0 {
		t.Errorf("orphans left: %d", dst.DAG().OrphanCount())
	}
}

// TestSyncWideDAG syncs a DAG four blocks wide, made by four miners.
func TestSyncWideDAG(t *testing.T) {
	src := newTestNode(t, nodeOptions{store: sharedStore(t, wideStore)})
	wide := 0
	for h := uint32(1); h <= src.DAG().MaxHeight(); h++ {
		if len(src.DAG().BlockHashesAtHeight(h)) >= 3 {
			wide++
		}
	}
	if wide < 400 {
		t.Fatalf("source DAG has only %d heights of width 3 or more", wide)
	}
	dst := newTestNode(t, nodeOptions{})
	dst.connectTo(src)
	waitFor(t, 60*time.Second, "sync", func() bool { return sameState(src, dst) })
}

// TestOrphanBeforeParents sends a node a block before its parents: the
// orphan's parents are fetched and it connects.
func TestOrphanBeforeParents(t *testing.T) {
	src := newTestNode(t, nodeOptions{})
	src.mine(20, 0)
	dst := newTestNode(t, nodeOptions{})
	dst.connectTo(src)
	waitFor(t, 10*time.Second, "sync", func() bool { return sameState(src, dst) })

	// Take dst off src, so that src's new blocks are not announced to it.
	dst.disconnectAll()
	newBlocks := src.mine(3, 1)

	// A fake peer backed by src's DAG, claiming dst's height so dst stays
	// out of sync mode, pushes the newest block first.
	fp := dialFakePeer(t, dst, dst.DAG().MaxHeight(), nil, src.DAG())
	top, err := src.DAG().BlockByHash(&newBlocks[2])
	if err != nil {
		t.Fatal(err)
	}
	fp.send(top)
	waitFor(t, 10*time.Second, "orphan resolved", func() bool {
		for _, h := range newBlocks {
			if !dst.DAG().HaveBlock(&h) {
				return false
			}
		}
		return true
	})
	if dst.DAG().OrphanCount() != 0 {
		t.Errorf("orphans left: %d", dst.DAG().OrphanCount())
	}
	if len(fp.receivedOf(wire.CmdGetData)) == 0 {
		t.Error("the orphan's parents were not requested")
	}
}

// TestMinedApartConverge connects two nodes that mined apart from genesis;
// both end with the union of the two DAGs.
func TestMinedApartConverge(t *testing.T) {
	a := newTestNode(t, nodeOptions{})
	b := newTestNode(t, nodeOptions{})
	a.mine(200, 0)
	b.mine(120, 1)
	want := a.DAG().BlockCount() + b.DAG().BlockCount() - 1
	b.connectTo(a)
	waitFor(t, 30*time.Second, "union", func() bool {
		return a.DAG().BlockCount() == want && sameState(a, b)
	})
}

// TestStalledSyncPeer gives a fresh node a sync peer that claims the
// greatest height and answers nothing: it is dropped after the stall
// timeout and a real peer completes the sync.
func TestStalledSyncPeer(t *testing.T) {
	src := newTestNode(t, nodeOptions{store: sharedStore(t, chainStore)})
	dst := newTestNode(t, nodeOptions{mutate: func(c *Config) {
		c.SyncStallTimeout = time.Second
	}})
	staller := dialFakePeer(t, dst, 5000, []wire.Hash{{0xee}}, nil)
	staller.silent.Store(true)
	waitFor(t, 5*time.Second, "staller chosen", func() bool {
		return dst.SyncManager().SyncPeerID() != 0
	})
	dst.connectTo(src)
	waitFor(t, 60*time.Second, "sync from the real peer", func() bool { return sameState(src, dst) })
	if !staller.isClosed() {
		t.Error("stalled sync peer still connected")
	}
}

// TestNonSyncPeerDropped connects a third node with blocks of its own to a
// node that is syncing: its blocks are dropped during the sync and fetched
// afterwards, and all three nodes converge.
func TestNonSyncPeerDropped(t *testing.T) {
	src := newTestNode(t, nodeOptions{store: sharedStore(t, chainStore)})
	third := newTestNode(t, nodeOptions{})
	third.mine(5, 2)
	dst := newTestNode(t, nodeOptions{})
	dst.connectTo(src)
	waitFor(t, 10*time.Second, "sync mode", func() bool { return dst.SyncManager().InSyncMode() })
	third.connectTo(dst)
	waitFor(t, 60*time.Second, "all converge", func() bool {
		return sameState(src, dst) && sameState(dst, third)
	})
	if got := dst.SyncManager().SyncState().BlocksDropped; got == 0 {
		t.Error("no block of the non-sync peer was dropped during the sync")
	}
}

// TestBlockMinedDuringSync mines a block on the source while two nodes
// sync from it: every node ends with it.
func TestBlockMinedDuringSync(t *testing.T) {
	src := newTestNode(t, nodeOptions{store: sharedStore(t, chainStore)})
	a := newTestNode(t, nodeOptions{})
	b := newTestNode(t, nodeOptions{})
	a.connectTo(src)
	b.connectTo(src)
	b.connectTo(a)
	waitFor(t, 10*time.Second, "sync mode", func() bool { return a.SyncManager().InSyncMode() })
	mined := src.mine(1, 3)[0]
	waitFor(t, 60*time.Second, "block everywhere", func() bool {
		return a.DAG().HaveBlock(&mined) && b.DAG().HaveBlock(&mined) &&
			sameState(src, a) && sameState(src, b)
	})
}
