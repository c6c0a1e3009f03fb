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
	track(t, n, p)
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
	if st := sm.SyncState(); st.BlocksInFlight != aloneFirstWindow {
		t.Errorf("blocks in flight before any arrived: got %d, want %d (a page for a lone peer)",
			st.BlocksInFlight, aloneFirstWindow)
	}

	p.releaseData()
	waitFor(t, 20*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	waitFor(t, 5*time.Second, "end of sync mode", func() bool { return !sm.InSyncMode() })
	seen := requestedOnce(t, p)
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
	requestedOnce(t, p)
}

// deliverBatches feeds l batches of blocks the way a link delivers them:
// each batch is asked for when the previous one has arrived, its first
// block comes a round trip later and the others gap apart.
func deliverBatches(l *linkEstimate, now time.Time, rtt time.Duration, batches, perBatch int,
	gap time.Duration, size int) time.Time {

	for range batches {
		sent := now
		now = now.Add(rtt)
		for i := range perBatch {
			if i > 0 {
				now = now.Add(gap)
			}
			l.delivered(now, sent, size)
		}
	}
	return now
}

// TestLinkWindow checks the window sizing: a page, then a byte budget for
// a lone peer; a slow start for a peer that shares the work; then rate x
// (2 RTT + slack), the rate counting only the time the link was busy.
func TestLinkWindow(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name     string
		alone    bool
		rtt      time.Duration
		batches  int
		perBatch int
		gap      time.Duration
		size     int
		want     int
	}{
		{name: "nothing known, alone", alone: true, want: aloneFirstWindow},
		{name: "nothing known, shared", want: helperInitialWindow},
		{name: "small blocks alone, rate unknown", alone: true, rtt: 300 * ms, batches: 1, perBatch: 1,
			size: 300, want: aloneWindowBytes / 300},
		{name: "big blocks alone, rate unknown", alone: true, rtt: 300 * ms, batches: 1, perBatch: 1,
			size: 25000, want: aloneWindowBytes / 25000},
		{name: "shared slow start", rtt: 300 * ms, batches: 1, perBatch: 10, gap: ms, size: 300,
			want: helperInitialWindow + 10},
		{name: "shared slow start, big blocks", rtt: 300 * ms, batches: 1, perBatch: 10, gap: ms,
			size: 20000, want: sharedWindowBytes / 20000},
		// A far link whose window was the bound: 100 blocks a round
		// trip look like 330 blocks a second when the waits count;
		// the link carried each batch in 10 ms.
		{name: "far, window-bound", rtt: 300 * ms, batches: 4, perBatch: 101, gap: ms / 10,
			size: 300, want: int(10000 * (0.6 + windowSlack.Seconds()))},
		{name: "slow", rtt: 50 * ms, batches: 4, perBatch: 8, gap: 100 * ms, size: 25000, want: minWindow},
		{name: "slow, alone: the byte budget", alone: true, rtt: 50 * ms, batches: 4, perBatch: 8,
			gap: 100 * ms, size: 25000, want: aloneWindowBytes / 25000},
		{name: "capped", rtt: 300 * ms, batches: 4, perBatch: 1001, gap: ms / 100, size: 300, want: maxWindow},
	}
	for _, test := range tests {
		var l linkEstimate
		deliverBatches(&l, time.Unix(1_000_000, 0), test.rtt, test.batches, test.perBatch, test.gap, test.size)
		got := l.window(test.alone)
		// Rates are sampled over whole intervals, so allow 2%.
		if d := got - test.want; d < -test.want/50-1 || d > test.want/50+1 {
			t.Errorf("%s: got %d, want %d", test.name, got, test.want)
		}
	}
}

// TestLinkRateFalls checks that a link whose blocks grew shows a lower rate
// within a second: the window of small blocks must not hold big ones.
func TestLinkRateFalls(t *testing.T) {
	var l linkEstimate
	now := deliverBatches(&l, time.Unix(1_000_000, 0), 50*time.Millisecond, 4, 100,
		time.Millisecond, 300)
	fast := l.rate
	deliverBatches(&l, now, 50*time.Millisecond, 4, 4, 100*time.Millisecond, 25000)
	if l.rate > fast/10 {
		t.Errorf("rate after 1.6 s of blocks at 10 a second: got %.0f, want below %.0f (from %.0f)",
			l.rate, fast/10, fast)
	}
}

// sendEarly makes p a peer whose handshake carried getblocks (as
// peer.Config.EarlyGetBlocks sends them) and answers them, as the remote
// does once the handshake is over. The manager must know p first.
func (p *simPeer) sendEarly(gbs []*wire.MsgGetBlocks) {
	p.mtx.Lock()
	for _, gb := range gbs {
		p.outbox = append(p.outbox, gb)
	}
	p.mtx.Unlock()
	select {
	case p.signal <- struct{}{}:
	default:
	}
}

// TestSyncFromHandshakePages downloads DAGs from a peer whose handshake
// carried the first pages' getblocks: a chain, a DAG wider than the pages
// were spaced for, and a handshake from another height than the sync's.
// The sync takes the handshake's pages as its own and never asks for them
// again; pages it cannot use are dropped; either way the download ends
// identical, with no block asked for twice and no orphan left.
func TestSyncFromHandshakePages(t *testing.T) {
	tests := []struct {
		name  string
		build func(d *fakeDAG)
		// from is the height the handshake's getblocks start at;
		// claimed whether the sync takes them.
		// exact whether they are where the DAG's pages are.
		from           uint32
		claimed, exact bool
	}{
		{"chain", func(d *fakeDAG) { d.addChain(t, genesis.BlockHash(), 6000) }, 0, true, true},
		{"width 4", func(d *fakeDAG) { d.addWide(t, 4, 1500) }, 0, true, false},
		{"another height", func(d *fakeDAG) { d.addChain(t, genesis.BlockHash(), 3000) }, 7, false, false},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			remote := newFakeDAG()
			test.build(remote)
			local := newFakeDAG()
			sm, n := testManager(t, local, nil, nil)
			p := newSimPeer(sm, remote)
			early := EarlyGetBlocks(test.from, false)
			p.early = early
			track(t, n, p)
			sm.NewPeer(p)
			p.sendEarly(early)

			waitFor(t, 30*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
			waitFor(t, 5*time.Second, "end of sync mode", func() bool { return !sm.InSyncMode() })
			if got := local.OrphanCount(); got != 0 {
				t.Errorf("orphans left: %d", got)
			}
			asked := make(map[uint32]bool)
			for _, m := range p.sentOf(wire.CmdGetBlocks) {
				asked[m.(*wire.MsgGetBlocks).StartHeight] = true
			}
			switch {
			case test.claimed && asked[test.from]:
				t.Errorf("the sync asked for its first page itself (asked %v)", asked)
			case test.claimed && test.exact:
				// A chain's pages are where the handshake put
				// them: none is asked for again.
				for _, gb := range early {
					if asked[gb.StartHeight] {
						t.Errorf("the sync asked again for the handshake's page from height %d (asked %v)",
							gb.StartHeight, asked)
					}
				}
			case !test.claimed && !asked[0]:
				t.Errorf("the sync did not ask for its own first page from height 0 (asked %v)", asked)
			}
			requestedOnce(t, p)
		})
	}
}

// TestEarlyGetBlocks checks the handshake's getblocks: one from our max
// height when the DAG is current, and otherwise a download's first pages,
// spaced as a chain's.
func TestEarlyGetBlocks(t *testing.T) {
	if got := EarlyGetBlocks(42, true); len(got) != 1 || got[0].StartHeight != 42 || !got[0].EndHash.IsZero() {
		t.Fatalf("current DAG: %+v, want one getblocks from 42 to the tips", got)
	}
	got := EarlyGetBlocks(42, false)
	if len(got) != maxSyncPagesAhead {
		t.Fatalf("behind: %d getblocks, want %d", len(got), maxSyncPagesAhead)
	}
	for i, gb := range got {
		if want := 42 + uint32(i)*(wire.MaxBlocksPerInv-1); gb.StartHeight != want {
			t.Errorf("getblocks %d from %d, want %d", i, gb.StartHeight, want)
		}
	}
}
