package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// runCmd runs sotertx in-process and returns its exit code and output.
func runCmd(stdin string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// newKeyFile writes a fresh key file in dir and returns its path and
// mainnet address.
func newKeyFile(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	code, out, errOut := runCmd("", "keygen", "-o", path)
	if code != exitOK {
		t.Fatalf("keygen -o: exit %d: %s", code, errOut)
	}
	return path, strings.TrimSpace(out)
}

// typo changes one character of an address's data part.
func typo(addr string) string {
	i := len(addr) - 10
	c := byte('q')
	if addr[i] == 'q' {
		c = 'p'
	}
	return addr[:i] + string(c) + addr[i+1:]
}

const someTxID = "00000000000000000000000000000000000000000000000000000000000000ab"

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	keyFile, pub := newKeyFile(t, dir, "a.key")
	goodIn := someTxID + ":0:0.0001:" + pub
	tests := []struct {
		name    string
		args    []string
		stdin   string
		code    int
		errText string
	}{
		{"no command", nil, "", exitUsage, "usage"},
		{"unknown command", []string{"frobnicate"}, "", exitUsage, "unknown command"},
		{"help", []string{"help"}, "", exitOK, ""},
		{"flag help", []string{"create", "-h"}, "", exitOK, ""},
		{"unknown flag", []string{"keygen", "-x"}, "", exitUsage, "not defined"},
		{"two networks", []string{"keygen", "-regtest", "-simnet"}, "", exitUsage, "at most one"},
		{"positional argument", []string{"create", "-in", goodIn, "oops"}, "", exitUsage, "unexpected argument"},
		{"keygen over a file", []string{"keygen", "-o", keyFile}, "", exitError, "already exists"},
		{"address without -key", []string{"address"}, "", exitUsage, "-key is required"},
		{"address of a missing file", []string{"address", "-key", filepath.Join(dir, "none")}, "", exitError, "no such file"},
		{"create without inputs", []string{"create", "-out", pub + ":1"}, "", exitUsage, "at least one -in"},
		{"create without outputs", []string{"create", "-in", goodIn}, "", exitUsage, "at least one -in"},
		{"create bad input shape", []string{"create", "-in", "abc", "-out", pub + ":1"}, "", exitError, "txid:index:amount:address"},
		{"create bad txid", []string{"create", "-in", "zz:0:1:" + pub, "-out", pub + ":1"}, "", exitError, "txid"},
		{"create bad index", []string{"create", "-in", someTxID + ":-1:1:" + pub, "-out", pub + ":1"}, "", exitError, "index"},
		{"create zero amount", []string{"create", "-in", someTxID + ":0:0:" + pub, "-out", pub + ":1"}, "", exitError, "zero"},
		{"create nine decimals", []string{"create", "-in", goodIn, "-out", pub + ":0.000000001"}, "", exitError, "decimals"},
		{"create fractional units", []string{"create", "-units", "-in", someTxID + ":0:10000:" + pub, "-out", pub + ":1.5"}, "", exitError, "base units"},
		{"create bad key", []string{"create", "-in", goodIn, "-out", strings.Repeat("0", 64) + ":0.00001"}, "", exitError, "not a valid public key"},
		{"create address typo", []string{"create", "-in", goodIn, "-out", typo(pub) + ":0.00001"}, "", exitError, "typo"},
		{"create other network", []string{"create", "-regtest", "-in", goodIn, "-out", pub + ":0.00001"}, "", exitError, "another network"},
		{"create bad output shape", []string{"create", "-in", goodIn, "-out", "100"}, "", exitError, "address:amount"},
		{"create overspend", []string{"create", "-in", goodIn, "-out", pub + ":0.00010001"}, "", exitError, "more than the inputs"},
		{"create forgotten change", []string{"create", "-in", someTxID + ":0:50:" + pub, "-out", pub + ":10"}, "", exitError, "forget a change output"},
		{"create same input twice", []string{"create", "-in", goodIn, "-in", goodIn, "-out", pub + ":0.00001"}, "", exitError, "twice"},
		{"sign without -key", []string{"sign", "-tx", "00"}, "", exitUsage, "-key is required"},
		{"sign without -tx", []string{"sign", "-key", keyFile}, "", exitUsage, "-tx is required"},
		{"sign bad hex", []string{"sign", "-key", keyFile, "-tx", "xyz"}, "", exitError, "not hex"},
		{"sign truncated tx", []string{"sign", "-key", keyFile, "-tx", "0100"}, "", exitError, "cannot decode"},
		{"decode empty stdin", []string{"decode", "-tx", "-"}, "", exitError, "cannot decode"},
		{"send without arguments", []string{"send", "--wallet", filepath.Join(dir, "w")}, "", exitUsage, "takes 2 arguments"},
		{"balance without a wallet", []string{"balance", "--wallet", filepath.Join(dir, "w")}, "", exitError, "createwallet"},
	}
	for _, test := range tests {
		code, _, errOut := runCmd(test.stdin, test.args...)
		if code != test.code || !strings.Contains(errOut, test.errText) {
			t.Errorf("%s: got exit %d, stderr %q; want exit %d and %q", test.name, code, errOut,
				test.code, test.errText)
		}
	}
}

func TestKeygenAndAddress(t *testing.T) {
	code, out, _ := runCmd("", "keygen", "-regtest")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 2 {
		t.Fatalf("keygen: exit %d, output %q", code, out)
	}
	privHex := strings.TrimSpace(strings.TrimPrefix(lines[0], "private key:"))
	addr := strings.TrimSpace(strings.TrimPrefix(lines[1], "address:"))
	priv, err := keys.ParsePrivateKeyHex(privHex)
	if err != nil {
		t.Fatalf("keygen private key: %v", err)
	}
	if address.Encode("soterreg", keys.PubKey(priv)) != addr {
		t.Errorf("keygen: address %s does not belong to the private key", addr)
	}

	dir := t.TempDir()
	path, a := newKeyFile(t, dir, "sub/k.key")
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, info.Mode())
	}
	if !strings.HasPrefix(a, "soter1") {
		t.Errorf("keygen -o: %q is not a mainnet address", a)
	}
	code, out, _ = runCmd("", "address", "-key", path)
	if code != exitOK || strings.TrimSpace(out) != a {
		t.Errorf("address: exit %d, got %q, want %q", code, out, a)
	}
	pub, _ := address.Decode("soter", a)
	code, out, _ = runCmd("", "address", "-key", path, "-hex")
	if code != exitOK || strings.TrimSpace(out) != keys.EncodePubKeyHex(pub) {
		t.Errorf("address -hex: exit %d, got %q", code, out)
	}
}

func TestCreateSignDecode(t *testing.T) {
	dir := t.TempDir()
	keyA, pubA := newKeyFile(t, dir, "a.key")
	keyB, pubB := newKeyFile(t, dir, "b.key")
	_, pubC := newKeyFile(t, dir, "c.key")
	txA := "1111111111111111111111111111111111111111111111111111111111111111"
	txB := "2222222222222222222222222222222222222222222222222222222222222222"

	code, unsigned, errOut := runCmd("", "create",
		"-in", txA+":3:0.0005:"+pubA,
		"-in", txB+":0:0.0002:"+pubB,
		"-out", pubC+":0.0006", "-out", pubA+":0.00009", "-locktime", "77")
	if code != exitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "fee: 0.00001 coins") {
		t.Errorf("create: fee line missing: %q", errOut)
	}
	// The same in base units, and a high fee when allowed.
	code, unsigned2, errOut := runCmd("", "create", "-units",
		"-in", txA+":3:50000:"+pubA, "-in", txB+":0:20000:"+pubB,
		"-out", pubC+":60000", "-out", pubA+":9000", "-locktime", "77")
	if code != exitOK || unsigned2 != unsigned || !strings.Contains(errOut, "fee: 1000 base units") {
		t.Errorf("create -units: exit %d, %q, same tx %v", code, errOut, unsigned2 == unsigned)
	}
	if code, _, errOut := runCmd("", "create", "-allowhighfee", "-in", someTxID+":0:50:"+pubA,
		"-out", pubA+":10"); code != exitOK || !strings.Contains(errOut, "fee: 40 coins") {
		t.Errorf("create -allowhighfee: exit %d, %q", code, errOut)
	}

	// Sign, with the hex on standard input and keys given in any order.
	prevA, prevB := "0.0005:"+pubA, "0.0002:"+pubB
	code, signed, errOut := runCmd(unsigned, "sign", "-key", keyB, "-key", keyA, "-tx", "-",
		"-prevout", prevA, "-prevout", prevB)
	if code != exitOK {
		t.Fatalf("sign: exit %d: %s", code, errOut)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(signed))
	if err != nil {
		t.Fatal(err)
	}
	tx := new(wire.MsgTx)
	if err := tx.Deserialize(raw); err != nil {
		t.Fatal(err)
	}
	// The signatures verify under the consensus rules.
	pa, _ := address.Decode("soter", pubA)
	pb, _ := address.Decode("soter", pubB)
	entries := []*blockdag.UTXOEntry{{Amount: 50000, PubKey: pa}, {Amount: 20000, PubKey: pb}}
	if err := blockdag.VerifySignatures(tx, tx.TxID(), entries); err != nil {
		t.Errorf("signed transaction does not verify: %v", err)
	}
	if tx.LockTime != 77 || tx.TxIn[0].PreviousOutPoint.Index != 3 ||
		tx.TxIn[0].PreviousOutPoint.TxID.String() != txA {
		t.Errorf("signed transaction lost its fields: %+v", tx)
	}

	// Sign errors that need a real transaction.
	signErrs := []struct {
		name    string
		args    []string
		errText string
	}{
		{"missing key", []string{"-key", keyA, "-prevout", prevA, "-prevout", prevB}, "no -key file holds"},
		{"too few prevouts", []string{"-key", keyA, "-key", keyB, "-prevout", prevA}, "1 -prevout for 2 inputs"},
		{"bad prevout", []string{"-key", keyA, "-key", keyB, "-prevout", prevA, "-prevout", "x"}, "amount:address"},
	}
	for _, test := range signErrs {
		args := append([]string{"sign", "-tx", strings.TrimSpace(unsigned)}, test.args...)
		code, _, errOut := runCmd("", args...)
		if code != exitError || !strings.Contains(errOut, test.errText) {
			t.Errorf("sign %s: exit %d, stderr %q; want %q", test.name, code, errOut, test.errText)
		}
	}

	// Decode.
	code, out, errOut := runCmd("", "decode", "-tx", strings.TrimSpace(signed))
	if code != exitOK {
		t.Fatalf("decode: exit %d: %s", code, errOut)
	}
	var j decodedTx
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("decode output is not JSON: %v\n%s", err, out)
	}
	if j.TxID != tx.TxID().String() || len(j.Vin) != 2 || len(j.Vout) != 2 || j.TotalOut != 0.00069 ||
		j.Vout[0].Address != pubC || j.Vout[0].Value != 0.0006 || j.Vin[1].TxID != txB || j.Coinbase {
		t.Errorf("decode: got %+v", j)
	}
	// Signing does not change the txid.
	var ju decodedTx
	_, out, _ = runCmd(unsigned, "decode", "-tx", "-")
	if err := json.Unmarshal([]byte(out), &ju); err != nil || ju.TxID != j.TxID {
		t.Errorf("unsigned txid %s, signed %s: want equal", ju.TxID, j.TxID)
	}
}

// FuzzParseArgs checks that the argument parsers never panic and that what
// they accept formats back to an equal value.
func FuzzParseArgs(f *testing.F) {
	pub := "soter1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqdtykwq"
	f.Add(someTxID + ":0:100:" + pub)
	f.Add(pub + ":0.5")
	f.Add("100:" + pub)
	f.Add(":::")
	units := false
	p := &argParser{prefix: "soter", nf: &netFlags{units: &units}}
	f.Fuzz(func(t *testing.T, s string) {
		if op, prev, err := p.parseInput(s); err == nil {
			again := op.TxID.String() + ":" + strconv.FormatUint(uint64(op.Index), 10) + ":" +
				formatCoins(prev.Value) + ":" + address.Encode("soter", prev.PubKey)
			op2, prev2, err := p.parseInput(again)
			if err != nil || op2 != op || prev2 != prev {
				t.Fatalf("input %q does not round trip: %v", s, err)
			}
		}
		for _, valueFirst := range []bool{false, true} {
			if out, err := p.parseOutput(s, "-out", valueFirst); err == nil {
				v := formatCoins(out.Value)
				a := address.Encode("soter", out.PubKey)
				again := a + ":" + v
				if valueFirst {
					again = v + ":" + a
				}
				out2, err := p.parseOutput(again, "-out", valueFirst)
				if err != nil || out2 != out {
					t.Fatalf("output %q does not round trip: %v", s, err)
				}
			}
		}
	})
}
