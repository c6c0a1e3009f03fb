package node

import (
	"fmt"
	"sync"
	"time"
)

// dialLogInterval is the least time between two log lines about failed
// dials. A node whose address book is full of stale addresses fails
// dozens of dials a minute; one line a minute says so without burying the
// rest of the log.
const dialLogInterval = time.Minute

// dialFailures logs failed outbound dials at info, at most one line per
// interval: the first failure after a quiet interval at once, the ones
// after it summed up. It is safe for concurrent access.
type dialFailures struct {
	interval time.Duration
	logf     func(format string, args ...interface{})

	mu       sync.Mutex
	lastLine time.Time
	count    int
	lastAddr string
	lastErr  error
}

// record notes one failed dial at now, and logs when a line is due.
func (d *dialFailures) record(addr string, err error, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.count++
	d.lastAddr, d.lastErr = addr, err
	d.logDueLocked(now)
}

// flush logs the failures not logged yet when a line is due; the
// discovery goroutine calls it on every tick so that the last burst is
// summed up too.
func (d *dialFailures) flush(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.logDueLocked(now)
}

func (d *dialFailures) logDueLocked(now time.Time) {
	if d.count == 0 || (!d.lastLine.IsZero() && now.Sub(d.lastLine) < d.interval) {
		return
	}
	if d.count == 1 {
		d.logf("Cannot connect to peer %s: %v", d.lastAddr, d.lastErr)
	} else {
		d.logf("%s", fmt.Sprintf("Cannot connect to %d peers in the last %v; the last, %s: %v",
			d.count, d.interval, d.lastAddr, d.lastErr))
	}
	d.lastLine = now
	d.count = 0
}
