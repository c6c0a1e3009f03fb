package blockdag

import (
	"errors"
	"fmt"

	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/wire"
)

// chainStore is the virtual's selected chain, genesis at position 0: the
// BucketOrder records, with the newest positions also in memory. Virtual
// moves change the chain at its end only, and they read and write the
// newest positions; the order and acceptance lookups that read old
// positions are rare and read the store.
//
// The writer changes it under the state lock and readers read it under the
// state lock, like the rest of the DAG's shared state.
type chainStore struct {
	db *database.DB

	length uint64
	// tail holds positions tailStart..length-1.
	tail      []chainEntry
	tailStart uint64

	// keep is how many of the newest positions stay in memory at least:
	// enough to reach the finality point and merge depth roots, which
	// every block looks up, without reading the store (tailLength).
	keep int
}

// chainTailMin is the least number of newest positions kept in memory; a
// reorganisation deeper than the tail reads the store.
const chainTailMin = 4096

// tailLength returns how many chain positions to keep in memory for a
// network: the finality point is at most FinalityDepth positions from the
// chain's end (each chain block adds at least one blue score), and merge
// depth roots are nearer. About 4 MB at mainnet's depth of 86,400.
func tailLength(p *Params) int {
	return max(chainTailMin, int(min(p.FinalityDepth, 1<<24))+1024)
}

// get returns the entry at a position.
func (c *chainStore) get(pos uint64) (chainEntry, error) {
	if pos >= c.length {
		return chainEntry{}, fmt.Errorf("selected chain position %d is beyond its %d blocks", pos, c.length)
	}
	if pos >= c.tailStart {
		return c.tail[pos-c.tailStart], nil
	}
	b, err := c.db.Get(chainKey(pos))
	if err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return chainEntry{}, ruleError(ErrCorruptState, fmt.Sprintf(
				"selected chain position %d is missing", pos))
		}
		return chainEntry{}, fmt.Errorf("read selected chain position %d: %w", pos, err)
	}
	return decodeChainEntry(b)
}

// last returns the newest entry.
func (c *chainStore) last() (chainEntry, error) {
	return c.get(c.length - 1)
}

// chainUpdate is a change of the chain's end: the last removed positions go
// and added entries follow what is left.
type chainUpdate struct {
	removed int
	added   []chainEntry
}

// write adds the update's records to batch.
func (c *chainStore) write(u *chainUpdate, batch *database.Batch) {
	base := c.length - uint64(u.removed)
	for i := range u.added {
		batch.Put(chainKey(base+uint64(i)), encodeChainEntry(&u.added[i]))
	}
	for pos := base + uint64(len(u.added)); pos < c.length; pos++ {
		batch.Delete(chainKey(pos))
	}
}

// newLength returns the chain's length after the update.
func (c *chainStore) newLength(u *chainUpdate) uint64 {
	return c.length - uint64(u.removed) + uint64(len(u.added))
}

// apply changes memory after the update's batch is written.
func (c *chainStore) apply(u *chainUpdate) {
	base := c.length - uint64(u.removed)
	if base < c.tailStart {
		c.tail = c.tail[:0]
		c.tailStart = base
	} else {
		c.tail = c.tail[:base-c.tailStart]
	}
	c.tail = append(c.tail, u.added...)
	c.length = base + uint64(len(u.added))
	if len(c.tail) > c.keep+max(1024, c.keep/4) {
		drop := len(c.tail) - c.keep
		c.tail = append(c.tail[:0:0], c.tail[drop:]...)
		c.tailStart += uint64(drop)
	}
}

// load reads the newest positions of a chain of the given length.
func (c *chainStore) load(length uint64) error {
	c.length = length
	c.tailStart = length - min(length, uint64(c.keep))
	c.tail = make([]chainEntry, 0, length-c.tailStart)
	it := c.db.NewRangeIterator(chainKey(c.tailStart), chainKey(length))
	defer it.Release()
	for it.Next() {
		e, err := decodeChainEntry(it.Value())
		if err != nil {
			return err
		}
		c.tail = append(c.tail, e)
	}
	if err := it.Err(); err != nil {
		return err
	}
	if uint64(len(c.tail)) != length-c.tailStart {
		return ruleError(ErrCorruptState, fmt.Sprintf(
			"the selected chain has %d of its newest %d positions",
			len(c.tail), length-c.tailStart))
	}
	return nil
}

// search returns the smallest position in [lo, hi) for which f is true, or
// hi when there is none; f must be false then true along the chain.
func (c *chainStore) search(lo, hi uint64, f func(chainEntry) (bool, error)) (uint64, error) {
	for lo < hi {
		mid := lo + (hi-lo)/2
		e, err := c.get(mid)
		if err != nil {
			return 0, err
		}
		ok, err := f(e)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

// hashAt returns the hash at a position.
func (c *chainStore) hashAt(pos uint64) (wire.Hash, error) {
	e, err := c.get(pos)
	return e.hash, err
}
