package netsync

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/wire"
)

// markRecorder is the DAG's marking side of --assumevalid for the tests:
// it records the marks.
type markRecorder struct {
	mtx   sync.Mutex
	marks map[wire.Hash]int
}

func (m *markRecorder) CheckHeaderWork(*wire.BlockHeader, *wire.Hash) error { return nil }

func (m *markRecorder) MarkAssumedValid(hashes []wire.Hash) error {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	for _, h := range hashes {
		m.marks[h]++
	}
	return nil
}

func (m *markRecorder) count() int {
	m.mtx.Lock()
	defer m.mtx.Unlock()
	return len(m.marks)
}

// headersPeer is a peer that answers only getheaders, from its fakeDAG, the
// way the node does: walking back from the wanted hashes by descending
// height (a reverse topological order, as blue work is), each block once,
// at most page headers.
type headersPeer struct {
	id   int32
	dag  *fakeDAG
	sm   *SyncManager
	page int

	// mode: "" honest, "empty" knows nothing, "silent" never answers,
	// "liar" puts a header not linked to the request after the first.
	mode  string
	alien wire.BlockHeader

	mtx   sync.Mutex
	asked int
	wg    sync.WaitGroup
}

func (p *headersPeer) ID() int32                            { return p.id }
func (p *headersPeer) Addr() string                         { return fmt.Sprintf("10.1.0.%d:1234", p.id) }
func (p *headersPeer) Inbound() bool                        { return false }
func (p *headersPeer) Services() wire.ServiceFlag           { return wire.SFNodeNetwork }
func (p *headersPeer) LowestHeight() uint32                 { return 0 }
func (p *headersPeer) EarlyGetBlocks() []*wire.MsgGetBlocks { return nil }
func (p *headersPeer) MaxHeight() uint32                    { return 0 }
func (p *headersPeer) Tips() []wire.Hash                    { return nil }
func (p *headersPeer) SetMaxHeight(uint32, []wire.Hash)     {}
func (p *headersPeer) QueueInventory(*wire.InvVect)         {}
func (p *headersPeer) AddKnownInventory(*wire.InvVect)      {}
func (p *headersPeer) IsKnownInventory(*wire.InvVect) bool {
	return false
}
func (p *headersPeer) Disconnect() {}

func (p *headersPeer) QueueMessage(msg wire.Message, done chan<- struct{}) {
	if done != nil {
		done <- struct{}{}
	}
	gh, ok := msg.(*wire.MsgGetHeaders)
	if !ok {
		return
	}
	p.mtx.Lock()
	p.asked++
	p.mtx.Unlock()
	var answer []wire.BlockHeader
	switch p.mode {
	case "silent":
		return
	case "empty":
	default:
		answer = walkHeaders(p.dag, gh.Wanted, p.page)
		if p.mode == "liar" && len(answer) > 0 {
			answer = slices.Insert(answer, 1, p.alien)
		}
	}
	// The manager calls this on its own goroutine: answer from another,
	// as a read loop would.
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.sm.QueueHeaders(&wire.MsgHeaders{Headers: answer}, p)
	}()
}

func (p *headersPeer) requests() int {
	p.mtx.Lock()
	defer p.mtx.Unlock()
	return p.asked
}

// walkHeaders is the serving side of getheaders over a fakeDAG.
func walkHeaders(d *fakeDAG, wanted []wire.Hash, max int) []wire.BlockHeader {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	seen := make(map[wire.Hash]bool)
	var frontier []wire.Hash
	for _, w := range wanted {
		if _, ok := d.blocks[w]; ok && !seen[w] {
			seen[w] = true
			frontier = append(frontier, w)
		}
	}
	var out []wire.BlockHeader
	for len(frontier) > 0 && len(out) < max {
		best := 0
		for i, h := range frontier {
			hb, bb := d.heights[h], d.heights[frontier[best]]
			if hb > bb || (hb == bb && h.Compare(&frontier[best]) > 0) {
				best = i
			}
		}
		h := frontier[best]
		frontier = slices.Delete(frontier, best, best+1)
		b := d.blocks[h]
		out = append(out, *b.Header.Copy())
		for _, p := range b.Header.Parents {
			if !seen[p] {
				seen[p] = true
				frontier = append(frontier, p)
			}
		}
	}
	return out
}

// pastOf returns the blocks of d in the past of top, top included.
func pastOf(d *fakeDAG, top wire.Hash) map[wire.Hash]bool {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	past := map[wire.Hash]bool{top: true}
	queue := []wire.Hash{top}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		for _, p := range d.blocks[h].Header.Parents {
			if !past[p] {
				past[p] = true
				queue = append(queue, p)
			}
		}
	}
	return past
}

// avFixture is a remote DAG with an assumed-valid block on a wide part and a
// side branch outside its past, and a local DAG holding its first blocks.
type avFixture struct {
	remote, local *fakeDAG
	av            wire.Hash
	side          wire.BlockHeader
	want          map[wire.Hash]bool // the marks a complete walk makes
}

func newAVFixture(t *testing.T) *avFixture {
	f := &avFixture{remote: newFakeDAG(), local: newFakeDAG()}
	chain := f.remote.addChain(t, genesis.BlockHash(), 5)
	tips := f.remote.addWide(t, 3, 10)
	top := makeBlock(tips...)
	if _, err := f.remote.ProcessBlock(top, blockdag.BFNone); err != nil {
		t.Fatalf("AV: %v", err)
	}
	f.av = top.BlockHash()
	side := makeBlock(chain[1])
	if _, err := f.remote.ProcessBlock(side, blockdag.BFNone); err != nil {
		t.Fatalf("side: %v", err)
	}
	f.side = side.Header
	for _, h := range chain[:3] {
		if _, err := f.local.ProcessBlock(f.remote.block(h), blockdag.BFNone); err != nil {
			t.Fatalf("local: %v", err)
		}
	}
	f.want = pastOf(f.remote, f.av)
	for h := range f.want {
		if f.local.HaveBlock(&h) {
			delete(f.want, h)
		}
	}
	return f
}

// start builds the manager with --assumevalid on f.av.
func (f *avFixture) start(t *testing.T, requestTimeout time.Duration, onMisbehavior func(Peer, uint32, string)) (*SyncManager, *markRecorder) {
	rec := &markRecorder{marks: make(map[wire.Hash]int)}
	sm, _ := testManager(t, f.local, nil, func(c *Config) {
		c.AssumeValid = f.av
		c.AssumeValidDAG = rec
		c.RequestTimeout = requestTimeout
		c.OnMisbehavior = onMisbehavior
	})
	return sm, rec
}

// addPeer connects a headers peer of the remote DAG.
func (f *avFixture) addPeer(t *testing.T, sm *SyncManager, mode string, page int) *headersPeer {
	p := &headersPeer{id: simPeerID.Add(1), dag: f.remote, sm: sm, page: page, mode: mode, alien: f.side}
	t.Cleanup(p.wg.Wait)
	sm.NewPeer(p)
	return p
}

// checkMarks checks that exactly the blocks of want were marked, once.
func checkMarks(t *testing.T, rec *markRecorder, want map[wire.Hash]bool) {
	t.Helper()
	rec.mtx.Lock()
	defer rec.mtx.Unlock()
	for h, n := range rec.marks {
		if !want[h] {
			t.Errorf("block %s marked, but it is not in the assumed-valid past we lack", h)
		}
		if n != 1 {
			t.Errorf("block %s marked %d times, want once", h, n)
		}
	}
	if len(rec.marks) != len(want) {
		t.Errorf("got %d marks, want %d", len(rec.marks), len(want))
	}
}

// TestAssumeValidWalk walks the past of the assumed-valid block page by
// page and marks exactly the blocks of its past that the node lacks.
func TestAssumeValidWalk(t *testing.T) {
	f := newAVFixture(t)
	sm, rec := f.start(t, 2*time.Second, func(p Peer, score uint32, reason string) {
		t.Errorf("honest peer scored %d: %s", score, reason)
	})
	p := f.addPeer(t, sm, "", 7)
	waitFor(t, 5*time.Second, "every mark", func() bool { return rec.count() == len(f.want) })
	// Let the manager settle: no request follows the last page.
	time.Sleep(100 * time.Millisecond)
	checkMarks(t, rec, f.want)
	if got, least := p.requests(), (len(f.want)+6)/7; got < least || got > least+1 {
		t.Errorf("%d getheaders for %d headers in pages of 7, want %d or %d", got,
			len(f.want), least, least+1)
	}
}

// TestAssumeValidLiar checks that a header not linked to the request is
// scored and never marked, and that another peer completes the walk.
func TestAssumeValidLiar(t *testing.T) {
	f := newAVFixture(t)
	var mtx sync.Mutex
	scores := make(map[int32]uint32)
	sm, rec := f.start(t, 2*time.Second, func(p Peer, score uint32, _ string) {
		mtx.Lock()
		scores[p.ID()] += score
		mtx.Unlock()
	})
	liar := f.addPeer(t, sm, "liar", 2000)
	waitFor(t, 5*time.Second, "the liar's answer", func() bool {
		mtx.Lock()
		defer mtx.Unlock()
		return scores[liar.id] > 0
	})
	if n := rec.count(); n != 1 {
		t.Fatalf("after the liar's page: %d marks, want 1 (the header before the lie)", n)
	}
	honest := f.addPeer(t, sm, "", 2000)
	waitFor(t, 5*time.Second, "every mark", func() bool { return rec.count() == len(f.want) })
	time.Sleep(100 * time.Millisecond)
	checkMarks(t, rec, f.want)
	mtx.Lock()
	defer mtx.Unlock()
	if scores[liar.id] != banScoreUnlinkedHeader || scores[honest.id] != 0 {
		t.Errorf("scores: liar %d, honest %d; want %d and 0", scores[liar.id], scores[honest.id],
			banScoreUnlinkedHeader)
	}
	if liar.requests() != 1 {
		t.Errorf("the liar was asked %d times, want once", liar.requests())
	}
}

// TestAssumeValidUnhelpfulPeers checks that a peer that does not know the
// block and a peer that does not answer each cost one request, without a
// score, before a third peer completes the walk.
func TestAssumeValidUnhelpfulPeers(t *testing.T) {
	f := newAVFixture(t)
	sm, rec := f.start(t, 300*time.Millisecond, func(p Peer, score uint32, reason string) {
		t.Errorf("peer %d scored %d: %s", p.ID(), score, reason)
	})
	empty := f.addPeer(t, sm, "empty", 2000)
	waitFor(t, 5*time.Second, "the empty answer", func() bool { return empty.requests() == 1 })
	silent := f.addPeer(t, sm, "silent", 2000)
	waitFor(t, 5*time.Second, "the silent peer asked", func() bool { return silent.requests() == 1 })
	honest := f.addPeer(t, sm, "", 2000)
	waitFor(t, 5*time.Second, "every mark", func() bool { return rec.count() == len(f.want) })
	time.Sleep(100 * time.Millisecond)
	checkMarks(t, rec, f.want)
	if empty.requests() != 1 || silent.requests() != 1 || honest.requests() != 1 {
		t.Errorf("requests: empty %d, silent %d, honest %d; want one each", empty.requests(),
			silent.requests(), honest.requests())
	}
}

// TestAssumeValidOff checks that no getheaders goes out without
// --assumevalid, and that the option needs its marker.
func TestAssumeValidOff(t *testing.T) {
	f := newAVFixture(t)
	sm, _ := testManager(t, f.local, nil, nil)
	p := f.addPeer(t, sm, "", 2000)
	time.Sleep(100 * time.Millisecond)
	if p.requests() != 0 {
		t.Errorf("%d getheaders sent with --assumevalid off", p.requests())
	}
	if _, err := New(&Config{DAG: f.local, PeerNotifier: &recordingNotifier{},
		AssumeValid: f.av}); err == nil {
		t.Errorf("New accepted AssumeValid without AssumeValidDAG")
	}
}
