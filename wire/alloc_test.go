package wire

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
)

// bytesPerRun returns the heap bytes f allocates per call, averaged over
// runs calls.
func bytesPerRun(runs int, f func()) float64 {
	f() // warm up lazily initialised state outside the measurement
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(runs)
}

// TestAllocationBounds checks that hostile lengths and counts cost the
// decoder almost nothing: the memory a peer can make us allocate must be in
// proportion to the bytes it actually sent, not to the numbers it claims.
func TestAllocationBounds(t *testing.T) {
	versionToTips := "01000000 0100000000000000 0000006500000000 " + na4Hex + " " + na6Hex +
		" 0807060504030201 00 " + rep("11", 32) + " e8030000"

	tests := []struct {
		name      string
		in        []byte
		read      func(b []byte) error
		want      error
		maxAllocs float64
		maxBytes  float64
	}{{
		name:      "frame header declaring 4 GiB",
		in:        frameHeader(MainNet, CmdBlock, 0xffffffff, [4]byte{}),
		read:      readFrame,
		want:      ErrPayloadTooLarge,
		maxAllocs: 8,
		maxBytes:  1024,
	}, {
		name:      "frame header declaring a full block, then silence",
		in:        frameHeader(MainNet, CmdBlock, MaxBlockPayload, [4]byte{}),
		read:      readFrame,
		want:      io.ErrUnexpectedEOF,
		maxAllocs: 8,
		// The first payload chunk, never the declared 4 MiB.
		maxBytes: payloadChunk + 1024,
	}, {
		name:      "frame header declaring a full inv, then silence",
		in:        frameHeader(MainNet, CmdInv, maxInvListPayload, [4]byte{}),
		read:      readFrame,
		want:      io.ErrUnexpectedEOF,
		maxAllocs: 8,
		maxBytes:  payloadChunk + 1024,
	}, {
		name:      "unknown command declaring 8 MiB, then silence",
		in:        frameHeader(MainNet, "bogus", MaxMessagePayload, [4]byte{}),
		read:      readFrame,
		want:      io.ErrUnexpectedEOF,
		maxAllocs: 8,
		// io.Discard's pooled 8 KiB buffer, which sync.Pool may drop
		// (it does so at random under -race).
		maxBytes: 8*1024 + 1024,
	}, {
		name:      "inv claiming 50000 entries in 4 bytes",
		in:        unhex(t, "fd50c3 00"),
		read:      func(b []byte) error { return new(MsgInv).Decode(b, ProtocolVersion) },
		want:      ErrMalformed,
		maxAllocs: 8,
		maxBytes:  1024,
	}, {
		name:      "inv claiming 2^64-1 entries",
		in:        unhex(t, "ffffffffffffffffff"),
		read:      func(b []byte) error { return new(MsgInv).Decode(b, ProtocolVersion) },
		want:      ErrTooMany,
		maxAllocs: 8,
		maxBytes:  1024,
	}, {
		name:      "tx claiming 2^32 inputs in 20 bytes",
		in:        unhex(t, "0100 ff0000000001000000 000000000000000000"),
		read:      func(b []byte) error { return new(MsgTx).Deserialize(b) },
		want:      ErrTooMany,
		maxAllocs: 8,
		maxBytes:  1024,
	}, {
		name:      "tx claiming the most outputs in 10 bytes",
		in:        unhex(t, "0100 00 fe99990100 0000"),
		read:      func(b []byte) error { return new(MsgTx).Deserialize(b) },
		want:      ErrMalformed,
		maxAllocs: 8,
		maxBytes:  1024,
	}, {
		name:      "block claiming the most transactions after its header",
		in:        unhex(t, blockHeaderHex+" fe4eec0400"),
		read:      func(b []byte) error { return new(MsgBlock).Deserialize(b) },
		want:      ErrMalformed,
		maxAllocs: 10,
		maxBytes:  1024,
	}, {
		name:      "header claiming 64 parents in 5 bytes",
		in:        unhex(t, "01000000 40"),
		read:      func(b []byte) error { return new(BlockHeader).Deserialize(b) },
		want:      ErrMalformed,
		maxAllocs: 8,
		maxBytes:  1024,
	}, {
		name:      "addr claiming 1000 entries in 3 bytes",
		in:        unhex(t, "fde803"),
		read:      func(b []byte) error { return new(MsgAddr).Decode(b, ProtocolVersion) },
		want:      ErrMalformed,
		maxAllocs: 8,
		maxBytes:  1024,
	}, {
		name:      "version claiming 64 tips, none sent",
		in:        unhex(t, versionToTips+" 40"),
		read:      func(b []byte) error { return new(MsgVersion).Decode(b, ProtocolVersion) },
		want:      ErrMalformed,
		maxAllocs: 12,
		maxBytes:  1024,
	}}
	for _, test := range tests {
		if err := test.read(test.in); !errors.Is(err, test.want) {
			t.Errorf("%s: got %v, want %v", test.name, err, test.want)
			continue
		}
		allocs := testing.AllocsPerRun(100, func() { _ = test.read(test.in) })
		if allocs > test.maxAllocs {
			t.Errorf("%s: %.0f allocations, want at most %.0f", test.name, allocs,
				test.maxAllocs)
		}
		b := bytesPerRun(100, func() { _ = test.read(test.in) })
		if b > test.maxBytes {
			t.Errorf("%s: %.0f bytes allocated, want at most %.0f", test.name, b,
				test.maxBytes)
		}
		t.Logf("%s: %.0f allocs, %.0f bytes", test.name, allocs, b)
	}
}

// readFrame runs ReadMessage over b as the whole stream.
func readFrame(b []byte) error {
	_, _, _, err := ReadMessage(bytes.NewReader(b), ProtocolVersion, MainNet)
	return err
}
