package netsync

import (
	"testing"

	"github.com/soterdag/soterd/wire"
)

// nullPeer is a peer that records nothing and answers nothing, for driving
// the manager's handlers directly.
type nullPeer struct {
	height uint32
	tips   []wire.Hash
	known  map[wire.InvVect]bool
}

func (p *nullPeer) ID() int32                                  { return 1 }
func (p *nullPeer) Addr() string                               { return "10.1.1.1:1" }
func (p *nullPeer) Inbound() bool                              { return true }
func (p *nullPeer) Services() wire.ServiceFlag                 { return wire.SFNodeNetwork }
func (p *nullPeer) LowestHeight() uint32                       { return 0 }
func (p *nullPeer) EarlyGetBlocks() []*wire.MsgGetBlocks       { return nil }
func (p *nullPeer) MaxHeight() uint32                          { return p.height }
func (p *nullPeer) Tips() []wire.Hash                          { return p.tips }
func (p *nullPeer) SetMaxHeight(h uint32, _ []wire.Hash)       { p.height = max(p.height, h) }
func (p *nullPeer) QueueMessage(wire.Message, chan<- struct{}) {}
func (p *nullPeer) QueueInventory(*wire.InvVect)               {}
func (p *nullPeer) AddKnownInventory(iv *wire.InvVect)         { p.known[invKeyOf(iv)] = true }
func (p *nullPeer) IsKnownInventory(iv *wire.InvVect) bool     { return p.known[invKeyOf(iv)] }
func (p *nullPeer) Disconnect()                                {}

// checkAccounting verifies that every peer's counters match its requests.
func checkAccounting(t *testing.T, sm *SyncManager) {
	for _, ps := range sm.peers {
		queued, inFlight := 0, 0
		for hash, req := range ps.requested {
			if sm.requestedBlocks[hash] != req {
				t.Fatalf("request %s of peer %d missing from the global map", hash, ps.id)
			}
			if req.sent.IsZero() {
				queued++
			} else {
				inFlight++
			}
		}
		if queued != ps.queued || inFlight != ps.inFlight {
			t.Fatalf("peer %d: counters queued %d in flight %d, requests %d and %d",
				ps.id, ps.queued, ps.inFlight, queued, inFlight)
		}
	}
	if n := len(sm.requestedBlocks); n > len(sm.peers)*(maxWantedBlocks+maxWindow+maxSyncBacklog+(maxSyncPagesAhead+maxGapRanges+1)*wire.MaxBlocksPerInv) {
		t.Fatalf("%d block requests outstanding", n)
	}
}

// FuzzHandleInv feeds the manager arbitrary inv, notfound and getblocks
// answers from a sync peer and checks that it neither panics nor loses
// track of its requests.
func FuzzHandleInv(f *testing.F) {
	seed := func(list ...wire.InvVect) []byte {
		b, err := (&wire.MsgInv{InvList: list}).Encode(nil, wire.ProtocolVersion)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(seed(), seed())
	f.Add(seed(wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{1}, Height: 50},
		wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{2}, Height: 51}),
		seed(wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{2}, Height: 51}))
	f.Add(seed(wire.InvVect{Type: wire.InvTypeTx, Hash: wire.Hash{3}},
		wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{4}, Height: 7}),
		seed(wire.InvVect{Type: wire.InvTypeBlock, Hash: wire.Hash{4}, Height: 0}))

	dag := newFakeDAG()
	dag.addChain(f, genesis.BlockHash(), 50)
	f.Fuzz(func(t *testing.T, invBytes, nfBytes []byte) {
		var inv wire.MsgInv
		if err := inv.Decode(invBytes, wire.ProtocolVersion); err != nil {
			return
		}
		var nf wire.MsgNotFound
		if err := nf.Decode(nfBytes, wire.ProtocolVersion); err != nil {
			return
		}
		sm, err := New(&Config{DAG: dag, PeerNotifier: &recordingNotifier{}, TxPool: newFakePool()})
		if err != nil {
			t.Fatal(err)
		}
		p := &nullPeer{height: 100, tips: []wire.Hash{{9}}, known: make(map[wire.InvVect]bool)}
		sm.handleNewPeer(p)
		if sm.syncPeer == nil {
			t.Fatal("no sync peer")
		}
		sm.handleInv(&inv, p)
		checkAccounting(t, sm)
		sm.handleNotFound(&nf, p)
		checkAccounting(t, sm)
		sm.handleInv(&inv, p)
		sm.handleTick()
		checkAccounting(t, sm)
		sm.handleDonePeer(p)
		if len(sm.requestedBlocks) != 0 || len(sm.requestedTxs) != 0 || sm.syncPeer != nil {
			t.Fatalf("requests left after the peer went: %d blocks, %d txs",
				len(sm.requestedBlocks), len(sm.requestedTxs))
		}
	})
}
