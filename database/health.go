package database

import (
	"errors"
	"fmt"
	"sync"
	"time"

	lerrors "github.com/btcsuite/goleveldb/leveldb/errors"
	"github.com/btcsuite/goleveldb/leveldb/util"
)

// probeInterval is how often the background check asks LevelDB whether its
// compactions failed. A compaction that finds a damaged table stops all
// later writes, so a node learns of the damage within this time rather than
// at its next block.
const probeInterval = 5 * time.Second

// probeRange is a key range no bucket uses (bucket prefixes start at 0x01),
// so asking LevelDB to compact it touches no table: the request only
// returns the background compaction's error state.
var probeRange = util.Range{Start: []byte{0x00}, Limit: []byte{0x01}}

// health records the first failure after which the store cannot be trusted
// to hold what the node writes: a write or a flush that failed, or damage
// found by a read or by a background compaction. It is safe for concurrent
// access.
type health struct {
	mu     sync.Mutex
	err    error
	failed chan struct{}
}

func newHealth() *health {
	return &health{failed: make(chan struct{})}
}

// fail records err as the store's failure unless one was recorded before.
func (h *health) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return
	}
	h.err = err
	close(h.failed)
}

// Failed returns a channel that is closed when the store fails: a write, a
// flush or a read that found damage failed, or a background compaction
// found a damaged table or could not write. After that the store may hold
// less than the caller believes it wrote, so the only safe course is to
// stop and reopen it (which replays or refuses it). Err says what failed.
func (db *DB) Failed() <-chan struct{} {
	return db.health.failed
}

// Err returns the store's failure (an Error of kind ErrIO or ErrCorrupt,
// whose message names the path and the remedy), or nil while it works.
func (db *DB) Err() error {
	db.health.mu.Lock()
	defer db.health.mu.Unlock()
	return db.health.err
}

// watch runs the background check until quit is closed.
func (db *DB) watch(quit <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ticker := time.NewTicker(probeInterval)
	defer ticker.Stop()
	var transient error
	for {
		select {
		case <-quit:
			return
		case <-ticker.C:
		}
		err := db.ldb.CompactRange(probeRange)
		select {
		case <-quit:
			// Close is underway; its errors are Close's to report.
			return
		default:
		}
		switch {
		case err == nil:
			transient = nil
		case lerrors.IsCorrupted(err):
			db.convertErr("background compaction", err)
			return
		case transient != nil:
			// LevelDB retries a failed compaction every few
			// seconds; one that still fails a probe later (a full
			// disk, a read error) will stall every write.
			db.convertErr("background compaction", err)
			return
		default:
			transient = err
			log.Warnf("A background compaction of the database in %s failed "+
				"(LevelDB retries it): %v", db.path, err)
		}
	}
}

// noteFailure records err, of kind ErrIO or ErrCorrupt, as the store's
// failure.
func (db *DB) noteFailure(err error) {
	if errors.Is(err, ErrIO) || errors.Is(err, ErrCorrupt) {
		db.health.fail(err)
	}
}

// errFailed is returned by writes after the store failed, so that a caller
// that goes on writing gets the same answer rather than LevelDB's.
func (db *DB) errFailed(op string) error {
	err := db.Err()
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
