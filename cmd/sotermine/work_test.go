package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// templateTx returns the template entry of a transaction.
func templateTx(tx *wire.MsgTx) rpcmodel.GetBlockTemplateResultTx {
	return rpcmodel.GetBlockTemplateResultTx{
		Data:    hex.EncodeToString(tx.Serialize()),
		TxID:    tx.TxID().String(),
		Hash:    tx.TxHash().String(),
		Depends: []int64{},
	}
}

// makeTemplate returns a template result on parents with bits, a coinbase
// with the usual payload layout and n other transactions, as the node
// would send it.
func makeTemplate(id string, parents []wire.Hash, bits uint32, n int) *rpcmodel.GetBlockTemplateResult {
	const blueScore = 7
	payload := make([]byte, 16, 24)
	binary.LittleEndian.PutUint64(payload, blueScore)
	binary.LittleEndian.PutUint64(payload[8:], 99)
	payload = append(payload, "soterd"...)
	cb := &wire.MsgTx{Version: wire.TxVersion, Payload: payload,
		TxOut: []wire.TxOut{{Value: 5000, PubKey: [32]byte{3}}}}
	r := &rpcmodel.GetBlockTemplateResult{
		Version: 1, Height: 5, BlueScore: blueScore, Bits: fmt.Sprintf("%08x", bits),
		CurTime: 1_800_000_000_000, MinTime: 1_799_999_999_000, MaxTime: 1_800_000_132_000,
		CoinbaseValue: 5000, LongPollID: id, SubmitOld: true,
		CoinbasePayload: rpcmodel.CoinbasePayloadRules{Prefix: hex.EncodeToString(payload[:8]),
			MaxLength: 150, ExtraNonceOffset: 8, ExtraNonceLength: 8},
	}
	for _, p := range parents {
		r.Parents = append(r.Parents, p.String())
	}
	ctb := templateTx(cb)
	r.CoinbaseTxn = &ctb
	for i := 0; i < n; i++ {
		tx := &wire.MsgTx{Version: wire.TxVersion,
			TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: wire.Hash{byte(i), 9}}}},
			TxOut: []wire.TxOut{{Value: uint64(100 + i), PubKey: [32]byte{4}}}}
		r.Transactions = append(r.Transactions, templateTx(tx))
	}
	return r
}

// TestMerkleBranch checks the coinbase's branch against package wire's
// root, for trees of every shape up to 33 leaves.
func TestMerkleBranch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 33; n++ {
		hashes := make([]wire.Hash, n)
		for i := range hashes {
			for j := range hashes[i] {
				hashes[i][j] = byte(rng.Uint32())
			}
		}
		branch := coinbaseBranch(hashes)
		if got, want := merkleRoot(hashes[0], branch), wire.MerkleRoot(hashes); got != want {
			t.Errorf("%d leaves: root %s, want %s", n, got, want)
		}
		// The branch does not depend on the first leaf.
		other := append([]wire.Hash{{0xaa}}, hashes[1:]...)
		if got, want := merkleRoot(other[0], branch), wire.MerkleRoot(other); got != want {
			t.Errorf("%d leaves, other coinbase: root %s, want %s", n, got, want)
		}
	}
}

// TestWorkBlock checks that the block of a solution is what the template
// describes, with the extra nonce in the coinbase and a merkle root that
// commits to its transactions.
func TestWorkBlock(t *testing.T) {
	parents := []wire.Hash{{1}, {2}}
	r := makeTemplate("t-1", parents, 0x207fffff, 5)
	w, err := newWork(r)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		extra uint64
		ts    int64
		nonce uint64
	}{
		{"zero", 0, r.CurTime, 0},
		{"large", 0xfedcba9876543210, r.MinTime, 1 << 63},
	}
	for _, test := range tests {
		b := w.block(test.extra, test.ts, test.nonce)
		h := &b.Header
		if h.Version != 1 || len(h.Parents) != 2 || h.Parents[1] != parents[1] ||
			h.Timestamp != test.ts || h.Bits != 0x207fffff || h.Nonce != test.nonce {
			t.Errorf("%s: header %+v", test.name, h)
		}
		if h.MerkleRoot != wire.BlockMerkleRoot(b.Transactions) {
			t.Errorf("%s: merkle root does not commit to the transactions", test.name)
		}
		hdr := w.header(test.extra, test.ts)
		hdr.Nonce = test.nonce
		if hdr.BlockHash() != b.BlockHash() {
			t.Errorf("%s: the hashed header is not the block's", test.name)
		}
		payload := b.Transactions[0].Payload
		if binary.LittleEndian.Uint64(payload[8:16]) != test.extra || string(payload[16:]) != "soterd" ||
			binary.LittleEndian.Uint64(payload[:8]) != 7 {
			t.Errorf("%s: payload %x", test.name, payload)
		}
		if len(b.Transactions) != 6 {
			t.Errorf("%s: %d transactions", test.name, len(b.Transactions))
		}
	}
	// The template's coinbase itself is never changed.
	if binary.LittleEndian.Uint64(w.coinbase.Payload[8:16]) != 99 {
		t.Errorf("the template's coinbase was modified")
	}
	// Timestamps stay within the template's bounds.
	if w.timestamp(-1e9) != r.MinTime || w.timestamp(1e9) != r.MaxTime || w.timestamp(5) != r.CurTime+5 {
		t.Errorf("timestamps: %d %d %d", w.timestamp(-1e9), w.timestamp(1e9), w.timestamp(5))
	}
}

// TestNewWorkErrors checks that every inconsistency in a template is
// refused before any hashing.
func TestNewWorkErrors(t *testing.T) {
	cbWithInput := &wire.MsgTx{Version: wire.TxVersion, TxIn: []wire.TxIn{{}}, Payload: make([]byte, 16)}
	shortPayload := &wire.MsgTx{Version: wire.TxVersion, Payload: make([]byte, 12)}
	tests := []struct {
		name   string
		mutate func(r *rpcmodel.GetBlockTemplateResult)
		err    string
	}{
		{"no parents", func(r *rpcmodel.GetBlockTemplateResult) { r.Parents = nil }, "parents"},
		{"bad parent", func(r *rpcmodel.GetBlockTemplateResult) { r.Parents[0] = "zz" }, "parent 0"},
		{"short bits", func(r *rpcmodel.GetBlockTemplateResult) { r.Bits = "7fffff" }, "bits"},
		{"bad bits", func(r *rpcmodel.GetBlockTemplateResult) { r.Bits = "207fffzz" }, "bits"},
		{"times", func(r *rpcmodel.GetBlockTemplateResult) { r.MinTime = r.MaxTime + 1 }, "mintime"},
		{"no coinbase", func(r *rpcmodel.GetBlockTemplateResult) { r.CoinbaseTxn = nil }, "coinbasetxn"},
		{"coinbase not hex", func(r *rpcmodel.GetBlockTemplateResult) { r.CoinbaseTxn.Data = "x" }, "hex"},
		{"coinbase txid", func(r *rpcmodel.GetBlockTemplateResult) { r.CoinbaseTxn.TxID = r.Transactions[0].TxID }, "txid"},
		{"coinbase hash", func(r *rpcmodel.GetBlockTemplateResult) { r.CoinbaseTxn.Hash = r.Transactions[0].TxID }, "hash"},
		{"coinbase with input", func(r *rpcmodel.GetBlockTemplateResult) {
			e := templateTx(cbWithInput)
			r.CoinbaseTxn = &e
		}, "inputs"},
		{"no extra nonce", func(r *rpcmodel.GetBlockTemplateResult) {
			e := templateTx(shortPayload)
			r.CoinbaseTxn = &e
		}, "extra nonce"},
		{"extra nonce too long", func(r *rpcmodel.GetBlockTemplateResult) {
			r.CoinbasePayload.ExtraNonceLength = 9
		}, "extra nonce"},
		{"extra nonce over the blue score", func(r *rpcmodel.GetBlockTemplateResult) {
			r.CoinbasePayload.ExtraNonceOffset = 4
		}, "extra nonce"},
		{"prefix", func(r *rpcmodel.GetBlockTemplateResult) { r.CoinbasePayload.Prefix = "0800000000000000" }, "the rules say"},
		{"tx undecodable", func(r *rpcmodel.GetBlockTemplateResult) { r.Transactions[1].Data = "0100" }, "transaction 2"},
		{"tx hash", func(r *rpcmodel.GetBlockTemplateResult) { r.Transactions[0].Hash = r.Transactions[1].Hash }, "transaction 1"},
	}
	for _, test := range tests {
		r := makeTemplate("t-1", []wire.Hash{{1}}, 0x207fffff, 2)
		test.mutate(r)
		if _, err := newWork(r); err == nil || !strings.Contains(err.Error(), test.err) {
			t.Errorf("%s: got %v, want an error with %q", test.name, err, test.err)
		}
	}
}

// FuzzNewWork feeds arbitrary template results to the decoder: it must
// never panic, and a template it accepts must give a block that encodes,
// decodes to the same block, and whose merkle root commits to its
// transactions.
func FuzzNewWork(f *testing.F) {
	for _, n := range []int{0, 1, 4} {
		seed, _ := json.Marshal(makeTemplate("t-1", []wire.Hash{{1}, {2}}, 0x207fffff, n))
		f.Add(seed, uint64(n), int64(n))
	}
	f.Fuzz(func(t *testing.T, raw []byte, extra uint64, since int64) {
		var r rpcmodel.GetBlockTemplateResult
		if json.Unmarshal(raw, &r) != nil {
			return
		}
		w, err := newWork(&r)
		if err != nil {
			return
		}
		b := w.block(extra, w.timestamp(since), extra^0x5a5a)
		if b.Header.MerkleRoot != wire.BlockMerkleRoot(b.Transactions) {
			t.Fatalf("merkle root does not commit to the transactions")
		}
		var again wire.MsgBlock
		if err := again.Deserialize(b.Serialize()); err != nil {
			t.Fatalf("the block does not decode: %v", err)
		}
		if again.BlockHash() != b.BlockHash() || len(again.Transactions) != len(b.Transactions) {
			t.Fatalf("round trip changed the block")
		}
		// The decoded block gives the same work.
		r2 := r
		r2.CoinbaseTxn = &rpcmodel.GetBlockTemplateResultTx{}
		*r2.CoinbaseTxn = templateTx(w.coinbase)
		w2, err := newWork(&r2)
		if err != nil || w2.header(extra, 1).MerkleRoot != w.header(extra, 1).MerkleRoot {
			t.Fatalf("re-encoded template: %v", err)
		}
	})
}
