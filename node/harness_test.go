package node

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btclog"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/netsync"
	"github.com/soterdag/soterd/wire"
)

// init sends the logs of node and netsync to stderr when NODE_DEBUG is set
// (its value is the level: debug, info, ...), for following a failing test.
func init() {
	level, ok := btclog.LevelFromString(os.Getenv("NODE_DEBUG"))
	if !ok {
		return
	}
	backend := btclog.NewBackend(os.Stderr)
	for tag, use := range map[string]func(btclog.Logger){"NODE": UseLogger, "SYNC": netsync.UseLogger, "TXMP": mempool.UseLogger} {
		l := backend.Logger(tag)
		l.SetLevel(level)
		use(l)
	}
}

// testParams are the parameters of the test networks: regtest, where any
// nonce meets the target about half the time.
func testParams() *blockdag.Params {
	return blockdag.RegressionNetParams()
}

// extraNonce makes every test block unique.
var extraNonce atomic.Uint64

// minerKey returns the payout key of test miner i.
func minerKey(i int) [wire.PubKeySize]byte {
	var k [wire.PubKeySize]byte
	k[0] = byte(i + 1)
	k[31] = 0x5a
	return k
}

// makeBlock builds a coinbase-only block on the DAG's current template,
// paying payTo, with a valid proof of work.
func makeBlock(t testing.TB, dag *blockdag.BlockDAG, payTo [wire.PubKeySize]byte) *wire.MsgBlock {
	t.Helper()
	return makeBlockOn(t, dag.Params(), dag.TemplateInfo(), payTo)
}

// makeBlockOn builds a coinbase-only block from a template.
func makeBlockOn(t testing.TB, params *blockdag.Params, ti *blockdag.TemplateInfo, payTo [wire.PubKeySize]byte) *wire.MsgBlock {
	t.Helper()
	payload := make([]byte, 16, 24)
	binary.LittleEndian.PutUint64(payload, ti.BlueScore)
	binary.LittleEndian.PutUint64(payload[8:], extraNonce.Add(1))
	payload = append(payload, "nodetest"...)
	coinbase := &wire.MsgTx{Version: wire.TxVersion, Payload: payload}
	if subsidy := params.CalcBlockSubsidy(ti.BlueScore); subsidy > 0 {
		// After the last halving a coinbase pays nothing and has no
		// output: outputs must carry value.
		coinbase.TxOut = []wire.TxOut{{Value: subsidy, PubKey: payTo}}
	}
	block := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:   blockdag.BlockVersion,
			Parents:   slices.Clone(ti.Parents),
			Timestamp: max(time.Now().UnixMilli(), ti.MinTimestamp),
			Bits:      ti.Bits,
		},
		Transactions: []*wire.MsgTx{coinbase},
	}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(block.Transactions)
	solve(block)
	return block
}

// solve finds a nonce that meets the header's target.
func solve(block *wire.MsgBlock) {
	target := wire.CompactToBig(block.Header.Bits)
	for {
		h := block.BlockHash()
		if wire.HashToBig(&h).Cmp(target) <= 0 {
			return
		}
		block.Header.Nonce++
	}
}

// mineDAG adds rounds of blocks to dag: each round builds width blocks on
// the same template (different miners), so the DAG is width blocks wide and
// every round merges the previous one.
func mineDAG(t testing.TB, dag *blockdag.BlockDAG, rounds, width int) {
	t.Helper()
	for r := range rounds {
		ti := dag.TemplateInfo()
		for w := range width {
			b := makeBlockOn(t, dag.Params(), ti, minerKey(w))
			orphan, err := dag.ProcessBlock(b, blockdag.BFNone)
			if err != nil || orphan {
				t.Fatalf("mineDAG round %d block %d: orphan %v, err %v", r, w, orphan, err)
			}
		}
	}
}

// openDB opens a store in dir without flushing every write, as tests
// want speed, not power-loss safety.
func openDB(t testing.TB, dir string) *database.DB {
	t.Helper()
	db, err := database.Open(dir, &database.Options{NoSync: true, CacheSizeMB: 8, WriteBufferMB: 8})
	if err != nil {
		t.Fatalf("open store %s: %v", dir, err)
	}
	return db
}

// buildStore writes a store in dir holding a DAG of rounds*width blocks of
// the network params (nil: testParams).
func buildStore(t testing.TB, dir string, params *blockdag.Params, rounds, width int) {
	t.Helper()
	if params == nil {
		params = testParams()
	}
	db := openDB(t, dir)
	dag, err := blockdag.New(&blockdag.Config{DB: db, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	mineDAG(t, dag, rounds, width)
	if err := dag.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies the files of a closed store.
func copyDir(t testing.TB, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		src, err := os.Open(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(to, e.Name()))
		if err != nil {
			src.Close()
			t.Fatal(err)
		}
		_, err = io.Copy(dst, src)
		src.Close()
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testNode is a started Server on 127.0.0.1 with its own data directory.
type testNode struct {
	*Server
	t   testing.TB
	dir string
	db  *database.DB
}

// nodeOptions tweak a test node's configuration.
type nodeOptions struct {
	// store, when set, is a closed store copied in as the node's DB.
	store string
	// params are the network's; nil means testParams.
	params *blockdag.Params
	// mutate edits the configuration before New.
	mutate func(*Config)
}

// newTestNode starts a node listening on 127.0.0.1:0 and stops it when the
// test ends.
func newTestNode(t testing.TB, opts nodeOptions) *testNode {
	t.Helper()
	dir := t.TempDir()
	dbDir := filepath.Join(dir, "db")
	if opts.store != "" {
		copyDir(t, opts.store, dbDir)
	}
	db := openDB(t, dbDir)
	params := opts.params
	if params == nil {
		params = testParams()
	}
	cfg := &Config{
		Params:             params,
		DataDir:            dir,
		DB:                 db,
		ListenAddrs:        []string{"127.0.0.1:0"},
		MaxPeers:           20,
		MaxPeersPerIP:      20,
		SyncStallTimeout:   10 * time.Second,
		SyncRequestTimeout: 10 * time.Second,
		TrickleInterval:    20 * time.Millisecond,
		RetryDuration:      100 * time.Millisecond,
	}
	if opts.mutate != nil {
		opts.mutate(cfg)
	}
	s, err := New(cfg)
	if err != nil {
		db.Close()
		t.Fatalf("node.New: %v", err)
	}
	s.Start()
	n := &testNode{Server: s, t: t, dir: dir, db: db}
	t.Cleanup(func() {
		s.Stop()
		db.Close()
	})
	return n
}

// addr returns the node's P2P address.
func (n *testNode) addr() string {
	addrs := n.P2PListenAddrs()
	if len(addrs) == 0 {
		n.t.Fatal("node has no listener")
	}
	return addrs[0].String()
}

// connectTo makes n dial other and waits until both see the connection.
func (n *testNode) connectTo(other *testNode) {
	n.t.Helper()
	before, otherBefore := n.ConnectedCount(), other.ConnectedCount()
	if err := n.ConnectPeer(other.addr(), false); err != nil {
		n.t.Fatalf("ConnectPeer: %v", err)
	}
	waitFor(n.t, 10*time.Second, "connection", func() bool {
		return n.ConnectedCount() > before && other.ConnectedCount() > otherBefore
	})
}

// disconnectAll disconnects every peer and waits until none is left.
func (n *testNode) disconnectAll() {
	n.t.Helper()
	n.peersMtx.RLock()
	var all []*serverPeer
	for sp := range n.allPeers {
		all = append(all, sp)
	}
	n.peersMtx.RUnlock()
	for _, sp := range all {
		if sp.connReq != nil {
			n.connManager.Remove(sp.connReq.ID())
		}
		sp.Disconnect()
	}
	waitFor(n.t, 10*time.Second, "disconnect", func() bool { return n.ConnectedCount() == 0 })
}

// mine submits blocks built by the test miner through the sync manager, as
// the CPU miner does, and returns their hashes.
func (n *testNode) mine(count, miner int) []wire.Hash {
	n.t.Helper()
	return n.mineTo(count, minerKey(miner))
}

// mineTo is mine paying payTo.
func (n *testNode) mineTo(count int, payTo [wire.PubKeySize]byte) []wire.Hash {
	n.t.Helper()
	hashes := make([]wire.Hash, 0, count)
	for range count {
		b := makeBlock(n.t, n.DAG(), payTo)
		orphan, err := n.SyncManager().ProcessBlock(b, blockdag.BFNone)
		if err != nil || orphan {
			n.t.Fatalf("mine: orphan %v, err %v", orphan, err)
		}
		hashes = append(hashes, b.BlockHash())
	}
	return hashes
}

// sameState reports whether two nodes have the same tips and UTXO
// commitment.
func sameState(a, b *testNode) bool {
	return slices.Equal(a.DAG().Tips(), b.DAG().Tips()) &&
		a.DAG().UTXOCommitment() == b.DAG().UTXOCommitment() &&
		a.DAG().BlockCount() == b.DAG().BlockCount()
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncedPairWithTx mines a matured coinbase on a node, syncs a second node
// to it and returns both with a signed transaction spending that coinbase,
// not yet submitted anywhere.
func syncedPairWithTx(t *testing.T) (a, b *testNode, tx *wire.MsgTx) {
	t.Helper()
	a = newTestNode(t, nodeOptions{})
	priv, pub, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	first := a.mineTo(1, pub)[0]
	a.mine(int(testParams().CoinbaseMaturity)+1, 0)
	b = newTestNode(t, nodeOptions{})
	b.connectTo(a)
	waitFor(t, 30*time.Second, "sync", func() bool {
		return sameState(a, b) && !b.SyncManager().InSyncMode()
	})

	block, err := a.DAG().BlockByHash(&first)
	if err != nil {
		t.Fatal(err)
	}
	coinbase := block.Transactions[0]
	prevOut := coinbase.TxOut[0]
	tx = &wire.MsgTx{
		Version: wire.TxVersion,
		TxIn:    []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: coinbase.TxID()}}},
		TxOut:   []wire.TxOut{{Value: prevOut.Value - 100_000, PubKey: minerKey(7)}},
	}
	if err := keys.SignTx(tx, []wire.TxOut{prevOut}, []*btcec.PrivateKey{priv}); err != nil {
		t.Fatal(err)
	}
	return a, b, tx
}

// startNode runs a Node on a new store under dir (made when missing), with
// cfg's data directory and store set to them; the node stops and the
// store closes when the test ends.
func startNode(tb testing.TB, dir string, cfg *NodeConfig) *Node {
	tb.Helper()
	db := openDB(tb, filepath.Join(dir, "db"))
	cfg.Server.DataDir, cfg.Server.DB = dir, db
	n, err := NewNode(cfg)
	if err != nil {
		db.Close()
		tb.Fatal(err)
	}
	n.Start()
	tb.Cleanup(func() {
		n.Stop()
		db.Close()
	})
	return n
}

// testRPCConfig is the RPC server of the full-node tests: plain HTTP on a
// loopback port the kernel picks.
func testRPCConfig() *RPCConfig {
	return &RPCConfig{ListenAddrs: []string{"127.0.0.1:0"}, NoTLS: true, User: "u", Pass: "p"}
}

// syncFromMiner connects n to a new peer that mines blocks blocks and waits
// until n holds them all and has left sync mode; it returns the peer and an
// RPC client of n.
func syncFromMiner(t *testing.T, n *Node, blocks int) (*testNode, *rpcClient) {
	t.Helper()
	peer := newTestNode(t, nodeOptions{})
	peer.mine(blocks, 1)
	if err := n.Server().ConnectPeer(peer.addr(), false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "sync", func() bool {
		return n.Server().DAG().BlockCount() == peer.DAG().BlockCount() &&
			!n.Server().SyncManager().InSyncMode()
	})
	return peer, &rpcClient{url: fmt.Sprintf("http://%s/", n.RPCServer().Addrs()[0]),
		client: &http.Client{Timeout: 30 * time.Second}}
}
