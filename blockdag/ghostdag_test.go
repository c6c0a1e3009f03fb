package blockdag

import (
	"bufio"
	"fmt"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/soterdag/soterd/wire"
)

// synthDAG builds block nodes directly, without blocks or a store, so
// GHOSTDAG and reachability can be tested on hand-drawn DAGs whose hashes
// are chosen: a block's hash is its name, so ties go to the larger name.
type synthDAG struct {
	t        testing.TB
	gs       ghostdagState
	stats    reachStats
	nodes    map[string]*blockNode
	byHash   map[wire.Hash]*blockNode
	names    map[*blockNode]string
	children map[*blockNode][]*blockNode
	all      []*blockNode
}

// node implements nodeSource.
func (s *synthDAG) node(h wire.Hash) (*blockNode, error) {
	n, ok := s.byHash[h]
	if !ok {
		return nil, fmt.Errorf("no block %s", h)
	}
	return n, nil
}

// markDirty implements nodeSource; the synthetic DAG has no store.
func (s *synthDAG) markDirty(*blockNode) {}

// get returns the node of a hash, failing the test when it is unknown.
func (s *synthDAG) get(h wire.Hash) *blockNode {
	s.t.Helper()
	n, err := s.node(h)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// all resolves hashes.
func (s *synthDAG) resolve(hashes []wire.Hash) []*blockNode {
	out := make([]*blockNode, len(hashes))
	for i, h := range hashes {
		out[i] = s.get(h)
	}
	return out
}

// namesOfHashes names blocks given by hash.
func (s *synthDAG) namesOfHashes(hashes []wire.Hash) string {
	return s.namesOf(s.resolve(hashes))
}

// ancestor is isAncestor over the synthetic DAG.
func (s *synthDAG) ancestor(a, b *blockNode) bool {
	s.t.Helper()
	ok, err := isAncestor(s, a, b)
	if err != nil {
		s.t.Fatal(err)
	}
	return ok
}

// ancestorOrSelf is isAncestorOrSelf over the synthetic DAG.
func (s *synthDAG) ancestorOrSelf(a, b *blockNode) bool {
	s.t.Helper()
	ok, err := isAncestorOrSelf(s, a, b)
	if err != nil {
		s.t.Fatal(err)
	}
	return ok
}

func newSynthDAG(t testing.TB, k uint32) *synthDAG {
	return newSynthDAGSpace(t, k, 0)
}

// newSynthDAGSpace is newSynthDAG with genesis owning only [1, space] of
// the label space (all of it when space is 0), so that tests can make
// reindexing frequent.
func newSynthDAGSpace(t testing.TB, k uint32, space uint64) *synthDAG {
	s := &synthDAG{
		t:        t,
		gs:       ghostdagState{k: k, mergeLimit: 1 << 20, workCache: make(map[uint32]*big.Int)},
		nodes:    make(map[string]*blockNode),
		byHash:   make(map[wire.Hash]*blockNode),
		names:    make(map[*blockNode]string),
		children: make(map[*blockNode][]*blockNode),
	}
	s.gs.src = s
	g := &blockNode{bits: 0x207fffff, ghostdagData: ghostdagData{blueWork: new(big.Int)}}
	copy(g.hash[:], "G")
	initReachRoot(g)
	if space != 0 {
		g.reach.end = space
	}
	s.nodes["G"] = g
	s.byHash[g.hash] = g
	s.names[g] = "G"
	s.all = append(s.all, g)
	return s
}

func (s *synthDAG) add(name string, parentNames ...string) *blockNode {
	s.t.Helper()
	parents := make([]*blockNode, len(parentNames))
	for i, p := range parentNames {
		parents[i] = s.nodes[p]
		if parents[i] == nil {
			s.t.Fatalf("block %s: unknown parent %s", name, p)
		}
	}
	sort.Slice(parents, func(i, j int) bool { return parents[i].hash.Compare(&parents[j].hash) < 0 })
	if err := checkParentsIndependent(s, parents); err != nil {
		s.t.Fatalf("block %s: %v", name, err)
	}
	gd, err := s.gs.ghostdag(parents)
	if err != nil {
		s.t.Fatalf("block %s: %v", name, err)
	}
	n := &blockNode{parents: hashesOf(parents), bits: 0x207fffff}
	copy(n.hash[:], name)
	n.ghostdagData = *gd
	for _, p := range parents {
		n.height = max(n.height, p.height+1)
		s.children[p] = append(s.children[p], n)
	}
	s.byHash[n.hash] = n
	if err := addReachability(s, n, &s.stats); err != nil {
		s.t.Fatalf("block %s: %v", name, err)
	}
	s.nodes[name] = n
	s.names[n] = name
	s.all = append(s.all, n)
	return n
}

func (s *synthDAG) namesOf(nodes []*blockNode) string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = s.names[n]
	}
	return strings.Join(out, ",")
}

// pastOrder returns the GHOSTDAG order of a block's past, by the
// definition: order(past(sp)), sp, then the rest of the mergeset.
func (s *synthDAG) pastOrder(n *blockNode) []*blockNode {
	var chain []*blockNode
	for x := n; !x.isGenesis(); x = s.get(x.selectedParent) {
		chain = append(chain, x)
	}
	var out []*blockNode
	for i := len(chain) - 1; i >= 0; i-- {
		ms, err := orderedMergeSet(s, &chain[i].ghostdagData)
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, ms...)
	}
	return out
}

// TestGHOSTDAGTestdata checks GHOSTDAG on the hand-worked DAGs in
// testdata/ghostdag/*.txt. Each file sets k, adds blocks ("block NAME
// PARENT..."), and states the expected selected parent, blues, reds and
// blue score of blocks, and the order of a block's past.
func TestGHOSTDAGTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/ghostdag/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			// Run each file twice: the results must not depend on
			// anything but the DAG.
			first := runGHOSTDAGFile(t, file)
			second := runGHOSTDAGFile(t, file)
			if first != second {
				t.Fatalf("two runs differ:\n%s\n%s", first, second)
			}
		})
	}
}

func runGHOSTDAGFile(t *testing.T, file string) string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var s *synthDAG
	var transcript strings.Builder
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", filepath.Base(file), line)
		switch fields[0] {
		case "k":
			k, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			s = newSynthDAG(t, uint32(k))
		case "block":
			s.add(fields[1], fields[2:]...)
		case "expect":
			n := s.nodes[fields[1]]
			if n == nil {
				t.Fatalf("%s: unknown block %s", where, fields[1])
			}
			got := map[string]string{
				"sp":    s.names[s.byHash[n.selectedParent]],
				"blues": s.namesOfHashes(n.blues),
				"reds":  s.namesOfHashes(n.reds),
				"score": strconv.FormatUint(n.blueScore, 10),
			}
			for _, kv := range fields[2:] {
				k, v, _ := strings.Cut(kv, "=")
				if got[k] != v {
					t.Errorf("%s: block %s %s: got %q, want %q", where, fields[1], k, got[k], v)
				}
			}
			fmt.Fprintf(&transcript, "%s %v\n", fields[1], got)
		case "order":
			n := s.nodes[fields[1]]
			got := s.namesOf(s.pastOrder(n))
			want := strings.Join(fields[2:], ",")
			if got != want {
				t.Errorf("%s: order of past(%s): got %s, want %s", where, fields[1], got, want)
			}
			checkTopological(t, s, s.pastOrder(n))
			fmt.Fprintf(&transcript, "order %s\n", got)
		default:
			t.Fatalf("%s: unknown directive %q", where, fields[0])
		}
	}
	return transcript.String()
}

// checkTopological fails unless every block comes after its parents.
func checkTopological(t *testing.T, s *synthDAG, order []*blockNode) {
	t.Helper()
	pos := make(map[wire.Hash]int)
	for i, n := range order {
		pos[n.hash] = i
	}
	for i, n := range order {
		for _, p := range n.parents {
			if j, ok := pos[p]; ok && j > i {
				t.Errorf("order puts %s before its parent %s", s.names[n], s.names[s.byHash[p]])
			}
		}
	}
}

// naivePast returns the past of n by walking the DAG.
func (s *synthDAG) naivePast(n *blockNode) map[*blockNode]bool {
	past := make(map[*blockNode]bool)
	stack := s.resolve(n.parents)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if past[x] {
			continue
		}
		past[x] = true
		stack = append(stack, s.resolve(x.parents)...)
	}
	return past
}

// naiveGHOSTDAG colors a block by the definition, with explicit past sets:
// blues(past(n)) = blues(past(sp)) + sp, then each mergeset candidate in
// (blue work, hash) order is blue iff at most k blues are in its anticone
// and no blue would get more than k.
func (s *synthDAG) naiveGHOSTDAG(n *blockNode, k int, pasts map[*blockNode]map[*blockNode]bool,
	blueSets map[*blockNode]map[*blockNode]bool) (blues, reds []*blockNode) {

	sp := s.get(n.selectedParent)
	past := pasts[n]
	blueSet := make(map[*blockNode]bool)
	for b := range blueSets[sp] {
		blueSet[b] = true
	}
	blueSet[sp] = true
	var candidates []*blockNode
	for x := range past {
		if x != sp && !pasts[sp][x] {
			candidates = append(candidates, x)
		}
	}
	sort.Slice(candidates, func(i, j int) bool { return blockLess(candidates[i], candidates[j]) })
	inAnticone := func(a, b *blockNode) bool {
		return a != b && !pasts[a][b] && !pasts[b][a]
	}
	blues = []*blockNode{sp}
	for _, c := range candidates {
		var anti []*blockNode
		for b := range blueSet {
			if inAnticone(b, c) {
				anti = append(anti, b)
			}
		}
		ok := len(anti) <= k
		for _, b := range anti {
			if !ok {
				break
			}
			cnt := 1 // c itself
			for b2 := range blueSet {
				if inAnticone(b, b2) {
					cnt++
				}
			}
			if cnt > k {
				ok = false
			}
		}
		if ok {
			blueSet[c] = true
			blues = append(blues, c)
		} else {
			reds = append(reds, c)
		}
	}
	blueSets[n] = blueSet
	return blues, reds
}

// TestGHOSTDAGRandomAgainstNaive builds random DAGs and compares the
// GHOSTDAG coloring with the naive definition and reachability with
// explicit past sets. Genesis gets a small label space so that reindexing
// happens often.
func TestGHOSTDAGRandomAgainstNaive(t *testing.T) {
	var reindexes uint64
	for seed := int64(1); seed <= 12; seed++ {
		rng := rand.New(rand.NewSource(seed))
		k := 1 + rng.Intn(4)
		s := newSynthDAGSpace(t, uint32(k), 1<<31)
		pasts := map[*blockNode]map[*blockNode]bool{s.nodes["G"]: {}}
		blueSets := map[*blockNode]map[*blockNode]bool{s.nodes["G"]: {}}
		nBlocks := 150 + rng.Intn(150)
		for i := 0; i < nBlocks; i++ {
			// Parents: some recent tips, as a network with delay
			// would produce.
			var tips []*blockNode
			for _, n := range s.all {
				if len(s.children[n]) == 0 {
					tips = append(tips, n)
				}
			}
			window := s.all[max(0, len(s.all)-12):]
			want := 1 + rng.Intn(3)
			chosen := map[*blockNode]bool{}
			for tries := 0; len(chosen) < want && tries < 20; tries++ {
				var c *blockNode
				if rng.Intn(3) == 0 {
					c = window[rng.Intn(len(window))]
				} else {
					c = tips[rng.Intn(len(tips))]
				}
				chosen[c] = true
			}
			// Drop parents that are ancestors of other parents.
			var parents []string
			for c := range chosen {
				redundant := false
				for o := range chosen {
					if o != c && s.naivePast(o)[c] {
						redundant = true
					}
				}
				if !redundant {
					parents = append(parents, s.names[c])
				}
			}
			name := fmt.Sprintf("B%04d", i)
			n := s.add(name, parents...)
			pasts[n] = s.naivePast(n)
			blues, reds := s.naiveGHOSTDAG(n, k, pasts, blueSets)
			if s.namesOf(blues) != s.namesOfHashes(n.blues) || s.namesOf(reds) != s.namesOfHashes(n.reds) {
				t.Fatalf("seed %d k %d block %s: blues %s reds %s, naive blues %s reds %s",
					seed, k, name, s.namesOfHashes(n.blues), s.namesOfHashes(n.reds),
					s.namesOf(blues), s.namesOf(reds))
			}
			if n.blueScore != uint64(len(blueSets[n])) {
				t.Fatalf("seed %d block %s: blue score %d, naive %d", seed, name, n.blueScore, len(blueSets[n]))
			}
		}
		// Reachability against the explicit pasts, for every pair.
		for _, a := range s.all {
			for _, b := range s.all {
				want := pasts[b][a]
				if got := s.ancestor(a, b); got != want {
					t.Fatalf("seed %d: isAncestor(%s, %s) = %v, want %v",
						seed, s.names[a], s.names[b], got, want)
				}
			}
		}
		// The order of the last block's past is topological and covers
		// the past exactly once.
		last := s.all[len(s.all)-1]
		order := s.pastOrder(last)
		if len(order) != len(pasts[last]) {
			t.Fatalf("seed %d: order has %d blocks, past %d", seed, len(order), len(pasts[last]))
		}
		checkTopological(t, s, order)
		reindexes += s.stats.reindexes
	}
	if reindexes == 0 {
		t.Fatalf("no reindex happened")
	}
	t.Logf("%d reindexes", reindexes)
}

// TestReachabilityReindex grows long chains and side branches so that
// intervals run out and reindexing happens, and checks ancestry against
// the tree.
func TestReachabilityReindex(t *testing.T) {
	s := newSynthDAGSpace(t, 18, 1<<36)
	prev := "G"
	for i := 0; i < 3000; i++ {
		name := fmt.Sprintf("C%05d", i)
		s.add(name, prev)
		if i%7 == 3 {
			// A side leaf, and sometimes a short side branch.
			side := fmt.Sprintf("S%05d", i)
			s.add(side, prev)
			if i%21 == 3 {
				s.add(side+"x", side)
			}
		}
		prev = name
	}
	if s.stats.reindexes == 0 {
		t.Fatalf("no reindex happened")
	}
	for _, n := range s.all {
		for _, c := range s.resolve(n.reach.treeChildren) {
			if !isTreeAncestorOrSelf(n, c) || isTreeAncestorOrSelf(c, n) {
				t.Fatalf("child %s not inside parent %s", s.names[c], s.names[n])
			}
		}
		kids := s.resolve(n.reach.treeChildren)
		for i := 1; i < len(kids); i++ {
			if kids[i-1].reach.end >= kids[i].reach.start {
				t.Fatalf("siblings %s %s overlap", s.names[kids[i-1]], s.names[kids[i]])
			}
		}
	}
	tip := s.nodes[prev]
	for x := tip; ; x = s.get(x.selectedParent) {
		if !s.ancestorOrSelf(x, tip) {
			t.Fatalf("chain block %s not an ancestor of the tip", s.names[x])
		}
		if x.isGenesis() {
			break
		}
	}
	if s.ancestor(s.nodes["S00003"], tip) {
		t.Fatalf("side leaf reported as an ancestor of the tip")
	}
	t.Logf("%d blocks, %d reindexes touching %d nodes", len(s.all), s.stats.reindexes, s.stats.nodesTouched)
}

// hashName makes a wire.Hash from a short name, as synthDAG does.
func hashName(name string) wire.Hash {
	var h wire.Hash
	copy(h[:], name)
	return h
}

// TestReachabilityWideDAGStaysLocal grows a DAG four blocks wide, where the
// chain continues through any of a block's four tree children, and checks
// that the selected chain keeps most of the label space and that no reindex
// relabels more than a few dozen nodes. Rooting each reindex at the first
// ancestor with just enough room made the room handed to the chain shrink
// reindex after reindex (to about 2^25 labels after two of them) until one
// had to relabel the whole DAG, at 3.35 million blocks.
func TestReachabilityWideDAGStaysLocal(t *testing.T) {
	s := newSynthDAGSpace(t, 18, 1<<44)
	level := []string{"G"}
	var maxTouched uint64
	for l := 0; l < 3000; l++ {
		next := make([]string, 4)
		for w := range next {
			next[w] = fmt.Sprintf("L%05d_%d", l, w)
			before := s.stats.nodesTouched
			s.add(next[w], level...)
			maxTouched = max(maxTouched, s.stats.nodesTouched-before)
		}
		level = next
	}
	if maxTouched > 200 {
		t.Fatalf("a reindex touched %d nodes of %d", maxTouched, len(s.all))
	}
	// The chain block 200 levels below the tip keeps most of the space.
	x := s.nodes[level[0]]
	for i := 0; i < 200; i++ {
		x = s.get(x.selectedParent)
	}
	if got := x.reach.intervalSize(); got < 1<<42 {
		t.Fatalf("the chain 200 levels down holds %d labels of %d", got, uint64(1)<<44)
	}
	t.Logf("%d blocks, %d reindexes, %d nodes touched, at most %d at once",
		len(s.all), s.stats.reindexes, s.stats.nodesTouched, maxTouched)
}
