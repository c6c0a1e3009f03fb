package blockdag

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/soterdag/soterd/wire"
)

// Reachability answers "is block a in the past of block b" without walking
// the DAG. It has two parts:
//
//   - Interval labels on the selected-parent tree. Every node owns an
//     interval [start, end]; a child's interval lies inside
//     [parent.start, parent.end-1], and siblings' intervals are disjoint, so
//     a is a tree ancestor of b (or b itself) exactly when b's interval lies
//     inside a's.
//   - A future covering set per node: the blocks that merged it through a
//     non-selected-parent edge, that is, every block C with a in
//     mergeset(C) and a != selectedParent(C). past(b) is the disjoint union
//     of the mergesets of the blocks on b's selected chain, so a is in the
//     past of b exactly when a is a tree ancestor of b or some member of its
//     future covering set is. The members are never tree ancestors of each
//     other, so their intervals are disjoint and a binary search finds the
//     only candidate.
//
// A new child takes the first half of the free space after its parent's last
// child: which child the selected chain will continue through is not known
// yet, and halving loses the least on average. So intervals shrink
// geometrically down the tree, and a parent eventually has no free space
// left. Then reindex climbs to the first ancestor whose interval is at least
// reindexMargin times its subtree size and reallocates that subtree, now
// knowing where the DAG grows: the subtrees off the path toward the block
// that needed room get twice their size plus a little slack, and the path
// gets everything else. The next reindex then usually stops where this one
// left the room, a few levels up, so a reindex costs about as many nodes as
// levels were added since the last one, whatever the size of the DAG. A side
// branch that outgrows its slack pays a reindex of its fork point's subtree.
// Reindexing keeps the order of siblings, so the sorted future covering sets
// stay sorted.
//
// The data is stored in each block's node record and read on demand
// through a nodeSource; every node a change touches is marked dirty so that
// the accepting block's batch stores it.

// reachData is a node's reachability state. The tree parent is the
// selected parent.
type reachData struct {
	start, end   uint64
	treeChildren []wire.Hash
	// fcs is the future covering set, sorted by interval start.
	fcs []wire.Hash
	// subtree is scratch space for a reindex: the node's subtree size.
	subtree uint64
}

// intervalSize returns the number of values in the node's interval.
func (r *reachData) intervalSize() uint64 {
	return r.end - r.start + 1
}

// Genesis owns the whole label space but 0 and the maximum, so that start-1
// and end+1 never wrap.
const (
	reachRootStart = 1
	reachRootEnd   = math.MaxUint64 - 1
)

// reachStats counts reindex work, for tests and benchmarks.
type reachStats struct {
	reindexes    uint64
	nodesTouched uint64
}

// isTreeAncestorOrSelf reports whether a is b or a tree ancestor of b.
func isTreeAncestorOrSelf(a, b *blockNode) bool {
	return a.reach.start <= b.reach.start && b.reach.end <= a.reach.end
}

// isAncestorOrSelf reports whether a is b or in the past of b.
func isAncestorOrSelf(src nodeSource, a, b *blockNode) (bool, error) {
	if isTreeAncestorOrSelf(a, b) {
		return true, nil
	}
	fcs := a.reach.fcs
	if len(fcs) == 0 {
		return false, nil
	}
	// The covering blocks' intervals are disjoint and sorted: find the
	// last one starting at or below b's start.
	bs := b.reach.start
	lo, hi := 0, len(fcs)
	var cand *blockNode
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		m, err := src.node(fcs[mid])
		if err != nil {
			return false, err
		}
		if m.reach.start > bs {
			hi = mid
		} else {
			cand = m
			lo = mid + 1
		}
	}
	return cand != nil && isTreeAncestorOrSelf(cand, b), nil
}

// isAncestor reports whether a is in the past of b (a != b).
func isAncestor(src nodeSource, a, b *blockNode) (bool, error) {
	if a.hash == b.hash {
		return false, nil
	}
	return isAncestorOrSelf(src, a, b)
}

// initReachRoot gives genesis the whole label space.
func initReachRoot(genesis *blockNode) {
	genesis.reach.start = reachRootStart
	genesis.reach.end = reachRootEnd
}

// freeInterval returns the free space after the node's last tree child; it
// is empty when lo > hi.
func freeInterval(src nodeSource, n *blockNode) (lo, hi uint64, err error) {
	lo = n.reach.start
	if k := len(n.reach.treeChildren); k > 0 {
		last, err := src.node(n.reach.treeChildren[k-1])
		if err != nil {
			return 0, 0, err
		}
		lo = last.reach.end + 1
	}
	return lo, n.reach.end - 1, nil
}

// addReachability inserts n, whose GHOSTDAG data is set, into the tree under
// its selected parent and into the future covering sets of the rest of its
// mergeset. It must be called with the state lock held for writing.
func addReachability(src nodeSource, n *blockNode, stats *reachStats) error {
	p, err := src.node(n.selectedParent)
	if err != nil {
		return err
	}
	lo, hi, err := freeInterval(src, p)
	if err != nil {
		return err
	}
	if lo > hi {
		if err := reindex(src, p, stats); err != nil {
			return err
		}
		if lo, hi, err = freeInterval(src, p); err != nil {
			return err
		}
		if lo > hi {
			return ruleError(ErrCorruptState, "reachability reindex left no room")
		}
	}
	free := hi - lo + 1
	// A first tree child takes all but a fixed reserve: most blocks have
	// one tree child, the next block of a chain, so the chain's intervals
	// shrink by the reserve per level instead of halving, and a chain
	// never runs out of room (halving ran out every few dozen levels, and
	// the reindex then rewrote as many node records as blocks had been
	// added: one extra store write per block). Later siblings split the
	// reserve in halves, as every child did before.
	reserve := free / 2
	if len(p.reach.treeChildren) == 0 {
		reserve = min(reserve, firstChildReserve)
	}
	size := free - reserve
	n.reach.start, n.reach.end = lo, lo+size-1
	p.reach.treeChildren = append(p.reach.treeChildren, n.hash)
	src.markDirty(p)
	src.markDirty(n)

	for _, h := range n.blues[1:] {
		if err := insertFCS(src, h, n); err != nil {
			return err
		}
	}
	for _, h := range n.reds {
		if err := insertFCS(src, h, n); err != nil {
			return err
		}
	}
	return nil
}

// insertFCS adds c to the future covering set of block h at its sorted
// position.
func insertFCS(src nodeSource, h wire.Hash, c *blockNode) error {
	m, err := src.node(h)
	if err != nil {
		return err
	}
	fcs := m.reach.fcs
	lo, hi := 0, len(fcs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		x, err := src.node(fcs[mid])
		if err != nil {
			return err
		}
		if x.reach.start > c.reach.start {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	fcs = append(fcs, wire.Hash{})
	copy(fcs[lo+1:], fcs[lo:])
	fcs[lo] = c.hash
	m.reach.fcs = fcs
	src.markDirty(m)
	return nil
}

// treeChildren resolves a node's tree children.
func treeChildren(src nodeSource, n *blockNode) ([]*blockNode, error) {
	out := make([]*blockNode, len(n.reach.treeChildren))
	for i, h := range n.reach.treeChildren {
		c, err := src.node(h)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// countSubtree sets reach.subtree on every node of root's subtree and
// returns root's subtree size.
func countSubtree(src nodeSource, root *blockNode, stats *reachStats) (uint64, error) {
	// Iterative post-order: a node is finished when popped the second
	// time.
	type frame struct {
		n        *blockNode
		children []*blockNode
		done     bool
	}
	stack := []frame{{n: root}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.done {
			s := uint64(1)
			for _, c := range f.children {
				s += c.reach.subtree
			}
			f.n.reach.subtree = s
			stats.nodesTouched++
			continue
		}
		kids, err := treeChildren(src, f.n)
		if err != nil {
			return 0, err
		}
		stack = append(stack, frame{n: f.n, children: kids, done: true})
		for _, c := range kids {
			stack = append(stack, frame{n: c})
		}
	}
	return root.reach.subtree, nil
}

// mulDiv returns a*b/c without overflow; a*b/c must fit in 64 bits, which
// holds whenever b <= c.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// Reindex tuning.
const (
	// reindexMargin is how many times its subtree size the interval of
	// the ancestor a reindex reallocates must be. Nearly all of that room
	// goes down the path to the block that needed it, so the path can
	// grow for many levels, each new child taking half of what is left,
	// before the next reindex; and that next one usually finds its room
	// a few levels up, where the previous one left it.
	reindexMargin = 1 << 20

	// offPathSlack is the room, beyond twice its size, that a subtree off
	// the reindex path keeps, so a short side branch can grow without
	// another reindex.
	offPathSlack = 64

	// firstChildReserve is the room a block keeps for tree children after
	// its first: 2^32 labels, so 2^32 levels of a chain fit in the label
	// space and a side child still gets 31 levels of halving.
	firstChildReserve = 1 << 32
)

// offPathSize is the interval size a subtree of size need gets when it is
// off the reindex path.
func offPathSize(need uint64) uint64 {
	return 2*need + offPathSlack
}

// reindex makes room under p for one more tree child. Every node whose
// interval moves is marked dirty.
func reindex(src nodeSource, p *blockNode, stats *reachStats) error {
	stats.reindexes++

	// Climb to an ancestor whose interval is at least reindexMargin
	// times the size its subtree will have with the new child, and whose
	// parent's interval is less than twice its own. The second condition
	// matters: since the last reindex, new blocks below it took halves of
	// halves, so the nearest ancestor with enough room is usually in that
	// shrunken stretch, with barely enough; rooting there would hand the
	// path ever less room, reindex after reindex, until a reindex had to
	// climb to genesis and relabel the whole DAG. Climbing on to where the
	// intervals stop doubling finds the room the previous reindex gave the
	// path, at the cost of the levels added since then. path collects the
	// nodes from p up to that ancestor; their subtree fields count the new
	// child.
	path := []*blockNode{p}
	size, err := countSubtree(src, p, stats)
	if err != nil {
		return err
	}
	size++
	p.reach.subtree = size
	u := p
	for {
		enough := u.reach.intervalSize()/reindexMargin >= size
		if u.isGenesis() {
			if !enough {
				return ruleError(ErrCorruptState, fmt.Sprintf(
					"reachability labels exhausted with %d blocks", size))
			}
			break
		}
		parent, err := src.node(u.selectedParent)
		if err != nil {
			return err
		}
		if enough && parent.reach.intervalSize()/2 < u.reach.intervalSize() {
			break
		}
		s := 1 + size
		kids, err := treeChildren(src, parent)
		if err != nil {
			return err
		}
		for _, c := range kids {
			if c.hash != u.hash {
				cs, err := countSubtree(src, c, stats)
				if err != nil {
					return err
				}
				s += cs
			}
		}
		parent.reach.subtree = s
		path = append(path, parent)
		u, size = parent, s
	}

	// Reallocate top-down along the path. u keeps its interval; at each
	// path node the subtrees off the path get offPathSize and the path
	// child (or, at p, the free space for the new child) gets the rest.
	// The margin guarantees the rest is at least the path child's need.
	for i := len(path) - 1; i >= 0; i-- {
		v := path[i]
		var pathChild wire.Hash
		if i > 0 {
			pathChild = path[i-1].hash
		}
		kids, err := treeChildren(src, v)
		if err != nil {
			return err
		}
		offTotal := uint64(0)
		for _, c := range kids {
			if c.hash != pathChild {
				offTotal += offPathSize(c.reach.subtree)
			}
		}
		pathSize := v.reach.intervalSize() - 1 - offTotal
		next := v.reach.start
		for _, c := range kids {
			if i > 0 && c.hash == pathChild {
				c.reach.start, c.reach.end = next, next+pathSize-1
				src.markDirty(c)
				next += pathSize
				continue
			}
			sz := offPathSize(c.reach.subtree)
			if err := allocateSubtree(src, c, next, next+sz-1, stats); err != nil {
				return err
			}
			next += sz
		}
	}
	return nil
}

// allocateSubtree gives root the interval [start, end] and spreads it over
// root's subtree in proportion to subtree sizes, so every node keeps the
// same share of spare room. reach.subtree must be set on the subtree.
func allocateSubtree(src nodeSource, root *blockNode, start, end uint64, stats *reachStats) error {
	type frame struct {
		n          *blockNode
		start, end uint64
	}
	stack := []frame{{root, start, end}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := f.n
		if n.reach.start != f.start || n.reach.end != f.end {
			n.reach.start, n.reach.end = f.start, f.end
			src.markDirty(n)
		}
		stats.nodesTouched++
		if len(n.reach.treeChildren) == 0 {
			continue
		}
		kids, err := treeChildren(src, n)
		if err != nil {
			return err
		}
		total := n.reach.subtree
		spare := n.reach.intervalSize() - total
		next := f.start
		for _, c := range kids {
			sz := c.reach.subtree + mulDiv(spare, c.reach.subtree, total)
			stack = append(stack, frame{c, next, next + sz - 1})
			next += sz
		}
	}
	return nil
}
