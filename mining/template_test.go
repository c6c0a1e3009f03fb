package mining

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/wire"
)

func newTestGenerator(t *testing.T, chain *fakeChain, mod func(*Config)) *Generator {
	t.Helper()
	cfg := &Config{
		Params:             chain.params,
		TemplateState:      chain.state,
		CheckBlockTemplate: chain.check,
		FetchUTXO:          chain.fetchUTXO,
	}
	if mod != nil {
		mod(cfg)
	}
	g, err := NewGenerator(cfg)
	if err != nil {
		t.Fatalf("NewGenerator: %v", err)
	}
	return g
}

func TestNewBlockTemplate(t *testing.T) {
	params := blockdag.RegressionNetParams()
	chain := newFakeChain(params)
	// Three unsorted tips.
	chain.tips = []wire.Hash{{3}, {1}, {2}}
	chain.blueScore = 151 // past the first regtest halving (150)
	chain.height = 40
	now := time.UnixMilli(params.GenesisBlock.Header.Timestamp + 60_000)
	g := newTestGenerator(t, chain, func(c *Config) { c.TimeSource = fixedTime(now) })

	tmpl, err := g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	b := tmpl.Block
	if err := chain.check(b); err != nil {
		t.Fatalf("template invalid: %v", err)
	}
	if want := []wire.Hash{{1}, {2}, {3}}; len(b.Header.Parents) != 3 ||
		b.Header.Parents[0] != want[0] || b.Header.Parents[2] != want[2] {
		t.Errorf("parents: got %v, want sorted %v", b.Header.Parents, want)
	}
	if b.Header.Timestamp != now.UnixMilli() {
		t.Errorf("timestamp: got %d, want now %d", b.Header.Timestamp, now.UnixMilli())
	}
	if tmpl.Height != 40 || tmpl.BlueScore != 151 || b.Header.Bits != params.PowLimitBits {
		t.Errorf("height %d, blue score %d, bits %08x: not the state's", tmpl.Height, tmpl.BlueScore, b.Header.Bits)
	}
	cb := b.Transactions[0]
	if payloadBlueScore(cb) != 151 || string(payloadTag(cb)) != DefaultMinerTag {
		t.Errorf("coinbase payload %x: want blue score 151 and tag %q", cb.Payload, DefaultMinerTag)
	}
	wantSubsidy := params.BaseSubsidy / 2
	if len(cb.TxOut) != 1 || cb.TxOut[0].Value != wantSubsidy || cb.TxOut[0].PubKey != payTo ||
		tmpl.Subsidy != wantSubsidy {
		t.Errorf("coinbase outputs %+v: want %d to the miner", cb.TxOut, wantSubsidy)
	}

	// A second template on the same state differs in its extra nonce.
	tmpl2, err := g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl2.Block.Transactions[0].TxID() == cb.TxID() {
		t.Errorf("two templates share a coinbase txid")
	}

	// A timestamp source behind the DAG's minimum gives the minimum.
	chain.minTime = now.UnixMilli() + 5000
	tmpl3, err := g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl3.Block.Header.Timestamp != chain.minTime {
		t.Errorf("timestamp behind the minimum: got %d, want %d", tmpl3.Block.Header.Timestamp, chain.minTime)
	}
	g.UpdateTimestamp(tmpl3)
	if tmpl3.Block.Header.Timestamp != chain.minTime {
		t.Errorf("UpdateTimestamp: got %d, want %d", tmpl3.Block.Header.Timestamp, chain.minTime)
	}
}

func TestTemplateZeroSubsidy(t *testing.T) {
	params := blockdag.RegressionNetParams()
	chain := newFakeChain(params)
	chain.blueScore = params.SubsidyHalvingInterval * 64
	g := newTestGenerator(t, chain, nil)
	tmpl, err := g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	if cb := tmpl.Block.Transactions[0]; len(cb.TxOut) != 0 || tmpl.Subsidy != 0 {
		t.Errorf("zero subsidy: coinbase has %d outputs, want none", len(cb.TxOut))
	}
}

func TestTemplateStateErrors(t *testing.T) {
	params := blockdag.RegressionNetParams()
	many := make([]wire.Hash, params.MaxParents+1)
	for i := range many {
		many[i] = wire.Hash{byte(i + 1)}
	}
	tests := []struct {
		name  string
		state TemplateState
		err   error
	}{
		{"no parents", TemplateState{Bits: params.PowLimitBits}, nil},
		{"too many parents", TemplateState{Parents: many, Bits: params.PowLimitBits}, nil},
		{"duplicate parent", TemplateState{Parents: []wire.Hash{{1}, {1}}, Bits: params.PowLimitBits}, nil},
		{"zero bits", TemplateState{Parents: []wire.Hash{{1}}}, nil},
		{"negative bits", TemplateState{Parents: []wire.Hash{{1}}, Bits: 0x04923456}, nil},
		{"above the limit", TemplateState{Parents: []wire.Hash{{1}}, Bits: 0x2100ffff}, nil},
		{"state error", TemplateState{}, errors.New("dag closed")},
	}
	for _, test := range tests {
		g, err := NewGenerator(&Config{Params: params, TemplateState: func() (TemplateState, error) {
			return test.state, test.err
		}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.NewBlockTemplate(payTo)
		if test.err != nil {
			if !errors.Is(err, test.err) {
				t.Errorf("%s: got %v, want %v", test.name, err, test.err)
			}
			continue
		}
		if !errors.Is(err, ErrTemplateState) {
			t.Errorf("%s: got %v, want %v", test.name, err, ErrTemplateState)
		}
	}
}

func TestNewGeneratorConfig(t *testing.T) {
	params := blockdag.RegressionNetParams()
	state := func() (TemplateState, error) { return TemplateState{}, nil }
	long := string(make([]byte, params.MaxCoinbasePayloadLen))
	tests := []struct {
		name  string
		cfg   *Config
		valid bool
	}{
		{"minimal", &Config{Params: params, TemplateState: state}, true},
		{"nil", nil, false},
		{"no params", &Config{TemplateState: state}, false},
		{"no state", &Config{Params: params}, false},
		{"block too big", &Config{Params: params, TemplateState: state, MaxBlockSize: params.MaxBlockSize + 1}, false},
		{"block too small", &Config{Params: params, TemplateState: state, MaxBlockSize: 10}, false},
		{"tag too long", &Config{Params: params, TemplateState: state, MinerTag: long}, false},
	}
	for _, test := range tests {
		if _, err := NewGenerator(test.cfg); (err == nil) != test.valid {
			t.Errorf("%s: got %v, want valid=%v", test.name, err, test.valid)
		}
	}
}

// txSpending returns a transaction spending ops into one output of value.
func txSpending(value uint64, ops ...wire.OutPoint) *wire.MsgTx {
	tx := &wire.MsgTx{Version: wire.TxVersion}
	for _, op := range ops {
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: op})
	}
	tx.TxOut = []wire.TxOut{{Value: value, PubKey: payTo}}
	return tx
}

// desc describes tx for a TxSource, with the fee given.
func desc(tx *wire.MsgTx, fee uint64) *mempool.TxDesc {
	return &mempool.TxDesc{Tx: tx, TxID: tx.TxID(), Size: tx.SerializeSize(), Fee: fee}
}

func TestTemplateTxSelection(t *testing.T) {
	params := blockdag.RegressionNetParams()
	chain := newFakeChain(params)
	chain.blueScore = 500
	fund := func(i uint32, value uint64) wire.OutPoint {
		op := wire.OutPoint{TxID: wire.Hash{0xfd}, Index: i}
		chain.utxos[op] = &blockdag.UTXOEntry{Amount: value, PubKey: payTo, BlueScore: 1}
		return op
	}

	low := txSpending(9_900, fund(0, 10_000))                      // 100
	parent := txSpending(9_800, fund(1, 10_000))                   // 200
	child := txSpending(4_800, wire.OutPoint{TxID: parent.TxID()}) // 5000, waits for parent
	high := txSpending(9_000, fund(2, 10_000))                     // 1000
	conflict := txSpending(9_500, fund(2, 10_000))                 // spends high's input
	missing := txSpending(9_000, wire.OutPoint{TxID: wire.Hash{0xee}})
	nonFinal := txSpending(9_000, fund(3, 10_000))
	nonFinal.LockTime = 501
	orphanChild := txSpending(100, wire.OutPoint{TxID: missing.TxID()})
	tooMuch := txSpending(20_000, fund(4, 10_000))
	coinbase := &wire.MsgTx{Version: wire.TxVersion, Payload: make([]byte, 16)}

	pool := &fakePool{descs: []*mempool.TxDesc{
		// MiningDescs order: fee rate, highest first.
		desc(child, 5000), desc(high, 1000), desc(conflict, 500), desc(missing, 400),
		desc(nonFinal, 300), desc(orphanChild, 300), desc(parent, 200), desc(low, 100),
		desc(tooMuch, 100), desc(coinbase, 0),
	}}
	g := newTestGenerator(t, chain, func(c *Config) { c.TxSource = pool })
	tmpl, err := g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	got := tmpl.Block.Transactions[1:]
	want := []*wire.MsgTx{high, parent, child, low}
	if len(got) != len(want) {
		t.Fatalf("selected %d txs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("tx %d: got %s, want %s", i, got[i].TxID(), want[i].TxID())
		}
	}
	if tmpl.Fees != 1000+200+5000+100 {
		t.Errorf("fees: got %d", tmpl.Fees)
	}
	if wantFees := []uint64{0, 1000, 200, 5000, 100}; !slices.Equal(tmpl.TxFees, wantFees) {
		t.Errorf("per-tx fees: got %v, want %v", tmpl.TxFees, wantFees)
	}

	// Without FetchUTXO the generator trusts the pool for inputs, still
	// orders parents first and refuses in-block double spends; the DAG's
	// check then throws out a template whose txs do not hold, and mining
	// goes on with the coinbase alone.
	g = newTestGenerator(t, chain, func(c *Config) { c.TxSource = pool; c.FetchUTXO = nil })
	tmpl, err = g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	if len(tmpl.Block.Transactions) != 1 || tmpl.Fees != 0 || !slices.Equal(tmpl.TxFees, []uint64{0}) {
		t.Errorf("fallback: got %d txs (fees %v), want the coinbase alone",
			len(tmpl.Block.Transactions), tmpl.TxFees)
	}
	pool.descs = []*mempool.TxDesc{desc(child, 5000), desc(high, 1000), desc(conflict, 500), desc(parent, 200)}
	tmpl, err = g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	if got := tmpl.Block.Transactions[1:]; len(got) != 3 || got[0] != high || got[1] != parent || got[2] != child {
		t.Errorf("trusting the pool: got %d txs, want high, parent, child", len(got))
	}
}

func TestTemplateSizeLimit(t *testing.T) {
	params := blockdag.RegressionNetParams()
	chain := newFakeChain(params)
	var descs []*mempool.TxDesc
	for i := 0; i < 50; i++ {
		op := wire.OutPoint{TxID: wire.Hash{0xfd}, Index: uint32(i)}
		chain.utxos[op] = &blockdag.UTXOEntry{Amount: 10_000, PubKey: payTo, BlueScore: 1}
		descs = append(descs, desc(txSpending(9_000, op), 1000))
	}
	const limit = 3000
	g := newTestGenerator(t, chain, func(c *Config) {
		c.TxSource = &fakePool{descs: descs}
		c.MaxBlockSize = limit
	})
	tmpl, err := g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	size := tmpl.Block.SerializeSize()
	if size > limit || limit-size > descs[0].Size+maxTxCountVarIntSize {
		t.Errorf("block of %d bytes for a limit of %d: over it, or room left for another tx", size, limit)
	}
}

func TestTemplateCheckFails(t *testing.T) {
	params := blockdag.RegressionNetParams()
	chain := newFakeChain(params)
	broken := errors.New("broken DAG")
	g := newTestGenerator(t, chain, func(c *Config) {
		c.CheckBlockTemplate = func(*wire.MsgBlock) error { return broken }
	})
	if _, err := g.NewBlockTemplate(payTo); !errors.Is(err, ErrTemplateInvalid) || !errors.Is(err, broken) {
		t.Errorf("got %v, want %v wrapping %v", err, ErrTemplateInvalid, broken)
	}
}

// TestNewCoinbase checks that a coinbase made for a template's blue score
// can replace the template's own: same value and payload shape, another
// extra nonce, and the block stays valid with the merkle root redone.
func TestNewCoinbase(t *testing.T) {
	params := blockdag.RegressionNetParams()
	chain := newFakeChain(params)
	chain.blueScore = 151
	g := newTestGenerator(t, chain, nil)
	tmpl, err := g.NewBlockTemplate(payTo)
	if err != nil {
		t.Fatal(err)
	}
	other := wire.Hash{0x42}
	tests := []struct {
		name  string
		payTo [wire.PubKeySize]byte
	}{
		{"same key", payTo},
		{"other key", other},
	}
	old := tmpl.Block.Transactions[0]
	for _, test := range tests {
		cb := g.NewCoinbase(tmpl.BlueScore, test.payTo)
		if cb.TxID() == old.TxID() {
			t.Errorf("%s: the new coinbase has the template's txid", test.name)
		}
		if len(cb.Payload) != len(old.Payload) || payloadBlueScore(cb) != 151 ||
			string(payloadTag(cb)) != DefaultMinerTag {
			t.Errorf("%s: payload %x, want the shape of %x", test.name, cb.Payload, old.Payload)
		}
		if len(cb.TxOut) != 1 || cb.TxOut[0].Value != tmpl.Subsidy || cb.TxOut[0].PubKey != test.payTo {
			t.Errorf("%s: outputs %+v", test.name, cb.TxOut)
		}
		block := *tmpl.Block
		block.Transactions = append([]*wire.MsgTx{cb}, tmpl.Block.Transactions[1:]...)
		block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
		if err := chain.check(&block); err != nil {
			t.Errorf("%s: block with the new coinbase: %v", test.name, err)
		}
	}
}

// TestSearch checks the nonce search against hashing each nonce by hand,
// including a start that wraps around 2^64.
func TestSearch(t *testing.T) {
	header := wire.BlockHeader{Version: 1, Parents: []wire.Hash{{7}}, Bits: 0x207fffff}
	easy := TargetFromBits(0x207fffff)
	none := Target{}
	tests := []struct {
		name   string
		start  uint64
		count  int
		target *Target
		found  bool
	}{
		{"easy", 0, 64, &easy, true},
		{"easy wraps", ^uint64(0) - 1, 64, &easy, true},
		{"unreachable", 10, 100, &none, false},
		{"no count", 0, 0, &easy, false},
	}
	for _, test := range tests {
		h := NewHeaderHasher(&header)
		nonce, tried, found := h.Search(test.start, test.count, test.target)
		if found != test.found {
			t.Errorf("%s: found %v, want %v", test.name, found, test.found)
			continue
		}
		if !found {
			if tried != test.count {
				t.Errorf("%s: tried %d, want %d", test.name, tried, test.count)
			}
			continue
		}
		if nonce != test.start+uint64(tried-1) {
			t.Errorf("%s: nonce %d after %d tries from %d", test.name, nonce, tried, test.start)
		}
		// The first nonce that meets the target, by the slow path.
		for n := test.start; n != nonce; n++ {
			hdr := header
			hdr.Nonce = n
			hash := hdr.BlockHash()
			if wire.HashToBig(&hash).Cmp(wire.CompactToBig(header.Bits)) <= 0 {
				t.Errorf("%s: nonce %d meets the target before %d", test.name, n, nonce)
			}
		}
		hdr := header
		hdr.Nonce = nonce
		hash := hdr.BlockHash()
		if wire.HashToBig(&hash).Cmp(wire.CompactToBig(header.Bits)) > 0 {
			t.Errorf("%s: nonce %d does not meet the target", test.name, nonce)
		}
		if got := h.Hash(nonce); wire.Hash(got) != hash {
			t.Errorf("%s: Hash(%d) = %x, want %s", test.name, nonce, got, hash)
		}
	}
}

func TestMeetsTarget(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bitsList := []uint32{0x207fffff, 0x1d00ffff, 0x1f00ffff, 0x2000ffff, 0x03123456, 0x21008000}
	for _, bits := range bitsList {
		tgt := TargetFromBits(bits)
		want := wire.CompactToBig(bits)
		if want.BitLen() > 256 {
			want = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
		}
		for i := 0; i < 2000; i++ {
			var h [32]byte
			for j := range h {
				h[j] = byte(rng.Uint32())
			}
			// Put some hashes right at the target's edge.
			if i%3 == 0 {
				be := want.FillBytes(make([]byte, 32))
				for j := 0; j < 32; j++ {
					h[j] = be[31-j]
				}
				if i%2 == 0 {
					h[0]++
				}
			}
			wh := wire.Hash(h)
			if got, exp := tgt.Met(&h), wire.HashToBig(&wh).Cmp(want) <= 0; got != exp {
				t.Fatalf("bits %08x hash %x: got %v, want %v", bits, h, got, exp)
			}
		}
	}
}
