package integration

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/internal/procnode"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// maturityMargin is added to the coinbase maturity before the test spends
// a coinbase, so that a node whose virtual is a block or two behind another
// still finds the coin mature.
const maturityMargin = 3

// Fees and outputs of the test's transactions, in base units. Outputs stay
// far above the mempool's dust limit (420).
const (
	minFee       = 1000
	feeSpread    = 4000
	minOutput    = 1000
	maxCoinValue = math.MaxUint64 / 4
)

// relayTimeout bounds the time a transaction takes to reach a peer: inv,
// getdata and tx on loopback take milliseconds, plus the inventory
// trickle.
const relayTimeout = 10 * time.Second

// coin is an output the test can spend.
type coin struct {
	op    wire.OutPoint
	value uint64
	pub   [32]byte
	// blueScore is the blue score of the block whose coinbase made it,
	// for coinbase outputs.
	blueScore uint64
	coinbase  bool
}

// sentTx is a transaction the test made and sent to one node.
type sentTx struct {
	tx   *wire.MsgTx
	id   wire.Hash
	ins  []coin
	fee  uint64
	node int
	kind string
	// ok is set when sendrawtransaction accepted it; err holds the
	// rejection otherwise.
	ok  bool
	err error
}

// wallet holds the test's keys, the coins they own and the transactions
// sent. Its methods are called from the test goroutine only, except
// record, which the double-spend senders call.
type wallet struct {
	privs map[[32]byte]*btcec.PrivateKey
	pubs  [][32]byte

	seenBlocks map[string]bool
	coinbases  []coin // coinbase outputs not spent by the test yet
	spare      []coin // outputs of accepted-by-mempool txs not spent yet

	mu   sync.Mutex
	txs  []*sentTx
	errs []error
	// raceBlocks and raceSkipped count the blocks mined for races and
	// the generate calls a running CPU miner refused.
	raceBlocks, raceSkipped int
}

// newWallet makes n keys.
func newWallet(t *testing.T, n int) *wallet {
	w := &wallet{privs: make(map[[32]byte]*btcec.PrivateKey), seenBlocks: make(map[string]bool)}
	for i := 0; i < n; i++ {
		priv, pub := newKey(t)
		w.privs[pub] = priv
		w.pubs = append(w.pubs, pub)
	}
	return w
}

// units converts an RPC amount in coins to base units. Amounts below 2^53
// base units convert exactly.
func units(coins float64) uint64 {
	return uint64(math.Round(coins * blockdag.BaseUnitsPerCoin))
}

// scan adds the coinbase outputs paid to the wallet's keys in blocks of
// n's order it has not seen yet.
func (w *wallet) scan(n *procnode.Node) error {
	order, err := n.GetDAGOrder()
	if err != nil {
		return err
	}
	for _, b := range order {
		if w.seenBlocks[b.Hash] {
			continue
		}
		blk, err := n.GetBlock(b.Hash, 2)
		if err != nil {
			return err
		}
		w.seenBlocks[b.Hash] = true
		if len(blk.RawTx) == 0 {
			return fmt.Errorf("block %s has no transactions", b.Hash)
		}
		cb := blk.RawTx[0]
		txid, err := wire.NewHashFromStr(cb.TxID)
		if err != nil {
			return err
		}
		for _, out := range cb.Vout {
			pub, err := keys.ParsePubKeyHex(out.PubKey)
			if err != nil {
				return err
			}
			if _, ok := w.privs[pub]; !ok {
				continue
			}
			w.coinbases = append(w.coinbases, coin{
				op: wire.OutPoint{TxID: *txid, Index: out.N}, value: units(out.Value),
				pub: pub, blueScore: blk.BlueScore, coinbase: true,
			})
		}
	}
	return nil
}

// matureCoinbase takes the oldest coinbase output that is mature on n and
// in its UTXO set, or reports false.
func (w *wallet) matureCoinbase(n *procnode.Node) (coin, bool, error) {
	info, err := n.GetDAGInfo()
	if err != nil {
		return coin{}, false, err
	}
	for len(w.coinbases) > 0 {
		c := w.coinbases[0]
		if c.blueScore+blockdag.RegressionNetParams().CoinbaseMaturity+maturityMargin > info.BlueScore {
			return coin{}, false, nil
		}
		w.coinbases = w.coinbases[1:]
		out, err := n.GetTxOut(c.op.TxID.String(), c.op.Index, false)
		if err != nil {
			return coin{}, false, err
		}
		if out == nil {
			// A coinbase that was not accepted (its txid was
			// already there): nothing to spend.
			continue
		}
		if out.BlueScore+blockdag.RegressionNetParams().CoinbaseMaturity+maturityMargin > info.BlueScore {
			w.coinbases = append([]coin{c}, w.coinbases...)
			return coin{}, false, nil
		}
		return c, true, nil
	}
	return coin{}, false, nil
}

// makeTx spends ins to two outputs of random wallet keys, with a random
// fee, signed.
func (w *wallet) makeTx(rng *rand.Rand, ins []coin) (*wire.MsgTx, uint64, error) {
	tx := &wire.MsgTx{Version: wire.TxVersion}
	var total uint64
	prevOuts := make([]wire.TxOut, len(ins))
	privs := make([]*btcec.PrivateKey, len(ins))
	for i, c := range ins {
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: c.op})
		total += c.value
		prevOuts[i] = wire.TxOut{Value: c.value, PubKey: c.pub}
		privs[i] = w.privs[c.pub]
	}
	fee := uint64(minFee + rng.IntN(feeSpread))
	if total < fee+2*minOutput || total > maxCoinValue {
		return nil, 0, fmt.Errorf("inputs of %d units cannot pay two outputs and the fee", total)
	}
	rest := total - fee
	a := minOutput + rng.Uint64N(rest-2*minOutput+1)
	tx.TxOut = []wire.TxOut{
		{Value: a, PubKey: w.pubs[rng.IntN(len(w.pubs))]},
		{Value: rest - a, PubKey: w.pubs[rng.IntN(len(w.pubs))]},
	}
	if err := keys.SignTx(tx, prevOuts, privs); err != nil {
		return nil, 0, err
	}
	return tx, fee, nil
}

// send submits tx to node i and records the outcome. Outputs of an
// accepted tx become spare coins.
func (w *wallet) send(nodes []*procnode.Node, i int, tx *wire.MsgTx, fee uint64, ins []coin, kind string) *sentTx {
	st := &sentTx{tx: tx, id: tx.TxID(), ins: ins, fee: fee, node: i, kind: kind}
	txid, err := nodes[i].SendRawTransaction(hex.EncodeToString(tx.Serialize()))
	switch {
	case err == nil && txid != st.id.String():
		st.err = fmt.Errorf("sendrawtransaction returned txid %s, want %s", txid, st.id)
	case err == nil:
		st.ok = true
	default:
		st.err = err
	}
	w.mu.Lock()
	w.txs = append(w.txs, st)
	w.mu.Unlock()
	return st
}

// addSpare makes the outputs of an accepted transaction spendable.
func (w *wallet) addSpare(st *sentTx) {
	for i, out := range st.tx.TxOut {
		w.spare = append(w.spare, coin{op: wire.OutPoint{TxID: st.id, Index: uint32(i)},
			value: out.Value, pub: out.PubKey})
	}
}

// sendLoad sends transactions to random nodes until the duration is over:
// spends of mature coinbases, chains on the test's own outputs (to the
// parent's node, or to another that may not have the parent yet), double
// spends sent at once to two nodes, and spends mined on two nodes at once.
func (w *wallet) sendLoad(t *testing.T, rng *rand.Rand, nodes []*procnode.Node, d time.Duration) {
	t.Helper()
	end := time.Now().Add(d)
	lastScan := time.Time{}
	for time.Now().Before(end) {
		if time.Since(lastScan) > time.Second {
			if err := w.scan(nodes[rng.IntN(len(nodes))]); err != nil {
				t.Fatalf("scan: %v", err)
			}
			lastScan = time.Now()
		}
		i := rng.IntN(len(nodes))
		switch p := rng.IntN(20); {
		case p < 12:
			c, ok, err := w.matureCoinbase(nodes[i])
			if err != nil {
				t.Fatalf("coinbase: %v", err)
			}
			if !ok {
				w.sendChain(t, rng, nodes, i)
				break
			}
			tx, fee, err := w.makeTx(rng, []coin{c})
			if err != nil {
				t.Fatalf("make tx: %v", err)
			}
			if st := w.send(nodes, i, tx, fee, []coin{c}, "coinbase spend"); st.ok {
				w.addSpare(st)
			}
		case p < 15:
			c, ok, err := w.matureCoinbase(nodes[i])
			if err != nil {
				t.Fatalf("coinbase: %v", err)
			}
			if ok {
				w.sendDoubleSpend(t, rng, nodes, c, rng.IntN(2) == 0)
			}
		case p < 16:
			c, ok, err := w.matureCoinbase(nodes[i])
			if err != nil {
				t.Fatalf("coinbase: %v", err)
			}
			if ok {
				w.sendTwiceMined(t, rng, nodes, c)
			}
		default:
			w.sendChain(t, rng, nodes, i)
		}
		time.Sleep(time.Duration(20+rng.IntN(60)) * time.Millisecond)
	}
}

// sendChain spends one or two spare outputs, to the node that took the
// parent most of the time.
func (w *wallet) sendChain(t *testing.T, rng *rand.Rand, nodes []*procnode.Node, i int) {
	t.Helper()
	if len(w.spare) == 0 {
		return
	}
	k := min(1+rng.IntN(2), len(w.spare))
	ins := make([]coin, 0, k)
	for j := 0; j < k; j++ {
		idx := rng.IntN(len(w.spare))
		ins = append(ins, w.spare[idx])
		w.spare = append(w.spare[:idx], w.spare[idx+1:]...)
	}
	if rng.IntN(10) < 7 {
		// To the parent's node, where the parent surely is.
		w.mu.Lock()
		for _, st := range w.txs {
			if st.id == ins[0].op.TxID {
				i = st.node
			}
		}
		w.mu.Unlock()
	}
	tx, fee, err := w.makeTx(rng, ins)
	if err != nil {
		t.Fatalf("make tx: %v", err)
	}
	if st := w.send(nodes, i, tx, fee, ins, "chain"); st.ok {
		w.addSpare(st)
	}
}

// sendDoubleSpend sends two different spends of one coin to two nodes at
// the same moment.
func (w *wallet) sendDoubleSpend(t *testing.T, rng *rand.Rand, nodes []*procnode.Node, c coin, race bool) {
	t.Helper()
	a := rng.IntN(len(nodes))
	b := (a + 1 + rng.IntN(len(nodes)-1)) % len(nodes)
	var txs [2]*wire.MsgTx
	var fees [2]uint64
	for j := range txs {
		var err error
		txs[j], fees[j], err = w.makeTx(rng, []coin{c})
		if err != nil {
			t.Fatalf("make tx: %v", err)
		}
	}
	// With race, both nodes mine at once right after, so that each spend
	// may land in a block of its own, in each other's anticone, and the
	// DAG's order, not the mempools, must pick one.
	var wg sync.WaitGroup
	for j, target := range []int{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.send(nodes, target, txs[j], fees[j], []coin{c}, "double spend")
			if race {
				w.generate(nodes, target)
			}
		}()
	}
	wg.Wait()
	// Only one of them can last: building on either would make chains
	// that may vanish, which the chain case covers already.
}

// sendTwiceMined sends a coinbase spend to one node, waits until another
// has it too, then mines on both at once, so that the transaction is in two
// blocks in each other's anticone and must be accepted once.
func (w *wallet) sendTwiceMined(t *testing.T, rng *rand.Rand, nodes []*procnode.Node, c coin) {
	t.Helper()
	a := rng.IntN(len(nodes))
	b := (a + 1 + rng.IntN(len(nodes)-1)) % len(nodes)
	tx, fee, err := w.makeTx(rng, []coin{c})
	if err != nil {
		t.Fatalf("make tx: %v", err)
	}
	st := w.send(nodes, a, tx, fee, []coin{c}, "mined twice")
	if !st.ok {
		return
	}
	w.addSpare(st)
	// Relay must bring it to the other node (into its mempool, or into
	// its UTXO set if a block took it first): gettxout sees both.
	deadline := time.Now().Add(relayTimeout)
	for {
		out, err := nodes[b].GetTxOut(st.id.String(), 0, true)
		if err != nil {
			t.Fatalf("gettxout: %v", err)
		}
		if out != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("tx %s sent to node %d did not reach node %d within %v", st.id, a, b, relayTimeout)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	var wg sync.WaitGroup
	for _, target := range []int{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.generate(nodes, target)
		}()
	}
	wg.Wait()
}

// sendRaces runs races with every CPU miner off, so that both nodes of a
// race mine: double spends mined at once on two nodes, and one spend mined
// at once on two nodes.
func (w *wallet) sendRaces(t *testing.T, rng *rand.Rand, nodes []*procnode.Node, races int) {
	t.Helper()
	for r := 0; r < races; r++ {
		if err := w.scan(nodes[0]); err != nil {
			t.Fatalf("scan: %v", err)
		}
		c, ok, err := w.matureCoinbase(nodes[0])
		if err != nil {
			t.Fatalf("coinbase: %v", err)
		}
		if !ok {
			if _, err := nodes[r%len(nodes)].Generate(5); err != nil {
				t.Fatalf("generate: %v", err)
			}
			continue
		}
		if r%2 == 0 {
			w.sendDoubleSpend(t, rng, nodes, c, true)
		} else {
			w.sendTwiceMined(t, rng, nodes, c)
		}
	}
}

// generate mines one block on node i for a race between two nodes. A node
// whose CPU miner mineRandomly switched on refuses generate; it then takes
// no part in the race, and its miner will mine the transaction anyway.
func (w *wallet) generate(nodes []*procnode.Node, i int) {
	_, err := nodes[i].Generate(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil:
		w.raceBlocks++
	case strings.Contains(err.Error(), "CPU miner is running"):
		w.raceSkipped++
	default:
		w.errs = append(w.errs, fmt.Errorf("generate on node %d: %w", i, err))
	}
}

// fail records an error of a helper goroutine for the test to report.
func (w *wallet) fail(err error) {
	w.mu.Lock()
	w.errs = append(w.errs, err)
	w.mu.Unlock()
}

// flushMempools mines blocks on rotating nodes until every mempool is
// empty, and fails the test if a transaction stays.
func flushMempools(t *testing.T, nodes []*procnode.Node) {
	t.Helper()
	const rounds = 30
	for r := 0; r < rounds; r++ {
		waitConverged(t, convergeTimeout, nodes...)
		empty := true
		var left []string
		for _, n := range nodes {
			ids, err := n.GetRawMempool()
			if err != nil {
				t.Fatalf("getrawmempool: %v", err)
			}
			if len(ids) > 0 {
				empty = false
				left = ids
			}
		}
		if empty {
			return
		}
		if r == rounds-1 {
			t.Fatalf("mempools still hold transactions after %d blocks, such as %v", rounds, left[:min(len(left), 5)])
		}
		if _, err := nodes[r%len(nodes)].Generate(1); err != nil {
			t.Fatalf("generate: %v", err)
		}
	}
}

// acceptedSet returns, for node n, which of the sent transactions the DAG
// accepted: an accepted transaction's outputs are each unspent or spent by
// an accepted transaction of the test (nobody else has the keys), and an
// unaccepted one's outputs do not exist.
func (w *wallet) acceptedSet(n *procnode.Node) (map[wire.Hash]bool, error) {
	accepted := make(map[wire.Hash]bool)
	spentByAccepted := make(map[wire.OutPoint]bool)
	for i := len(w.txs) - 1; i >= 0; i-- {
		st := w.txs[i]
		if accepted[st.id] {
			// The same transaction sent twice: decided already.
			continue
		}
		acc := false
		for k := range st.tx.TxOut {
			op := wire.OutPoint{TxID: st.id, Index: uint32(k)}
			if spentByAccepted[op] {
				acc = true
				break
			}
			out, err := n.GetTxOut(st.id.String(), uint32(k), false)
			if err != nil {
				return nil, err
			}
			if out != nil {
				acc = true
				break
			}
		}
		if acc {
			accepted[st.id] = true
			for _, in := range st.ins {
				spentByAccepted[in.op] = true
			}
		}
	}
	return accepted, nil
}

// TestTransactions mines on four nodes while a load of signed transactions
// goes to different nodes: spends of mature coinbases paid to the test's
// keys, chains of unconfirmed transactions, double spends sent to two nodes
// at once. Afterwards every node must agree on which transactions were
// accepted, each accepted exactly once, a double spend at most once, every
// transaction a node took must be accepted unless a conflict was, and the
// UTXO set must hold exactly the accepted coinbase outputs minus the burned
// fees.
func TestTransactions(t *testing.T) {
	rng := newRand(t)
	const numNodes = 4
	w := newWallet(t, numNodes)
	nodes := make([]*procnode.Node, numNodes)
	for i := range nodes {
		nodes[i] = startNode(t, withMiningKey(w.pubs[i]))
	}
	connectLinks(t, nodes, []link{{1, 0}, {2, 1}, {3, 2}, {0, 3}, {2, 0}})

	// Coins to spend: the first blocks mature as the mining goes on.
	for i := 0; i < 12; i++ {
		if _, err := nodes[i%numNodes].Generate(10); err != nil {
			t.Fatalf("generate: %v", err)
		}
	}
	waitConverged(t, convergeTimeout, nodes...)

	d := pick(15*time.Second, time.Minute)
	mineRng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	var ms mineStats
	mined := make(chan []error, 1)
	go func() { mined <- mineRandomly(mineRng, nodes, d, &ms) }()
	w.sendLoad(t, rng, nodes, d)
	for _, err := range <-mined {
		t.Error(err)
	}
	for _, err := range w.errs {
		t.Error(err)
	}

	w.sendRaces(t, rng, nodes, pick(20, 60))

	flushMempools(t, nodes)
	state := waitConverged(t, convergeTimeout, nodes...)
	order := checkSameOrder(t, nodes...)
	w.checkAcceptance(t, nodes)
	w.checkSupply(t, nodes, order, state)
}

// checkAcceptance checks the fate of every transaction sent.
func (w *wallet) checkAcceptance(t *testing.T, nodes []*procnode.Node) {
	t.Helper()
	var sets []map[wire.Hash]bool
	for i, n := range nodes {
		set, err := w.acceptedSet(n)
		if err != nil {
			t.Fatalf("node %d: acceptance: %v", i, err)
		}
		sets = append(sets, set)
	}
	accepted := sets[0]
	for i, set := range sets[1:] {
		if len(set) != len(accepted) {
			t.Fatalf("node %d accepted %d transactions, node 0 %d", i+1, len(set), len(accepted))
		}
		for id := range set {
			if !accepted[id] {
				t.Fatalf("node %d accepted %s, node 0 did not", i+1, id)
			}
		}
	}

	spenders := make(map[wire.OutPoint][]*sentTx)
	counts := make(map[string][2]int)
	var rejected []string
	for _, st := range w.txs {
		c := counts[st.kind]
		c[0]++
		if accepted[st.id] {
			c[1]++
			for _, in := range st.ins {
				spenders[in.op] = append(spenders[in.op], st)
			}
		}
		counts[st.kind] = c
		if !st.ok {
			var rpcErr *rpcmodel.RPCError
			if !errors.As(st.err, &rpcErr) {
				t.Errorf("tx %s to node %d: %v, want an RPC rejection", st.id, st.node, st.err)
			}
			if accepted[st.id] {
				t.Errorf("tx %s (%s) was rejected by node %d (%v) yet accepted", st.id, st.kind, st.node, st.err)
			}
			if len(rejected) < 5 {
				rejected = append(rejected, fmt.Sprintf("%s: %v", st.kind, st.err))
			}
		}
	}
	for op, list := range spenders {
		if len(list) > 1 {
			t.Errorf("outpoint %s spent by %d accepted transactions", op, len(list))
		}
	}
	// A transaction a node took must end accepted, unless a conflicting
	// one was accepted or a parent was not.
	for _, st := range w.txs {
		if !st.ok || accepted[st.id] {
			continue
		}
		excused := false
		for _, in := range st.ins {
			if list := spenders[in.op]; len(list) > 0 {
				excused = true
			}
			if !in.coinbase && !accepted[in.op.TxID] {
				excused = true
			}
		}
		if !excused {
			t.Errorf("tx %s (%s, node %d) was taken but never accepted, with no conflict accepted",
				st.id, st.kind, st.node)
		}
	}
	t.Logf("transactions sent (kind: sent/accepted): %v; %d race blocks (%d generate calls "+
		"refused for a running miner); rejections such as %v", counts, w.raceBlocks, w.raceSkipped, rejected)
}

// checkSupply checks that the UTXO set holds exactly the coinbase outputs
// of the ordered blocks plus the outputs of the accepted transactions minus
// their inputs: no coin created or lost, fees burned.
func (w *wallet) checkSupply(t *testing.T, nodes []*procnode.Node, order []rpcmodel.ColoredBlock, state dagState) {
	t.Helper()
	accepted, err := w.acceptedSet(nodes[0])
	if err != nil {
		t.Fatalf("acceptance: %v", err)
	}
	params := blockdag.RegressionNetParams()
	var cbTotal, cbCount uint64
	seenCoinbase := make(map[string]bool)
	inclusions := make(map[string]int)
	for _, b := range order {
		blk, err := nodes[0].GetBlock(b.Hash, 2)
		if err != nil {
			t.Fatalf("getblock %s: %v", b.Hash, err)
		}
		cb := blk.RawTx[0]
		if !cb.Coinbase {
			t.Fatalf("block %s: first transaction is not a coinbase", b.Hash)
		}
		if seenCoinbase[cb.TxID] {
			t.Fatalf("coinbase %s appears twice in the order", cb.TxID)
		}
		seenCoinbase[cb.TxID] = true
		var sum uint64
		for _, out := range cb.Vout {
			sum += units(out.Value)
		}
		if b.Hash != params.GenesisHash.String() && sum > params.CalcBlockSubsidy(blk.BlueScore) {
			t.Errorf("block %s (blue score %d) pays %d, above the subsidy %d", b.Hash,
				blk.BlueScore, sum, params.CalcBlockSubsidy(blk.BlueScore))
		}
		cbTotal += sum
		cbCount += uint64(len(cb.Vout))
		for _, tx := range blk.RawTx[1:] {
			inclusions[tx.TxID]++
		}
	}

	var fees uint64
	count := int64(cbCount)
	multi, includedUnaccepted := 0, 0
	for _, st := range w.txs {
		if accepted[st.id] {
			fees += st.fee
			count += int64(len(st.tx.TxOut)) - int64(len(st.ins))
			if inclusions[st.id.String()] == 0 {
				t.Errorf("tx %s is accepted but in no block of the order", st.id)
			}
		} else if inclusions[st.id.String()] > 0 {
			includedUnaccepted++
		}
		if inclusions[st.id.String()] > 1 {
			multi++
		}
	}
	for i, n := range nodes {
		stats, err := n.GetUTXOStats()
		if err != nil {
			t.Fatalf("node %d: getutxostats: %v", i, err)
		}
		if stats.TotalUnits != cbTotal-fees || int64(stats.Count) != count ||
			stats.Commitment != state.Commitment {
			t.Errorf("node %d: UTXO set %d outputs, %d units, commitment %s; want %d outputs, "+
				"%d units (coinbases %d minus fees %d), commitment %s", i, stats.Count,
				stats.TotalUnits, stats.Commitment, count, cbTotal-fees, cbTotal, fees, state.Commitment)
		}
	}
	t.Logf("supply: %d blocks, coinbases %d units, %d accepted txs burned %d; "+
		"%d txs in several blocks, %d in blocks but not accepted; %s",
		len(order), cbTotal, len(accepted), fees, multi, includedUnaccepted, dagShape(t, nodes[0], order))
}
