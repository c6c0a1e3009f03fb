package netsync

import (
	"fmt"
	"time"

	"github.com/soterdag/soterd/wire"
)

// peerState is what the manager knows about one peer. It belongs to the
// manager goroutine.
type peerState struct {
	peer Peer
	id   int32

	// height is the greatest height the peer is known to have: from its
	// version message, its announcements and the answers to our
	// getblocks.
	height uint32

	// requested holds the blocks assigned to this peer, queued in wanted
	// or in flight; queued and inFlight count them.
	requested map[wire.Hash]*blockRequest
	wanted    []*blockRequest
	queued    int
	inFlight  int

	// inFlightSince is when the peer last delivered a requested block, or
	// when its first outstanding request was sent if that is later: a
	// peer that answers in order delivers again within RequestTimeout.
	inFlightSince time.Time

	// requestedTxs holds the transactions requested from this peer.
	requestedTxs map[wire.Hash]*txRequest

	// ranges are the open getblocks ranges, oldest first.
	ranges []*blockRange

	// deferred holds the newest block announcements dropped in sync mode,
	// to be fetched when the sync ends.
	deferred []wire.InvVect

	// progress judges the peer by the blocks it delivered that connected
	// to the DAG; the stall check of the sync peer measures from it.
	progress peerProgress

	// provenHeight is the greatest height of a block from the peer that
	// connected: what its claims fall back to when one proves false.
	provenHeight uint32

	// versionTips are the tips of the peer's version message, which come
	// without heights (the peer's max height stands in): their heights
	// are not checked as claims.
	versionTips map[wire.Hash]struct{}

	// late holds blocks whose requests to this peer expired: the peer
	// may still deliver them, which is late, not wrong.
	late map[wire.Hash]struct{}

	// stalled marks a sync peer replaced for stalling: it is never chosen
	// again.
	stalled bool

	// exhaustedHeight records the height the peer claimed when a full
	// sync range with it brought nothing new: it is not chosen again
	// until it announces more.
	exhausted       bool
	exhaustedHeight uint32

	// syncYield counts the blocks accepted from the peer since its
	// current sync range started.
	syncYield int

	// link measures the peer's delivery rate and round trip, which size
	// its window of blocks in flight (window.go).
	link linkEstimate

	// pages is the state of the peer's sync range pages (pages.go).
	pages syncPages

	// noHelpUntil is when a helper that answered notfound for blocks of
	// the sync queue may take some again (parallel.go).
	noHelpUntil time.Time
}

// backlog returns the blocks assigned to the peer and not yet received.
func (ps *peerState) backlog() int {
	return ps.queued + ps.inFlight
}

// noteHeight records that the peer has a block at height.
func (ps *peerState) noteHeight(height uint32) {
	if height > ps.height {
		ps.height = height
		ps.peer.SetMaxHeight(height, nil)
	}
}

// blockHandler is the manager goroutine: it owns the manager's state and
// handles the messages of the channel and the housekeeping ticks until Stop.
func (sm *SyncManager) blockHandler() {
	defer sm.wg.Done()

	ticker := time.NewTicker(sm.tickInterval())
	defer ticker.Stop()

	for {
		select {
		case m := <-sm.msgChan:
			switch msg := m.(type) {
			case newPeerMsg:
				sm.handleNewPeer(msg.peer)
			case donePeerMsg:
				sm.handleDonePeer(msg.peer)
			case invMsg:
				sm.handleInv(msg.inv, msg.peer)
			case blockMsg:
				sm.handleBlock(msg.block, msg.peer)
			case txMsg:
				sm.handleTx(msg.tx, msg.peer)
			case notFoundMsg:
				sm.handleNotFound(msg.notFound, msg.peer)
			case headersMsg:
				sm.handleHeaders(msg.headers, msg.peer)
			case processBlockMsg:
				isOrphan, err := sm.processLocalBlock(msg.block, msg.flags)
				msg.reply <- processBlockResult{isOrphan: isOrphan, err: err}
			case pauseMsg:
				close(msg.paused)
				select {
				case <-msg.unpause:
				case <-sm.quit:
					return
				}
			default:
				log.Errorf("Sync manager received a message of unknown type %T", m)
			}
		case <-ticker.C:
			sm.handleTick()
		case <-sm.quit:
			log.Debugf("Sync manager stopped")
			return
		}
	}
}

// tickInterval is the housekeeping period: a quarter of the shortest
// timeout, so stalls and expiries are noticed at most 25% late, no longer
// than the progress interval, and never more than maxTickInterval so the
// snapshot stays fresh.
func (sm *SyncManager) tickInterval() time.Duration {
	d := min(maxTickInterval, sm.cfg.StallTimeout/4, sm.cfg.RequestTimeout/4, sm.cfg.ProgressInterval)
	return max(d, 10*time.Millisecond)
}

// handleNewPeer starts tracking a peer, syncs from it if it is ahead of us,
// and fetches the tips it advertised that we lack.
func (sm *SyncManager) handleNewPeer(p Peer) {
	if _, ok := sm.peers[p]; ok {
		return
	}
	now := sm.cfg.TimeSource()
	ps := &peerState{
		peer:         p,
		id:           p.ID(),
		height:       p.MaxHeight(),
		requested:    make(map[wire.Hash]*blockRequest),
		requestedTxs: make(map[wire.Hash]*txRequest),
		versionTips:  make(map[wire.Hash]struct{}),
		late:         make(map[wire.Hash]struct{}),
	}
	ps.progress.reset(now)
	sm.peers[p] = ps
	log.Debugf("New peer %s (id %d, max height %d)", p.Addr(), ps.id, ps.height)
	sm.adoptEarlyGetBlocks(ps)

	sm.startSync()
	sm.shareWork()
	sm.assumeValidStep(now)

	// The tips of the version message are announcements; their heights
	// are not sent, so the peer's max height stands in (an upper bound,
	// which only makes an orphan's gap search start a little high).
	var tips []wire.InvVect
	for _, tip := range p.Tips() {
		if sm.cfg.DAG.HaveBlock(&tip) {
			continue
		}
		tips = append(tips, wire.InvVect{Type: wire.InvTypeBlock, Hash: tip, Height: ps.height})
		ps.versionTips[tip] = struct{}{}
	}
	if len(tips) > 0 {
		sm.handleAnnouncements(ps, tips)
	}
	sm.updateState()
}

// handleDonePeer forgets a peer, hands its requests to other peers and
// replaces it at once if it was the sync peer.
func (sm *SyncManager) handleDonePeer(p Peer) {
	ps, ok := sm.peers[p]
	if !ok {
		return
	}
	delete(sm.peers, p)
	log.Debugf("Peer %s (id %d) gone", p.Addr(), ps.id)

	blocks, txs := sm.cancelPeerRequests(ps)
	if sm.syncPeer == ps {
		sm.unbackedClaim(ps, "disconnected")
		sm.endSync("sync peer disconnected")
	}
	sm.reassignBlocks(blocks, ps)
	sm.reassignTxs(txs, ps)
	sm.updateState()
}

// handleTick does the housekeeping: request expiry, the sync peer's stall
// check, orphan retries, the progress log and the state snapshot.
func (sm *SyncManager) handleTick() {
	now := sm.cfg.TimeSource()
	sm.expireRequests(now)
	sm.checkHelperStalls(now)
	sm.checkSyncStall(now)
	sm.retryOrphans(now)
	sm.refetchFutureBlocks(now)
	if sm.syncPeer == nil {
		sm.startSync()
	}
	sm.refreshRelayHold(now)
	sm.shareWork()
	sm.assumeValidStep(now)
	sm.handleRejectedOrphans()
	sm.logProgress(now)
	sm.updateState()
}

// handleInv sorts an inv into an answer to one of our getblocks, block
// announcements and transaction announcements.
func (sm *SyncManager) handleInv(inv *wire.MsgInv, p Peer) {
	ps, ok := sm.peers[p]
	if !ok {
		return
	}
	var blocks, txs []wire.InvVect
	for i := range inv.InvList {
		switch inv.InvList[i].Type {
		case wire.InvTypeBlock:
			blocks = append(blocks, inv.InvList[i])
		case wire.InvTypeTx:
			txs = append(txs, inv.InvList[i])
		}
	}
	if len(txs) == 0 {
		if r := sm.matchRange(ps, blocks); r != nil {
			sm.handleRangeAnswer(ps, r, blocks)
			return
		}
	}
	if len(blocks) > 0 {
		sm.handleAnnouncements(ps, blocks)
	}
	if len(txs) > 0 {
		sm.handleTxInv(ps, txs)
	}
}

// handleNotFound drops the requests a peer cannot serve and retries them
// with other peers that announced them.
func (sm *SyncManager) handleNotFound(nf *wire.MsgNotFound, p Peer) {
	ps, ok := sm.peers[p]
	if !ok {
		return
	}
	var blocks, txs []wire.InvVect
	announced, shared := 0, 0
	for i := range nf.InvList {
		iv := nf.InvList[i]
		switch iv.Type {
		case wire.InvTypeBlock:
			req := sm.requestedBlocks[iv.Hash]
			if req == nil || req.peer != ps {
				continue
			}
			if p.IsKnownInventory(&wire.InvVect{Type: wire.InvTypeBlock, Hash: iv.Hash}) {
				announced++
			}
			if req.shared {
				shared++
			}
			sm.removeBlockRequest(req)
			blocks = append(blocks, wire.InvVect{Type: wire.InvTypeBlock, Hash: iv.Hash, Height: req.height})
		case wire.InvTypeTx:
			req := sm.requestedTxs[iv.Hash]
			if req == nil || req.peer != ps {
				continue
			}
			sm.removeTxRequest(iv.Hash, req)
			txs = append(txs, iv)
		}
	}
	if len(blocks) > 0 {
		log.Debugf("Peer %s does not have %d requested blocks", p.Addr(), len(blocks))
	}
	if announced > 0 {
		// It listed or announced them: a liar keeping a download busy.
		// Its claims fall back to what it proved, and it is not synced
		// from again until it claims more.
		sm.misbehave(ps, banScoreNotFoundAnnounced, fmt.Sprintf(
			"notfound for %d blocks it announced", announced))
		ps.exhausted = true
		ps.exhaustedHeight = ps.height
		ps.height = ps.provenHeight
		if ps == sm.syncPeer {
			blocks, txs := sm.cancelPeerRequests(ps)
			ps.ranges = nil
			sm.endSync("sync peer does not have the blocks it announced")
			sm.reassignBlocks(blocks, ps)
			sm.reassignTxs(txs, ps)
			return
		}
	}
	if shared > 0 && ps != sm.syncPeer {
		// A helper without the sync peer's blocks: its DAG differs
		// from the sync peer's, or it is behind what it claimed. No
		// score, it never announced them; no work for a while.
		ps.noHelpUntil = sm.cfg.TimeSource().Add(helperBackoff)
		blocks = append(blocks, sm.takeShared(ps, false)...)
		log.Debugf("Helper %s lacks %d blocks of the sync queue: no work for it for %v",
			p.Addr(), shared, helperBackoff)
	}
	sm.reassignBlocks(blocks, ps)
	sm.reassignTxs(txs, ps)
	sm.afterDelivery(ps)
}
