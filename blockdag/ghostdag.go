package blockdag

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/soterdag/soterd/wire"
)

// GHOSTDAG (DESIGN.md "GHOSTDAG"): a block's selected parent is its parent
// with the most blue work (ties: the larger hash). Its mergeset is the
// selected parent plus every block of its past that is not in the selected
// parent's past. The mergeset is colored in ascending (blue work, hash)
// order, the selected parent blue first: a candidate is blue when, counting
// the blues already chosen, at most K blues are in its anticone and no blue
// would get more than K blues in its anticone (the k-cluster rule). A
// block's blue score counts the blue blocks in its past and its blue work
// sums their work.

// ghostdagState holds what the GHOSTDAG computation reuses between blocks
// and where it finds blocks. It is only used by the goroutine holding the
// process lock.
type ghostdagState struct {
	src        nodeSource
	k          uint32
	mergeLimit int
	workCache  map[uint32]*big.Int
}

// maxWorkCacheEntries bounds the cache of work per bits value. Difficulty
// changes slowly, so a few distinct values cover the blocks being merged.
const maxWorkCacheEntries = 1024

// work returns the work of a block with the given bits. The result must not
// be modified.
func (s *ghostdagState) work(bits uint32) *big.Int {
	if w, ok := s.workCache[bits]; ok {
		return w
	}
	if len(s.workCache) >= maxWorkCacheEntries {
		clear(s.workCache)
	}
	w := wire.CalcWork(bits)
	s.workCache[bits] = w
	return w
}

// selectParent returns the parent with the most blue work, ties broken by
// the larger hash.
func selectParent(parents []*blockNode) *blockNode {
	var best *blockNode
	for _, p := range parents {
		if best == nil || blockLess(best, p) {
			best = p
		}
	}
	return best
}

// mergeSetTooBigError is the rule error for a mergeset over the limit.
func mergeSetTooBigError(limit int) error {
	return ruleError(ErrMergeSetTooBig, fmt.Sprintf(
		"mergeset has more than the limit of %d blocks", limit))
}

// mergeSet returns the mergeset of a block with the given parents and
// selected parent, the selected parent excluded, in ascending (blue work,
// hash) order. It walks back from the other parents and stops at blocks in
// the selected parent's past, which the reachability index answers without
// a walk. It fails with ErrMergeSetTooBig as soon as the set passes the
// limit, so a block naming an ancient parent costs little to reject.
func (s *ghostdagState) mergeSet(parents []*blockNode, sp *blockNode) ([]*blockNode, error) {
	var out []*blockNode
	seen := make(map[wire.Hash]struct{}, 2*len(parents))
	queue := make([]*blockNode, 0, len(parents))
	for _, p := range parents {
		if p.hash != sp.hash {
			queue = append(queue, p)
		}
	}
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if _, ok := seen[n.hash]; ok {
			continue
		}
		seen[n.hash] = struct{}{}
		inPast, err := isAncestorOrSelf(s.src, n, sp)
		if err != nil {
			return nil, err
		}
		if inPast {
			continue
		}
		out = append(out, n)
		if len(out)+1 > s.mergeLimit {
			return nil, mergeSetTooBigError(s.mergeLimit)
		}
		for _, h := range n.parents {
			if _, ok := seen[h]; ok {
				continue
			}
			pp, err := s.src.node(h)
			if err != nil {
				return nil, err
			}
			queue = append(queue, pp)
		}
	}
	slices.SortFunc(out, blockCmp)
	return out, nil
}

// ghostdag computes the GHOSTDAG data of a block, or of the virtual, with
// the given parents, which must all be in the index and none an ancestor of
// another.
func (s *ghostdagState) ghostdag(parents []*blockNode) (*ghostdagData, error) {
	sp := selectParent(parents)
	candidates, err := s.mergeSet(parents, sp)
	if err != nil {
		return nil, err
	}
	gd := &ghostdagData{
		selectedParent: sp.hash,
		blues:          make([]wire.Hash, 1, 1+len(candidates)),
		anticoneSizes:  make([]anticoneSize, 1, 1+len(candidates)),
	}
	gd.blues[0] = sp.hash
	gd.anticoneSizes[0] = anticoneSize{hash: sp.hash}
	// blueNodes are gd.blues resolved, for the reachability queries.
	blueNodes := make([]*blockNode, 1, 1+len(candidates))
	blueNodes[0] = sp

	var touched []anticoneSize
	for _, c := range candidates {
		blue, count, err := s.checkBlue(gd, blueNodes, c, touched[:0])
		if err != nil {
			return nil, err
		}
		touched = blue
		if count < 0 {
			gd.reds = append(gd.reds, c.hash)
			continue
		}
		gd.blues = append(gd.blues, c.hash)
		blueNodes = append(blueNodes, c)
		gd.anticoneSizes = append(gd.anticoneSizes, anticoneSize{hash: c.hash, size: uint32(count)})
		// Each blue in c's anticone now has one more blue in its own
		// anticone; record the new count in this block's data.
		for _, t := range touched {
			setAnticoneSize(gd, t.hash, t.size+1)
		}
	}

	gd.blueScore = sp.blueScore + uint64(len(gd.blues))
	bw := new(big.Int).Set(sp.blueWork)
	for _, b := range blueNodes {
		bw.Add(bw, s.work(b.bits))
	}
	gd.blueWork = bw
	return gd, nil
}

// setAnticoneSize records size as h's blue anticone size in gd.
func setAnticoneSize(gd *ghostdagData, h wire.Hash, size uint32) {
	for i := range gd.anticoneSizes {
		if gd.anticoneSizes[i].hash == h {
			gd.anticoneSizes[i].size = size
			return
		}
	}
	gd.anticoneSizes = append(gd.anticoneSizes, anticoneSize{hash: h, size: size})
}

// checkBlue decides whether candidate c can join gd's blues (blueNodes
// resolved). It walks the selected chain from the new block down to the
// first chain block in c's past, counting the blues in c's anticone. It
// returns count -1 when c must be red; otherwise the number of blues in c's
// anticone, and in touched those blues with their current anticone sizes.
func (s *ghostdagState) checkBlue(gd *ghostdagData, blueNodes []*blockNode, c *blockNode,
	touched []anticoneSize) ([]anticoneSize, int, error) {

	k := int(s.k)
	count := 0
	// check counts b when it is in c's anticone; it reports whether c
	// must be red.
	check := func(b *blockNode) (bool, error) {
		inPast, err := isAncestorOrSelf(s.src, b, c)
		if err != nil || inPast {
			return false, err
		}
		// b is in c's anticone: blocks colored earlier come before c
		// in a topological order, and older chain blocks' blues are
		// in the selected parent's past.
		count++
		if count > k {
			return true, nil
		}
		size, err := s.blueAnticoneSize(gd, b.hash)
		if err != nil {
			return false, err
		}
		if size >= uint32(k) {
			return true, nil
		}
		touched = append(touched, anticoneSize{hash: b.hash, size: size})
		return false, nil
	}
	for _, b := range blueNodes {
		red, err := check(b)
		if err != nil {
			return touched, 0, err
		}
		if red {
			return touched, -1, nil
		}
	}
	for h := gd.selectedParent; !h.IsZero(); {
		chainNode, err := s.src.node(h)
		if err != nil {
			return touched, 0, err
		}
		inPast, err := isAncestorOrSelf(s.src, chainNode, c)
		if err != nil {
			return touched, 0, err
		}
		if inPast {
			// Everything this chain block merged, and everything
			// below it, is in c's past.
			break
		}
		for _, bh := range chainNode.blues {
			b, err := s.src.node(bh)
			if err != nil {
				return touched, 0, err
			}
			red, err := check(b)
			if err != nil {
				return touched, 0, err
			}
			if red {
				return touched, -1, nil
			}
		}
		h = chainNode.selectedParent
	}
	return touched, count, nil
}

// blueAnticoneSize returns b's blue anticone size within gd's blue set: the
// count recorded by the nearest block on gd's selected chain.
func (s *ghostdagState) blueAnticoneSize(gd *ghostdagData, b wire.Hash) (uint32, error) {
	for data := gd; ; {
		for _, e := range data.anticoneSizes {
			if e.hash == b {
				return e.size, nil
			}
		}
		if data.isGenesis() {
			return 0, ruleError(ErrCorruptState, fmt.Sprintf(
				"no blue anticone size for block %s", b))
		}
		n, err := s.src.node(data.selectedParent)
		if err != nil {
			return 0, err
		}
		data = &n.ghostdagData
	}
}
