package blockdag

import (
	"math/big"
	"slices"

	"github.com/soterdag/soterd/wire"
)

// Difficulty and past median time both read a window of a block's past "by
// blue order": the blue blocks of the past in reverse GHOSTDAG order, newest
// first. Walking the block's selected chain gives exactly that sequence: the
// block's own mergeset blues from the last to the first, then its selected
// parent, then the selected parent's mergeset blues, and so on.
//
// Required difficulty (networks without NoDifficultyAdjustment): let W be
// the DifficultyWindowSize newest blues of the past. When the past holds
// fewer, the block must use PowLimitBits. Otherwise
//
//	expected = (len(W) - 1) * TargetTimePerBlock (in ms)
//	actual   = max timestamp of W - min timestamp of W,
//	           clamped to [expected/4, expected*4]
//	target   = average target of W * actual / expected,
//	           at most PowLimit and at least 1
//
// and the required bits are the compact form of target. Averaging the
// targets of the whole window, rather than taking the newest one, keeps a
// single block from moving the difficulty, and the clamp bounds how far
// timestamps inside the window can pull it.

// blueWindow appends to dst, newest first, up to n blue blocks of the past
// of the block with GHOSTDAG data gd.
func blueWindow(src nodeSource, gd *ghostdagData, n int, dst []*blockNode) ([]*blockNode, error) {
	for data := gd; len(dst) < n; {
		for i := len(data.blues) - 1; i >= 1 && len(dst) < n; i-- {
			b, err := src.node(data.blues[i])
			if err != nil {
				return nil, err
			}
			dst = append(dst, b)
		}
		if data.isGenesis() || len(dst) >= n {
			break
		}
		sp, err := src.node(data.selectedParent)
		if err != nil {
			return nil, err
		}
		dst = append(dst, sp)
		data = &sp.ghostdagData
	}
	return dst, nil
}

// pastMedianTime returns the median timestamp (ms) of the
// PastMedianTimeWindow newest blues of the past of a block with data gd. A
// block's timestamp must be above it.
func pastMedianTime(src nodeSource, gd *ghostdagData, params *Params) (int64, error) {
	var stack [64]*blockNode
	window, err := blueWindow(src, gd, params.PastMedianTimeWindow, stack[:0])
	if err != nil || len(window) == 0 {
		return 0, err
	}
	var tstack [64]int64
	ts := tstack[:0]
	for _, n := range window {
		ts = append(ts, n.timestamp)
	}
	slices.Sort(ts)
	return ts[len(ts)/2], nil
}

// requiredBits returns the bits a block with data gd must carry; see the
// formula above.
func requiredBits(src nodeSource, gd *ghostdagData, params *Params) (uint32, error) {
	if params.NoDifficultyAdjustment {
		return params.PowLimitBits, nil
	}
	n := params.DifficultyWindowSize
	window, err := blueWindow(src, gd, n, make([]*blockNode, 0, n))
	if err != nil {
		return 0, err
	}
	if len(window) < n || n < 2 {
		return params.PowLimitBits, nil
	}
	sum := new(big.Int)
	minTs, maxTs := window[0].timestamp, window[0].timestamp
	for _, b := range window {
		sum.Add(sum, wire.CompactToBig(b.bits))
		minTs = min(minTs, b.timestamp)
		maxTs = max(maxTs, b.timestamp)
	}
	expected := int64(len(window)-1) * params.TargetTimePerBlock.Milliseconds()
	if expected <= 0 {
		return params.PowLimitBits, nil
	}
	actual := maxTs - minTs
	actual = max(actual, expected/4)
	actual = min(actual, expected*4)
	if actual <= 0 {
		actual = 1
	}

	target := sum.Div(sum, big.NewInt(int64(len(window))))
	target.Mul(target, big.NewInt(actual))
	target.Div(target, big.NewInt(expected))
	if target.Cmp(params.PowLimit) > 0 {
		target.Set(params.PowLimit)
	}
	if target.Sign() <= 0 {
		target.SetInt64(1)
	}
	return wire.BigToCompact(target), nil
}

// difficultyRatio returns how many times harder than the proof-of-work
// limit a target of the given bits is, as btcd's getdifficulty reports it.
func difficultyRatio(bits uint32, params *Params) float64 {
	target := wire.CompactToBig(bits)
	if target.Sign() <= 0 {
		return 0
	}
	r := new(big.Rat).SetFrac(params.PowLimit, target)
	f, _ := r.Float64()
	return f
}
