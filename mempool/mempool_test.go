package mempool

import (
	"errors"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// oneInOneOutSize is the serialized size of a transaction with one input
// and one output and no payload.
const oneInOneOutSize = 2 + 1 + wire.TxInSerializeSize + 1 + wire.TxOutSerializeSize + 8 + 1

// minFee is the smallest fee a one-in, one-out transaction needs at the
// default relay fee rate.
const minFee = (oneInOneOutSize*DefaultMinRelayTxFee + 999) / 1000

func TestProcessTransactionRules(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*Config)
		setup func(h *harness) (tx *wire.MsgTx, allowOrphan bool)
		want  error // nil: accepted
		code  wire.RejectCode
	}{{
		name: "valid",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1)}, 10_000-minFee), false
		},
	}, {
		name: "exactly the minimum fee rate",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			// 153 bytes at 1000 per kB need 153 exactly.
			return h.spend([]coin{h.fund(10_000, 1)}, 10_000-oneInOneOutSize), false
		},
	}, {
		name: "free transaction with no minimum",
		mod:  func(c *Config) { c.MinRelayTxFee = 0 },
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1)}, 10_000), false
		},
	}, {
		name: "chain of unconfirmed transactions",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			parent := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			h.mustAccept(parent, 1)
			return h.spend([]coin{outputOf(parent, 0)}, 8_000), false
		},
	}, {
		name: "mature coinbase output",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			c := h.fund(10_000, 1)
			h.dag.addUTXO(c.op, blockdag.UTXOEntry{Amount: 10_000, PubKey: c.out.PubKey,
				BlueScore: 900, IsCoinbase: true})
			return h.spend([]coin{c}, 9_000), false
		},
	}, {
		name: "duplicate in pool",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			tx := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			h.mustAccept(tx, 1)
			return tx, false
		},
		want: ErrDuplicate, code: wire.RejectDuplicate,
	}, {
		name: "duplicate orphan",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			parent := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			orphan := h.spend([]coin{outputOf(parent, 0)}, 8_000)
			if _, _, err := h.pool.ProcessTransaction(orphan, true); err != nil {
				h.t.Fatal(err)
			}
			return orphan, true
		},
		want: ErrDuplicate, code: wire.RejectDuplicate,
	}, {
		name: "already in the DAG",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			tx := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			h.dag.connect(tx)
			return tx, true
		},
		want: ErrDuplicate, code: wire.RejectDuplicate,
	}, {
		name: "coinbase",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return &wire.MsgTx{Version: wire.TxVersion, Payload: make([]byte, 16),
				TxOut: []wire.TxOut{{Value: 5000, PubKey: keys.PubKey(testKey(0))}}}, false
		},
		want: ErrCoinbase, code: wire.RejectInvalid,
	}, {
		name: "bad version",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			tx := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			tx.Version = 7
			return tx, false
		},
		want: blockdag.ErrBadTxVersion, code: wire.RejectInvalid,
	}, {
		name: "no outputs",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1)}), false
		},
		want: blockdag.ErrNoTxOutputs, code: wire.RejectInvalid,
	}, {
		name: "zero output",
		mod:  func(c *Config) { c.DustLimit = 0 },
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1)}, 9_000, 0), false
		},
		want: blockdag.ErrBadTxOutValue, code: wire.RejectInvalid,
	}, {
		name: "payload",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			tx := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			tx.Payload = []byte{1}
			return tx, false
		},
		want: blockdag.ErrTxPayload, code: wire.RejectInvalid,
	}, {
		name: "same input twice",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			c := h.fund(10_000, 1)
			return h.spend([]coin{c, c}, 9_000), false
		},
		want: blockdag.ErrDuplicateTxInputs, code: wire.RejectInvalid,
	}, {
		name: "over the pool's size limit",
		mod:  func(c *Config) { c.MaxTxSize = 300 },
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1), h.fund(10_000, 1), h.fund(10_000, 1)}, 29_000), false
		},
		want: ErrTxTooLarge, code: wire.RejectNonstandard,
	}, {
		name: "dust output",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1)}, 9_000, DefaultDustLimit-1), false
		},
		want: ErrDust, code: wire.RejectDust,
	}, {
		name: "output at the dust limit",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1)}, 9_000, DefaultDustLimit), false
		},
	}, {
		name: "double spend of a pooled output",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			c := h.fund(10_000, 1)
			h.mustAccept(h.spend([]coin{c}, 9_000), 1)
			return h.spend([]coin{c}, 8_000), false
		},
		want: ErrDoubleSpend, code: wire.RejectDuplicate,
	}, {
		name: "missing inputs, orphans not allowed",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			parent := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			return h.spend([]coin{outputOf(parent, 0)}, 8_000), false
		},
		want: ErrMissingInputs, code: wire.RejectDuplicate,
	}, {
		name: "orphans turned off",
		mod:  func(c *Config) { c.MaxOrphanTxs = 0 },
		setup: func(h *harness) (*wire.MsgTx, bool) {
			parent := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			return h.spend([]coin{outputOf(parent, 0)}, 8_000), true
		},
		want: ErrOrphanPolicy, code: wire.RejectNonstandard,
	}, {
		name: "orphan over the orphan size limit",
		mod:  func(c *Config) { c.MaxOrphanTxBytes = 200 },
		setup: func(h *harness) (*wire.MsgTx, bool) {
			parent := h.spend([]coin{h.fund(10_000, 1)}, 9_000, 1000)
			return h.spend([]coin{outputOf(parent, 0), outputOf(parent, 1)}, 8_000), true
		},
		want: ErrOrphanPolicy, code: wire.RejectNonstandard,
	}, {
		name: "output index past a pool transaction's outputs",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			parent := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			h.mustAccept(parent, 1)
			c := outputOf(parent, 0)
			c.op.Index = 5
			return h.spend([]coin{c}, 8_000), true
		},
		want: blockdag.ErrMissingTxOut, code: wire.RejectInvalid,
	}, {
		name: "outputs above inputs",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1)}, 10_001), false
		},
		want: blockdag.ErrSpendTooHigh, code: wire.RejectInvalid,
	}, {
		name: "immature coinbase output",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			c := h.fund(10_000, 1)
			// Created at 950, matures at 1050; the next block is at 1000.
			h.dag.addUTXO(c.op, blockdag.UTXOEntry{Amount: 10_000, PubKey: c.out.PubKey,
				BlueScore: 950, IsCoinbase: true})
			return h.spend([]coin{c}, 9_000), false
		},
		want: blockdag.ErrImmatureSpend, code: wire.RejectInvalid,
	}, {
		name: "lock time not reached",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			c := h.fund(10_000, 1)
			tx := &wire.MsgTx{Version: wire.TxVersion, LockTime: 1001,
				TxIn:  []wire.TxIn{{PreviousOutPoint: c.op}},
				TxOut: []wire.TxOut{{Value: 9_000, PubKey: c.out.PubKey}}}
			if err := keys.SignTx(tx, []wire.TxOut{c.out}, []*btcec.PrivateKey{c.priv}); err != nil {
				h.t.Fatal(err)
			}
			return tx, false
		},
		want: blockdag.ErrUnfinalizedTx, code: wire.RejectNonstandard,
	}, {
		name: "lock time reached",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			c := h.fund(10_000, 1)
			tx := &wire.MsgTx{Version: wire.TxVersion, LockTime: 1000,
				TxIn:  []wire.TxIn{{PreviousOutPoint: c.op}},
				TxOut: []wire.TxOut{{Value: 9_000, PubKey: c.out.PubKey}}}
			if err := keys.SignTx(tx, []wire.TxOut{c.out}, []*btcec.PrivateKey{c.priv}); err != nil {
				h.t.Fatal(err)
			}
			return tx, false
		},
	}, {
		name: "corrupted signature",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			tx := h.spend([]coin{h.fund(10_000, 1)}, 9_000)
			tx.TxIn[0].Signature[10] ^= 1
			return tx, false
		},
		want: blockdag.ErrBadSignature, code: wire.RejectInvalid,
	}, {
		name: "signed by the wrong key",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			c := h.fund(10_000, 1)
			other := h.spend([]coin{{op: c.op, out: wire.TxOut{Value: 10_000,
				PubKey: keys.PubKey(testKey(2))}, priv: testKey(2)}}, 9_000)
			return other, false
		},
		want: blockdag.ErrBadSignature, code: wire.RejectInvalid,
	}, {
		name: "signature over a different amount",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			c := h.fund(10_000, 1)
			c.out.Value = 20_000
			return h.spend([]coin{c}, 9_000), false
		},
		want: blockdag.ErrBadSignature, code: wire.RejectInvalid,
	}, {
		name: "fee below the minimum",
		setup: func(h *harness) (*wire.MsgTx, bool) {
			return h.spend([]coin{h.fund(10_000, 1)}, 10_000-oneInOneOutSize+1), false
		},
		want: ErrInsufficientFee, code: wire.RejectInsufficientFee,
	}, {
		name: "pool full of higher fee rates",
		mod:  func(c *Config) { c.MaxTxSize = 200; c.MaxPoolBytes = 2 * oneInOneOutSize },
		setup: func(h *harness) (*wire.MsgTx, bool) {
			h.mustAccept(h.spend([]coin{h.fund(10_000, 1)}, 5_000), 1)
			h.mustAccept(h.spend([]coin{h.fund(10_000, 1)}, 5_000), 1)
			return h.spend([]coin{h.fund(10_000, 1)}, 6_000), false
		},
		want: ErrPoolFull, code: wire.RejectInsufficientFee,
	}}

	for _, test := range tests {
		h := newHarness(t, test.mod)
		tx, allowOrphan := test.setup(h)
		countBefore := h.pool.Count()
		acc, _, err := h.pool.ProcessTransaction(tx, allowOrphan)
		if test.want == nil {
			if err != nil || len(acc) != 1 || acc[0].TxID != tx.TxID() {
				t.Errorf("%s: got %d accepted, err %v; want it accepted", test.name, len(acc), err)
			}
			continue
		}
		if !errors.Is(err, test.want) {
			t.Errorf("%s: got error %v, want %v", test.name, err, test.want)
			continue
		}
		var re RuleError
		if !errors.As(err, &re) {
			t.Errorf("%s: error %v is not a RuleError", test.name, err)
		}
		if code, reason := RejectCode(err); code != test.code || reason == "" {
			t.Errorf("%s: got reject code %v (%q), want %v", test.name, code, reason, test.code)
		}
		if len(acc) != 0 || h.pool.Count() != countBefore {
			t.Errorf("%s: refused transaction changed the pool", test.name)
		}
	}
}

func TestNewConfig(t *testing.T) {
	params := blockdag.RegressionNetParams()
	fetch := func(wire.OutPoint) (*blockdag.UTXOEntry, bool) { return nil, false }
	score := func() uint64 { return 0 }
	tests := []struct {
		name  string
		cfg   *Config
		valid bool
	}{
		{"minimal", &Config{Params: params, FetchUTXO: fetch, VirtualBlueScore: score}, true},
		{"nil", nil, false},
		{"no params", &Config{FetchUTXO: fetch, VirtualBlueScore: score}, false},
		{"no fetch", &Config{Params: params, VirtualBlueScore: score}, false},
		{"no blue score", &Config{Params: params, FetchUTXO: fetch}, false},
		{"tx size over block", &Config{Params: params, FetchUTXO: fetch, VirtualBlueScore: score,
			MaxTxSize: params.MaxBlockSize + 1}, false},
		{"pool below tx size", &Config{Params: params, FetchUTXO: fetch, VirtualBlueScore: score,
			MaxPoolBytes: 1000}, false},
		{"negative orphans", &Config{Params: params, FetchUTXO: fetch, VirtualBlueScore: score,
			MaxOrphanTxs: -1}, false},
		{"negative ttl", &Config{Params: params, FetchUTXO: fetch, VirtualBlueScore: score,
			OrphanTTL: -1}, false},
		{"fee over supply", &Config{Params: params, FetchUTXO: fetch, VirtualBlueScore: score,
			MinRelayTxFee: blockdag.MaxSupply + 1}, false},
	}
	for _, test := range tests {
		_, err := New(test.cfg)
		if (err == nil) != test.valid {
			t.Errorf("%s: got error %v, want valid=%v", test.name, err, test.valid)
		}
	}
}

func TestChainAndRemove(t *testing.T) {
	h := newHarness(t, nil)
	a := h.spend([]coin{h.fund(100_000, 1)}, 90_000, 5_000)
	b := h.spend([]coin{outputOf(a, 0)}, 80_000)
	c := h.spend([]coin{outputOf(b, 0)}, 70_000)
	d := h.spend([]coin{outputOf(a, 1)}, 4_000)
	for _, tx := range []*wire.MsgTx{a, b, c, d} {
		h.mustAccept(tx, 1)
	}
	if got := h.pool.Count(); got != 4 {
		t.Fatalf("count: got %d, want 4", got)
	}
	wantBytes := a.SerializeSize() + b.SerializeSize() + c.SerializeSize() + d.SerializeSize()
	if got := h.pool.Bytes(); got != wantBytes {
		t.Errorf("bytes: got %d, want %d", got, wantBytes)
	}
	if id, ok := h.pool.SpentBy(outputOf(a, 0).op); !ok || id != b.TxID() {
		t.Errorf("SpentBy: got %v %v, want %v", id, ok, b.TxID())
	}
	descs := h.pool.MiningDescs()
	for i := 1; i < len(descs); i++ {
		if feeRateLess(descs[i-1].Fee, descs[i-1].Size, descs[i].Fee, descs[i].Size) {
			t.Errorf("MiningDescs not sorted by fee rate at %d", i)
		}
	}
	// Removing b takes c with it; a and d stay.
	bID := b.TxID()
	removed := h.pool.RemoveTransaction(&bID, true)
	if len(removed) != 2 || h.pool.Count() != 2 {
		t.Errorf("remove with descendants: removed %d, count %d; want 2 and 2", len(removed), h.pool.Count())
	}
	for _, tx := range []*wire.MsgTx{a, d} {
		id := tx.TxID()
		if got, ok := h.pool.FetchTransaction(&id); !ok || got != tx {
			t.Errorf("FetchTransaction(%s): not found", id)
		}
	}
	if _, ok := h.pool.SpentBy(outputOf(a, 0).op); ok {
		t.Errorf("SpentBy: output of a still spent after b left")
	}
	if got := h.pool.Bytes(); got != a.SerializeSize()+d.SerializeSize() {
		t.Errorf("bytes after remove: got %d", got)
	}
	// b can come back, and c after it.
	h.mustAccept(b, 1)
	h.mustAccept(c, 1)
	if got := len(h.notified()); got != 6 {
		t.Errorf("notifications: got %d, want 6", got)
	}
}

func TestEvictionOrder(t *testing.T) {
	// Room for four one-in, one-out transactions.
	h := newHarness(t, func(c *Config) {
		c.MaxTxSize = 200
		c.MaxPoolBytes = 4 * oneInOneOutSize
	})
	mk := func(fee uint64) *wire.MsgTx {
		return h.spend([]coin{h.fund(100_000, 1)}, 100_000-fee)
	}
	low := mk(200)
	mid := mk(400)
	high := mk(800)
	h.mustAccept(low, 1)
	h.mustAccept(mid, 1)
	h.mustAccept(high, 1)
	// A child of mid with a high fee rate.
	midChild := h.spend([]coin{outputOf(mid, 0)}, 100_000-400-2000)
	h.mustAccept(midChild, 1)

	has := func(tx *wire.MsgTx) bool {
		id := tx.TxID()
		return h.pool.IsTransactionInPool(&id)
	}

	// Fee 300 beats only low (200): low goes.
	t1 := mk(300)
	h.mustAccept(t1, 1)
	if has(low) || !has(mid) || !has(high) || !has(midChild) || !has(t1) {
		t.Fatalf("after first eviction: low=%v mid=%v high=%v child=%v t1=%v; want only low gone",
			has(low), has(mid), has(high), has(midChild), has(t1))
	}
	// Fee 250 is below everything left: refused, nothing evicted.
	if _, _, err := h.pool.ProcessTransaction(mk(250), false); !errors.Is(err, ErrPoolFull) {
		t.Fatalf("low fee into a full pool: got %v, want %v", err, ErrPoolFull)
	}
	if h.pool.Count() != 4 {
		t.Fatalf("refused transaction evicted something: count %d", h.pool.Count())
	}
	// Fee 600 evicts t1 (300) first. Then fee 700 evicts mid (400), and
	// mid's child goes with it although its own rate is high.
	t2 := mk(600)
	h.mustAccept(t2, 1)
	if has(t1) || !has(mid) {
		t.Fatalf("second eviction: t1=%v mid=%v; want t1 gone, mid kept", has(t1), has(mid))
	}
	t3 := mk(700)
	h.mustAccept(t3, 1)
	if has(mid) || has(midChild) || !has(high) || !has(t2) || !has(t3) {
		t.Fatalf("third eviction: mid=%v child=%v high=%v t2=%v t3=%v; want mid and its child gone",
			has(mid), has(midChild), has(high), has(t2), has(t3))
	}
	if h.pool.Bytes() > 4*oneInOneOutSize {
		t.Errorf("pool over its bound: %d bytes", h.pool.Bytes())
	}
	// A child never evicts its own low-fee parent: fill the pool, then add
	// a high-fee child of the cheapest transaction.
	cheapChild := h.spend([]coin{outputOf(t2, 0)}, 100_000-600-5000)
	h.mustAccept(cheapChild, 1)
	if !has(t2) || !has(cheapChild) || has(t3) == has(high) && !has(t3) {
		t.Errorf("child evicted its parent: t2=%v child=%v", has(t2), has(cheapChild))
	}
}

func TestOrphans(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxOrphanTxs = 3 })
	parent := h.spend([]coin{h.fund(100_000, 1)}, 90_000, 5_000)
	child := h.spend([]coin{outputOf(parent, 0)}, 80_000)
	grandchild := h.spend([]coin{outputOf(child, 0)}, 70_000)
	sibling := h.spend([]coin{outputOf(parent, 1)}, 4_000)
	badSibling := h.spend([]coin{outputOf(parent, 1)}, 3_000) // double spends sibling

	for _, tx := range []*wire.MsgTx{grandchild, child, sibling} {
		acc, missing, err := h.pool.ProcessTransaction(tx, true)
		if err != nil || len(acc) != 0 || len(missing) != 1 {
			t.Fatalf("orphan %s: got %d accepted, missing %v, err %v", tx.TxID(), len(acc), missing, err)
		}
	}
	if _, missing, _ := h.pool.ProcessTransaction(h.spend([]coin{outputOf(grandchild, 0)}, 60_000), false); len(missing) != 1 || missing[0] != grandchild.TxID() {
		t.Errorf("missing parents: got %v, want [%s]", missing, grandchild.TxID())
	}
	if got := h.pool.OrphanCount(); got != 3 {
		t.Fatalf("orphan count: got %d, want 3", got)
	}
	id := child.TxID()
	if !h.pool.HaveTransaction(&id) || h.pool.IsTransactionInPool(&id) || !h.pool.IsOrphanInPool(&id) {
		t.Errorf("child should be known as an orphan only")
	}

	// The parent completes all three, parents before children.
	acc := h.mustAccept(parent, 4)
	want := []wire.Hash{parent.TxID(), child.TxID(), sibling.TxID(), grandchild.TxID()}
	pos := make(map[wire.Hash]int)
	for i, d := range acc {
		pos[d.TxID] = i
	}
	for _, w := range want {
		if _, ok := pos[w]; !ok {
			t.Fatalf("promotion: %s not accepted", w)
		}
	}
	if pos[parent.TxID()] != 0 || pos[child.TxID()] > pos[grandchild.TxID()] {
		t.Errorf("promotion order: got %v, want parents first", pos)
	}
	if got := h.notified(); len(got) != 4 || got[0] != parent.TxID() {
		t.Errorf("notifications: got %v", got)
	}
	if h.pool.OrphanCount() != 0 || h.pool.Count() != 4 {
		t.Errorf("after promotion: %d orphans, %d in pool; want 0 and 4", h.pool.OrphanCount(), h.pool.Count())
	}
	if _, _, err := h.pool.ProcessTransaction(badSibling, true); !errors.Is(err, ErrDoubleSpend) {
		t.Errorf("double spend of a promoted orphan: got %v", err)
	}
}

func TestOrphanBadSignatureDropped(t *testing.T) {
	h := newHarness(t, nil)
	parent := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	bad := h.spend([]coin{outputOf(parent, 0)}, 80_000)
	bad.TxIn[0].Signature[0] ^= 1
	badKid := h.spend([]coin{outputOf(bad, 0)}, 70_000)
	for _, tx := range []*wire.MsgTx{bad, badKid} {
		if _, _, err := h.pool.ProcessTransaction(tx, true); err != nil {
			t.Fatal(err)
		}
	}
	h.mustAccept(parent, 1)
	if h.pool.OrphanCount() != 0 || h.pool.Count() != 1 {
		t.Errorf("bad orphan: %d orphans, %d in pool; want it and its child dropped",
			h.pool.OrphanCount(), h.pool.Count())
	}
}

func TestOrphanLimits(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.MaxOrphanTxs = 2
		c.MaxOrphanTxBytes = 3 * oneInOneOutSize
	})
	var orphans []*wire.MsgTx
	for i := 0; i < 3; i++ {
		parent := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
		orphan := h.spend([]coin{outputOf(parent, 0)}, 80_000)
		orphans = append(orphans, orphan)
		if _, _, err := h.pool.ProcessTransaction(orphan, true); err != nil {
			t.Fatal(err)
		}
		h.dag.advance(1)
	}
	known := func(tx *wire.MsgTx) bool {
		id := tx.TxID()
		return h.pool.IsOrphanInPool(&id)
	}
	// Count bound: the oldest went.
	if known(orphans[0]) || !known(orphans[1]) || !known(orphans[2]) {
		t.Errorf("count bound: got %v %v %v, want the oldest evicted",
			known(orphans[0]), known(orphans[1]), known(orphans[2]))
	}
	// Byte bound: a two-input orphan pushes out both others.
	p1 := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	p2 := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	big := h.spend([]coin{outputOf(p1, 0), outputOf(p2, 0)}, 170_000)
	if _, _, err := h.pool.ProcessTransaction(big, true); err != nil {
		t.Fatal(err)
	}
	if known(orphans[1]) || !known(big) || h.pool.OrphanCount() != 2 && h.pool.OrphanCount() != 1 {
		t.Errorf("byte bound: got %d orphans", h.pool.OrphanCount())
	}
	// Expiry.
	h.dag.advance(DefaultOrphanTTL + 2*orphanExpireScanInterval)
	late := h.spend([]coin{outputOf(h.spend([]coin{h.fund(100_000, 1)}, 90_000), 0)}, 80_000)
	if _, _, err := h.pool.ProcessTransaction(late, true); err != nil {
		t.Fatal(err)
	}
	if h.pool.OrphanCount() != 1 || !known(late) {
		t.Errorf("expiry: got %d orphans, want only the new one", h.pool.OrphanCount())
	}
}

func TestConcurrentAccess(t *testing.T) {
	h := newHarness(t, nil)
	const workers, perWorker = 4, 25
	txs := make([][]*wire.MsgTx, workers)
	for w := range txs {
		for i := 0; i < perWorker; i++ {
			txs[w] = append(txs[w], h.spend([]coin{h.fund(100_000, 1)}, 90_000))
		}
	}
	// Every worker also tries one transaction that double spends another
	// worker's first one; exactly one of each pair gets in.
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for _, tx := range txs[w] {
				if _, _, err := h.pool.ProcessTransaction(tx, true); err != nil {
					t.Errorf("worker %d: %v", w, err)
				}
			}
		}(w)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				h.pool.MiningDescs()
				h.pool.Count()
				h.pool.TxIDs()
				h.pool.LastUpdated()
			}
		}()
	}
	wg.Wait()
	if got := h.pool.Count(); got != workers*perWorker {
		t.Errorf("count: got %d, want %d", got, workers*perWorker)
	}
	if got := len(h.notified()); got != workers*perWorker {
		t.Errorf("notifications: got %d, want %d", got, workers*perWorker)
	}
}

func TestRejectCodeReasonBound(t *testing.T) {
	long := RuleError{Err: ErrDust, Description: string(make([]byte, 1000))}
	code, reason := RejectCode(long)
	if code != wire.RejectDust || len(reason) != wire.MaxRejectReasonLen {
		t.Errorf("got %v and a %d-byte reason, want %v and %d bytes",
			code, len(reason), wire.RejectDust, wire.MaxRejectReasonLen)
	}
	if code, _ := RejectCode(errors.New("internal")); code != wire.RejectInvalid {
		t.Errorf("plain error: got %v, want %v", code, wire.RejectInvalid)
	}
}

// TestOrphanMalleatedCopy sends a copy of an orphan with a flipped
// signature byte before or after the genuine one: both wait, the genuine
// one is promoted when the parent arrives, and the bad copy is reported by
// TakeRejectedOrphans, with its grandchild kept.
func TestOrphanMalleatedCopy(t *testing.T) {
	for _, badFirst := range []bool{true, false} {
		h := newHarness(t, nil)
		parent := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
		child := h.spend([]coin{outputOf(parent, 0)}, 80_000)
		grandchild := h.spend([]coin{outputOf(child, 0)}, 70_000)
		bad := child.Copy()
		bad.TxIn[0].Signature[5] ^= 1

		order := []*wire.MsgTx{child, bad, grandchild}
		if badFirst {
			order = []*wire.MsgTx{bad, child, grandchild}
		}
		for _, tx := range order {
			if _, missing, err := h.pool.ProcessTransaction(tx, true); err != nil || len(missing) != 1 {
				t.Fatalf("bad first %v: orphan %s: missing %v, err %v", badFirst, tx.TxHash(), missing, err)
			}
		}
		if got := h.pool.OrphanCount(); got != 3 {
			t.Fatalf("bad first %v: orphan count %d, want 3 (both copies and the grandchild)", badFirst, got)
		}
		// The same copy again is a duplicate.
		if _, _, err := h.pool.ProcessTransaction(bad, true); !errors.Is(err, ErrDuplicate) {
			t.Errorf("bad first %v: same copy again: got %v, want ErrDuplicate", badFirst, err)
		}
		acc := h.mustAccept(parent, 3)
		if acc[1].Tx.TxHash() != child.TxHash() {
			t.Errorf("bad first %v: promoted %s, want the genuine child %s", badFirst, acc[1].Tx.TxHash(), child.TxHash())
		}
		rejected := h.pool.TakeRejectedOrphans()
		if badFirst {
			if len(rejected) != 1 || rejected[0].TxHash != bad.TxHash() ||
				!errors.Is(rejected[0].Err, blockdag.ErrBadSignature) {
				t.Errorf("bad first: rejected orphans %+v, want the bad copy with ErrBadSignature", rejected)
			}
		}
		if h.pool.OrphanCount() != 0 || len(h.pool.TakeRejectedOrphans()) != 0 {
			t.Errorf("bad first %v: %d orphans left, or rejections reported twice", badFirst, h.pool.OrphanCount())
		}
	}
}

// TestOrphanCopiesBounded checks that copies of one orphan are bounded:
// the oldest goes.
func TestOrphanCopiesBounded(t *testing.T) {
	h := newHarness(t, nil)
	parent := h.spend([]coin{h.fund(100_000, 1)}, 90_000)
	child := h.spend([]coin{outputOf(parent, 0)}, 80_000)
	for i := range maxOrphanCopies + 3 {
		bad := child.Copy()
		bad.TxIn[0].Signature[i] ^= 1
		if _, _, err := h.pool.ProcessTransaction(bad, true); err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
	}
	if got := h.pool.OrphanCount(); got != maxOrphanCopies {
		t.Errorf("orphan count %d, want %d copies at most", got, maxOrphanCopies)
	}
}
