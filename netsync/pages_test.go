package netsync

import (
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// TestSyncPagesAhead checks that the pages of a sync range are asked for
// before the blocks of the first one arrive: on a far link the next inv
// must be on its way while blocks download, not a round trip after.
func TestSyncPagesAhead(t *testing.T) {
	const blocks = 10000
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), blocks)

	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)
	p := newSimPeer(sm, remote)
	p.holdData.Store(true)
	n.mtx.Lock()
	n.peers = append(n.peers, p)
	n.mtx.Unlock()
	t.Cleanup(p.stop)
	sm.NewPeer(p)

	// Every block is listed while none has arrived: the pages ran ahead
	// of the data, bounded by maxSyncBacklog.
	waitFor(t, 10*time.Second, "every page listed", func() bool {
		st := sm.SyncState()
		return st.BlocksQueued+st.BlocksInFlight == blocks
	})
	if got := local.count(); got != 1 {
		t.Fatalf("blocks stored before getdata was answered: got %d, want 1 (genesis)", got)
	}
	pages := int(p.getBlocks.Load())
	if want := blocks/(wire.MaxBlocksPerInv-1) + 1; pages < want || pages > want+2 {
		t.Errorf("getblocks answered: got %d, want %d-%d (pages predicted exactly on a chain)",
			pages, want, want+2)
	}
	if st := sm.SyncState(); st.BlocksInFlight != firstRequestBlocks {
		t.Errorf("blocks in flight before any arrived: got %d, want %d (block size unknown)",
			st.BlocksInFlight, firstRequestBlocks)
	}

	p.releaseData()
	waitFor(t, 20*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	waitFor(t, 5*time.Second, "end of sync mode", func() bool { return !sm.InSyncMode() })
	seen := make(map[wire.Hash]bool)
	for _, m := range p.sentOf(wire.CmdGetData) {
		for _, iv := range m.(*wire.MsgGetData).InvList {
			if seen[iv.Hash] {
				t.Fatalf("block %s requested twice", iv.Hash)
			}
			seen[iv.Hash] = true
		}
	}
	if len(seen) != blocks {
		t.Errorf("blocks requested: got %d, want %d", len(seen), blocks)
	}
}

// TestSyncPagesChangingWidth downloads a DAG whose width changes, so the
// predicted page starts are wrong both ways: the gaps get pages of their
// own and the overlaps are skipped, and nothing is left to the orphan
// flow.
func TestSyncPagesChangingWidth(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 1500)
	remote.addWide(t, 5, 500)
	remote.addWide(t, 1, 1200)
	remote.addWide(t, 3, 400)

	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)
	p := connect(t, sm, n, remote)
	waitFor(t, 30*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	waitFor(t, 5*time.Second, "end of sync mode", func() bool { return !sm.InSyncMode() })
	if got := local.OrphanCount(); got != 0 {
		t.Errorf("orphans left: %d", got)
	}
	seen := make(map[wire.Hash]bool)
	for _, m := range p.sentOf(wire.CmdGetData) {
		for _, iv := range m.(*wire.MsgGetData).InvList {
			if seen[iv.Hash] {
				t.Fatalf("block %s requested twice", iv.Hash)
			}
			seen[iv.Hash] = true
		}
	}
}

// TestLinkWindow checks the window sizing: the initial window until a rate
// is measured, then rate x (2 RTT + slack) between the bounds.
func TestLinkWindow(t *testing.T) {
	tests := []struct {
		name   string
		rtt    time.Duration
		size   int
		blocks int
		over   time.Duration
		want   int
	}{
		{name: "nothing known", want: firstRequestBlocks},
		{name: "small blocks, rate unknown", size: 300, blocks: 1, over: time.Millisecond, want: initialWindow},
		{name: "big blocks, rate unknown", size: 25000, blocks: 1, over: time.Millisecond,
			want: initialWindowBytes / 25000},
		{name: "loopback", rtt: time.Millisecond, blocks: 4000, over: time.Second,
			want: int(4000 * (0.002 + windowSlack.Seconds()))},
		{name: "slow", rtt: 50 * time.Millisecond, blocks: 8, over: 2 * time.Second, want: minWindow},
		{name: "far and fast", rtt: 300 * time.Millisecond, blocks: 12000, over: time.Second,
			want: int(12000 * (0.6 + windowSlack.Seconds()))},
		{name: "capped", rtt: 300 * time.Millisecond, blocks: 100000, over: time.Second, want: maxWindow},
	}
	for _, test := range tests {
		var l linkEstimate
		l.rttSample(test.rtt)
		now := time.Unix(1_000_000, 0)
		if test.blocks > 0 {
			l.delivered(now, test.size)
			step := test.over / time.Duration(test.blocks)
			for range test.blocks {
				now = now.Add(step)
				l.delivered(now, test.size)
			}
		}
		got := l.window(initialWindow)
		// The rate is measured per interval, so allow a block of
		// rounding either way.
		if got < test.want-2 || got > test.want+2 {
			t.Errorf("%s: got %d, want %d", test.name, got, test.want)
		}
	}
}
