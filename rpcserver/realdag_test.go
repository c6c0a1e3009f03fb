package rpcserver

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// realMiner mines real regtest blocks on a real BlockDAG: it builds each
// block from TemplateInfo and grinds the nonce, which on regtest takes a
// couple of tries. It implements Miner for generate.
type realMiner struct {
	fakeMiner
	dag   *blockdag.BlockDAG
	clock *testClock
	pub   [32]byte
	extra uint64
	mu    sync.Mutex
	// pending are transactions the next block built includes.
	pending []*wire.MsgTx
}

// testClock is the DAG's time source: fixed after genesis so block
// timestamps are valid whatever the machine's date.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// build returns a solved block on parents (the template's when nil).
func (m *realMiner) build(t testing.TB, parents []wire.Hash) *wire.MsgBlock {
	m.mu.Lock()
	m.extra++
	extra := m.extra
	txs := m.pending
	m.pending = nil
	m.mu.Unlock()
	ti := m.dag.TemplateInfo()
	blueScore := ti.BlueScore
	if parents == nil {
		parents = ti.Parents
	} else {
		// A block on other parents has another blue score; for blocks on
		// a single parent it is the parent's plus one.
		info, err := m.dag.BlockInfo(&parents[0])
		if err != nil {
			t.Fatal(err)
		}
		blueScore = info.BlueScore + 1
	}
	payload := make([]byte, 16, 24)
	binary.LittleEndian.PutUint64(payload, blueScore)
	binary.LittleEndian.PutUint64(payload[8:], extra)
	payload = append(payload, "rpctest"...)
	cb := &wire.MsgTx{Version: wire.TxVersion, Payload: payload,
		TxOut: []wire.TxOut{{Value: m.dag.Params().CalcBlockSubsidy(blueScore), PubKey: m.pub}}}
	ts := m.clock.Now().UnixMilli()
	if ts < ti.MinTimestamp {
		ts = ti.MinTimestamp
	}
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{Version: blockdag.BlockVersion, Parents: parents,
			Timestamp: ts, Bits: ti.Bits},
		Transactions: append([]*wire.MsgTx{cb}, txs...),
	}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
	target := wire.CompactToBig(ti.Bits)
	for {
		h := block.BlockHash()
		if wire.HashToBig(&h).Cmp(target) <= 0 {
			return block
		}
		block.Header.Nonce++
	}
}

// Generate mines n blocks on the current tips.
func (m *realMiner) Generate(n uint32) ([]wire.Hash, error) {
	out := make([]wire.Hash, 0, n)
	for i := uint32(0); i < n; i++ {
		m.clock.advance(time.Second)
		block := m.build(nil, nil)
		if _, err := m.dag.ProcessBlock(block, blockdag.BFNone); err != nil {
			return out, err
		}
		out = append(out, block.BlockHash())
	}
	return out, nil
}

// newRealDAG opens a regtest BlockDAG in a temporary store, with a clock
// an hour past genesis, and a miner that builds real blocks on it. Both are
// closed when the test ends.
func newRealDAG(t testing.TB, txIndex bool) (*blockdag.Params, *blockdag.BlockDAG, *realMiner) {
	t.Helper()
	return newRealDAGWith(t, func(c *blockdag.Config) { c.TxIndex = txIndex })
}

// newRealDAGWith is newRealDAG with the DAG's config changed by mutate.
func newRealDAGWith(t testing.TB, mutate func(*blockdag.Config)) (*blockdag.Params, *blockdag.BlockDAG, *realMiner) {
	t.Helper()
	params := blockdag.RegressionNetParams()
	db, err := database.Open(filepath.Join(t.TempDir(), "db"), &database.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{now: params.GenesisBlock.Header.Time().Add(time.Hour)}
	cfg := &blockdag.Config{DB: db, Params: params, TimeSource: clock.Now, SigVerifyWorkers: 1}
	mutate(cfg)
	dag, err := blockdag.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dag.Close() })
	_, pub := testKey(9)
	return params, dag, &realMiner{dag: dag, clock: clock, pub: pub}
}

// TestRealDAG runs the DAG methods against a real BlockDAG on regtest, with
// blocks mined through generate and submitblock, and checks websocket
// notifications fed by the DAG's own notifications.
func TestRealDAG(t *testing.T) {
	params, dag, miner := newRealDAG(t, false)

	ts := newTestServer(t, func(c *Config, _ *fakes) {
		c.Params = params
		c.DAG = dag
		c.Miner = miner
		c.TxLocator = nil
	})
	dag.Subscribe(func(n *blockdag.Notification) {
		switch data := n.Data.(type) {
		case *blockdag.BlockAcceptedData:
			ts.NotifyBlockAccepted(data.Block, data.Hash, data.Height, data.BlueScore)
		case *blockdag.VirtualChangedData:
			ts.NotifyVirtualChanged(data.AddedChainBlocks, data.RemovedChainBlocks,
				data.VirtualParents, data.VirtualBlueScore)
		}
	})
	ws := dialWS(t, ts, adminUser, adminPass)
	if m := wsCall(t, ws, 1, "notifyblocks"); m.Error != nil {
		t.Fatal(m.Error)
	}

	var hashes []string
	ts.result(t, &hashes, "generate", 5)
	if len(hashes) != 5 {
		t.Fatalf("generate returned %d hashes", len(hashes))
	}
	tip := hashes[4]

	// Each generated block arrives as blockconnected, dagblockconnected
	// and virtualchanged.
	connected, dagConnected, changed := 0, 0, 0
	for connected < 5 || dagConnected < 5 || changed < 5 {
		m := wsRead(t, ws)
		switch m.Method {
		case rpcmodel.NtfnBlockConnected:
			if string(m.Params[0]) != `"`+hashes[connected]+`"` {
				t.Errorf("blockconnected %d: %s", connected, m.Params[0])
			}
			connected++
		case rpcmodel.NtfnDAGBlockConnected:
			if string(m.Params[0]) != `"`+hashes[dagConnected]+`"` || len(m.Params) != 4 {
				t.Errorf("dagblockconnected %d: %s", dagConnected, m.Params)
			}
			dagConnected++
		case rpcmodel.NtfnVirtualChanged:
			changed++
		default:
			t.Fatalf("unexpected message %+v", m)
		}
	}

	var n uint64
	ts.result(t, &n, "getblockcount")
	if n != 5 {
		t.Errorf("getblockcount %d, want 5", n)
	}
	var s string
	ts.result(t, &s, "getbestblockhash")
	if s != tip {
		t.Errorf("getbestblockhash %s, want %s", s, tip)
	}
	ts.result(t, &s, "getblockhash", 5)
	if s != tip {
		t.Errorf("getblockhash 5: %s", s)
	}
	ts.result(t, &s, "getblockhash", 0)
	if s != params.GenesisHash.String() {
		t.Errorf("getblockhash 0: %s", s)
	}
	if r := ts.call(t, "getblockhash", 6); r.Error == nil || r.Error.Code != rpcmodel.ErrRPCOutOfRange {
		t.Errorf("getblockhash 6: %v", r.Error)
	}

	var blk rpcmodel.GetBlockVerboseResult
	ts.result(t, &blk, "getblock", hashes[2])
	if blk.Height != 3 || !blk.IsChainBlock || !blk.IsBlue || blk.SelectedParent != hashes[1] ||
		len(blk.Children) != 1 || blk.Children[0] != hashes[3] || blk.BlueScore != 3 ||
		blk.Confirmations != 3 || len(blk.Tx) != 1 {
		t.Errorf("getblock: %+v", blk)
	}
	ts.result(t, &s, "getblock", hashes[2], 0)
	raw, _ := hex.DecodeString(s)
	var decoded wire.MsgBlock
	if err := decoded.Deserialize(raw); err != nil || decoded.BlockHash().String() != hashes[2] {
		t.Errorf("getblock hex does not round-trip: %v", err)
	}
	if r := ts.call(t, "getblock", wire.DoubleHashH([]byte("x")).String()); r.Error == nil ||
		r.Error.Code != rpcmodel.ErrRPCBlockNotFound {
		t.Errorf("unknown block: %v", r.Error)
	}

	var info rpcmodel.GetDAGInfoResult
	ts.result(t, &info, "getdaginfo")
	if info.Blocks != 6 || info.MaxHeight != 5 || info.ChainHeight != 6 || info.Tips != 1 ||
		info.VirtualSelectedParent != tip || info.Network != "regtest" || info.UTXOCount != 5 {
		t.Errorf("getdaginfo: %+v", info)
	}
	var stats rpcmodel.GetUTXOStatsResult
	ts.result(t, &stats, "getutxostats")
	count, total, commitment := dag.UTXOStats()
	if stats.Count != info.UTXOCount || stats.Count != count || stats.TotalUnits != total ||
		stats.Total != float64(total)/blockdag.BaseUnitsPerCoin ||
		stats.Commitment != info.UTXOCommitment || stats.Commitment != commitment.String() {
		t.Errorf("getutxostats: %+v, want %d %d %s", stats, count, total, commitment)
	}

	// Two siblings on the tip: one mined here, one submitted.
	tipHash, _ := wire.NewHashFromStr(tip)
	left := miner.build(t, []wire.Hash{*tipHash})
	right := miner.build(t, []wire.Hash{*tipHash})
	if _, err := dag.ProcessBlock(left, blockdag.BFNone); err != nil {
		t.Fatal(err)
	}
	r := ts.call(t, "submitblock", hex.EncodeToString(right.Serialize()))
	if r.Error != nil || string(r.Result) != "null" {
		t.Fatalf("submitblock: %s %v", r.Result, r.Error)
	}
	r = ts.call(t, "submitblock", hex.EncodeToString(right.Serialize()))
	if string(r.Result) != `"duplicate"` {
		t.Errorf("submitblock twice: %s", r.Result)
	}
	bad := miner.build(t, []wire.Hash{*tipHash})
	bad.Header.MerkleRoot = wire.Hash{1}
	r = ts.call(t, "submitblock", hex.EncodeToString(bad.Serialize()))
	if !strings.HasPrefix(string(r.Result), `"rejected: `) {
		t.Errorf("bad block: %s %v", r.Result, r.Error)
	}

	var tips []string
	ts.result(t, &tips, "getdagtips")
	if len(tips) != 2 {
		t.Errorf("getdagtips: %v", tips)
	}
	var at6 []string
	ts.result(t, &at6, "getblockhashes", 6)
	if len(at6) != 2 {
		t.Errorf("getblockhashes 6: %v", at6)
	}

	// A block merging both siblings.
	var merged []string
	ts.result(t, &merged, "generate", 1)
	var mblk rpcmodel.GetBlockVerboseResult
	ts.result(t, &mblk, "getblock", merged[0])
	if len(mblk.Parents) != 2 || mblk.Height != 7 {
		t.Errorf("merging block: %+v", mblk)
	}
	var coloring []rpcmodel.ColoredBlock
	ts.result(t, &coloring, "getdagcoloring", 0, 100)
	if len(coloring) != 9 {
		t.Errorf("getdagcoloring: %d blocks, want 9", len(coloring))
	}
	for i, c := range coloring {
		if c.Index != uint64(i) || c.Color != rpcmodel.ColorBlue {
			t.Errorf("coloring %d: %+v (K=%d leaves every block blue here)", i, c, params.K)
		}
	}
	if r := ts.call(t, "getdagcoloring", 9); r.Error == nil || r.Error.Code != rpcmodel.ErrRPCOutOfRange {
		t.Errorf("coloring beyond: %v", r.Error)
	}

	var dot string
	ts.result(t, &dot, "renderdag", 4)
	if strings.Count(dot, "label=") != 4 || strings.Count(dot, "->") != 4 {
		t.Errorf("renderdag 4:\n%s", dot)
	}

	// The first block's coinbase output is in the UTXO set.
	first, _ := wire.NewHashFromStr(hashes[0])
	fb, err := dag.BlockByHash(first)
	if err != nil {
		t.Fatal(err)
	}
	var out rpcmodel.GetTxOutResult
	ts.result(t, &out, "gettxout", fb.Transactions[0].TxID().String(), 0)
	if out.Value != 50 || !out.Coinbase || out.PubKey != hex.EncodeToString(miner.pub[:]) || out.BlueScore != 1 {
		t.Errorf("gettxout: %+v", out)
	}
	var rawTx rpcmodel.TxRawResult
	ts.result(t, &rawTx, "getrawtransaction", fb.Transactions[0].TxID().String(), 1, hashes[0])
	if !rawTx.Coinbase || rawTx.BlockHash != hashes[0] {
		t.Errorf("getrawtransaction in block: %+v", rawTx)
	}

	var hdr rpcmodel.GetBlockHeaderVerboseResult
	ts.result(t, &hdr, "getblockheader", merged[0])
	if hdr.Hash != merged[0] || len(hdr.Parents) != 2 || hdr.Difficulty != 1 {
		t.Errorf("getblockheader: %+v", hdr)
	}
	var mining rpcmodel.GetMiningInfoResult
	ts.result(t, &mining, "getmininginfo")
	if mining.Blocks != 7 || mining.Difficulty != 1 {
		t.Errorf("getmininginfo: %+v", mining)
	}
	raw2, _ := json.Marshal(mining)
	if len(raw2) == 0 {
		t.Errorf("getmininginfo does not marshal")
	}
}
