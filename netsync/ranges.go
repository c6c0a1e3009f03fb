package netsync

import (
	"time"

	"github.com/soterdag/soterd/wire"
)

const (
	// initialGapDepth is how far below an orphan the first gap search
	// starts. A relayed block usually misses one or two levels, which the
	// getdata of its missing parents fetches; the search is for deeper
	// branches, so it starts at 16 and doubles.
	initialGapDepth = 16

	// maxGapRanges bounds the gap ranges open with one peer. Further
	// orphans wait for the open ones to finish (their missing parents are
	// still fetched by hash meanwhile) and are retried on the ticker.
	maxGapRanges = 2
)

// rangeKind says what a getblocks range is for.
type rangeKind uint8

const (
	// rangeSync is the sync peer's DAG from our max height up to its
	// tips.
	rangeSync rangeKind = iota

	// rangeGap is the past of an orphan, down to blocks we have.
	rangeGap

	// rangeEarly is the getblocks an outbound peer sent in its handshake
	// (Peer.EarlyGetBlocks) until a sync range claims it as its first
	// page (startSyncRange); an answer nobody claimed is dropped.
	rangeEarly
)

// blockRange is an open getblocks range with one peer: one or more pages,
// each a getblocks answered by an inv of at most wire.MaxBlocksPerInv
// blocks sorted by height.
//
// A range first searches for its anchor: a start height at which the
// peer's answer names a block we have, so that the blocks we lack above it
// connect as they arrive instead of piling up as orphans. Until then each
// answer that names no block we have moves the start down by a doubling
// depth below base. Once anchored it pages forward: every full answer is
// followed by a getblocks from the answer's last height.
type blockRange struct {
	kind rangeKind

	// end is the getblocks end hash: zero for the peer's tips, the
	// orphan for a gap range.
	end wire.Hash

	// base and depth place the anchor search: start = base - depth.
	base  uint32
	depth uint32

	anchored bool

	// start is the start height of the outstanding getblocks, or of the
	// next one when more is set.
	start   uint32
	pending bool
	more    bool
	sentAt  time.Time

	// seq orders the outstanding getblocks of a peer by sending time.
	seq uint64

	// For a page of a sync range (see pages.go): answered once its inv
	// arrived, full when that inv was cut at wire.MaxBlocksPerInv, and
	// next the start of the page that must follow a full one.
	answered bool
	full     bool
	next     uint32

	// early is set for the getblocks of the handshake: it was sent before
	// the manager knew the peer, so its answer's delay is no round trip.
	early bool
}

// subHeight returns h-d, or zero when d > h.
func subHeight(h, d uint32) uint32 {
	if d > h {
		return 0
	}
	return h - d
}

// sendRange sends the getblocks of a range's next page.
func (sm *SyncManager) sendRange(ps *peerState, r *blockRange) {
	r.pending = true
	r.more = false
	r.early = false
	r.sentAt = sm.cfg.TimeSource()
	sm.rangeSeq++
	r.seq = sm.rangeSeq
	ps.peer.QueueMessage(&wire.MsgGetBlocks{StartHeight: r.start, EndHash: r.end}, nil)
}

// matchRange returns the open range of ps that the block inventory answers,
// or nil when it is an announcement. A peer answers its getblocks in order,
// so only the oldest outstanding one can be answered next. Announcements
// and answers share the inv command, so an answer is recognised by its
// shape: it is empty or sorted by height from the start height; an answer
// to a gap range ends with the range's end hash unless it is full; an
// answer to a tips range starts exactly at the start height, because a DAG
// holds a block at every height below its max height (a block's height is
// one more than its highest parent's), and the peer answers empty when its
// max height is below the start.
func (sm *SyncManager) matchRange(ps *peerState, blocks []wire.InvVect) *blockRange {
	var r *blockRange
	for _, o := range ps.ranges {
		if o.pending && (r == nil || o.seq < r.seq) {
			r = o
		}
	}
	if r == nil {
		return nil
	}
	if len(blocks) == 0 {
		return r
	}
	if !sortedFrom(blocks, r.start) {
		return nil
	}
	if r.end.IsZero() {
		if blocks[0].Height == r.start {
			return r
		}
		return nil
	}
	if len(blocks) == wire.MaxBlocksPerInv || blocks[len(blocks)-1].Hash == r.end {
		return r
	}
	return nil
}

// sortedFrom reports whether the blocks are sorted by height, none below
// start.
func sortedFrom(blocks []wire.InvVect, start uint32) bool {
	prev := start
	for i := range blocks {
		if blocks[i].Height < prev {
			return false
		}
		prev = blocks[i].Height
	}
	return true
}

// handleRangeAnswer handles the inv answering one page of a range.
func (sm *SyncManager) handleRangeAnswer(ps *peerState, r *blockRange, blocks []wire.InvVect) {
	r.pending = false
	if !r.early {
		ps.link.rttSample(sm.cfg.TimeSource().Sub(r.sentAt))
	}
	if len(blocks) > 0 {
		ps.noteHeight(blocks[len(blocks)-1].Height)
	}
	if r.kind == rangeEarly {
		// No sync range claimed it: we sync from another peer, or
		// this one is not far enough ahead (its version's tips were
		// its announcements).
		log.Debugf("Dropped the answer of %s to the getblocks of the handshake (%d blocks)",
			ps.peer.Addr(), len(blocks))
		sm.closeRange(ps, r)
		return
	}

	if !r.anchored {
		if r.start == 0 || sm.namesKnownBlock(blocks) {
			r.anchored = true
		} else if lowest := prunedBelow(ps.peer); lowest > 0 && r.start <= lowest {
			// The branch starts below what this pruned peer
			// keeps: another peer has to fill it.
			log.Debugf("Range with %s to %v: no common block down to its lowest height %d",
				ps.peer.Addr(), r.endString(), lowest)
			sm.closeRange(ps, r)
			return
		} else {
			// Nothing we have in this page: the peer's blocks
			// branch off ours below the start. Search deeper.
			if r.depth == 0 {
				r.depth = initialGapDepth
			} else {
				r.depth *= 2
			}
			r.start = subHeight(r.base, r.depth)
			log.Debugf("Range with %s to %v: no common block from height %d, searching from %d",
				ps.peer.Addr(), r.endString(), subHeight(r.base, r.depth/2), r.start)
			sm.sendRange(ps, r)
			return
		}
	}
	if r.kind == rangeSync {
		sm.handleSyncPage(ps, r, blocks)
		return
	}

	for i := range blocks {
		sm.assignBlock(ps, blocks[i].Hash, blocks[i].Height, true, wire.Hash{})
	}
	if len(blocks) == wire.MaxBlocksPerInv {
		// The page was cut: the next starts at its last height, which
		// may have more blocks than the page held (those we already
		// queued are skipped). When one height filled the whole page,
		// start above it: that height's remaining blocks are parents
		// of the next height's blocks and come through the orphan
		// flow.
		first, last := blocks[0].Height, blocks[len(blocks)-1].Height
		r.more = true
		if last == first {
			r.start = last + 1
		} else {
			r.start = last
		}
	}
	sm.requestMore(ps, true)
	if !r.more {
		sm.closeRange(ps, r)
	}
	sm.maybeNextPages(ps)
	if ps == sm.syncPeer {
		sm.checkSyncDone()
	}
}

// endString names a range's end for logs.
func (r *blockRange) endString() string {
	if r.end.IsZero() {
		return "tips"
	}
	return r.end.String()
}

// namesKnownBlock reports whether any of the blocks is in our DAG.
func (sm *SyncManager) namesKnownBlock(blocks []wire.InvVect) bool {
	for i := range blocks {
		if sm.cfg.DAG.HaveBlock(&blocks[i].Hash) {
			return true
		}
	}
	return false
}

// closeRange removes a finished range.
func (sm *SyncManager) closeRange(ps *peerState, r *blockRange) {
	for i, o := range ps.ranges {
		if o == r {
			ps.ranges = append(ps.ranges[:i], ps.ranges[i+1:]...)
			return
		}
	}
}

// maybeNextPages sends the next page of each range of ps that has one once
// half a page's worth of blocks is left to arrive, so the next inv is on
// its way while the rest of the current page downloads.
func (sm *SyncManager) maybeNextPages(ps *peerState) {
	if ps.backlog() > wire.MaxBlocksPerInv/2 {
		return
	}
	for _, r := range ps.ranges {
		if r.more && !r.pending {
			sm.sendRange(ps, r)
		}
	}
}

// countGapRanges returns the gap ranges open with ps.
func countGapRanges(ps *peerState) int {
	n := 0
	for _, r := range ps.ranges {
		if r.kind == rangeGap {
			n++
		}
	}
	return n
}

// startGapSearch opens a gap range that searches below an orphan for the
// blocks we have, unless ps already has as many gap ranges as allowed or a
// search running: the parents of the orphans that arrive meanwhile are
// mostly in the branch that search is finding, so a second search would
// only repeat it one level lower.
func (sm *SyncManager) startGapSearch(ps *peerState, orphan wire.Hash, height uint32) {
	if countGapRanges(ps) >= maxGapRanges {
		return
	}
	for _, r := range ps.ranges {
		if r.kind == rangeGap && !r.anchored {
			return
		}
	}
	r := &blockRange{
		kind:  rangeGap,
		end:   orphan,
		base:  height,
		depth: initialGapDepth,
		start: max(subHeight(height, initialGapDepth), prunedBelow(ps.peer)),
	}
	ps.ranges = append(ps.ranges, r)
	sm.sendRange(ps, r)
}

// startGapFill opens an anchored gap range from height up to an orphan:
// the getblocks the issue asks for when a missing parent at that height
// arrived.
func (sm *SyncManager) startGapFill(ps *peerState, orphan wire.Hash, height uint32) {
	for _, r := range ps.ranges {
		if r.end == orphan {
			return
		}
	}
	if countGapRanges(ps) >= maxGapRanges {
		return
	}
	r := &blockRange{kind: rangeGap, end: orphan, base: height,
		start: max(height, prunedBelow(ps.peer)), anchored: true}
	ps.ranges = append(ps.ranges, r)
	sm.sendRange(ps, r)
}

// expireRanges closes the ranges of ps whose getblocks went unanswered for
// the request timeout; a sync range is opened again by checkSyncDone and a
// gap range by the orphan retries.
func (sm *SyncManager) expireRanges(ps *peerState, now time.Time) {
	for i := 0; i < len(ps.ranges); i++ {
		r := ps.ranges[i]
		if !r.pending || now.Sub(r.sentAt) <= sm.cfg.RequestTimeout {
			continue
		}
		log.Debugf("Peer %s did not answer getblocks(%d, %s) in %v", ps.peer.Addr(),
			r.start, r.endString(), sm.cfg.RequestTimeout)
		if r.kind == rangeSync && r.anchored && ps == sm.syncPeer {
			// The pages below it were closed on the promise that
			// this one covers what follows them: ask again (the
			// stall check replaces a sync peer that never answers).
			sm.sendRange(ps, r)
			continue
		}
		sm.closeRange(ps, r)
		i--
	}
	if ps == sm.syncPeer {
		sm.checkSyncDone()
	}
}

// prunedBelow returns the height below which p serves no block bodies: its
// lowest height when it advertised wire.SFNodePruned, else 0.
func prunedBelow(p Peer) uint32 {
	if p.Services()&wire.SFNodePruned == 0 {
		return 0
	}
	return p.LowestHeight()
}

// servesAbove reports whether p serves the blocks above height ourMax: an
// archive node does, a pruned one when its lowest served height is at most
// the next one we need.
func servesAbove(p Peer, ourMax uint32) bool {
	return prunedBelow(p) <= ourMax+1
}

// noteOnlyPruned records whether the only peers ahead of us pruned the
// blocks we need next (lowest is the one that keeps the most), and logs
// when that starts and ends: a node in that state waits for an archive
// peer rather than stalling silently.
func (sm *SyncManager) noteOnlyPruned(only bool, lowest *peerState, ourMax uint32) {
	if only == sm.onlyPruned {
		return
	}
	sm.onlyPruned = only
	if only {
		log.Warnf("Only pruned peers are ahead of us: the nearest, %s, keeps blocks from "+
			"height %d, and we need height %d; waiting for a peer that keeps them "+
			"(connect an archive node with --addpeer or --connect)",
			lowest.peer.Addr(), lowest.peer.LowestHeight(), ourMax+1)
	} else {
		log.Infof("A peer that serves the blocks we need is connected")
	}
}

// syncRange returns an open page of the sync range of ps, or nil.
func syncRange(ps *peerState) *blockRange {
	for _, r := range ps.ranges {
		if r.kind == rangeSync {
			return r
		}
	}
	return nil
}

// startSync enters sync mode with the best candidate, if there is no sync
// peer yet and a peer is more than syncHeightLag heights ahead of us. The
// best candidate is the one with the greatest height (ties: the lowest ID,
// the longest connected).
func (sm *SyncManager) startSync() {
	if sm.syncPeer != nil {
		return
	}
	ourMax := sm.cfg.DAG.MaxHeight()
	var best, pruned *peerState
	for _, ps := range sm.peers {
		if ps.stalled || ps.peer.Services()&wire.SFNodeNetwork == 0 {
			continue
		}
		if ps.exhausted && ps.height <= ps.exhaustedHeight {
			continue
		}
		if ps.height <= ourMax+syncHeightLag {
			continue
		}
		if !servesAbove(ps.peer, ourMax) {
			// It pruned the blocks we need next: asking would
			// only bring notfound.
			if pruned == nil || ps.peer.LowestHeight() < pruned.peer.LowestHeight() {
				pruned = ps
			}
			continue
		}
		if best == nil || ps.height > best.height || (ps.height == best.height && ps.id < best.id) {
			best = ps
		}
	}
	sm.noteOnlyPruned(best == nil && pruned != nil, pruned, ourMax)
	if best == nil {
		return
	}
	now := sm.cfg.TimeSource()
	sm.syncPeer = best
	sm.syncMode.Store(true)
	sm.syncPeerID.Store(best.id)
	best.progress.reset(now)
	best.syncYield = 0
	sm.progress.syncStarted(now, ourMax)
	log.Infof("Syncing from peer %s: its max height %d, ours %d", best.peer.Addr(), best.height, ourMax)
	sm.relayHeld.Store(true)
	sm.startSyncRange(best, ourMax)
	sm.updateState()
}

// startSyncRange opens a range from height up to the sync peer's tips.
// When the peer's handshake carried a getblocks from the same height, that
// is the range's first page, and the handshake's getblocks above it are
// its next pages: their answers are on the way, a round trip ahead of new
// ones.
func (sm *SyncManager) startSyncRange(ps *peerState, height uint32) {
	ps.pages = syncPages{top: height, started: sm.cfg.TimeSource()}
	var first *blockRange
	for _, r := range ps.ranges {
		if r.kind == rangeEarly && r.pending && r.start == height && r.end.IsZero() {
			first = r
		}
	}
	if first == nil {
		r := &blockRange{kind: rangeSync, base: height, start: height}
		ps.ranges = append(ps.ranges, r)
		sm.sendRange(ps, r)
		return
	}
	first.kind, first.anchored = rangeSync, false
	pages := 1
	for _, r := range ps.ranges {
		if r.kind == rangeEarly && r.pending && r.start > height && r.end.IsZero() {
			r.kind = rangeSync
			ps.pages.top = max(ps.pages.top, r.start)
			pages++
		}
	}
	log.Debugf("Sync range with %s from height %d: its first %d pages are the getblocks of the handshake",
		ps.peer.Addr(), height, pages)
}

// adoptEarlyGetBlocks records the getblocks a new peer sent in its
// handshake as outstanding ranges, so that their answers are matched to
// them: they are older than anything the manager sends the peer.
func (sm *SyncManager) adoptEarlyGetBlocks(ps *peerState) {
	now := sm.cfg.TimeSource()
	for _, gb := range ps.peer.EarlyGetBlocks() {
		sm.rangeSeq++
		ps.ranges = append(ps.ranges, &blockRange{kind: rangeEarly, end: gb.EndHash,
			base: gb.StartHeight, start: gb.StartHeight, anchored: true,
			pending: true, early: true, sentAt: now, seq: sm.rangeSeq})
	}
}

// EarlyGetBlocks returns the getblocks a node sends in its handshake with
// an outbound peer (peer.Config.EarlyGetBlocks), from its max height: one
// when its DAG is current or a download from another peer is under way
// (current is then true), and otherwise the first pages of a download,
// spaced as a chain's pages are (wire.MaxBlocksPerInv heights, less the
// last height, which the next page repeats). A wider DAG's pages span
// fewer heights; the gaps between them are then asked for once the first
// page shows the step, as the pages ahead would have been.
func EarlyGetBlocks(maxHeight uint32, current bool) []*wire.MsgGetBlocks {
	n := maxSyncPagesAhead
	if current {
		n = 1
	}
	out := make([]*wire.MsgGetBlocks, n)
	for i := range out {
		out[i] = &wire.MsgGetBlocks{StartHeight: maxHeight + uint32(i)*(wire.MaxBlocksPerInv-1)}
	}
	return out
}

// checkSyncDone ends sync mode once the sync peer's range and every block
// requested from it are done and we reached its height; if its height grew
// meanwhile, another range follows.
func (sm *SyncManager) checkSyncDone() {
	ps := sm.syncPeer
	if ps == nil || len(ps.ranges) > 0 || ps.backlog() > 0 || sm.sharedOutstanding > 0 {
		return
	}
	ourMax := sm.cfg.DAG.MaxHeight()
	switch {
	case ourMax >= ps.height:
		sm.endSync("caught up")
	case ps.syncYield == 0:
		// A whole range brought no block although the peer claims
		// more than we have: whatever it has, we have or wait for as
		// orphans, or it does not deliver what it lists. Do not ask
		// it again until it announces more.
		ps.exhausted = true
		ps.exhaustedHeight = ps.height
		sm.unbackedClaim(ps, "finished its range")
		sm.endSync("peer has nothing more to send")
	default:
		ps.syncYield = 0
		sm.startSyncRange(ps, ourMax)
	}
}

// checkSyncStall replaces a sync peer that delivered nothing for
// StallTimeout. Ticks come every tickInterval, so a peer is replaced at the
// first tick after it has been idle for StallTimeout less one tick: by the
// timeout at the latest, never later.
func (sm *SyncManager) checkSyncStall(now time.Time) {
	ps := sm.syncPeer
	if ps == nil || ps.progress.idle(now)+sm.tickInterval() <= sm.cfg.StallTimeout {
		return
	}
	log.Infof("Sync peer %s delivered no block that connects for %v: disconnecting it and choosing another",
		ps.peer.Addr(), ps.progress.idle(now).Round(time.Millisecond))
	ps.stalled = true
	sm.unbackedClaim(ps, "stalled")
	blocks, txs := sm.cancelPeerRequests(ps)
	ps.ranges = nil
	ps.peer.Disconnect()
	sm.endSync("sync peer stalled")
	sm.reassignBlocks(blocks, ps)
	sm.reassignTxs(txs, ps)
}

// endSync leaves the current sync peer. If another candidate is ahead of
// us the sync goes on with it; otherwise sync mode ends: the announcements
// dropped meanwhile are fetched and our tips are announced to every peer.
func (sm *SyncManager) endSync(reason string) {
	old := sm.syncPeer
	if old == nil {
		return
	}
	for r := syncRange(old); r != nil; r = syncRange(old) {
		sm.closeRange(old, r)
	}
	sm.syncPeer = nil
	ourMax := sm.cfg.DAG.MaxHeight()
	log.Infof("Sync with peer %s ended (%s) at max height %d", old.peer.Addr(), reason, ourMax)

	// The public flags change last: a caller that sees sync mode end
	// must also see its effects (deferred blocks requested, tips
	// announced, the snapshot refreshed). Between two sync peers they
	// never read false.
	sm.startSync()
	if sm.syncPeer != nil {
		return
	}
	blocks, took := sm.progress.syncEnded(sm.cfg.TimeSource())
	rate := 0.0
	if took > 0 {
		rate = float64(blocks) / took.Seconds()
	}
	log.Infof("Left sync mode: %d blocks in %v (%.0f blocks/s), max height %d",
		blocks, took.Round(time.Millisecond), rate, ourMax)
	sm.fetchDeferred(nil)
	sm.announceTips()
	sm.updateState()
	sm.syncPeerID.Store(0)
	sm.relayHeld.Store(false)
	sm.syncMode.Store(false)
}

// fetchDeferred fetches the block announcements of every peer but except
// that were dropped while a download ran.
func (sm *SyncManager) fetchDeferred(except *peerState) {
	for _, ps := range sm.peers {
		if ps == except || len(ps.deferred) == 0 {
			continue
		}
		deferred := ps.deferred
		ps.deferred = nil
		log.Debugf("Fetching %d blocks peer %s announced during the sync", len(deferred), ps.peer.Addr())
		sm.fetchAnnounced(ps, deferred)
	}
}

// announceTips announces our tips to every peer not known to have them, so
// peers learn what we downloaded without a relay per block.
func (sm *SyncManager) announceTips() {
	for _, tip := range sm.cfg.DAG.Tips() {
		info, err := sm.cfg.DAG.BlockInfo(&tip)
		if err != nil {
			continue
		}
		iv := wire.InvVect{Type: wire.InvTypeBlock, Hash: tip, Height: info.Height}
		sm.cfg.PeerNotifier.RelayInventory(&iv, nil)
	}
}
