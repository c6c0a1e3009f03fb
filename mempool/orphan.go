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

// orphanTx is a transaction waiting for its parents.
type orphanTx struct {
	tx      *wire.MsgTx
	txID    wire.Hash
	size    int
	expires time.Time
	seq     uint64
}

// orphanPool holds orphans by id and by the id of every transaction they
// spend from, so an arriving parent finds its children at once.
type orphanPool struct {
	byID     map[wire.Hash]*orphanTx
	byParent map[wire.Hash]map[wire.Hash]*orphanTx
	bytes    int
	nextScan time.Time
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
	// Oldest first: an attacker can flush honest orphans by sending new
	// ones whatever the order, and orphans are best effort anyway (their
	// parents are requested and they are relayed again).
	for len(p.orphans.byID) >= p.cfg.MaxOrphanTxs ||
		p.orphans.bytes+size > p.cfg.MaxOrphanTxBytes {
		var oldest *orphanTx
		for _, o := range p.orphans.byID {
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
		size:    size,
		expires: now.Add(p.cfg.OrphanTTL),
		seq:     p.seq,
	})
	log.Debugf("Stored orphan transaction %s (orphan pool now %d)", txID, len(p.orphans.byID))
	return nil
}

// insertOrphan indexes o. The caller holds mtx for writing.
func (p *TxPool) insertOrphan(o *orphanTx) {
	p.orphans.byID[o.txID] = o
	p.orphans.bytes += o.size
	for i := range o.tx.TxIn {
		parent := o.tx.TxIn[i].PreviousOutPoint.TxID
		kids := p.orphans.byParent[parent]
		if kids == nil {
			kids = make(map[wire.Hash]*orphanTx)
			p.orphans.byParent[parent] = kids
		}
		kids[o.txID] = o
	}
}

// removeOrphan forgets o. The caller holds mtx for writing.
func (p *TxPool) removeOrphan(o *orphanTx) {
	if p.orphans.byID[o.txID] != o {
		return
	}
	delete(p.orphans.byID, o.txID)
	p.orphans.bytes -= o.size
	for i := range o.tx.TxIn {
		parent := o.tx.TxIn[i].PreviousOutPoint.TxID
		if kids := p.orphans.byParent[parent]; kids != nil {
			delete(kids, o.txID)
			if len(kids) == 0 {
				delete(p.orphans.byParent, parent)
			}
		}
	}
}

// removeOrphanWithDescendants forgets o and the orphans that spend its
// outputs, directly or through other orphans: none of them can ever be
// valid once o is not. The caller holds mtx for writing.
func (p *TxPool) removeOrphanWithDescendants(o *orphanTx) {
	queue := []wire.Hash{o.txID}
	p.removeOrphan(o)
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, kid := range p.orphans.byParent[id] {
			p.removeOrphan(kid)
			queue = append(queue, kid.txID)
		}
	}
}

// removeOrphanDoubleSpends forgets the orphans (and their orphan
// descendants) that spend an output tx spends. The caller holds mtx for
// writing.
func (p *TxPool) removeOrphanDoubleSpends(tx *wire.MsgTx) {
	for i := range tx.TxIn {
		op := tx.TxIn[i].PreviousOutPoint
		for _, o := range p.orphans.byParent[op.TxID] {
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
	for _, o := range p.orphans.byID {
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
			if p.orphans.byID[o.txID] != o {
				// Removed as a double spend of an earlier promotion.
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
				p.removeOrphanWithDescendants(o)
				continue
			}
			promoted = append(promoted, ptx)
			queue = append(queue, o.txID)
		}
	}
	return promoted
}
