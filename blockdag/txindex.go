package blockdag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// Transaction index records, kept only when Config.TxIndex is set.
//
// BucketTxIndex: key bucket 0x0b | txid 32; value:
//
//	field            type                                   size
//	block hash       wire.Hash                              32
//	position         uint32 little-endian                   4
//
// The block is the first block this node stored that contains the
// transaction; parallel blocks often include the same transaction, and the
// later ones add no record. The position is the transaction's index in the
// block, so a lookup decodes one block and hashes nothing.
//
// BucketMeta: key bucket 0x01 | "txindex", value one byte 1: the index holds
// every stored block. New writes it when it has built the index over an
// existing store (or with the genesis block) and deletes it when it opens
// the store without the index, because blocks stored then are not indexed;
// the records themselves stay, since every one still names a stored block
// that contains its transaction.

// txIndexValueSize is the size of a transaction index record.
const txIndexValueSize = wire.HashSize + 4

// txIndexFlushPuts bounds the records of one batch while the index is
// built over an existing store, so the batch stays small in memory.
const txIndexFlushPuts = 50_000

// txIndexProgressInterval is how often building the index logs progress.
const txIndexProgressInterval = 10 * time.Second

var txIndexCompleteKey = database.Key(database.BucketMeta, []byte("txindex"))

func txIndexKey(txID *wire.Hash) []byte {
	return database.Key(database.BucketTxIndex, txID[:])
}

// encodeTxIndexValue encodes a transaction index record.
func encodeTxIndexValue(block *wire.Hash, pos int) []byte {
	b := make([]byte, 0, txIndexValueSize)
	b = append(b, block[:]...)
	return binary.LittleEndian.AppendUint32(b, uint32(pos))
}

// decodeTxIndexValue decodes a transaction index record.
func decodeTxIndexValue(b []byte) (wire.Hash, int, error) {
	if len(b) != txIndexValueSize {
		return wire.Hash{}, 0, ruleError(ErrCorruptState, fmt.Sprintf(
			"transaction index record of %d bytes, want %d", len(b), txIndexValueSize))
	}
	return wire.Hash(b[:wire.HashSize]), int(binary.LittleEndian.Uint32(b[wire.HashSize:])), nil
}

// indexBlockTxs adds to batch a record for each of the block's transactions
// that neither the store nor pending (the records of batches not yet
// written, nil when there are none) has, so the first block stored keeps
// the record. It returns the number of records added.
func (d *BlockDAG) indexBlockTxs(batch *database.Batch, block *wire.Hash, txids []wire.Hash,
	pending map[wire.Hash]struct{}) (int, error) {

	added := 0
	for i := range txids {
		if pending != nil {
			if _, ok := pending[txids[i]]; ok {
				continue
			}
		}
		key := txIndexKey(&txids[i])
		have, err := d.db.Has(key)
		if err != nil {
			return added, fmt.Errorf("look up transaction %s in the index: %w", txids[i], err)
		}
		if have {
			continue
		}
		batch.Put(key, encodeTxIndexValue(block, i))
		if pending != nil {
			pending[txids[i]] = struct{}{}
		}
		added++
	}
	return added, nil
}

// prepareTxIndex brings the index's completeness record in line with the
// configuration when an existing store is opened: with the index on, it
// builds whatever is missing; with it off, it drops the record. It runs in
// New, before the DAG is shared.
func (d *BlockDAG) prepareTxIndex() error {
	complete, err := d.db.Has(txIndexCompleteKey)
	if err != nil {
		return err
	}
	switch {
	case d.txIndex && !complete:
		return d.buildTxIndex()
	case !d.txIndex && complete:
		log.Infof("The transaction index is off: it will be rebuilt when it is turned on again")
		return d.db.Delete(txIndexCompleteKey)
	}
	return nil
}

// buildTxIndex indexes the transactions of every stored block, in height
// order so that the earlier of two blocks holding a transaction keeps it,
// and then records that the index is complete. An interrupted build leaves
// no completeness record and starts over on the next start, skipping the
// records already written.
func (d *BlockDAG) buildTxIndex() error {
	total := d.blockCount
	log.Infof("Building the transaction index over %d stored blocks", total)
	start := time.Now()
	lastLog := start
	batch := d.db.NewBatch()
	pending := make(map[wire.Hash]struct{})
	var done, records uint64
	it := d.db.NewIterator([]byte{byte(database.BucketHeights)})
	defer it.Release()
	for it.Next() {
		k := it.Key()
		if len(k) != 1+4+wire.HashSize {
			return ruleError(ErrCorruptState, "height key of the wrong size")
		}
		hash := wire.Hash(k[5:])
		b, err := d.db.Get(blockKey(&hash))
		if err != nil {
			return fmt.Errorf("read block %s: %w", hash, err)
		}
		var msg wire.MsgBlock
		if err := msg.Deserialize(b); err != nil {
			return ruleError(ErrCorruptState, fmt.Sprintf(
				"stored block %s does not decode: %v", hash, err))
		}
		added, err := d.indexBlockTxs(batch, &hash, msg.TxIDs(), pending)
		if err != nil {
			return err
		}
		records += uint64(added)
		done++
		if batch.Len() >= txIndexFlushPuts {
			if err := d.db.Write(batch); err != nil {
				return err
			}
			batch.Reset()
			clear(pending)
		}
		if now := time.Now(); now.Sub(lastLog) >= txIndexProgressInterval {
			log.Infof("Building the transaction index: %d of %d blocks (%.1f%%)",
				done, total, 100*float64(done)/float64(total))
			lastLog = now
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	batch.Put(txIndexCompleteKey, []byte{1})
	if err := d.db.Write(batch); err != nil {
		return err
	}
	log.Infof("Built the transaction index: %d blocks, %d new records in %v",
		done, records, time.Since(start).Round(time.Millisecond))
	return nil
}

// FindTransaction returns a transaction that a stored block contains and
// the hash of that block (the first block this node stored with it, when
// parallel blocks include the same transaction). ok is false when the
// index is off (Config.TxIndex), when no stored block has the transaction,
// and when the store fails (logged). A transaction that is in a block is
// not necessarily accepted: a block's transactions that conflict with its
// past are in the block but not in the UTXO set. The transaction may be
// shared with the DAG's block cache and must not be modified.
// FindTransaction is safe for concurrent use.
func (d *BlockDAG) FindTransaction(txID *wire.Hash) (tx *wire.MsgTx, block wire.Hash, ok bool) {
	if !d.txIndex || txID == nil {
		return nil, wire.Hash{}, false
	}
	v, err := d.db.Get(txIndexKey(txID))
	if err != nil {
		if !errors.Is(err, database.ErrNotFound) {
			log.Warnf("Looking up transaction %s in the index: %v", txID, err)
		}
		return nil, wire.Hash{}, false
	}
	block, pos, err := decodeTxIndexValue(v)
	if err != nil {
		log.Warnf("Looking up transaction %s in the index: %v", txID, err)
		return nil, wire.Hash{}, false
	}

	// A recent block is likely in the cache with its txids.
	if bd, cached := d.blockCache.get(block); cached {
		if pos < len(bd.txids) && bd.txids[pos] == *txID {
			return bd.msg.Transactions[pos], block, true
		}
		log.Warnf("The transaction index names block %s for transaction %s, "+
			"which it does not hold", block, txID)
		return nil, wire.Hash{}, false
	}
	b, err := d.db.Get(blockKey(&block))
	if err != nil {
		log.Warnf("Reading block %s for transaction %s: %v", block, txID, err)
		return nil, wire.Hash{}, false
	}
	var msg wire.MsgBlock
	if err := msg.Deserialize(b); err != nil {
		log.Warnf("Stored block %s does not decode: %v", block, err)
		return nil, wire.Hash{}, false
	}
	if pos >= len(msg.Transactions) || msg.Transactions[pos].TxID() != *txID {
		log.Warnf("The transaction index names block %s for transaction %s, "+
			"which it does not hold", block, txID)
		return nil, wire.Hash{}, false
	}
	return msg.Transactions[pos], block, true
}
