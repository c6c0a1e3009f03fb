package netsync

import (
	"cmp"
	"slices"
	"time"
)

// progressStats counts accepted and dropped blocks for the progress log and
// the state snapshot. It belongs to the manager goroutine.
type progressStats struct {
	// processed counts accepted blocks since Start; dropped the blocks
	// and announcements dropped in sync mode.
	processed uint64
	dropped   uint64

	// intervalStart and intervalBlocks measure the current progress
	// interval; rate is the blocks per second of the last one.
	intervalStart  time.Time
	intervalBlocks uint64
	rate           float64

	// lastBlock is when a block was last accepted.
	lastBlock time.Time

	// syncStart and syncStartHeight describe the running sync episode;
	// syncBlocks counts its accepted blocks.
	syncStart       time.Time
	syncStartHeight uint32
	syncBlocks      uint64

	// syncLogged is set once the episode's first progress line is out.
	syncLogged bool
}

// firstSyncLineAfter is when the first progress line of a sync episode is
// written, however long ProgressInterval is: an operator who just started
// a node wants to see at once that it downloads, how fast and for how long.
const firstSyncLineAfter = 2 * time.Second

// reset starts counting at now.
func (p *progressStats) reset(now time.Time, height uint32) {
	*p = progressStats{intervalStart: now, syncStartHeight: height}
}

// blockAccepted counts one accepted block.
func (p *progressStats) blockAccepted(now time.Time) {
	p.processed++
	p.intervalBlocks++
	p.syncBlocks++
	p.lastBlock = now
}

// syncStarted marks the start of a sync episode.
func (p *progressStats) syncStarted(now time.Time, height uint32) {
	if p.syncStart.IsZero() {
		p.syncStart = now
		p.syncStartHeight = height
		p.syncBlocks = 0
		p.syncLogged = false
		p.intervalStart = now
		p.intervalBlocks = 0
	}
}

// syncEnded marks the end of sync mode and returns the episode's accepted
// blocks and duration.
func (p *progressStats) syncEnded(now time.Time) (uint64, time.Duration) {
	d := now.Sub(p.syncStart)
	p.syncStart = time.Time{}
	return p.syncBlocks, d
}

// logProgress writes the progress line once per ProgressInterval while a
// download runs (or blocks arrive): blocks processed in the interval,
// blocks per second, our max height, the sync peer's height and how far
// along we are.
func (sm *SyncManager) logProgress(now time.Time) {
	p := &sm.progress
	elapsed := now.Sub(p.intervalStart)
	due := sm.cfg.ProgressInterval
	if sm.syncPeer != nil && !p.syncLogged {
		due = min(due, firstSyncLineAfter)
	}
	if elapsed < due {
		return
	}
	p.rate = float64(p.intervalBlocks) / elapsed.Seconds()
	switch {
	case sm.syncPeer != nil:
		ourMax := sm.cfg.DAG.MaxHeight()
		target := sm.targetHeight(ourMax)
		log.Infof("Processed %d blocks in the last %.1fs (%.0f blocks/s), max height %d, "+
			"sync peer height %d (%.1f%% done, %s)", p.intervalBlocks, elapsed.Seconds(), p.rate,
			ourMax, target, percentDone(ourMax, target), p.eta(now, ourMax, target))
		p.syncLogged = true
	case p.intervalBlocks > 0:
		// Out of sync mode there is no download to measure against:
		// just say the DAG is growing.
		log.Infof("Processed %d blocks in the last %.1fs (%.1f blocks/s), max height %d",
			p.intervalBlocks, elapsed.Seconds(), p.rate, sm.cfg.DAG.MaxHeight())
	}
	p.intervalStart = now
	p.intervalBlocks = 0
}

// eta describes the time left to reach target from ourMax at the episode's
// mean rate in heights per second: blocks per second would overstate it
// on a DAG several blocks wide.
func (p *progressStats) eta(now time.Time, ourMax, target uint32) string {
	if ourMax >= target {
		return "ETA now"
	}
	took := now.Sub(p.syncStart)
	if p.syncStart.IsZero() || took <= 0 || ourMax <= p.syncStartHeight {
		return "ETA unknown"
	}
	perSecond := float64(ourMax-p.syncStartHeight) / took.Seconds()
	left := time.Duration(float64(target-ourMax) / perSecond * float64(time.Second))
	return "ETA " + left.Round(time.Second).String()
}

// targetHeight returns the height we are syncing to: the sync peer's, or
// else the greatest of any peer, never below ours.
func (sm *SyncManager) targetHeight(ourMax uint32) uint32 {
	target := ourMax
	if sm.syncPeer != nil {
		return max(target, sm.syncPeer.height)
	}
	for _, ps := range sm.peers {
		target = max(target, ps.height)
	}
	return target
}

// percentDone returns ours as a percentage of target.
func percentDone(ours, target uint32) float64 {
	if target == 0 || ours >= target {
		return 100
	}
	return float64(ours) * 100 / float64(target)
}

// updateState publishes a fresh snapshot for SyncState.
func (sm *SyncManager) updateState() {
	ourMax := sm.cfg.DAG.MaxHeight()
	s := &SyncState{
		InSyncMode:      sm.syncPeer != nil,
		MaxHeight:       ourMax,
		PeerMaxHeight:   sm.targetHeight(0),
		Orphans:         sm.cfg.DAG.OrphanCount(),
		BlocksProcessed: sm.progress.processed,
		BlocksDropped:   sm.progress.dropped,
		BlocksPerSecond: sm.progress.rate,
		LastProgress:    sm.progress.lastBlock,
		OnlyPrunedPeers: sm.onlyPruned,
	}
	if sp := sm.syncPeer; sp != nil {
		s.SyncPeerID = sp.id
		s.SyncPeerAddr = sp.peer.Addr()
	}
	for _, ps := range sm.peers {
		s.BlocksInFlight += ps.inFlight
		s.BlocksQueued += ps.queued
		if ps.inFlight > 0 || len(ps.requestedTxs) > 0 {
			s.Peers = append(s.Peers, PeerInFlight{ID: ps.id, Addr: ps.peer.Addr(),
				Blocks: ps.inFlight, Txs: len(ps.requestedTxs)})
		}
	}
	slices.SortFunc(s.Peers, func(a, b PeerInFlight) int { return cmp.Compare(a.ID, b.ID) })
	s.Progress = percentDone(ourMax, sm.targetHeight(ourMax))
	sm.state.Store(s)
}
