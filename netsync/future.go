package netsync

import (
	"time"

	"github.com/soterdag/soterd/wire"
)

// maxFutureBlocks bounds the blocks refused as too far in the future that
// the manager remembers to fetch again. A clock that lags refuses every new
// block, a few a minute; past the bound, later ones are left to the next
// announcement or getblocks page.
const maxFutureBlocks = 256

// futureBlock is a block refused because its timestamp was too far ahead
// of our clock, to be fetched again from its sender once due.
type futureBlock struct {
	peer   *peerState
	height uint32
	due    time.Time
}

// noteFutureBlock remembers a block refused with blockdag.ErrTimeTooNew
// and reports the offset it implies to the node's clock check. The block
// is not invalid (its timestamp becomes acceptable as time passes, or as
// soon as our clock is fixed), and a node that only waited for the next
// announcement would stay behind until then.
func (sm *SyncManager) noteFutureBlock(ps *peerState, block *wire.MsgBlock, hash wire.Hash, height uint32) {
	now := sm.cfg.TimeSource()
	stamp := time.UnixMilli(block.Header.Timestamp)
	if sm.cfg.OnFutureBlock != nil {
		sm.cfg.OnFutureBlock(ps.peer, stamp.Sub(now))
	}
	if sm.future == nil {
		sm.future = make(map[wire.Hash]*futureBlock)
	}
	if _, ok := sm.future[hash]; !ok && len(sm.future) >= maxFutureBlocks {
		return
	}
	// The DAG accepts the block once now+MaxTimeOffset reaches its
	// timestamp; a fixed clock makes that the next tick.
	sm.future[hash] = &futureBlock{peer: ps, height: height, due: stamp.Add(-sm.cfg.MaxTimeOffset)}
	log.Debugf("Block %s from %s is %v ahead of our clock; fetching it again at %v",
		hash, ps.peer.Addr(), stamp.Sub(now).Round(time.Second), sm.future[hash].due.Format(time.RFC3339))
}

// refetchFutureBlocks asks again for the remembered future blocks whose
// timestamps our clock now accepts, from their sender or, when it left,
// from the best peer.
func (sm *SyncManager) refetchFutureBlocks(now time.Time) {
	for hash, fb := range sm.future {
		if now.Before(fb.due) {
			continue
		}
		delete(sm.future, hash)
		ps := fb.peer
		if _, ok := sm.peers[ps.peer]; !ok {
			if ps = sm.bestPeer(); ps == nil {
				continue
			}
		}
		if sm.assignBlock(ps, hash, fb.height, false, wire.Hash{}) {
			log.Debugf("Fetching block %s again from %s: its time has come", hash, ps.peer.Addr())
			sm.requestMore(ps, true)
		}
	}
}
