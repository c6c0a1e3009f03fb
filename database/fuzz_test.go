package database

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeSchemaVersion ensures decoding any schema version record either
// fails with ErrCorrupt or round-trips through encoding, without panicking.
func FuzzDecodeSchemaVersion(f *testing.F) {
	f.Add(encodeSchemaVersion(SchemaVersion))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeSchemaVersion(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want %v", err, ErrCorrupt)
			}
			return
		}
		if got := encodeSchemaVersion(v); !bytes.Equal(got, b) {
			t.Fatalf("round trip: got %x, want %x", got, b)
		}
		if v2, err := decodeSchemaVersion(encodeSchemaVersion(v)); err != nil || v2 != v {
			t.Fatalf("second decode: got %d, %v, want %d", v2, err, v)
		}
	})
}
