package netsync

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// fakeDAG is a block DAG without validation: a block connects when all its
// parents are stored, otherwise it waits as an orphan. Blocks listed in
// invalid are refused with a rule error.
type fakeDAG struct {
	mtx      sync.Mutex
	blocks   map[wire.Hash]*wire.MsgBlock
	heights  map[wire.Hash]uint32
	byHeight [][]wire.Hash
	children map[wire.Hash]int
	orphans  map[wire.Hash]*wire.MsgBlock
	invalid  map[wire.Hash]bool
	rejected map[wire.Hash]bool
	maxH     uint32
	accepted atomic.Int64

	// onAccept is called for each accepted block, outside the lock.
	onAccept func(hash wire.Hash, height uint32)
}

var genesis = &wire.MsgBlock{Header: wire.BlockHeader{Version: 1, Timestamp: 1}}

func newFakeDAG() *fakeDAG {
	d := &fakeDAG{
		blocks:   make(map[wire.Hash]*wire.MsgBlock),
		heights:  make(map[wire.Hash]uint32),
		children: make(map[wire.Hash]int),
		orphans:  make(map[wire.Hash]*wire.MsgBlock),
		invalid:  make(map[wire.Hash]bool),
		rejected: make(map[wire.Hash]bool),
	}
	d.store(genesis.BlockHash(), genesis, 0)
	return d
}

func (d *fakeDAG) store(hash wire.Hash, b *wire.MsgBlock, height uint32) {
	d.blocks[hash] = b
	d.heights[hash] = height
	for int(height) >= len(d.byHeight) {
		d.byHeight = append(d.byHeight, nil)
	}
	d.byHeight[height] = append(d.byHeight[height], hash)
	for _, p := range b.Header.Parents {
		d.children[p]++
	}
	if height > d.maxH {
		d.maxH = height
	}
}

// connectable returns the block's height if every parent is stored.
func (d *fakeDAG) connectable(b *wire.MsgBlock) (uint32, bool) {
	var h uint32
	for _, p := range b.Header.Parents {
		ph, ok := d.heights[p]
		if !ok {
			return 0, false
		}
		h = max(h, ph+1)
	}
	return h, true
}

func (d *fakeDAG) PrecheckBlock(b *wire.MsgBlock) *blockdag.PrecheckedBlock {
	return &blockdag.PrecheckedBlock{Block: b}
}

func (d *fakeDAG) ProcessPrecheckedBlock(pb *blockdag.PrecheckedBlock) (bool, error) {
	return d.ProcessBlock(pb.Block, blockdag.BFNone)
}

func (d *fakeDAG) ProcessBlock(b *wire.MsgBlock, _ blockdag.BehaviorFlags) (bool, error) {
	hash := b.BlockHash()
	d.mtx.Lock()
	if _, ok := d.blocks[hash]; ok {
		d.mtx.Unlock()
		return false, blockdag.RuleError{Err: blockdag.ErrDuplicateBlock, Description: "duplicate"}
	}
	if _, ok := d.orphans[hash]; ok {
		d.mtx.Unlock()
		return false, blockdag.RuleError{Err: blockdag.ErrDuplicateBlock, Description: "duplicate orphan"}
	}
	if d.invalid[hash] {
		d.rejected[hash] = true
		d.mtx.Unlock()
		return false, blockdag.RuleError{Err: blockdag.ErrBadMerkleRoot, Description: "invalid test block"}
	}
	h, ok := d.connectable(b)
	if !ok {
		d.orphans[hash] = b
		d.mtx.Unlock()
		return true, nil
	}
	type acc struct {
		hash   wire.Hash
		height uint32
	}
	done := []acc{{hash, h}}
	d.store(hash, b, h)
	// Connect the orphans this block unblocked, repeatedly.
	for progress := true; progress; {
		progress = false
		for oh, ob := range d.orphans {
			if oh2, ok := d.connectable(ob); ok {
				delete(d.orphans, oh)
				d.store(oh, ob, oh2)
				done = append(done, acc{oh, oh2})
				progress = true
			}
		}
	}
	d.mtx.Unlock()
	d.accepted.Add(int64(len(done)))
	if d.onAccept != nil {
		for _, a := range done {
			d.onAccept(a.hash, a.height)
		}
	}
	return false, nil
}

func (d *fakeDAG) HaveBlock(h *wire.Hash) bool {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	_, ok := d.blocks[*h]
	return ok
}

func (d *fakeDAG) IsKnownOrphan(h *wire.Hash) bool {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	_, ok := d.orphans[*h]
	return ok
}

func (d *fakeDAG) IsKnownInvalid(h *wire.Hash) bool {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	return d.rejected[*h]
}

func (d *fakeDAG) OrphanMissingParents(h *wire.Hash) []wire.Hash {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	seen := map[wire.Hash]bool{*h: true}
	stack := []wire.Hash{*h}
	var missing []wire.Hash
	for len(stack) > 0 {
		o := d.orphans[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		if o == nil {
			continue
		}
		for _, p := range o.Header.Parents {
			if seen[p] {
				continue
			}
			seen[p] = true
			if _, ok := d.blocks[p]; ok {
				continue
			}
			if _, ok := d.orphans[p]; ok {
				stack = append(stack, p)
				continue
			}
			missing = append(missing, p)
		}
	}
	return missing
}

func (d *fakeDAG) OrphanCount() int {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	return len(d.orphans)
}

func (d *fakeDAG) BlockInfo(h *wire.Hash) (*blockdag.BlockInfo, error) {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	height, ok := d.heights[*h]
	if !ok {
		return nil, blockdag.RuleError{Err: blockdag.ErrBlockNotFound, Description: "not found"}
	}
	return &blockdag.BlockInfo{Hash: *h, Height: height, BlueWork: new(big.Int)}, nil
}

func (d *fakeDAG) MaxHeight() uint32 {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	return d.maxH
}

func (d *fakeDAG) Tips() []wire.Hash {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	var tips []wire.Hash
	for h := range d.blocks {
		if d.children[h] == 0 {
			tips = append(tips, h)
		}
	}
	slices.SortFunc(tips, func(a, b wire.Hash) int {
		return int(d.heights[b]) - int(d.heights[a])
	})
	return tips
}

func (d *fakeDAG) IsCurrent() bool { return true }

func (d *fakeDAG) count() int {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	return len(d.blocks)
}

func (d *fakeDAG) block(h wire.Hash) *wire.MsgBlock {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	return d.blocks[h]
}

// locate is LocateBlocks: blocks of the past of end (of every tip when end
// is zero), end included, with height >= start, sorted by (height, hash),
// at most max.
func (d *fakeDAG) locate(start uint32, end wire.Hash, limit int) []wire.InvVect {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	var inPast map[wire.Hash]bool
	if !end.IsZero() {
		if _, ok := d.blocks[end]; !ok {
			return nil
		}
		inPast = map[wire.Hash]bool{end: true}
		stack := []wire.Hash{end}
		for len(stack) > 0 {
			b := d.blocks[stack[len(stack)-1]]
			stack = stack[:len(stack)-1]
			for _, p := range b.Header.Parents {
				if !inPast[p] && d.heights[p] >= start {
					inPast[p] = true
					stack = append(stack, p)
				}
			}
		}
	}
	var out []wire.InvVect
	for h := int(start); h < len(d.byHeight) && len(out) < limit; h++ {
		level := slices.Clone(d.byHeight[h])
		slices.SortFunc(level, func(a, b wire.Hash) int { return a.Compare(&b) })
		for _, hash := range level {
			if inPast != nil && !inPast[hash] {
				continue
			}
			out = append(out, wire.InvVect{Type: wire.InvTypeBlock, Hash: hash, Height: uint32(h)})
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

// blockNonce makes every test block unique.
var blockNonce atomic.Uint64

// makeBlock returns a block on the given parents.
func makeBlock(parents ...wire.Hash) *wire.MsgBlock {
	ps := slices.Clone(parents)
	slices.SortFunc(ps, func(a, b wire.Hash) int { return a.Compare(&b) })
	payload := make([]byte, 8)
	binary.LittleEndian.PutUint64(payload, blockNonce.Add(1))
	return &wire.MsgBlock{
		Header: wire.BlockHeader{Version: 1, Parents: ps, Nonce: blockNonce.Load()},
		Transactions: []*wire.MsgTx{{Version: 1, Payload: payload,
			TxOut: []wire.TxOut{{Value: 1}}}},
	}
}

// addChain stores a chain of n blocks on parent in d and returns their
// hashes.
func (d *fakeDAG) addChain(t testing.TB, parent wire.Hash, n int) []wire.Hash {
	t.Helper()
	hashes := make([]wire.Hash, 0, n)
	for range n {
		b := makeBlock(parent)
		if orphan, err := d.ProcessBlock(b, blockdag.BFNone); err != nil || orphan {
			t.Fatalf("addChain: orphan %v err %v", orphan, err)
		}
		parent = b.BlockHash()
		hashes = append(hashes, parent)
	}
	return hashes
}

// addWide stores rounds of width sibling blocks, each round merging all
// the tips of the previous one, and returns the last round.
func (d *fakeDAG) addWide(t testing.TB, width, rounds int) []wire.Hash {
	t.Helper()
	tips := d.Tips()
	for range rounds {
		var next []wire.Hash
		for range width {
			b := makeBlock(tips...)
			if orphan, err := d.ProcessBlock(b, blockdag.BFNone); err != nil || orphan {
				t.Fatalf("addWide: orphan %v err %v", orphan, err)
			}
			next = append(next, b.BlockHash())
		}
		tips = next
	}
	return tips
}

// simPeer is a remote node as the SyncManager sees it: it answers getblocks
// and getdata from its own fakeDAG through the manager's queueing methods,
// on a goroutine of its own, as the peer read loop would.
type simPeer struct {
	id     int32
	addr   string
	dag    *fakeDAG
	sm     *SyncManager
	height atomic.Uint32

	// silent peers answer nothing (a stalled peer).
	silent atomic.Bool

	// withhold answers every getdata with notfound.
	withhold atomic.Bool

	// holdData keeps getdata unanswered in held (getblocks are still
	// answered) until releaseData: a link so long that no block arrives
	// while the pages are listed.
	holdData atomic.Bool
	release  atomic.Bool
	held     []*wire.MsgGetData

	// blockDelay is how long the peer takes to send each block (a slow
	// link), in nanoseconds.
	blockDelay atomic.Int64
	paceDue    time.Time // the peer's goroutine's

	// services defaults to SFNodeNetwork; lowest is the lowest height
	// a pruned peer (SFNodePruned) serves.
	services wire.ServiceFlag
	lowest   uint32

	mtx          sync.Mutex
	tips         []wire.Hash
	outbox       []wire.Message
	sent         []wire.Message
	known        map[wire.InvVect]bool
	disconnected bool
	signal       chan struct{}
	quit         chan struct{}
	wg           sync.WaitGroup

	getBlocks atomic.Int32
	getData   atomic.Int32

	// early are the getblocks "sent in the handshake" (connectEarly).
	early []*wire.MsgGetBlocks
}

var simPeerID atomic.Int32

func newSimPeer(sm *SyncManager, dag *fakeDAG) *simPeer {
	id := simPeerID.Add(1)
	p := &simPeer{
		id:       id,
		addr:     fmt.Sprintf("10.0.0.%d:1234", id),
		dag:      dag,
		sm:       sm,
		services: wire.SFNodeNetwork,
		known:    make(map[wire.InvVect]bool),
		signal:   make(chan struct{}, 1),
		quit:     make(chan struct{}),
	}
	p.height.Store(dag.MaxHeight())
	p.tips = dag.Tips()
	p.wg.Add(1)
	go p.run()
	return p
}

func (p *simPeer) ID() int32                  { return p.id }
func (p *simPeer) Addr() string               { return p.addr }
func (p *simPeer) Inbound() bool              { return false }
func (p *simPeer) Services() wire.ServiceFlag { return p.services }
func (p *simPeer) LowestHeight() uint32       { return p.lowest }
func (p *simPeer) EarlyGetBlocks() []*wire.MsgGetBlocks {
	p.mtx.Lock()
	defer p.mtx.Unlock()
	return p.early
}
func (p *simPeer) MaxHeight() uint32 { return p.height.Load() }
func (p *simPeer) Tips() []wire.Hash {
	p.mtx.Lock()
	defer p.mtx.Unlock()
	return slices.Clone(p.tips)
}
func (p *simPeer) SetMaxHeight(h uint32, _ []wire.Hash) {
	if h > p.height.Load() {
		p.height.Store(h)
	}
}

func (p *simPeer) QueueMessage(msg wire.Message, done chan<- struct{}) {
	p.mtx.Lock()
	p.sent = append(p.sent, msg)
	if !p.disconnected {
		p.outbox = append(p.outbox, msg)
	}
	p.mtx.Unlock()
	select {
	case p.signal <- struct{}{}:
	default:
	}
	if done != nil {
		done <- struct{}{}
	}
}

func (p *simPeer) QueueInventory(iv *wire.InvVect) {
	if p.IsKnownInventory(iv) {
		return
	}
	p.AddKnownInventory(iv)
	p.QueueMessage(&wire.MsgInv{InvList: []wire.InvVect{*iv}}, nil)
}

func invKeyOf(iv *wire.InvVect) wire.InvVect {
	return wire.InvVect{Type: iv.Type, Hash: iv.Hash}
}

func (p *simPeer) AddKnownInventory(iv *wire.InvVect) {
	p.mtx.Lock()
	p.known[invKeyOf(iv)] = true
	p.mtx.Unlock()
}

func (p *simPeer) IsKnownInventory(iv *wire.InvVect) bool {
	p.mtx.Lock()
	defer p.mtx.Unlock()
	return p.known[invKeyOf(iv)]
}

// Disconnect tells the manager the peer is gone, as the node would.
func (p *simPeer) Disconnect() {
	p.mtx.Lock()
	if p.disconnected {
		p.mtx.Unlock()
		return
	}
	p.disconnected = true
	p.outbox = nil
	p.mtx.Unlock()
	close(p.quit)
	go p.sm.DonePeer(p)
}

func (p *simPeer) isDisconnected() bool {
	p.mtx.Lock()
	defer p.mtx.Unlock()
	return p.disconnected
}

// announce sends the manager an inv for blocks of the peer's DAG, as a
// relay would.
func (p *simPeer) announce(hashes ...wire.Hash) {
	inv := &wire.MsgInv{}
	for _, h := range hashes {
		info, err := p.dag.BlockInfo(&h)
		if err != nil {
			panic(err)
		}
		iv := wire.InvVect{Type: wire.InvTypeBlock, Hash: h, Height: info.Height}
		p.AddKnownInventory(&iv)
		inv.InvList = append(inv.InvList, iv)
		p.SetMaxHeight(info.Height, nil)
	}
	p.sm.QueueInv(inv, p)
}

// sentOf returns the messages of one command the manager sent the peer.
func (p *simPeer) sentOf(cmd string) []wire.Message {
	p.mtx.Lock()
	defer p.mtx.Unlock()
	var out []wire.Message
	for _, m := range p.sent {
		if m.Command() == cmd {
			out = append(out, m)
		}
	}
	return out
}

func (p *simPeer) run() {
	defer p.wg.Done()
	for {
		select {
		case <-p.signal:
		case <-p.quit:
			return
		}
		p.flushHeld()
		for {
			p.mtx.Lock()
			if len(p.outbox) == 0 {
				p.mtx.Unlock()
				break
			}
			msg := p.outbox[0]
			p.outbox = p.outbox[1:]
			p.mtx.Unlock()
			if p.silent.Load() {
				continue
			}
			p.answer(msg)
		}
	}
}

func (p *simPeer) answer(msg wire.Message) {
	switch m := msg.(type) {
	case *wire.MsgGetBlocks:
		p.getBlocks.Add(1)
		list := p.dag.locate(m.StartHeight, m.EndHash, wire.MaxBlocksPerInv)
		for i := range list {
			p.AddKnownInventory(&list[i])
		}
		p.sm.QueueInv(&wire.MsgInv{InvList: list}, p)
	case *wire.MsgGetData:
		p.getData.Add(1)
		if p.holdData.Load() {
			p.mtx.Lock()
			p.held = append(p.held, m)
			p.mtx.Unlock()
			return
		}
		p.serveData(m)
	}
}

// releaseData makes the peer's goroutine stop holding getdata and answer
// the held ones, in order, before anything that follows them.
func (p *simPeer) releaseData() {
	p.release.Store(true)
	select {
	case p.signal <- struct{}{}:
	default:
	}
}

// flushHeld answers the held getdata if releaseData asked for it; it runs
// on the peer's goroutine.
func (p *simPeer) flushHeld() {
	if !p.release.Swap(false) {
		return
	}
	p.holdData.Store(false)
	p.mtx.Lock()
	held := p.held
	p.held = nil
	p.mtx.Unlock()
	for _, m := range held {
		p.serveData(m)
	}
}

// serveData answers a getdata with blocks and a notfound.
func (p *simPeer) serveData(m *wire.MsgGetData) {
	{
		var nf wire.MsgNotFound
		for _, iv := range m.InvList {
			if iv.Type != wire.InvTypeBlock {
				// Transactions are delivered by the test itself.
				continue
			}
			b := p.dag.block(iv.Hash)
			if b == nil || p.withhold.Load() {
				nf.InvList = append(nf.InvList, iv)
				continue
			}
			if p.blockDelay.Load() > 0 && !p.pace() {
				return
			}
			p.sm.QueueBlock(b, p)
		}
		if len(nf.InvList) > 0 {
			p.sm.QueueNotFound(&nf, p)
		}
	}
}

// pace holds the peer's goroutine so that its blocks leave blockDelay
// apart on average, sleeping in steps of at least a millisecond (a timer
// per block would cost more than the delay under the race detector). It
// reports false when the peer stopped.
func (p *simPeer) pace() bool {
	now := time.Now()
	if p.paceDue.Before(now) {
		p.paceDue = now
	}
	p.paceDue = p.paceDue.Add(time.Duration(p.blockDelay.Load()))
	wait := time.Until(p.paceDue)
	if wait < time.Millisecond {
		return true
	}
	select {
	case <-time.After(wait):
		return true
	case <-p.quit:
		return false
	}
}

func (p *simPeer) stop() {
	p.mtx.Lock()
	if !p.disconnected {
		p.disconnected = true
		close(p.quit)
	}
	p.mtx.Unlock()
	p.wg.Wait()
}

// recordingNotifier records relayed inventory and forwards it to sim peers.
type recordingNotifier struct {
	mtx     sync.Mutex
	relayed []wire.InvVect
	sources []Peer
	peers   []*simPeer
}

func (n *recordingNotifier) RelayInventory(iv *wire.InvVect, source Peer) {
	n.mtx.Lock()
	n.relayed = append(n.relayed, *iv)
	n.sources = append(n.sources, source)
	peers := slices.Clone(n.peers)
	n.mtx.Unlock()
	for _, p := range peers {
		if Peer(p) != source {
			p.QueueInventory(iv)
		}
	}
}

func (n *recordingNotifier) relayedOf(typ wire.InvType) []wire.InvVect {
	n.mtx.Lock()
	defer n.mtx.Unlock()
	var out []wire.InvVect
	for _, iv := range n.relayed {
		if iv.Type == typ {
			out = append(out, iv)
		}
	}
	return out
}

// testManager builds and starts a manager over dag with short timeouts.
func testManager(t testing.TB, dag *fakeDAG, pool TxPool, mutate func(*Config)) (*SyncManager, *recordingNotifier) {
	t.Helper()
	n := &recordingNotifier{}
	cfg := &Config{
		DAG:              dag,
		PeerNotifier:     n,
		StallTimeout:     2 * time.Second,
		RequestTimeout:   2 * time.Second,
		ProgressInterval: time.Second,
	}
	if pool != nil {
		cfg.TxPool = pool
	}
	if mutate != nil {
		mutate(cfg)
	}
	sm, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	sm.Start()
	t.Cleanup(sm.Stop)
	return sm, n
}

// connect makes a sim peer of remote and tells the manager about it.
func connect(t testing.TB, sm *SyncManager, n *recordingNotifier, remote *fakeDAG) *simPeer {
	t.Helper()
	p := newSimPeer(sm, remote)
	track(t, n, p)
	sm.NewPeer(p)
	return p
}

// requestedOnce returns the blocks the manager asked p for, and fails the
// test if it asked for one twice.
func requestedOnce(t testing.TB, p *simPeer) map[wire.Hash]bool {
	t.Helper()
	seen := make(map[wire.Hash]bool)
	for _, m := range p.sentOf(wire.CmdGetData) {
		for _, iv := range m.(*wire.MsgGetData).InvList {
			if seen[iv.Hash] {
				t.Fatalf("block %s requested twice", iv.Hash)
			}
			seen[iv.Hash] = true
		}
	}
	return seen
}

// track records p as connected with n and stops it when the test ends.
func track(t testing.TB, n *recordingNotifier, p *simPeer) {
	n.mtx.Lock()
	n.peers = append(n.peers, p)
	n.mtx.Unlock()
	t.Cleanup(p.stop)
}

// connectPaused tells a manager paused by sm.Pause about peers, in order,
// and resumes it once they are queued, so that all of them are there when
// the first pages arrive.
func connectPaused(t testing.TB, sm *SyncManager, n *recordingNotifier, resume chan<- struct{}, peers ...*simPeer) {
	for _, p := range peers {
		track(t, n, p)
	}
	go func() {
		for _, p := range peers {
			sm.NewPeer(p)
		}
	}()
	time.Sleep(20 * time.Millisecond)
	close(resume)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sameBlocks reports whether two DAGs hold the same blocks.
func sameBlocks(a, b *fakeDAG) bool {
	a.mtx.Lock()
	defer a.mtx.Unlock()
	b.mtx.Lock()
	defer b.mtx.Unlock()
	if len(a.blocks) != len(b.blocks) {
		return false
	}
	for h := range a.blocks {
		if _, ok := b.blocks[h]; !ok {
			return false
		}
	}
	return true
}

// cloneDAG returns a fakeDAG holding the same blocks as d.
func cloneDAG(t testing.TB, d *fakeDAG) *fakeDAG {
	t.Helper()
	c := newFakeDAG()
	d.mtx.Lock()
	var levels [][]wire.Hash
	for _, l := range d.byHeight {
		levels = append(levels, slices.Clone(l))
	}
	d.mtx.Unlock()
	for _, level := range levels {
		for _, h := range level {
			if h == genesis.BlockHash() {
				continue
			}
			if _, err := c.ProcessBlock(d.block(h), blockdag.BFNone); err != nil {
				t.Fatalf("cloneDAG: %v", err)
			}
		}
	}
	return c
}
