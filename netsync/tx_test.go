package netsync

import (
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

// fakePool accepts every transaction except those with lock time
// badLockTime, and keeps as orphans those whose first input spends an
// unknown transaction other than the zero hash.
type fakePool struct {
	mtx sync.Mutex
	txs map[wire.Hash]*wire.MsgTx
}

const badLockTime = 99

func newFakePool() *fakePool {
	return &fakePool{txs: make(map[wire.Hash]*wire.MsgTx)}
}

func (fp *fakePool) ProcessTransaction(tx *wire.MsgTx, _ bool) ([]*mempool.TxDesc, []wire.Hash, error) {
	fp.mtx.Lock()
	defer fp.mtx.Unlock()
	txID := tx.TxID()
	if tx.LockTime == badLockTime {
		return nil, nil, mempool.RuleError{Err: mempool.ErrDust, Description: "dust output"}
	}
	if len(tx.TxIn) > 0 {
		prev := tx.TxIn[0].PreviousOutPoint.TxID
		if !prev.IsZero() && fp.txs[prev] == nil {
			return nil, []wire.Hash{prev}, nil
		}
	}
	fp.txs[txID] = tx
	return []*mempool.TxDesc{{Tx: tx, TxID: txID}}, nil, nil
}

func (fp *fakePool) TakeRejectedOrphans() []mempool.RejectedOrphan { return nil }

func (fp *fakePool) IsTransactionInPool(txID *wire.Hash) bool {
	fp.mtx.Lock()
	defer fp.mtx.Unlock()
	return fp.txs[*txID] != nil
}

func testTx(prev wire.Hash, lockTime uint64) *wire.MsgTx {
	return &wire.MsgTx{
		Version:  1,
		TxIn:     []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: prev}}},
		TxOut:    []wire.TxOut{{Value: 5000}},
		LockTime: lockTime,
	}
}

// TestTxRelay follows a transaction through inv, getdata, the pool and the
// relay to the other peers, and a refused one through reject.
func TestTxRelay(t *testing.T) {
	pool := newFakePool()
	sm, n := testManager(t, newFakeDAG(), pool, nil)
	a := connect(t, sm, n, newFakeDAG())
	b := connect(t, sm, n, newFakeDAG())

	tx := testTx(wire.Hash{}, 0)
	txID := tx.TxID()
	iv := wire.InvVect{Type: wire.InvTypeTx, Hash: txID}
	a.AddKnownInventory(&iv)
	sm.QueueInv(&wire.MsgInv{InvList: []wire.InvVect{iv}}, a)
	waitFor(t, 5*time.Second, "getdata tx", func() bool { return len(a.sentOf(wire.CmdGetData)) == 1 })
	// Announced again by b while requested from a: not requested twice.
	sm.QueueInv(&wire.MsgInv{InvList: []wire.InvVect{iv}}, b)
	sm.QueueTx(tx, a)
	waitFor(t, 5*time.Second, "pool", func() bool { return pool.IsTransactionInPool(&txID) })
	waitFor(t, 5*time.Second, "relay", func() bool { return len(n.relayedOf(wire.InvTypeTx)) == 1 })
	n.mtx.Lock()
	src := n.sources[len(n.sources)-1]
	n.mtx.Unlock()
	if src != Peer(a) {
		t.Errorf("relay source: got %v, want peer %d", src, a.id)
	}
	if got := len(b.sentOf(wire.CmdGetData)); got != 0 {
		t.Errorf("tx requested from b too: %d getdata", got)
	}
	if got := len(b.sentOf(wire.CmdInv)); got != 1 {
		t.Errorf("tx not relayed to b: %d inv", got)
	}

	// An orphan's parent is requested from the peer that sent it.
	parent := testTx(wire.Hash{7}, 1)
	child := testTx(parent.TxID(), 2)
	sm.QueueTx(child, b)
	waitFor(t, 5*time.Second, "parent request", func() bool {
		for _, m := range b.sentOf(wire.CmdGetData) {
			for _, v := range m.(*wire.MsgGetData).InvList {
				if v.Hash == parent.TxID() {
					return true
				}
			}
		}
		return false
	})

	// A refused transaction is rejected and never requested again.
	bad := testTx(wire.Hash{}, badLockTime)
	badID := bad.TxID()
	sm.QueueTx(bad, a)
	waitFor(t, 5*time.Second, "reject", func() bool { return len(a.sentOf(wire.CmdReject)) == 1 })
	rej := a.sentOf(wire.CmdReject)[0].(*wire.MsgReject)
	if rej.Code != wire.RejectDust || rej.Hash != badID || rej.Cmd != wire.CmdTx {
		t.Errorf("reject: got %+v", rej)
	}
	before := len(b.sentOf(wire.CmdGetData))
	sm.QueueInv(&wire.MsgInv{InvList: []wire.InvVect{{Type: wire.InvTypeTx, Hash: badID}}}, b)
	time.Sleep(50 * time.Millisecond)
	if got := len(b.sentOf(wire.CmdGetData)); got != before {
		t.Errorf("refused tx requested again")
	}
}

// TestTxIgnoredInSyncMode checks that transaction inventory is ignored
// while the DAG downloads.
func TestTxIgnoredInSyncMode(t *testing.T) {
	remote := newFakeDAG()
	remote.addChain(t, genesis.BlockHash(), 3000)
	pool := newFakePool()
	sm, n := testManager(t, newFakeDAG(), pool, nil)
	p := connect(t, sm, n, remote)
	resume := sm.Pause()
	if !sm.InSyncMode() {
		close(resume)
		t.Skip("sync ended before the pause")
	}
	go func() {
		sm.QueueInv(&wire.MsgInv{InvList: []wire.InvVect{{Type: wire.InvTypeTx, Hash: wire.Hash{9}}}}, p)
	}()
	time.Sleep(10 * time.Millisecond)
	close(resume)
	time.Sleep(50 * time.Millisecond)
	for _, m := range p.sentOf(wire.CmdGetData) {
		for _, iv := range m.(*wire.MsgGetData).InvList {
			if iv.Type == wire.InvTypeTx {
				t.Fatal("transaction requested in sync mode")
			}
		}
	}
}

// TestTxErrorScore checks the misbehaviour score of refused transactions
// and which refusals are remembered by id.
func TestTxErrorScore(t *testing.T) {
	dagErr := func(kind blockdag.ErrorKind) error {
		return mempool.RuleError{Err: blockdag.RuleError{Err: kind, Description: "x"}, Description: "x"}
	}
	poolErr := func(kind mempool.ErrorKind) error { return mempool.RuleError{Err: kind, Description: "x"} }
	tests := []struct {
		name      string
		err       error
		score     uint32
		byTxIDToo bool
	}{
		{name: "bad signature", err: dagErr(blockdag.ErrBadSignature), score: banScoreInvalidTx},
		{name: "spend too high", err: dagErr(blockdag.ErrSpendTooHigh), score: banScoreInvalidTx, byTxIDToo: true},
		{name: "no inputs", err: dagErr(blockdag.ErrNoTxInputs), score: banScoreInvalidTx, byTxIDToo: true},
		{name: "coinbase", err: poolErr(mempool.ErrCoinbase), score: banScoreInvalidTx, byTxIDToo: true},
		{name: "missing output", err: dagErr(blockdag.ErrMissingTxOut), score: banScoreMissingInputs, byTxIDToo: true},
		{name: "immature", err: dagErr(blockdag.ErrImmatureSpend), byTxIDToo: true},
		{name: "lock time", err: dagErr(blockdag.ErrUnfinalizedTx), byTxIDToo: true},
		{name: "fee", err: poolErr(mempool.ErrInsufficientFee), byTxIDToo: true},
		{name: "pool double spend", err: poolErr(mempool.ErrDoubleSpend), byTxIDToo: true},
	}
	for _, test := range tests {
		if got := txErrorScore(test.err); got != test.score {
			t.Errorf("%s: score got %d, want %d", test.name, got, test.score)
		}
		if got := txIDRejectable(test.err); got != test.byTxIDToo {
			t.Errorf("%s: remembered by id got %v, want %v", test.name, got, test.byTxIDToo)
		}
	}
}
