package database

import "github.com/btcsuite/goleveldb/leveldb"

// Batch collects puts and deletes that DB.Write applies atomically. The zero
// value is an empty batch ready to use. A Batch is not safe for concurrent
// access.
type Batch struct {
	b leveldb.Batch
}

// NewBatch returns an empty batch.
func (db *DB) NewBatch() *Batch {
	return new(Batch)
}

// Put adds the storing of value under key. The batch keeps its own copy of
// both, so the caller may reuse them at once.
func (b *Batch) Put(key, value []byte) {
	b.b.Put(key, value)
}

// Delete adds the removal of key.
func (b *Batch) Delete(key []byte) {
	b.b.Delete(key)
}

// Len returns the number of operations in the batch.
func (b *Batch) Len() int {
	return b.b.Len()
}

// Reset empties the batch, keeping its memory for reuse.
func (b *Batch) Reset() {
	b.b.Reset()
}
