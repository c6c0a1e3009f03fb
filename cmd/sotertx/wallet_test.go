package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/database"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/mempool"
	"github.com/soterdag/soterd/node"
	"github.com/soterdag/soterd/rpcmodel"
)

func TestParseCoins(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1", 100_000_000, true},
		{"12.5", 1_250_000_000, true},
		{"0.00000001", 1, true},
		{".5", 50_000_000, true},
		{" 3 ", 300_000_000, true},
		{"0", 0, false},
		{"0.000000001", 0, false},
		{"-1", 0, false},
		{"1.", 0, false},
		{"1e3", 0, false},
		{"", 0, false},
		{".", 0, false},
		{"210000001", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, test := range tests {
		got, err := parseCoins(test.in)
		if (err == nil) != test.ok || got != test.want {
			t.Errorf("%q: got %d, %v; want %d (ok %v)", test.in, got, err, test.want, test.ok)
		}
	}
	for _, v := range []uint64{1, 420, 100_000_000, 1_250_000_000, blockdag.MaxSupply} {
		if got, err := parseCoins(formatCoins(v)); err != nil || got != v {
			t.Errorf("%d: formatted %q parses to %d, %v", v, formatCoins(v), got, err)
		}
	}
}

// FuzzParseCoins checks that parseCoins never panics and that what it
// accepts formats back to the same amount.
func FuzzParseCoins(f *testing.F) {
	for _, s := range []string{"1", "12.5", "0.00000001", ".5", "1.", "210000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseCoins(s)
		if err != nil {
			return
		}
		if v == 0 || v > blockdag.MaxSupply {
			t.Fatalf("%q: accepted %d", s, v)
		}
		back, err := parseCoins(formatCoins(v))
		if err != nil || back != v {
			t.Fatalf("%q: %d formats to %q, which parses to %d, %v", s, v, formatCoins(v), back, err)
		}
	})
}

func TestWalletFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "wallet.keys")
	w := newWallet(path, "regtest")
	for i := 0; i < 3; i++ {
		priv, _, err := keys.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if !w.add(priv) {
			t.Fatalf("add key %d refused", i)
		}
		if w.add(priv) {
			t.Fatalf("a key was added twice")
		}
	}
	if err := w.save(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("wallet file: %v, mode %v", err, info.Mode())
	}
	got, err := loadWallet(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.network != "regtest" || len(got.keys) != 3 {
		t.Fatalf("loaded %s with %d keys", got.network, len(got.keys))
	}
	for i, pub := range got.pubKeys() {
		if pub != w.pubKeys()[i] {
			t.Errorf("key %d changed", i)
		}
	}

	key := "key " + keys.EncodePrivateKeyHex(w.keys[0]) + "\n"
	tests := []struct {
		name string
		body string
		err  string
	}{
		{"empty", "", "holds no keys"},
		{"no header", "network regtest\n" + key, "not a wallet file"},
		{"no network", walletHeader + "\n" + key, "network"},
		{"no keys", walletHeader + "\nnetwork regtest\n", "holds no keys"},
		{"bad key", walletHeader + "\nnetwork regtest\nkey zz\n", "line 3"},
		{"zero key", walletHeader + "\nnetwork regtest\nkey " + strings.Repeat("0", 64) + "\n", "zero"},
		{"twice", walletHeader + "\nnetwork regtest\n" + key + key, "twice"},
		{"junk line", walletHeader + "\nnetwork regtest\n" + key + "hello\n", "line 4"},
	}
	for _, test := range tests {
		_, err := parseWallet("w", []byte(test.body))
		if err == nil || !strings.Contains(err.Error(), test.err) {
			t.Errorf("%s: got %v, want %q", test.name, err, test.err)
		}
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadWallet(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("readable by others: got %v", err)
	}
}

// FuzzParseWallet checks that parseWallet never panics and that a wallet
// it accepts encodes to a file that parses to the same keys.
func FuzzParseWallet(f *testing.F) {
	f.Add([]byte(walletHeader + "\nnetwork regtest\nkey " + strings.Repeat("01", 32) + "\n"))
	f.Add([]byte(walletHeader + "\nnetwork x\nkey 00\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := parseWallet("w", b)
		if err != nil {
			return
		}
		again, err := parseWallet("w", w.encode())
		if err != nil || again.network != w.network || len(again.keys) != len(w.keys) {
			t.Fatalf("wallet does not round trip: %v", err)
		}
		for i, pub := range again.pubKeys() {
			if pub != w.pubKeys()[i] {
				t.Fatalf("key %d changed", i)
			}
		}
	})
}

// testNode is an in-process regtest node with the UTXO index and RPC on
// 127.0.0.1 without TLS, mining to payTo.
func testNode(t *testing.T, payTo [32]byte) *node.Node {
	t.Helper()
	dir := t.TempDir()
	db, err := database.Open(filepath.Join(dir, "db"), &database.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.NewNode(&node.NodeConfig{
		Server: node.Config{
			Params:        blockdag.RegressionNetParams(),
			DataDir:       dir,
			DB:            db,
			DisableListen: true,
			UTXOIndex:     true,
			MinRelayTxFee: mempool.DefaultMinRelayTxFee,
		},
		Mining: node.MiningConfig{PayTo: &payTo, Pace: -1, Workers: 1},
		RPC: &node.RPCConfig{
			ListenAddrs: []string{"127.0.0.1:0"},
			NoTLS:       true,
			User:        "u",
			Pass:        "p",
		},
	})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	n.Start()
	t.Cleanup(func() {
		n.Stop()
		db.Close()
	})
	return n
}

// TestWalletSend runs the wallet commands against a real node: coins mined
// to the wallet, a send with change, the balance after it, and the
// refusals a person needs.
func TestWalletSend(t *testing.T) {
	dir := t.TempDir()
	walletPath := filepath.Join(dir, "wallet.keys")
	conn := []string{"--regtest", "--notls", "-u", "u", "-P", "p", "--wallet", walletPath}
	code, out, errOut := runCmd("", append([]string{"createwallet"}, conn...)...)
	if code != exitOK {
		t.Fatalf("createwallet: exit %d: %s", code, errOut)
	}
	minerAddr := strings.TrimSpace(out)
	pub, err := address.Decode("soterreg", minerAddr)
	if err != nil {
		t.Fatalf("createwallet printed %q: %v", minerAddr, err)
	}
	n := testNode(t, pub)
	conn = append(conn, "--rpcserver", n.RPCServer().Addrs()[0].String())
	wallet := func(args ...string) (int, string, string) {
		return runCmd("", append(args, conn...)...)
	}

	// Mature coins: CoinbaseMaturity plus two blocks.
	maturity := int(blockdag.RegressionNetParams().CoinbaseMaturity)
	generate(t, n, maturity+2)

	var bal walletBalance
	code, out, errOut = wallet("balance")
	if code != exitOK || json.Unmarshal([]byte(out), &bal) != nil {
		t.Fatalf("balance: exit %d: %s %s", code, out, errOut)
	}
	if fmt.Sprint(bal.Spendable) == "0" || bal.Outputs != maturity+2 {
		t.Fatalf("balance after mining: %+v", bal)
	}

	code, out, _ = runCmd("", "keygen", "-regtest")
	if code != exitOK {
		t.Fatal("keygen")
	}
	dest := strings.TrimSpace(strings.Split(out, "address:")[1])

	refusals := []struct {
		name string
		args []string
		err  string
	}{
		{"typo", []string{"send", typo(dest), "1"}, "typo"},
		{"other network", []string{"send", address.Encode("soter", pub), "1"}, "another network"},
		{"dust", []string{"send", dest, "0.000001"}, "dust limit"},
		{"too much", []string{"send", dest, "100000"}, "cannot pay"},
		{"high fee rate", []string{"send", dest, "1", "--feerate", "1"}, "--allowhighfee"},
		{"bad amount", []string{"send", dest, "1,5"}, "not an amount"},
	}
	for _, test := range refusals {
		code, _, errOut := wallet(test.args...)
		if code == exitOK || !strings.Contains(errOut, test.err) {
			t.Errorf("%s: exit %d, stderr %q; want %q", test.name, code, errOut, test.err)
		}
	}

	code, out, errOut = wallet("send", dest, "12.5")
	if code != exitOK {
		t.Fatalf("send: exit %d: %s", code, errOut)
	}
	var res sendResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("send printed %q: %v", out, err)
	}
	if res.Address != dest || fmt.Sprint(res.Amount) != "12.5" || res.ChangeAddress == "" ||
		res.TxID == "" || res.Size == 0 {
		t.Errorf("send: %+v", res)
	}
	// The fee is the node's relay rate (1000 base units per kB), rounded up.
	if fee, ok := res.Fee.(float64); !ok || toUnits(fee) != feeFor(mempool.DefaultMinRelayTxFee, res.Size) {
		t.Errorf("send fee %v, want %d base units", res.Fee, feeFor(mempool.DefaultMinRelayTxFee, res.Size))
	}
	// The change address is the wallet's.
	code, out, _ = wallet("addresses")
	if code != exitOK || !strings.Contains(out, res.ChangeAddress) || !strings.Contains(out, minerAddr) {
		t.Errorf("addresses: %q lacks the change address %s", out, res.ChangeAddress)
	}

	// Pending until mined, then the recipient has the coins.
	code, out, _ = wallet("balance")
	if code != exitOK || json.Unmarshal([]byte(out), &bal) != nil || fmt.Sprint(bal.Pending) == "0" {
		t.Errorf("balance with the send in the mempool: %s", out)
	}
	generate(t, n, 1)
	var r struct {
		Result struct {
			Balance float64 `json:"balance"`
		} `json:"result"`
	}
	rpcCall(t, n, &r, "getbalance", dest)
	if r.Result.Balance != 12.5 {
		t.Errorf("recipient balance %v, want 12.5", r.Result.Balance)
	}
	code, out, _ = wallet("listunspent", "--units")
	if code != exitOK || !strings.Contains(out, res.ChangeAddress) {
		t.Errorf("listunspent lacks the change output: %s", out)
	}
}

// generate mines count blocks over RPC.
func generate(t *testing.T, n *node.Node, count int) {
	t.Helper()
	var r struct {
		Result []string `json:"result"`
	}
	rpcCall(t, n, &r, "generate", count)
	if len(r.Result) != count {
		t.Fatalf("generate %d: got %d blocks", count, len(r.Result))
	}
}

// rpcCall makes one HTTP RPC call to n.
func rpcCall(t *testing.T, n *node.Node, v interface{}, method string, params ...interface{}) {
	t.Helper()
	req, err := rpcmodel.NewRequest(1, method, params...)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(req)
	hr, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/", n.RPCServer().Addrs()[0]),
		bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hr.SetBasicAuth("u", "p")
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(hr)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: decode: %v", method, err)
	}
}
