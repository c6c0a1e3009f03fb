package blockdag

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
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
// The tree is rebuilt from the block index at startup rather than stored.

// reachData is a node's reachability state.
type reachData struct {
	start, end   uint64
	treeParent   *blockNode
	treeChildren []*blockNode
	// fcs is the future covering set, sorted by interval start.
	fcs []*blockNode
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
func isAncestorOrSelf(a, b *blockNode) bool {
	if isTreeAncestorOrSelf(a, b) {
		return true
	}
	fcs := a.reach.fcs
	bs := b.reach.start
	i := sort.Search(len(fcs), func(i int) bool { return fcs[i].reach.start > bs })
	return i > 0 && isTreeAncestorOrSelf(fcs[i-1], b)
}

// isAncestor reports whether a is in the past of b (a != b).
func isAncestor(a, b *blockNode) bool {
	return a != b && isAncestorOrSelf(a, b)
}

// initReachRoot gives genesis the whole label space.
func initReachRoot(genesis *blockNode) {
	genesis.reach.start = reachRootStart
	genesis.reach.end = reachRootEnd
}

// freeInterval returns the free space after the node's last tree child; it
// is empty when lo > hi.
func (n *blockNode) freeInterval() (lo, hi uint64) {
	lo = n.reach.start
	if k := len(n.reach.treeChildren); k > 0 {
		lo = n.reach.treeChildren[k-1].reach.end + 1
	}
	return lo, n.reach.end - 1
}

// addReachability inserts n, whose GHOSTDAG data is set, into the tree under
// its selected parent and into the future covering sets of the rest of its
// mergeset. It must be called with the state lock held for writing.
func addReachability(n *blockNode, stats *reachStats) error {
	p := n.selectedParent
	lo, hi := p.freeInterval()
	if lo > hi {
		if err := reindex(p, stats); err != nil {
			return err
		}
		lo, hi = p.freeInterval()
		if lo > hi {
			return ruleError(ErrCorruptState, "reachability reindex left no room")
		}
	}
	free := hi - lo + 1
	size := free - free/2 // the first half, rounded up
	n.reach.start, n.reach.end = lo, lo+size-1
	n.reach.treeParent = p
	p.reach.treeChildren = append(p.reach.treeChildren, n)

	for _, m := range n.blues[1:] {
		insertFCS(m, n)
	}
	for _, m := range n.reds {
		insertFCS(m, n)
	}
	return nil
}

// insertFCS adds c to m's future covering set at its sorted position.
func insertFCS(m, c *blockNode) {
	fcs := m.reach.fcs
	i := sort.Search(len(fcs), func(i int) bool { return fcs[i].reach.start > c.reach.start })
	fcs = append(fcs, nil)
	copy(fcs[i+1:], fcs[i:])
	fcs[i] = c
	m.reach.fcs = fcs
}

// countSubtree sets reach.subtree on every node of root's subtree and
// returns root's subtree size.
func countSubtree(root *blockNode, stats *reachStats) uint64 {
	// Iterative post-order: a node is finished when popped the second
	// time.
	type frame struct {
		n    *blockNode
		done bool
	}
	stack := []frame{{n: root}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if f.done {
			s := uint64(1)
			for _, c := range f.n.reach.treeChildren {
				s += c.reach.subtree
			}
			f.n.reach.subtree = s
			stats.nodesTouched++
			continue
		}
		stack = append(stack, frame{n: f.n, done: true})
		for _, c := range f.n.reach.treeChildren {
			stack = append(stack, frame{n: c})
		}
	}
	return root.reach.subtree
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
)

// offPathSize is the interval size a subtree of size need gets when it is
// off the reindex path.
func offPathSize(need uint64) uint64 {
	return 2*need + offPathSlack
}

// reindex makes room under p for one more tree child.
func reindex(p *blockNode, stats *reachStats) error {
	stats.reindexes++

	// Climb to the first ancestor whose interval is at least
	// reindexMargin times the size its subtree will have with the new
	// child. path collects the nodes from p up to that ancestor; their
	// subtree fields count the new child.
	path := []*blockNode{p}
	size := countSubtree(p, stats) + 1
	p.reach.subtree = size
	u := p
	for u.reach.intervalSize()/reindexMargin < size {
		parent := u.reach.treeParent
		if parent == nil {
			return ruleError(ErrCorruptState, fmt.Sprintf(
				"reachability labels exhausted with %d blocks", size))
		}
		s := 1 + size
		for _, c := range parent.reach.treeChildren {
			if c != u {
				s += countSubtree(c, stats)
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
		var pathChild *blockNode
		if i > 0 {
			pathChild = path[i-1]
		}
		offTotal := uint64(0)
		for _, c := range v.reach.treeChildren {
			if c != pathChild {
				offTotal += offPathSize(c.reach.subtree)
			}
		}
		pathSize := v.reach.intervalSize() - 1 - offTotal
		next := v.reach.start
		for _, c := range v.reach.treeChildren {
			if c == pathChild {
				c.reach.start, c.reach.end = next, next+pathSize-1
				next += pathSize
				continue
			}
			sz := offPathSize(c.reach.subtree)
			allocateSubtree(c, next, next+sz-1, stats)
			next += sz
		}
	}
	return nil
}

// allocateSubtree gives root the interval [start, end] and spreads it over
// root's subtree in proportion to subtree sizes, so every node keeps the
// same share of spare room. reach.subtree must be set on the subtree.
func allocateSubtree(root *blockNode, start, end uint64, stats *reachStats) {
	type frame struct {
		n          *blockNode
		start, end uint64
	}
	stack := []frame{{root, start, end}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := f.n
		n.reach.start, n.reach.end = f.start, f.end
		stats.nodesTouched++
		if len(n.reach.treeChildren) == 0 {
			continue
		}
		total := n.reach.subtree
		spare := n.reach.intervalSize() - total
		next := f.start
		for _, c := range n.reach.treeChildren {
			sz := c.reach.subtree + mulDiv(spare, c.reach.subtree, total)
			stack = append(stack, frame{c, next, next + sz - 1})
			next += sz
		}
	}
}
