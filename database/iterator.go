package database

import (
	"github.com/btcsuite/goleveldb/leveldb/iterator"
	"github.com/btcsuite/goleveldb/leveldb/util"
)

// Iterator walks the keys of a range in ascending byte order, over a
// consistent view of the store taken when it was created: writes made after
// that are not seen. It starts before the first key, so Next must be called
// first. An Iterator is not safe for concurrent access; it must be released
// with Release. Closing the DB releases it, after which Next returns false
// and Err returns an error of kind ErrClosed.
type Iterator struct {
	db   *DB
	iter iterator.Iterator // nil once released
	err  error
}

// NewIterator returns an iterator over the keys that start with prefix, in
// ascending order. An empty prefix covers the whole store.
func (db *DB) NewIterator(prefix []byte) *Iterator {
	var r *util.Range
	if len(prefix) > 0 {
		r = util.BytesPrefix(prefix)
	}
	return db.newIterator(r)
}

// NewRangeIterator returns an iterator over the keys k with
// start <= k < limit, in ascending order. A nil start means from the first
// key, a nil limit means to the last.
func (db *DB) NewRangeIterator(start, limit []byte) *Iterator {
	return db.newIterator(&util.Range{Start: start, Limit: limit})
}

// newIterator creates an iterator over r (nil for everything) and registers
// it so that Close can release it.
func (db *DB) newIterator(r *util.Range) *Iterator {
	db.mu.RLock()
	defer db.mu.RUnlock()
	it := &Iterator{db: db}
	if db.closed {
		it.err = db.closedError("iterate")
		return it
	}
	if db.queue != nil {
		// The view includes every batch queued before it.
		if err := db.queue.drain(); err != nil {
			it.err = err
			return it
		}
	}
	it.iter = db.ldb.NewIterator(r, nil)
	db.itersMu.Lock()
	db.iters[it] = struct{}{}
	db.itersMu.Unlock()
	return it
}

// Next moves to the next key and reports whether there is one.
func (it *Iterator) Next() bool {
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	if it.iter == nil {
		return false
	}
	return it.iter.Next()
}

// Key returns a copy of the current key, which the caller may keep, or nil
// when the iterator is not on a key.
func (it *Iterator) Key() []byte {
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	if it.iter == nil {
		return nil
	}
	return cloneBytes(it.iter.Key())
}

// Value returns a copy of the current value, which the caller may keep, or
// nil when the iterator is not on a key.
func (it *Iterator) Value() []byte {
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	if it.iter == nil {
		return nil
	}
	return cloneBytes(it.iter.Value())
}

// Err returns the error that ended the iteration, if any. An iteration that
// simply ran out of keys has no error.
func (it *Iterator) Err() error {
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	if it.err != nil {
		return it.err
	}
	if it.iter == nil {
		return nil
	}
	if err := it.iter.Error(); err != nil {
		return it.db.convertErr("iterate", err)
	}
	return nil
}

// Release frees the iterator's resources. It is safe to call more than once
// and after the DB was closed.
func (it *Iterator) Release() {
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	it.db.itersMu.Lock()
	defer it.db.itersMu.Unlock()
	if it.iter == nil {
		return
	}
	// Keep an error the iteration ran into, so that Err still reports it.
	if err := it.iter.Error(); err != nil {
		it.err = it.db.convertErr("iterate", err)
	}
	it.iter.Release()
	it.iter = nil
	delete(it.db.iters, it)
}

// releaseForClose releases the iterator on behalf of Close, so that from now
// on it reports ErrClosed. It must be called with db.mu held for writing and
// db.itersMu held.
func (it *Iterator) releaseForClose() {
	if it.iter == nil {
		return
	}
	it.iter.Release()
	it.iter = nil
	it.err = it.db.closedError("iterate")
}

// cloneBytes returns a copy of b that shares no memory with it; nil stays
// nil.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	c := make([]byte, len(b))
	copy(c, b)
	return c
}
