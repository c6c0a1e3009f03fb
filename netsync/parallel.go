package netsync

import (
	"math"
	"slices"
	"time"

	"github.com/soterdag/soterd/wire"
)

// Parallel download. The sync peer leads discovery: its pages list the
// blocks, which queue for it in height order. Every other peer that serves
// the DAG and claims a height at least a block's height is a helper: when
// its window has room, it takes requests from the front of the sync
// peer's queue, so the blocks due next are fetched by whoever is free,
// and each peer's share follows its window, which follows its measured
// rate and round trip (window.go). A block is still assigned to one peer
// at a time. A helper that claims a height has every block below it that
// the sync peer lists, unless the two DAGs differ; one that answers
// notfound gets no more work for helperBackoff, without a score (it never
// announced those blocks), and the blocks go back to the front of the
// queue.
//
// Blocks from helpers arrive out of order and wait as orphans until the
// blocks below them connect; helpers only take blocks within
// maxDownloadSpan of our max height, so those orphans stay well inside the
// DAG's orphan pool. A helper that delivers nothing for helperStallTime
// while it has requests loses them to the front of the queue and gets no
// work for helperBackoff; one whose rate fell keeps what it delivers
// within that time and loses the rest (expireExcess).

const (
	// helperInitialWindow is the window of a helper whose rate is not
	// measured yet: small, because a slow helper holds what it takes
	// until it delivers or stalls.
	helperInitialWindow = 16

	// maxDownloadSpan is how far above our max height helpers take
	// blocks: half the DAG's default orphan pool (2,000 blocks).
	maxDownloadSpan = wire.MaxBlocksPerInv

	// helperStallTime is how long a helper with requests may deliver
	// nothing before they move to other peers; four of its round trips
	// are added, so a far helper is not judged by a near one's clock.
	helperStallTime = 2 * time.Second

	// helperBackoff is how long a helper that answered notfound or
	// stalled gets no work.
	helperBackoff = 30 * time.Second
)

// isHelper reports whether ps may take blocks from the sync queue now. A
// pruned peer helps only when it keeps the blocks above our max height.
func (sm *SyncManager) isHelper(ps *peerState, now time.Time) bool {
	sp := sm.syncPeer
	return sp != nil && ps != sp && !ps.stalled && ps.peer.Services()&wire.SFNodeNetwork != 0 &&
		now.After(ps.noHelpUntil) && servesAbove(ps.peer, sm.cfg.DAG.MaxHeight())
}

// shareWork lets every helper with room take blocks from the sync queue.
func (sm *SyncManager) shareWork() {
	sp := sm.syncPeer
	if sp == nil || len(sp.wanted) == 0 {
		return
	}
	// The sync peer first: helpers take what it has no room for.
	sm.requestMore(sp, sp.inFlight == 0)
	now := sm.cfg.TimeSource()
	for _, ps := range sm.peers {
		if sm.isHelper(ps, now) {
			sm.shareWorkTo(ps, now)
		}
	}
}

// shareWorkTo moves requests from the sync peer's queue to the helper ps
// while its window has room, and sends them. A helper takes only what the
// sync peer has no room for: the blocks of the sync peer arrive in order,
// a helper's arrive among them, and every block above a helper's late one
// waits as an orphan; and blocks a helper holds cap how far the sync
// peer's window reaches (helperLimit). So on a link that carries the
// download alone the helpers stay idle, and where the sync peer's window
// is full they take the blocks due next.
func (sm *SyncManager) shareWorkTo(ps *peerState, now time.Time) {
	sp := sm.syncPeer
	window := sm.window(ps)
	free := window - ps.backlog()
	if free <= 0 || len(sp.wanted) == 0 {
		return
	}
	if sp.link.rate == 0 && now.Sub(sp.pages.started) < helperStallTime {
		// Until the sync peer's rate shows whether it needs help,
		// its window is what it has no room for: helpers that took
		// the front then held back its deep window (helperLimit).
		// A sync peer that delivers nothing is helped after
		// helperStallTime.
		return
	}
	limit := min(sm.cfg.DAG.MaxHeight()+maxDownloadSpan, sm.syncFrontier(), ps.height)
	// The sync peer's room is taken from the front of its queue, except
	// blocks it is to avoid (their request to it expired).
	spRoom := max(0, sm.window(sp)-sp.inFlight)
	if spRoom >= sp.queued && !frontAvoids(sm, sp) {
		return
	}
	var skip, take []int
	for i, req := range sp.wanted {
		if len(take) >= free || req.height > limit {
			break
		}
		if sm.requestedBlocks[req.hash] != req {
			continue
		}
		if req.avoid != sp && len(skip) < spRoom {
			skip = append(skip, i)
			continue
		}
		take = append(take, i)
	}
	// As requestMore: a getdata per batch, not per block. The span
	// above our max height moves a block at a time, so the blocks it
	// lets in are counted, not the free slots.
	if len(take) == 0 || (ps.inFlight > 0 && len(take) < min(getDataBatch, max(1, window/2))) {
		return
	}
	for _, i := range take {
		req := sp.wanted[i]
		sp.wanted[i] = nil
		delete(sp.requested, req.hash)
		sp.queued--
		req.peer = ps
		req.shared = true
		req.avoid = nil
		sm.sharedOutstanding++
		ps.requested[req.hash] = req
		ps.wanted = append(ps.wanted, req)
		ps.queued++
	}
	// Close the holes the moved requests left, keeping the order.
	kept := sp.wanted[:0]
	for _, req := range sp.wanted {
		if req != nil {
			kept = append(kept, req)
		}
	}
	clear(sp.wanted[len(kept):])
	sp.wanted = kept
	sm.requestMore(ps, true)
}

// frontAvoids reports whether the first live request of the queue of sp
// is one sp is to avoid: requeueFrontAvoiding puts those at the front, for
// the helpers.
func frontAvoids(sm *SyncManager, sp *peerState) bool {
	for _, req := range sp.wanted {
		if req != nil && sm.requestedBlocks[req.hash] == req {
			return req.avoid == sp
		}
	}
	return false
}

// helperLimit returns the greatest height the sync peer may request while
// helpers hold blocks below it: maxDownloadSpan above the lowest block
// a helper was asked for and has not delivered. The sync peer's blocks
// arrive in order, but those above a helper's late block wait as orphans,
// and a deep window of them would overflow the DAG's orphan pool (2,000),
// whose evictions are fetched again. math.MaxUint32 when no helper holds
// a block.
func (sm *SyncManager) helperLimit() uint32 {
	if sm.sharedOutstanding == 0 {
		return math.MaxUint32
	}
	low := uint32(math.MaxUint32)
	for _, ps := range sm.peers {
		if ps == sm.syncPeer {
			continue
		}
		for _, req := range ps.requested {
			if req.shared && req.height < low {
				low = req.height
			}
		}
	}
	if low == math.MaxUint32 {
		return low
	}
	return low + maxDownloadSpan
}

// window returns the blocks ps may have in flight (window.go). A peer has
// the download to itself when it is the sync peer without helpers, or
// outside a sync. A helper's window starts small and grows with what it
// delivers: the first blocks of a DAG are often small (coinbases not yet
// spendable), so their size says little about the next ones, and what a
// slow peer was asked for before its rate showed is sent over its link
// even after it is given to others. The sync peer with helpers has the
// window of a lone peer until its rate is measured and its measured window
// after, but never more than its share of the blocks listed (syncShare):
// a deep window asked of it while blocks were small would hold the blocks
// that grew after them on its one link.
func (sm *SyncManager) window(ps *peerState) int {
	sp := sm.syncPeer
	if sp == nil {
		return ps.link.window(true)
	}
	if ps != sp {
		return ps.link.window(false)
	}
	share, helped := sm.syncShare()
	if !helped {
		return ps.link.window(true)
	}
	w := ps.link.rateWindow()
	if ps.link.rate == 0 {
		w = ps.link.window(true)
	}
	// The blocks moved from it that it still sends come first on its
	// link: new requests would queue behind them while helpers are
	// free (the stall check replaces a sync peer that never sends).
	return max(0, min(w, share)-len(ps.late))
}

// syncShare returns the sync peer's share of the blocks its pages listed
// and nobody delivered yet: in proportion of its measured rate to the
// helpers' (a peer not measured yet counts as fast as the sync peer), at
// least minWindow, and once its rate is known at least what it delivers in
// a round trip and what lies beyond the helpers' span up to its measured
// window; helped is false when there is no helper.
func (sm *SyncManager) syncShare() (share int, helped bool) {
	sp := sm.syncPeer
	now := sm.cfg.TimeSource()
	own := sp.link.rate
	if own == 0 {
		own = 1
	}
	total := own
	for _, ps := range sm.peers {
		if !sm.isHelper(ps, now) {
			continue
		}
		helped = true
		r := ps.link.rate
		if r == 0 || sp.link.rate == 0 {
			r = own
		}
		total += r
	}
	// Once the sync peer's rate is known: helpers take blocks within
	// maxDownloadSpan heights of our max height, a span of at least
	// that many blocks, so the rest of what is listed is the sync
	// peer's as far as its measured window reaches; and a helper given
	// what the sync peer delivers in a round trip would need a round
	// trip before its first block arrived.
	listed := sp.backlog() + sm.sharedOutstanding
	share = max(minWindow, int(float64(listed)*own/total))
	if sp.link.rate > 0 {
		beyond := min(listed-maxDownloadSpan, sp.link.rateWindow())
		share = max(share, beyond, int(sp.link.rate*sp.link.minRTT.Seconds()))
	}
	return share, helped
}

// requeueFront puts blocks taken from a peer back at the front of the
// sync peer's queue, where they are due first, and lets the sync peer and
// the helpers fetch them.
func (sm *SyncManager) requeueFront(blocks []wire.InvVect) {
	sm.requeueFrontAvoiding(blocks, nil)
}

// requeueFrontAvoiding is requeueFront for blocks whose requests to avoid
// expired while they may still arrive from it: the sync peer leaves them
// to the helpers.
func (sm *SyncManager) requeueFrontAvoiding(blocks []wire.InvVect, avoid *peerState) {
	sp := sm.syncPeer
	if sp == nil || len(blocks) == 0 {
		return
	}
	front := make([]*blockRequest, 0, len(blocks))
	for i := range blocks {
		if !sm.assignBlock(sp, blocks[i].Hash, blocks[i].Height, true, wire.Hash{}) {
			continue
		}
		// assignBlock appended it; move it to the front.
		req := sp.wanted[len(sp.wanted)-1]
		sp.wanted = sp.wanted[:len(sp.wanted)-1]
		req.avoid = avoid
		front = append(front, req)
	}
	if len(front) == 0 {
		return
	}
	sortByHeight(front)
	sp.wanted = append(front, sp.wanted...)
	sm.shareWork()
	sm.requestMore(sp, true)
}

// sortByHeight sorts requests by height (insertion sort: the lists are a
// window's worth and mostly sorted already).
func sortByHeight(reqs []*blockRequest) {
	for i := 1; i < len(reqs); i++ {
		for j := i; j > 0 && reqs[j].height < reqs[j-1].height; j-- {
			reqs[j], reqs[j-1] = reqs[j-1], reqs[j]
		}
	}
}

// checkHelperStalls moves the requests of helpers that delivered nothing
// for helperStallTime plus four round trips back to the sync queue.
func (sm *SyncManager) checkHelperStalls(now time.Time) {
	sp := sm.syncPeer
	if sp == nil {
		return
	}
	for _, ps := range sm.peers {
		if ps == sp || ps.inFlight == 0 {
			continue
		}
		// Within half the sync peer's stall timeout, so a stalled
		// helper holding the blocks due next is found before the
		// sync peer, whose blocks wait on them as orphans, is
		// judged stalled.
		limit := min(helperStallTime+4*ps.link.minRTT, sm.cfg.StallTimeout/2)
		if now.Sub(ps.inFlightSince) <= limit {
			sm.expireExcess(ps, limit)
			continue
		}
		blocks := sm.takeShared(ps, true)
		if len(blocks) == 0 {
			continue
		}
		log.Debugf("Helper %s delivered nothing for %v: moving its %d blocks to other peers",
			ps.peer.Addr(), limit, len(blocks))
		// Its rate starts over, and it gets no work for a while:
		// a stalled link would otherwise take the blocks due next
		// again and again.
		ps.link = linkEstimate{minRTT: ps.link.minRTT}
		ps.noHelpUntil = now.Add(helperBackoff)
		sm.requeueFront(blocks)
	}
	if sp.inFlight > 0 {
		sm.expireExcess(sp, min(helperStallTime+4*sp.link.minRTT, sm.cfg.StallTimeout/2))
	}
}

// takeShared removes the blocks ps took from the sync queue (only those in
// flight when inFlightOnly is set; the rest stay queued with it) and
// returns them.
func (sm *SyncManager) takeShared(ps *peerState, inFlightOnly bool) []wire.InvVect {
	var blocks []wire.InvVect
	for hash, req := range ps.requested {
		if !req.shared || (inFlightOnly && req.sent.IsZero()) {
			continue
		}
		blocks = append(blocks, wire.InvVect{Type: wire.InvTypeBlock, Hash: hash, Height: req.height})
		sm.removeBlockRequest(req)
		if !req.sent.IsZero() {
			ps.markLate(hash)
		}
	}
	return blocks
}

// expireExcess moves the requests a slowed peer would deliver only after
// limit at its measured rate, the last sent first, back to the sync queue:
// its window shrank with its rate, but what it was asked for before still
// blocks the blocks above it. Those requests count as expired: the peer
// may still deliver them, late. The sync peer's excess moves only when a
// helper can take it, and the sync peer does not ask for it again.
func (sm *SyncManager) expireExcess(ps *peerState, limit time.Duration) {
	if ps.link.rate == 0 {
		return
	}
	sp := sm.syncPeer
	if ps == sp && !sm.hasHelper() {
		return
	}
	keep := max(sm.window(ps), int(ps.link.rate*limit.Seconds()))
	excess := ps.inFlight - keep
	if excess <= 0 {
		return
	}
	var reqs []*blockRequest
	for _, req := range ps.requested {
		if (req.shared || ps == sp) && !req.sent.IsZero() {
			reqs = append(reqs, req)
		}
	}
	// The peer answers in order: the last sent arrive last.
	slices.SortFunc(reqs, func(a, b *blockRequest) int {
		if c := b.sent.Compare(a.sent); c != 0 {
			return c
		}
		return int(b.height) - int(a.height)
	})
	blocks := make([]wire.InvVect, 0, min(excess, len(reqs)))
	for _, req := range reqs[:min(excess, len(reqs))] {
		blocks = append(blocks, wire.InvVect{Type: wire.InvTypeBlock, Hash: req.hash, Height: req.height})
		sm.removeBlockRequest(req)
		ps.markLate(req.hash)
	}
	log.Debugf("Peer %s delivers %.1f blocks/s: moving %d of its blocks to other peers",
		ps.peer.Addr(), ps.link.rate, len(blocks))
	if ps == sp {
		sm.requeueFrontAvoiding(blocks, sp)
		return
	}
	sm.requeueFront(blocks)
}

// hasHelper reports whether a peer other than the sync peer may take
// blocks from the sync queue now.
func (sm *SyncManager) hasHelper() bool {
	now := sm.cfg.TimeSource()
	for _, ps := range sm.peers {
		if sm.isHelper(ps, now) {
			return true
		}
	}
	return false
}
