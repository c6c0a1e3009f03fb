package blockdag

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// utxoDiff is a change to a UTXO set: entries removed (kept whole, so the
// change can be undone and the commitment updated) and entries added.
// Applying it removes first, then adds, so an outpoint in both is replaced.
type utxoDiff struct {
	removed map[wire.OutPoint]*UTXOEntry
	added   map[wire.OutPoint]*UTXOEntry
}

// newUTXODiff returns an empty diff. Its maps are made on first write:
// most views of coinbase-only blocks change little or nothing.
func newUTXODiff() *utxoDiff {
	return &utxoDiff{}
}

// utxoSource is a UTXO state a view reads through to. fetch returns nil
// for an outpoint that is not in the state.
type utxoSource interface {
	fetch(op wire.OutPoint) (*UTXOEntry, error)
}

// utxoView is a UTXO state expressed as a diff over a source. Views stack:
// a view can be the source of another. A view is used by one goroutine.
type utxoView struct {
	source utxoSource
	diff   *utxoDiff
}

func newUTXOView(source utxoSource) *utxoView {
	return &utxoView{source: source, diff: newUTXODiff()}
}

// fetch implements utxoSource.
func (v *utxoView) fetch(op wire.OutPoint) (*UTXOEntry, error) {
	if e, ok := v.diff.added[op]; ok {
		return e, nil
	}
	if _, ok := v.diff.removed[op]; ok {
		return nil, nil
	}
	return v.source.fetch(op)
}

// remove spends op, whose current entry is e.
func (v *utxoView) remove(op wire.OutPoint, e *UTXOEntry) {
	if _, ok := v.diff.added[op]; ok {
		delete(v.diff.added, op)
		return
	}
	if v.diff.removed == nil {
		v.diff.removed = make(map[wire.OutPoint]*UTXOEntry)
	}
	v.diff.removed[op] = e
}

// add creates op with entry e; op must not be in the state.
func (v *utxoView) add(op wire.OutPoint, e *UTXOEntry) {
	if old, ok := v.diff.removed[op]; ok && *old == *e {
		delete(v.diff.removed, op)
		return
	}
	if v.diff.added == nil {
		v.diff.added = make(map[wire.OutPoint]*UTXOEntry)
	}
	v.diff.added[op] = e
}

// applyDiff applies d to the view.
func (v *utxoView) applyDiff(d *utxoDiff) {
	for op, e := range d.removed {
		v.remove(op, e)
	}
	for op, e := range d.added {
		v.add(op, e)
	}
}

// applyInverse undoes d on the view.
func (v *utxoView) applyInverse(d *utxoDiff) {
	for op, e := range d.added {
		v.remove(op, e)
	}
	for op, e := range d.removed {
		v.add(op, e)
	}
}

// blockAcceptance says which transactions of a merged block were accepted.
type blockAcceptance struct {
	hash    wire.Hash
	txCount int
	bits    []byte
}

// isAccepted reports whether tx i was accepted.
func (a *blockAcceptance) isAccepted(i int) bool {
	return a.bits[i/8]&(1<<(i%8)) != 0
}

// pastDiff is the UTXO change from the state of the past of a selected
// parent to the state of the past of a block (or the virtual) with a given
// parent set, and which merged transactions that change accepted.
type pastDiff struct {
	key      wire.Hash
	diff     *utxoDiff
	accepted []blockAcceptance
	// stored is set once the diff is in BucketUndo.
	stored bool
}

// cost estimates the diff's memory in bytes, for the cache bound.
func (pd *pastDiff) cost() int {
	return 128 + (len(pd.diff.removed)+len(pd.diff.added))*150 + len(pd.accepted)*64
}

// utxoSet is the virtual's UTXO set: the BucketUTXO records plus a cache of
// entries. The cache holds exactly what is on disk for the outpoints it has;
// it is changed only together with the store, under the state lock.
type utxoSet struct {
	db       *database.DB
	cache    map[wire.OutPoint]*UTXOEntry
	maxCache int

	// absent and fetched remember what the store was found to lack and
	// to hold. Only the writer (the goroutine holding the process lock)
	// uses them, through fetch: the same outputs are looked up again and
	// again while the virtual moves (a merged block's inputs, the
	// coinbases of the tips), and readers never see the writer's maps.
	// updateCache keeps them in step with each committed change.
	absent  map[wire.OutPoint]struct{}
	fetched map[wire.OutPoint]*UTXOEntry

	// addrIndex makes commit keep the UTXO index (utxoindex.go) in the
	// same batch as the set.
	addrIndex bool
}

// maxAbsent and maxFetched bound the writer's maps; each is emptied when
// full.
const (
	maxAbsent  = 1 << 16
	maxFetched = 1 << 17
)

// fetch implements utxoSource for the writer's views.
func (s *utxoSet) fetch(op wire.OutPoint) (*UTXOEntry, error) {
	if e, ok := s.cache[op]; ok {
		return e, nil
	}
	if e, ok := s.fetched[op]; ok {
		return e, nil
	}
	if _, ok := s.absent[op]; ok {
		return nil, nil
	}
	e, err := s.fetchStored(op)
	switch {
	case err != nil:
	case e == nil:
		if len(s.absent) >= maxAbsent {
			clear(s.absent)
		}
		s.absent[op] = struct{}{}
	default:
		if len(s.fetched) >= maxFetched {
			clear(s.fetched)
		}
		s.fetched[op] = e
	}
	return e, err
}

// fetchShared looks an outpoint up for a reader holding the state lock
// for reading; it does not touch the writer's absent set.
func (s *utxoSet) fetchShared(op wire.OutPoint) (*UTXOEntry, error) {
	if e, ok := s.cache[op]; ok {
		return e, nil
	}
	return s.fetchStored(op)
}

// fetchStored reads an entry from the store; nil when it is not there.
func (s *utxoSet) fetchStored(op wire.OutPoint) (*UTXOEntry, error) {
	b, err := s.db.Get(utxoKey(op))
	if err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("fetch utxo %s: %w", op, err)
	}
	return decodeUTXOEntry(b)
}

// forEachStoredUTXO calls fn with every entry of the stored UTXO set (the
// virtual's), in key order, until fn fails; a record that does not decode
// is ErrCorruptState.
func (d *BlockDAG) forEachStoredUTXO(fn func(op wire.OutPoint, e *UTXOEntry) error) error {
	it := d.db.NewIterator([]byte{byte(database.BucketUTXO)})
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != 1+utxoKeySize {
			return ruleError(ErrCorruptState, "utxo key of the wrong size")
		}
		e, err := decodeUTXOEntry(it.Value())
		if err != nil {
			return err
		}
		if err := fn(decodeOutPoint(k[1:]), e); err != nil {
			return err
		}
	}
	return it.Err()
}

// commit writes a net change of the set to the batch and the cache. It
// must be called with the state lock held for writing, and the batch must
// be written before anyone reads the set again.
func (s *utxoSet) commit(d *utxoDiff, batch *database.Batch) {
	// The changes go in in key order. LevelDB inserts every key of a
	// batch into its memtable, a skip list searched from the top each
	// time; consecutive keys walk the same nodes, which are then in the
	// CPU's caches, where keys in map order miss on almost every step.
	type change struct {
		op wire.OutPoint
		e  *UTXOEntry // nil for a deletion
	}
	changes := make([]change, 0, len(d.removed)+len(d.added))
	for op := range d.removed {
		if _, ok := d.added[op]; ok {
			continue
		}
		changes = append(changes, change{op: op})
	}
	for op, e := range d.added {
		changes = append(changes, change{op: op, e: e})
	}
	slices.SortFunc(changes, func(a, b change) int {
		if c := bytes.Compare(a.op.TxID[:], b.op.TxID[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.op.Index, b.op.Index)
	})
	var buf [utxoEntrySize]byte
	for _, c := range changes {
		if c.e == nil {
			batch.Delete(utxoKey(c.op))
		} else {
			batch.Put(utxoKey(c.op), appendUTXOEntry(buf[:0], c.e))
		}
	}
	if s.addrIndex {
		indexUTXODiff(d, batch)
	}
}

// updateCache applies a committed change to the cache.
func (s *utxoSet) updateCache(d *utxoDiff) {
	for op := range d.removed {
		delete(s.cache, op)
		delete(s.fetched, op)
	}
	for op, e := range d.added {
		delete(s.absent, op)
		delete(s.fetched, op)
		if len(s.cache) >= s.maxCache {
			// Drop an arbitrary tenth; map order is random enough
			// and recent outputs are re-added as blocks create them.
			drop := s.maxCache / 10
			for k := range s.cache {
				if drop <= 0 {
					break
				}
				delete(s.cache, k)
				drop--
			}
		}
		s.cache[op] = e
	}
}

// acceptTx applies tx, contained in a block of blue score blueScore, to v
// when it is acceptable there: every input exists unspent, the input rules
// hold (finality, maturity, amounts), and, for a coinbase, none of its
// outputs exists. Signatures are not checked: a merged block's transactions
// were verified when the block was validated, and an outpoint always names
// the same output, so a valid signature stays valid wherever the inputs
// exist. It reports whether the tx was accepted.
func acceptTx(v *utxoView, tx *wire.MsgTx, txid wire.Hash, blueScore uint64,
	params *Params, entries []*UTXOEntry) (bool, []*UTXOEntry, error) {

	isCoinbase := tx.IsCoinBase()
	if isCoinbase {
		for i := range tx.TxOut {
			e, err := v.fetch(wire.OutPoint{TxID: txid, Index: uint32(i)})
			if err != nil {
				return false, entries, err
			}
			if e != nil {
				return false, entries, nil
			}
		}
	} else {
		// A non-coinbase tx whose inputs exist was never accepted
		// (accepting it spent them), so its outputs cannot exist.
		entries = entries[:0]
		for i := range tx.TxIn {
			e, err := v.fetch(tx.TxIn[i].PreviousOutPoint)
			if err != nil {
				return false, entries, err
			}
			if e == nil {
				return false, entries, nil
			}
			entries = append(entries, e)
		}
		if _, err := CheckTransactionInputs(tx, blueScore, entries, params); err != nil {
			return false, entries, nil
		}
		for i := range tx.TxIn {
			v.remove(tx.TxIn[i].PreviousOutPoint, entries[i])
		}
	}
	addTxOutputs(v, tx, txid, blueScore, isCoinbase)
	return true, entries, nil
}

// addTxOutputs adds tx's outputs to v.
func addTxOutputs(v *utxoView, tx *wire.MsgTx, txid wire.Hash, blueScore uint64, isCoinbase bool) {
	if len(tx.TxOut) == 0 {
		return
	}
	entries := make([]UTXOEntry, len(tx.TxOut))
	for i := range tx.TxOut {
		e := &entries[i]
		e.Amount = tx.TxOut[i].Value
		e.PubKey = tx.TxOut[i].PubKey
		e.BlueScore = blueScore
		e.IsCoinbase = isCoinbase
		v.add(wire.OutPoint{TxID: txid, Index: uint32(i)}, e)
	}
}
