package mempool

import (
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// HandleVirtualChanged brings the pool in line with a new virtual block.
// acceptedTxs are the transactions that became accepted (coinbases
// included), unacceptedTxs the transactions of blocks that lost acceptance
// (blockdag's VirtualChangedData). In order:
//
//  1. accepted transactions leave the pool and the orphan pool (their
//     children stay: what they spend is now in the UTXO set), and pool
//     transactions and orphans that spend an output an accepted
//     transaction spends leave with their descendants, as double spends;
//  2. unaccepted transactions are taken back, parents first, where they
//     pass every rule again; pool transactions that spend outputs of one
//     that could not come back leave with their descendants;
//  3. if the virtual's blue score went down, transactions that are no
//     longer final or mature at it leave with their descendants;
//  4. orphans whose parents were accepted or taken back are promoted and
//     reported to OnTxAccepted, as are new arrivals; taken back
//     transactions are not.
//
// Call it once per virtual change, in order, after the UTXO set moved.
func (p *TxPool) HandleVirtualChanged(acceptedTxs, unacceptedTxs []*wire.MsgTx) {
	p.mtx.Lock()
	now := p.cfg.TimeSource()
	parents := make([]wire.Hash, 0, len(acceptedTxs))

	removed := 0
	// With neither pool transactions nor orphans (a node downloading
	// the DAG), no accepted transaction can remove or promote anything,
	// and their ids (a double SHA-256 each) would be computed for
	// nothing on the block processing goroutine.
	if len(p.pool) == 0 && len(p.orphans.byHash) == 0 {
		acceptedTxs = nil
	}
	for _, tx := range acceptedTxs {
		txID := tx.TxID()
		parents = append(parents, txID)
		if ptx, ok := p.pool[txID]; ok {
			p.removeOne(ptx)
		}
		p.removeOrphanCopies(txID)
		for i := range tx.TxIn {
			if spender, ok := p.spends[tx.TxIn[i].PreviousOutPoint]; ok {
				ids := p.removeWithDescendants(spender)
				removed += len(ids)
				log.Debugf("Removed %d transactions that double spend accepted transaction %s",
					len(ids), txID)
			}
		}
		p.removeOrphanDoubleSpends(tx)
	}

	readmitted := 0
	for _, tx := range topoSort(unacceptedTxs) {
		if tx.IsCoinBase() {
			continue
		}
		txID := tx.TxID()
		if _, ok := p.pool[txID]; ok {
			continue
		}
		if err := p.readmit(tx, txID, now); err != nil {
			log.Debugf("Not taking back transaction %s: %v", txID, err)
			removed += p.removeSpendersOfMissing(tx, txID)
			continue
		}
		readmitted++
		parents = append(parents, txID)
	}

	blueScore := p.cfg.VirtualBlueScore()
	if blueScore < p.lastBlueScore {
		for _, ptx := range p.pool {
			if p.pool[ptx.TxID] == ptx && ptx.minBlueScore > blueScore {
				removed += len(p.removeWithDescendants(ptx))
			}
		}
	}
	p.lastBlueScore = blueScore

	p.expireOrphans(now)
	promoted := p.promoteOrphans(parents, now)
	if readmitted > 0 || removed > 0 || len(promoted) > 0 {
		log.Debugf("Virtual changed: %d accepted, %d taken back, %d removed, %d orphans promoted; "+
			"pool now %d txs, %d bytes", len(acceptedTxs), readmitted, removed, len(promoted),
			len(p.pool), p.bytes)
	}
	p.unlockAndNotify(promoted)
}

// readmit puts a transaction that lost acceptance back into the pool if it
// passes every rule. The caller holds mtx for writing.
func (p *TxPool) readmit(tx *wire.MsgTx, txID wire.Hash, now time.Time) error {
	size := tx.SerializeSize()
	chk, err := p.checkTx(tx, txID, size)
	if err != nil {
		return err
	}
	if len(chk.missing) > 0 {
		return ruleError(ErrMissingInputs, "spent or unknown inputs")
	}
	if err := blockdag.VerifySignatures(tx, txID, chk.entries); err != nil {
		return dagRuleError(txID, err)
	}
	_, err = p.addTx(tx, txID, size, chk, now)
	return err
}

// removeSpendersOfMissing removes, with their descendants, the pool
// transactions that spend outputs of tx that are not in the UTXO set: tx
// lost acceptance and did not come back, so those outputs are gone. It
// returns how many it removed. The caller holds mtx for writing.
func (p *TxPool) removeSpendersOfMissing(tx *wire.MsgTx, txID wire.Hash) int {
	n := 0
	for i := range tx.TxOut {
		op := wire.OutPoint{TxID: txID, Index: uint32(i)}
		spender, ok := p.spends[op]
		if !ok {
			continue
		}
		// Still there when the transaction is accepted elsewhere in the
		// new order.
		if _, ok := p.cfg.FetchUTXO(op); ok {
			continue
		}
		n += len(p.removeWithDescendants(spender))
	}
	return n
}

// topoSort returns txs ordered so that every transaction comes after those
// of txs it spends from; otherwise the order is kept.
func topoSort(txs []*wire.MsgTx) []*wire.MsgTx {
	if len(txs) < 2 {
		return txs
	}
	index := make(map[wire.Hash]int, len(txs))
	for i, tx := range txs {
		index[tx.TxID()] = i
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]uint8, len(txs))
	sorted := make([]*wire.MsgTx, 0, len(txs))
	// An explicit stack instead of recursion: a chain of unconfirmed
	// transactions can be long.
	type frame struct {
		i    int
		next int
	}
	for start := range txs {
		if state[start] != unvisited {
			continue
		}
		stack := []frame{{i: start}}
		state[start] = visiting
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			tx := txs[top.i]
			if top.next < len(tx.TxIn) {
				parent, ok := index[tx.TxIn[top.next].PreviousOutPoint.TxID]
				top.next++
				if ok && state[parent] == unvisited {
					state[parent] = visiting
					stack = append(stack, frame{i: parent})
				}
				continue
			}
			state[top.i] = done
			sorted = append(sorted, tx)
			stack = stack[:len(stack)-1]
		}
	}
	return sorted
}
