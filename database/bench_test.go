package database

import (
	"encoding/binary"
	"path/filepath"
	"testing"
)

// BenchmarkBatchWrite measures writing a batch of 8 puts of 100-byte values
// without syncing, about what connecting a small block's UTXO changes costs.
func BenchmarkBatchWrite(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "db"), &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	value := make([]byte, 100)
	keys := make([][]byte, 8)
	for j := range keys {
		keys[j] = make([]byte, 37) // bucket + 32-byte hash + 4-byte index
		keys[j][0] = byte(BucketUTXO)
	}
	batch := db.NewBatch()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		batch.Reset()
		for j, k := range keys {
			binary.BigEndian.PutUint32(k[1:], uint32(i))
			binary.BigEndian.PutUint32(k[33:], uint32(j))
			batch.Put(k, value)
		}
		if err := db.Write(batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet measures reading a 100-byte value by key from a store of
// 100,000 records, most of them in tables and in the block cache.
func BenchmarkGet(b *testing.B) {
	const records = 100000
	db, err := Open(filepath.Join(b.TempDir(), "db"), &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	value := make([]byte, 100)
	batch := db.NewBatch()
	key := func(i int) []byte {
		k := make([]byte, 37)
		k[0] = byte(BucketUTXO)
		binary.BigEndian.PutUint32(k[1:], uint32(i)*2654435761)
		return k
	}
	for i := 0; i < records; i++ {
		batch.Put(key(i), value)
		if batch.Len() == 1000 {
			if err := db.Write(batch); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	keys := make([][]byte, 1024)
	for i := range keys {
		keys[i] = key(i * 97 % records)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := db.Get(keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIterate measures walking records with an iterator, including the
// copies of keys and values it hands out.
func BenchmarkIterate(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "db"), &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	batch := db.NewBatch()
	for i := 0; i < 10000; i++ {
		var k [5]byte
		k[0] = byte(BucketUTXO)
		binary.BigEndian.PutUint32(k[1:], uint32(i))
		batch.Put(k[:], make([]byte, 100))
	}
	if err := db.Write(batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	it := db.NewIterator([]byte{byte(BucketUTXO)})
	for b.Loop() {
		if !it.Next() {
			it.Release()
			it = db.NewIterator([]byte{byte(BucketUTXO)})
			it.Next()
		}
		_ = it.Key()
		_ = it.Value()
	}
	it.Release()
}
