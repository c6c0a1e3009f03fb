package netsync

import (
	"fmt"
	"time"

	"github.com/soterdag/soterd/wire"
)

// The headers walk of --assumevalid. The DAG skips the signature checks of
// the blocks it has marked as in the past of the assumed-valid block AV
// (blockdag/assumevalid.go); this file learns which blocks those are, from
// peers, while the block download runs as usual.
//
// The manager keeps the frontier W, the blocks whose headers it wants next,
// starting at {AV}, and sends W in a getheaders. The peer walks back from W
// in descending (blue work, hash) order and answers at most
// wire.MaxHeadersPerMsg headers. A header is accepted only when it hashes
// to a member of W: it leaves W, is marked, and each of its parents not in
// the DAG joins W. So every accepted hash is linked by hashes to AV and is
// in AV's past whatever the peer is: a lying peer can only withhold
// headers, which leaves their blocks to full checks. Headers of blocks we
// hold are skipped (the peer does not know what we hold); any other header
// breaks the protocol and is scored. The walk ends when W is empty or AV is
// in the DAG; blocks validated before their mark arrived were simply
// checked in full.

const (
	// maxAssumeValidFrontier bounds W. The frontier of a walk in
	// descending blue work is about the DAG's width, tens of blocks; a
	// frontier this wide means something is off, and full checks are
	// always safe. It is also wire.MaxGetHeadersWanted, so W always fits
	// one request.
	maxAssumeValidFrontier = wire.MaxGetHeadersWanted

	// assumeValidRetry is how long a peer that could not help (it does
	// not know AV or what we want below it, did not answer in time, or
	// sent a header that breaks the walk) is not asked again.
	assumeValidRetry = time.Minute

	// banScoreUnlinkedHeader is the score of a header that is neither a
	// block we asked for (hash-linked to one) nor one we hold: an honest
	// peer's walk never sends one.
	banScoreUnlinkedHeader = 20
)

// AssumeValidDAG is what the headers walk needs from the DAG besides DAG.
// *blockdag.BlockDAG satisfies it. Its methods must be safe for concurrent
// use.
type AssumeValidDAG interface {
	// CheckHeaderWork checks a header's proof of work against its bits
	// and the network's limit.
	CheckHeaderWork(header *wire.BlockHeader, hash *wire.Hash) error

	// MarkAssumedValid records blocks as in the past of the assumed-valid
	// block, in one write.
	MarkAssumedValid(hashes []wire.Hash) error
}

// assumeValidWalk is the state of the headers walk. It belongs to the
// manager goroutine.
type assumeValidWalk struct {
	target wire.Hash
	dag    AssumeValidDAG

	// wanted is W; done is set once the walk ended, for good.
	wanted map[wire.Hash]struct{}
	done   bool

	// asked is the peer the request is out to (nil when none) and
	// askedAt when it was sent.
	asked   *peerState
	askedAt time.Time

	// notBefore holds the peers that could not help, by ID, and when
	// they may be asked again.
	notBefore map[int32]time.Time

	// marked counts the blocks marked, pages the answers used; start is
	// when the first request went out.
	marked uint64
	pages  int
	start  time.Time
}

// newAssumeValidWalk returns the walk towards target, nil when target is
// zero (--assumevalid off).
func newAssumeValidWalk(target wire.Hash, dag AssumeValidDAG) *assumeValidWalk {
	if target.IsZero() {
		return nil
	}
	return &assumeValidWalk{
		target:    target,
		dag:       dag,
		wanted:    map[wire.Hash]struct{}{target: {}},
		notBefore: make(map[int32]time.Time),
	}
}

// finish ends the walk for good and says why.
func (w *assumeValidWalk) finish(now time.Time, why string) {
	w.done = true
	w.wanted = nil
	w.asked = nil
	took := time.Duration(0)
	if !w.start.IsZero() {
		took = now.Sub(w.start)
	}
	log.Infof("Headers walk of assumed-valid block %s over: %s; %d blocks marked from %d "+
		"pages in %v", w.target, why, w.marked, w.pages, took.Round(time.Millisecond))
}

// cannotHelp keeps ps from being asked again for a while.
func (w *assumeValidWalk) cannotHelp(ps *peerState, now time.Time) {
	w.notBefore[ps.id] = now.Add(assumeValidRetry)
}

// assumeValidStep moves the headers walk on: it ends it when AV is in the
// DAG, gives up on a request whose peer left or did not answer within the
// request timeout, and sends the next request when none is out. It is
// called on every new peer, every tick and every answer.
func (sm *SyncManager) assumeValidStep(now time.Time) {
	w := sm.avWalk
	if w == nil || w.done {
		return
	}
	if sm.cfg.DAG.HaveBlock(&w.target) {
		w.finish(now, "the block is in the DAG")
		return
	}
	if ps := w.asked; ps != nil {
		gone := sm.peers[ps.peer] != ps
		if !gone && now.Sub(w.askedAt) < sm.cfg.RequestTimeout {
			return
		}
		if gone {
			log.Infof("Peer %s left before it answered getheaders for assumed-valid block %s; "+
				"asking another peer", ps.peer.Addr(), w.target)
		} else {
			log.Infof("Peer %s did not answer getheaders for assumed-valid block %s within %v; "+
				"asking another peer", ps.peer.Addr(), w.target, sm.cfg.RequestTimeout)
		}
		w.cannotHelp(ps, now)
		w.asked = nil
	}
	ps := sm.assumeValidPeer(now)
	if ps == nil {
		return
	}
	wanted := make([]wire.Hash, 0, len(w.wanted))
	for h := range w.wanted {
		wanted = append(wanted, h)
	}
	if w.start.IsZero() {
		w.start = now
		log.Infof("Asking %s for the headers of the past of assumed-valid block %s, whose "+
			"blocks skip their signature checks", ps.peer.Addr(), w.target)
	}
	w.asked, w.askedAt = ps, now
	ps.peer.QueueMessage(&wire.MsgGetHeaders{Wanted: wanted}, nil)
}

// assumeValidPeer picks the peer to ask for headers: the sync peer, or
// else the peer that serves the DAG with the greatest height, among those
// not resting after they could not help.
func (sm *SyncManager) assumeValidPeer(now time.Time) *peerState {
	w := sm.avWalk
	usable := func(ps *peerState) bool {
		if ps.peer.Services()&wire.SFNodeNetwork == 0 {
			return false
		}
		until, ok := w.notBefore[ps.id]
		if ok && now.Before(until) {
			return false
		}
		delete(w.notBefore, ps.id)
		return true
	}
	if ps := sm.syncPeer; ps != nil && usable(ps) {
		return ps
	}
	var best *peerState
	for _, ps := range sm.peers {
		if !usable(ps) {
			continue
		}
		if best == nil || ps.height > best.height || (ps.height == best.height && ps.id < best.id) {
			best = ps
		}
	}
	return best
}

// handleHeaders takes an answer to our getheaders: it accepts the headers
// linked to the frontier, marks their blocks in the DAG, and asks for the
// next page. Headers from a peer we did not ask (or whose request we gave
// up on) are ignored: a late answer is not wrong.
func (sm *SyncManager) handleHeaders(msg *wire.MsgHeaders, p Peer) {
	ps, ok := sm.peers[p]
	w := sm.avWalk
	if !ok || w == nil || w.done || w.asked != ps {
		log.Debugf("Ignoring %d headers from %s: not asked for", len(msg.Headers), p.Addr())
		return
	}
	now := sm.cfg.TimeSource()
	w.asked = nil
	marks, reason, score := sm.acceptHeaders(w, msg.Headers)
	if len(marks) > 0 {
		if err := w.dag.MarkAssumedValid(marks); err != nil {
			log.Warnf("Marking blocks as in the past of assumed-valid block %s: %v", w.target, err)
			w.finish(now, "the store failed; every block's signatures are checked")
			return
		}
		w.marked += uint64(len(marks))
		w.pages++
	}
	switch {
	case score > 0:
		sm.misbehave(ps, score, reason)
		w.cannotHelp(ps, now)
	case reason != "":
		log.Infof("Headers walk of assumed-valid block %s: peer %s %s; asking another peer later",
			w.target, p.Addr(), reason)
		w.cannotHelp(ps, now)
	}
	switch {
	case w.done:
		return
	case len(w.wanted) == 0:
		w.finish(now, "every block of its past we lack is marked")
		return
	case len(w.wanted) > maxAssumeValidFrontier:
		w.finish(now, fmt.Sprintf("the frontier passed %d blocks; the blocks not marked "+
			"are checked in full", maxAssumeValidFrontier))
		return
	}
	sm.assumeValidStep(now)
}

// acceptHeaders applies one answer to the frontier and returns the hashes
// to mark. When the answer breaks the walk it stops there (what was proved
// before stays proved) and returns the reason, with a score when the peer
// broke the protocol; an answer that proves nothing returns a reason
// without a score.
func (sm *SyncManager) acceptHeaders(w *assumeValidWalk, headers []wire.BlockHeader) ([]wire.Hash, string, uint32) {
	if len(headers) == 0 {
		return nil, "does not know the block or the blocks we want below it", 0
	}
	var marks []wire.Hash
	for i := range headers {
		h := &headers[i]
		hash := h.BlockHash()
		if _, ok := w.wanted[hash]; !ok {
			if sm.cfg.DAG.HaveBlock(&hash) {
				continue
			}
			return marks, fmt.Sprintf("sent header %s, which is not linked to the headers "+
				"asked for", hash), banScoreUnlinkedHeader
		}
		if err := w.dag.CheckHeaderWork(h, &hash); err != nil {
			// It hashes to a block AV's past holds, so AV cannot be
			// valid: not the peer's doing.
			log.Warnf("Block %s in the past of assumed-valid block %s fails its proof of work "+
				"(%v): the assumed-valid block cannot be valid; check --assumevalid", hash, w.target, err)
			w.finish(sm.cfg.TimeSource(), "its past holds an invalid header")
			return marks, "", 0
		}
		delete(w.wanted, hash)
		marks = append(marks, hash)
		for _, parent := range h.Parents {
			if _, ok := w.wanted[parent]; ok || sm.cfg.DAG.HaveBlock(&parent) {
				continue
			}
			w.wanted[parent] = struct{}{}
		}
	}
	if len(marks) == 0 {
		return nil, "sent only headers of blocks we hold", 0
	}
	return marks, "", 0
}
