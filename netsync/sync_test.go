package netsync

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btclog"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// TestNewConfig checks the configuration errors.
func TestNewConfig(t *testing.T) {
	dag := newFakeDAG()
	n := &recordingNotifier{}
	tests := []struct {
		name string
		cfg  *Config
		ok   bool
	}{
		{name: "nil config", cfg: nil},
		{name: "no DAG", cfg: &Config{PeerNotifier: n}},
		{name: "no notifier", cfg: &Config{DAG: dag}},
		{name: "negative stall timeout", cfg: &Config{DAG: dag, PeerNotifier: n, StallTimeout: -1}},
		{name: "negative request timeout", cfg: &Config{DAG: dag, PeerNotifier: n, RequestTimeout: -1}},
		{name: "minimal", cfg: &Config{DAG: dag, PeerNotifier: n}, ok: true},
	}
	for _, test := range tests {
		sm, err := New(test.cfg)
		if test.ok {
			if err != nil || sm == nil {
				t.Errorf("%s: got error %v, want none", test.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: got error %v, want %v", test.name, err, ErrInvalidConfig)
		}
	}
}

// TestStartStop checks that Stop is idempotent, works before Start, and
// that calls after Stop do not block.
func TestStartStop(t *testing.T) {
	dag := newFakeDAG()
	sm, err := New(&Config{DAG: dag, PeerNotifier: &recordingNotifier{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.ProcessBlock(makeBlock(genesis.BlockHash()), blockdag.BFNone); !errors.Is(err, ErrNotRunning) {
		t.Errorf("ProcessBlock before Start: got %v, want %v", err, ErrNotRunning)
	}
	sm.Start()
	sm.Start()
	sm.Stop()
	sm.Stop()
	done := make(chan struct{})
	go func() {
		sm.QueueBlock(makeBlock(genesis.BlockHash()), nil)
		sm.NewPeer(nil)
		close(sm.Pause())
		if _, err := sm.ProcessBlock(makeBlock(genesis.BlockHash()), blockdag.BFNone); !errors.Is(err, ErrNotRunning) {
			t.Errorf("ProcessBlock after Stop: got %v, want %v", err, ErrNotRunning)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("calls after Stop blocked")
	}

	// Stop before Start.
	sm2, _ := New(&Config{DAG: dag, PeerNotifier: &recordingNotifier{}})
	sm2.Stop()
	sm2.Start()
	sm2.Stop()
}

// TestInitialSync downloads a long chain from one peer: the manager enters
// sync mode, pages through it with getblocks and leaves sync mode with
// every block.
func TestInitialSync(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 3500)

	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)
	p := connect(t, sm, n, remote)

	waitFor(t, 20*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	waitFor(t, 5*time.Second, "end of sync mode", func() bool { return !sm.InSyncMode() })
	if got := p.getBlocks.Load(); got < 4 || got > 6 {
		t.Errorf("getblocks sent: got %d, want 4-6 for 3500 blocks in pages of %d",
			got, wire.MaxBlocksPerInv)
	}
	st := sm.SyncState()
	if st.MaxHeight != 3500 || st.BlocksProcessed != 3500 || st.InSyncMode || st.Progress != 100 {
		t.Errorf("state after sync: %+v", st)
	}
	// Our tips are announced when the sync ends.
	if len(n.relayedOf(wire.InvTypeBlock)) == 0 {
		t.Error("tips not announced after the sync")
	}
	// No block was requested twice.
	requestedOnce(t, p)
}

// TestSyncWideDAG downloads a DAG of width 4.
func TestSyncWideDAG(t *testing.T) {
	remote := newFakeDAG()
	remote.addWide(t, 4, 600)

	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)
	connect(t, sm, n, remote)
	waitFor(t, 20*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	if local.OrphanCount() != 0 {
		t.Errorf("orphans left: %d", local.OrphanCount())
	}
}

// TestSyncPageOfOneHeight downloads a DAG with one height holding more
// blocks than a getblocks answer can carry: the page cursor moves past it
// and the orphan flow fetches the blocks the page left out.
func TestSyncPageOfOneHeight(t *testing.T) {
	remote := newFakeDAG()
	base := remote.addChain(t, genesis.BlockHash(), 3)
	var wide []wire.Hash
	for range wire.MaxBlocksPerInv + 200 {
		b := makeBlock(base[len(base)-1])
		if _, err := remote.ProcessBlock(b, blockdag.BFNone); err != nil {
			t.Fatal(err)
		}
		wide = append(wide, b.BlockHash())
	}
	// Blocks above merge ten of the wide height each, so every wide
	// block is a parent of one of them.
	for i := 0; i < len(wide); i += 10 {
		b := makeBlock(wide[i:min(i+10, len(wide))]...)
		if _, err := remote.ProcessBlock(b, blockdag.BFNone); err != nil {
			t.Fatal(err)
		}
	}
	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)
	connect(t, sm, n, remote)
	waitFor(t, 20*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
}

// TestBranchBelowMaxHeight connects two DAGs that grew apart from genesis:
// the one with the lower max height finds the common block by a doubling
// search and downloads the other's whole branch, leaving no gap.
func TestBranchBelowMaxHeight(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 300)
	local := newFakeDAG()
	local.addChain(t, genesis.BlockHash(), 200)
	want := cloneDAG(t, remote)
	localCopy := cloneDAG(t, local)

	sm, n := testManager(t, local, nil, nil)
	p := connect(t, sm, n, remote)
	waitFor(t, 20*time.Second, "union", func() bool {
		return local.count() == want.count()+localCopy.count()-1
	})
	// Doubling from 16 reaches genesis below height 200 in five
	// searches (16, 32, 64, 128, 256) after the first try.
	if got := p.getBlocks.Load(); got > 8 {
		t.Errorf("getblocks sent: got %d, want a logarithmic number", got)
	}
	if local.OrphanCount() != 0 {
		t.Errorf("orphans left: %d", local.OrphanCount())
	}
}

// TestOrphanDeepBranch announces, outside sync mode, the tip of a branch
// that forked 60 heights below our max height: the tip arrives as an
// orphan, and the orphan flow fetches the whole branch.
func TestOrphanDeepBranch(t *testing.T) {
	common := newFakeDAG()
	chain := common.addChain(t, genesis.BlockHash(), 100)
	local := cloneDAG(t, common)
	remote := cloneDAG(t, common)
	branch := remote.addChain(t, chain[39], 61) // heights 41..101

	sm, n := testManager(t, local, nil, nil)
	p := connect(t, sm, n, remote)
	// The remote's version advertised its tips (height 101): fetched
	// directly, as we are only one height behind.
	waitFor(t, 10*time.Second, "branch", func() bool {
		return local.HaveBlock(&branch[len(branch)-1])
	})
	for _, h := range branch {
		if !local.HaveBlock(&h) {
			t.Fatalf("branch block %s missing", h)
		}
	}
	if sm.InSyncMode() {
		t.Error("entered sync mode for a peer one height ahead")
	}
	if got := p.getBlocks.Load(); got > 5 {
		t.Errorf("getblocks sent: got %d, want a logarithmic number", got)
	}
}

// TestOrphanParentFetch sends a block whose only missing parent is
// announced-but-not-sent: the parent is fetched by hash.
func TestOrphanParentFetch(t *testing.T) {
	common := newFakeDAG()
	chain := common.addChain(t, genesis.BlockHash(), 10)
	local := cloneDAG(t, common)
	remote := cloneDAG(t, common)
	next := remote.addChain(t, chain[9], 2)

	sm, n := testManager(t, local, nil, nil)
	p := connect(t, sm, n, remote)
	waitFor(t, 5*time.Second, "tips fetched", func() bool { return sameBlocks(local, remote) })

	// A block pushed out of order: its parent comes by getdata.
	more := remote.addChain(t, next[1], 2)
	sm.QueueBlock(remote.block(more[1]), p)
	waitFor(t, 5*time.Second, "orphan resolved", func() bool {
		return local.HaveBlock(&more[0]) && local.HaveBlock(&more[1])
	})
}

// TestStalledSyncPeer gives the manager a sync peer that claims the
// highest height and answers nothing: it is disconnected after the stall
// timeout and the other peer completes the sync.
func TestStalledSyncPeer(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 1500)
	liar := newFakeDAG()
	liar.addChain(t, genesis.BlockHash(), 2000)

	local := newFakeDAG()
	sm, n := testManager(t, local, nil, func(c *Config) {
		c.StallTimeout = 300 * time.Millisecond
	})
	stalled := newSimPeer(sm, liar)
	stalled.silent.Store(true)
	t.Cleanup(stalled.stop)
	good := newSimPeer(sm, remote)
	t.Cleanup(good.stop)
	n.peers = append(n.peers, stalled, good)
	sm.NewPeer(stalled)
	waitFor(t, 5*time.Second, "stalled peer chosen", func() bool { return sm.SyncPeerID() == stalled.id })
	sm.NewPeer(good)

	waitFor(t, 20*time.Second, "sync from the good peer", func() bool { return sameBlocks(local, remote) })
	if !stalled.isDisconnected() {
		t.Error("stalled sync peer not disconnected")
	}
}

// TestSyncPeerDisconnect replaces a sync peer that disconnects mid-sync.
func TestSyncPeerDisconnect(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 2500)
	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)
	first := connect(t, sm, n, remote)
	waitFor(t, 5*time.Second, "first peer chosen", func() bool { return sm.SyncPeerID() == first.id })
	second := connect(t, sm, n, remote)
	waitFor(t, 10*time.Second, "some progress", func() bool { return local.MaxHeight() > 100 })
	first.Disconnect()
	// The fake DAG is fast enough that the second peer can finish the
	// sync between two polls, so the sync ending also counts: only the
	// second peer was left to deliver the rest.
	waitFor(t, 5*time.Second, "second peer chosen", func() bool {
		return sm.SyncPeerID() == second.id || sameBlocks(local, remote)
	})
	waitFor(t, 20*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
}

// TestNonSyncPeerDropped checks that in sync mode the announcements and
// unrequested blocks of a non-sync peer are dropped, then fetched when the
// sync ends.
func TestNonSyncPeerDropped(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 3000)
	other := newFakeDAG()
	own := other.addChain(t, genesis.BlockHash(), 5)

	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)
	syncPeer := connect(t, sm, n, remote)
	// A slow link, so the download lasts longer than the polls: a lone
	// peer is asked for a page at once.
	syncPeer.blockDelay.Store(int64(200 * time.Microsecond))
	waitFor(t, 5*time.Second, "sync peer chosen", func() bool { return sm.SyncPeerID() == syncPeer.id })

	// The other peer speaks while the manager is paused in sync mode, so
	// its messages are handled before the sync can end: the download
	// needs far more blocks than the manager's queue holds.
	resume := sm.Pause()
	if !sm.InSyncMode() {
		t.Fatal("sync ended before the other peer spoke")
	}
	spoke := make(chan *simPeer)
	go func() {
		p := newSimPeer(sm, other)
		n.mtx.Lock()
		n.peers = append(n.peers, p)
		n.mtx.Unlock()
		sm.NewPeer(p) // its version tip is dropped
		p.announce(own[4])
		sm.QueueBlock(other.block(own[0]), p)
		spoke <- p
	}()
	time.Sleep(20 * time.Millisecond)
	close(resume)
	p := <-spoke
	t.Cleanup(p.stop)
	waitFor(t, 5*time.Second, "drops", func() bool { return sm.SyncState().BlocksDropped >= 3 })
	waitFor(t, 20*time.Second, "sync", func() bool { return !sm.InSyncMode() && local.MaxHeight() == 3000 })
	waitFor(t, 5*time.Second, "dropped blocks fetched", func() bool {
		for _, h := range own {
			if !local.HaveBlock(&h) {
				return false
			}
		}
		return true
	})
}

// TestAnnouncementDedupe checks that a block announced by two peers is
// requested once, and from the other peer when the first does not deliver.
func TestAnnouncementDedupe(t *testing.T) {
	common := newFakeDAG()
	chain := common.addChain(t, genesis.BlockHash(), 5)
	local := cloneDAG(t, common)
	remote := cloneDAG(t, common)

	sm, n := testManager(t, local, nil, func(c *Config) {
		c.RequestTimeout = time.Second
	})
	slow := connect(t, sm, n, remote)
	slow.silent.Store(true)
	fast := connect(t, sm, n, remote)
	fast.silent.Store(true)

	next := remote.addChain(t, chain[4], 1)
	slow.announce(next[0])
	waitFor(t, 5*time.Second, "request to the first announcer", func() bool {
		return len(slow.sentOf(wire.CmdGetData)) == 1
	})
	fast.announce(next[0])
	time.Sleep(50 * time.Millisecond)
	if got := len(fast.sentOf(wire.CmdGetData)); got != 0 {
		t.Fatalf("block requested from the second announcer while in flight: %d getdata", got)
	}
	fast.silent.Store(false)
	waitFor(t, 5*time.Second, "retry with the second announcer", func() bool {
		return local.HaveBlock(&next[0])
	})
}

// TestInvalidBlockScore checks that an invalid block reports misbehaviour.
func TestInvalidBlockScore(t *testing.T) {
	local := newFakeDAG()
	type report struct {
		peer  Peer
		score uint32
	}
	reports := make(chan report, 4)
	sm, n := testManager(t, local, nil, func(c *Config) {
		c.OnMisbehavior = func(p Peer, score uint32, reason string) {
			reports <- report{p, score}
		}
	})
	p := connect(t, sm, n, newFakeDAG())
	bad := makeBlock(genesis.BlockHash())
	local.mtx.Lock()
	local.invalid[bad.BlockHash()] = true
	local.mtx.Unlock()
	sm.QueueBlock(bad, p)
	select {
	case r := <-reports:
		if r.peer != Peer(p) || r.score != banScoreInvalidBlock {
			t.Errorf("report: got %v score %d, want peer %d score %d", r.peer, r.score, p.id, banScoreInvalidBlock)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no misbehaviour reported")
	}
	// A duplicate is no misbehaviour.
	sm.QueueBlock(genesis, p)
	select {
	case r := <-reports:
		t.Errorf("duplicate reported with score %d", r.score)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestBlockErrorScore is the table of misbehaviour scores.
func TestBlockErrorScore(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want uint32
	}{
		{"bad merkle root", blockdag.RuleError{Err: blockdag.ErrBadMerkleRoot}, banScoreInvalidBlock},
		{"invalid parent", blockdag.RuleError{Err: blockdag.ErrInvalidParent}, banScoreInvalidBlock},
		{"high hash", blockdag.RuleError{Err: blockdag.ErrHighHash}, banScoreInvalidBlock},
		{"time too new", blockdag.RuleError{Err: blockdag.ErrTimeTooNew}, 0},
		{"orphan pool full", blockdag.RuleError{Err: blockdag.ErrOrphanLimit}, 0},
		{"duplicate", blockdag.RuleError{Err: blockdag.ErrDuplicateBlock}, 0},
	}
	for _, test := range tests {
		if got := blockErrorScore(test.err); got != test.want {
			t.Errorf("%s: got %d, want %d", test.name, got, test.want)
		}
	}
}

// TestProcessBlockLocal submits a mined block through ProcessBlock.
func TestProcessBlockLocal(t *testing.T) {
	local := newFakeDAG()
	sm, _ := testManager(t, local, nil, nil)
	b := makeBlock(genesis.BlockHash())
	orphan, err := sm.ProcessBlock(b, blockdag.BFNone)
	if err != nil || orphan {
		t.Fatalf("ProcessBlock: orphan %v err %v", orphan, err)
	}
	if _, err := sm.ProcessBlock(b, blockdag.BFNone); !errors.Is(err, blockdag.ErrDuplicateBlock) {
		t.Errorf("second ProcessBlock: got %v, want %v", err, blockdag.ErrDuplicateBlock)
	}
	orphan, err = sm.ProcessBlock(makeBlock(wire.Hash{1}), blockdag.BFNone)
	if err != nil || !orphan {
		t.Errorf("orphan ProcessBlock: orphan %v err %v", orphan, err)
	}
}

// TestPause checks that a paused manager processes nothing until resumed.
func TestPause(t *testing.T) {
	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)
	p := connect(t, sm, n, newFakeDAG())
	resume := sm.Pause()
	sm.QueueBlock(makeBlock(genesis.BlockHash()), p)
	time.Sleep(50 * time.Millisecond)
	if local.count() != 1 {
		t.Fatal("block processed while paused")
	}
	close(resume)
	waitFor(t, 5*time.Second, "block after resume", func() bool { return local.count() == 2 })
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mtx sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mtx.Lock()
	defer b.mtx.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mtx.Lock()
	defer b.mtx.Unlock()
	return b.buf.String()
}

// TestProgressLog checks the progress line written during a download.
func TestProgressLog(t *testing.T) {
	var out syncBuffer
	logger := btclog.NewBackend(&out).Logger("SYNC")
	logger.SetLevel(btclog.LevelInfo)
	UseLogger(logger)
	// Registered first, so it runs after the manager has stopped.
	t.Cleanup(func() { UseLogger(btclog.Disabled) })

	// Long enough that the download outlasts a few progress intervals
	// (10 ms) even with parallel, pipelined requests.
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 20000)
	local := newFakeDAG()
	sm, n := testManager(t, local, nil, func(c *Config) {
		c.ProgressInterval = 10 * time.Millisecond
	})
	connect(t, sm, n, remote)
	waitFor(t, 20*time.Second, "sync", func() bool { return sameBlocks(local, remote) })
	waitFor(t, 5*time.Second, "progress line", func() bool {
		return strings.Contains(out.String(), "blocks/s), max height") &&
			strings.Contains(out.String(), "% done, ETA ")
	})
	if !strings.Contains(out.String(), "Left sync mode: 20000 blocks") {
		t.Errorf("no sync summary in the log:\n%s", out.String())
	}
}

// TestProgressETA checks the time left the progress line shows.
func TestProgressETA(t *testing.T) {
	start := time.Unix(1000, 0)
	tests := []struct {
		name           string
		after          time.Duration
		ourMax, target uint32
		want           string
	}{
		{"half way in 10s", 10 * time.Second, 600, 1100, "ETA 10s"},
		{"done", 10 * time.Second, 1100, 1100, "ETA now"},
		{"no progress yet", 10 * time.Second, 100, 1100, "ETA unknown"},
		{"slow", time.Minute, 101, 3701, "ETA 60h0m0s"},
	}
	for _, test := range tests {
		p := progressStats{syncStart: start, syncStartHeight: 100}
		if got := p.eta(start.Add(test.after), test.ourMax, test.target); got != test.want {
			t.Errorf("%s: got %q, want %q", test.name, got, test.want)
		}
	}
}

// TestFirstProgressLineEarly checks that a download's first progress line
// comes about 2 s after the sync starts even with a long interval.
func TestFirstProgressLineEarly(t *testing.T) {
	var out syncBuffer
	logger := btclog.NewBackend(&out).Logger("SYNC")
	logger.SetLevel(btclog.LevelInfo)
	UseLogger(logger)
	t.Cleanup(func() { UseLogger(btclog.Disabled) })

	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 200)
	local := newFakeDAG()
	sm, n := testManager(t, local, nil, func(c *Config) {
		c.ProgressInterval = time.Hour
		c.StallTimeout = time.Minute
		c.RequestTimeout = time.Minute
	})
	p := newSimPeer(sm, remote)
	t.Cleanup(p.stop)
	// A silent peer stays the sync peer until the stall timeout, long
	// after the line is due.
	p.silent.Store(true)
	p.height.Store(5000)
	n.peers = append(n.peers, p)
	begin := time.Now()
	sm.NewPeer(p)
	waitFor(t, 5*time.Second, "first progress line", func() bool {
		return strings.Contains(out.String(), "% done, ETA")
	})
	if took := time.Since(begin); took > 3500*time.Millisecond {
		t.Errorf("first progress line after %v, want about 2s", took)
	}
}

// TestPeerClaimsTooMuch checks that a sync peer claiming a greater height
// than it has, or listing blocks it does not deliver, ends sync mode rather
// than being asked again and again.
func TestPeerClaimsTooMuch(t *testing.T) {
	tests := []struct {
		name     string
		withhold bool
		want     int
	}{
		{name: "height above its DAG", want: 101},
		{name: "lists but never delivers", withhold: true, want: 1},
	}
	for _, test := range tests {
		remote := newFakeDAG()
		remote.addChain(t, genesis.BlockHash(), 100)
		local := newFakeDAG()
		sm, n := testManager(t, local, nil, nil)
		p := newSimPeer(sm, remote)
		t.Cleanup(p.stop)
		p.height.Store(5000)
		p.withhold.Store(test.withhold)
		n.peers = append(n.peers, p)
		sm.NewPeer(p)
		waitFor(t, 5*time.Second, test.name+": sync mode ends", func() bool {
			return !sm.InSyncMode() && sm.SyncState().MaxHeight == uint32(test.want-1)
		})
		time.Sleep(100 * time.Millisecond)
		if got := p.getBlocks.Load(); got > 3 {
			t.Errorf("%s: %d getblocks sent, want at most 3", test.name, got)
		}
		if got := local.count(); got != test.want {
			t.Errorf("%s: %d blocks, want %d", test.name, got, test.want)
		}
		sm.Stop()
	}
}

// TestOnlyPrunedPeers checks that a new node never asks a pruned peer for
// blocks below its lowest served height, says so in its state while only
// such peers are ahead, and syncs once an archive peer connects.
func TestOnlyPrunedPeers(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 1500)
	local := newFakeDAG()
	sm, n := testManager(t, local, nil, nil)

	pruned := newSimPeer(sm, remote)
	pruned.services = wire.SFNodeNetwork | wire.SFNodePruned
	pruned.lowest = 1000
	pruned.withhold.Store(true)
	t.Cleanup(pruned.stop)
	n.mtx.Lock()
	n.peers = append(n.peers, pruned)
	n.mtx.Unlock()
	sm.NewPeer(pruned)
	waitFor(t, 5*time.Second, "only pruned peers reported", func() bool {
		return sm.SyncState().OnlyPrunedPeers
	})
	if id := sm.SyncPeerID(); id != 0 {
		t.Fatalf("sync peer %d chosen among pruned peers only", id)
	}
	// Asking for what it keeps (the tip its version named) is fine;
	// asking below its lowest height is not.
	checkAsked := func() {
		t.Helper()
		for _, m := range pruned.sentOf(wire.CmdGetBlocks) {
			if s := m.(*wire.MsgGetBlocks).StartHeight; s < pruned.lowest {
				t.Fatalf("the pruned peer was sent getblocks from height %d", s)
			}
		}
		for _, m := range pruned.sentOf(wire.CmdGetData) {
			for _, iv := range m.(*wire.MsgGetData).InvList {
				if info, err := remote.BlockInfo(&iv.Hash); err == nil && info.Height < pruned.lowest {
					t.Fatalf("the pruned peer was asked for block %s at height %d", iv.Hash, info.Height)
				}
			}
		}
	}
	checkAsked()

	archive := connect(t, sm, n, remote)
	waitFor(t, 20*time.Second, "sync from the archive peer", func() bool { return sameBlocks(local, remote) })
	checkAsked()
	if archive.getBlocks.Load() == 0 {
		t.Error("the archive peer got no getblocks")
	}
	waitFor(t, 5*time.Second, "state cleared", func() bool { return !sm.SyncState().OnlyPrunedPeers })
}

// TestServesAbove checks which peers can serve the blocks above our max
// height.
func TestServesAbove(t *testing.T) {
	tests := []struct {
		name     string
		services wire.ServiceFlag
		lowest   uint32
		ourMax   uint32
		want     bool
	}{
		{"archive", wire.SFNodeNetwork, 0, 0, true},
		{"pruned below us", wire.SFNodeNetwork | wire.SFNodePruned, 500, 900, true},
		{"pruned at our next height", wire.SFNodeNetwork | wire.SFNodePruned, 901, 900, true},
		{"pruned above our next height", wire.SFNodeNetwork | wire.SFNodePruned, 902, 900, false},
		{"pruned, new node", wire.SFNodeNetwork | wire.SFNodePruned, 1000, 0, false},
	}
	for _, test := range tests {
		p := &simPeer{services: test.services, lowest: test.lowest}
		if got := servesAbove(p, test.ourMax); got != test.want {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
	}
}
