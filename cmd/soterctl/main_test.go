package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/soterdag/soterd/rpcmodel"
)

// fakeNode is a JSON-RPC server with canned answers that records the last
// request.
type fakeNode struct {
	mu       sync.Mutex
	user     string
	pass     string
	lastReq  rpcmodel.Request
	lastAuth bool
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.user || pass != f.pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="soterd RPC"`)
		http.Error(w, "401 Unauthorized.", http.StatusUnauthorized)
		return
	}
	var req rpcmodel.Request
	json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	f.lastReq = req
	f.mu.Unlock()
	resp := rpcmodel.Response{ID: req.ID, Result: json.RawMessage("null")}
	switch req.Method {
	case "getblockcount":
		resp.Result = json.RawMessage("42")
	case "getbestblockhash":
		resp.Result = json.RawMessage(`"00ff"`)
	case "getdaginfo":
		resp.Result = json.RawMessage(`{"network":"simnet","blocks":3}`)
	case "getblock":
		resp.Result, resp.Error = nil, rpcmodel.NewRPCError(rpcmodel.ErrRPCBlockNotFound, "block not found: x")
	case "submitblock", "ping":
	case "renderdag":
		resp.Result = json.RawMessage(`"digraph soterdag {\n}\n"`)
	default:
		resp.Result = req.Params
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(&resp)
}

func (f *fakeNode) last() rpcmodel.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastReq
}

// runCtl runs soterctl in-process with HOME pointed at a temp dir.
func runCtl(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// setup starts a plain-HTTP fake node and gives soterctl an empty home.
func setup(t *testing.T) (*fakeNode, string, string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	node := &fakeNode{user: "alice", pass: "secret"}
	srv := httptest.NewServer(node)
	t.Cleanup(srv.Close)
	return node, strings.TrimPrefix(srv.URL, "http://"), home
}

func TestRun(t *testing.T) {
	node, addr, _ := setup(t)
	base := []string{"--notls", "-s", addr, "-u", "alice", "-P", "secret"}
	tests := []struct {
		name      string
		args      []string
		stdin     string
		code      int
		stdout    string // exact, when not empty
		stderr    string // substring
		method    string // the request the node must see
		params    string
		noRequest bool
	}{
		{name: "number result", args: []string{"getblockcount"}, stdout: "42\n", method: "getblockcount", params: "[]"},
		{name: "string result raw", args: []string{"getbestblockhash"}, stdout: "00ff\n"},
		{name: "object pretty", args: []string{"getdaginfo"},
			stdout: "{\n  \"network\": \"simnet\",\n  \"blocks\": 3\n}\n"},
		{name: "null prints nothing", args: []string{"ping"}, stdout: ""},
		{name: "multiline string kept", args: []string{"renderdag", "5"}, stdout: "digraph soterdag {\n}\n",
			method: "renderdag", params: "[5]"},
		{name: "rpc error", args: []string{"getblock", "aa"}, code: 1, stderr: "-5: block not found"},
		{name: "params typed", args: []string{"getdagcoloring", "3", "7"}, stdout: "[\n  3,\n  7\n]\n",
			method: "getdagcoloring", params: "[3,7]"},
		{name: "bool param", args: []string{"getrawmempool", "true"}, params: "[true]"},
		{name: "json params", args: []string{"createrawtransaction", `[{"txid":"aa","vout":1}]`, `{"bb":1.5}`},
			params: `[[{"txid":"aa","vout":1}],{"bb":1.5}]`},
		{name: "negative number not a flag", args: []string{"setgenerate", "true", "-1"}, params: "[true,-1]"},
		{name: "stdin param", args: []string{"submitblock", "-"}, stdin: "abcdef\n", method: "submitblock",
			params: `["abcdef"]`},
		{name: "stdin empty", args: []string{"submitblock", "-"}, code: 1, stderr: "standard input", noRequest: true},
		{name: "bad int", args: []string{"getblockhash", "x"}, code: 1, stderr: "numeric", noRequest: true},
		{name: "too many params", args: []string{"getblockcount", "1"}, code: 1, stderr: "wrong number", noRequest: true},
		{name: "unknown method", args: []string{"nosuch"}, code: 1, stderr: "unknown method", noRequest: true},
		{name: "websocket method", args: []string{"notifyblocks"}, code: 1, stderr: "websocket", noRequest: true},
	}
	for _, test := range tests {
		node.mu.Lock()
		node.lastReq = rpcmodel.Request{}
		node.mu.Unlock()
		code, out, errOut := runCtl(t, test.stdin, append(append([]string(nil), base...), test.args...)...)
		if code != test.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", test.name, code, test.code, errOut)
		}
		if test.stdout != "" && out != test.stdout {
			t.Errorf("%s: stdout %q, want %q", test.name, out, test.stdout)
		}
		if test.stdout == "" && test.code == 0 && test.params == "" && out != "" {
			t.Errorf("%s: stdout %q, want nothing", test.name, out)
		}
		if !strings.Contains(errOut, test.stderr) {
			t.Errorf("%s: stderr %q lacks %q", test.name, errOut, test.stderr)
		}
		req := node.last()
		if test.noRequest && req.Method != "" {
			t.Errorf("%s: request sent although the args were bad", test.name)
		}
		if test.method != "" && req.Method != test.method {
			t.Errorf("%s: node got method %q", test.name, req.Method)
		}
		if test.params != "" && string(req.Params) != test.params {
			t.Errorf("%s: node got params %s, want %s", test.name, req.Params, test.params)
		}
	}
}

func TestAuthFailure(t *testing.T) {
	_, addr, _ := setup(t)
	code, _, errOut := runCtl(t, "", "--notls", "-s", addr, "-u", "alice", "-P", "wrong", "getblockcount")
	if code != 1 || !strings.Contains(errOut, "authentication failed") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestCredentialsFromFiles(t *testing.T) {
	_, addr, home := setup(t)
	// Nothing configured: the node refuses.
	if code, _, _ := runCtl(t, "", "--notls", "-s", addr, "getblockcount"); code != 1 {
		t.Errorf("no credentials: exit %d", code)
	}
	// soterd's config file supplies them.
	os.MkdirAll(filepath.Join(home, ".soterd"), 0o700)
	os.WriteFile(filepath.Join(home, ".soterd", "soterd.conf"),
		[]byte("[Application Options]\n; comment\nsimnet=1\nrpcuser = alice\nrpcpass=secret\n"), 0o600)
	if code, out, errOut := runCtl(t, "", "--notls", "-s", addr, "getblockcount"); code != 0 || out != "42\n" {
		t.Errorf("soterd.conf credentials: exit %d %q %q", code, out, errOut)
	}
	// soterctl's own config file wins over soterd's, and flags over both.
	os.MkdirAll(filepath.Join(home, ".soterctl"), 0o700)
	ctlConf := filepath.Join(home, ".soterctl", "soterctl.conf")
	os.WriteFile(ctlConf, []byte("rpcuser=bob\nrpcpass=bobpass\nnotls=1\nrpcserver="+addr+"\n"), 0o600)
	if code, _, errOut := runCtl(t, "", "getblockcount"); code != 1 || !strings.Contains(errOut, "authentication") {
		t.Errorf("soterctl.conf should override soterd.conf: exit %d %q", code, errOut)
	}
	if code, out, _ := runCtl(t, "", "-u", "alice", "-P", "secret", "getblockcount"); code != 0 || out != "42\n" {
		t.Errorf("flags should override soterctl.conf: exit %d", code)
	}
	// -C picks another file; a missing -C file is an error.
	other := filepath.Join(home, "other.conf")
	os.WriteFile(other, []byte("rpcuser=alice\nrpcpass=secret\nnotls=1\nrpcserver="+addr+"\n"), 0o600)
	if code, out, _ := runCtl(t, "", "-C", other, "getblockcount"); code != 0 || out != "42\n" {
		t.Errorf("-C: exit %d", code)
	}
	if code, _, errOut := runCtl(t, "", "-C", filepath.Join(home, "missing.conf"), "getblockcount"); code != 1 ||
		!strings.Contains(errOut, "missing.conf") {
		t.Errorf("missing -C file: exit %d %q", code, errOut)
	}
	// An unknown option in the file is an error.
	os.WriteFile(other, []byte("nosuchoption=1\n"), 0o600)
	if code, _, errOut := runCtl(t, "", "-C", other, "getblockcount"); code != 1 || errOut == "" {
		t.Errorf("unknown option: exit %d %q", code, errOut)
	}
}

func TestTLSDefault(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	node := &fakeNode{user: "alice", pass: "secret"}
	srv := httptest.NewTLSServer(node)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "https://")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	// Without the certificate, TLS fails and says how to fix it.
	code, _, errOut := runCtl(t, "", "-s", addr, "-u", "alice", "-P", "secret", "getblockcount")
	if code != 1 || !strings.Contains(errOut, "rpccert") {
		t.Errorf("no cert: exit %d %q", code, errOut)
	}
	// soterd's default certificate path.
	os.MkdirAll(filepath.Join(home, ".soterd"), 0o700)
	os.WriteFile(filepath.Join(home, ".soterd", "rpc.cert"), certPEM, 0o644)
	if code, out, errOut := runCtl(t, "", "-s", addr, "-u", "alice", "-P", "secret", "getblockcount"); code != 0 || out != "42\n" {
		t.Errorf("default cert: exit %d %q %q", code, out, errOut)
	}
	// -c names it; skipverify ignores it.
	certFile := filepath.Join(home, "c.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	if code, _, _ := runCtl(t, "", "-c", certFile, "-s", addr, "-u", "alice", "-P", "secret", "getblockcount"); code != 0 {
		t.Errorf("-c: exit %d", code)
	}
	os.WriteFile(certFile, []byte("not pem"), 0o644)
	if code, _, errOut := runCtl(t, "", "-c", certFile, "-s", addr, "-u", "alice", "-P", "secret", "getblockcount"); code != 1 ||
		!strings.Contains(errOut, "PEM") {
		t.Errorf("bad cert: exit %d %q", code, errOut)
	}
	if code, _, _ := runCtl(t, "", "--skipverify", "-c", certFile, "-s", addr, "-u", "alice", "-P", "secret",
		"getblockcount"); code != 0 {
		t.Errorf("skipverify: exit %d", code)
	}
}

func TestOptions(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	code, out, _ := runCtl(t, "", "-V")
	if code != 0 || !strings.Contains(out, version) {
		t.Errorf("-V: exit %d %q", code, out)
	}
	code, out, _ = runCtl(t, "", "-l")
	if code != 0 {
		t.Errorf("-l: exit %d", code)
	}
	for _, m := range rpcmodel.Methods() {
		if !strings.Contains(out, m.Usage()) {
			t.Errorf("-l lacks %s", m.Name)
		}
	}
	for _, c := range rpcmodel.Categories() {
		if !strings.Contains(out, c+":") {
			t.Errorf("-l lacks category %s", c)
		}
	}
	if code, out, _ := runCtl(t, "", "-h"); code != 0 || !strings.Contains(out, "rpcserver") {
		t.Errorf("-h: exit %d %q", code, out)
	}
	if code, _, errOut := runCtl(t, ""); code != 1 || !strings.Contains(errOut, "usage") {
		t.Errorf("no method: exit %d %q", code, errOut)
	}
	if code, _, errOut := runCtl(t, "", "--bogus", "getblockcount"); code != 1 || !strings.Contains(errOut, "bogus") {
		t.Errorf("unknown flag: exit %d %q", code, errOut)
	}
	if code, _, errOut := runCtl(t, "", "--testnet", "--simnet", "getblockcount"); code != 1 ||
		!strings.Contains(errOut, "at most one") {
		t.Errorf("two networks: exit %d %q", code, errOut)
	}
}

func TestDefaultServer(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "127.0.0.1:18912"},
		{[]string{"--testnet"}, "127.0.0.1:18922"},
		{[]string{"--regtest"}, "127.0.0.1:18932"},
		{[]string{"--simnet"}, "127.0.0.1:18942"},
		{[]string{"--simnet", "-s", "node.example"}, "node.example:18942"},
		{[]string{"-s", "::1"}, "[::1]:18912"},
		{[]string{"-s", "10.0.0.1:5"}, "10.0.0.1:5"},
	}
	for _, test := range tests {
		t.Setenv("HOME", t.TempDir())
		opts, _, err := loadOptions(append(test.args, "getblockcount"), &bytes.Buffer{})
		if err != nil {
			t.Errorf("%v: %v", test.args, err)
			continue
		}
		if opts.RPCServer != test.want {
			t.Errorf("%v: got %s, want %s", test.args, opts.RPCServer, test.want)
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	code, _, errOut := runCtl(t, "", "--notls", "-s", addr, "-u", "a", "-P", "b", "getblockcount")
	if code != 1 || !strings.Contains(errOut, "connect to") {
		t.Errorf("exit %d %q", code, errOut)
	}
}

// TestUsageOnce checks that a wrong parameter count or type prints the
// method's usage line exactly once.
func TestUsageOnce(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"too few", []string{"getblockhash"}},
		{"too many", []string{"getblockhash", "1", "2"}},
		{"wrong type", []string{"getblockhash", "abc"}},
	}
	for _, test := range tests {
		code, _, stderr := runCtl(t, "", test.args...)
		if code != 1 || strings.Count(stderr, "getblockhash index") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want 1 and the usage once", test.name, code, stderr)
		}
	}
}
