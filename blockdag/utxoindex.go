package blockdag

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// UTXO index records, kept only when Config.UTXOIndex is set: one per
// unspent output of the virtual, keyed by the key it is locked to, so the
// outputs of one address are one range of the store.
//
// BucketUTXOIndex: key bucket 0x0c | pubKey 32 | txid 32 | output index
// uint32 big-endian 4; value:
//
//	field       type                   size
//	amount      uint64 little-endian   8
//	blueScore   uint64 little-endian   8
//	flags       byte, bit 0 coinbase   1
//
// The records are written by utxoSet.commit in the same batch as the UTXO
// set records they mirror, so after a crash at any point the two agree.
//
// BucketMeta: key bucket 0x01 | "utxoindex", value one byte 1: the records
// mirror the UTXO set. New writes it when it has built the index and
// deletes it when it opens the store with the index off, because the UTXO
// set then changes without the records; the next build deletes the stale
// records before it writes new ones.

const (
	// utxoIndexKeySize is a record's key without the bucket byte.
	utxoIndexKeySize = wire.PubKeySize + utxoKeySize
	// utxoIndexValueSize is the size of a record's value.
	utxoIndexValueSize = 8 + 8 + 1
)

var utxoIndexCompleteKey = database.Key(database.BucketMeta, []byte("utxoindex"))

// utxoIndexKey returns the index key of an output locked to pub.
func utxoIndexKey(pub *[wire.PubKeySize]byte, op wire.OutPoint) []byte {
	var buf [1 + utxoIndexKeySize]byte
	return appendUTXOIndexKey(buf[:0], pub, op)
}

// appendUTXOIndexKey appends the index key of an output locked to pub.
func appendUTXOIndexKey(dst []byte, pub *[wire.PubKeySize]byte, op wire.OutPoint) []byte {
	dst = append(dst, byte(database.BucketUTXOIndex))
	dst = append(dst, pub[:]...)
	return appendOutPoint(dst, op)
}

// utxoIndexPrefix returns the prefix of the index keys of pub.
func utxoIndexPrefix(pub *[wire.PubKeySize]byte) []byte {
	return database.Key(database.BucketUTXOIndex, pub[:])
}

// appendUTXOIndexValue appends the value of e's index record.
func appendUTXOIndexValue(dst []byte, e *UTXOEntry) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, e.Amount)
	dst = binary.LittleEndian.AppendUint64(dst, e.BlueScore)
	var flags byte
	if e.IsCoinbase {
		flags |= utxoFlagCoinbase
	}
	return append(dst, flags)
}

// decodeUTXOIndexRecord decodes an index record's key (bucket byte
// included) and value.
func decodeUTXOIndexRecord(k, v []byte) (wire.OutPoint, UTXOEntry, error) {
	if len(k) != 1+utxoIndexKeySize || len(v) != utxoIndexValueSize {
		return wire.OutPoint{}, UTXOEntry{}, ruleError(ErrCorruptState, fmt.Sprintf(
			"utxo index record of %d+%d bytes, want %d+%d", len(k), len(v),
			1+utxoIndexKeySize, utxoIndexValueSize))
	}
	flags := v[16]
	if flags&^utxoFlagCoinbase != 0 {
		return wire.OutPoint{}, UTXOEntry{}, ruleError(ErrCorruptState, fmt.Sprintf(
			"utxo index record has unknown flags %#x", flags))
	}
	e := UTXOEntry{
		Amount:     binary.LittleEndian.Uint64(v),
		BlueScore:  binary.LittleEndian.Uint64(v[8:]),
		IsCoinbase: flags&utxoFlagCoinbase != 0,
	}
	copy(e.PubKey[:], k[1:1+wire.PubKeySize])
	return decodeOutPoint(k[1+wire.PubKeySize:]), e, nil
}

// indexUTXODiff adds to batch the index changes of a net UTXO change, as
// utxoSet.commit writes the set's own. The batch copies keys and values,
// so one buffer of each serves every record.
func indexUTXODiff(d *utxoDiff, batch *database.Batch) {
	var key [1 + utxoIndexKeySize]byte
	for op, e := range d.removed {
		if a, ok := d.added[op]; ok && a.PubKey == e.PubKey {
			continue // the put below replaces the record
		}
		batch.Delete(appendUTXOIndexKey(key[:0], &e.PubKey, op))
	}
	var value [utxoIndexValueSize]byte
	for op, e := range d.added {
		batch.Put(appendUTXOIndexKey(key[:0], &e.PubKey, op), appendUTXOIndexValue(value[:0], e))
	}
}

// UTXOChange is an output that entered or left the virtual's UTXO set.
type UTXOChange struct {
	OutPoint wire.OutPoint
	Entry    UTXOEntry
}

// utxoChangesOf lists a net UTXO change; an outpoint replaced by an equal
// entry is no change.
func utxoChangesOf(d *utxoDiff) (added, removed []UTXOChange) {
	for op, e := range d.removed {
		if a, ok := d.added[op]; ok && *a == *e {
			continue
		}
		removed = append(removed, UTXOChange{OutPoint: op, Entry: *e})
	}
	for op, e := range d.added {
		if r, ok := d.removed[op]; ok && *r == *e {
			continue
		}
		added = append(added, UTXOChange{OutPoint: op, Entry: *e})
	}
	return added, removed
}

// prepareUTXOIndex brings the index in line with the configuration when
// the store is opened: with the index on and no completeness record, it
// builds the index from the UTXO set; with it off, it drops the record. It
// runs in New, before the DAG is shared.
func (d *BlockDAG) prepareUTXOIndex() error {
	complete, err := d.db.Has(utxoIndexCompleteKey)
	if err != nil {
		return err
	}
	switch {
	case d.utxo.addrIndex && !complete:
		return d.buildUTXOIndex()
	case !d.utxo.addrIndex && complete:
		log.Infof("The UTXO index is off: it will be rebuilt when it is turned on again")
		return d.db.Delete(utxoIndexCompleteKey)
	}
	return nil
}

// buildUTXOIndex deletes whatever index records the store holds (from an
// earlier index, stale since it was turned off, or from an interrupted
// build), writes one for every output of the UTXO set, and then records
// that the index is complete. An interrupted build leaves no completeness
// record and starts over on the next start.
func (d *BlockDAG) buildUTXOIndex() error {
	start := time.Now()
	lastLog := start
	total := d.virtual.count
	log.Infof("Building the UTXO index over %d unspent outputs", total)
	batch := d.db.NewBatch()
	flush := func() error {
		if batch.Len() < txIndexFlushPuts {
			return nil
		}
		if err := d.db.Write(batch); err != nil {
			return err
		}
		batch.Reset()
		return nil
	}

	old := d.db.NewIterator([]byte{byte(database.BucketUTXOIndex)})
	var stale uint64
	for old.Next() {
		batch.Delete(old.Key())
		stale++
		if err := flush(); err != nil {
			old.Release()
			return err
		}
	}
	err := old.Err()
	old.Release()
	if err != nil {
		return err
	}
	if stale > 0 {
		log.Infof("Deleted %d stale UTXO index records", stale)
	}

	var done uint64
	var buf [utxoIndexValueSize]byte
	err = d.forEachStoredUTXO(func(op wire.OutPoint, e *UTXOEntry) error {
		batch.Put(utxoIndexKey(&e.PubKey, op), appendUTXOIndexValue(buf[:0], e))
		done++
		if err := flush(); err != nil {
			return err
		}
		if now := time.Now(); now.Sub(lastLog) >= txIndexProgressInterval {
			log.Infof("Building the UTXO index: %d of %d outputs (%.1f%%)",
				done, total, 100*float64(done)/float64(max(total, 1)))
			lastLog = now
		}
		return nil
	})
	if err != nil {
		return err
	}
	batch.Put(utxoIndexCompleteKey, []byte{1})
	if err := d.db.Write(batch); err != nil {
		return err
	}
	log.Infof("Built the UTXO index: %d outputs in %v", done, time.Since(start).Round(time.Millisecond))
	return nil
}

// HasUTXOIndex reports whether the DAG keeps the UTXO index
// (Config.UTXOIndex).
func (d *BlockDAG) HasUTXOIndex() bool {
	return d.utxo.addrIndex
}

// ForEachUTXOOfKey calls fn with every unspent output of the virtual
// locked to pub, in outpoint order, until fn returns false. The outputs are
// those of one virtual state, whose blue score fn gets (to judge maturity)
// and ForEachUTXOOfKey returns; blocks accepted meanwhile are not seen. fn must not call back into the DAG's writers. It
// fails with ErrNoUTXOIndex when the index is off.
// ForEachUTXOOfKey is safe for concurrent use.
func (d *BlockDAG) ForEachUTXOOfKey(pub [wire.PubKeySize]byte,
	fn func(virtualBlueScore uint64, op wire.OutPoint, e *UTXOEntry) bool) (uint64, error) {

	if !d.utxo.addrIndex {
		return 0, ruleError(ErrNoUTXOIndex,
			"the UTXO index is off: restart soterd with --utxoindex")
	}
	// The iterator's view is taken with the state lock held, so it
	// matches the blue score: the writer changes both under the lock.
	d.stateLock.RLock()
	blueScore := d.virtual.blueScore
	it := d.db.NewIterator(utxoIndexPrefix(&pub))
	d.stateLock.RUnlock()
	defer it.Release()
	for it.Next() {
		op, e, err := decodeUTXOIndexRecord(it.Key(), it.Value())
		if err != nil {
			return blueScore, err
		}
		if !fn(blueScore, op, &e) {
			break
		}
	}
	return blueScore, it.Err()
}

// IsMature reports whether an output with entry e can be spent by a
// transaction in a block on a virtual with the given blue score: a
// coinbase output only after CoinbaseMaturity.
func (p *Params) IsMature(e *UTXOEntry, virtualBlueScore uint64) bool {
	return !e.IsCoinbase || virtualBlueScore >= e.BlueScore+p.CoinbaseMaturity
}
