package netsync

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// clockDAG is a fakeDAG that refuses blocks more than maxOffset ahead of a
// test clock, as blockdag does with ErrTimeTooNew.
type clockDAG struct {
	*fakeDAG
	now       func() time.Time
	maxOffset time.Duration
}

func (d *clockDAG) ProcessBlock(b *wire.MsgBlock, flags blockdag.BehaviorFlags) (bool, error) {
	if b.Header.Timestamp > d.now().Add(d.maxOffset).UnixMilli() {
		return false, blockdag.RuleError{Err: blockdag.ErrTimeTooNew,
			Description: fmt.Sprintf("block time %d is too far in the future", b.Header.Timestamp)}
	}
	return d.fakeDAG.ProcessBlock(b, flags)
}

func (d *clockDAG) ProcessPrecheckedBlock(pb *blockdag.PrecheckedBlock) (bool, error) {
	return d.ProcessBlock(pb.Block, blockdag.BFNone)
}

// TestFutureBlockRefetch gives a node whose clock lags ten minutes a chain
// of blocks from a peer: they are refused as too far in the future, their
// offsets are reported, and once the clock is fixed they are fetched again
// and accepted without any new announcement.
func TestFutureBlockRefetch(t *testing.T) {
	const maxOffset = 2 * time.Minute
	const lag = 10 * time.Minute
	start := time.Now()
	var skew atomic.Int64 // our clock's offset from the real time
	skew.Store(int64(-lag))
	now := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }

	remote := newFakeDAG()
	parent := genesis.BlockHash()
	var hashes []wire.Hash
	for i := 0; i < 5; i++ {
		b := makeBlock(parent)
		b.Header.Timestamp = start.Add(time.Duration(i) * time.Second).UnixMilli()
		parent = b.BlockHash()
		remote.store(parent, b, uint32(i+1))
		hashes = append(hashes, parent)
	}

	local := &clockDAG{fakeDAG: newFakeDAG(), now: now, maxOffset: maxOffset}
	var mu sync.Mutex
	var aheads []time.Duration
	n := &recordingNotifier{}
	sm, err := New(&Config{
		DAG: local, PeerNotifier: n,
		StallTimeout: 2 * time.Second, RequestTimeout: 2 * time.Second,
		ProgressInterval: time.Second, TimeSource: now, MaxTimeOffset: maxOffset,
		OnFutureBlock: func(_ Peer, ahead time.Duration) {
			mu.Lock()
			aheads = append(aheads, ahead)
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sm.Start()
	t.Cleanup(sm.Stop)
	p := connect(t, sm, n, remote)

	waitFor(t, 10*time.Second, "a refused future block", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(aheads) > 0
	})
	mu.Lock()
	if a := aheads[0]; a < lag-time.Minute || a > lag+time.Minute {
		t.Errorf("reported offset %v, want about %v", a, lag)
	}
	mu.Unlock()
	time.Sleep(time.Second) // a few ticks: nothing is due yet
	if local.HaveBlock(&hashes[0]) {
		t.Fatal("a block 10 minutes ahead was accepted")
	}
	getData := p.getData.Load()

	// The clock is fixed: the blocks come in without an announcement.
	skew.Store(0)
	waitFor(t, 10*time.Second, "the future blocks", func() bool { return sameBlocks(local.fakeDAG, remote) })
	if p.getData.Load() == getData {
		t.Error("the blocks arrived without a new getdata")
	}
}
