package netsync

import (
	"time"

	"github.com/soterdag/soterd/wire"
)

// Each peer's window of blocks in flight is sized from what its link
// showed: the blocks per second it delivered while it had requests, and
// the shortest round trip of a getblocks. A window of rate x round trip
// keeps a link busy; twice that plus some slack lets the window grow
// (like a TCP slow start) when the rate was held down by the window
// itself, which is what happens on a far link: the rate measured through
// a 2,000-block window over a 300 ms round trip is 6,700 blocks a second
// whatever the bandwidth.

const (
	// initialWindow is the window of a sync peer whose rate is not
	// measured yet: two invs' worth, so the peer always has a full batch
	// to send while we process the previous one. initialWindowBytes
	// lowers it once the first block told the blocks' size: 2,000 blocks
	// of 25 kB would hold a 2 Mbit/s link for 200 s, long after the rate
	// said the window should be a dozen; 1 MB is 4 s of such a link and
	// a third of a round trip of a 100 Mbit/s one 150 ms away.
	// firstRequestBlocks is the window before any block arrived, when
	// the size is not known either.
	initialWindow      = 2 * wire.MaxBlocksPerInv
	initialWindowBytes = 1 << 20
	firstRequestBlocks = 32

	// minWindow is the smallest window: a slow peer keeps a few blocks
	// in flight, so it always has one to send while we ask for more.
	minWindow = 8

	// maxWindow bounds the blocks requested from one peer and not yet
	// received. Blocks in flight cost us a request entry each (about
	// 150 bytes), not the block: the peer sends them through TCP, whose
	// buffers and the manager's bounded channel hold them back. 16,000
	// covers a 300 ms round trip at 50,000 small blocks a second.
	maxWindow = 16 * wire.MaxBlocksPerInv

	// windowSlack is added to twice the round trip: the time the peer
	// needs to serve a getdata batch and we need to send the next one.
	windowSlack = 250 * time.Millisecond

	// rateInterval is the shortest time over which a delivery rate is
	// measured; shorter ones are dominated by bursts.
	rateInterval = 500 * time.Millisecond

	// rateIdle is a pause in deliveries that does not count against a
	// peer's rate: longer than a round trip of the farthest link we
	// serve well (a second), so the waits of a small window count.
	rateIdle = 2 * time.Second
)

// linkEstimate measures a peer's link for its block window. It belongs to
// the manager goroutine.
type linkEstimate struct {
	// minRTT is the shortest getblocks round trip seen, zero until one
	// was. The shortest is the one least queued behind blocks.
	minRTT time.Duration

	// rate is the smoothed blocks per second the peer delivered while it
	// had requests in flight; zero until measured.
	rate float64

	// intervalStart is the start of the current measuring interval;
	// intervalBlocks counts the blocks delivered in it; lastDelivery is
	// when the last one arrived.
	intervalStart  time.Time
	intervalBlocks int
	lastDelivery   time.Time

	// blockBytes is the largest block delivered before the rate was
	// measured, zero before the first.
	blockBytes int
}

// rttSample records the round trip of a getblocks answered after d.
func (l *linkEstimate) rttSample(d time.Duration) {
	if d > 0 && (l.minRTT == 0 || d < l.minRTT) {
		l.minRTT = d
	}
}

// needSize reports whether delivered wants the block's size: only until
// the rate is measured, so a download does not size every block.
func (l *linkEstimate) needSize() bool {
	return l.rate == 0
}

// delivered records a requested block of size bytes (zero when needSize
// said no) that arrived at now. The round trips a small window waits
// between its bursts count: they are what holds its rate down, and the
// window grows out of them. A pause longer than rateIdle (we asked the
// peer for nothing) starts a new interval instead.
func (l *linkEstimate) delivered(now time.Time, size int) {
	l.blockBytes = max(l.blockBytes, size)
	idle := !l.lastDelivery.IsZero() && now.Sub(l.lastDelivery) > rateIdle
	l.lastDelivery = now
	switch {
	case l.intervalStart.IsZero() || idle:
		// The first block after an idle spell starts the interval:
		// the time before it is a round trip, not delivery.
		l.intervalStart = now
		l.intervalBlocks = 0
	default:
		l.intervalBlocks++
		if elapsed := now.Sub(l.intervalStart); elapsed >= rateInterval {
			sample := float64(l.intervalBlocks) / elapsed.Seconds()
			if l.rate == 0 {
				l.rate = sample
			} else {
				l.rate = (l.rate + sample) / 2
			}
			l.intervalStart = now
			l.intervalBlocks = 0
		}
	}
}

// window returns how many blocks may be in flight to the peer; initial is
// the window while its rate is not measured, bounded by the blocks' size.
func (l *linkEstimate) window(initial int) int {
	if l.rate == 0 {
		if l.blockBytes == 0 {
			return min(initial, firstRequestBlocks)
		}
		return min(initial, max(minWindow, initialWindowBytes/l.blockBytes))
	}
	w := l.rate * (2*l.minRTT + windowSlack).Seconds()
	if w >= maxWindow {
		return maxWindow
	}
	return max(minWindow, int(w))
}
