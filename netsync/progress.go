package netsync

import (
	"errors"
	"fmt"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// Progress is judged by blocks that connect to the DAG, never by answers:
// a peer can answer every getblocks with made-up hashes and every getdata
// with notfound, and it has still moved nothing forward. The judgement
// lives in peerProgress so that any scheduler of downloads (one sync peer
// today, several peers at once later) can ask the same question of each
// peer it gives work to.

const (
	// syncRelayGrace is how long a sync peer may go without a block that
	// connects before the node stops behaving as if it were downloading:
	// other peers' blocks and announcements are fetched at once again,
	// transactions are relayed again, and accepted blocks are announced
	// one by one. A liar or a silent sync peer can hold the node's relay
	// for at most this long, not for the whole stall timeout.
	syncRelayGrace = 2 * time.Second

	// banScoreFalseHeight is the score of a peer whose block turned out
	// to be at another height than it announced. Heights are part of
	// what an honest node's inv says about blocks it has; a false one
	// buys a sync episode, so it costs.
	banScoreFalseHeight = 20

	// banScoreNotFoundAnnounced is the score of a notfound for blocks the
	// peer itself announced or listed: an honest node has what it lists.
	banScoreNotFoundAnnounced = 20

	// banScoreWrongBlock is the score of a block sent while others were
	// requested and not this one: an honest node answers getdata in
	// order, with the block asked for or a notfound.
	banScoreWrongBlock = 20

	// banScoreUnbackedSync is the score of a sync peer that claimed a
	// greater height and left (stalled, disconnected, or finished its
	// range) without one block that connected. An honest peer can be
	// unlucky once; a claimant that does it repeatedly is banned.
	banScoreUnbackedSync = 10

	// banScoreInvalidTx is the score of a transaction that breaks a
	// consensus rule whatever the state: a bad signature, an output over
	// the money supply, no inputs. Honest nodes check before relaying
	// (Bitcoin Core scores these 100 too).
	banScoreInvalidTx = 100

	// banScoreMissingInputs is the score of a transaction spending an
	// output that does not exist and is not an orphan's missing parent
	// (its transaction is known but has no such output, or spent it).
	// Low: a block that spent it may not have reached the sender yet.
	banScoreMissingInputs = 10
)

// peerProgress is what one peer did for the download: when a block it
// delivered last connected to the DAG, and how many did since the
// judgement started. It belongs to the manager goroutine.
type peerProgress struct {
	// lastConnected is when a block from the peer last connected, or
	// when the judgement started if no block did since.
	lastConnected time.Time

	// connected counts the blocks from the peer that connected since
	// the judgement started.
	connected uint64
}

// reset starts judging at now.
func (pp *peerProgress) reset(now time.Time) {
	pp.lastConnected = now
	pp.connected = 0
}

// blockConnected records a block from the peer that connected at now.
func (pp *peerProgress) blockConnected(now time.Time) {
	pp.lastConnected = now
	pp.connected++
}

// idle returns how long the peer has gone without a block that connected.
func (pp *peerProgress) idle(now time.Time) time.Duration {
	return now.Sub(pp.lastConnected)
}

// downloading reports whether the node is in sync mode with a sync peer
// that connected a block within syncRelayGrace. Only then are other peers'
// blocks deferred, transactions ignored and per-block relay held back.
func (sm *SyncManager) downloading(now time.Time) bool {
	sp := sm.syncPeer
	return sp != nil && sp.progress.idle(now) < syncRelayGrace
}

// refreshRelayHold publishes whether relay is held back and, when the hold
// ends while sync mode goes on (the sync peer stopped connecting blocks),
// fetches what other peers announced meanwhile and announces our tips, so
// nothing waits on an unproductive sync peer.
func (sm *SyncManager) refreshRelayHold(now time.Time) {
	held := sm.downloading(now)
	if sm.relayHeld.Swap(held) && !held && sm.syncPeer != nil {
		log.Debugf("Sync peer %s connected no block for %v: relaying and fetching other peers' blocks again",
			sm.syncPeer.peer.Addr(), syncRelayGrace)
		sm.fetchDeferred(sm.syncPeer)
		sm.announceTips()
	}
}

// misbehave reports a peer's misbehaviour to the node.
func (sm *SyncManager) misbehave(ps *peerState, score uint32, reason string) {
	log.Debugf("Misbehaviour of %s (score %d): %s", ps.peer.Addr(), score, reason)
	if sm.cfg.OnMisbehavior != nil {
		sm.cfg.OnMisbehavior(ps.peer, score, reason)
	}
}

// unbackedClaim costs a sync peer that is being left without having
// connected a single block although it claimed to be ahead, and forgets
// the claim.
func (sm *SyncManager) unbackedClaim(ps *peerState, why string) {
	if ps.progress.connected > 0 {
		return
	}
	claimed := ps.height
	ps.height = ps.provenHeight
	sm.misbehave(ps, banScoreUnbackedSync, fmt.Sprintf(
		"claimed height %d and %s without a block that connects", claimed, why))
}

// checkDeliveredHeight checks the height a peer gave a block that just
// connected. A block connects on parents we have, so its height is at most
// one above our max height before it (maxBefore): a claim above that is
// false, without a lookup. A false claim costs the peer and its claimed
// height falls back to what it proved. Claims below the real height buy
// nothing and are not looked up: this runs for every downloaded block.
func (sm *SyncManager) checkDeliveredHeight(ps *peerState, req *blockRequest, hash wire.Hash, maxBefore uint32) {
	if req == nil || !req.exactHeight || req.peer != ps {
		return
	}
	if req.height > maxBefore+1 {
		ps.height = ps.provenHeight
		sm.misbehave(ps, banScoreFalseHeight, fmt.Sprintf(
			"announced block %s at height %d, its height is at most %d", hash, req.height, maxBefore+1))
		return
	}
	ps.provenHeight = max(ps.provenHeight, req.height)
	ps.noteHeight(req.height)
}

// txErrorScore returns the misbehaviour score of a transaction refused
// with err. Consensus rules that no state can make true cost the most;
// policy (fees, dust, pool conflicts) and rules that time may satisfy
// (maturity, lock time) cost nothing.
func txErrorScore(err error) uint32 {
	switch {
	case errors.Is(err, blockdag.ErrBadSignature), errors.Is(err, blockdag.ErrSpendTooHigh),
		errors.Is(err, blockdag.ErrBadTxOutValue), errors.Is(err, blockdag.ErrDuplicateTxInputs),
		errors.Is(err, blockdag.ErrNoTxInputs), errors.Is(err, blockdag.ErrNoTxOutputs),
		errors.Is(err, blockdag.ErrTxTooBig), errors.Is(err, blockdag.ErrBadTxVersion),
		errors.Is(err, blockdag.ErrTxPayload), errors.Is(err, mempool.ErrCoinbase):
		return banScoreInvalidTx
	case errors.Is(err, blockdag.ErrMissingTxOut), errors.Is(err, mempool.ErrMissingInputs):
		return banScoreMissingInputs
	}
	return 0
}

// txIDRejectable reports whether a refusal holds for every transaction
// with the same id. A txid leaves the signatures out, so a refusal for a
// bad signature says nothing about another copy: remembering its id would
// let anyone censor a transaction by flipping a signature byte.
func txIDRejectable(err error) bool {
	return !errors.Is(err, blockdag.ErrBadSignature)
}
