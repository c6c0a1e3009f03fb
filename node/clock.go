package node

import (
	"slices"
	"sync"
	"time"
)

const (
	// clockSamples is how many recent clock offsets the check keeps:
	// one per peer handshake (its version timestamp) and one per block
	// refused as too far in the future.
	clockSamples = 16

	// minClockSamples is how many offsets it takes to blame our clock:
	// one peer's clock may be wrong, several agreeing peers' are not.
	minClockSamples = 3
)

// clockCheck tells the operator when peers agree that our clock is off by
// more than the network allows a block's timestamp to be ahead. A lagging
// clock makes the node refuse every new block as "too far in the future"
// and a fast one makes its own blocks refused by peers; neither says "check
// your clock" on its own. It is safe for concurrent access.
type clockCheck struct {
	maxOffset time.Duration

	mu      sync.Mutex
	samples []time.Duration // ring of the last clockSamples offsets
	next    int
	warned  bool
}

func newClockCheck(maxOffset time.Duration) *clockCheck {
	return &clockCheck{maxOffset: maxOffset}
}

// add records that a source's clock is offset ahead of ours (negative:
// behind) and warns, once until the clocks agree again, when the median
// of the recent offsets is beyond the allowed drift.
func (c *clockCheck) add(source string, offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.samples) < clockSamples {
		c.samples = append(c.samples, offset)
	} else {
		c.samples[c.next] = offset
		c.next = (c.next + 1) % clockSamples
	}
	if len(c.samples) < minClockSamples {
		return
	}
	sorted := slices.Clone(c.samples)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	off := median < -c.maxOffset || median > c.maxOffset
	switch {
	case off && !c.warned:
		c.warned = true
		dir := "behind"
		if median < 0 {
			dir, median = "ahead of", -median
		}
		log.Warnf("Our clock seems to be %v %s the network's (the median of the "+
			"last %d peer version times and refused block times, latest from %s); "+
			"blocks more than %v ahead are refused: check the system clock "+
			"(timedatectl, NTP)", median.Round(time.Second), dir, len(c.samples),
			source, c.maxOffset)
	case !off && c.warned:
		c.warned = false
		log.Infof("Our clock agrees with the network's again (median offset %v)",
			median.Round(time.Second))
	}
}
