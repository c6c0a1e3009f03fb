package main

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// Transaction shape and amounts of the benchmark's spends.
const (
	// benchTxFee is what every benchmark transaction burns: about six base
	// units per byte of a 1-in/1-out transaction, well above the default
	// relay fee, so the same transactions would also pass a mempool.
	benchTxFee = 1000

	// minBenchOutput is the smallest output the wallet makes, above the
	// mempool's dust limit (420) for the same reason.
	minBenchOutput = 1000
)

// coin is an output the benchmark wallet can spend.
type coin struct {
	op  wire.OutPoint
	out wire.TxOut
	key int
}

// maturingCoinbase is a coinbase output waiting for CoinbaseMaturity.
type maturingCoinbase struct {
	coin
	blueScore uint64
}

// wallet keeps the keys and the spendable outputs of the source DAG and
// makes signed transactions from them. Coins become spendable one round
// after the round that created them, so that every transaction of a round
// spends outputs in the past of all the round's blocks and the blocks of
// one round never spend the same output. It is not safe for concurrent
// use, except signRound, which signs on every core.
type wallet struct {
	params *blockdag.Params
	privs  []*btcec.PrivateKey
	pubs   [][wire.PubKeySize]byte

	// pool holds the spendable coins, oldest first; head is the index of
	// the next one to spend, so popping does not copy.
	pool []coin
	head int

	// coinbases wait, oldest first, until they mature.
	coinbases []maturingCoinbase

	// created collects the outputs of the round being built; they join
	// pool when the round is connected.
	created []coin
}

// newWallet returns a wallet with n fresh keys: one per parallel miner.
func newWallet(params *blockdag.Params, n int) (*wallet, error) {
	w := &wallet{params: params}
	for i := 0; i < n; i++ {
		priv, pub, err := keys.GenerateKey()
		if err != nil {
			return nil, fmt.Errorf("generate a wallet key: %w", err)
		}
		w.privs = append(w.privs, priv)
		w.pubs = append(w.pubs, pub)
	}
	return w, nil
}

// spendable returns how many coins the pool holds.
func (w *wallet) spendable() int {
	return len(w.pool) - w.head
}

// pop returns the oldest spendable coin.
func (w *wallet) pop() (coin, bool) {
	if w.head == len(w.pool) {
		return coin{}, false
	}
	c := w.pool[w.head]
	w.head++
	// Reclaim the spent prefix once it is the larger part, so the slice
	// does not grow without bound over a long build.
	if w.head > 1024 && w.head*2 > len(w.pool) {
		n := copy(w.pool, w.pool[w.head:])
		w.pool = w.pool[:n]
		w.head = 0
	}
	return c, true
}

// addCoinbase records the coinbase of a connected block at blueScore.
func (w *wallet) addCoinbase(cb *wire.MsgTx, key int, blueScore uint64) {
	if len(cb.TxOut) == 0 {
		// Far down the halving schedule the coinbase pays nothing.
		return
	}
	w.coinbases = append(w.coinbases, maturingCoinbase{
		coin: coin{
			op:  wire.OutPoint{TxID: cb.TxID(), Index: 0},
			out: cb.TxOut[0],
			key: key,
		},
		blueScore: blueScore,
	})
}

// matureCoinbases moves coinbases that a block at blueScore may spend into
// the pool while the pool holds fewer than need coins. fetch confirms that
// the output is in the virtual's UTXO set: a coinbase of a red block that
// lost a conflict is skipped rather than spent.
func (w *wallet) matureCoinbases(blueScore uint64, need int,
	fetch func(wire.OutPoint) (*blockdag.UTXOEntry, bool)) {

	i := 0
	for ; i < len(w.coinbases) && w.spendable() < need; i++ {
		cb := w.coinbases[i]
		if blueScore < cb.blueScore+w.params.CoinbaseMaturity {
			break
		}
		e, ok := fetch(cb.op)
		if !ok || blueScore < e.BlueScore+w.params.CoinbaseMaturity {
			continue
		}
		w.pool = append(w.pool, cb.coin)
	}
	w.coinbases = w.coinbases[i:]
}

// unsignedTx is a transaction of the round with what signing it needs.
type unsignedTx struct {
	tx      *wire.MsgTx
	prevOut wire.TxOut
	key     int
}

// makeTxs returns up to count transactions for one block, each spending
// one coin from the pool. A transaction splits its coin in two while the
// coins for the next round (the pool left, the outputs made so far and
// this one's) would be fewer than need, and otherwise pays it on minus the
// fee. Outputs pay to key.
func (w *wallet) makeTxs(count, need, key int) []unsignedTx {
	txs := make([]unsignedTx, 0, count)
	for len(txs) < count {
		c, ok := w.pop()
		if !ok {
			break
		}
		if c.out.Value < benchTxFee+minBenchOutput {
			// Too small to spend at the benchmark's fee: drop it.
			continue
		}
		rest := c.out.Value - benchTxFee
		var outs []wire.TxOut
		if w.spendable()+len(w.created)+1 < need && rest >= 2*minBenchOutput {
			half := rest / 2
			outs = []wire.TxOut{
				{Value: half, PubKey: w.pubs[key]},
				{Value: rest - half, PubKey: w.pubs[key]},
			}
		} else {
			outs = []wire.TxOut{{Value: rest, PubKey: w.pubs[key]}}
		}
		tx := &wire.MsgTx{
			Version: wire.TxVersion,
			TxIn:    []wire.TxIn{{PreviousOutPoint: c.op}},
			TxOut:   outs,
		}
		txid := tx.TxID()
		for i := range outs {
			w.created = append(w.created, coin{
				op:  wire.OutPoint{TxID: txid, Index: uint32(i)},
				out: outs[i],
				key: key,
			})
		}
		txs = append(txs, unsignedTx{tx: tx, prevOut: c.out, key: c.key})
	}
	return txs
}

// endRound makes the outputs of the round just connected spendable.
func (w *wallet) endRound() {
	w.pool = append(w.pool, w.created...)
	w.created = w.created[:0]
}

// errSign is returned when a signature cannot be made, which only a broken
// random source or key would cause.
var errSign = errors.New("sign a benchmark transaction")

// signRound signs every transaction on all cores. Each has one input, so
// its signature hash needs only the txid and the spent output; FastSign
// skips the verification btcec does after signing by default, which would
// double the cost (the DAG verifies every signature when it connects the
// block anyway).
func (w *wallet) signRound(txs []unsignedTx) error {
	workers := min(runtime.NumCPU(), len(txs))
	if workers == 0 {
		return nil
	}
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	next := make(chan int, len(txs))
	for i := range txs {
		next <- i
	}
	close(next)
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := w.sign(&txs[i]); err != nil {
					errOnce.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// sign signs the single input of u.tx.
func (w *wallet) sign(u *unsignedTx) error {
	prevOutsHash := wire.PrevOutsHash([]wire.TxOut{u.prevOut})
	sighash := wire.SignatureHashFromParts(u.tx.TxID(), 0, prevOutsHash)
	sig, err := schnorr.Sign(w.privs[u.key], sighash[:], schnorr.FastSign())
	if err != nil {
		return fmt.Errorf("%w: %v", errSign, err)
	}
	copy(u.tx.TxIn[0].Signature[:], sig.Serialize())
	return nil
}
