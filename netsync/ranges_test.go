package netsync

import (
	"testing"

	"github.com/soterdag/soterd/wire"
)

// invs builds block inventory at the given heights, with hashes named by
// their index.
func invs(heights ...uint32) []wire.InvVect {
	list := make([]wire.InvVect, len(heights))
	for i, h := range heights {
		list[i] = wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{byte(i + 1), byte(h)}, Height: h}
	}
	return list
}

// TestMatchRange is the table of answers and announcements.
func TestMatchRange(t *testing.T) {
	end := wire.Hash{0xee}
	tips := &blockRange{kind: rangeSync, start: 10, pending: true, seq: 2}
	gap := &blockRange{kind: rangeGap, end: end, start: 5, pending: true, seq: 1}
	full := make([]uint32, wire.MaxBlocksPerInv)
	for i := range full {
		full[i] = 5 + uint32(i/10)
	}
	endsWithEnd := invs(5, 6, 7)
	endsWithEnd[2].Hash = end

	tests := []struct {
		name   string
		ranges []*blockRange
		blocks []wire.InvVect
		want   *blockRange
	}{
		{name: "no open range", blocks: invs(10), want: nil},
		{name: "empty answers the oldest", ranges: []*blockRange{tips, gap}, blocks: nil, want: gap},
		{name: "tips answer from the start", ranges: []*blockRange{tips}, blocks: invs(10, 10, 11), want: tips},
		{name: "tips announcement above the start", ranges: []*blockRange{tips}, blocks: invs(12), want: nil},
		{name: "tips announcement below the start", ranges: []*blockRange{tips}, blocks: invs(3), want: nil},
		{name: "unsorted", ranges: []*blockRange{tips}, blocks: invs(10, 12, 11), want: nil},
		{name: "gap answer ends with the end", ranges: []*blockRange{gap}, blocks: endsWithEnd, want: gap},
		{name: "gap announcement", ranges: []*blockRange{gap}, blocks: invs(9), want: nil},
		{name: "gap answer cut at a full page", ranges: []*blockRange{gap}, blocks: invs(full...), want: gap},
		{name: "only the oldest is answered", ranges: []*blockRange{tips, gap}, blocks: invs(10, 11), want: nil},
		{name: "not pending", ranges: []*blockRange{{start: 10}}, blocks: invs(10), want: nil},
	}
	sm := &SyncManager{}
	for _, test := range tests {
		ps := &peerState{ranges: test.ranges}
		if got := sm.matchRange(ps, test.blocks); got != test.want {
			t.Errorf("%s: got %+v, want %+v", test.name, got, test.want)
		}
	}
}

// TestSubHeight checks the saturating subtraction of the gap search.
func TestSubHeight(t *testing.T) {
	tests := []struct {
		h, d, want uint32
	}{
		{100, 16, 84},
		{16, 16, 0},
		{10, 16, 0},
		{0, 0, 0},
	}
	for _, test := range tests {
		if got := subHeight(test.h, test.d); got != test.want {
			t.Errorf("subHeight(%d, %d): got %d, want %d", test.h, test.d, got, test.want)
		}
	}
}
