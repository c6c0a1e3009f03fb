package node

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// rpcClient calls a node's RPC server over plain HTTP.
type rpcClient struct {
	url    string
	client *http.Client
}

// call sends method with params and decodes the result into result,
// failing the test on any error.
func (c *rpcClient) call(t *testing.T, result interface{}, method string, params ...interface{}) {
	t.Helper()
	if err := c.try(result, method, params...); err != nil {
		t.Fatal(err)
	}
}

// try is call returning the error, for goroutines other than the test's.
func (c *rpcClient) try(result interface{}, method string, params ...interface{}) error {
	req, err := rpcmodel.NewRequest(1, method, params...)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(req)
	hreq, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hreq.SetBasicAuth("u", "p")
	resp, err := c.client.Do(hreq)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	var r rpcmodel.Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s: decode: %w", method, err)
	}
	if r.Error != nil {
		return fmt.Errorf("%s: %w", method, r.Error)
	}
	if err := json.Unmarshal(r.Result, result); err != nil {
		return fmt.Errorf("%s: result %s: %w", method, r.Result, err)
	}
	return nil
}

// templateBlock assembles and solves the block of a template result.
func templateBlock(t *testing.T, r *rpcmodel.GetBlockTemplateResult) *wire.MsgBlock {
	t.Helper()
	decodeTx := func(data string) *wire.MsgTx {
		b, err := hex.DecodeString(data)
		if err != nil {
			t.Fatal(err)
		}
		var tx wire.MsgTx
		if err := tx.Deserialize(b); err != nil {
			t.Fatal(err)
		}
		return &tx
	}
	txs := []*wire.MsgTx{decodeTx(r.CoinbaseTxn.Data)}
	for _, rt := range r.Transactions {
		txs = append(txs, decodeTx(rt.Data))
	}
	var parents []wire.Hash
	for _, p := range r.Parents {
		h, err := wire.NewHashFromStr(p)
		if err != nil {
			t.Fatal(err)
		}
		parents = append(parents, *h)
	}
	var bits uint32
	if _, err := fmt.Sscanf(r.Bits, "%08x", &bits); err != nil {
		t.Fatal(err)
	}
	block := &wire.MsgBlock{Header: wire.BlockHeader{Version: r.Version, Parents: parents,
		Timestamp: r.CurTime, Bits: bits}, Transactions: txs}
	block.Header.MerkleRoot = wire.BlockMerkleRoot(txs)
	target := mining.TargetFromBits(bits)
	nonce, _, ok := mining.NewHeaderHasher(&block.Header).Search(0, 1<<20, &target)
	if !ok {
		t.Fatal("no nonce")
	}
	block.Header.Nonce = nonce
	return block
}

// TestRPCBlockTemplate runs a full node with RPC beside a peer: a block
// mined from getblocktemplate and submitted reaches the peer, and a block
// the peer mines answers a long poll on the node with a template on it,
// through the node's DAG notification hooks.
func TestRPCBlockTemplate(t *testing.T) {
	_, nodeKey, err := keys.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, t.TempDir(), &NodeConfig{
		Server: Config{Params: testParams(), DisableListen: true,
			SyncStallTimeout: 10 * time.Second, SyncRequestTimeout: 10 * time.Second,
			TrickleInterval: 20 * time.Millisecond},
		Mining: MiningConfig{PayTo: &nodeKey},
		RPC:    testRPCConfig(),
	})
	peer, c := syncFromMiner(t, n, 2)

	// The template pays the node's key by default, and builds on the tips.
	var r rpcmodel.GetBlockTemplateResult
	c.call(t, &r, "getblocktemplate")
	if r.MiningAddr != address.Encode(testParams().AddressPrefix, nodeKey) {
		t.Errorf("miningaddr %s, want the node's key", r.MiningAddr)
	}
	tips := n.Server().DAG().Tips()
	if len(r.Parents) != len(tips) || r.Parents[0] != tips[0].String() {
		t.Errorf("parents %v, want the tips %v", r.Parents, tips)
	}
	block := templateBlock(t, &r)
	var submitted interface{}
	c.call(t, &submitted, "submitblock", hex.EncodeToString(block.Serialize()))
	if submitted != nil {
		t.Fatalf("submitblock: %v", submitted)
	}
	hash := block.BlockHash()
	waitFor(t, 10*time.Second, "the mined block at the peer", func() bool { return peer.DAG().HaveBlock(&hash) })

	// A long poll on the current template answers when the peer's block
	// arrives, with a template on it.
	c.call(t, &r, "getblocktemplate")
	type answer struct {
		r   rpcmodel.GetBlockTemplateResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		var a answer
		a.err = c.try(&a.r, "getblocktemplate", rpcmodel.TemplateRequest{LongPollID: r.LongPollID})
		done <- a
	}()
	time.Sleep(50 * time.Millisecond)
	peerBlock := peer.mine(1, 2)[0]
	select {
	case a := <-done:
		next := &a.r
		if a.err != nil {
			t.Fatal(a.err)
		}
		if len(next.Parents) != 1 || next.Parents[0] != peerBlock.String() {
			t.Errorf("long poll answered with parents %v, want [%s]", next.Parents, peerBlock)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("long poll did not answer after the peer's block")
	}
}
