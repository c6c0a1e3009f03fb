package keys

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/wire"
)

// secp256k1 curve order n, and n-1, the largest valid private key.
const (
	curveOrderHex = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
	maxPrivHex    = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"
)

func TestParsePrivateKeyHex(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"one", strings.Repeat("0", 63) + "1", nil},
		{"n-1", maxPrivHex, nil},
		{"white space", "  " + maxPrivHex + "\n", nil},
		{"upper case", strings.ToUpper(maxPrivHex), nil},
		{"zero", strings.Repeat("0", 64), ErrBadPrivateKey},
		{"curve order", curveOrderHex, ErrBadPrivateKey},
		{"all ff", strings.Repeat("f", 64), ErrBadPrivateKey},
		{"short", strings.Repeat("1", 62), ErrBadKeyEncoding},
		{"long", strings.Repeat("1", 66), ErrBadKeyEncoding},
		{"not hex", strings.Repeat("g", 64), ErrBadKeyEncoding},
		{"empty", "", ErrBadKeyEncoding},
	}
	for _, test := range tests {
		priv, err := ParsePrivateKeyHex(test.in)
		if !errors.Is(err, test.want) || (test.want == nil) != (err == nil) {
			t.Errorf("%s: got error %v, want %v", test.name, err, test.want)
			continue
		}
		if err != nil {
			continue
		}
		if got, want := EncodePrivateKeyHex(priv), strings.ToLower(strings.TrimSpace(test.in)); got != want {
			t.Errorf("%s: round trip got %s, want %s", test.name, got, want)
		}
	}
}

func TestParsePubKeyHex(t *testing.T) {
	_, pub, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"generated", EncodePubKeyHex(pub), nil},
		// The generator's x coordinate.
		{"generator", "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", nil},
		// x = 0 is not on secp256k1: 7 has no square root modulo p.
		{"not on curve", strings.Repeat("0", 64), ErrBadPublicKey},
		{"x above p", strings.Repeat("f", 64), ErrBadPublicKey},
		{"short", strings.Repeat("1", 63), ErrBadKeyEncoding},
		{"not hex", "zz" + strings.Repeat("1", 62), ErrBadKeyEncoding},
	}
	for _, test := range tests {
		got, err := ParsePubKeyHex(test.in)
		if !errors.Is(err, test.want) || (test.want == nil) != (err == nil) {
			t.Errorf("%s: got error %v, want %v", test.name, err, test.want)
			continue
		}
		if err == nil && EncodePubKeyHex(got) != strings.ToLower(test.in) {
			t.Errorf("%s: round trip got %s, want %s", test.name, EncodePubKeyHex(got), test.in)
		}
	}
}

// spendTx returns a transaction spending one output per key, and those
// outputs.
func spendTx(privs []*btcec.PrivateKey) (*wire.MsgTx, []wire.TxOut) {
	tx := &wire.MsgTx{Version: wire.TxVersion}
	prevOuts := make([]wire.TxOut, len(privs))
	for i, priv := range privs {
		tx.TxIn = append(tx.TxIn, wire.TxIn{PreviousOutPoint: wire.OutPoint{
			TxID: wire.DoubleHashH([]byte{byte(i)}), Index: uint32(i)}})
		prevOuts[i] = wire.TxOut{Value: uint64(1000 * (i + 1)), PubKey: PubKey(priv)}
	}
	tx.TxOut = []wire.TxOut{{Value: 500, PubKey: PubKey(privs[0])}}
	return tx, prevOuts
}

func TestSignTx(t *testing.T) {
	var privs []*btcec.PrivateKey
	for i := 0; i < 3; i++ {
		priv, _, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		privs = append(privs, priv)
	}
	tests := []struct {
		name   string
		inputs int
		mutate func(prevOuts []wire.TxOut, keys []*btcec.PrivateKey) ([]wire.TxOut, []*btcec.PrivateKey)
		want   error
	}{
		{"one input", 1, nil, nil},
		{"three inputs", 3, nil, nil},
		{"swapped keys", 2, func(p []wire.TxOut, k []*btcec.PrivateKey) ([]wire.TxOut, []*btcec.PrivateKey) {
			return p, []*btcec.PrivateKey{k[1], k[0]}
		}, ErrKeyMismatch},
		{"missing key", 2, func(p []wire.TxOut, k []*btcec.PrivateKey) ([]wire.TxOut, []*btcec.PrivateKey) {
			return p, k[:1]
		}, ErrSignInputs},
		{"nil key", 2, func(p []wire.TxOut, k []*btcec.PrivateKey) ([]wire.TxOut, []*btcec.PrivateKey) {
			return p, []*btcec.PrivateKey{k[0], nil}
		}, ErrSignInputs},
		{"missing prevout", 2, func(p []wire.TxOut, k []*btcec.PrivateKey) ([]wire.TxOut, []*btcec.PrivateKey) {
			return p[:1], k
		}, ErrSignInputs},
	}
	for _, test := range tests {
		keys := privs[:test.inputs]
		tx, prevOuts := spendTx(keys)
		signKeys := append([]*btcec.PrivateKey(nil), keys...)
		signPrev := prevOuts
		if test.mutate != nil {
			signPrev, signKeys = test.mutate(prevOuts, signKeys)
		}
		before := tx.Copy()
		err := SignTx(tx, signPrev, signKeys)
		if !errors.Is(err, test.want) || (test.want == nil) != (err == nil) {
			t.Errorf("%s: got error %v, want %v", test.name, err, test.want)
			continue
		}
		if err != nil {
			for i := range tx.TxIn {
				if tx.TxIn[i] != before.TxIn[i] {
					t.Errorf("%s: failed signing changed input %d", test.name, i)
				}
			}
			continue
		}
		for i := range tx.TxIn {
			if !VerifyInput(tx, i, prevOuts) {
				t.Errorf("%s: input %d does not verify", test.name, i)
			}
		}
		// A signature commits to the spent value: changing it breaks it.
		changed := append([]wire.TxOut(nil), prevOuts...)
		changed[0].Value++
		if VerifyInput(tx, 0, changed) {
			t.Errorf("%s: signature verifies against a different spent value", test.name)
		}
	}
	// No inputs at all.
	if err := SignTx(&wire.MsgTx{Version: wire.TxVersion}, nil, nil); !errors.Is(err, ErrSignInputs) {
		t.Errorf("no inputs: got %v, want %v", err, ErrSignInputs)
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "mining.key")

	priv, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("create: got created=%v err=%v, want created and no error", created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != KeyFileMode {
		t.Errorf("mode: got %04o, want %04o", info.Mode().Perm(), KeyFileMode)
	}
	b, _ := os.ReadFile(path)
	if got, want := string(b), EncodePrivateKeyHex(priv)+"\n"; got != want {
		t.Errorf("content: got %q, want %q", got, want)
	}
	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created || PubKey(again) != PubKey(priv) {
		t.Errorf("reload: got created=%v err=%v same=%v, want the same key",
			created, err, err == nil && PubKey(again) == PubKey(priv))
	}
	if err := WriteKeyFile(path, priv); !errors.Is(err, ErrKeyFileExists) {
		t.Errorf("overwrite: got %v, want %v", err, ErrKeyFileExists)
	}

	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		path string
		want error
	}{
		{"no trailing newline", write("a.key", maxPrivHex, 0o600), nil},
		{"crlf", write("b.key", maxPrivHex+"\r\n", 0o400), nil},
		{"malformed", write("c.key", "hello\n", 0o600), ErrKeyFile},
		{"zero key", write("d.key", strings.Repeat("0", 64), 0o600), ErrKeyFile},
		{"too big", write("e.key", strings.Repeat("a", 5000), 0o600), ErrKeyFile},
		{"directory", dir, ErrKeyFile},
		{"missing", filepath.Join(dir, "none.key"), os.ErrNotExist},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, struct {
			name string
			path string
			want error
		}{"group readable", write("f.key", maxPrivHex, 0o640), ErrKeyFile})
	}
	for _, test := range tests {
		_, err := LoadKeyFile(test.path)
		if !errors.Is(err, test.want) || (test.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", test.name, err, test.want)
		}
	}
	// A malformed file is not silently replaced by a new key.
	if _, _, err := LoadOrCreateKeyFile(filepath.Join(dir, "c.key")); !errors.Is(err, ErrKeyFile) {
		t.Errorf("load or create malformed: got %v, want %v", err, ErrKeyFile)
	}
}

// FuzzParseKeys checks that the key parsers never panic and that what they
// accept encodes back to the same key.
func FuzzParseKeys(f *testing.F) {
	f.Add(maxPrivHex)
	f.Add(curveOrderHex)
	f.Add("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if priv, err := ParsePrivateKeyHex(s); err == nil {
			again, err := ParsePrivateKeyHex(EncodePrivateKeyHex(priv))
			if err != nil || PubKey(again) != PubKey(priv) {
				t.Fatalf("private key %q does not round trip: %v", s, err)
			}
		}
		if pub, err := ParsePubKeyHex(s); err == nil {
			again, err := ParsePubKeyHex(EncodePubKeyHex(pub))
			if err != nil || again != pub {
				t.Fatalf("public key %q does not round trip: %v", s, err)
			}
		}
	})
}
