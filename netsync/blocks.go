package netsync

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

const (
	// banScoreInvalidBlock is the misbehaviour score of a block that
	// breaks a consensus rule. Honest nodes validate before they relay,
	// so one invalid block is enough to ban (the default threshold is
	// 100).
	banScoreInvalidBlock = 100

	// orphanRetryInterval is how often the missing parents of a tracked
	// orphan are looked at again, in case their requests were lost.
	orphanRetryInterval = 5 * time.Second
)

// blockRequest is a block assigned to a peer: queued to be requested, or in
// flight once sent is set.
type blockRequest struct {
	hash   wire.Hash
	peer   *peerState
	height uint32

	// exactHeight is false when height is an estimate (a missing parent
	// is given its child's height minus one, an upper bound).
	exactHeight bool

	// parentOf is the orphan this block was requested for, if any.
	parentOf wire.Hash

	// shared marks a block a helper took from the sync queue
	// (parallel.go).
	shared bool

	// avoid is a peer whose request for this block expired while it may
	// still be on its way: it is left to other peers (parallel.go).
	avoid *peerState

	sent time.Time
}

// trackedOrphan is an orphan whose missing parents the manager fetches.
type trackedOrphan struct {
	height    uint32
	peer      *peerState
	lastTried time.Time
}

// wantBlock assigns a block to a peer unless it is already assigned, known
// or known invalid, or the peer's queue is full. It reports whether the
// block was assigned; the caller sends the requests with requestMore.
func (sm *SyncManager) wantBlock(ps *peerState, hash wire.Hash, height uint32, exact bool, parentOf wire.Hash) bool {
	if ps.queued >= maxWantedBlocks {
		return false
	}
	return sm.assignBlock(ps, hash, height, exact, parentOf)
}

// assignBlock is wantBlock without the queue bound, for the answers of
// ranges: a range moves past what it lists, so nothing it lists may be
// skipped, and the pages themselves bound the queue (a page is at most
// wire.MaxBlocksPerInv blocks, and the next one is asked for only when the
// backlog is down to half a page; sync pages by maxSyncBacklog).
func (sm *SyncManager) assignBlock(ps *peerState, hash wire.Hash, height uint32, exact bool, parentOf wire.Hash) bool {
	if _, ok := sm.requestedBlocks[hash]; ok {
		return false
	}
	if height < prunedBelow(ps.peer) {
		// A pruned peer does not keep it (height is exact or an
		// upper bound).
		return false
	}
	dag := sm.cfg.DAG
	// A block announced above our highest block cannot be in the DAG;
	// skipping the store lookup matters during a download, where nearly
	// every announced block is such. A peer that lies about the height
	// costs itself a block we then refuse as a duplicate.
	above := exact && height > dag.MaxHeight()
	if (!above && dag.HaveBlock(&hash)) || dag.IsKnownOrphan(&hash) || dag.IsKnownInvalid(&hash) {
		return false
	}
	req := &blockRequest{hash: hash, peer: ps, height: height, exactHeight: exact, parentOf: parentOf}
	sm.requestedBlocks[hash] = req
	ps.requested[hash] = req
	ps.wanted = append(ps.wanted, req)
	ps.queued++
	return true
}

// requestMore sends getdata for the peer's queued blocks while it has room
// for blocks in flight. Unless force is set it waits until a batch's worth
// of room is free, so a download sends one getdata per batch rather than
// one per block received.
func (sm *SyncManager) requestMore(ps *peerState, force bool) {
	window := sm.window(ps)
	free := window - ps.inFlight
	if free <= 0 || ps.queued == 0 {
		return
	}
	// A small window refills at half of itself, or it would wait for
	// a batch it can never free and idle a round trip each time.
	batch := min(getDataBatch, max(1, window/2))
	if !force && ps.inFlight > 0 && free < batch {
		return
	}
	frontier := sm.syncFrontier()
	if ps == sm.syncPeer {
		frontier = min(frontier, sm.helperLimit())
	}
	if !force && ps.inFlight > 0 && frontier != math.MaxUint32 {
		if n, capped := sm.countSendable(ps, frontier, batch); capped && n < batch {
			// The cap moves a block at a time as blocks
			// arrive: wait until it lets a batch through.
			return
		}
	}
	now := sm.cfg.TimeSource()
	gd := &wire.MsgGetData{InvList: make([]wire.InvVect, 0, min(free, ps.queued))}
	head := 0
	var kept []*blockRequest
	for ; head < len(ps.wanted) && len(gd.InvList) < free; head++ {
		req := ps.wanted[head]
		ps.wanted[head] = nil
		if sm.requestedBlocks[req.hash] != req {
			// Cancelled after it was queued; already uncounted.
			continue
		}
		if req.avoid == ps || (req.exactHeight && req.height > frontier) {
			// Its earlier request expired here (helpers take
			// it, or the earlier answer still arrives), or it
			// is above a sync page not answered yet, whose
			// blocks it may build on, or too far above a
			// helper's block (helperLimit).
			kept = append(kept, req)
			continue
		}
		ps.queued--
		req.sent = now
		gd.InvList = append(gd.InvList, wire.InvVect{
			Type: wire.InvTypeBlock, Hash: req.hash, Height: req.height,
		})
	}
	ps.wanted = ps.wanted[head:]
	if len(kept) > 0 {
		ps.wanted = append(kept, ps.wanted...)
	}
	if len(ps.wanted) == 0 {
		ps.wanted = nil
	}
	if len(gd.InvList) == 0 {
		return
	}
	if ps.inFlight == 0 {
		ps.inFlightSince = now
	}
	ps.inFlight += len(gd.InvList)
	ps.peer.QueueMessage(gd, nil)
}

// countSendable counts the requests at the front of the queue of ps that
// requestMore would send under the height cap frontier, stopping at n;
// capped reports whether the cap stopped the count.
func (sm *SyncManager) countSendable(ps *peerState, frontier uint32, n int) (count int, capped bool) {
	for _, req := range ps.wanted {
		if count >= n {
			break
		}
		if req == nil || sm.requestedBlocks[req.hash] != req || req.avoid == ps {
			continue
		}
		if req.exactHeight && req.height > frontier {
			// The queue is in height order: the rest are
			// above the cap too.
			return count, true
		}
		count++
	}
	return count, false
}

// removeBlockRequest forgets a block request, wherever it is.
func (sm *SyncManager) removeBlockRequest(req *blockRequest) {
	if req.shared {
		sm.sharedOutstanding--
	}
	delete(sm.requestedBlocks, req.hash)
	delete(req.peer.requested, req.hash)
	if req.sent.IsZero() {
		req.peer.queued--
	} else {
		req.peer.inFlight--
	}
}

// cancelPeerRequests forgets every request assigned to a peer and returns
// them as inventory, so they can be given to other peers.
func (sm *SyncManager) cancelPeerRequests(ps *peerState) (blocks, txs []wire.InvVect) {
	for hash, req := range ps.requested {
		blocks = append(blocks, wire.InvVect{Type: wire.InvTypeBlock, Hash: hash, Height: req.height})
		sm.removeBlockRequest(req)
	}
	ps.wanted = nil
	for hash, req := range ps.requestedTxs {
		txs = append(txs, wire.InvVect{Type: wire.InvTypeTx, Hash: hash})
		sm.removeTxRequest(hash, req)
	}
	return blocks, txs
}

// peerWithInventory returns a connected peer other than exclude that
// announced iv, preferring the sync peer, or nil.
func (sm *SyncManager) peerWithInventory(iv *wire.InvVect, exclude *peerState) *peerState {
	if sp := sm.syncPeer; sp != nil && sp != exclude && sp.peer.IsKnownInventory(iv) {
		return sp
	}
	for _, ps := range sm.peers {
		if ps != exclude && !ps.stalled && ps.peer.IsKnownInventory(iv) {
			return ps
		}
	}
	return nil
}

// reassignBlocks gives blocks taken from one peer to other peers that
// announced them. In sync mode only the sync peer is asked: the blocks a
// non-sync peer was to deliver are found again by the sync range or the
// orphan flow. Blocks nobody announced are dropped for the same reason.
func (sm *SyncManager) reassignBlocks(blocks []wire.InvVect, from *peerState) {
	touched := make(map[*peerState]struct{})
	var toSync []wire.InvVect
	for i := range blocks {
		iv := &blocks[i]
		to := sm.peerWithInventory(iv, from)
		if to == nil || (sm.syncPeer != nil && to != sm.syncPeer) {
			continue
		}
		if to == sm.syncPeer {
			// Due before what the sync queue holds: to its front,
			// where the sync peer and the helpers take it.
			toSync = append(toSync, *iv)
			continue
		}
		if sm.wantBlock(to, iv.Hash, iv.Height, true, wire.Hash{}) {
			touched[to] = struct{}{}
		}
	}
	for ps := range touched {
		sm.requestMore(ps, true)
	}
	sm.requeueFront(toSync)
}

// expireRequests drops the in-flight requests of peers that delivered
// nothing for RequestTimeout and gives them to other peers.
func (sm *SyncManager) expireRequests(now time.Time) {
	for _, ps := range sm.peers {
		if ps.inFlight > 0 && now.Sub(ps.inFlightSince) > sm.cfg.RequestTimeout {
			var blocks []wire.InvVect
			for hash, req := range ps.requested {
				if req.sent.IsZero() {
					continue
				}
				blocks = append(blocks, wire.InvVect{Type: wire.InvTypeBlock, Hash: hash, Height: req.height})
				sm.removeBlockRequest(req)
				ps.markLate(hash)
			}
			log.Debugf("Peer %s delivered none of %d requested blocks in %v: asking elsewhere",
				ps.peer.Addr(), len(blocks), sm.cfg.RequestTimeout)
			sm.reassignBlocks(blocks, ps)
			// The peer's queue moves on once the expired requests are
			// out of the way.
			sm.requestMore(ps, true)
		}
		sm.expireRanges(ps, now)
		sm.expireTxRequests(ps, now)
	}
}

// handleBlock processes a block from a peer.
func (sm *SyncManager) handleBlock(pb *blockdag.PrecheckedBlock, p Peer) {
	ps, ok := sm.peers[p]
	if !ok || pb == nil || pb.Block == nil {
		return
	}
	block := pb.Block
	hash := pb.Hash()
	iv := wire.InvVect{Type: wire.InvTypeBlock, Hash: hash}
	p.AddKnownInventory(&iv)
	now := sm.cfg.TimeSource()

	req := sm.requestedBlocks[hash]
	if (req == nil || req.peer != ps) && ps.inFlight > 0 {
		if _, late := ps.late[hash]; !late {
			sm.wrongBlock(ps, hash)
		}
	}
	if req == nil && sm.syncPeer != nil && sm.syncPeer != ps && sm.downloading(now) {
		// In sync mode the blocks of non-sync peers are dropped,
		// unless we asked for them; they are fetched when the sync
		// ends.
		iv.Height = ps.height
		sm.deferAnnouncements(ps, []wire.InvVect{iv}, true)
		log.Debugf("Dropped unrequested block %s from non-sync peer %s", hash, p.Addr())
		return
	}
	if req != nil {
		sm.removeBlockRequest(req)
		if req.peer != ps && !req.sent.IsZero() {
			// Another peer was asked again after ps's request
			// expired, and may still send it: late, not wrong.
			req.peer.markLate(hash)
		}
		if req.peer == ps {
			ps.inFlightSince = now
			ps.link.delivered(now, req.sent, block.SerializeSize())
		}
	}
	delete(ps.late, hash)

	maxBefore := sm.cfg.DAG.MaxHeight()
	isOrphan, err := sm.cfg.DAG.ProcessPrecheckedBlock(pb)
	switch {
	case err != nil:
		if errors.Is(err, blockdag.ErrTimeTooNew) {
			height := ps.height
			if req != nil {
				height = req.height
			}
			sm.noteFutureBlock(ps, block, hash, height)
		}
		sm.handleBlockError(ps, hash, err)
	case isOrphan:
		height := ps.height
		if req != nil {
			height = req.height
		}
		log.Debugf("Orphan block %s (height about %d) from %s", hash, height, p.Addr())
		sm.handleOrphan(ps, hash, height)
	default:
		sm.progress.blockAccepted(now)
		ps.progress.blockConnected(now)
		if sp := sm.syncPeer; sp != nil && (ps == sp || (req != nil && req.shared)) {
			// A block the sync peer listed connected, whoever
			// fetched it: the download it leads moves.
			sp.syncYield++
			if sp != ps {
				sp.progress.blockConnected(now)
			}
			sm.refreshRelayHold(now)
		}
		sm.checkDeliveredHeight(ps, req, hash, maxBefore)
		if req != nil && !req.parentOf.IsZero() {
			sm.handleParentArrived(ps, req)
		}
	}
	sm.afterDelivery(ps)
}

// handleBlockError logs a refused block and reports misbehaviour when the
// block broke a rule its sender should have checked.
func (sm *SyncManager) handleBlockError(ps *peerState, hash wire.Hash, err error) {
	if errors.Is(err, blockdag.ErrDuplicateBlock) {
		log.Debugf("Duplicate block %s from %s", hash, ps.peer.Addr())
		return
	}
	var ruleErr blockdag.RuleError
	if errors.Is(err, database.ErrIO) || errors.Is(err, database.ErrCorrupt) {
		// The store failed: the node stops and says why once, rather
		// than once per block until it does.
		log.Debugf("Block %s from %s not stored: %v", hash, ps.peer.Addr(), err)
		return
	}
	if !errors.As(err, &ruleErr) {
		log.Errorf("Failed to process block %s from %s: %v", hash, ps.peer.Addr(), err)
		return
	}
	log.Infof("Rejected block %s from %s: %v", hash, ps.peer.Addr(), err)
	if score := blockErrorScore(err); score > 0 && sm.cfg.OnMisbehavior != nil {
		sm.cfg.OnMisbehavior(ps.peer, score, fmt.Sprintf("invalid block %s: %v", hash, err))
	}
}

// blockErrorScore returns the misbehaviour score of a block refused with
// err. A timestamp too far in the future may be our clock's fault, and a
// full orphan pool is ours; every other rule is one an honest sender
// checks before relaying.
func blockErrorScore(err error) uint32 {
	switch {
	case errors.Is(err, blockdag.ErrTimeTooNew), errors.Is(err, blockdag.ErrOrphanLimit),
		errors.Is(err, blockdag.ErrDuplicateBlock), errors.Is(err, blockdag.ErrCorruptState):
		return 0
	}
	return banScoreInvalidBlock
}

// processLocalBlock processes a block from the miner or RPC.
func (sm *SyncManager) processLocalBlock(block *wire.MsgBlock, flags blockdag.BehaviorFlags) (bool, error) {
	hash := block.BlockHash()
	isOrphan, err := sm.cfg.DAG.ProcessBlock(block, flags)
	if err != nil {
		return false, err
	}
	if req := sm.requestedBlocks[hash]; req != nil {
		sm.removeBlockRequest(req)
	}
	if !isOrphan {
		sm.progress.blockAccepted(sm.cfg.TimeSource())
		if sm.relayHeld.Load() {
			// The node's own blocks are announced at once even while
			// a download holds the relay of the blocks it brings:
			// they are news to every peer.
			height := uint32(0)
			if info, err := sm.cfg.DAG.BlockInfo(&hash); err == nil {
				height = info.Height
			}
			iv := wire.InvVect{Type: wire.InvTypeBlock, Hash: hash, Height: height}
			sm.cfg.PeerNotifier.RelayInventory(&iv, nil)
		}
	}
	return isOrphan, nil
}

// afterDelivery moves a peer's downloads along after it delivered
// something: more getdata, the next getblocks page, the end of the sync.
func (sm *SyncManager) afterDelivery(ps *peerState) {
	if _, ok := sm.peers[ps.peer]; !ok {
		return
	}
	sm.requestMore(ps, false)
	sm.maybeNextPages(ps)
	if ps == sm.syncPeer && !ps.pages.ended {
		sm.planSyncPages(ps)
	}
	if sp := sm.syncPeer; sp != nil {
		if ps != sp {
			if sm.isHelper(ps, sm.cfg.TimeSource()) {
				sm.shareWorkTo(ps, sm.cfg.TimeSource())
			}
			// A helper's block may lift the cap on the sync
			// peer's window (helperLimit), which its own
			// deliveries would not notice if it has none
			// in flight.
			sm.requestMore(sp, sp.inFlight == 0)
		} else if sp.queued > 0 {
			// What the sync peer has no room for is the helpers'.
			sm.shareWork()
		}
		sm.checkSyncDone()
	}
}

// handleOrphan starts fetching what an orphan from ps lacks.
func (sm *SyncManager) handleOrphan(ps *peerState, hash wire.Hash, height uint32) {
	if _, ok := sm.orphans[hash]; !ok && len(sm.orphans) < maxTrackedOrphans {
		sm.orphans[hash] = &trackedOrphan{height: height, peer: ps, lastTried: sm.cfg.TimeSource()}
	}
	sm.fetchOrphanParents(ps, hash, height)
}

// fetchOrphanParents asks ps for the missing parents of an orphan's roots
// by hash, and opens a gap search below the orphan so that a missing branch
// of any depth is found in a logarithmic number of round trips (see
// docs/sync.md).
func (sm *SyncManager) fetchOrphanParents(ps *peerState, hash wire.Hash, height uint32) {
	missing := sm.cfg.DAG.OrphanMissingParents(&hash)
	parentHeight := height
	if parentHeight > 0 {
		parentHeight--
	}
	n := 0
	for _, m := range missing {
		if sm.wantBlock(ps, m, parentHeight, false, hash) {
			n++
		}
	}
	if n == 0 {
		return
	}
	sm.requestMore(ps, true)
	sm.startGapSearch(ps, hash, height)
}

// handleParentArrived applies the rule for a block fetched as the
// missing parent of an orphan: when it connected and the orphan still
// waits, ask for everything between the parent's height and the orphan.
func (sm *SyncManager) handleParentArrived(ps *peerState, req *blockRequest) {
	orphan := req.parentOf
	if !sm.cfg.DAG.IsKnownOrphan(&orphan) {
		return
	}
	height := req.height
	if !req.exactHeight {
		info, err := sm.cfg.DAG.BlockInfo(&req.hash)
		if err != nil {
			return
		}
		height = info.Height
	}
	sm.startGapFill(ps, orphan, height)
}

// retryOrphans looks again at tracked orphans whose parents are neither
// stored nor requested, so a lost request cannot leave an orphan waiting
// for ever, and forgets the orphans that connected or left the pool.
func (sm *SyncManager) retryOrphans(now time.Time) {
	for hash, o := range sm.orphans {
		if !sm.cfg.DAG.IsKnownOrphan(&hash) {
			delete(sm.orphans, hash)
			continue
		}
		if now.Sub(o.lastTried) < orphanRetryInterval {
			continue
		}
		o.lastTried = now
		ps := o.peer
		if _, ok := sm.peers[ps.peer]; !ok || ps.stalled {
			ps = sm.bestPeer()
			if ps == nil {
				continue
			}
			o.peer = ps
		}
		sm.fetchOrphanParents(ps, hash, o.height)
	}
}

// bestPeer returns the sync peer, or else the connected peer with the
// greatest height, or nil.
func (sm *SyncManager) bestPeer() *peerState {
	if sm.syncPeer != nil {
		return sm.syncPeer
	}
	var best *peerState
	for _, ps := range sm.peers {
		if ps.stalled {
			continue
		}
		if best == nil || ps.height > best.height || (ps.height == best.height && ps.id < best.id) {
			best = ps
		}
	}
	return best
}

// handleAnnouncements handles block inventory that is not an answer to a
// getblocks: in sync mode it is covered by the sync range (from the sync
// peer) or kept for later (from others); otherwise the blocks we lack are
// requested at once.
func (sm *SyncManager) handleAnnouncements(ps *peerState, blocks []wire.InvVect) {
	for i := range blocks {
		ps.noteHeight(blocks[i].Height)
	}
	if sm.syncPeer != nil && (ps == sm.syncPeer || sm.downloading(sm.cfg.TimeSource())) {
		// The sync range reaches the sync peer's new blocks (its
		// raised height keeps the sync going until it does), but not a
		// block it announces below the range's start: keep its
		// announcements too, what we have by then is skipped.
		sm.deferAnnouncements(ps, blocks, ps != sm.syncPeer)
		return
	}
	sm.fetchAnnounced(ps, blocks)
	sm.startSync()
}

// fetchAnnounced requests the announced blocks we lack from ps.
func (sm *SyncManager) fetchAnnounced(ps *peerState, blocks []wire.InvVect) {
	n := 0
	for i := range blocks {
		// A version tip's height is the peer's max height, not a
		// claim about the tip.
		_, tip := ps.versionTips[blocks[i].Hash]
		if sm.wantBlock(ps, blocks[i].Hash, blocks[i].Height, !tip, wire.Hash{}) {
			n++
		}
	}
	if n > 0 {
		sm.requestMore(ps, true)
	}
}

// markLate records that the request of a block to ps expired, so that the
// block arriving from ps afterwards is taken as late rather than wrong.
func (ps *peerState) markLate(hash wire.Hash) {
	if len(ps.late) >= maxWindow {
		// Bounded: older expiries are forgotten; at worst a very
		// late answer costs its peer a wrong-block score.
		clear(ps.late)
	}
	ps.late[hash] = struct{}{}
}

// wrongBlock handles a block from ps that was not requested from it while
// it has requests in flight: an honest node answers getdata in order, with
// the blocks asked for or a notfound. The requests are freed at once and
// given to other peers that announced them, rather than waiting for the
// request timeout, and the peer is scored.
func (sm *SyncManager) wrongBlock(ps *peerState, hash wire.Hash) {
	var blocks []wire.InvVect
	for h, req := range ps.requested {
		if req.sent.IsZero() {
			continue
		}
		blocks = append(blocks, wire.InvVect{Type: wire.InvTypeBlock, Hash: h, Height: req.height})
		sm.removeBlockRequest(req)
	}
	sm.misbehave(ps, banScoreWrongBlock, fmt.Sprintf(
		"sent block %s while %d other requested blocks were outstanding", hash, len(blocks)))
	sm.reassignBlocks(blocks, ps)
}

// deferAnnouncements keeps the newest block announcements of a peer for
// when the sync ends, counting them as dropped if they come from a non-sync
// peer.
func (sm *SyncManager) deferAnnouncements(ps *peerState, blocks []wire.InvVect, dropped bool) {
	if dropped {
		sm.progress.dropped += uint64(len(blocks))
	}
	ps.deferred = append(ps.deferred, blocks...)
	if over := len(ps.deferred) - maxDeferredInv; over > 0 {
		ps.deferred = append(ps.deferred[:0:0], ps.deferred[over:]...)
	}
}
