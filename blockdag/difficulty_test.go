package blockdag

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/soterdag/soterd/wire"
)

// synthChain builds a chain of n blocks after genesis with the given bits
// and timestamps spaced by spacing ms, and returns the GHOSTDAG data a
// block on its tip would have.
func synthChain(t *testing.T, n int, bits uint32, spacing int64) (*synthDAG, *ghostdagData) {
	s := newSynthDAG(t, 18)
	prev := "G"
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("C%04d", i)
		node := s.add(name, prev)
		node.bits = bits
		node.timestamp = 1_000_000 + int64(i)*spacing
		prev = name
	}
	gd, err := s.gs.ghostdag([]*blockNode{s.nodes[prev]})
	if err != nil {
		t.Fatal(err)
	}
	return s, gd
}

// mustBits is requiredBits for tests.
func mustBits(t *testing.T, s *synthDAG, gd *ghostdagData, p *Params) uint32 {
	t.Helper()
	b, err := requiredBits(s, gd, p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRequiredBits checks the difficulty formula: the window's average
// target scaled by actual over expected timespan, clamped, and the limit.
func TestRequiredBits(t *testing.T) {
	p := MainNetParams()
	p.DifficultyWindowSize = 10
	target := new(big.Int).Rsh(p.PowLimit, 20)
	bits := wire.BigToCompact(target)
	avg := wire.CompactToBig(bits)
	scaled := func(num, den int64) uint32 {
		v := new(big.Int).Mul(avg, big.NewInt(num))
		v.Div(v, big.NewInt(den))
		if v.Cmp(p.PowLimit) > 0 {
			v.Set(p.PowLimit)
		}
		return wire.BigToCompact(v)
	}
	tests := []struct {
		name    string
		blocks  int
		spacing int64
		want    uint32
	}{
		{"window not full", 8, 1000, p.PowLimitBits},
		{"on target", 30, 1000, scaled(1, 1)},
		{"twice as fast", 30, 500, scaled(1, 2)},
		{"twice as slow", 30, 2000, scaled(2, 1)},
		{"clamped fast", 30, 0, scaled(1, 4)},
		{"clamped slow", 30, 10000, scaled(4, 1)},
	}
	for _, test := range tests {
		s, gd := synthChain(t, test.blocks, bits, test.spacing)
		if got := mustBits(t, s, gd, p); got != test.want {
			t.Errorf("%s: got %08x, want %08x", test.name, got, test.want)
		}
	}
	// Regtest never adjusts.
	s, gd := synthChain(t, 30, bits, 1)
	if got := mustBits(t, s, gd, RegressionNetParams()); got != RegressionNetParams().PowLimitBits {
		t.Errorf("regtest: got %08x", got)
	}
	// Easier than the limit is capped.
	s, gd = synthChain(t, 30, p.PowLimitBits, 10000)
	if got := mustBits(t, s, gd, p); wire.CompactToBig(got).Cmp(p.PowLimit) > 0 {
		t.Errorf("target above the limit: %08x", got)
	}
}

// TestPastMedianTime checks the median of the newest blues' timestamps.
func TestPastMedianTime(t *testing.T) {
	p := RegressionNetParams()
	tests := []struct {
		blocks int
		want   int64
	}{
		{1, 1_000_000},
		{3, 1_000_000 + 1000},
		{40, 1_000_000 + (39-13)*1000},
	}
	for _, test := range tests {
		s, gd := synthChain(t, test.blocks, p.PowLimitBits, 1000)
		got, err := pastMedianTime(s, gd, p)
		if err != nil {
			t.Fatal(err)
		}
		if got != test.want {
			t.Errorf("%d blocks: got %d, want %d", test.blocks, got, test.want)
		}
	}
}
