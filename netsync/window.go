package netsync

import (
	"time"

	"github.com/soterdag/soterd/wire"
)

// Each peer's window of blocks in flight is sized from what its link
// showed: the blocks per second it delivered while its link was busy, and
// its shortest round trip. A window of rate x round trip keeps a link busy.
// The rate counts only the time the link carried blocks: the wait for a
// round trip between a request and its first block says nothing about the
// link, and counting it made a window measure itself (the rate seen
// through a 2,000-block window over a 300 ms round trip is 6,700 blocks a
// second whatever the bandwidth), so windows grew a little per interval
// instead of filling the link at once. Blocks a peer delivers while the
// manager validates other peers' blocks count that time too, so the
// windows of several peers add up to what the manager validates per round
// trip.

const (
	// aloneFirstWindow is the window of a peer that has the download to
	// itself before any block arrived: the pages its handshake can list
	// (EarlyGetBlocks). Its blocks come over no other link, so a deep
	// window costs nothing but request entries, while a shallow one
	// costs a round trip per window: 32 blocks and then 2,000 took four
	// round trips of a 300 ms link to reach what it carries in one, and
	// a first window of one page left a 300 ms link idle for the round
	// trip after that page, a tenth of a 10,000-block download. Should
	// the blocks be large and the link slow, a helper that connects
	// takes the excess (expireExcess).
	aloneFirstWindow = maxSyncPagesAhead * wire.MaxBlocksPerInv

	// aloneWindowBytes is the window, in bytes of the largest block
	// seen, of a peer that has the download to itself: 2 MB is what a
	// 100 Mbit/s link holds over 160 ms, half of a 300 ms round trip,
	// and 8 s of a 2 Mbit/s one. It is also the floor of its window
	// once its rate is measured: the rate of a window too small for
	// the link measures the window, and a lone peer loses nothing by
	// a deeper one.
	aloneWindowBytes = 2 << 20

	// sharedWindowBytes bounds, in bytes of the largest block seen, the
	// window of a peer that shares the download while its rate is not
	// measured: what a slow peer was asked for before its rate showed
	// crosses its link even after it is given to others.
	sharedWindowBytes = 256 << 10

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
	// sampled, and rateBlocks the fewest blocks: shorter samples are
	// dominated by single bursts.
	rateInterval = 100 * time.Millisecond
	rateBlocks   = 16

	// rateMaxInterval closes a sample of fewer than rateBlocks blocks:
	// a slow link would otherwise take seconds to show that it slowed.
	rateMaxInterval = 500 * time.Millisecond
)

// linkEstimate measures a peer's link for its block window. It belongs to
// the manager goroutine.
type linkEstimate struct {
	// minRTT is the shortest getblocks round trip seen, zero until one
	// was. The shortest is the one least queued behind blocks.
	minRTT time.Duration

	// rate is the blocks per second the peer's link carried, zero until
	// measured: a sample above it is taken as it is, one below weighs
	// three to one (delivered).
	rate float64

	// sampleStart is when the current rate sample started (zero before
	// the first delivery), sampleBlocks the blocks delivered in it and
	// sampleBusy the time the link spent carrying them; lastDelivery is
	// when the last block arrived.
	sampleStart  time.Time
	sampleBlocks int
	sampleBusy   time.Duration
	lastDelivery time.Time

	// deliveries counts the blocks delivered since the estimate started.
	deliveries int

	// blockBytes is the largest block delivered, zero before the first.
	blockBytes int
}

// rttSample records the round trip of a getblocks answered after d.
func (l *linkEstimate) rttSample(d time.Duration) {
	if d > 0 && (l.minRTT == 0 || d < l.minRTT) {
		l.minRTT = d
	}
}

// delivered records a requested block of size bytes, asked for at sent
// (zero if not known), that arrived at now. The link carried it from when
// it was free: after the previous block
// arrived, or once the request had reached the peer and the first bytes
// could be back, whichever is later. The time before is a wait for a round
// trip (or for us to ask), which is not counted.
func (l *linkEstimate) delivered(now, sent time.Time, size int) {
	l.blockBytes = max(l.blockBytes, size)
	l.deliveries++
	if !sent.IsZero() {
		// A helper is sent no getblocks: the first block of a
		// getdata sent to an idle link times its round trip.
		l.rttSample(now.Sub(sent))
	}
	prev := l.lastDelivery
	l.lastDelivery = now
	if l.sampleStart.IsZero() {
		l.sampleStart = now
		return
	}
	from := prev
	if !sent.IsZero() {
		if ready := sent.Add(l.minRTT); ready.After(from) {
			from = ready
		}
	}
	if now.After(from) {
		l.sampleBusy += now.Sub(from)
	}
	l.sampleBlocks++
	elapsed := now.Sub(l.sampleStart)
	full := l.sampleBlocks >= rateBlocks && elapsed >= rateInterval
	if (!full && elapsed < rateMaxInterval) || l.sampleBusy <= 0 {
		return
	}
	sample := float64(l.sampleBlocks) / l.sampleBusy.Seconds()
	if sample > l.rate {
		// A faster link, or more of the manager's time: take it
		// whole, so a window grows within one sample.
		l.rate = sample
	} else {
		// Falls weigh three to one: a link whose blocks grew (a
		// DAG's coinbases matured) shows it within a second or
		// two, while one slow sample (the manager busy with
		// another peer's blocks) does not take a deep window away
		// at once.
		l.rate = (l.rate + 3*sample) / 4
	}
	l.sampleStart = now
	l.sampleBlocks = 0
	l.sampleBusy = 0
}

// window returns how many blocks may be in flight to the peer. A peer
// that has the download to itself (alone) gets a page before any block
// arrived, then aloneWindowBytes of the largest block, and its measured
// window when that is deeper. A peer that shares the work starts at
// helperInitialWindow and, until its rate is measured, grows by a block
// per block delivered (doubling per round trip, as a TCP slow start),
// bounded by sharedWindowBytes; then it gets its measured window.
func (l *linkEstimate) window(alone bool) int {
	if alone {
		if l.blockBytes == 0 {
			return aloneFirstWindow
		}
		floor := min(maxWindow, max(minWindow, aloneWindowBytes/l.blockBytes))
		if l.rate == 0 {
			return floor
		}
		return max(floor, l.rateWindow())
	}
	if l.rate == 0 {
		w := helperInitialWindow + l.deliveries
		if l.blockBytes > 0 {
			w = min(w, max(minWindow, sharedWindowBytes/l.blockBytes))
		}
		return min(w, maxWindow)
	}
	return l.rateWindow()
}

// rateWindow returns the window of the measured rate: rate x (2 RTT +
// slack), between minWindow and maxWindow.
func (l *linkEstimate) rateWindow() int {
	w := l.rate * (2*l.minRTT + windowSlack).Seconds()
	if w >= maxWindow {
		return maxWindow
	}
	return max(minWindow, int(w))
}
