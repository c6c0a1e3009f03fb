package rpcserver

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// benchServer returns a server for calling processBody directly, without
// HTTP, so the benchmarks measure dispatch, validation and encoding.
func benchServer(b *testing.B) *testServer {
	return newTestServer(b, nil)
}

func benchBody(b *testing.B, method string, params ...interface{}) []byte {
	req, err := rpcmodel.NewRequest(1, method, params...)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(req)
	return body
}

// BenchmarkProcessGetBlockCount measures the fixed cost of one request.
func BenchmarkProcessGetBlockCount(b *testing.B) {
	ts := benchServer(b)
	body := benchBody(b, "getblockcount")
	cl := &clientInfo{isAdmin: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts.processBody(body, cl)
	}
}

// BenchmarkProcessGetBlockVerbose measures getblock with decoded
// transactions, the heaviest common read.
func BenchmarkProcessGetBlockVerbose(b *testing.B) {
	ts := benchServer(b)
	body := benchBody(b, "getblock", ts.f.dag.c.String(), 2)
	cl := &clientInfo{isAdmin: true}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts.processBody(body, cl)
	}
}

// BenchmarkCheckAuth measures the per-request authentication cost.
func BenchmarkCheckAuth(b *testing.B) {
	ts := benchServer(b)
	header := basicAuth(limitUser, limitPass).Get("Authorization")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, _ := ts.checkAuthHeader(header); !ok {
			b.Fatal("auth failed")
		}
	}
}

// BenchmarkHTTPGetBlockCount measures a full request over loopback HTTP.
func BenchmarkHTTPGetBlockCount(b *testing.B) {
	ts := benchServer(b)
	body := string(benchBody(b, "getblockcount"))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts.post(b, adminUser, adminPass, body)
	}
}

// BenchmarkTemplateAfterBlock measures the time from a block reaching the
// node (ProcessBlock called, validation included) to a miner holding a
// template built on it, on loopback: "websocket" is the path of sotermine
// (blocktemplatechanged, then getblocktemplate on the same connection),
// "longpoll" BIP 22's (a waiting HTTP long poll answers). ns/op is the
// latency; the target is under 20 ms.
func BenchmarkTemplateAfterBlock(b *testing.B) {
	b.Run("websocket", func(b *testing.B) {
		d := newTemplateDAG(b, nil)
		conn := dialWS(b, d.ts, adminUser, adminPass)
		if m := wsCall(b, conn, 1, "notifyblocktemplate"); m.Error != nil {
			b.Fatal(m.Error)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			d.miner.clock.advance(time.Second)
			block := d.miner.build(b, nil)
			hash := block.BlockHash().String()
			b.StartTimer()
			if _, err := d.dag.ProcessBlock(block, blockdag.BFNone); err != nil {
				b.Fatal(err)
			}
			for {
				m := wsRead(b, conn)
				if m.Method == rpcmodel.NtfnBlockTemplateChanged {
					break
				}
			}
			m := wsCall(b, conn, 2, "getblocktemplate")
			var r rpcmodel.GetBlockTemplateResult
			if m.Error != nil || json.Unmarshal(m.Result, &r) != nil || len(r.Parents) != 1 ||
				r.Parents[0] != hash {
				b.Fatalf("template after the block: %v %v", m.Error, r.Parents)
			}
		}
	})
	b.Run("longpoll", func(b *testing.B) {
		d := newTemplateDAG(b, nil)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			id := d.ts.getTemplate(b, nil).LongPollID
			ch := d.ts.longPoll(b, id)
			// Let the poll reach its wait before the block comes.
			time.Sleep(5 * time.Millisecond)
			d.miner.clock.advance(time.Second)
			block := d.miner.build(b, nil)
			hash := block.BlockHash().String()
			b.StartTimer()
			if _, err := d.dag.ProcessBlock(block, blockdag.BFNone); err != nil {
				b.Fatal(err)
			}
			resp := waitResponse(b, ch, 10*time.Second)
			var r rpcmodel.GetBlockTemplateResult
			if resp.Error != nil || json.Unmarshal(resp.Result, &r) != nil || len(r.Parents) != 1 ||
				r.Parents[0] != hash {
				b.Fatalf("template after the block: %v %v", resp.Error, r.Parents)
			}
		}
	})
}

// BenchmarkListUnspent10k measures listunspent for an address with 10,000
// unspent outputs, through the real UTXO index: the index range read, the
// mempool check of each output and the JSON reply. The target is under
// 50 ms.
func BenchmarkListUnspent10k(b *testing.B) {
	const outputs = 10_000
	params, dag, miner := newRealDAGWith(b, func(c *blockdag.Config) { c.UTXOIndex = true })
	ts := newTestServer(b, func(c *Config, _ *fakes) {
		c.Params = params
		c.DAG = dag
		c.Miner = miner
		c.UTXOIndex = dag
	})
	hashes, err := miner.Generate(uint32(params.CoinbaseMaturity) + 1)
	if err != nil {
		b.Fatal(err)
	}
	first, err := dag.BlockByHash(&hashes[0])
	if err != nil {
		b.Fatal(err)
	}
	cb := first.Transactions[0]
	_, target := testKey(77)
	tx := &wire.MsgTx{Version: wire.TxVersion,
		TxIn: []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: cb.TxID()}}}}
	each := cb.TxOut[0].Value / (outputs + 1)
	for i := 0; i < outputs; i++ {
		tx.TxOut = append(tx.TxOut, wire.TxOut{Value: each, PubKey: target})
	}
	priv, _ := testKey(9)
	if err := keys.SignTx(tx, []wire.TxOut{cb.TxOut[0]}, []*btcec.PrivateKey{priv}); err != nil {
		b.Fatal(err)
	}
	miner.pending = []*wire.MsgTx{tx}
	if _, err := miner.Generate(1); err != nil {
		b.Fatal(err)
	}
	body := benchBody(b, "listunspent", address.Encode(params.AddressPrefix, target))
	cl := &clientInfo{isAdmin: true}
	var check struct {
		Result []rpcmodel.UnspentOutput `json:"result"`
	}
	if err := json.Unmarshal(ts.processBody(body, cl), &check); err != nil || len(check.Result) != outputs {
		b.Fatalf("listunspent returned %d outputs (%v), want %d", len(check.Result), err, outputs)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		ts.processBody(body, cl)
	}
	b.StopTimer()
	if used := processCPU() - cpu; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
