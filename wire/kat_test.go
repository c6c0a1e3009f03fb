package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"
)

// TestDoubleHashH checks SHA-256d against published values.
func TestDoubleHashH(t *testing.T) {
	// Bitcoin's genesis block header: its hash is the best known SHA-256d
	// value there is, and it checks the display byte order too.
	btcGenesis := "01000000" + rep("00", 32) +
		"3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a" +
		"29ab5f49 ffff001d 1dac2b7c"
	tests := []struct {
		name    string
		in      []byte
		raw     string // digest as produced
		display string // digest as String shows it
	}{{
		name:    "empty",
		in:      nil,
		raw:     "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456",
		display: "56944c5d3f98413ef45cf54545538103cc9f298e0575820ad3591376e2e0f65d",
	}, {
		name:    "abc",
		in:      []byte("abc"),
		raw:     "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358",
		display: "58636c3ec08c12d55aedda056d602d5bcca72d8df6a69b519b72d32dc2428b4f",
	}, {
		name:    "bitcoin genesis header",
		in:      unhex(t, btcGenesis),
		raw:     "6fe28c0ab6f1b372c1a6a246ae63f74f931e8365e15a089c68d6190000000000",
		display: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
	}}
	for _, test := range tests {
		h := DoubleHashH(test.in)
		if got := hex.EncodeToString(h[:]); got != test.raw {
			t.Errorf("%s: raw got %s, want %s", test.name, got, test.raw)
		}
		if got := h.String(); got != test.display {
			t.Errorf("%s: String got %s, want %s", test.name, got, test.display)
		}
		sum := Checksum(test.in)
		if got := hex.EncodeToString(sum[:]); got != test.raw[:8] {
			t.Errorf("%s: Checksum got %s, want %s", test.name, got, test.raw[:8])
		}
	}
}

// TestHashString checks the display byte order and parsing.
func TestHashString(t *testing.T) {
	h := seqHash()
	const display = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"
	if got := h.String(); got != display {
		t.Errorf("String got %s, want %s", got, display)
	}
	text, err := h.MarshalText()
	if err != nil || string(text) != display {
		t.Errorf("MarshalText got %s, %v", text, err)
	}
	parsed, err := NewHashFromStr(display)
	if err != nil || *parsed != h {
		t.Errorf("NewHashFromStr got %v, %v, want %v", parsed, err, h)
	}
	upper, err := NewHashFromStr("1F1E1D1C1B1A191817161514131211100F0E0D0C0B0A09080706050403020100")
	if err != nil || *upper != h {
		t.Errorf("NewHashFromStr upper case got %v, %v", upper, err)
	}
	var u Hash
	if err := u.UnmarshalText([]byte(display)); err != nil || u != h {
		t.Errorf("UnmarshalText got %v, %v", u, err)
	}

	bad := []struct {
		name string
		in   string
	}{
		{name: "empty", in: ""},
		{name: "short", in: display[:62]},
		{name: "one short", in: display[:63]},
		{name: "long", in: display + "00"},
		{name: "one long", in: display + "0"},
		{name: "not hex", in: "zz" + display[2:]},
		{name: "space", in: " " + display[1:]},
		{name: "0x prefix", in: "0x" + display[2:]},
	}
	for _, test := range bad {
		if _, err := NewHashFromStr(test.in); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: got %v, want ErrInvalidValue", test.name, err)
		}
		var x Hash
		if err := x.UnmarshalText([]byte(test.in)); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: UnmarshalText got %v, want ErrInvalidValue", test.name, err)
		}
	}

	// Compare orders by stored bytes, not by display order.
	a, b := Hash{0x01}, Hash{31: 0x01}
	if a.Compare(&b) != 1 || b.Compare(&a) != -1 || a.Compare(&a) != 0 {
		t.Errorf("Compare does not order by stored bytes")
	}
	if !b.Less(&a) || a.Less(&b) || a.Less(&a) {
		t.Errorf("Less does not order by stored bytes")
	}
	if !ZeroHash.IsZero() || a.IsZero() {
		t.Errorf("IsZero wrong")
	}
}

// sha256d is an independent SHA-256d for the merkle tests.
func sha256d(parts ...[]byte) Hash {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	first := h.Sum(nil)
	return Hash(sha256.Sum256(first))
}

// TestMerkleRoot checks MerkleRoot against roots written out level by level
// with crypto/sha256, independent of merkle.go.
func TestMerkleRoot(t *testing.T) {
	leaf := func(i byte) Hash { return sha256d([]byte{i}) }
	a, b, c, d, e := leaf(1), leaf(2), leaf(3), leaf(4), leaf(5)
	node := func(x, y Hash) Hash { return sha256d(x[:], y[:]) }

	tests := []struct {
		name   string
		leaves []Hash
		want   Hash
	}{
		{name: "none", leaves: nil, want: Hash{}},
		{name: "one", leaves: []Hash{a}, want: a},
		{name: "two", leaves: []Hash{a, b}, want: node(a, b)},
		{name: "three", leaves: []Hash{a, b, c},
			want: node(node(a, b), node(c, c))},
		{name: "four", leaves: []Hash{a, b, c, d},
			want: node(node(a, b), node(c, d))},
		{name: "five", leaves: []Hash{a, b, c, d, e},
			want: node(node(node(a, b), node(c, d)), node(node(e, e), node(e, e)))},
	}
	for _, test := range tests {
		in := append([]Hash(nil), test.leaves...)
		if got := MerkleRoot(in); got != test.want {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
		// MerkleRoot must not modify its argument.
		for i := range in {
			if in[i] != test.leaves[i] {
				t.Errorf("%s: MerkleRoot modified its input", test.name)
			}
		}
	}

	// BlockMerkleRoot is MerkleRoot over the tx hashes, which include the
	// signatures: changing a signature changes the root.
	txs := []*MsgTx{fxCoinbase(), fxTx()}
	want := node(DoubleHashH(txs[0].Serialize()), DoubleHashH(txs[1].Serialize()))
	if got := BlockMerkleRoot(txs); got != want {
		t.Errorf("BlockMerkleRoot got %v, want %v", got, want)
	}
	mutated := fxTx()
	mutated.TxIn[0].Signature[0] ^= 1
	if BlockMerkleRoot([]*MsgTx{fxCoinbase(), mutated}) == want {
		t.Errorf("BlockMerkleRoot does not commit to signatures")
	}
	if mutated.TxID() != txs[1].TxID() || mutated.TxHash() == txs[1].TxHash() {
		t.Errorf("a signature must change the tx hash but not the txid")
	}
	blk := MsgBlock{Transactions: txs}
	ids := blk.TxIDs()
	if len(ids) != 2 || ids[0] != txs[0].TxID() || ids[1] != txs[1].TxID() {
		t.Errorf("TxIDs got %v", ids)
	}
}

// bigHex parses a hand-written hex number; a leading '-' negates it.
func bigHex(tb testing.TB, s string) *big.Int {
	tb.Helper()
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		tb.Fatalf("bad big hex %q", s)
	}
	if neg {
		n.Neg(n)
	}
	return n
}

// TestCompact checks CompactToBig and BigToCompact on Bitcoin's well-known
// values, including negative, zero-mantissa and sign-bit cases.
func TestCompact(t *testing.T) {
	tests := []struct {
		name    string
		compact uint32
		target  string // hex, '-' for negative
		back    uint32 // BigToCompact(target)
	}{
		{name: "zero", compact: 0x00000000, target: "0", back: 0},
		{name: "exp 0", compact: 0x00123456, target: "0", back: 0},
		{name: "exp 1 shifted out", compact: 0x01003456, target: "0", back: 0},
		{name: "exp 2 shifted out", compact: 0x02000056, target: "0", back: 0},
		{name: "exp 3 zero", compact: 0x03000000, target: "0", back: 0},
		{name: "exp 4 zero", compact: 0x04000000, target: "0", back: 0},
		{name: "negative zero", compact: 0x00923456, target: "0", back: 0},
		{name: "negative zero exp 1", compact: 0x01803456, target: "0", back: 0},
		{name: "exp 1", compact: 0x01123456, target: "12", back: 0x01120000},
		{name: "exp 1 negative", compact: 0x01fedcba, target: "-7e", back: 0x01fe0000},
		{name: "exp 2", compact: 0x02123456, target: "1234", back: 0x02123400},
		{name: "exp 3", compact: 0x03123456, target: "123456", back: 0x03123456},
		{name: "exp 4", compact: 0x04123456, target: "12345600", back: 0x04123456},
		{name: "exp 4 negative", compact: 0x04923456, target: "-12345600", back: 0x04923456},
		{name: "sign bit carried", compact: 0x05009234, target: "92340000", back: 0x05009234},
		{name: "exp 32", compact: 0x20123456,
			target: "123456" + rep("00", 29), back: 0x20123456},
		{name: "bitcoin pow limit", compact: 0x1d00ffff,
			target: "ffff" + rep("00", 26), back: 0x1d00ffff},
		{name: "bitcoin block 32256", compact: 0x1b0404cb,
			target: "0404cb" + rep("00", 24), back: 0x1b0404cb},
		{name: "regtest limit", compact: 0x207fffff,
			target: "7fffff" + rep("00", 29), back: 0x207fffff},
	}
	for _, test := range tests {
		want := bigHex(t, test.target)
		got := CompactToBig(test.compact)
		if got.Cmp(want) != 0 {
			t.Errorf("%s: CompactToBig(%08x) got %x, want %x", test.name,
				test.compact, got, want)
		}
		if back := BigToCompact(want); back != test.back {
			t.Errorf("%s: BigToCompact(%x) got %08x, want %08x", test.name, want,
				back, test.back)
		}
	}

	// A mantissa whose top bit is set moves up a byte so it does not read
	// as negative.
	if got := BigToCompact(big.NewInt(0x80)); got != 0x02008000 {
		t.Errorf("BigToCompact(0x80) got %08x, want 02008000", got)
	}
	if got := BigToCompact(big.NewInt(-0x80)); got != 0x02808000 {
		t.Errorf("BigToCompact(-0x80) got %08x, want 02808000", got)
	}
}

// TestCalcWork checks CalcWork = 2^256 / (target+1).
func TestCalcWork(t *testing.T) {
	tests := []struct {
		name string
		bits uint32
		want string
	}{
		// Bitcoin's genesis chain work is 0x100010001.
		{name: "bitcoin pow limit", bits: 0x1d00ffff, want: "100010001"},
		{name: "bitcoin block 32256", bits: 0x1b0404cb, want: "3fb3ab764c00"},
		// Half the hash space meets the regtest target.
		{name: "regtest limit", bits: 0x207fffff, want: "2"},
		{name: "small target", bits: 0x03123456,
			want: "e0fff97690309e2f96677e115e465ed2d49ebff2a34c636177dcdb14856"},
		{name: "zero target", bits: 0, want: "0"},
		{name: "negative target", bits: 0x04923456, want: "0"},
	}
	for _, test := range tests {
		if got := CalcWork(test.bits); got.Cmp(bigHex(t, test.want)) != 0 {
			t.Errorf("%s: got %x, want %s", test.name, got, test.want)
		}
	}
}

// TestHashToBig checks that a hash reads as a little-endian number.
func TestHashToBig(t *testing.T) {
	tests := []struct {
		name string
		hash Hash
		want string
	}{
		{name: "zero", hash: Hash{}, want: "0"},
		{name: "first byte is least significant", hash: Hash{0: 1}, want: "1"},
		{name: "last byte is most significant", hash: Hash{31: 1}, want: "1" + rep("00", 31)},
		{name: "seq", hash: seqHash(),
			want: "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"},
	}
	for _, test := range tests {
		if got := HashToBig(&test.hash); got.Cmp(bigHex(t, test.want)) != 0 {
			t.Errorf("%s: got %x, want %s", test.name, got, test.want)
		}
	}
}

// stripSigs removes the signatures from a serialized transaction by
// position, independent of the encoder's own no-signature path.
func stripSigs(tx *MsgTx) []byte {
	full := tx.Serialize()
	start := 2 + VarIntSerializeSize(uint64(len(tx.TxIn)))
	out := append([]byte(nil), full[:start]...)
	for i := range tx.TxIn {
		in := full[start+i*TxInSerializeSize:]
		out = append(out, in[:HashSize+4]...)
	}
	return append(out, full[start+len(tx.TxIn)*TxInSerializeSize:]...)
}

// TestTxID checks that the txid covers everything but the signatures.
func TestTxID(t *testing.T) {
	base := fxTx()
	id := base.TxID()
	if want := DoubleHashH(stripSigs(base)); id != want {
		t.Errorf("TxID got %v, want %v", id, want)
	}

	// A transaction bigger than TxID's stack buffer takes the heap path.
	large := fxTx()
	for i := 0; i < 20; i++ {
		large.TxIn = append(large.TxIn, TxIn{PreviousOutPoint: OutPoint{Index: uint32(i)}})
	}
	if got, want := large.TxID(), DoubleHashH(stripSigs(large)); got != want {
		t.Errorf("large TxID got %v, want %v", got, want)
	}

	tests := []struct {
		name    string
		mutate  func(tx *MsgTx)
		changes bool
	}{
		{name: "signature byte", mutate: func(tx *MsgTx) { tx.TxIn[0].Signature[0] ^= 1 }},
		{name: "whole signature", mutate: func(tx *MsgTx) { tx.TxIn[0].Signature = [64]byte{} }},
		{name: "version", mutate: func(tx *MsgTx) { tx.Version++ }, changes: true},
		{name: "prev txid", mutate: func(tx *MsgTx) { tx.TxIn[0].PreviousOutPoint.TxID[31] ^= 1 }, changes: true},
		{name: "prev index", mutate: func(tx *MsgTx) { tx.TxIn[0].PreviousOutPoint.Index++ }, changes: true},
		{name: "extra input", mutate: func(tx *MsgTx) { tx.TxIn = append(tx.TxIn, TxIn{}) }, changes: true},
		{name: "value", mutate: func(tx *MsgTx) { tx.TxOut[1].Value++ }, changes: true},
		{name: "pubkey", mutate: func(tx *MsgTx) { tx.TxOut[0].PubKey[0] ^= 1 }, changes: true},
		{name: "output order", mutate: func(tx *MsgTx) { tx.TxOut[0], tx.TxOut[1] = tx.TxOut[1], tx.TxOut[0] }, changes: true},
		{name: "extra output", mutate: func(tx *MsgTx) { tx.TxOut = append(tx.TxOut, TxOut{}) }, changes: true},
		{name: "lock time", mutate: func(tx *MsgTx) { tx.LockTime = 1 }, changes: true},
		{name: "payload", mutate: func(tx *MsgTx) { tx.Payload = []byte{0} }, changes: true},
	}
	for _, test := range tests {
		tx := base.Copy()
		test.mutate(tx)
		changed := tx.TxID() != id
		if changed != test.changes {
			t.Errorf("%s: txid changed %v, want %v", test.name, changed, test.changes)
		}
		if base.TxID() != id {
			t.Fatalf("%s: mutating a copy changed the original", test.name)
		}
	}
}

// TestSignatureHash checks the sighash against a value computed with
// Python's hashlib and what it commits to.
func TestSignatureHash(t *testing.T) {
	prevOuts := []TxOut{{Value: 7000000000, PubKey: repHash(0x42)}}
	tx := fxTx()
	got, err := SignatureHash(tx, 0, prevOuts)
	if err != nil {
		t.Fatalf("SignatureHash: %v", err)
	}
	const want = "2449c441c9a9323af0f585c0a3ac9684b515616f8cd13e659d68deb57428a473"
	if got.String() != want {
		t.Errorf("SignatureHash got %v, want %s", got, want)
	}
	const wantPrev = "1070004db9056774286a993278e6d9dbe8ca07ca56d8de84d10b2cda1b5bf35f"
	if p := PrevOutsHash(prevOuts); p.String() != wantPrev {
		t.Errorf("PrevOutsHash got %v, want %s", p, wantPrev)
	}
	if parts := SignatureHashFromParts(tx.TxID(), 0, PrevOutsHash(prevOuts)); parts != got {
		t.Errorf("SignatureHashFromParts got %v, want %v", parts, got)
	}

	// A two-input transaction to move the index and the prevouts around.
	two := fxTx()
	two.TxIn = append(two.TxIn, TxIn{PreviousOutPoint: OutPoint{TxID: repHash(9), Index: 1}})
	prev2 := []TxOut{{Value: 1, PubKey: repHash(1)}, {Value: 2, PubKey: repHash(2)}}
	h0, err0 := SignatureHash(two, 0, prev2)
	h1, err1 := SignatureHash(two, 1, prev2)
	if err0 != nil || err1 != nil {
		t.Fatalf("SignatureHash: %v, %v", err0, err1)
	}
	if h0 == h1 {
		t.Errorf("input index does not change the sighash")
	}

	changes := []struct {
		name   string
		mutate func(tx *MsgTx, prev []TxOut)
		change bool
	}{
		{name: "own signature", mutate: func(tx *MsgTx, _ []TxOut) { tx.TxIn[0].Signature[5] = 1 }},
		{name: "other signature", mutate: func(tx *MsgTx, _ []TxOut) { tx.TxIn[1].Signature[5] = 1 }},
		{name: "prevout value", mutate: func(_ *MsgTx, p []TxOut) { p[1].Value++ }, change: true},
		{name: "prevout key", mutate: func(_ *MsgTx, p []TxOut) { p[0].PubKey[0] ^= 1 }, change: true},
		{name: "prevout order", mutate: func(_ *MsgTx, p []TxOut) { p[0], p[1] = p[1], p[0] }, change: true},
		{name: "output value", mutate: func(tx *MsgTx, _ []TxOut) { tx.TxOut[0].Value-- }, change: true},
		{name: "lock time", mutate: func(tx *MsgTx, _ []TxOut) { tx.LockTime = 5 }, change: true},
	}
	for _, test := range changes {
		tx := two.Copy()
		prev := append([]TxOut(nil), prev2...)
		test.mutate(tx, prev)
		h, err := SignatureHash(tx, 0, prev)
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if (h != h0) != test.change {
			t.Errorf("%s: sighash changed %v, want %v", test.name, h != h0, test.change)
		}
	}

	bad := []struct {
		name  string
		tx    *MsgTx
		index int
		prev  []TxOut
	}{
		{name: "negative index", tx: two, index: -1, prev: prev2},
		{name: "index = inputs", tx: two, index: 2, prev: prev2},
		{name: "index far out", tx: two, index: 1 << 40, prev: prev2},
		{name: "too few prevouts", tx: two, index: 0, prev: prev2[:1]},
		{name: "too many prevouts", tx: two, index: 0, prev: append(prev2, TxOut{})},
		{name: "coinbase", tx: fxCoinbase(), index: 0, prev: nil},
	}
	for _, test := range bad {
		if _, err := SignatureHash(test.tx, test.index, test.prev); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s: got %v, want ErrInvalidValue", test.name, err)
		}
	}
}

// TestStringers checks the names types print in logs.
func TestStringers(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "outpoint", got: OutPoint{TxID: seqHash(), Index: 7}.String(),
			want: "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100:7"},
		{name: "inv tx", got: InvTypeTx.String(), want: "tx"},
		{name: "inv block", got: InvTypeBlock.String(), want: "block"},
		{name: "inv unknown", got: InvType(9).String(), want: "unknown inv type 9"},
		{name: "inv vect", got: NewInvVect(InvTypeBlock, &Hash{}, 3).String(),
			want: "block " + rep("00", 32)},
		{name: "reject invalid", got: RejectInvalid.String(), want: "REJECT_INVALID"},
		{name: "reject unknown", got: RejectCode(0x99).String(), want: "unknown reject code 153"},
		{name: "services none", got: ServiceFlag(0).String(), want: "0x0"},
		{name: "services network", got: SFNodeNetwork.String(), want: "SFNodeNetwork"},
		{name: "services unknown", got: (SFNodeNetwork | 0x30).String(), want: "SFNodeNetwork|0x30"},
		{name: "mainnet", got: MainNet.String(), want: "mainnet"},
		{name: "testnet", got: TestNet.String(), want: "testnet"},
		{name: "regtest", got: RegTest.String(), want: "regtest"},
		{name: "simnet", got: SimNet.String(), want: "simnet"},
		{name: "unknown net", got: SoterNet(0xd9b4bef9).String(), want: "unknown network 0xd9b4bef9"},
	}
	for _, test := range tests {
		if test.got != test.want {
			t.Errorf("%s: got %q, want %q", test.name, test.got, test.want)
		}
	}
	codes := []RejectCode{RejectMalformed, RejectInvalid, RejectObsolete, RejectDuplicate,
		RejectNonstandard, RejectDust, RejectInsufficientFee}
	for _, c := range codes {
		if s := c.String(); len(s) < 8 || s[:7] != "REJECT_" {
			t.Errorf("reject code %d has no name: %q", c, s)
		}
	}
}

// TestNetworkMagic checks each magic against its ASCII bytes on the wire.
func TestNetworkMagic(t *testing.T) {
	tests := []struct {
		net  SoterNet
		wire string
	}{
		{MainNet, "sotr"}, {TestNet, "sott"}, {RegTest, "sotg"}, {SimNet, "sotm"},
	}
	seen := map[SoterNet]bool{}
	for _, test := range tests {
		frame, err := EncodeMessage(&MsgVerAck{}, ProtocolVersion, test.net)
		if err != nil {
			t.Fatalf("%v: %v", test.net, err)
		}
		if got := string(frame[:4]); got != test.wire {
			t.Errorf("%v: magic on the wire %q, want %q", test.net, got, test.wire)
		}
		if seen[test.net] {
			t.Errorf("%v: magic not unique", test.net)
		}
		seen[test.net] = true
	}
}

// TestCopyAndAccessors checks the deep copies and small accessors.
func TestCopyAndAccessors(t *testing.T) {
	tx := fxCoinbase()
	c := tx.Copy()
	c.Payload[0] = 9
	c.TxOut[0].Value = 1
	if tx.Payload[0] != 1 || tx.TxOut[0].Value != 10000000000 {
		t.Errorf("MsgTx.Copy shares memory with the original")
	}
	if !tx.IsCoinBase() || fxTx().IsCoinBase() {
		t.Errorf("IsCoinBase wrong")
	}
	if empty := (&MsgTx{}).Copy(); empty.TxIn != nil || empty.TxOut != nil || empty.Payload != nil {
		t.Errorf("Copy of an empty tx is not empty: %+v", empty)
	}

	h := fxHeader()
	hc := h.Copy()
	hc.Parents[0][0] = 0
	if h.Parents[0][0] != 0x11 {
		t.Errorf("BlockHeader.Copy shares memory with the original")
	}
	if h.IsGenesis() || !(&BlockHeader{}).IsGenesis() {
		t.Errorf("IsGenesis wrong")
	}
	if got := h.Time().UnixMilli(); got != 1700000000000 {
		t.Errorf("Time got %d ms", got)
	}

	var inv MsgInv
	var gd MsgGetData
	var nf MsgNotFound
	iv := NewInvVect(InvTypeTx, &Hash{1}, 0)
	for i := 0; i < MaxInvPerMsg; i++ {
		if err := inv.AddInvVect(iv); err != nil {
			t.Fatalf("AddInvVect %d: %v", i, err)
		}
	}
	if err := inv.AddInvVect(iv); !errors.Is(err, ErrTooMany) {
		t.Errorf("AddInvVect past the bound got %v, want ErrTooMany", err)
	}
	gd.InvList = inv.InvList
	nf.InvList = inv.InvList
	if err := gd.AddInvVect(iv); !errors.Is(err, ErrTooMany) {
		t.Errorf("getdata AddInvVect past the bound got %v", err)
	}
	if err := nf.AddInvVect(iv); !errors.Is(err, ErrTooMany) {
		t.Errorf("notfound AddInvVect past the bound got %v", err)
	}
	if !bytes.Equal(NewNetAddressIPPort(nil, 1, 0, 0).append(nil)[16:32], make([]byte, 16)) {
		t.Errorf("nil IP does not encode as zeros")
	}
}

// TestMaxPayloadLengths pins each command's frame limit, which
// docs/protocol.md lists for implementers.
func TestMaxPayloadLengths(t *testing.T) {
	tests := []struct {
		msg  Message
		want uint32
	}{
		{&MsgVersion{}, 2446},
		{&MsgVerAck{}, 0},
		{&MsgPing{}, 8},
		{&MsgPong{}, 8},
		{&MsgGetAddr{}, 0},
		{&MsgAddr{}, 34003},
		{&MsgInv{}, 2000003},
		{&MsgGetData{}, 2000003},
		{&MsgNotFound{}, 2000003},
		{&MsgGetBlocks{}, 36},
		{&MsgBlock{}, 4194304},
		{&MsgTx{}, 4194304},
		{&MsgMemPool{}, 0},
		{&MsgReject{}, 305},
		{&MsgGetHeaders{}, 320003},
		{&MsgHeaders{}, 4210003},
	}
	for _, test := range tests {
		if got := test.msg.MaxPayloadLength(ProtocolVersion); got != test.want {
			t.Errorf("%s: got %d, want %d", test.msg.Command(), got, test.want)
		}
		if makeEmptyMessage(test.msg.Command()) == nil {
			t.Errorf("%s: ReadMessage does not know the command", test.msg.Command())
		}
	}
}
