package netsync

import (
	"errors"
	"fmt"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// txRequest is a transaction requested from a peer.
type txRequest struct {
	peer *peerState
	sent time.Time
}

// removeTxRequest forgets a transaction request.
func (sm *SyncManager) removeTxRequest(txID wire.Hash, req *txRequest) {
	delete(sm.requestedTxs, txID)
	delete(req.peer.requestedTxs, txID)
}

// wantTx reports whether a transaction should be requested: we relay
// transactions, it is not in the pool, not refused before and not already
// requested.
func (sm *SyncManager) wantTx(txID *wire.Hash) bool {
	if sm.cfg.TxPool == nil {
		return false
	}
	if _, ok := sm.requestedTxs[*txID]; ok {
		return false
	}
	if sm.rejectedTxIDs.Contains(*txID) {
		return false
	}
	return !sm.cfg.TxPool.IsTransactionInPool(txID)
}

// requestTxs sends one getdata for the transactions we want from ps, within
// its bound of outstanding transaction requests.
func (sm *SyncManager) requestTxs(ps *peerState, txs []wire.InvVect) {
	now := sm.cfg.TimeSource()
	var gd *wire.MsgGetData
	for i := range txs {
		if len(ps.requestedTxs) >= maxRequestedTxs {
			break
		}
		iv := txs[i]
		if iv.Type != wire.InvTypeTx {
			continue
		}
		if old := sm.requestedTxs[iv.Hash]; old != nil && old.peer != ps &&
			!old.peer.peer.IsKnownInventory(&iv) && ps.peer.IsKnownInventory(&iv) {
			// The old request was a guess (an orphan's missing parent
			// asked of the orphan's sender, which never announced
			// it): a peer that announced the transaction is asked
			// instead, so a sender that does not answer cannot hold
			// it for the request timeout.
			sm.removeTxRequest(iv.Hash, old)
		}
		if !sm.wantTx(&iv.Hash) {
			continue
		}
		req := &txRequest{peer: ps, sent: now}
		sm.requestedTxs[iv.Hash] = req
		ps.requestedTxs[iv.Hash] = req
		if gd == nil {
			gd = &wire.MsgGetData{}
		}
		gd.InvList = append(gd.InvList, iv)
	}
	if gd != nil {
		ps.peer.QueueMessage(gd, nil)
	}
}

// handleTxInv requests the announced transactions we lack. While the DAG
// downloads, transactions are ignored: they would be checked against a UTXO
// set that is not current.
func (sm *SyncManager) handleTxInv(ps *peerState, txs []wire.InvVect) {
	if sm.downloading(sm.cfg.TimeSource()) || sm.cfg.TxPool == nil {
		return
	}
	sm.requestTxs(ps, txs)
}

// handleTx hands a transaction from a peer to the pool, relays what the
// pool accepted, asks the peer for the parents of an orphan and tells it
// why a transaction was refused.
func (sm *SyncManager) handleTx(tx *wire.MsgTx, p Peer) {
	ps, ok := sm.peers[p]
	if !ok || sm.cfg.TxPool == nil {
		return
	}
	txID := tx.TxID()
	iv := wire.InvVect{Type: wire.InvTypeTx, Hash: txID}
	p.AddKnownInventory(&iv)
	if req := sm.requestedTxs[txID]; req != nil {
		sm.removeTxRequest(txID, req)
	}
	if sm.downloading(sm.cfg.TimeSource()) {
		return
	}
	// Refusals are remembered by what was refused: the full hash (a copy
	// with other signatures is another transaction), and the id only when
	// the reason holds for every copy.
	txHash := tx.TxHash()
	if sm.rejectedTxs.Contains(txHash) || sm.rejectedTxIDs.Contains(txID) {
		return
	}

	accepted, missing, err := sm.cfg.TxPool.ProcessTransaction(tx, true)
	if err != nil {
		var poolErr mempool.RuleError
		var dagErr blockdag.RuleError
		if !errors.As(err, &poolErr) && !errors.As(err, &dagErr) {
			log.Errorf("Failed to process transaction %s from %s: %v", txID, p.Addr(), err)
			return
		}
		// Remembered so the same transaction is not fetched again;
		// a duplicate is not remembered, it is simply in the pool.
		if !errors.Is(err, mempool.ErrDuplicate) {
			sm.rejectedTxs.Add(txHash)
			if txIDRejectable(err) {
				sm.rejectedTxIDs.Add(txID)
			}
		}
		log.Debugf("Rejected transaction %s from %s: %v", txID, p.Addr(), err)
		if score := txErrorScore(err); score > 0 {
			sm.misbehave(ps, score, fmt.Sprintf("invalid transaction %s: %v", txID, err))
		}
		code, reason := mempool.RejectCode(err)
		p.QueueMessage(&wire.MsgReject{Cmd: wire.CmdTx, Code: code, Reason: reason, Hash: txID}, nil)
		return
	}
	sm.handleRejectedOrphans()
	if len(missing) > 0 {
		sm.noteOrphanSender(txHash, ps)
		parents := make([]wire.InvVect, 0, len(missing))
		for _, h := range missing {
			parents = append(parents, wire.InvVect{Type: wire.InvTypeTx, Hash: h})
		}
		sm.requestTxs(ps, parents)
	}
	for _, desc := range accepted {
		sm.cfg.PeerNotifier.RelayInventory(&wire.InvVect{Type: wire.InvTypeTx, Hash: desc.TxID}, p)
	}
}

// noteOrphanSender remembers who sent an orphan transaction, so that the
// sender can be scored if the orphan fails once its parents arrive.
func (sm *SyncManager) noteOrphanSender(txHash wire.Hash, ps *peerState) {
	if len(sm.orphanTxSenders) >= maxOrphanTxSenders {
		// Bounded: the pool keeps far fewer orphans than this, so
		// the entries dropped are of orphans long gone.
		clear(sm.orphanTxSenders)
	}
	sm.orphanTxSenders[txHash] = ps
}

// handleRejectedOrphans collects the orphans the pool refused once their
// parents arrived: each is remembered as refused, its sender is scored, and
// the transaction is asked for again from other peers that announced it,
// since a copy with a bad signature says nothing about the genuine one.
func (sm *SyncManager) handleRejectedOrphans() {
	if sm.cfg.TxPool == nil {
		return
	}
	for _, r := range sm.cfg.TxPool.TakeRejectedOrphans() {
		sm.rejectedTxs.Add(r.TxHash)
		if txIDRejectable(r.Err) {
			sm.rejectedTxIDs.Add(r.TxID)
		}
		from := sm.orphanTxSenders[r.TxHash]
		delete(sm.orphanTxSenders, r.TxHash)
		if from != nil {
			if _, ok := sm.peers[from.peer]; !ok {
				from = nil
			}
		}
		if from != nil {
			if score := txErrorScore(r.Err); score > 0 {
				sm.misbehave(from, score, fmt.Sprintf("invalid orphan transaction %s: %v", r.TxID, r.Err))
			}
		}
		log.Debugf("Orphan transaction %s failed: %v; asking other peers for it", r.TxID, r.Err)
		sm.reassignTxs([]wire.InvVect{{Type: wire.InvTypeTx, Hash: r.TxID}}, from)
	}
}

// expireTxRequests drops the transaction requests of ps older than
// RequestTimeout and asks other peers that announced them.
func (sm *SyncManager) expireTxRequests(ps *peerState, now time.Time) {
	var expired []wire.InvVect
	for txID, req := range ps.requestedTxs {
		if now.Sub(req.sent) > sm.cfg.RequestTimeout {
			sm.removeTxRequest(txID, req)
			expired = append(expired, wire.InvVect{Type: wire.InvTypeTx, Hash: txID})
		}
	}
	sm.reassignTxs(expired, ps)
}

// reassignTxs asks other peers that announced them for transactions that
// one peer did not deliver.
func (sm *SyncManager) reassignTxs(txs []wire.InvVect, from *peerState) {
	if len(txs) == 0 || sm.downloading(sm.cfg.TimeSource()) {
		return
	}
	byPeer := make(map[*peerState][]wire.InvVect)
	for i := range txs {
		if to := sm.peerWithInventory(&txs[i], from); to != nil {
			byPeer[to] = append(byPeer[to], txs[i])
		}
	}
	for ps, list := range byPeer {
		sm.requestTxs(ps, list)
	}
}
