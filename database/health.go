package database

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// compactionRetries is how many retries of a failed background compaction
// make it a failure of the store. LevelDB retries after 1, 2, 4 and then
// every 8 s; a failure that outlasts two retries (a full disk, a read
// error) will not go away, and meanwhile every write stalls once level 0
// fills.
const compactionRetries = 2

// logWatch reads LevelDB's log for failures of its background compactions,
// which LevelDB reports nowhere else until a later write: a damaged table
// stops its compactions ("exiting (corruption detected)") and a failing
// write makes them retry ("retrying N·n"). LevelDB is pinned at v1.0.0 of
// btcsuite/goleveldb, whose log lines these are (TestBackgroundDamage and
// TestDiskFull fail if they change). It is called from LevelDB's
// goroutines and must not block.
type logWatch struct {
	path   string
	health *health

	mu      sync.Mutex
	lastErr string // the last "error" line of a compaction
}

// line takes one line of LevelDB's log.
func (w *logWatch) line(str string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case strings.Contains(str, " error I·"):
		w.lastErr = str
		// LevelDB's corruption errors say "corrupted" or "corruption";
		// this line comes before LevelDB makes the error persistent,
		// so the store fails here before a write meets it.
		if strings.Contains(str, "corrupt") {
			desc := fmt.Sprintf("background compaction: database in %s is damaged (%s): %s",
				w.path, str, corruptAdvice(w.path))
			w.health.fail(dbError(ErrCorrupt, desc))
		}
	case strings.HasSuffix(str, " exiting (corruption detected)"):
		desc := fmt.Sprintf("background compaction: database in %s is damaged (%s): %s",
			w.path, w.lastErr, corruptAdvice(w.path))
		w.health.fail(dbError(ErrCorrupt, desc))
	case strings.Contains(str, " retrying N·"):
		var n int
		i := strings.Index(str, " retrying N·")
		if _, err := fmt.Sscanf(str[i+len(" retrying N·"):], "%d", &n); err == nil && n >= compactionRetries {
			desc := fmt.Sprintf("background compaction: database in %s failed (%s): %s",
				w.path, w.lastErr, ioAdvice)
			w.health.fail(dbError(ErrIO, desc))
		}
	}
}

// health records the first failure after which the store cannot be trusted
// to hold what the node writes: a write or a flush that failed, or damage
// found by a read or by a background compaction. Damage is also written
// down in the directory (DamagedFilename), so that a restart refuses the
// store even when the damaged records are ones it would not read again
// soon: LevelDB checks a table only when it reads it. It is safe for
// concurrent access.
type health struct {
	path     string
	readOnly bool

	mu     sync.Mutex
	err    error
	failed chan struct{}
}

func newHealth(path string, readOnly bool) *health {
	return &health{path: path, readOnly: readOnly, failed: make(chan struct{})}
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
	if errors.Is(err, ErrCorrupt) && !h.readOnly {
		name := filepath.Join(h.path, DamagedFilename)
		if werr := os.WriteFile(name, []byte(err.Error()+"\n"), 0600); werr != nil {
			log.Warnf("Cannot record the damage in %s: %v", name, werr)
		}
	}
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

// noteFailure records err, of kind ErrIO or ErrCorrupt, as the store's
// failure.
func (db *DB) noteFailure(err error) {
	if errors.Is(err, ErrIO) || errors.Is(err, ErrCorrupt) {
		db.health.fail(err)
	}
}

// DamagedFilename is the file in the store's directory that records damage
// found while the store was open. Open refuses a store that has it, with
// ErrCorrupt and what it says; removing the directory, as the message
// advises, removes it too.
const DamagedFilename = "DAMAGED"

// checkDamaged returns an ErrCorrupt error when path holds a record of
// damage found by an earlier run.
func checkDamaged(path string) error {
	data, err := os.ReadFile(filepath.Join(path, DamagedFilename))
	if err != nil {
		return nil
	}
	// The record is our own short message; bound what is shown anyway.
	const maxShown = 1000
	msg := strings.TrimSpace(string(data[:min(len(data), maxShown)]))
	str := fmt.Sprintf("found damaged by an earlier run: %s", msg)
	if advice := corruptAdvice(path); !strings.Contains(msg, advice) {
		str += ": " + advice
	}
	return dbError(ErrCorrupt, str)
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
