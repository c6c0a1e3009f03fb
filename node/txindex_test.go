package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
)

// TestRPCTxIndex runs a full node with RPC and checks that getrawtransaction
// finds a confirmed transaction through the DAG's index exactly when the
// index is on.
func TestRPCTxIndex(t *testing.T) {
	tests := []struct {
		name    string
		txIndex bool
	}{
		{"index on", true},
		{"index off", false},
	}
	for _, test := range tests {
		dir := t.TempDir()
		db := openDB(t, filepath.Join(dir, "db"))
		payTo := minerKey(3)
		n, err := NewNode(&NodeConfig{
			Server: Config{
				Params:        testParams(),
				DataDir:       dir,
				DB:            db,
				DisableListen: true,
				TxIndex:       test.txIndex,
			},
			Mining: MiningConfig{PayTo: &payTo},
			RPC: &RPCConfig{
				ListenAddrs: []string{"127.0.0.1:0"},
				NoTLS:       true,
				User:        "u",
				Pass:        "p",
			},
		})
		if err != nil {
			db.Close()
			t.Fatalf("%s: NewNode: %v", test.name, err)
		}
		n.Start()

		block := makeBlock(t, n.Server().DAG(), payTo)
		if orphan, err := n.Server().SyncManager().ProcessBlock(block, blockdag.BFNone); err != nil || orphan {
			t.Fatalf("%s: mine: orphan %v, err %v", test.name, orphan, err)
		}
		txID := block.Transactions[0].TxID()
		url := fmt.Sprintf("http://%s/", n.RPCServer().Addrs()[0])
		var resp struct {
			Result *rpcmodel.TxRawResult `json:"result"`
			Error  *rpcmodel.RPCError    `json:"error"`
		}
		body := fmt.Sprintf(`{"jsonrpc":"1.0","id":1,"method":"getrawtransaction","params":["%s",1]}`, txID)
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("u", "p")
		client := &http.Client{Timeout: 10 * time.Second}
		hr, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		err = json.NewDecoder(hr.Body).Decode(&resp)
		hr.Body.Close()
		n.Stop()
		db.Close()
		if err != nil {
			t.Fatalf("%s: decode: %v", test.name, err)
		}
		if test.txIndex {
			if resp.Error != nil || resp.Result == nil || resp.Result.TxID != txID.String() ||
				resp.Result.BlockHash != block.BlockHash().String() {
				t.Errorf("%s: got %+v, error %v; want the tx in block %s", test.name,
					resp.Result, resp.Error, block.BlockHash())
			}
			continue
		}
		if resp.Error == nil || resp.Error.Code != rpcmodel.ErrRPCNoTxInfo {
			t.Errorf("%s: got error %v, want code %d", test.name, resp.Error, rpcmodel.ErrRPCNoTxInfo)
		}
	}
}
