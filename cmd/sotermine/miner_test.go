package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/websocket"
	"github.com/soterdag/soterd/internal/rpcclient"
	"github.com/soterdag/soterd/mining"
	"github.com/soterdag/soterd/rpcmodel"
	"github.com/soterdag/soterd/wire"
)

// fakeNode is a websocket RPC server that serves one template at a time,
// announces a new one when the test says so, and records submitted blocks.
type fakeNode struct {
	t *testing.T

	// writeMu serialises writes to the connections.
	writeMu sync.Mutex

	mu        sync.Mutex
	tmpl      *rpcmodel.GetBlockTemplateResult
	fetches   int
	submitted []*wire.MsgBlock
	conns     []*websocket.Conn
	requests  []rpcmodel.TemplateRequest
	subscribe chan struct{}
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	f.mu.Lock()
	f.conns = append(f.conns, conn)
	f.mu.Unlock()
	for {
		var req rpcmodel.Request
		if err := conn.ReadJSON(&req); err != nil {
			return
		}
		resp := rpcmodel.Response{ID: req.ID, Result: json.RawMessage("null")}
		switch req.Method {
		case "notifyblocktemplate":
			select {
			case f.subscribe <- struct{}{}:
			default:
			}
		case "getblocktemplate":
			var params []rpcmodel.TemplateRequest
			json.Unmarshal(req.Params, &params)
			f.mu.Lock()
			f.fetches++
			if len(params) == 1 {
				f.requests = append(f.requests, params[0])
			}
			resp.Result, _ = json.Marshal(f.tmpl)
			f.mu.Unlock()
		case "submitblock":
			var params []string
			json.Unmarshal(req.Params, &params)
			raw, _ := hex.DecodeString(params[0])
			var b wire.MsgBlock
			if err := b.Deserialize(raw); err != nil {
				resp.Result = json.RawMessage(`"rejected: undecodable"`)
				break
			}
			f.mu.Lock()
			f.submitted = append(f.submitted, &b)
			f.mu.Unlock()
		}
		f.writeMu.Lock()
		conn.WriteJSON(resp)
		f.writeMu.Unlock()
	}
}

// announce replaces the template and sends blocktemplatechanged.
func (f *fakeNode) announce(tmpl *rpcmodel.GetBlockTemplateResult) {
	f.mu.Lock()
	f.tmpl = tmpl
	conns := append([]*websocket.Conn(nil), f.conns...)
	f.mu.Unlock()
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	for _, c := range conns {
		c.WriteJSON(rpcmodel.NewNotification(rpcmodel.NtfnBlockTemplateChanged,
			rpcmodel.BlockTemplateChangedNtfn{LongPollID: tmpl.LongPollID, Reason: "parents"}))
	}
}

// TestMinerRestartsOnNewTemplate mines against a fake node whose first
// template is too hard to solve: when the node announces an easy one on
// other parents, the workers drop the first at once and the block they
// find is on the new parents, valid, and paid to the key asked for.
func TestMinerRestartsOnNewTemplate(t *testing.T) {
	hardParents, easyParents := []wire.Hash{{1}}, []wire.Hash{{2}, {3}}
	node := &fakeNode{t: t, tmpl: makeTemplate("a-1", hardParents, 0x1d00ffff, 2),
		subscribe: make(chan struct{}, 1)}
	srv := httptest.NewServer(node)
	defer srv.Close()
	opts := &rpcclient.ConnOptions{NoTLS: true, RPCServer: strings.TrimPrefix(srv.URL, "http://")}
	key := "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	m := &miner{cfg: minerConfig{workers: 2, maxBlocks: 1, statsInterval: time.Hour, miningAddr: key}}
	done := make(chan error, 1)
	go func() { done <- m.run(context.Background(), opts) }()

	select {
	case <-node.subscribe:
	case <-time.After(10 * time.Second):
		t.Fatal("the miner did not subscribe to template notifications")
	}
	// Let the workers hash the hard template a little.
	deadline := time.Now().Add(10 * time.Second)
	for m.hashes.Load() < 10_000 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	easy := makeTemplate("b-2", easyParents, 0x207fffff, 3)
	node.announce(easy)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no block after the new template")
	}

	node.mu.Lock()
	defer node.mu.Unlock()
	if len(node.submitted) != 1 {
		t.Fatalf("%d blocks submitted, want 1", len(node.submitted))
	}
	b := node.submitted[0]
	if len(b.Header.Parents) != 2 || b.Header.Parents[0] != easyParents[0] {
		t.Errorf("block on parents %v, want the new template's %v", b.Header.Parents, easyParents)
	}
	target := mining.TargetFromBits(b.Header.Bits)
	hash := b.BlockHash()
	h := [32]byte(hash)
	if !target.Met(&h) || b.Header.MerkleRoot != wire.BlockMerkleRoot(b.Transactions) ||
		len(b.Transactions) != 4 {
		t.Errorf("submitted block is not valid work on the template")
	}
	for _, req := range node.requests {
		if req.MiningAddr != key {
			t.Errorf("template asked for miningaddr %q, want %q", req.MiningAddr, key)
		}
	}
	if m.accepted.Load() != 1 || m.found.Load() != 1 {
		t.Errorf("counters: found %d accepted %d", m.found.Load(), m.accepted.Load())
	}
}

// TestMinerPool checks the workers on their own: a published job is
// hashed, a new job replaces it at once, and stop returns.
func TestMinerPool(t *testing.T) {
	m := &miner{cfg: minerConfig{workers: 2}}
	p := m.startPool(2)
	hard := benchWork()
	p.publish(&job{work: hard, timestamp: 1, done: make(chan struct{})})
	time.Sleep(50 * time.Millisecond)
	if m.hashes.Load() == 0 {
		t.Fatal("workers do not hash a published job")
	}
	w, err := newWork(makeTemplate("x-1", []wire.Hash{{5}}, 0x207fffff, 0))
	if err != nil {
		t.Fatal(err)
	}
	easy := &job{work: w, timestamp: w.curTime, extraBase: 10, done: make(chan struct{})}
	p.publish(easy)
	select {
	case sol := <-p.solutions:
		if sol.job != easy || (sol.extraNonce != 10 && sol.extraNonce != 11) {
			t.Errorf("solution %+v is not for the new job", sol)
		}
		b := w.block(sol.extraNonce, easy.timestamp, sol.nonce)
		hash := [32]byte(b.BlockHash())
		if !w.target.Met(&hash) {
			t.Errorf("solution does not meet the target")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no solution for an easy job")
	}
	stopped := make(chan struct{})
	go func() {
		p.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return")
	}
}

// TestOptions checks option defaults and refusals.
func TestOptions(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	tests := []struct {
		name  string
		args  []string
		code  int
		out   string
		local bool
	}{
		{name: "version", args: []string{"-V"}, out: "sotermine version"},
		{name: "bench", args: []string{"--bench", "100ms", "-t", "1"}, out: "sotermine bench workers=1"},
		{name: "bad workers", args: []string{"-t", "300"}, code: 2, out: "workers"},
		{name: "bad key", args: []string{"--miningaddr", "00"}, code: 2, out: "miningaddr"},
		{name: "two networks", args: []string{"--regtest", "--simnet"}, code: 2, out: "at most one"},
		{name: "argument", args: []string{"mine"}, code: 2, out: "unexpected argument"},
		{name: "bad level", args: []string{"-d", "loud"}, code: 2, out: "debuglevel"},
		{name: "missing config", args: []string{"-C", "/nonexistent/x.conf"}, code: 2, out: "x.conf"},
	}
	for _, test := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), test.args, &out, &errOut)
		if code != test.code || !strings.Contains(out.String()+errOut.String(), test.out) {
			t.Errorf("%s: exit %d, output %q %q; want %d with %q", test.name, code, out.String(),
				errOut.String(), test.code, test.out)
		}
	}
	opts := &options{StatsInterval: time.Second}
	cfg, err := minerConfigFrom(opts, "soterreg", true, time.Second)
	if err != nil || cfg.pace != time.Second || cfg.workers < 1 {
		t.Errorf("local defaults: %+v %v", cfg, err)
	}
	opts.Pace = -time.Second
	if cfg, _ := minerConfigFrom(opts, "soterreg", true, time.Second); cfg.pace != 0 {
		t.Errorf("negative pace: %v", cfg.pace)
	}
	opts.Pace = 0
	if cfg, _ := minerConfigFrom(opts, "soterreg", false, time.Second); cfg.pace != 0 {
		t.Errorf("pace on a network with difficulty: %v", cfg.pace)
	}
}
