package rpcserver

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// decode unmarshals a result or fails the test.
func decode(t testing.TB, raw json.RawMessage, v interface{}) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// TestMethods calls every method with good and bad params and checks the
// result or the btcd error code.
func TestMethods(t *testing.T) {
	ts := newTestServer(t, nil)
	d := ts.f.dag
	genesis, a, b, c := d.genesis.String(), d.a.String(), d.b.String(), d.c.String()
	unknown := wire.DoubleHashH([]byte("unknown")).String()
	blockC := d.blocks[d.c]
	mtx := ts.f.mempool.entries[0].Tx
	mtxID := mtx.TxID().String()
	spendID := d.spendTx.TxID().String()
	cbC := blockC.Transactions[0].TxID().String()
	_, pub := testKey(3)
	pubHex := hex.EncodeToString(pub[:])
	mtxHex := hex.EncodeToString(mtx.Serialize())

	tests := []struct {
		name   string
		method string
		params []interface{}
		code   rpcmodel.RPCErrorCode // 0: success
		msg    string                // substring of the error message
		check  func(t *testing.T, raw json.RawMessage)
	}{
		// getblockcount
		{name: "getblockcount", method: "getblockcount", check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "2" {
				t.Errorf("got %s, want 2", raw)
			}
		}},
		{name: "getblockcount extra", method: "getblockcount", params: []interface{}{1},
			code: rpcmodel.ErrRPCInvalidParams, msg: "wrong number of params"},

		// getbestblockhash
		{name: "getbestblockhash", method: "getbestblockhash", check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != `"`+c+`"` {
				t.Errorf("got %s, want C", raw)
			}
		}},
		{name: "getbestblockhash extra", method: "getbestblockhash", params: []interface{}{"x"},
			code: rpcmodel.ErrRPCInvalidParams},

		// getblockhash
		{name: "getblockhash 0", method: "getblockhash", params: []interface{}{0}, check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != `"`+genesis+`"` {
				t.Errorf("got %s, want genesis", raw)
			}
		}},
		{name: "getblockhash 2", method: "getblockhash", params: []interface{}{2}, check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != `"`+c+`"` {
				t.Errorf("got %s, want C", raw)
			}
		}},
		{name: "getblockhash beyond", method: "getblockhash", params: []interface{}{3},
			code: rpcmodel.ErrRPCOutOfRange, msg: "out of range"},
		{name: "getblockhash negative", method: "getblockhash", params: []interface{}{-1},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "must be in"},
		{name: "getblockhash string", method: "getblockhash", params: []interface{}{"1"},
			code: rpcmodel.ErrRPCInvalidParams, msg: "numeric"},
		{name: "getblockhash none", method: "getblockhash", code: rpcmodel.ErrRPCInvalidParams},

		// getblock
		{name: "getblock hex", method: "getblock", params: []interface{}{c, 0}, check: func(t *testing.T, raw json.RawMessage) {
			var s string
			decode(t, raw, &s)
			if s != hex.EncodeToString(blockC.Serialize()) {
				t.Errorf("hex differs")
			}
		}},
		{name: "getblock false", method: "getblock", params: []interface{}{c, false}, check: func(t *testing.T, raw json.RawMessage) {
			if raw[0] != '"' {
				t.Errorf("verbosity false is not hex: %.40s", raw)
			}
		}},
		{name: "getblock verbose", method: "getblock", params: []interface{}{c}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetBlockVerboseResult
			decode(t, raw, &r)
			if r.Hash != c || r.Height != 2 || r.BlueScore != 3 || !r.IsChainBlock || !r.IsBlue ||
				r.SelectedParent != a || len(r.Parents) != 2 || len(r.Tx) != 2 || r.RawTx != nil ||
				r.Confirmations != 1 || r.Bits != "207fffff" || r.Difficulty != 1 ||
				r.BlueWork != "4" || len(r.MergeSetBlues) != 2 || r.TimeMillis != blockC.Header.Timestamp {
				t.Errorf("unexpected result %+v", r)
			}
			if r.Tx[1] != spendID {
				t.Errorf("tx list %v lacks %s", r.Tx, spendID)
			}
		}},
		{name: "getblock verbosity 2", method: "getblock", params: []interface{}{b, 2}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetBlockVerboseResult
			decode(t, raw, &r)
			if len(r.RawTx) != 1 || !r.RawTx[0].Coinbase || r.RawTx[0].Hex == "" || r.IsBlue ||
				r.IsChainBlock || r.AcceptingBlock != c || r.Tx != nil {
				t.Errorf("unexpected result %+v", r)
			}
		}},
		{name: "getblock genesis", method: "getblock", params: []interface{}{genesis, 1}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetBlockVerboseResult
			decode(t, raw, &r)
			if r.SelectedParent != "" || len(r.Parents) != 0 || len(r.Children) != 2 {
				t.Errorf("unexpected genesis %+v", r)
			}
		}},
		{name: "getblock unknown", method: "getblock", params: []interface{}{unknown},
			code: rpcmodel.ErrRPCBlockNotFound, msg: "block not found"},
		{name: "getblock pruned", method: "getblock", params: []interface{}{wire.DoubleHashH([]byte("pruned block")).String()},
			code: rpcmodel.ErrRPCMisc, msg: "block not available (pruned data): block at height 1 was pruned: this node keeps block bodies from height 2 up"},
		{name: "getblock bad hex", method: "getblock", params: []interface{}{"zz"},
			code: rpcmodel.ErrRPCDecodeHexString, msg: "hexadecimal"},
		{name: "getblock verbosity 3", method: "getblock", params: []interface{}{c, 3},
			code: rpcmodel.ErrRPCInvalidParameter},
		{name: "getblock hash number", method: "getblock", params: []interface{}{5},
			code: rpcmodel.ErrRPCInvalidParams},

		// getblockheader
		{name: "getblockheader", method: "getblockheader", params: []interface{}{a}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetBlockHeaderVerboseResult
			decode(t, raw, &r)
			if r.Hash != a || r.Height != 1 || r.SelectedParent != genesis || len(r.Children) != 1 {
				t.Errorf("unexpected header %+v", r)
			}
		}},
		{name: "getblockheader hex", method: "getblockheader", params: []interface{}{a, false}, check: func(t *testing.T, raw json.RawMessage) {
			var s string
			decode(t, raw, &s)
			b, _ := hex.DecodeString(s)
			var h wire.BlockHeader
			if err := h.Deserialize(b); err != nil || h.BlockHash() != d.a {
				t.Errorf("header hex does not decode to A: %v", err)
			}
		}},
		{name: "getblockheader unknown", method: "getblockheader", params: []interface{}{unknown},
			code: rpcmodel.ErrRPCBlockNotFound},
		{name: "getblockheader bad", method: "getblockheader", params: []interface{}{"abc"},
			code: rpcmodel.ErrRPCDecodeHexString},
		{name: "getblockheader verbose int", method: "getblockheader", params: []interface{}{a, 1},
			code: rpcmodel.ErrRPCInvalidParams},

		// getdifficulty
		{name: "getdifficulty", method: "getdifficulty", check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "1" {
				t.Errorf("got %s", raw)
			}
		}},
		{name: "getdifficulty extra", method: "getdifficulty", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getdaginfo
		{name: "getdaginfo", method: "getdaginfo", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetDAGInfoResult
			decode(t, raw, &r)
			if r.Network != "regtest" || r.Blocks != 4 || r.Tips != 1 || r.TipHashes[0] != c ||
				r.MaxHeight != 2 || r.ChainHeight != 3 || r.BlueScore != 4 || r.BlueWork != "ff" ||
				r.VirtualSelectedParent != c || !r.IsCurrent || r.UTXOCount != 1 || r.Bits != "207fffff" ||
				!r.Pruned || r.PruneTargetMiB != 550 || r.LowestRetainedHeight != 2 {
				t.Errorf("unexpected %+v", r)
			}
		}},
		{name: "getdaginfo extra", method: "getdaginfo", params: []interface{}{true}, code: rpcmodel.ErrRPCInvalidParams},

		// getutxostats
		{name: "getutxostats", method: "getutxostats", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetUTXOStatsResult
			decode(t, raw, &r)
			if r.Count != 1 || r.Total != 50 || r.TotalUnits != 50*blockdag.BaseUnitsPerCoin ||
				r.Commitment != wire.DoubleHashH([]byte("utxo")).String() {
				t.Errorf("unexpected %+v", r)
			}
		}},
		{name: "getutxostats extra", method: "getutxostats", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getdagtips
		{name: "getdagtips", method: "getdagtips", check: func(t *testing.T, raw json.RawMessage) {
			var r []string
			decode(t, raw, &r)
			if len(r) != 1 || r[0] != c {
				t.Errorf("got %v", r)
			}
		}},
		{name: "getdagtips extra", method: "getdagtips", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getblockhashes
		{name: "getblockhashes 1", method: "getblockhashes", params: []interface{}{1}, check: func(t *testing.T, raw json.RawMessage) {
			var r []string
			decode(t, raw, &r)
			if len(r) != 2 || !(r[0] == a && r[1] == b || r[0] == b && r[1] == a) {
				t.Errorf("got %v", r)
			}
		}},
		{name: "getblockhashes above", method: "getblockhashes", params: []interface{}{99}, check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "[]" {
				t.Errorf("got %s, want []", raw)
			}
		}},
		{name: "getblockhashes too high", method: "getblockhashes", params: []interface{}{int64(1) << 33},
			code: rpcmodel.ErrRPCInvalidParameter},
		{name: "getblockhashes bool", method: "getblockhashes", params: []interface{}{true},
			code: rpcmodel.ErrRPCInvalidParams},

		// getdagcoloring
		{name: "getdagcoloring", method: "getdagcoloring", params: []interface{}{1, 2}, check: func(t *testing.T, raw json.RawMessage) {
			var r []rpcmodel.ColoredBlock
			decode(t, raw, &r)
			if len(r) != 2 || r[0].Hash != a || r[0].Color != "blue" || r[1].Hash != b ||
				r[1].Color != "red" || r[1].AcceptingBlock != c || r[1].Index != 2 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getdagcoloring default count", method: "getdagcoloring", params: []interface{}{0}, check: func(t *testing.T, raw json.RawMessage) {
			var r []rpcmodel.ColoredBlock
			decode(t, raw, &r)
			if len(r) != 4 {
				t.Errorf("got %d blocks, want 4", len(r))
			}
		}},
		{name: "getdagcoloring beyond", method: "getdagcoloring", params: []interface{}{4},
			code: rpcmodel.ErrRPCOutOfRange},
		{name: "getdagcoloring count 0", method: "getdagcoloring", params: []interface{}{0, 0},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "1..10000"},
		{name: "getdagcoloring count huge", method: "getdagcoloring", params: []interface{}{0, 10001},
			code: rpcmodel.ErrRPCInvalidParameter},

		// renderdag
		{name: "renderdag", method: "renderdag", params: []interface{}{10}, check: func(t *testing.T, raw json.RawMessage) {
			var s string
			decode(t, raw, &s)
			for _, want := range []string{"digraph", `"` + c + `" -> "` + a + `" [style=bold]`,
				`"` + c + `" -> "` + b + `";`, dotRed, dotBlue, "peripheries=2"} {
				if !strings.Contains(s, want) {
					t.Errorf("DOT lacks %q:\n%s", want, s)
				}
			}
		}},
		{name: "renderdag 1", method: "renderdag", params: []interface{}{1}, check: func(t *testing.T, raw json.RawMessage) {
			var s string
			decode(t, raw, &s)
			if strings.Count(s, "label=") != 1 || strings.Contains(s, "->") {
				t.Errorf("one block expected:\n%s", s)
			}
		}},
		{name: "getdagview", method: "getdagview", params: []interface{}{10}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetDAGViewResult
			decode(t, raw, &r)
			if r.MaxHeight != 2 || r.Blocks != 4 || len(r.Tips) != 1 || r.Tips[0] != c || len(r.View) == 0 {
				t.Fatalf("unexpected %+v", r)
			}
			last := r.View[len(r.View)-1]
			if last.Hash != c || last.SelectedParent != a || len(last.Parents) != 2 || !last.Chain ||
				last.Color != rpcmodel.ColorBlue {
				t.Errorf("newest block %+v, want c on the chain, blue, with parents a and b", last)
			}
			colors := map[string]int{}
			for i, blk := range r.View {
				colors[blk.Color]++
				if i > 0 && blk.Height < r.View[i-1].Height {
					t.Errorf("view not oldest first: %+v", r.View)
				}
			}
			if colors[rpcmodel.ColorRed] == 0 || colors[rpcmodel.ColorBlue] == 0 {
				t.Errorf("colors %v, want blue and red blocks", colors)
			}
		}},
		{name: "getdagview 1", method: "getdagview", params: []interface{}{1}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetDAGViewResult
			decode(t, raw, &r)
			if len(r.View) != 1 || r.View[0].Hash != c {
				t.Errorf("got %+v, want the tip alone", r.View)
			}
		}},
		{name: "getdagview 1001", method: "getdagview", params: []interface{}{1001}, code: rpcmodel.ErrRPCInvalidParameter},
		{name: "renderdag 0", method: "renderdag", params: []interface{}{0}, code: rpcmodel.ErrRPCInvalidParameter},
		{name: "renderdag 1001", method: "renderdag", params: []interface{}{1001}, code: rpcmodel.ErrRPCInvalidParameter},

		// getsyncinfo
		{name: "getsyncinfo", method: "getsyncinfo", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetSyncInfoResult
			decode(t, raw, &r)
			if r.SyncPeer != 2 || r.SyncPeerAddr != "10.0.0.2:18931" || !r.IsCurrent || r.BlocksProcessed != 3 ||
				r.LastBlockTime != 1_800_000_000 || r.LastProgress != 0 ||
				!r.Pruned || r.PruneTargetMiB != 550 || r.LowestRetainedHeight != 2 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getsyncinfo extra", method: "getsyncinfo", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getrawmempool
		{name: "getrawmempool", method: "getrawmempool", check: func(t *testing.T, raw json.RawMessage) {
			var r []string
			decode(t, raw, &r)
			if len(r) != 2 {
				t.Errorf("got %v", r)
			}
		}},
		{name: "getrawmempool verbose", method: "getrawmempool", params: []interface{}{true}, check: func(t *testing.T, raw json.RawMessage) {
			var r map[string]rpcmodel.GetRawMempoolVerboseResult
			decode(t, raw, &r)
			child := ts.f.mempool.entries[1].TxID.String()
			if len(r) != 2 || r[mtxID].Fee != 0.00001 || len(r[mtxID].Depends) != 0 ||
				len(r[child].Depends) != 1 || r[child].Depends[0] != mtxID || r[mtxID].Time != 1_800_000_000 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getrawmempool string", method: "getrawmempool", params: []interface{}{"yes"},
			code: rpcmodel.ErrRPCInvalidParams},

		// getmempoolinfo
		{name: "getmempoolinfo", method: "getmempoolinfo", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetMempoolInfoResult
			decode(t, raw, &r)
			if r.Size != 2 || r.Bytes == 0 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getmempoolinfo extra", method: "getmempoolinfo", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getrawtransaction
		{name: "getrawtransaction mempool", method: "getrawtransaction", params: []interface{}{mtxID}, check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != `"`+mtxHex+`"` {
				t.Errorf("got %s", raw)
			}
		}},
		{name: "getrawtransaction verbose", method: "getrawtransaction", params: []interface{}{mtxID, 1}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.TxRawResult
			decode(t, raw, &r)
			if r.TxID != mtxID || r.Hex != mtxHex || len(r.Vin) != 1 || len(r.Vout) != 2 ||
				r.Vout[0].Value != 1.23456789 || r.Vin[0].Vout != 1 || r.BlockHash != "" {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getrawtransaction located", method: "getrawtransaction", params: []interface{}{spendID, true}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.TxRawResult
			decode(t, raw, &r)
			if r.TxID != spendID || r.BlockHash != c || r.Time != blockC.Header.Timestamp/1000 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getrawtransaction in block", method: "getrawtransaction", params: []interface{}{cbC, 1, c}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.TxRawResult
			decode(t, raw, &r)
			if r.TxID != cbC || !r.Coinbase || r.Payload == "" || r.BlockHash != c {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getrawtransaction not in block", method: "getrawtransaction", params: []interface{}{cbC, 0, a},
			code: rpcmodel.ErrRPCNoTxInfo, msg: "no information"},
		{name: "getrawtransaction block unknown", method: "getrawtransaction", params: []interface{}{cbC, 0, unknown},
			code: rpcmodel.ErrRPCBlockNotFound},
		{name: "getrawtransaction block bad", method: "getrawtransaction", params: []interface{}{cbC, 0, "x"},
			code: rpcmodel.ErrRPCDecodeHexString},
		{name: "getrawtransaction unknown", method: "getrawtransaction", params: []interface{}{unknown},
			code: rpcmodel.ErrRPCNoTxInfo},
		{name: "getrawtransaction bad", method: "getrawtransaction", params: []interface{}{"12"},
			code: rpcmodel.ErrRPCDecodeHexString},
		{name: "getrawtransaction verbose 2", method: "getrawtransaction", params: []interface{}{mtxID, 2},
			code: rpcmodel.ErrRPCInvalidParameter},

		// sendrawtransaction
		{name: "sendrawtransaction", method: "sendrawtransaction", params: []interface{}{mtxHex}, check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != `"`+mtxID+`"` {
				t.Errorf("got %s", raw)
			}
		}},
		{name: "sendrawtransaction bad hex", method: "sendrawtransaction", params: []interface{}{"xyz"},
			code: rpcmodel.ErrRPCDecodeHexString},
		{name: "sendrawtransaction bad tx", method: "sendrawtransaction", params: []interface{}{"0100"},
			code: rpcmodel.ErrRPCDeserialization, msg: "TX decode failed"},
		{name: "sendrawtransaction number", method: "sendrawtransaction", params: []interface{}{1},
			code: rpcmodel.ErrRPCInvalidParams},

		// gettxout
		{name: "gettxout utxo", method: "gettxout", params: []interface{}{cbC, 0}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetTxOutResult
			decode(t, raw, &r)
			if r.Value != 50 || !r.Coinbase || r.BlueScore != 3 || r.Confirmations != 1 || r.BestBlock != c {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "gettxout mempool", method: "gettxout", params: []interface{}{mtxID, 1}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetTxOutResult
			decode(t, raw, &r)
			if r.Value != 0.00000001 || r.Confirmations != 0 || r.Coinbase {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "gettxout not mempool", method: "gettxout", params: []interface{}{mtxID, 1, false}, check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "null" {
				t.Errorf("got %s, want null", raw)
			}
		}},
		{name: "gettxout spent", method: "gettxout", params: []interface{}{cbC, 1}, check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "null" {
				t.Errorf("got %s, want null", raw)
			}
		}},
		{name: "gettxout bad vout", method: "gettxout", params: []interface{}{mtxID, 5},
			code: rpcmodel.ErrRPCInvalidTxVout},
		{name: "gettxout negative", method: "gettxout", params: []interface{}{mtxID, -1},
			code: rpcmodel.ErrRPCInvalidParameter},
		{name: "gettxout bad txid", method: "gettxout", params: []interface{}{"q", 0},
			code: rpcmodel.ErrRPCDecodeHexString},
		{name: "gettxout missing vout", method: "gettxout", params: []interface{}{mtxID},
			code: rpcmodel.ErrRPCInvalidParams},

		// createrawtransaction
		{name: "createrawtransaction", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[{"txid":"` + mtxID + `","vout":1}]`),
			json.RawMessage(`{"` + pubHex + `": 1.5}`), 7,
		}, check: func(t *testing.T, raw json.RawMessage) {
			var s string
			decode(t, raw, &s)
			bs, _ := hex.DecodeString(s)
			var tx wire.MsgTx
			if err := tx.Deserialize(bs); err != nil {
				t.Fatalf("does not decode: %v", err)
			}
			if len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint.Index != 1 ||
				tx.TxIn[0].PreviousOutPoint.TxID.String() != mtxID || len(tx.TxOut) != 1 ||
				tx.TxOut[0].Value != 150_000_000 || tx.TxOut[0].PubKey != pub || tx.LockTime != 7 {
				t.Errorf("got %+v", tx)
			}
		}},
		{name: "createrawtransaction order kept", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[]`), json.RawMessage(`{"` + pubHex + `": 2, "` + hex.EncodeToString(d.blocks[d.a].Transactions[0].TxOut[0].PubKey[:]) + `": 1}`),
		}, check: func(t *testing.T, raw json.RawMessage) {
			var s string
			decode(t, raw, &s)
			bs, _ := hex.DecodeString(s)
			var tx wire.MsgTx
			if err := tx.Deserialize(bs); err != nil || len(tx.TxOut) != 2 ||
				tx.TxOut[0].Value != 200_000_000 || tx.TxOut[1].Value != 100_000_000 {
				t.Errorf("outputs out of order: %+v %v", tx.TxOut, err)
			}
		}},
		{name: "createrawtransaction bad pubkey", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[]`), json.RawMessage(`{"abcd": 1}`)},
			code: rpcmodel.ErrRPCInvalidAddressOrKey, msg: "is not an address"},
		{name: "createrawtransaction not on curve", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[]`), json.RawMessage(`{"` + strings.Repeat("ff", 32) + `": 1}`)},
			code: rpcmodel.ErrRPCInvalidAddressOrKey},
		{name: "createrawtransaction dup key", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[]`), json.RawMessage(`{"` + pubHex + `": 1, "` + pubHex + `": 2}`)},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "duplicated"},
		{name: "createrawtransaction zero amount", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[]`), json.RawMessage(`{"` + pubHex + `": 0}`)},
			code: rpcmodel.ErrRPCType, msg: "invalid amount"},
		{name: "createrawtransaction string amount", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[]`), json.RawMessage(`{"` + pubHex + `": "1"}`)},
			code: rpcmodel.ErrRPCType},
		{name: "createrawtransaction huge amount", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[]`), json.RawMessage(`{"` + pubHex + `": 1e20}`)},
			code: rpcmodel.ErrRPCType},
		{name: "createrawtransaction bad input", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[5]`), json.RawMessage(`{}`)},
			code: rpcmodel.ErrRPCInvalidParams, msg: "inputs[0]"},
		{name: "createrawtransaction input no vout", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[{"txid":"` + mtxID + `"}]`), json.RawMessage(`{}`)},
			code: rpcmodel.ErrRPCInvalidParams},
		{name: "createrawtransaction bad txid", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[{"txid":"zz","vout":0}]`), json.RawMessage(`{}`)},
			code: rpcmodel.ErrRPCDecodeHexString},
		{name: "createrawtransaction negative vout", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[{"txid":"` + mtxID + `","vout":-1}]`), json.RawMessage(`{}`)},
			code: rpcmodel.ErrRPCInvalidParameter},
		{name: "createrawtransaction outputs array", method: "createrawtransaction", params: []interface{}{
			json.RawMessage(`[]`), json.RawMessage(`[]`)},
			code: rpcmodel.ErrRPCInvalidParams},

		// decoderawtransaction
		{name: "decoderawtransaction", method: "decoderawtransaction", params: []interface{}{mtxHex}, check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.TxRawResult
			decode(t, raw, &r)
			if r.TxID != mtxID || r.Hex != "" || r.Size != mtx.SerializeSize() || r.Coinbase {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "decoderawtransaction bad hex", method: "decoderawtransaction", params: []interface{}{"0g"},
			code: rpcmodel.ErrRPCDecodeHexString},
		{name: "decoderawtransaction trailing", method: "decoderawtransaction", params: []interface{}{mtxHex + "00"},
			code: rpcmodel.ErrRPCDeserialization},
		{name: "decoderawtransaction none", method: "decoderawtransaction", code: rpcmodel.ErrRPCInvalidParams},

		// getpeerinfo
		{name: "getpeerinfo", method: "getpeerinfo", check: func(t *testing.T, raw json.RawMessage) {
			var r []rpcmodel.GetPeerInfoResult
			decode(t, raw, &r)
			if len(r) != 2 || r[0].SyncNode || !r[1].SyncNode || r[0].PingTime != 1500 ||
				r[0].Services != "SFNodeNetwork" || r[0].SubVer != "/soterd:0.1.0/" || !r[1].Inbound ||
				r[0].CurrentHeight != 2 || r[0].ConnTime != 1_800_000_000 || r[0].LastSend != 0 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getpeerinfo extra", method: "getpeerinfo", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getconnectioncount
		{name: "getconnectioncount", method: "getconnectioncount", check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "2" {
				t.Errorf("got %s", raw)
			}
		}},
		{name: "getconnectioncount extra", method: "getconnectioncount", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// addnode
		{name: "addnode add", method: "addnode", params: []interface{}{"10.1.1.1", "add"}, check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "null" {
				t.Errorf("got %s", raw)
			}
			ts.f.conn.mu.Lock()
			defer ts.f.conn.mu.Unlock()
			if got := ts.f.conn.added[len(ts.f.conn.added)-1]; got != "add 10.1.1.1:18931" {
				t.Errorf("connmgr got %q", got)
			}
		}},
		{name: "addnode onetry port", method: "addnode", params: []interface{}{"[::1]:5", "onetry"}},
		{name: "addnode bad subcmd", method: "addnode", params: []interface{}{"10.1.1.1", "connect"},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "subcommand"},
		{name: "addnode empty", method: "addnode", params: []interface{}{"", "add"},
			code: rpcmodel.ErrRPCInvalidParameter},
		{name: "addnode one param", method: "addnode", params: []interface{}{"10.1.1.1"},
			code: rpcmodel.ErrRPCInvalidParams},

		// getnettotals
		{name: "getnettotals", method: "getnettotals", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetNetTotalsResult
			decode(t, raw, &r)
			if r.TotalBytesRecv != 1000 || r.TotalBytesSent != 2000 || r.TimeMillis == 0 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getnettotals extra", method: "getnettotals", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// ping
		{name: "ping", method: "ping"},
		{name: "ping extra", method: "ping", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getlistenaddrs
		{name: "getlistenaddrs", method: "getlistenaddrs", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetListenAddrsResult
			decode(t, raw, &r)
			if len(r.P2P) != 1 || len(r.RPC) != 1 || r.RPC[0] != ts.Addrs()[0].String() {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getlistenaddrs extra", method: "getlistenaddrs", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getinfo
		{name: "getinfo", method: "getinfo", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetInfoResult
			decode(t, raw, &r)
			if r.Version != 100 || r.Blocks != 2 || r.DAGBlocks != 4 || r.Connections != 2 ||
				r.Network != "regtest" || r.TestNet || r.RelayFee != 0.00001 || r.ProtocolVersion != wire.ProtocolVersion {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getinfo extra", method: "getinfo", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// getmininginfo
		{name: "getmininginfo", method: "getmininginfo", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetMiningInfoResult
			decode(t, raw, &r)
			if r.Blocks != 2 || r.GenProcLimit != 2 || r.HashesPerSec != 1234.5 || r.PooledTx != 2 ||
				r.BlocksMined != 2 || r.CurrentBlockSize != 150 || r.NetworkHashPS <= 0 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getmininginfo extra", method: "getmininginfo", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// generate
		{name: "generate", method: "generate", params: []interface{}{3}, check: func(t *testing.T, raw json.RawMessage) {
			var r []string
			decode(t, raw, &r)
			if len(r) != 3 {
				t.Errorf("got %v", r)
			}
		}},
		{name: "generate 0", method: "generate", params: []interface{}{0}, code: rpcmodel.ErrRPCInvalidParameter},
		{name: "generate too many", method: "generate", params: []interface{}{1001}, code: rpcmodel.ErrRPCInvalidParameter},
		{name: "generate string", method: "generate", params: []interface{}{"1"}, code: rpcmodel.ErrRPCInvalidParams},

		// setgenerate / getgenerate
		{name: "setgenerate on", method: "setgenerate", params: []interface{}{true, 3}, check: func(t *testing.T, raw json.RawMessage) {
			if !ts.f.miner.IsMining() || ts.f.miner.Workers() != 3 {
				t.Errorf("miner not started with 3 workers")
			}
		}},
		{name: "getgenerate on", method: "getgenerate", check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "true" {
				t.Errorf("got %s", raw)
			}
		}},
		{name: "setgenerate zero workers", method: "setgenerate", params: []interface{}{true, 0}, check: func(t *testing.T, raw json.RawMessage) {
			if ts.f.miner.IsMining() {
				t.Errorf("genproclimit 0 did not stop the miner")
			}
		}},
		{name: "getgenerate off", method: "getgenerate", check: func(t *testing.T, raw json.RawMessage) {
			if string(raw) != "false" {
				t.Errorf("got %s", raw)
			}
		}},
		{name: "setgenerate workers range", method: "setgenerate", params: []interface{}{true, 257},
			code: rpcmodel.ErrRPCInvalidParameter},
		{name: "setgenerate not bool", method: "setgenerate", params: []interface{}{1},
			code: rpcmodel.ErrRPCInvalidParams},
		{name: "getgenerate extra", method: "getgenerate", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// submitblock
		{name: "submitblock", method: "submitblock", params: []interface{}{hex.EncodeToString(blockC.Serialize())},
			check: func(t *testing.T, raw json.RawMessage) {
				if string(raw) != "null" {
					t.Errorf("got %s", raw)
				}
			}},
		{name: "submitblock options", method: "submitblock", params: []interface{}{
			hex.EncodeToString(blockC.Serialize()), json.RawMessage(`{"workid":"x"}`)}},
		{name: "submitblock bad hex", method: "submitblock", params: []interface{}{"0x00"},
			code: rpcmodel.ErrRPCDecodeHexString},
		{name: "submitblock bad block", method: "submitblock", params: []interface{}{"00"},
			code: rpcmodel.ErrRPCDeserialization, msg: "block decode failed"},
		{name: "submitblock options not object", method: "submitblock", params: []interface{}{"00", 1},
			code: rpcmodel.ErrRPCInvalidParams},

		// getblockmetrics
		{name: "getblockmetrics", method: "getblockmetrics", check: func(t *testing.T, raw json.RawMessage) {
			var r rpcmodel.GetBlockMetricsResult
			decode(t, raw, &r)
			if r.Count != 2 || r.AverageMillis != 200 || r.Blocks[0].Hash != c || r.Blocks[0].Millis != 300 {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "getblockmetrics extra", method: "getblockmetrics", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// help
		{name: "help", method: "help", check: func(t *testing.T, raw json.RawMessage) {
			var s string
			decode(t, raw, &s)
			for _, m := range rpcmodel.Methods() {
				if !strings.Contains(s, m.Usage()) {
					t.Errorf("help lacks %s", m.Name)
				}
			}
		}},
		{name: "help getblock", method: "help", params: []interface{}{"getblock"}, check: func(t *testing.T, raw json.RawMessage) {
			var s string
			decode(t, raw, &s)
			if !strings.Contains(s, "verbosity") || !strings.Contains(s, "Arguments:") {
				t.Errorf("got %s", s)
			}
		}},
		{name: "help unknown", method: "help", params: []interface{}{"nosuch"},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "unknown command"},
		{name: "help number", method: "help", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// uptime
		{name: "uptime", method: "uptime", check: func(t *testing.T, raw json.RawMessage) {
			var n int64
			decode(t, raw, &n)
			if n < 90 || n > 120 {
				t.Errorf("got %d", n)
			}
		}},
		{name: "uptime extra", method: "uptime", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// version
		{name: "version", method: "version", check: func(t *testing.T, raw json.RawMessage) {
			var r map[string]rpcmodel.VersionResult
			decode(t, raw, &r)
			if r[rpcmodel.APIName].VersionString != "1.0.0" {
				t.Errorf("got %+v", r)
			}
		}},
		{name: "version extra", method: "version", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// stop: bad params only; TestStopMethod covers the rest.
		{name: "stop extra", method: "stop", params: []interface{}{1}, code: rpcmodel.ErrRPCInvalidParams},

		// Websocket-only methods over HTTP.
		{name: "authenticate over http", method: "authenticate", params: []interface{}{"a", "b"},
			code: rpcmodel.ErrRPCMethodNotFound, msg: "websocket"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			r := ts.call(t, test.method, test.params...)
			if test.code != 0 {
				if r.Error == nil {
					t.Fatalf("got result %s, want error %d", r.Result, test.code)
				}
				if r.Error.Code != test.code {
					t.Errorf("got error %v, want code %d", r.Error, test.code)
				}
				if !strings.Contains(r.Error.Message, test.msg) {
					t.Errorf("message %q lacks %q", r.Error.Message, test.msg)
				}
				return
			}
			if r.Error != nil {
				t.Fatalf("unexpected error %v", r.Error)
			}
			if test.check != nil {
				test.check(t, r.Result)
			}
		})
	}
}

func TestSubmitBlockOutcomes(t *testing.T) {
	ts := newTestServer(t, nil)
	hexBlock := hex.EncodeToString(ts.f.dag.blocks[ts.f.dag.c].Serialize())
	tests := []struct {
		name   string
		err    error
		orphan bool
		want   string
	}{
		{name: "accepted", want: "null"},
		{name: "orphan", orphan: true, want: `"orphan"`},
		{name: "duplicate", err: blockdag.RuleError{Err: blockdag.ErrDuplicateBlock, Description: "dup"},
			want: `"duplicate"`},
		{name: "rejected", err: blockdag.RuleError{Err: blockdag.ErrHighHash, Description: "hash above target"},
			want: `"rejected: hash above target"`},
		{name: "io failure", err: errors.New("disk full"), want: `"rejected: disk full"`},
	}
	for _, test := range tests {
		ts.f.dag.mu.Lock()
		ts.f.dag.processErr, ts.f.dag.processOrphan = test.err, test.orphan
		ts.f.dag.mu.Unlock()
		r := ts.call(t, "submitblock", hexBlock)
		if r.Error != nil || string(r.Result) != test.want {
			t.Errorf("%s: got %s %v, want %s", test.name, r.Result, r.Error, test.want)
		}
	}
}

func TestSendRawTransactionRejected(t *testing.T) {
	ts := newTestServer(t, func(_ *Config, f *fakes) {
		f.mempool.reject = errors.New("transaction spends a missing output")
	})
	tx := ts.f.mempool.entries[0].Tx
	r := ts.call(t, "sendrawtransaction", hex.EncodeToString(tx.Serialize()))
	if r.Error == nil || r.Error.Code != rpcmodel.ErrRPCVerify ||
		!strings.Contains(r.Error.Message, "TX rejected: transaction spends a missing output") {
		t.Errorf("got %v", r.Error)
	}
}

func TestAddNodeError(t *testing.T) {
	ts := newTestServer(t, func(_ *Config, f *fakes) { f.conn.addErr = errors.New("peer not found") })
	r := ts.call(t, "addnode", "10.0.0.9:1", "remove")
	if r.Error == nil || r.Error.Code != rpcmodel.ErrRPCInvalidParameter ||
		!strings.Contains(r.Error.Message, "peer not found") {
		t.Errorf("got %v", r.Error)
	}
}

func TestGenerateErrors(t *testing.T) {
	ts := newTestServer(t, func(c *Config, f *fakes) {
		c.Params = blockdag.MainNetParams()
	})
	r := ts.call(t, "generate", 1)
	if r.Error == nil || r.Error.Code != rpcmodel.ErrRPCDifficulty || !strings.Contains(r.Error.Message, "mainnet") {
		t.Errorf("generate on mainnet: %v", r.Error)
	}
	ts = newTestServer(t, func(_ *Config, f *fakes) { f.miner.genErr = errors.New("template failed") })
	r = ts.call(t, "generate", 1)
	if r.Error == nil || r.Error.Code != rpcmodel.ErrRPCMisc || !strings.Contains(r.Error.Message, "template failed") {
		t.Errorf("failed generate: %v", r.Error)
	}
}

// TestMissingSources checks that a node without a miner, mempool, sync
// manager or connection manager answers clearly instead of crashing.
func TestMissingSources(t *testing.T) {
	ts := newTestServer(t, func(c *Config, _ *fakes) {
		c.SyncMgr, c.ConnMgr, c.Mempool, c.Miner, c.TxLocator = nil, nil, nil, nil, nil
	})
	for _, call := range []struct {
		method string
		params []interface{}
	}{
		{"getsyncinfo", nil}, {"getpeerinfo", nil}, {"getconnectioncount", nil},
		{"addnode", []interface{}{"a", "add"}}, {"getnettotals", nil}, {"ping", nil},
		{"getrawmempool", nil}, {"getmempoolinfo", nil}, {"sendrawtransaction", []interface{}{"00"}},
		{"generate", []interface{}{1}}, {"setgenerate", []interface{}{true}}, {"getblockmetrics", nil},
	} {
		r := ts.call(t, call.method, call.params...)
		if r.Error == nil || r.Error.Code != rpcmodel.ErrRPCUnimplemented ||
			!strings.Contains(r.Error.Message, "this node has no") {
			t.Errorf("%s: got %v", call.method, r.Error)
		}
	}
	// These still work without the optional sources.
	for _, method := range []string{"getinfo", "getmininginfo", "getgenerate", "getlistenaddrs"} {
		if r := ts.call(t, method); r.Error != nil {
			t.Errorf("%s: %v", method, r.Error)
		}
	}
	// gettxout without a mempool reads the UTXO set.
	cb := ts.f.dag.blocks[ts.f.dag.c].Transactions[0].TxID().String()
	if r := ts.call(t, "gettxout", cb, 0); r.Error != nil || string(r.Result) == "null" {
		t.Errorf("gettxout: %s %v", r.Result, r.Error)
	}
	// getrawtransaction without mempool and locator knows nothing.
	if r := ts.call(t, "getrawtransaction", cb); r.Error == nil || r.Error.Code != rpcmodel.ErrRPCNoTxInfo {
		t.Errorf("getrawtransaction: %v", r.Error)
	}
}

// TestIsCurrentAgrees checks that getdaginfo and getsyncinfo give the same
// iscurrent when the DAG's newest block is recent but the node is still
// downloading, and when it is not.
func TestIsCurrentAgrees(t *testing.T) {
	tests := []struct {
		name       string
		dagCurrent bool
		syncSays   bool
	}{
		{"downloading with a recent tip", true, false},
		{"caught up", true, true},
		{"old tip", false, false},
	}
	for _, test := range tests {
		ts := newTestServer(t, func(_ *Config, f *fakes) {
			f.dag.current = test.dagCurrent
			f.sync.status.IsCurrent = test.syncSays
		})
		var dagInfo rpcmodel.GetDAGInfoResult
		var syncInfo rpcmodel.GetSyncInfoResult
		ts.result(t, &dagInfo, "getdaginfo")
		ts.result(t, &syncInfo, "getsyncinfo")
		if dagInfo.IsCurrent != syncInfo.IsCurrent || dagInfo.IsCurrent != test.syncSays {
			t.Errorf("%s: getdaginfo %v, getsyncinfo %v, want both %v", test.name,
				dagInfo.IsCurrent, syncInfo.IsCurrent, test.syncSays)
		}
	}
}

// recordingObserver keeps the requests it is told of.
type recordingObserver struct {
	mu   sync.Mutex
	seen []string
}

func (o *recordingObserver) RPCRequest(method, result string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, method+" "+result)
}

// TestObserver checks that every request, batch items included, reaches
// the observer with its method and result, and that made-up method names
// are reported as unknown.
func TestObserver(t *testing.T) {
	obs := &recordingObserver{}
	ts := newTestServer(t, func(c *Config, _ *fakes) { c.Observer = obs })
	ts.call(t, "getblockcount")
	ts.call(t, "nosuchmethod")
	ts.call(t, "getblockhash", "x")
	ts.post(t, adminUser, adminPass, `[{"jsonrpc":"1.0","id":1,"method":"getdifficulty","params":[]},`+
		`{"jsonrpc":"1.0","id":2,"method":"made-up","params":[]}]`)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	want := []string{"getblockcount ok", "unknown -32601", "getblockhash -32602", "getdifficulty ok", "unknown -32601"}
	if strings.Join(obs.seen, ",") != strings.Join(want, ",") {
		t.Errorf("observed %q, want %q", obs.seen, want)
	}
}

// TestSendRawTransactionHighFee checks that a transaction whose fee is
// high, as a forgotten change output makes it, is refused unless the
// client passes allowhighfees.
func TestSendRawTransactionHighFee(t *testing.T) {
	ts := newTestServer(t, nil)
	var op wire.OutPoint
	for k := range ts.f.dag.utxos {
		op = k
	}
	_, pub := testKey(5)
	mk := func(out uint64) string {
		tx := &wire.MsgTx{Version: wire.TxVersion,
			TxIn:  []wire.TxIn{{PreviousOutPoint: op}},
			TxOut: []wire.TxOut{{Value: out, PubKey: pub}}}
		return hex.EncodeToString(tx.Serialize())
	}
	tests := []struct {
		name  string
		out   uint64
		allow bool
		ok    bool
	}{
		{"40-coin fee", 10 * blockdag.BaseUnitsPerCoin, false, false},
		{"40-coin fee allowed", 10 * blockdag.BaseUnitsPerCoin, true, true},
		{"small fee", 50*blockdag.BaseUnitsPerCoin - 1000, false, true},
	}
	for _, test := range tests {
		r := ts.call(t, "sendrawtransaction", mk(test.out), test.allow)
		if test.ok != (r.Error == nil) ||
			!test.ok && (r.Error.Code != rpcmodel.ErrRPCVerify || !strings.Contains(r.Error.Message, "allowhighfees")) {
			t.Errorf("%s: got %v, want ok %v", test.name, r.Error, test.ok)
		}
	}
}
