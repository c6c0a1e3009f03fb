package database

import (
	"bytes"
	"testing"

	"github.com/btcsuite/goleveldb/leveldb/journal"
)

// makeJournal writes records of the given sizes with LevelDB's journal
// writer and returns the file's bytes and the offset after each record.
func makeJournal(t testing.TB, sizes ...int) ([]byte, []int64) {
	var buf bytes.Buffer
	w := journal.NewWriter(&buf)
	ends := make([]int64, 0, len(sizes))
	for i, size := range sizes {
		rw, err := w.Next()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rw.Write(bytes.Repeat([]byte{byte(i + 1)}, size)); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, int64(buf.Len()))
	}
	return buf.Bytes(), ends
}

// TestScanJournal checks where scanJournal finds the intact records to end
// and whether it calls the rest a torn tail.
func TestScanJournal(t *testing.T) {
	// Records spanning blocks exercise first, middle and last chunks.
	data, ends := makeJournal(t, 100, 40000, 200, 70000, 300)
	last := ends[len(ends)-1]
	flipped := func(off int64) []byte {
		d := append([]byte(nil), data...)
		d[off] ^= 0xff
		return d
	}
	tests := []struct {
		name    string
		data    []byte
		goodEnd int64
		torn    bool
	}{
		{"intact", data, last, false},
		{"empty", nil, 0, false},
		{"cut in the last record", data[:last-10], ends[3], true},
		{"cut in a header", data[:ends[3]+3], ends[3], true},
		{"cut in a record spanning blocks", data[:ends[2]+40000], ends[2], true},
		{"zeros after the records", append(append([]byte(nil), data...), make([]byte, 50000)...), last, true},
		{"flipped byte in the last record", flipped(last - 5), ends[3], true},
		{"flipped byte in the first record", flipped(20), 0, false},
		{"flipped byte in a middle chunk", flipped(80000), ends[2], false},
		{"flipped byte in a record with more after it", flipped(ends[2] - 10), ends[1], false},
	}
	for _, test := range tests {
		got := scanJournal(test.data)
		if got.goodEnd != test.goodEnd || got.torn != test.torn {
			t.Errorf("%s: got end %d torn %v, want end %d torn %v", test.name,
				got.goodEnd, got.torn, test.goodEnd, test.torn)
		}
	}
}

// FuzzScanJournal ensures scanJournal never panics, that the intact part it
// finds is inside the input, and that the intact part scans as intact.
func FuzzScanJournal(f *testing.F) {
	data, ends := makeJournal(f, 100, 40000, 200)
	f.Add(data)
	f.Add(data[:ends[1]-7])
	f.Add([]byte{})
	f.Add(make([]byte, 7))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := scanJournal(b)
		if got.goodEnd < 0 || got.goodEnd > int64(len(b)) {
			t.Fatalf("intact end %d outside 0..%d", got.goodEnd, len(b))
		}
		again := scanJournal(b[:got.goodEnd])
		if again.goodEnd != got.goodEnd || again.torn {
			t.Fatalf("intact part scans as end %d torn %v, want end %d intact",
				again.goodEnd, again.torn, got.goodEnd)
		}
	})
}
