package netsync

import (
	"math"
	"slices"
	"time"

	"github.com/soterdag/soterd/wire"
)

// A sync range is downloaded as pages, one getblocks each, and the pages
// run ahead of the blocks: on a link with a round trip of 300 ms, asking
// for the next page only when the current one is nearly downloaded leaves
// the link idle for a round trip per 1,000 blocks. Once the first page
// answered, the heights a full page spans (its step) are known, and pages
// are asked for at the predicted starts above it, several at once; the
// peer answers them in order. A DAG of even width makes the predictions
// exact. Where a page ends below the start of the next one (the DAG grew
// wider), the gap gets a page of its own; where pages overlap, the blocks
// listed twice are skipped. Every page starts at the last height of the
// previous one, so the pages cover every height as one range would.

const (
	// maxSyncPagesAhead bounds the getblocks of the sync peer waiting for
	// an answer. Eight pages cover 8,000 blocks per round trip, more than
	// a 100 Mbit/s link carries in 300 ms of small blocks.
	maxSyncPagesAhead = 8

	// maxSyncBacklog bounds the blocks listed by the sync peer's pages
	// and not yet received, counting each waiting page as a full one.
	// Pages are asked for ahead only below it, so the request state of a
	// download stays at about 2.5 MB (16,000 entries) plus the pages in
	// flight.
	maxSyncBacklog = 16 * wire.MaxBlocksPerInv
)

// syncPages is the state of a sync range's pages beyond the open
// blockRanges themselves. It belongs to the manager goroutine.
type syncPages struct {
	// step is the heights a full page spanned (its last height minus its
	// start); zero until a full page answered.
	step uint32

	// top is the greatest start of a page sent in this range.
	top uint32

	// ended is set when a page answered short: the peer listed
	// everything to its tips, so no page is predicted above it.
	ended bool

	// started is when the range started.
	started time.Time
}

// handleSyncPage handles an anchored answer to one page of a sync range.
func (sm *SyncManager) handleSyncPage(ps *peerState, r *blockRange, blocks []wire.InvVect) {
	old := len(ps.wanted)
	for i := range blocks {
		sm.assignBlock(ps, blocks[i].Hash, blocks[i].Height, true, wire.Hash{})
	}
	// A page that fills a gap answers after pages above it: its blocks
	// go before theirs, or they would arrive first and wait as orphans.
	mergeByHeight(ps, old)
	r.answered = true
	if len(blocks) == wire.MaxBlocksPerInv {
		// The page was cut: what follows starts at its last height,
		// which may hold more blocks than the page did (those we
		// already queued are skipped). When one height filled the
		// whole page, start above it: that height's remaining blocks
		// are parents of the next height's blocks and come through
		// the orphan flow.
		first, last := blocks[0].Height, blocks[len(blocks)-1].Height
		r.full = true
		r.next = last
		if last == first {
			r.next = last + 1
		}
		if ps.pages.step == 0 {
			ps.pages.step = r.next - r.start
		}
	} else {
		ps.pages.ended = true
	}
	// The pages ahead are asked for before the blocks: the peer answers
	// in order, so their invs come back ahead of this page's blocks and
	// the blocks they list are requested a round trip sooner, instead of
	// after this page's blocks were received and processed.
	sm.planSyncPages(ps)
	// The sync peer fills its window first; helpers take what it has no
	// room for (parallel.go).
	sm.requestMore(ps, true)
	if ps == sm.syncPeer {
		sm.shareWork()
	}
	if ps == sm.syncPeer {
		sm.checkSyncDone()
	}
}

// syncPageList returns the anchored pages of the sync range of ps sorted
// by start.
func syncPageList(ps *peerState) []*blockRange {
	var pages []*blockRange
	for _, r := range ps.ranges {
		if r.kind == rangeSync && r.anchored {
			pages = append(pages, r)
		}
	}
	slices.SortFunc(pages, func(a, b *blockRange) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return int(a.seq - b.seq)
	})
	return pages
}

// planSyncPages closes the answered pages of the sync range of ps whose
// continuation is covered, asks for the pages that fill gaps, and then for
// predicted pages ahead while the backlog allows.
func (sm *SyncManager) planSyncPages(ps *peerState) {
	pages := syncPageList(ps)
	if len(pages) == 0 {
		return
	}
	pending := 0
	for _, r := range pages {
		if r.pending {
			pending++
		}
	}
	room := func() bool {
		return pending < maxSyncPagesAhead &&
			ps.backlog()+pending*wire.MaxBlocksPerInv < maxSyncBacklog
	}
	for i, r := range pages {
		if !r.answered {
			continue
		}
		if !r.full {
			// A short answer listed everything above its start.
			sm.closeRange(ps, r)
			continue
		}
		if i+1 < len(pages) && pages[i+1].start <= r.next {
			sm.closeRange(ps, r)
			continue
		}
		// A gap above this page: it is needed whatever the backlog,
		// but waits for room like the rest so the bound holds; the
		// next delivery plans again.
		if !room() {
			return
		}
		sm.sendSyncPage(ps, r.next)
		pending++
		if step := ps.pages.step; step > 0 && i+1 < len(pages) {
			// A gap wider than a page (the handshake's pages were
			// spaced for a chain, and this DAG is wider): its
			// other pages at once, as pages ahead would be.
			for start := r.next + step; start < pages[i+1].start && room(); start += step {
				sm.sendSyncPage(ps, start)
				pending++
			}
		}
		sm.closeRange(ps, r)
	}
	p := &ps.pages
	if p.ended || p.step == 0 {
		return
	}
	for room() && p.top+p.step <= ps.height {
		sm.sendSyncPage(ps, p.top+p.step)
		pending++
	}
}

// sendSyncPage opens and sends an anchored page of the sync range of ps.
func (sm *SyncManager) sendSyncPage(ps *peerState, start uint32) {
	r := &blockRange{kind: rangeSync, base: start, start: start, anchored: true}
	ps.ranges = append(ps.ranges, r)
	ps.pages.top = max(ps.pages.top, start)
	sm.sendRange(ps, r)
}

// mergeByHeight merges the requests appended to ps.wanted from index old
// on (sorted by height, as a page lists them) into the queue before them,
// by height, keeping the order of equal heights.
func mergeByHeight(ps *peerState, old int) {
	w := ps.wanted
	if old == 0 || old >= len(w) || w[old-1].height <= w[old].height {
		return
	}
	head, tail := w[:old], slices.Clone(w[old:])
	merged := make([]*blockRequest, 0, len(w))
	i, j := 0, 0
	for i < len(head) && j < len(tail) {
		if tail[j].height < head[i].height {
			merged = append(merged, tail[j])
			j++
		} else {
			merged = append(merged, head[i])
			i++
		}
	}
	merged = append(merged, head[i:]...)
	merged = append(merged, tail[j:]...)
	ps.wanted = merged
}

// syncFrontier returns the lowest start of a sync page not answered yet
// (math.MaxUint32 when none). The blocks listed above it may build on
// blocks that page will list (a page that fills a gap answers after the
// predicted pages above it), so they are not requested until it answered:
// they would arrive first and wait as orphans, beyond the orphan pool's
// bound where the DAG narrows.
func (sm *SyncManager) syncFrontier() uint32 {
	frontier := uint32(math.MaxUint32)
	sp := sm.syncPeer
	if sp == nil {
		return frontier
	}
	for _, r := range sp.ranges {
		if r.kind == rangeSync && r.anchored && r.pending {
			frontier = min(frontier, r.start)
		}
	}
	return frontier
}
