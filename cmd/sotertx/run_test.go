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
// public key hex.
func newKeyFile(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	code, out, errOut := runCmd("", "keygen", "-o", path)
	if code != exitOK {
		t.Fatalf("keygen -o: exit %d: %s", code, errOut)
	}
	return path, strings.TrimSpace(out)
}

const someTxID = "00000000000000000000000000000000000000000000000000000000000000ab"

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	keyFile, pub := newKeyFile(t, dir, "a.key")
	goodIn := someTxID + ":0:10000:" + pub
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
		{"positional argument", []string{"create", "-in", goodIn, "oops"}, "", exitUsage, "unexpected argument"},
		{"keygen over a file", []string{"keygen", "-o", keyFile}, "", exitError, "already exists"},
		{"pubkey without -key", []string{"pubkey"}, "", exitUsage, "-key is required"},
		{"pubkey of a missing file", []string{"pubkey", "-key", filepath.Join(dir, "none")}, "", exitError, "no such file"},
		{"create without inputs", []string{"create", "-out", pub + ":100"}, "", exitUsage, "at least one -in"},
		{"create without outputs", []string{"create", "-in", goodIn}, "", exitUsage, "at least one -in"},
		{"create bad input shape", []string{"create", "-in", "abc", "-out", pub + ":100"}, "", exitError, "txid:index:value:pubkey"},
		{"create bad txid", []string{"create", "-in", "zz:0:1:" + pub, "-out", pub + ":100"}, "", exitError, "txid"},
		{"create bad index", []string{"create", "-in", someTxID + ":-1:100:" + pub, "-out", pub + ":100"}, "", exitError, "index"},
		{"create zero value", []string{"create", "-in", someTxID + ":0:0:" + pub, "-out", pub + ":100"}, "", exitError, "base units"},
		{"create fractional value", []string{"create", "-in", goodIn, "-out", pub + ":1.5"}, "", exitError, "base units"},
		{"create bad pubkey", []string{"create", "-in", goodIn, "-out", strings.Repeat("0", 64) + ":100"}, "", exitError, "not on the secp256k1 curve"},
		{"create bad output shape", []string{"create", "-in", goodIn, "-out", "100"}, "", exitError, "pubkey:value"},
		{"create overspend", []string{"create", "-in", goodIn, "-out", pub + ":10001"}, "", exitError, "more than the inputs"},
		{"create same input twice", []string{"create", "-in", goodIn, "-in", goodIn, "-out", pub + ":100"}, "", exitError, "twice"},
		{"sign without -key", []string{"sign", "-tx", "00"}, "", exitUsage, "-key is required"},
		{"sign without -tx", []string{"sign", "-key", keyFile}, "", exitUsage, "-tx is required"},
		{"sign bad hex", []string{"sign", "-key", keyFile, "-tx", "xyz"}, "", exitError, "not hex"},
		{"sign truncated tx", []string{"sign", "-key", keyFile, "-tx", "0100"}, "", exitError, "cannot decode"},
		{"decode empty stdin", []string{"decode", "-tx", "-"}, "", exitError, "cannot decode"},
	}
	for _, test := range tests {
		code, _, errOut := runCmd(test.stdin, test.args...)
		if code != test.code || !strings.Contains(errOut, test.errText) {
			t.Errorf("%s: got exit %d, stderr %q; want exit %d and %q", test.name, code, errOut,
				test.code, test.errText)
		}
	}
}

func TestKeygenAndPubkey(t *testing.T) {
	code, out, _ := runCmd("", "keygen")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 2 {
		t.Fatalf("keygen: exit %d, output %q", code, out)
	}
	privHex := strings.TrimSpace(strings.TrimPrefix(lines[0], "private key:"))
	pubHex := strings.TrimSpace(strings.TrimPrefix(lines[1], "public key:"))
	priv, err := keys.ParsePrivateKeyHex(privHex)
	if err != nil {
		t.Fatalf("keygen private key: %v", err)
	}
	if keys.EncodePubKeyHex(keys.PubKey(priv)) != pubHex {
		t.Errorf("keygen: public key does not belong to the private key")
	}

	dir := t.TempDir()
	path, pub := newKeyFile(t, dir, "sub/k.key")
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, info.Mode())
	}
	code, out, _ = runCmd("", "pubkey", "-key", path)
	if code != exitOK || strings.TrimSpace(out) != pub {
		t.Errorf("pubkey: exit %d, got %q, want %q", code, out, pub)
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
		"-in", txA+":3:50000:"+pubA,
		"-in", txB+":0:20000:"+pubB,
		"-out", pubC+":60000", "-out", pubA+":9000", "-locktime", "77")
	if code != exitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "fee: 1000 base units") {
		t.Errorf("create: fee line missing: %q", errOut)
	}

	// Sign, with the hex on standard input and keys given in any order.
	prevA, prevB := "50000:"+pubA, "20000:"+pubB
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
	pa, _ := keys.ParsePubKeyHex(pubA)
	pb, _ := keys.ParsePubKeyHex(pubB)
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
		{"bad prevout", []string{"-key", keyA, "-key", keyB, "-prevout", prevA, "-prevout", "x"}, "value:pubkey"},
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
	var j txJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("decode output is not JSON: %v\n%s", err, out)
	}
	if j.TxID != tx.TxID() || len(j.Inputs) != 2 || len(j.Outputs) != 2 || j.TotalOut != 69000 ||
		j.Outputs[0].PubKey != pubC || j.Inputs[1].TxID.String() != txB || j.Coinbase {
		t.Errorf("decode: got %+v", j)
	}
	// Signing does not change the txid.
	var ju txJSON
	_, out, _ = runCmd(unsigned, "decode", "-tx", "-")
	if err := json.Unmarshal([]byte(out), &ju); err != nil || ju.TxID != j.TxID {
		t.Errorf("unsigned txid %s, signed %s: want equal", ju.TxID, j.TxID)
	}
}

// FuzzParseArgs checks that the argument parsers never panic and that what
// they accept formats back to an equal value.
func FuzzParseArgs(f *testing.F) {
	pub := "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	f.Add(someTxID + ":0:100:" + pub)
	f.Add(pub + ":100")
	f.Add("100:" + pub)
	f.Add(":::")
	f.Fuzz(func(t *testing.T, s string) {
		if op, prev, err := parseInput(s); err == nil {
			again := op.TxID.String() + ":" + strconv.FormatUint(uint64(op.Index), 10) + ":" +
				strconv.FormatUint(prev.Value, 10) + ":" + hex.EncodeToString(prev.PubKey[:])
			op2, prev2, err := parseInput(again)
			if err != nil || op2 != op || prev2 != prev {
				t.Fatalf("input %q does not round trip: %v", s, err)
			}
		}
		for _, valueFirst := range []bool{false, true} {
			if out, err := parseOutput(s, "-out", valueFirst); err == nil {
				v := strconv.FormatUint(out.Value, 10)
				p := hex.EncodeToString(out.PubKey[:])
				again := p + ":" + v
				if valueFirst {
					again = v + ":" + p
				}
				out2, err := parseOutput(again, "-out", valueFirst)
				if err != nil || out2 != out {
					t.Fatalf("output %q does not round trip: %v", s, err)
				}
			}
		}
	})
}
