package schnorrbatch

import (
	"testing"
)

// FuzzBatchAgainstSingle compares batch and single verification with the
// reference verifier on a batch of three: a valid signature from the pool,
// a pool signature with fuzzed bytes xored into its key, message or
// signature, and a fully fuzzed (key, message, signature) triple. The seed
// picks the pool entries and the order.
func FuzzBatchAgainstSingle(f *testing.F) {
	f.Add(uint64(0), []byte{}, []byte{})
	f.Add(uint64(1), []byte{64, 1}, []byte{})          // first bit of r
	f.Add(uint64(2), []byte{100, 0x80}, []byte{})      // a bit of s
	f.Add(uint64(3), []byte{5, 0xff, 40, 1}, []byte{}) // key and message
	for _, v := range loadVectors(f) {
		raw := append(append(append([]byte{}, v.tr.pubKey[:]...), v.tr.msg[:]...), v.tr.sig[:]...)
		f.Add(uint64(len(v.index)), []byte{}, raw)
	}
	f.Fuzz(func(t *testing.T, seed uint64, flips []byte, raw []byte) {
		valid := validPool(t)
		trs := make([]triple, 3)
		trs[0] = valid[seed%poolSize]
		trs[1] = valid[(seed/poolSize)%poolSize]
		// flips are (offset, xor mask) pairs over key || msg || sig.
		for i := 0; i+1 < len(flips); i += 2 {
			applyXor(&trs[1], int(flips[i])%128, flips[i+1])
		}
		var rawTr triple
		copy(rawTr.pubKey[:], raw)
		if len(raw) > 32 {
			copy(rawTr.msg[:], raw[32:])
		}
		if len(raw) > 64 {
			copy(rawTr.sig[:], raw[64:])
		}
		trs[2] = rawTr
		// Rotate so every position gets every kind of entry.
		rot := int(seed % 3)
		trs = append(trs[rot:], trs[:rot]...)

		wantFirst := -1
		for i := range trs {
			ref := refVerify(&trs[i])
			err := Verify(trs[i].pubKey, trs[i].msg, trs[i].sig)
			if (err == nil) != ref {
				t.Fatalf("entry %d: Verify %v, reference %v", i, err, ref)
			}
			if !ref && wantFirst < 0 {
				wantFirst = i
			}
		}
		b := batchOf(trs, nil)
		if got := b.Verify(); got != (wantFirst < 0) {
			t.Fatalf("Verify: got %v, want %v", got, wantFirst < 0)
		}
		if idx, err := b.FirstInvalid(); idx != wantFirst {
			t.Fatalf("FirstInvalid: got %d (%v), want %d", idx, err, wantFirst)
		}
	})
}

// applyXor xors mask into byte off of key || msg || sig.
func applyXor(tr *triple, off int, mask byte) {
	switch {
	case off < 32:
		tr.pubKey[off] ^= mask
	case off < 64:
		tr.msg[off-32] ^= mask
	default:
		tr.sig[off-64] ^= mask
	}
}
