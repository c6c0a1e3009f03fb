package rpcserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/websocket"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// wsURL returns the websocket URL of a test server.
func (ts *testServer) wsURL() string {
	return "ws://" + ts.Addrs()[0].String() + "/ws"
}

// basicAuth returns an Authorization header for user and pass.
func basicAuth(user, pass string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	return h
}

// dialWS opens a websocket, with basic auth when user is not empty.
func dialWS(t testing.TB, ts *testServer, user, pass string) *websocket.Conn {
	t.Helper()
	var h http.Header
	if user != "" {
		h = basicAuth(user, pass)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// wsMessage is a reply or a notification.
type wsMessage struct {
	Result json.RawMessage    `json:"result"`
	Error  *rpcmodel.RPCError `json:"error"`
	ID     json.RawMessage    `json:"id"`
	Method string             `json:"method"`
	Params []json.RawMessage  `json:"params"`
}

// wsCall sends a request and returns the next message, which must be its
// reply.
func wsCall(t testing.TB, conn *websocket.Conn, id int, method string, params ...interface{}) wsMessage {
	t.Helper()
	req, _ := rpcmodel.NewRequest(id, method, params...)
	if err := conn.WriteJSON(req); err != nil {
		t.Fatalf("write %s: %v", method, err)
	}
	return wsRead(t, conn)
}

// wsRead reads one message with a timeout.
func wsRead(t testing.TB, conn *websocket.Conn) wsMessage {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m wsMessage
	if err := conn.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// waitClients waits until the server has n websocket clients.
func waitClients(t *testing.T, ts *testServer, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ts.ntfn.mu.Lock()
		got := len(ts.ntfn.clients)
		ts.ntfn.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("server does not reach %d websocket clients", n)
}

func TestWebsocketCalls(t *testing.T) {
	ts := newTestServer(t, nil)
	conn := dialWS(t, ts, adminUser, adminPass)
	m := wsCall(t, conn, 1, "getblockcount")
	if m.Error != nil || string(m.Result) != "2" || string(m.ID) != "1" {
		t.Errorf("getblockcount: %+v", m)
	}
	m = wsCall(t, conn, 2, "getblockhash", "x")
	if m.Error == nil || m.Error.Code != rpcmodel.ErrRPCInvalidParams {
		t.Errorf("bad params: %+v", m)
	}
	m = wsCall(t, conn, 3, "authenticate", adminUser, adminPass)
	if m.Error == nil || m.Error.Code != rpcmodel.ErrRPCInvalidRequest {
		t.Errorf("second authenticate: %+v", m)
	}
	// A batch over the websocket.
	conn.WriteMessage(websocket.TextMessage, []byte(`[{"id":4,"method":"uptime"},{"id":5,"method":"getdagtips"}]`))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var batch []wsMessage
	if err := conn.ReadJSON(&batch); err != nil || len(batch) != 2 || batch[1].Error != nil {
		t.Errorf("batch: %v %+v", err, batch)
	}
}

func TestWebsocketAuth(t *testing.T) {
	ts := newTestServer(t, nil)

	// Wrong basic auth on the upgrade: 401, no websocket.
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), basicAuth(adminUser, "wrong"))
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad basic auth upgraded: %v", err)
	}

	// authenticate as the first message.
	conn := dialWS(t, ts, "", "")
	m := wsCall(t, conn, 1, "authenticate", limitUser, limitPass)
	if m.Error != nil || string(m.ID) != "1" {
		t.Fatalf("authenticate: %+v", m)
	}
	m = wsCall(t, conn, 2, "getbestblockhash")
	if m.Error != nil {
		t.Errorf("limited read: %v", m.Error)
	}
	m = wsCall(t, conn, 3, "addnode", "10.0.0.1", "add")
	if m.Error == nil || m.Error.Message != "limited user not authorized for this method" {
		t.Errorf("limited admin call: %+v", m)
	}
	m = wsCall(t, conn, 4, "notifyblocks")
	if m.Error != nil {
		t.Errorf("limited notifyblocks: %v", m.Error)
	}

	// A wrong password, or anything but authenticate first, closes the
	// connection without a reply.
	for _, first := range []string{
		`{"id":1,"method":"authenticate","params":["admin","nope"]}`,
		`{"id":1,"method":"getblockcount","params":[]}`,
		`{"id":1,"method":"authenticate","params":["admin"]}`,
		`garbage`,
	} {
		conn := dialWS(t, ts, "", "")
		conn.WriteMessage(websocket.TextMessage, []byte(first))
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, msg, err := conn.ReadMessage(); err == nil {
			t.Errorf("%s: got reply %s, want the connection closed", first, msg)
		}
	}
}

func TestWebsocketNotifications(t *testing.T) {
	ts := newTestServer(t, nil)
	blocks := dialWS(t, ts, adminUser, adminPass)
	txs := dialWS(t, ts, adminUser, adminPass)
	verbose := dialWS(t, ts, adminUser, adminPass)
	idle := dialWS(t, ts, adminUser, adminPass)
	if m := wsCall(t, blocks, 1, "notifyblocks"); m.Error != nil {
		t.Fatal(m.Error)
	}
	if m := wsCall(t, txs, 1, "notifynewtransactions"); m.Error != nil {
		t.Fatal(m.Error)
	}
	if m := wsCall(t, verbose, 1, "notifynewtransactions", true); m.Error != nil {
		t.Fatal(m.Error)
	}
	if m := wsCall(t, idle, 1, "uptime"); m.Error != nil {
		t.Fatal(m.Error)
	}

	d := ts.f.dag
	block := d.blocks[d.c]
	ts.NotifyBlockAccepted(block, d.c, 2, 3)
	// btcd's shape: rpcclient calls OnBlockConnected only for exactly
	// [hash string, height int32, time int64].
	m := wsRead(t, blocks)
	secs := fmt.Sprint(block.Header.Timestamp / 1000)
	if m.Method != rpcmodel.NtfnBlockConnected || len(m.Params) != 3 ||
		string(m.Params[0]) != `"`+d.c.String()+`"` || string(m.Params[1]) != "2" ||
		string(m.Params[2]) != secs {
		t.Errorf("blockconnected: %+v", m)
	}
	if string(m.ID) != "null" {
		t.Errorf("notification id %s, want null", m.ID)
	}
	var btcdHash string
	var btcdHeight int32
	var btcdTime int64
	if json.Unmarshal(m.Params[0], &btcdHash) != nil || json.Unmarshal(m.Params[1], &btcdHeight) != nil ||
		json.Unmarshal(m.Params[2], &btcdTime) != nil {
		t.Errorf("blockconnected params do not decode as btcd's (string, int32, int64): %+v", m)
	}
	m = wsRead(t, blocks)
	if m.Method != rpcmodel.NtfnDAGBlockConnected || len(m.Params) != 4 ||
		string(m.Params[0]) != `"`+d.c.String()+`"` || string(m.Params[1]) != "2" ||
		string(m.Params[2]) != "3" || string(m.Params[3]) != secs {
		t.Errorf("dagblockconnected: %+v", m)
	}

	ts.NotifyVirtualChanged([]wire.Hash{d.c}, []wire.Hash{d.b}, []wire.Hash{d.c}, 4)
	m = wsRead(t, blocks)
	var vc rpcmodel.VirtualChangedNtfn
	if m.Method != rpcmodel.NtfnVirtualChanged || len(m.Params) != 1 {
		t.Fatalf("virtualchanged: %+v", m)
	}
	json.Unmarshal(m.Params[0], &vc)
	if len(vc.Added) != 1 || vc.Added[0] != d.c.String() || len(vc.Removed) != 1 ||
		vc.VirtualBlueScore != 4 || len(vc.VirtualParents) != 1 {
		t.Errorf("virtualchanged: %+v", vc)
	}

	tx := ts.f.mempool.entries[0].Tx
	ts.NotifyTxAccepted(tx, tx.TxID())
	m = wsRead(t, txs)
	if m.Method != rpcmodel.NtfnTxAccepted || len(m.Params) != 2 ||
		string(m.Params[0]) != `"`+tx.TxID().String()+`"` || string(m.Params[1]) != "1.2345679" {
		t.Errorf("txaccepted: %+v", m)
	}
	m = wsRead(t, verbose)
	var raw rpcmodel.TxRawResult
	if m.Method != rpcmodel.NtfnTxAcceptedVerbose || len(m.Params) != 1 {
		t.Fatalf("txacceptedverbose: %+v", m)
	}
	json.Unmarshal(m.Params[0], &raw)
	if raw.TxID != tx.TxID().String() || raw.Hex == "" || len(raw.Vout) != 2 {
		t.Errorf("txacceptedverbose: %+v", raw)
	}

	// The block client got no tx notification and the idle one nothing:
	// their next message is the reply to a new call.
	if m := wsCall(t, blocks, 7, "uptime"); string(m.ID) != "7" {
		t.Errorf("block client got an unexpected message: %+v", m)
	}
	if m := wsCall(t, idle, 7, "uptime"); string(m.ID) != "7" {
		t.Errorf("idle client got an unexpected message: %+v", m)
	}

	// After stopnotify*, nothing more arrives.
	wsCall(t, blocks, 8, "stopnotifyblocks")
	wsCall(t, txs, 8, "stopnotifynewtransactions")
	ts.NotifyBlockAccepted(block, d.c, 2, 3)
	ts.NotifyTxAccepted(tx, tx.TxID())
	if m := wsCall(t, blocks, 9, "uptime"); string(m.ID) != "9" {
		t.Errorf("block client notified after stopnotifyblocks: %+v", m)
	}
	if m := wsCall(t, txs, 9, "uptime"); string(m.ID) != "9" {
		t.Errorf("tx client notified after stopnotifynewtransactions: %+v", m)
	}
}

// TestWebsocketSlowClient checks that a client that does not read is
// dropped once its queue overflows, and that notifying never blocks.
func TestWebsocketSlowClient(t *testing.T) {
	ts := newTestServer(t, nil)
	slow := dialWS(t, ts, adminUser, adminPass)
	if m := wsCall(t, slow, 1, "notifynewtransactions", true); m.Error != nil {
		t.Fatal(m.Error)
	}
	waitClients(t, ts, 1)
	// A big transaction makes each notification large, so the socket
	// buffers fill and the queue backs up.
	_, pub := testKey(4)
	tx := &wire.MsgTx{Version: wire.TxVersion}
	for i := 0; i < 200; i++ {
		tx.TxOut = append(tx.TxOut, wire.TxOut{Value: uint64(i + 1), PubKey: pub})
	}
	id := tx.TxID()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20*wsSendQueueSize; i++ {
			ts.NotifyTxAccepted(tx, id)
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("NotifyTxAccepted blocked on a slow client")
	}
	waitClients(t, ts, 0)
}

func TestWebsocketLimit(t *testing.T) {
	ts := newTestServer(t, func(c *Config, _ *fakes) { c.MaxWebsockets = 1 })
	first := dialWS(t, ts, adminUser, adminPass)
	wsCall(t, first, 1, "uptime")
	_, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(), basicAuth(adminUser, adminPass))
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second websocket: %v", err)
	}
	first.Close()
	waitClients(t, ts, 0)
	// The slot is free again.
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, _, err := websocket.DefaultDialer.Dial(ts.wsURL(), basicAuth(adminUser, adminPass))
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not released: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStopClosesWebsockets checks Stop disconnects websocket clients and
// returns.
func TestStopClosesWebsockets(t *testing.T) {
	ts := newTestServer(t, nil)
	conn := dialWS(t, ts, adminUser, adminPass)
	wsCall(t, conn, 1, "notifyblocks")
	stopped := make(chan struct{})
	go func() {
		ts.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return with a websocket open")
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := conn.ReadMessage(); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("websocket still open after Stop: %v", err)
	}
	// Notifying after Stop is harmless.
	d := ts.f.dag
	ts.NotifyBlockAccepted(d.blocks[d.c], d.c, 2, 3)
}
