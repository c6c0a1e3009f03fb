package rpcserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
)

const (
	adminUser, adminPass = "admin", "adminpass"
	limitUser, limitPass = "limited", "limitpass"
)

// testServer is a started server on 127.0.0.1:0 with fake sources.
type testServer struct {
	*Server
	f   *fakes
	url string
}

// newTestServer starts a server with every fake, after mutate adjusts the
// config.
func newTestServer(t testing.TB, mutate func(*Config, *fakes)) *testServer {
	t.Helper()
	params := blockdag.RegressionNetParams()
	f := newFakes(params)
	cfg := &Config{
		ListenAddrs:  []string{"127.0.0.1:0"},
		NoTLS:        true,
		RPCUser:      adminUser,
		RPCPass:      adminPass,
		RPCLimitUser: limitUser,
		RPCLimitPass: limitPass,
		Params:       params,
		StartupTime:  time.Now().Add(-90 * time.Second),
		Version:      100,
		RelayFee:     1000,
		DAG:          f.dag,
		SyncMgr:      f.sync,
		ConnMgr:      f.conn,
		Mempool:      f.mempool,
		Miner:        f.miner,
		TxLocator:    f.locator,
		Templater:    f.templater,
		MiningAddr:   &f.payTo,
		// Long enough for any test that waits on purpose, short
		// enough that a fuzz input that guessed the current
		// longpollid does not stall the run.
		LongPollTimeout: 10 * time.Second,
	}
	if mutate != nil {
		mutate(cfg, f)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	s.Start()
	t.Cleanup(s.Stop)
	return &testServer{Server: s, f: f, url: "http://" + s.Addrs()[0].String() + "/"}
}

// post sends a raw body and returns the HTTP response and its body.
func (ts *testServer) post(t testing.TB, user, pass, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read reply: %v", err)
	}
	return resp, b
}

// callAs calls a method as a user and decodes the response.
func (ts *testServer) callAs(t testing.TB, user, pass, method string, params ...interface{}) *rpcmodel.Response {
	t.Helper()
	req, err := rpcmodel.NewRequest(1, method, params...)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(req)
	resp, b := ts.post(t, user, pass, string(body))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", method, resp.StatusCode, b)
	}
	var r rpcmodel.Response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: bad reply %s: %v", method, b, err)
	}
	return &r
}

// call calls a method as the admin.
func (ts *testServer) call(t testing.TB, method string, params ...interface{}) *rpcmodel.Response {
	t.Helper()
	return ts.callAs(t, adminUser, adminPass, method, params...)
}

// result calls a method as the admin, fails on an error, and decodes the
// result into v.
func (ts *testServer) result(t testing.TB, v interface{}, method string, params ...interface{}) {
	t.Helper()
	r := ts.call(t, method, params...)
	if r.Error != nil {
		t.Fatalf("%s: unexpected error %v", method, r.Error)
	}
	if err := json.Unmarshal(r.Result, v); err != nil {
		t.Fatalf("%s: decode result %s: %v", method, r.Result, err)
	}
}

// TestHandlersMatchTable checks that every method of rpcmodel's table has a
// handler and every handler a table entry.
func TestHandlersMatchTable(t *testing.T) {
	for _, m := range rpcmodel.Methods() {
		if handlers[m.Name] == nil {
			t.Errorf("method %s has no handler", m.Name)
		}
	}
	for name := range handlers {
		if _, ok := rpcmodel.LookupMethod(name); !ok {
			t.Errorf("handler %s is not in the method table", name)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	params := blockdag.RegressionNetParams()
	f := newFakes(params)
	base := func() *Config {
		return &Config{ListenAddrs: []string{"127.0.0.1:0"}, NoTLS: true,
			RPCUser: "u", RPCPass: "p", Params: params, DAG: f.dag}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		kind   ErrorKind
		text   string
	}{
		{name: "no params", mutate: func(c *Config) { c.Params = nil }, kind: ErrInvalidConfig, text: "Params"},
		{name: "no dag", mutate: func(c *Config) { c.DAG = nil }, kind: ErrInvalidConfig, text: "DAG"},
		{name: "no listen", mutate: func(c *Config) { c.ListenAddrs = nil }, kind: ErrInvalidConfig, text: "rpclisten"},
		{name: "no user", mutate: func(c *Config) { c.RPCUser, c.RPCPass = "", "" }, kind: ErrInvalidConfig, text: "rpcuser"},
		{name: "user no pass", mutate: func(c *Config) {
			c.RPCPass = ""
			c.RPCLimitUser, c.RPCLimitPass = "l", "p"
		}, kind: ErrInvalidConfig, text: "both"},
		{name: "limit no pass", mutate: func(c *Config) { c.RPCLimitUser = "l" }, kind: ErrInvalidConfig, text: "rpclimituser"},
		{name: "same users", mutate: func(c *Config) { c.RPCLimitUser, c.RPCLimitPass = "u", "x" },
			kind: ErrInvalidConfig, text: "differ"},
		{name: "negative clients", mutate: func(c *Config) { c.MaxClients = -1 }, kind: ErrInvalidConfig, text: "rpcmaxclients"},
		{name: "negative body", mutate: func(c *Config) { c.MaxRequestBytes = -1 }, kind: ErrInvalidConfig, text: "MaxRequestBytes"},
		{name: "notls public", mutate: func(c *Config) { c.ListenAddrs = []string{"0.0.0.0:0"} },
			kind: ErrNoTLSNonLoopback, text: "notls"},
		{name: "notls all interfaces", mutate: func(c *Config) { c.ListenAddrs = []string{":0"} },
			kind: ErrNoTLSNonLoopback, text: "loopback"},
		{name: "tls no cert", mutate: func(c *Config) { c.NoTLS = false }, kind: ErrInvalidConfig, text: "rpccert"},
		{name: "bad listen", mutate: func(c *Config) { c.ListenAddrs = []string{"127.0.0.1:notaport"} },
			kind: ErrListen, text: "rpclisten"},
	}
	for _, test := range tests {
		cfg := base()
		test.mutate(cfg)
		s, err := New(cfg)
		if err == nil {
			s.Stop()
			t.Errorf("%s: no error", test.name)
			continue
		}
		if !errors.Is(err, test.kind) {
			t.Errorf("%s: got %v, want kind %v", test.name, err, test.kind)
		}
		if !strings.Contains(err.Error(), test.text) {
			t.Errorf("%s: error %q does not name %q", test.name, err, test.text)
		}
	}
	if _, err := New(nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil config: got %v", err)
	}
	// Loopback names are accepted without TLS.
	for _, addr := range []string{"localhost:0", "[::1]:0", "127.0.0.1:0"} {
		if !isLoopback(addr) {
			t.Errorf("%s: not loopback", addr)
		}
	}
}

func TestStartStop(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.Stop()
	ts.Stop() // idempotent
	ts.Start()
	if _, err := http.Post(ts.url, "application/json", strings.NewReader("{}")); err == nil {
		t.Errorf("server still answers after Stop")
	}

	// Stop without Start releases the listeners.
	params := blockdag.RegressionNetParams()
	s, err := New(&Config{ListenAddrs: []string{"127.0.0.1:0"}, NoTLS: true,
		RPCUser: "u", RPCPass: "p", Params: params, DAG: newFakeDAG(params)})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addrs()[0].String()
	s.Stop()
	s2, err := New(&Config{ListenAddrs: []string{addr}, NoTLS: true,
		RPCUser: "u", RPCPass: "p", Params: params, DAG: newFakeDAG(params)})
	if err != nil {
		t.Fatalf("address not released by Stop: %v", err)
	}
	s2.Stop()
}

func TestStopMethod(t *testing.T) {
	ts := newTestServer(t, nil)
	select {
	case <-ts.RequestedProcessShutdown():
		t.Fatal("shutdown requested before stop")
	default:
	}
	var s string
	ts.result(t, &s, "stop")
	if s != "soterd stopping." {
		t.Errorf("got %q", s)
	}
	ts.result(t, &s, "stop") // twice must not panic
	select {
	case <-ts.RequestedProcessShutdown():
	case <-time.After(time.Second):
		t.Fatal("stop did not request shutdown")
	}
}

func TestAuth(t *testing.T) {
	ts := newTestServer(t, nil)
	body := `{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}`
	tests := []struct {
		name       string
		user, pass string
		status     int
	}{
		{name: "no auth", status: http.StatusUnauthorized},
		{name: "wrong pass", user: adminUser, pass: "nope", status: http.StatusUnauthorized},
		{name: "wrong user", user: "root", pass: adminPass, status: http.StatusUnauthorized},
		{name: "limited pass for admin", user: adminUser, pass: limitPass, status: http.StatusUnauthorized},
		{name: "admin", user: adminUser, pass: adminPass, status: http.StatusOK},
		{name: "limited", user: limitUser, pass: limitPass, status: http.StatusOK},
	}
	for _, test := range tests {
		resp, b := ts.post(t, test.user, test.pass, body)
		if resp.StatusCode != test.status {
			t.Errorf("%s: got HTTP %d, want %d", test.name, resp.StatusCode, test.status)
			continue
		}
		if test.status != http.StatusUnauthorized {
			continue
		}
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", test.name)
		}
		// Nothing about which part was wrong, and no JSON-RPC reply.
		lower := strings.ToLower(string(b))
		for _, leak := range []string{"user", "pass", "admin", "result", "limited"} {
			if strings.Contains(lower, leak) {
				t.Errorf("%s: body %q mentions %q", test.name, b, leak)
			}
		}
	}
	// A garbage Authorization header is a plain 401 too.
	req, _ := http.NewRequest(http.MethodPost, ts.url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("garbage header: got %d", resp.StatusCode)
	}
}

func TestHTTPMethodAndPath(t *testing.T) {
	ts := newTestServer(t, nil)
	req, _ := http.NewRequest(http.MethodGet, ts.url, nil)
	req.SetBasicAuth(adminUser, adminPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: got %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodPost, ts.url+"other", strings.NewReader("{}"))
	req.SetBasicAuth(adminUser, adminPass)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("other path: got %d", resp.StatusCode)
	}
}

func TestLimitedUser(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, m := range rpcmodel.Methods() {
		if m.WebsocketOnly || m.Name == "stop" {
			continue
		}
		var params []interface{}
		for _, p := range m.Params {
			if p.Optional {
				break
			}
			switch p.Type {
			case rpcmodel.TypeString:
				params = append(params, "00")
			case rpcmodel.TypeBool:
				params = append(params, false)
			case rpcmodel.TypeArray:
				params = append(params, json.RawMessage("[]"))
			case rpcmodel.TypeObject:
				params = append(params, json.RawMessage("{}"))
			default:
				params = append(params, 1)
			}
		}
		r := ts.callAs(t, limitUser, limitPass, m.Name, params...)
		denied := r.Error != nil && r.Error.Code == rpcmodel.ErrRPCInvalidParams &&
			r.Error.Message == "limited user not authorized for this method"
		if m.Limited && denied {
			t.Errorf("%s: limited user refused a limited method", m.Name)
		}
		if !m.Limited && !denied {
			t.Errorf("%s: limited user was not refused: %v", m.Name, r.Error)
		}
	}
	// The limited user cannot stop the node.
	r := ts.callAs(t, limitUser, limitPass, "stop")
	if r.Error == nil || r.Error.Code != rpcmodel.ErrRPCInvalidParams {
		t.Errorf("limited stop: got %v", r.Error)
	}
	select {
	case <-ts.RequestedProcessShutdown():
		t.Errorf("limited user stopped the node")
	default:
	}
	// Limited help lists only what the limited user may call.
	var help string
	r = ts.callAs(t, limitUser, limitPass, "help")
	json.Unmarshal(r.Result, &help)
	if strings.Contains(help, "addnode") || !strings.Contains(help, "getblock") {
		t.Errorf("limited help lists the wrong methods:\n%s", help)
	}
}

func TestEnvelope(t *testing.T) {
	ts := newTestServer(t, nil)
	tests := []struct {
		name string
		body string
		want string // substring of the reply
		code rpcmodel.RPCErrorCode
	}{
		{name: "parse error", body: `{"method":`, code: rpcmodel.ErrRPCParse},
		{name: "not an object", body: `5`, code: rpcmodel.ErrRPCInvalidRequest},
		{name: "no method", body: `{"id":1}`, code: rpcmodel.ErrRPCInvalidRequest},
		{name: "unknown method", body: `{"id":1,"method":"nosuch","params":[]}`, code: rpcmodel.ErrRPCMethodNotFound},
		{name: "ws only", body: `{"id":1,"method":"notifyblocks","params":[]}`, code: rpcmodel.ErrRPCMethodNotFound},
		{name: "params object", body: `{"id":1,"method":"getblockhash","params":{"index":1}}`, code: rpcmodel.ErrRPCInvalidParams},
		{name: "string id echoed", body: `{"id":"abc","method":"getblockcount"}`, want: `"id":"abc"`},
		{name: "null id", body: `{"id":null,"method":"getblockcount"}`, want: `"id":null`},
		{name: "no id", body: `{"method":"getblockcount"}`, want: `"id":null`},
		{name: "empty batch", body: `[]`, code: rpcmodel.ErrRPCInvalidRequest},
		{name: "bad batch", body: `[{"id":1,`, code: rpcmodel.ErrRPCParse},
	}
	for _, test := range tests {
		resp, b := ts.post(t, adminUser, adminPass, test.body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: HTTP %d", test.name, resp.StatusCode)
			continue
		}
		if test.want != "" && !bytes.Contains(b, []byte(test.want)) {
			t.Errorf("%s: reply %s lacks %s", test.name, b, test.want)
		}
		if test.code != 0 {
			var r rpcmodel.Response
			if err := json.Unmarshal(b, &r); err != nil || r.Error == nil || r.Error.Code != test.code {
				t.Errorf("%s: reply %s, want code %d", test.name, b, test.code)
			}
		}
		// btcd's shape: result and error are both present.
		if !bytes.Contains(b, []byte(`"result":`)) || !bytes.Contains(b, []byte(`"error":`)) {
			t.Errorf("%s: reply %s lacks result or error", test.name, b)
		}
	}
}

func TestBatch(t *testing.T) {
	ts := newTestServer(t, nil)
	body := `[{"id":1,"method":"getblockcount"},{"id":2,"method":"nosuch"},7,` +
		`{"id":3,"method":"getblockhash","params":[0]}]`
	resp, b := ts.post(t, adminUser, adminPass, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	var replies []rpcmodel.Response
	if err := json.Unmarshal(b, &replies); err != nil {
		t.Fatalf("batch reply %s: %v", b, err)
	}
	if len(replies) != 4 {
		t.Fatalf("got %d replies, want 4", len(replies))
	}
	if string(replies[0].Result) != "2" || string(replies[0].ID) != "1" {
		t.Errorf("first reply: %s %s", replies[0].Result, replies[0].ID)
	}
	if replies[1].Error == nil || replies[1].Error.Code != rpcmodel.ErrRPCMethodNotFound {
		t.Errorf("second reply: %v", replies[1].Error)
	}
	if replies[2].Error == nil || replies[2].Error.Code != rpcmodel.ErrRPCInvalidRequest {
		t.Errorf("third reply: %v", replies[2].Error)
	}
	if string(replies[3].Result) != `"`+ts.f.dag.genesis.String()+`"` {
		t.Errorf("fourth reply: %s", replies[3].Result)
	}

	// Limited user in a batch: refused per request.
	resp, b = ts.post(t, limitUser, limitPass,
		`[{"id":1,"method":"getblockcount"},{"id":2,"method":"addnode","params":["a","add"]}]`)
	json.Unmarshal(b, &replies)
	if resp.StatusCode != http.StatusOK || len(replies) != 2 || replies[0].Error != nil ||
		replies[1].Error == nil {
		t.Errorf("limited batch: %s", b)
	}

	// Too many requests in one batch.
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"id":1,"method":"uptime"},`, maxBatchRequests+1), ",") + "]"
	_, b = ts.post(t, adminUser, adminPass, many)
	if !bytes.Contains(b, []byte(fmt.Sprint(rpcmodel.ErrRPCInvalidRequest))) {
		t.Errorf("oversized batch: %.200s", b)
	}
}

func TestBodyLimit(t *testing.T) {
	ts := newTestServer(t, func(c *Config, _ *fakes) { c.MaxRequestBytes = 1024 })
	big := `{"id":1,"method":"decoderawtransaction","params":["` + strings.Repeat("00", 1024) + `"]}`
	resp, _ := ts.post(t, adminUser, adminPass, big)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("got HTTP %d, want 413", resp.StatusCode)
	}
	// The server still serves.
	if r := ts.call(t, "uptime"); r.Error != nil {
		t.Errorf("after oversized body: %v", r.Error)
	}
}

func TestMaxClients(t *testing.T) {
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	ts := newTestServer(t, func(c *Config, f *fakes) {
		c.MaxClients = 1
		f.miner.block = block
		f.miner.entered = entered
	})
	done := make(chan *rpcmodel.Response)
	go func() {
		req, _ := rpcmodel.NewRequest(1, "generate", 1)
		body, _ := json.Marshal(req)
		hreq, _ := http.NewRequest(http.MethodPost, ts.url, bytes.NewReader(body))
		hreq.SetBasicAuth(adminUser, adminPass)
		resp, err := http.DefaultClient.Do(hreq)
		if err != nil {
			done <- nil
			return
		}
		defer resp.Body.Close()
		var r rpcmodel.Response
		json.NewDecoder(resp.Body).Decode(&r)
		done <- &r
	}()
	<-entered
	resp, _ := ts.post(t, adminUser, adminPass, `{"id":1,"method":"uptime"}`)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("second client: got HTTP %d, want 503", resp.StatusCode)
	}
	close(block)
	if r := <-done; r == nil || r.Error != nil {
		t.Errorf("first client failed: %v", r)
	}
	if r := ts.call(t, "uptime"); r.Error != nil {
		t.Errorf("after the first client finished: %v", r.Error)
	}
}

func TestPanicRecovered(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.f.dag.panicNow = true
	r := ts.call(t, "getdagtips")
	if r.Error == nil || r.Error.Code != rpcmodel.ErrRPCInternal {
		t.Errorf("got %v, want -32603", r.Error)
	}
	ts.f.dag.panicNow = false
	if r := ts.call(t, "getdagtips"); r.Error != nil {
		t.Errorf("server broken after a panic: %v", r.Error)
	}
}

// TestRepliesFlushTheStore checks that a reply goes out only after the DAG
// flushed its store, over HTTP and websocket, and that a store that fails
// to flush turns the reply into an error rather than a report of blocks a
// killed process could lose.
func TestRepliesFlushTheStore(t *testing.T) {
	ts := newTestServer(t, nil)
	flushes := func() int {
		ts.f.dag.mu.Lock()
		defer ts.f.dag.mu.Unlock()
		return ts.f.dag.flushes
	}
	before := flushes()
	ts.result(t, new(uint64), "getblockcount")
	if got := flushes(); got != before+1 {
		t.Fatalf("an HTTP reply flushed the store %d times, want once", got-before)
	}

	conn := dialWS(t, ts, adminUser, adminPass)
	before = flushes()
	if m := wsCall(t, conn, 7, "getblockcount"); m.Error != nil {
		t.Fatalf("websocket getblockcount: %v", m.Error)
	}
	if got := flushes(); got <= before {
		t.Fatal("a websocket reply went out without flushing the store")
	}

	ts.f.dag.mu.Lock()
	ts.f.dag.flushErr = errors.New("disk on fire")
	ts.f.dag.mu.Unlock()
	resp, body := ts.post(t, adminUser, adminPass, `{"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]}`)
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "disk on fire") {
		t.Fatalf("reply with a failed flush: HTTP %d %q, want 500 naming the failure", resp.StatusCode, body)
	}
}
