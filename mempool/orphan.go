package mempool

import (
	"fmt"
	"sort"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// orphanExpireScanInterval is how often the orphan pool is scanned for
// expired entries; between scans an expired orphan may linger, which costs
// nothing but its bounded memory.
const orphanExpireScanInterval = time.Minute

const (
	// maxOrphanCopies bounds the copies of one transaction (same id,
	// different signatures) kept in the orphan pool. An orphan's
	// signatures cannot be checked before its parents arrive, so a copy
	// with a flipped signature byte must not shadow the genuine one: both
	// wait, and the first that verifies wins. Past the bound the oldest
	// copy goes; the netsync manager asks again for a transaction whose
	// orphan failed.
	maxOrphanCopies = 3

	// maxRejectedOrphans bounds the failed promotions kept for
	// TakeRejectedOrphans between two calls.
	maxRejectedOrphans = 1000
)

// RejectedOrphan is an orphan that failed validation once its parents
// arrived: what was refused (id and full hash) and why.
type RejectedOrphan struct {
	TxID   wire.Hash
	TxHash wire.Hash
	Err    error
}

// orphanTx is a transaction waiting for its parents.
type orphanTx struct {
	tx      *wire.MsgTx
	txID    wire.Hash
	txHash  wire.Hash
	size    int
	expires time.Time
	seq     uint64
}

// orphanPool holds orphans by full hash, by id (the copies of one
// transaction, oldest first) and by the id of every transaction they spend
// from, so an arriving parent finds its children at once.
type orphanPool struct {
	byHash   map[wire.Hash]*orphanTx
	byID     map[wire.Hash][]*orphanTx
	byParent map[wire.Hash]map[wire.Hash]*orphanTx
	bytes    int
	nextScan time.Time

	// rejected holds the orphans that failed validation since the last
	// TakeRejectedOrphans, at most maxRejectedOrphans.
	rejected []RejectedOrphan
}

// hasCopy reports whether the orphan pool holds tx itself (same full
// hash). The caller holds mtx.
func (op *orphanPool) hasCopy(tx *wire.MsgTx, txID wire.Hash) bool {
	copies := op.byID[txID]
	if len(copies) == 0 {
		return false
	}
	txHash := tx.TxHash()
	for _, o := range copies {
		if o.txHash == txHash {
			return true
		}
	}
	return false
}

// maxOrphanSize returns the largest orphan the pool keeps.
func (p *TxPool) maxOrphanSize() int {
	return min(p.cfg.MaxTxSize, p.cfg.MaxOrphanTxBytes)
}

// addOrphan keeps tx until its parents arrive, evicting the oldest orphans
// if the orphan pool is at its bounds. Rules that need the parents (fee,
// signatures) wait for promotion; checkTx already applied the others. The
// caller holds mtx for writing.
func (p *TxPool) addOrphan(tx *wire.MsgTx, txID wire.Hash, size int, now time.Time) error {
	if p.cfg.MaxOrphanTxs == 0 {
		return ruleError(ErrOrphanPolicy, fmt.Sprintf(
			"transaction %s is an orphan and the orphan pool is turned off", txID))
	}
	if size > p.maxOrphanSize() {
		return ruleError(ErrOrphanPolicy, fmt.Sprintf(
			"orphan transaction %s of %d bytes is over the orphan size limit of %d",
			txID, size, p.maxOrphanSize()))
	}
	p.expireOrphans(now)
	if copies := p.orphans.byID[txID]; len(copies) >= maxOrphanCopies {
		log.Debugf("Evicting the oldest of %d copies of orphan %s", len(copies), txID)
		p.removeOrphan(copies[0])
	}
	// Oldest first: an attacker can flush honest orphans by sending new
	// ones whatever the order, and orphans are best effort anyway (their
	// parents are requested and they are relayed again).
	for len(p.orphans.byHash) >= p.cfg.MaxOrphanTxs ||
		p.orphans.bytes+size > p.cfg.MaxOrphanTxBytes {
		var oldest *orphanTx
		for _, o := range p.orphans.byHash {
			if oldest == nil || o.seq < oldest.seq {
				oldest = o
			}
		}
		if oldest == nil {
			break
		}
		log.Debugf("Evicting orphan %s: orphan pool full", oldest.txID)
		p.removeOrphan(oldest)
	}
	p.seq++
	p.insertOrphan(&orphanTx{
		tx:      tx,
		txID:    txID,
		txHash:  tx.TxHash(),
		size:    size,
		expires: now.Add(p.cfg.OrphanTTL),
		seq:     p.seq,
	})
	log.Debugf("Stored orphan transaction %s (orphan pool now %d)", txID, len(p.orphans.byHash))
	return nil
}

// insertOrphan indexes o. The caller holds mtx for writing.
func (p *TxPool) insertOrphan(o *orphanTx) {
	p.orphans.byHash[o.txHash] = o
	p.orphans.byID[o.txID] = append(p.orphans.byID[o.txID], o)
	p.orphans.bytes += o.size
	for i := range o.tx.TxIn {
		parent := o.tx.TxIn[i].PreviousOutPoint.TxID
		kids := p.orphans.byParent[parent]
		if kids == nil {
			kids = make(map[wire.Hash]*orphanTx)
			p.orphans.byParent[parent] = kids
		}
		kids[o.txHash] = o
	}
}

// removeOrphan forgets o. The caller holds mtx for writing.
func (p *TxPool) removeOrphan(o *orphanTx) {
	if p.orphans.byHash[o.txHash] != o {
		return
	}
	delete(p.orphans.byHash, o.txHash)
	copies := p.orphans.byID[o.txID]
	for i, c := range copies {
		if c == o {
			copies = append(copies[:i:i], copies[i+1:]...)
			break
		}
	}
	if len(copies) == 0 {
		delete(p.orphans.byID, o.txID)
	} else {
		p.orphans.byID[o.txID] = copies
	}
	p.orphans.bytes -= o.size
	for i := range o.tx.TxIn {
		parent := o.tx.TxIn[i].PreviousOutPoint.TxID
		if kids := p.orphans.byParent[parent]; kids != nil {
			delete(kids, o.txHash)
			if len(kids) == 0 {
				delete(p.orphans.byParent, parent)
			}
		}
	}
}

// removeOrphanCopies forgets every copy of an orphan, without its
// descendants. The caller holds mtx for writing.
func (p *TxPool) removeOrphanCopies(txID wire.Hash) {
	for _, o := range append([]*orphanTx(nil), p.orphans.byID[txID]...) {
		p.removeOrphan(o)
	}
}

// removeOrphanWithDescendants forgets o and the orphans that spend its
// outputs, directly or through other orphans: none of them can ever be
// valid once o is not, unless another copy of o (other signatures) is
// still waiting, which keeps them. The caller holds mtx for writing.
func (p *TxPool) removeOrphanWithDescendants(o *orphanTx) {
	queue := []wire.Hash{o.txID}
	p.removeOrphan(o)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		if len(p.orphans.byID[id]) > 0 || p.pool[id] != nil {
			// Another copy of it waits or is in the pool: its
			// children may still be valid.
			continue
		}
		for _, kid := range p.orphans.byParent[id] {
			p.removeOrphan(kid)
			queue = append(queue, kid.txID)
		}
	}
}

// orphanRejected records an orphan that failed validation, for
// TakeRejectedOrphans. The caller holds mtx for writing.
func (p *TxPool) orphanRejected(o *orphanTx, err error) {
	if len(p.orphans.rejected) >= maxRejectedOrphans {
		// Nobody collects them: keep the newest.
		p.orphans.rejected = append(p.orphans.rejected[:0:0], p.orphans.rejected[1:]...)
	}
	p.orphans.rejected = append(p.orphans.rejected, RejectedOrphan{TxID: o.txID, TxHash: o.txHash, Err: err})
}

// TakeRejectedOrphans returns the orphans that failed validation once their
// parents arrived, since the last call, and forgets them. The netsync
// manager uses them to score the senders and to ask other peers for the
// transaction: a copy with a bad signature says nothing about the genuine
// one. It is safe for concurrent use.
func (p *TxPool) TakeRejectedOrphans() []RejectedOrphan {
	p.mtx.Lock()
	defer p.mtx.Unlock()
	out := p.orphans.rejected
	p.orphans.rejected = nil
	return out
}

// removeOrphanDoubleSpends forgets the orphans (and their orphan
// descendants) that spend an output tx spends. The caller holds mtx for
// writing.
func (p *TxPool) removeOrphanDoubleSpends(tx *wire.MsgTx) {
	txID := tx.TxID()
	for i := range tx.TxIn {
		op := tx.TxIn[i].PreviousOutPoint
		for _, o := range p.orphans.byParent[op.TxID] {
			if o.txID == txID {
				// A copy of tx itself, not a conflict.
				continue
			}
			for j := range o.tx.TxIn {
				if o.tx.TxIn[j].PreviousOutPoint == op {
					p.removeOrphanWithDescendants(o)
					break
				}
			}
		}
	}
}

// expireOrphans forgets orphans past their time to live, scanning at most
// once per orphanExpireScanInterval. The caller holds mtx for writing.
func (p *TxPool) expireOrphans(now time.Time) {
	if now.Before(p.orphans.nextScan) {
		return
	}
	p.orphans.nextScan = now.Add(orphanExpireScanInterval)
	n := 0
	for _, o := range p.orphans.byHash {
		if now.After(o.expires) {
			p.removeOrphan(o)
			n++
		}
	}
	if n > 0 {
		log.Debugf("Expired %d orphan transactions", n)
	}
}

// promoteOrphans moves into the pool the orphans whose parents are among
// parents, or among the orphans promoted on the way, and returns what it
// moved, parents before children. Orphans still missing a parent stay;
// orphans that break a rule are dropped with their orphan descendants. It
// runs with the lock held, signature checks included: promotions are rare
// and few. The caller holds mtx for writing.
func (p *TxPool) promoteOrphans(parents []wire.Hash, now time.Time) []*poolTx {
	var promoted []*poolTx
	queue := append([]wire.Hash(nil), parents...)
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		kids := p.orphans.byParent[parent]
		if len(kids) == 0 {
			continue
		}
		// Map order is random; arrival order makes promotion repeatable.
		list := make([]*orphanTx, 0, len(kids))
		for _, o := range kids {
			list = append(list, o)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
		for _, o := range list {
			if p.orphans.byHash[o.txHash] != o {
				// Removed as a double spend of an earlier promotion,
				// or another copy of it was promoted.
				continue
			}
			p.removeOrphan(o)
			chk, err := p.checkTx(o.tx, o.txID, o.size)
			if err == nil && len(chk.missing) > 0 {
				// Still waiting for another parent.
				p.insertOrphan(o)
				continue
			}
			if err == nil {
				err = blockdag.VerifySignatures(o.tx, o.txID, chk.entries)
				if err != nil {
					err = dagRuleError(o.txID, err)
				}
			}
			var ptx *poolTx
			if err == nil {
				ptx, err = p.addTx(o.tx, o.txID, o.size, chk, now)
			}
			if err != nil {
				log.Debugf("Dropping orphan %s: %v", o.txID, err)
				p.orphanRejected(o, err)
				p.removeOrphanWithDescendants(o)
				continue
			}
			// The other copies are the same transaction, now in the pool.
			p.removeOrphanCopies(o.txID)
			promoted = append(promoted, ptx)
			queue = append(queue, o.txID)
		}
	}
	return promoted
}
