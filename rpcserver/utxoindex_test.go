package rpcserver

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// TestRealDAGUTXOIndex runs getbalance, listunspent and notifyutxos
// against a real BlockDAG with the UTXO index on.
func TestRealDAGUTXOIndex(t *testing.T) {
	params, dag, miner := newRealDAGWith(t, func(c *blockdag.Config) { c.UTXOIndex = true })
	var fk *fakes
	ts := newTestServer(t, func(c *Config, f *fakes) {
		c.Params = params
		c.DAG = dag
		c.Miner = miner
		c.UTXOIndex = dag
		fk = f
	})
	dag.Subscribe(func(n *blockdag.Notification) {
		if data, ok := n.Data.(*blockdag.VirtualChangedData); ok {
			ts.NotifyUTXOsChanged(data.UTXOsAdded, data.UTXOsRemoved, data.VirtualBlueScore)
		}
	})
	minerAddr := address.Encode(params.AddressPrefix, miner.pub)
	_, otherPub := testKey(33)
	otherAddr := address.Encode(params.AddressPrefix, otherPub)

	ws := dialWS(t, ts, limitUser, limitPass)
	if m := wsCall(t, ws, 1, "notifyutxos", minerAddr, otherAddr); m.Error != nil {
		t.Fatal(m.Error)
	}

	var hashes []string
	ts.result(t, &hashes, "generate", 3)
	subsidy := float64(params.CalcBlockSubsidy(1)) / blockdag.BaseUnitsPerCoin

	// One utxoschanged per block, each adding its coinbase.
	for i := 0; i < 3; i++ {
		m := wsRead(t, ws)
		if m.Method != rpcmodel.NtfnUTXOsChanged || len(m.Params) != 1 {
			t.Fatalf("notification %d: %+v", i, m)
		}
		var n rpcmodel.UTXOsChangedNtfn
		if err := json.Unmarshal(m.Params[0], &n); err != nil {
			t.Fatal(err)
		}
		if len(n.Added) != 1 || len(n.Removed) != 0 || n.Added[0].Address != minerAddr ||
			n.Added[0].Amount != subsidy || !n.Added[0].Coinbase || n.VirtualBlueScore != uint64(i+2) {
			t.Errorf("notification %d: %+v", i, n)
		}
	}

	var list []rpcmodel.UnspentOutput
	ts.result(t, &list, "listunspent", minerAddr)
	if len(list) != 3 {
		t.Fatalf("listunspent: %d outputs, want 3", len(list))
	}
	for _, u := range list {
		if u.Address != minerAddr || u.Amount != subsidy || !u.Coinbase || u.Spendable ||
			u.Vout != 0 || u.Confirmations < 1 || u.Confirmations > 3 {
			t.Errorf("listunspent entry %+v", u)
		}
	}
	var empty []rpcmodel.UnspentOutput
	ts.result(t, &empty, "listunspent", otherAddr)
	if empty == nil || len(empty) != 0 {
		t.Errorf("listunspent of an empty address: %v, want []", empty)
	}

	var bal rpcmodel.GetBalanceResult
	ts.result(t, &bal, "getbalance", minerAddr, otherAddr, minerAddr)
	if bal.Balance != 3*subsidy || bal.Immature != 3*subsidy || bal.Spendable != 0 ||
		bal.Outputs != 3 || bal.BlueScore != 4 {
		t.Errorf("getbalance: %+v", bal)
	}

	// An output a mempool transaction spends is left out of listunspent
	// and counted as pending.
	txid, err := wire.NewHashFromStr(list[0].TxID)
	if err != nil {
		t.Fatal(err)
	}
	spend := &wire.MsgTx{Version: wire.TxVersion,
		TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: *txid}}},
		TxOut: []wire.TxOut{{Value: 1000, PubKey: otherPub}}}
	fk.mempool.mu.Lock()
	fk.mempool.entries = append(fk.mempool.entries, MempoolEntry{Tx: spend, TxID: spend.TxID(), Added: time.Now()})
	fk.mempool.mu.Unlock()
	ts.result(t, &list, "listunspent", minerAddr)
	if len(list) != 2 || list[0].TxID == txid.String() || list[1].TxID == txid.String() {
		t.Errorf("listunspent with a mempool spend: %+v", list)
	}

	tests := []struct {
		name   string
		method string
		params []interface{}
		code   rpcmodel.RPCErrorCode
		msg    string
	}{
		{"typo", "getbalance", []interface{}{minerAddr[:20] + flip(minerAddr[20]) + minerAddr[21:]},
			rpcmodel.ErrRPCInvalidAddressOrKey, "typo"},
		{"other network", "listunspent", []interface{}{address.Encode("soter", miner.pub)},
			rpcmodel.ErrRPCInvalidAddressOrKey, "another network"},
		{"no address", "listunspent", nil, rpcmodel.ErrRPCInvalidParams, "wrong number of params"},
		{"not a string", "getbalance", []interface{}{minerAddr, 5}, rpcmodel.ErrRPCInvalidParams, "parameter #2"},
	}
	for _, test := range tests {
		r := ts.call(t, test.method, test.params...)
		if r.Error == nil || r.Error.Code != test.code || !strings.Contains(r.Error.Message, test.msg) {
			t.Errorf("%s: got %+v, want code %d with %q", test.name, r.Error, test.code, test.msg)
		}
	}
}

// flip returns another bech32 character than c.
func flip(c byte) string {
	if c == 'q' {
		return "p"
	}
	return "q"
}

// TestUTXOMethodsWithoutIndex checks that a node without the index says
// how to turn it on.
func TestUTXOMethodsWithoutIndex(t *testing.T) {
	ts := newTestServer(t, nil)
	_, pub := testKey(3)
	addr := address.Encode("soterreg", pub)
	for _, method := range []string{"getbalance", "listunspent"} {
		r := ts.call(t, method, addr)
		if r.Error == nil || !strings.Contains(r.Error.Message, "--utxoindex") {
			t.Errorf("%s: got %+v, want a message naming --utxoindex", method, r.Error)
		}
	}
	ws := dialWS(t, ts, adminUser, adminPass)
	if m := wsCall(t, ws, 1, "notifyutxos", addr); m.Error == nil ||
		!strings.Contains(m.Error.Message, "--utxoindex") {
		t.Errorf("notifyutxos: got %+v", m.Error)
	}
}

// TestGetRawTransactionWithoutIndex checks that a node without the
// transaction index says how to find a confirmed transaction.
func TestGetRawTransactionWithoutIndex(t *testing.T) {
	ts := newTestServer(t, func(c *Config, _ *fakes) { c.TxLocator = nil })
	unknown := wire.Hash{7}
	r := ts.call(t, "getrawtransaction", unknown.String())
	if r.Error == nil || r.Error.Code != rpcmodel.ErrRPCNoTxInfo ||
		!strings.Contains(r.Error.Message, "--txindex") || !strings.Contains(r.Error.Message, "block") {
		t.Errorf("got %+v, want -5 naming --txindex and the block hash", r.Error)
	}
	ts = newTestServer(t, nil)
	r = ts.call(t, "getrawtransaction", unknown.String())
	if r.Error == nil || strings.Contains(r.Error.Message, "--txindex") {
		t.Errorf("with the index: got %+v, want no advice to turn it on", r.Error)
	}
}

// TestNotifyUTXOsSpend checks utxoschanged for a spend (the spent output
// removed, the new ones added, each to its watcher) and stopnotifyutxos.
func TestNotifyUTXOsSpend(t *testing.T) {
	params, dag, miner := newRealDAGWith(t, func(c *blockdag.Config) { c.UTXOIndex = true })
	ts := newTestServer(t, func(c *Config, _ *fakes) {
		c.Params = params
		c.DAG = dag
		c.Miner = miner
		c.UTXOIndex = dag
	})
	dag.Subscribe(func(n *blockdag.Notification) {
		if data, ok := n.Data.(*blockdag.VirtualChangedData); ok {
			ts.NotifyUTXOsChanged(data.UTXOsAdded, data.UTXOsRemoved, data.VirtualBlueScore)
		}
	})
	hashes, err := miner.Generate(uint32(params.CoinbaseMaturity) + 1)
	if err != nil {
		t.Fatal(err)
	}
	first, err := dag.BlockByHash(&hashes[0])
	if err != nil {
		t.Fatal(err)
	}
	cb := first.Transactions[0]
	_, friend := testKey(41)
	minerAddr := address.Encode(params.AddressPrefix, miner.pub)
	friendAddr := address.Encode(params.AddressPrefix, friend)

	ws := dialWS(t, ts, adminUser, adminPass)
	if m := wsCall(t, ws, 1, "notifyutxos", friendAddr); m.Error != nil {
		t.Fatal(m.Error)
	}
	tx := &wire.MsgTx{Version: wire.TxVersion,
		TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: cb.TxID()}}},
		TxOut: []wire.TxOut{{Value: 10 * blockdag.BaseUnitsPerCoin, PubKey: friend}}}
	priv, _ := testKey(9)
	if err := keys.SignTx(tx, []wire.TxOut{cb.TxOut[0]}, []*btcec.PrivateKey{priv}); err != nil {
		t.Fatal(err)
	}
	miner.pending = []*wire.MsgTx{tx}
	if _, err := miner.Generate(1); err != nil {
		t.Fatal(err)
	}
	// The friend's watcher sees only its new output, not the miner's
	// spent coinbase or new coinbase.
	m := wsRead(t, ws)
	var n rpcmodel.UTXOsChangedNtfn
	if m.Method != rpcmodel.NtfnUTXOsChanged || json.Unmarshal(m.Params[0], &n) != nil ||
		len(n.Added) != 1 || len(n.Removed) != 0 || n.Added[0].Address != friendAddr ||
		n.Added[0].TxID != tx.TxID().String() || n.Added[0].Amount != 10 {
		t.Fatalf("friend's notification: %+v %s", m, m.Params)
	}
	// The miner's watcher sees the coinbase spent.
	if m := wsCall(t, ws, 2, "notifyutxos", minerAddr); m.Error != nil {
		t.Fatal(m.Error)
	}
	tx2 := &wire.MsgTx{Version: wire.TxVersion,
		TxIn:  []wire.TxIn{{PreviousOutPoint: wire.OutPoint{TxID: tx.TxID()}}},
		TxOut: []wire.TxOut{{Value: 9 * blockdag.BaseUnitsPerCoin, PubKey: friend}}}
	fpriv, _ := testKey(41)
	if err := keys.SignTx(tx2, []wire.TxOut{tx.TxOut[0]}, []*btcec.PrivateKey{fpriv}); err != nil {
		t.Fatal(err)
	}
	miner.pending = []*wire.MsgTx{tx2}
	if _, err := miner.Generate(1); err != nil {
		t.Fatal(err)
	}
	m = wsRead(t, ws)
	n = rpcmodel.UTXOsChangedNtfn{}
	if m.Method != rpcmodel.NtfnUTXOsChanged || json.Unmarshal(m.Params[0], &n) != nil ||
		len(n.Removed) != 1 || n.Removed[0].TxID != tx.TxID().String() || n.Removed[0].Address != friendAddr ||
		len(n.Added) != 2 {
		t.Fatalf("spend notification: %+v", n)
	}
	// After stopnotifyutxos nothing comes: the next message is the
	// reply to a later call.
	if m := wsCall(t, ws, 3, "stopnotifyutxos"); m.Error != nil {
		t.Fatal(m.Error)
	}
	if _, err := miner.Generate(1); err != nil {
		t.Fatal(err)
	}
	if m := wsCall(t, ws, 4, "uptime"); m.Method != "" || string(m.ID) != "4" {
		t.Errorf("after stopnotifyutxos: got %+v", m)
	}
}
