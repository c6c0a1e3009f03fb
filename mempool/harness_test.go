package mempool

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// fakeDAG stands in for the virtual block: a UTXO set and a blue score the
// tests move by hand.
type fakeDAG struct {
	mtx       sync.Mutex
	utxos     map[wire.OutPoint]*blockdag.UTXOEntry
	blueScore uint64
	now       time.Time
}

func (d *fakeDAG) FetchUTXO(op wire.OutPoint) (*blockdag.UTXOEntry, bool) {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	e, ok := d.utxos[op]
	if !ok {
		return nil, false
	}
	c := *e
	return &c, true
}

func (d *fakeDAG) VirtualBlueScore() uint64 {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	return d.blueScore
}

func (d *fakeDAG) Now() time.Time {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	return d.now
}

func (d *fakeDAG) advance(dt time.Duration) {
	d.mtx.Lock()
	d.now = d.now.Add(dt)
	d.mtx.Unlock()
}

func (d *fakeDAG) setBlueScore(s uint64) {
	d.mtx.Lock()
	d.blueScore = s
	d.mtx.Unlock()
}

// addUTXO puts an output into the fake UTXO set.
func (d *fakeDAG) addUTXO(op wire.OutPoint, e blockdag.UTXOEntry) {
	d.mtx.Lock()
	d.utxos[op] = &e
	d.mtx.Unlock()
}

// connect applies tx to the fake UTXO set as an accepted transaction of a
// block of the current blue score.
func (d *fakeDAG) connect(tx *wire.MsgTx) {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	for i := range tx.TxIn {
		delete(d.utxos, tx.TxIn[i].PreviousOutPoint)
	}
	id := tx.TxID()
	for i, out := range tx.TxOut {
		d.utxos[wire.OutPoint{TxID: id, Index: uint32(i)}] = &blockdag.UTXOEntry{
			Amount: out.Value, PubKey: out.PubKey, BlueScore: d.blueScore, IsCoinbase: tx.IsCoinBase(),
		}
	}
}

// disconnect undoes connect, given the entries tx spent.
func (d *fakeDAG) disconnect(tx *wire.MsgTx, spent []blockdag.UTXOEntry) {
	d.mtx.Lock()
	defer d.mtx.Unlock()
	id := tx.TxID()
	for i := range tx.TxOut {
		delete(d.utxos, wire.OutPoint{TxID: id, Index: uint32(i)})
	}
	for i := range tx.TxIn {
		e := spent[i]
		d.utxos[tx.TxIn[i].PreviousOutPoint] = &e
	}
}

// testKey returns a fixed private key, different for each n.
func testKey(n int) *btcec.PrivateKey {
	var b [32]byte
	binary.BigEndian.PutUint64(b[24:], uint64(n)+1)
	b[0] = 0x11
	priv, err := keys.PrivateKeyFromBytes(b[:])
	if err != nil {
		panic(err)
	}
	return priv
}

// coin is a spendable output with what is needed to spend it.
type coin struct {
	op   wire.OutPoint
	out  wire.TxOut
	priv *btcec.PrivateKey
}

// harness is a pool over a fake DAG, with funding outputs.
type harness struct {
	t        testing.TB
	dag      *fakeDAG
	pool     *TxPool
	accepted []wire.Hash // OnTxAccepted calls, in order
	mtx      sync.Mutex
	nextFund uint32
}

// fundTxID is the made-up id the funding outputs come from.
var fundTxID = wire.DoubleHashH([]byte("funding"))

func newHarness(t testing.TB, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, dag: &fakeDAG{
		utxos:     make(map[wire.OutPoint]*blockdag.UTXOEntry),
		blueScore: 1000,
		now:       time.Unix(1_800_000_000, 0),
	}}
	cfg := &Config{
		Params:           blockdag.RegressionNetParams(),
		FetchUTXO:        h.dag.FetchUTXO,
		VirtualBlueScore: h.dag.VirtualBlueScore,
		MinRelayTxFee:    DefaultMinRelayTxFee,
		DustLimit:        DefaultDustLimit,
		MaxOrphanTxs:     DefaultMaxOrphanTxs,
		TimeSource:       h.dag.Now,
		OnTxAccepted: func(tx *wire.MsgTx, txID wire.Hash, fee uint64) {
			h.mtx.Lock()
			h.accepted = append(h.accepted, txID)
			h.mtx.Unlock()
		},
	}
	if mod != nil {
		mod(cfg)
	}
	pool, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.pool = pool
	return h
}

// fund adds a mature non-coinbase output of the given value to the UTXO set.
func (h *harness) fund(value uint64, keyN int) coin {
	priv := testKey(keyN)
	c := coin{
		op:   wire.OutPoint{TxID: fundTxID, Index: h.nextFund},
		out:  wire.TxOut{Value: value, PubKey: keys.PubKey(priv)},
		priv: priv,
	}
	h.nextFund++
	h.dag.addUTXO(c.op, blockdag.UTXOEntry{Amount: value, PubKey: c.out.PubKey, BlueScore: 1})
	return c
}

// spend builds and signs a transaction spending coins into outputs of the
// given values, all locked to key 0.
func (h *harness) spend(coins []coin, values ...uint64) *wire.MsgTx {
	h.t.Helper()
	tx := &wire.MsgTx{Version: wire.TxVersion}
	prevOuts := make([]wire.TxOut, len(coins))
	privs := make([]*btcec.PrivateKey, len(coins))
	for i, c := range coins {
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: c.op})
		prevOuts[i] = c.out
		privs[i] = c.priv
	}
	for _, v := range values {
		tx.TxOut = append(tx.TxOut, wire.TxOut{Value: v, PubKey: keys.PubKey(testKey(0))})
	}
	if err := keys.SignTx(tx, prevOuts, privs); err != nil {
		h.t.Fatalf("sign: %v", err)
	}
	return tx
}

// outputOf returns output i of tx as a coin locked to key 0.
func outputOf(tx *wire.MsgTx, i int) coin {
	return coin{
		op:   wire.OutPoint{TxID: tx.TxID(), Index: uint32(i)},
		out:  tx.TxOut[i],
		priv: testKey(0),
	}
}

// mustAccept submits tx and fails unless exactly want txs were accepted.
func (h *harness) mustAccept(tx *wire.MsgTx, want int) []*TxDesc {
	h.t.Helper()
	acc, missing, err := h.pool.ProcessTransaction(tx, true)
	if err != nil || len(missing) != 0 || len(acc) != want {
		h.t.Fatalf("ProcessTransaction(%s): got %d accepted, %d missing, err %v; want %d accepted",
			tx.TxID(), len(acc), len(missing), err, want)
	}
	return acc
}

func (h *harness) notified() []wire.Hash {
	h.mtx.Lock()
	defer h.mtx.Unlock()
	return append([]wire.Hash(nil), h.accepted...)
}

// resign signs tx again after a test changed it.
func resign(t testing.TB, tx *wire.MsgTx, coins []coin) *wire.MsgTx {
	t.Helper()
	prevOuts := make([]wire.TxOut, len(coins))
	privs := make([]*btcec.PrivateKey, len(coins))
	for i, c := range coins {
		prevOuts[i] = c.out
		privs[i] = c.priv
	}
	if err := keys.SignTx(tx, prevOuts, privs); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tx
}
