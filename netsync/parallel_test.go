package netsync

import (
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// requestedFrom returns the blocks named in the getdata sent to p.
func requestedFrom(p *simPeer) map[wire.Hash]int {
	got := make(map[wire.Hash]int)
	for _, m := range p.sentOf(wire.CmdGetData) {
		for _, iv := range m.(*wire.MsgGetData).InvList {
			got[iv.Hash]++
		}
	}
	return got
}

// misbehaviour records the scores a manager reports.
type misbehaviour struct {
	mtx    sync.Mutex
	scores map[int32]uint32
}

func (m *misbehaviour) record(p Peer, score uint32, _ string) {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	if m.scores == nil {
		m.scores = make(map[int32]uint32)
	}
	m.scores[p.ID()] += score
}

func (m *misbehaviour) of(id int32) uint32 {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	return m.scores[id]
}

// TestParallelDownload syncs from three peers holding the same DAG: the
// sync peer lists the blocks, every peer fetches some, no block is
// requested from two peers, and the DAG ends identical.
func TestParallelDownload(t *testing.T) {
	const blocks = 6000
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), blocks)

	local := newFakeDAG()
	var mis misbehaviour
	sm, n := testManager(t, local, nil, func(c *Config) { c.OnMisbehavior = mis.record })
	// The helpers connect first, so they are there when the pages
	// arrive; the sync peer is the one with the lowest ID.
	resume := sm.Pause()
	peers := []*simPeer{newSimPeer(sm, remote), newSimPeer(sm, cloneDAG(t, remote)), newSimPeer(sm, cloneDAG(t, remote))}
	// The sync peer's link is slow, so it needs help: helpers take only
	// what it has no room for.
	peers[0].blockDelay.Store(int64(200 * time.Microsecond))
	connectPaused(t, sm, n, resume, peers...)

	waitFor(t, 30*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	waitFor(t, 5*time.Second, "end of sync mode", func() bool { return !sm.InSyncMode() })
	seen := make(map[wire.Hash]int32)
	for _, p := range peers {
		got := requestedFrom(p)
		if len(got) == 0 {
			t.Errorf("peer %d was asked for no block", p.id)
		}
		for h, k := range got {
			if k > 1 {
				t.Fatalf("block %s requested %d times from peer %d", h, k, p.id)
			}
			if other, ok := seen[h]; ok {
				t.Fatalf("block %s requested from peers %d and %d", h, other, p.id)
			}
			seen[h] = p.id
		}
		if s := mis.of(p.id); s != 0 {
			t.Errorf("honest peer %d scored %d", p.id, s)
		}
	}
	if len(seen) != blocks {
		t.Errorf("blocks requested: got %d, want %d", len(seen), blocks)
	}
	if got := local.OrphanCount(); got != 0 {
		t.Errorf("orphans left: %d", got)
	}
}

// TestHelperWithoutBlocks syncs with a helper that answers notfound for
// everything: it gets no work for a while, is not scored, and the sync
// completes from the others.
func TestHelperWithoutBlocks(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 4000)

	local := newFakeDAG()
	var mis misbehaviour
	sm, n := testManager(t, local, nil, func(c *Config) { c.OnMisbehavior = mis.record })
	resume := sm.Pause()
	// The sync peer's link is slow, so it needs help: helpers take only
	// what it has no room for.
	good := newSimPeer(sm, remote)
	good.blockDelay.Store(int64(200 * time.Microsecond))
	bad := newSimPeer(sm, cloneDAG(t, remote))
	bad.withhold.Store(true)
	connectPaused(t, sm, n, resume, good, bad)

	waitFor(t, 30*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	if got := len(requestedFrom(bad)); got == 0 || got > helperInitialWindow {
		t.Errorf("blocks asked of the helper without them: got %d, want 1-%d (one window, then none)",
			got, helperInitialWindow)
	}
	if s := mis.of(bad.id); s != 0 {
		t.Errorf("helper that never announced the blocks scored %d", s)
	}
}

// TestSilentHelper syncs with a helper that answers nothing: its blocks
// move to the sync peer after at most helperStallTime and the sync
// completes long before the request timeout.
func TestSilentHelper(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 4000)

	local := newFakeDAG()
	// The sync peer's stall timeout is long enough that the blocks it
	// sent while the silent helper held the ones below them (orphans
	// until then) do not get it replaced; the request timeout never
	// passes.
	sm, n := testManager(t, local, nil, func(c *Config) {
		c.RequestTimeout = time.Hour
		c.StallTimeout = 10 * time.Second
	})
	resume := sm.Pause()
	good := newSimPeer(sm, remote)
	good.blockDelay.Store(int64(200 * time.Microsecond))
	silent := newSimPeer(sm, cloneDAG(t, remote))
	silent.silent.Store(true)
	connectPaused(t, sm, n, resume, good, silent)

	waitFor(t, 30*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	if len(silent.sentOf(wire.CmdGetData)) == 0 {
		t.Error("the silent helper was never given work: the test proves nothing")
	}
}
