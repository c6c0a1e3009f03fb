package rpcserver

import (
	"encoding/hex"
	"testing"

	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// TestRealDAGTxIndex checks getrawtransaction against a real BlockDAG with
// the transaction index on: a confirmed transaction is found without the
// client naming its block.
func TestRealDAGTxIndex(t *testing.T) {
	params, dag, miner := newRealDAG(t, true)
	ts := newTestServer(t, func(c *Config, _ *fakes) {
		c.Params = params
		c.DAG = dag
		c.Miner = miner
		c.TxLocator = dag
	})

	var hashes []string
	ts.result(t, &hashes, "generate", 3)
	if len(hashes) != 3 {
		t.Fatalf("generate returned %d hashes", len(hashes))
	}
	blockHash, err := wire.NewHashFromStr(hashes[1])
	if err != nil {
		t.Fatal(err)
	}
	block, err := dag.BlockByHash(blockHash)
	if err != nil {
		t.Fatal(err)
	}
	cb := block.Transactions[0]
	cbID := cb.TxID()
	genesisCB := params.GenesisBlock.Transactions[0].TxID()

	var raw string
	ts.result(t, &raw, "getrawtransaction", cbID.String())
	if raw != hex.EncodeToString(cb.Serialize()) {
		t.Errorf("getrawtransaction: got %s", raw)
	}
	tests := []struct {
		name  string
		txID  string
		block string
	}{
		{"coinbase of block 2", cbID.String(), hashes[1]},
		{"genesis coinbase", genesisCB.String(), params.GenesisHash.String()},
	}
	for _, test := range tests {
		var r rpcmodel.TxRawResult
		ts.result(t, &r, "getrawtransaction", test.txID, 1)
		if r.TxID != test.txID || r.BlockHash != test.block || !r.Coinbase {
			t.Errorf("%s: got txid %s block %s coinbase %v, want block %s", test.name,
				r.TxID, r.BlockHash, r.Coinbase, test.block)
		}
	}
	unknown := wire.Hash{7}
	if r := ts.call(t, "getrawtransaction", unknown.String()); r.Error == nil ||
		r.Error.Code != rpcmodel.ErrRPCNoTxInfo {
		t.Errorf("getrawtransaction unknown: got %v, want %d", r.Error, rpcmodel.ErrRPCNoTxInfo)
	}
}
