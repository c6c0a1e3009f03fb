package rpcserver

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// getTemplate calls getblocktemplate with req (nil: no request) and decodes
// the result.
func (ts *testServer) getTemplate(t testing.TB, req *rpcmodel.TemplateRequest) *rpcmodel.GetBlockTemplateResult {
	t.Helper()
	var r rpcmodel.GetBlockTemplateResult
	if req == nil {
		ts.result(t, &r, "getblocktemplate")
	} else {
		ts.result(t, &r, "getblocktemplate", req)
	}
	return &r
}

// decodeTemplateTx decodes one transaction of a template result.
func decodeTemplateTx(t testing.TB, rt *rpcmodel.GetBlockTemplateResultTx) *wire.MsgTx {
	t.Helper()
	b, err := hex.DecodeString(rt.Data)
	if err != nil {
		t.Fatalf("template tx data: %v", err)
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(b); err != nil {
		t.Fatalf("template tx: %v", err)
	}
	if tx.TxID().String() != rt.TxID || tx.TxHash().String() != rt.Hash {
		t.Errorf("template tx %s: txid or hash do not match its data", rt.TxID)
	}
	return &tx
}

// TestGetBlockTemplateShape checks every member of a template against the
// fake generator's template, the per-caller coinbase and the cache.
func TestGetBlockTemplateShape(t *testing.T) {
	ts := newTestServer(t, nil)
	f := ts.f
	before := time.Now().UnixMilli()
	r := ts.getTemplate(t, nil)
	after := time.Now().UnixMilli()

	if r.Version != 1 || len(r.Parents) != 1 || r.Parents[0] != f.dag.c.String() ||
		r.Height != 3 || r.BlueScore != fakeTemplateBlueScore || r.Bits != "207fffff" {
		t.Errorf("header fields: %+v", r)
	}
	if r.Target != "7fffff0000000000000000000000000000000000000000000000000000000000" {
		t.Errorf("target %s", r.Target)
	}
	offset := ts.cfg.Params.MaxTimeOffset.Milliseconds()
	if r.MinTime != f.templater.minTime || r.CurTime < before || r.CurTime > after ||
		r.MaxTime < before+offset || r.MaxTime > after+offset {
		t.Errorf("times: cur %d min %d max %d, called at %d..%d", r.CurTime, r.MinTime, r.MaxTime,
			before, after)
	}
	if r.NonceRange != "0000000000000000ffffffffffffffff" || r.SizeLimit != ts.cfg.Params.MaxBlockSize ||
		!r.SubmitOld || r.CoinbaseValue != 50*blockdag.BaseUnitsPerCoin {
		t.Errorf("limits: %+v", r)
	}
	if !reflect.DeepEqual(r.Mutable, []string{"time", "transactions", "coinbase", "coinbase/append"}) ||
		!reflect.DeepEqual(r.Capabilities, []string{"proposal", "longpoll", "coinbasetxn"}) {
		t.Errorf("mutable %v, capabilities %v", r.Mutable, r.Capabilities)
	}
	if _, err := parseLongPollID(r.LongPollID); err != nil {
		t.Errorf("longpollid %q: %v", r.LongPollID, err)
	}

	// The transactions, with fees and the child's dependency on its
	// parent (1-based, coinbase left out).
	if len(r.Transactions) != 2 {
		t.Fatalf("%d transactions, want 2", len(r.Transactions))
	}
	wantDeps := [][]int64{{}, {1}}
	for i, rt := range r.Transactions {
		tx := decodeTemplateTx(t, &rt)
		if tx.TxID() != f.templater.txs[i].TxID() {
			t.Errorf("tx %d: %s, want %s", i, tx.TxID(), f.templater.txs[i].TxID())
		}
		if rt.Fee != uint64(1000*(i+1)) || !reflect.DeepEqual(rt.Depends, wantDeps[i]) {
			t.Errorf("tx %d: fee %d depends %v, want %d %v", i, rt.Fee, rt.Depends, 1000*(i+1), wantDeps[i])
		}
	}

	// The coinbase pays the node's key, its payload starts with the
	// advertised prefix, and the extra nonce is where the rules say.
	cb := decodeTemplateTx(t, r.CoinbaseTxn)
	if len(cb.TxOut) != 1 || cb.TxOut[0].PubKey != f.payTo || cb.TxOut[0].Value != r.CoinbaseValue ||
		r.MiningAddr != address.Encode(ts.cfg.Params.AddressPrefix, f.payTo) || len(r.CoinbaseTxn.Depends) != 0 {
		t.Errorf("coinbase %+v, miningaddr %s", cb.TxOut, r.MiningAddr)
	}
	prefix := make([]byte, 8)
	binary.LittleEndian.PutUint64(prefix, fakeTemplateBlueScore)
	rules := r.CoinbasePayload
	if rules.Prefix != hex.EncodeToString(prefix) || !strings.HasPrefix(hex.EncodeToString(cb.Payload), rules.Prefix) ||
		rules.MaxLength != ts.cfg.Params.MaxCoinbasePayloadLen || rules.ExtraNonceOffset != 8 ||
		rules.ExtraNonceLength != 8 {
		t.Errorf("payload rules %+v for payload %x", rules, cb.Payload)
	}

	// A second caller gets the same template with a coinbase of its own;
	// the generator ran once.
	_, other := testKey(8)
	otherAddr := address.Encode(ts.cfg.Params.AddressPrefix, other)
	r2 := ts.getTemplate(t, &rpcmodel.TemplateRequest{MiningAddr: otherAddr})
	cb2 := decodeTemplateTx(t, r2.CoinbaseTxn)
	if cb2.TxOut[0].PubKey != other || r2.MiningAddr != otherAddr {
		t.Errorf("request's miningaddr not paid: %+v", cb2.TxOut)
	}
	r3 := ts.getTemplate(t, &rpcmodel.TemplateRequest{Mode: "template"})
	if r3.CoinbaseTxn.TxID == r.CoinbaseTxn.TxID || r2.CoinbaseTxn.TxID == r.CoinbaseTxn.TxID {
		t.Errorf("two callers share a coinbase")
	}
	if r2.LongPollID != r.LongPollID || r3.LongPollID != r.LongPollID {
		t.Errorf("longpollid moved without a change: %s %s %s", r.LongPollID, r2.LongPollID, r3.LongPollID)
	}
	if n := f.templater.buildCount(); n != 1 {
		t.Errorf("generator ran %d times for one generation", n)
	}

	// A virtual change starts a new generation: a new id, a new build.
	ts.NotifyVirtualChanged(nil, nil, []wire.Hash{f.dag.a, f.dag.b}, 5)
	r4 := ts.getTemplate(t, nil)
	if r4.LongPollID == r.LongPollID || f.templater.buildCount() != 2 {
		t.Errorf("after a virtual change: id %s (was %s), %d builds", r4.LongPollID, r.LongPollID,
			f.templater.buildCount())
	}
}

// TestGetBlockTemplateErrors checks the answers to bad requests and to
// nodes that cannot serve templates.
func TestGetBlockTemplateErrors(t *testing.T) {
	_, pub := testKey(4)
	pubHex := hex.EncodeToString(pub[:])
	block := hex.EncodeToString(makeBlock([]wire.Hash{{1}}, 1, 1, pub).Serialize())
	tests := []struct {
		name   string
		mutate func(*Config, *fakes)
		params []interface{}
		code   rpcmodel.RPCErrorCode
		msg    string
	}{
		{name: "request not an object", params: []interface{}{"template"},
			code: rpcmodel.ErrRPCInvalidParams, msg: "json object"},
		{name: "mode of the wrong type", params: []interface{}{json.RawMessage(`{"mode":5}`)},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "request"},
		{name: "unknown mode", params: []interface{}{json.RawMessage(`{"mode":"work"}`)},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "mode must be"},
		{name: "bad miningaddr", params: []interface{}{json.RawMessage(`{"miningaddr":"abcd"}`)},
			code: rpcmodel.ErrRPCInvalidAddressOrKey, msg: "miningaddr"},
		{name: "miningaddr off the curve", params: []interface{}{json.RawMessage(`{"miningaddr":"` +
			strings.Repeat("ff", 32) + `"}`)},
			code: rpcmodel.ErrRPCInvalidAddressOrKey, msg: "miningaddr"},
		{name: "bad longpollid", params: []interface{}{json.RawMessage(`{"longpollid":"x-1"}`)},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "longpollid"},
		{name: "no mining address", mutate: func(c *Config, _ *fakes) { c.MiningAddr = nil },
			code: rpcmodel.ErrRPCInvalidParameter, msg: "no mining address"},
		{name: "no generator", mutate: func(c *Config, _ *fakes) { c.Templater = nil },
			code: rpcmodel.ErrRPCUnimplemented, msg: "this node has no block template generator"},
		{name: "generator fails", mutate: func(_ *Config, f *fakes) { f.templater.err = errors.New("no tips") },
			code: rpcmodel.ErrRPCMisc, msg: "no tips"},
		{name: "mainnet without peers", mutate: func(c *Config, f *fakes) {
			c.Params = blockdag.MainNetParams()
			f.conn.peers = nil
		}, code: rpcmodel.ErrRPCClientNotConnected, msg: "not connected"},
		{name: "mainnet downloading", mutate: func(c *Config, f *fakes) {
			c.Params = blockdag.MainNetParams()
			f.sync.status.IsCurrent = false
		}, code: rpcmodel.ErrRPCClientInInitialDownload, msg: "downloading"},
		{name: "proposal without data", params: []interface{}{json.RawMessage(`{"mode":"proposal"}`)},
			code: rpcmodel.ErrRPCInvalidParameter, msg: "needs the block"},
		{name: "proposal bad hex", params: []interface{}{json.RawMessage(`{"mode":"proposal","data":"zz"}`)},
			code: rpcmodel.ErrRPCDecodeHexString, msg: "hexadecimal"},
		{name: "proposal not a block", params: []interface{}{json.RawMessage(`{"mode":"proposal","data":"0100"}`)},
			code: rpcmodel.ErrRPCDeserialization, msg: "decode"},
		{name: "proposal store failure", mutate: func(_ *Config, f *fakes) { f.dag.checkErr = errors.New("disk") },
			params: []interface{}{json.RawMessage(`{"mode":"proposal","data":"` + block + `"}`)},
			code:   rpcmodel.ErrRPCInternal, msg: "disk"},
		{name: "longpoll on mainnet downloading", mutate: func(c *Config, f *fakes) {
			c.Params = blockdag.MainNetParams()
			f.sync.status.IsCurrent = false
		}, params: []interface{}{json.RawMessage(`{"longpollid":"0000000000000000-1","miningaddr":"` + pubHex + `"}`)},
			code: rpcmodel.ErrRPCClientInInitialDownload},
	}
	for _, test := range tests {
		ts := newTestServer(t, test.mutate)
		r := ts.call(t, "getblocktemplate", test.params...)
		if r.Error == nil || r.Error.Code != test.code || !strings.Contains(r.Error.Message, test.msg) {
			t.Errorf("%s: got %s %v, want code %d with %q", test.name, r.Result, r.Error, test.code, test.msg)
		}
	}
}

// TestProposalReasons checks how the rules the DAG reports map to BIP 22
// reject reasons, and the duplicate checks that come first.
func TestProposalReasons(t *testing.T) {
	ts := newTestServer(t, nil)
	d := ts.f.dag
	_, pub := testKey(4)
	fresh := makeBlock([]wire.Hash{d.c}, 4, 1, pub)
	freshHash := fresh.BlockHash()
	rule := func(kind blockdag.ErrorKind) error {
		return blockdag.RuleError{Err: kind, Description: "test"}
	}
	tests := []struct {
		name    string
		block   *wire.MsgBlock
		setup   func()
		want    string // "null" when accepted
		checked bool   // whether CheckBlockTemplate must have run
	}{
		{name: "valid", block: fresh, want: "null", checked: true},
		{name: "in the DAG", block: d.blocks[d.c], want: rpcmodel.RejectDuplicate},
		{name: "known invalid", block: fresh, want: rpcmodel.RejectDuplicateInvalid,
			setup: func() { d.knownInvalid = map[wire.Hash]bool{freshHash: true} }},
		{name: "orphan", block: fresh, want: rpcmodel.RejectDuplicateInconclusive,
			setup: func() { d.knownOrphans = map[wire.Hash]bool{freshHash: true} }},
		{name: "missing parent", block: fresh, want: rpcmodel.RejectInconclusive, checked: true,
			setup: func() { d.checkErr = rule(blockdag.ErrBlockNotFound) }},
		{name: "invalid parent", block: fresh, want: rpcmodel.RejectBadPrevBlk, checked: true,
			setup: func() { d.checkErr = rule(blockdag.ErrInvalidParent) }},
		{name: "merkle root", block: fresh, want: rpcmodel.RejectBadMerkleRoot, checked: true,
			setup: func() { d.checkErr = rule(blockdag.ErrBadMerkleRoot) }},
		{name: "difficulty", block: fresh, want: rpcmodel.RejectBadDiffBits, checked: true,
			setup: func() { d.checkErr = rule(blockdag.ErrUnexpectedDifficulty) }},
		{name: "wrapped", block: fresh, want: rpcmodel.RejectTxnsSignature, checked: true,
			setup: func() { d.checkErr = errors.Join(errors.New("ctx"), rule(blockdag.ErrBadSignature)) }},
		{name: "rule without a name", block: fresh, want: rpcmodel.RejectRejected, checked: true,
			setup: func() { d.checkErr = rule(blockdag.ErrOrphanLimit) }},
	}
	for _, test := range tests {
		d.mu.Lock()
		d.checkErr, d.knownInvalid, d.knownOrphans, d.checked = nil, nil, nil, nil
		d.mu.Unlock()
		if test.setup != nil {
			d.mu.Lock()
			test.setup()
			d.mu.Unlock()
		}
		r := ts.call(t, "getblocktemplate", rpcmodel.TemplateRequest{Mode: "proposal",
			Data: hex.EncodeToString(test.block.Serialize())})
		want := test.want
		if want != "null" {
			want = `"` + want + `"`
		}
		if r.Error != nil || string(r.Result) != want {
			t.Errorf("%s: got %s %v, want %s", test.name, r.Result, r.Error, want)
		}
		d.mu.Lock()
		checked := len(d.checked) == 1
		d.mu.Unlock()
		if checked != test.checked {
			t.Errorf("%s: CheckBlockTemplate ran: %v, want %v", test.name, checked, test.checked)
		}
	}
	// The limited user may propose, as it may submit.
	r := ts.callAs(t, limitUser, limitPass, "getblocktemplate", rpcmodel.TemplateRequest{Mode: "proposal",
		Data: hex.EncodeToString(fresh.Serialize())})
	if r.Error != nil {
		t.Errorf("limited user proposal: %v", r.Error)
	}
}

// TestRejectReasonsCoverKinds checks that every rule a block can break has
// a reason of its own, apart from the few that mean "rejected".
func TestRejectReasonsCoverKinds(t *testing.T) {
	generic := map[blockdag.ErrorKind]bool{blockdag.ErrOrphanLimit: true}
	kinds := []blockdag.ErrorKind{
		blockdag.ErrDuplicateBlock, blockdag.ErrKnownInvalid, blockdag.ErrBlockTooBig,
		blockdag.ErrBlockVersion, blockdag.ErrTimeTooNew, blockdag.ErrTimeTooOld,
		blockdag.ErrUnexpectedDifficulty, blockdag.ErrHighHash, blockdag.ErrBadMerkleRoot,
		blockdag.ErrNoParents, blockdag.ErrTooManyParents, blockdag.ErrParentsNotSorted,
		blockdag.ErrInvalidParent, blockdag.ErrParentIsAncestor, blockdag.ErrMergeSetTooBig,
		blockdag.ErrNoTransactions, blockdag.ErrFirstTxNotCoinbase, blockdag.ErrMultipleCoinbases,
		blockdag.ErrBadCoinbasePayload, blockdag.ErrBadCoinbaseValue, blockdag.ErrDuplicateTx,
		blockdag.ErrDoubleSpendInBlock, blockdag.ErrBadTxVersion, blockdag.ErrNoTxInputs,
		blockdag.ErrNoTxOutputs, blockdag.ErrTxTooBig, blockdag.ErrBadTxOutValue,
		blockdag.ErrDuplicateTxInputs, blockdag.ErrTxPayload, blockdag.ErrMissingTxOut,
		blockdag.ErrSpendTooHigh, blockdag.ErrImmatureSpend, blockdag.ErrUnfinalizedTx,
		blockdag.ErrBadSignature, blockdag.ErrOutputExists, blockdag.ErrOrphanLimit,
		blockdag.ErrBlockNotFound,
	}
	for _, kind := range kinds {
		reason, ok := rejectReason(blockdag.RuleError{Err: kind, Description: "x"})
		if !ok || reason == "" || (reason == rpcmodel.RejectRejected) != generic[kind] {
			t.Errorf("%s: reason %q, ok %v", kind, reason, ok)
		}
	}
	for _, err := range []error{errors.New("disk"),
		blockdag.RuleError{Err: blockdag.ErrCorruptState, Description: "x"}} {
		if reason, ok := rejectReason(err); ok {
			t.Errorf("%v: got reason %q, want an internal error", err, reason)
		}
	}
}

// longPoll calls getblocktemplate with a longpollid in a goroutine and
// returns a channel that gets the response.
func (ts *testServer) longPoll(t testing.TB, id string) <-chan *rpcmodel.Response {
	t.Helper()
	req, err := rpcmodel.NewRequest(1, "getblocktemplate", rpcmodel.TemplateRequest{LongPollID: id})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(req)
	out := make(chan *rpcmodel.Response, 1)
	go func() {
		hreq, err := http.NewRequest(http.MethodPost, ts.url, bytes.NewReader(body))
		if err != nil {
			out <- &rpcmodel.Response{Error: rpcmodel.NewRPCError(0, err.Error())}
			return
		}
		hreq.SetBasicAuth(adminUser, adminPass)
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			out <- &rpcmodel.Response{Error: rpcmodel.NewRPCError(0, err.Error())}
			return
		}
		defer resp.Body.Close()
		var r rpcmodel.Response
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			r.Error = rpcmodel.NewRPCError(0, err.Error())
		}
		out <- &r
	}()
	return out
}

// waitResponse waits for a long poll's answer, failing after timeout.
func waitResponse(t testing.TB, ch <-chan *rpcmodel.Response, timeout time.Duration) *rpcmodel.Response {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(timeout):
		t.Fatalf("long poll did not answer within %v", timeout)
		return nil
	}
}

// pending reports whether a long poll is still waiting after d.
func pending(ch <-chan *rpcmodel.Response, d time.Duration) bool {
	select {
	case <-ch:
		return false
	case <-time.After(d):
		return true
	}
}

// templateID decodes a response's template and returns its longpollid.
func templateID(t testing.TB, r *rpcmodel.Response) string {
	t.Helper()
	if r.Error != nil {
		t.Fatalf("long poll: %v", r.Error)
	}
	var res rpcmodel.GetBlockTemplateResult
	decode(t, r.Result, &res)
	return res.LongPollID
}

// TestLongPoll checks when a long poll answers: at once for an id that is
// not current, on a virtual change, on mempool transactions only once the
// template is old enough, and on the timeout.
func TestLongPoll(t *testing.T) {
	const refresh = 300 * time.Millisecond
	ts := newTestServer(t, func(c *Config, _ *fakes) {
		c.TemplateTxRefresh = refresh
		c.LongPollTimeout = 20 * time.Second
	})
	d := ts.f.dag
	id := ts.getTemplate(t, nil).LongPollID

	// An id of another generation answers at once.
	stale := longPollID{tag: 1, gen: 1}.String()
	if got := templateID(t, waitResponse(t, ts.longPoll(t, stale), 5*time.Second)); got != id {
		t.Errorf("stale id: got template %s, want %s", got, id)
	}

	// A virtual change answers a waiting poll with the new generation.
	ch := ts.longPoll(t, id)
	if !pending(ch, 100*time.Millisecond) {
		t.Fatal("long poll on the current id answered at once")
	}
	ts.NotifyVirtualChanged(nil, nil, []wire.Hash{d.a, d.b}, 5)
	id2 := templateID(t, waitResponse(t, ch, 5*time.Second))
	if id2 == id {
		t.Errorf("after a virtual change the id is still %s", id)
	}

	// Transactions in a young generation answer once it is refresh old,
	// not before.
	ch = ts.longPoll(t, id2)
	start := time.Now()
	ts.NotifyTxAccepted(ts.f.mempool.entries[0].Tx, ts.f.mempool.entries[0].TxID)
	id3 := templateID(t, waitResponse(t, ch, 5*time.Second))
	if elapsed := time.Since(start); elapsed < refresh/2 {
		t.Errorf("mempool change answered after %v, before the template was %v old", elapsed, refresh)
	}
	if id3 == id2 {
		t.Errorf("after the mempool rule the id is still %s", id2)
	}
	// In an old generation a transaction answers at once.
	time.Sleep(refresh)
	ch = ts.longPoll(t, id3)
	if !pending(ch, 50*time.Millisecond) {
		t.Fatal("long poll answered before the transaction")
	}
	ts.NotifyTxAccepted(ts.f.mempool.entries[1].Tx, ts.f.mempool.entries[1].TxID)
	if got := templateID(t, waitResponse(t, ch, 5*time.Second)); got == id3 {
		t.Errorf("transaction in an old generation did not move the id")
	}
}

// TestLongPollTimeoutAndSlots checks that a long poll answers on its
// timeout with the same template, that waiting polls hold no handler slot,
// and that Stop ends them.
func TestLongPollTimeoutAndSlots(t *testing.T) {
	ts := newTestServer(t, func(c *Config, _ *fakes) {
		c.LongPollTimeout = 300 * time.Millisecond
		c.MaxConcurrentReqs = 1
	})
	id := ts.getTemplate(t, nil).LongPollID
	start := time.Now()
	if got := templateID(t, waitResponse(t, ts.longPoll(t, id), 5*time.Second)); got != id {
		t.Errorf("timeout: got %s, want the same template %s", got, id)
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
		t.Errorf("timeout answered after %v", elapsed)
	}

	ts = newTestServer(t, func(c *Config, _ *fakes) {
		c.LongPollTimeout = time.Minute
		c.MaxConcurrentReqs = 1
	})
	id = ts.getTemplate(t, nil).LongPollID
	polls := []<-chan *rpcmodel.Response{ts.longPoll(t, id), ts.longPoll(t, id)}
	for _, p := range polls {
		if !pending(p, 50*time.Millisecond) {
			t.Fatal("long poll answered at once")
		}
	}
	// With one handler slot and two polls waiting, other calls go on.
	if r := ts.call(t, "getblockcount"); r.Error != nil {
		t.Errorf("call beside waiting polls: %v", r.Error)
	}
	done := make(chan struct{})
	go func() {
		ts.Stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not end the long polls")
	}
	for _, p := range polls {
		if r := waitResponse(t, p, 5*time.Second); r.Error == nil {
			t.Errorf("long poll cut by Stop answered %s", r.Result)
		}
	}
}

// TestNotifyBlockTemplate checks blocktemplatechanged: sent on a virtual
// change and by the mempool rule, with the id getblocktemplate then gives,
// and no longer after stopnotifyblocktemplate.
func TestNotifyBlockTemplate(t *testing.T) {
	ts := newTestServer(t, func(c *Config, _ *fakes) { c.TemplateTxRefresh = 100 * time.Millisecond })
	conn := dialWS(t, ts, limitUser, limitPass)
	if m := wsCall(t, conn, 1, "notifyblocktemplate"); m.Error != nil {
		t.Fatal(m.Error)
	}
	readNtfn := func() rpcmodel.BlockTemplateChangedNtfn {
		t.Helper()
		m := wsRead(t, conn)
		if m.Method != rpcmodel.NtfnBlockTemplateChanged || len(m.Params) != 1 {
			t.Fatalf("unexpected message %+v", m)
		}
		var n rpcmodel.BlockTemplateChangedNtfn
		if err := json.Unmarshal(m.Params[0], &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	d := ts.f.dag
	ts.NotifyVirtualChanged(nil, nil, []wire.Hash{d.a, d.b}, 5)
	n := readNtfn()
	if n.Reason != rpcmodel.TemplateChangedParents {
		t.Errorf("reason %q, want %q", n.Reason, rpcmodel.TemplateChangedParents)
	}
	m := wsCall(t, conn, 2, "getblocktemplate")
	var r rpcmodel.GetBlockTemplateResult
	if m.Error != nil || json.Unmarshal(m.Result, &r) != nil || r.LongPollID != n.LongPollID {
		t.Errorf("template after the notification: %v, id %s, want %s", m.Error, r.LongPollID, n.LongPollID)
	}

	ts.NotifyTxAccepted(ts.f.mempool.entries[0].Tx, ts.f.mempool.entries[0].TxID)
	if n2 := readNtfn(); n2.Reason != rpcmodel.TemplateChangedMempool || n2.LongPollID == n.LongPollID {
		t.Errorf("mempool notification %+v", n2)
	}

	if m := wsCall(t, conn, 3, "stopnotifyblocktemplate"); m.Error != nil {
		t.Fatal(m.Error)
	}
	ts.NotifyVirtualChanged(nil, nil, []wire.Hash{d.c}, 6)
	if m := wsCall(t, conn, 4, "uptime"); m.Method != "" || m.Error != nil {
		t.Errorf("after stopnotifyblocktemplate: %+v", m)
	}
	// Over HTTP the subscription does not exist.
	if r := ts.call(t, "notifyblocktemplate"); r.Error == nil || r.Error.Code != rpcmodel.ErrRPCMethodNotFound {
		t.Errorf("notifyblocktemplate over HTTP: %v", r.Error)
	}
}

// TestTemplateKeeperConcurrent hammers the keeper with virtual changes,
// transactions and template requests at once, for the race detector: every
// template served must carry an id the keeper gave out.
func TestTemplateKeeperConcurrent(t *testing.T) {
	ts := newTestServer(t, func(c *Config, _ *fakes) { c.TemplateTxRefresh = time.Millisecond })
	d := ts.f.dag
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 30; j++ {
				ts.NotifyVirtualChanged(nil, nil, []wire.Hash{d.a}, uint64(j))
				ts.NotifyTxAccepted(d.spendTx, d.spendTx.TxID())
			}
		}()
	}
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				st, err := ts.templates.template()
				if err != nil {
					t.Error(err)
					return
				}
				if cur, _ := ts.templates.current(); st.id.gen > cur.gen {
					t.Errorf("template id %v ahead of the keeper's %v", st.id, cur)
				}
			}
		}()
	}
	wg.Wait()
}

// TestParseLongPollID checks the canonical form of longpollids.
func TestParseLongPollID(t *testing.T) {
	tests := []struct {
		in   string
		want longPollID
		ok   bool
	}{
		{"00000000000000ff-7", longPollID{tag: 0xff, gen: 7}, true},
		{"0123456789abcdef-18446744073709551615", longPollID{tag: 0x0123456789abcdef, gen: 1<<64 - 1}, true},
		{"0123456789abcdef-0", longPollID{tag: 0x0123456789abcdef}, true},
		{"0123456789ABCDEF-1", longPollID{}, false},
		{"0123456789abcdef-01", longPollID{}, false},
		{"0123456789abcdef-+1", longPollID{}, false},
		{"0123456789abcdef-18446744073709551616", longPollID{}, false},
		{"0123456789abcde-1", longPollID{}, false},
		{"0123456789abcdefa-1", longPollID{}, false},
		{"0123456789abcdef", longPollID{}, false},
		{"0123456789abcdeg-1", longPollID{}, false},
		{"", longPollID{}, false},
		{strings.Repeat("0", 100), longPollID{}, false},
	}
	for _, test := range tests {
		got, err := parseLongPollID(test.in)
		if (err == nil) != test.ok || (test.ok && got != test.want) {
			t.Errorf("%q: got %+v %v, want %+v ok=%v", test.in, got, err, test.want, test.ok)
		}
		if test.ok && got.String() != test.in {
			t.Errorf("%q: String gives %q", test.in, got.String())
		}
	}
}
