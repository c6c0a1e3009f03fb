package database

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// openTestDB opens a new store in a temporary directory and closes it when
// the test ends.
func openTestDB(t *testing.T, opts *Options) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestKey ensures Key prefixes the bucket and returns a fresh slice.
func TestKey(t *testing.T) {
	tests := []struct {
		name   string
		bucket Bucket
		suffix []byte
		want   []byte
	}{
		{"nil suffix", BucketMeta, nil, []byte{0x01}},
		{"empty suffix", BucketBlocks, []byte{}, []byte{0x02}},
		{"suffix", BucketHeights, []byte{1, 2, 3}, []byte{0x0a, 1, 2, 3}},
		{"utxo", BucketUTXO, []byte("ab"), []byte{0x05, 'a', 'b'}},
	}
	for _, test := range tests {
		got := Key(test.bucket, test.suffix)
		if !bytes.Equal(got, test.want) {
			t.Errorf("%s: got %x, want %x", test.name, got, test.want)
		}
		if len(test.suffix) > 0 {
			test.suffix[0] ^= 0xff
			if !bytes.Equal(got, test.want) {
				t.Errorf("%s: key shares memory with suffix", test.name)
			}
		}
	}
}

// TestPutGetDelete ensures single writes, reads and deletes behave and that
// returned values are the caller's to keep.
func TestPutGetDelete(t *testing.T) {
	db := openTestDB(t, &Options{NoSync: true})
	key := Key(BucketBlocks, []byte("k1"))
	missing := Key(BucketBlocks, []byte("nope"))

	if _, err := db.Get(missing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing: got %v, want %v", err, ErrNotFound)
	}
	if ok, err := db.Has(missing); ok || err != nil {
		t.Fatalf("Has missing: got %v, %v, want false, nil", ok, err)
	}

	value := []byte("value one")
	if err := db.Put(key, value); err != nil {
		t.Fatalf("Put: %v", err)
	}
	value[0] = 'X' // the DB must have kept its own copy
	got, err := db.Get(key)
	if err != nil || string(got) != "value one" {
		t.Fatalf("Get: got %q, %v, want %q", got, err, "value one")
	}
	got[0] = 'Y' // and the caller's copy must not be the DB's
	got, _ = db.Get(key)
	if string(got) != "value one" {
		t.Fatalf("Get after modifying result: got %q", got)
	}
	if ok, err := db.Has(key); !ok || err != nil {
		t.Fatalf("Has: got %v, %v, want true, nil", ok, err)
	}

	if err := db.Put(key, []byte("two")); err != nil {
		t.Fatalf("Put overwrite: %v", err)
	}
	if got, _ := db.Get(key); string(got) != "two" {
		t.Fatalf("Get after overwrite: got %q, want %q", got, "two")
	}
	if err := db.Put(Key(BucketTips, nil), nil); err != nil {
		t.Fatalf("Put empty value: %v", err)
	}
	if got, err := db.Get(Key(BucketTips, nil)); err != nil || len(got) != 0 {
		t.Fatalf("Get empty value: got %x, %v", got, err)
	}

	if err := db.Delete(key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := db.Get(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get deleted: got %v, want %v", err, ErrNotFound)
	}
	if err := db.Delete(missing); err != nil {
		t.Fatalf("Delete missing: %v", err)
	}
	var dbErr Error
	if _, err := db.Get(key); !errors.As(err, &dbErr) || dbErr.Err != ErrNotFound {
		t.Fatalf("Get deleted: got %#v, want an Error of kind %v", err,
			ErrNotFound)
	}
}

// TestBatch ensures a batch applies all its operations in order and that
// Len and Reset behave.
func TestBatch(t *testing.T) {
	db := openTestDB(t, nil)
	if err := db.Put(Key(BucketUTXO, []byte("old")), []byte("x")); err != nil {
		t.Fatal(err)
	}

	b := db.NewBatch()
	if b.Len() != 0 {
		t.Fatalf("new batch Len: got %d, want 0", b.Len())
	}
	if err := db.Write(b); err != nil {
		t.Fatalf("Write empty batch: %v", err)
	}
	if err := db.Write(nil); err != nil {
		t.Fatalf("Write nil batch: %v", err)
	}
	key := []byte("a")
	b.Put(Key(BucketUTXO, key), []byte("1"))
	key[0] = 'z' // the batch must have copied it
	b.Put(Key(BucketUTXO, []byte("b")), []byte("1"))
	b.Put(Key(BucketUTXO, []byte("b")), []byte("2")) // later op wins
	b.Delete(Key(BucketUTXO, []byte("old")))
	b.Put(Key(BucketUTXO, []byte("c")), []byte("3"))
	b.Delete(Key(BucketUTXO, []byte("c"))) // deleted in the same batch
	if b.Len() != 6 {
		t.Fatalf("Len: got %d, want 6", b.Len())
	}
	if err := db.Write(b); err != nil {
		t.Fatalf("Write: %v", err)
	}

	want := map[string]string{"a": "1", "b": "2"}
	for k, v := range want {
		got, err := db.Get(Key(BucketUTXO, []byte(k)))
		if err != nil || string(got) != v {
			t.Errorf("Get %s: got %q, %v, want %q", k, got, err, v)
		}
	}
	for _, k := range []string{"old", "c", "z"} {
		if ok, _ := db.Has(Key(BucketUTXO, []byte(k))); ok {
			t.Errorf("Has %s: got true, want false", k)
		}
	}

	b.Reset()
	if b.Len() != 0 {
		t.Fatalf("Len after Reset: got %d, want 0", b.Len())
	}
	b.Put(Key(BucketUTXO, []byte("d")), []byte("4"))
	if err := db.Write(b); err != nil {
		t.Fatalf("Write reused batch: %v", err)
	}
	if got, _ := db.Get(Key(BucketUTXO, []byte("d"))); string(got) != "4" {
		t.Fatalf("Get d: got %q, want %q", got, "4")
	}

	// The zero Batch is usable too.
	var zero Batch
	zero.Put(Key(BucketUTXO, []byte("e")), []byte("5"))
	if err := db.Write(&zero); err != nil {
		t.Fatalf("Write zero batch: %v", err)
	}
}

// collect returns the keys and values an iterator yields, as strings, and
// releases it.
func collect(t *testing.T, it *Iterator) []string {
	t.Helper()
	defer it.Release()
	var got []string
	for it.Next() {
		got = append(got, fmt.Sprintf("%x=%s", it.Key(), it.Value()))
	}
	if err := it.Err(); err != nil {
		t.Fatalf("iterator: %v", err)
	}
	return got
}

// TestIterators ensures prefix and range iterators yield the right keys in
// ascending order.
func TestIterators(t *testing.T) {
	db := openTestDB(t, &Options{NoSync: true})
	b := db.NewBatch()
	for _, bucket := range []Bucket{BucketBlocks, BucketUTXO, BucketHeights} {
		for _, s := range []string{"c", "a", "b", "ab"} {
			b.Put(Key(bucket, []byte(s)), []byte(s))
		}
	}
	b.Put([]byte{byte(BucketUTXO) + 1}, []byte("next bucket"))
	if err := db.Write(b); err != nil {
		t.Fatal(err)
	}
	// The schema version lives in BucketMeta and shows up in full scans.
	schema := fmt.Sprintf("%x=%s", schemaVersionKey,
		encodeSchemaVersion(SchemaVersion))

	k := func(bucket Bucket, s string) string {
		return fmt.Sprintf("%x=%s", Key(bucket, []byte(s)), s)
	}
	tests := []struct {
		name string
		it   *Iterator
		want []string
	}{{
		name: "utxo bucket",
		it:   db.NewIterator([]byte{byte(BucketUTXO)}),
		want: []string{k(BucketUTXO, "a"), k(BucketUTXO, "ab"),
			k(BucketUTXO, "b"), k(BucketUTXO, "c")},
	}, {
		name: "longer prefix",
		it:   db.NewIterator(Key(BucketBlocks, []byte("a"))),
		want: []string{k(BucketBlocks, "a"), k(BucketBlocks, "ab")},
	}, {
		name: "empty bucket",
		it:   db.NewIterator([]byte{byte(BucketTips)}),
		want: nil,
	}, {
		name: "range within bucket",
		it: db.NewRangeIterator(Key(BucketHeights, []byte("ab")),
			Key(BucketHeights, []byte("c"))),
		want: []string{k(BucketHeights, "ab"), k(BucketHeights, "b")},
	}, {
		name: "range across buckets",
		it: db.NewRangeIterator(Key(BucketBlocks, []byte("c")),
			Key(BucketUTXO, []byte("ab"))),
		want: []string{k(BucketBlocks, "c"), k(BucketUTXO, "a")},
	}, {
		name: "range open start",
		it:   db.NewRangeIterator(nil, Key(BucketBlocks, []byte("ab"))),
		want: []string{schema, k(BucketBlocks, "a")},
	}, {
		name: "range open limit",
		it:   db.NewRangeIterator(Key(BucketHeights, []byte("b")), nil),
		want: []string{k(BucketHeights, "b"), k(BucketHeights, "c")},
	}, {
		name: "empty range",
		it: db.NewRangeIterator(Key(BucketUTXO, []byte("b")),
			Key(BucketUTXO, []byte("b"))),
		want: nil,
	}}
	for _, test := range tests {
		got := collect(t, test.it)
		if strings.Join(got, " ") != strings.Join(test.want, " ") {
			t.Errorf("%s: got %v, want %v", test.name, got, test.want)
		}
	}

	all := collect(t, db.NewIterator(nil))
	if len(all) != 14 || all[0] != schema {
		t.Errorf("whole store: got %d records starting %v, want 14 "+
			"starting with the schema version", len(all), all)
	}
}

// TestIteratorCopies ensures keys and values from an iterator stay valid
// after the iterator moves on and is released.
func TestIteratorCopies(t *testing.T) {
	db := openTestDB(t, &Options{NoSync: true})
	for i := 0; i < 100; i++ {
		k := Key(BucketOrder, []byte{byte(i)})
		if err := db.Put(k, bytes.Repeat([]byte{byte(i)}, 10)); err != nil {
			t.Fatal(err)
		}
	}
	it := db.NewIterator([]byte{byte(BucketOrder)})
	var keys, values [][]byte
	for it.Next() {
		keys = append(keys, it.Key())
		values = append(values, it.Value())
	}
	it.Release()
	it.Release() // idempotent
	if it.Next() || it.Key() != nil || it.Value() != nil || it.Err() != nil {
		t.Fatal("released iterator still yields")
	}
	if len(keys) != 100 {
		t.Fatalf("got %d keys, want 100", len(keys))
	}
	for i := range keys {
		wantKey := Key(BucketOrder, []byte{byte(i)})
		wantValue := bytes.Repeat([]byte{byte(i)}, 10)
		if !bytes.Equal(keys[i], wantKey) || !bytes.Equal(values[i], wantValue) {
			t.Fatalf("record %d: got %x=%x, want %x=%x", i, keys[i],
				values[i], wantKey, wantValue)
		}
	}
}

// TestIteratorSnapshot ensures an iterator does not see writes made after
// it was created.
func TestIteratorSnapshot(t *testing.T) {
	db := openTestDB(t, &Options{NoSync: true})
	if err := db.Put(Key(BucketTips, []byte("a")), nil); err != nil {
		t.Fatal(err)
	}
	it := db.NewIterator([]byte{byte(BucketTips)})
	if err := db.Put(Key(BucketTips, []byte("b")), nil); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, it); len(got) != 1 {
		t.Fatalf("got %v, want only the key written before", got)
	}
}

// TestReopen ensures records survive Close and Open, in both sync modes.
func TestReopen(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "db")
		db, err := Open(path, &Options{NoSync: noSync})
		if err != nil {
			t.Fatalf("NoSync %v: Open: %v", noSync, err)
		}
		if db.Path() != path {
			t.Errorf("NoSync %v: Path: got %q, want %q", noSync, db.Path(), path)
		}
		b := db.NewBatch()
		for i := 0; i < 1000; i++ {
			b.Put(Key(BucketBlockIndex, []byte(fmt.Sprint(i))), []byte(fmt.Sprint(i*i)))
		}
		if err := db.Write(b); err != nil {
			t.Fatalf("NoSync %v: Write: %v", noSync, err)
		}
		if err := db.Delete(Key(BucketBlockIndex, []byte("7"))); err != nil {
			t.Fatal(err)
		}
		if err := db.Sync(); err != nil {
			t.Fatalf("NoSync %v: Sync: %v", noSync, err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("NoSync %v: Close: %v", noSync, err)
		}

		db, err = Open(path, nil)
		if err != nil {
			t.Fatalf("NoSync %v: reopen: %v", noSync, err)
		}
		for i := 0; i < 1000; i++ {
			got, err := db.Get(Key(BucketBlockIndex, []byte(fmt.Sprint(i))))
			if i == 7 {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("NoSync %v: deleted key: got %v", noSync, err)
				}
				continue
			}
			if err != nil || string(got) != fmt.Sprint(i*i) {
				t.Fatalf("NoSync %v: key %d: got %q, %v", noSync, i, got, err)
			}
		}
		db.Close()
	}
}

// TestClosedUse ensures every operation after Close fails with ErrClosed and
// none panics, including on iterators open at Close.
func TestClosedUse(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	key := Key(BucketVirtual, []byte("k"))
	if err := db.Put(key, []byte("v")); err != nil {
		t.Fatal(err)
	}
	open := db.NewIterator(nil)
	if !open.Next() {
		t.Fatal("iterator before Close is empty")
	}
	b := db.NewBatch()
	b.Put(key, []byte("w"))

	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	_, getErr := db.Get(key)
	_, hasErr := db.Has(key)
	tests := []struct {
		name string
		err  error
	}{
		{"Get", getErr},
		{"Has", hasErr},
		{"Put", db.Put(key, nil)},
		{"Delete", db.Delete(key)},
		{"Write", db.Write(b)},
		{"Write empty", db.Write(nil)},
		{"Sync", db.Sync()},
		{"iterator open at Close", open.Err()},
		{"new iterator", db.NewIterator(nil).Err()},
		{"new range iterator", db.NewRangeIterator(nil, nil).Err()},
	}
	for _, test := range tests {
		if !errors.Is(test.err, ErrClosed) {
			t.Errorf("%s: got %v, want %v", test.name, test.err, ErrClosed)
		}
	}
	if open.Next() || open.Key() != nil || open.Value() != nil {
		t.Error("iterator open at Close still yields")
	}
	open.Release()
	it := db.NewIterator(nil)
	if it.Next() {
		t.Error("iterator made after Close yields")
	}
	it.Release()
}

// TestInUseInProcess ensures a second Open of a held directory fails with
// ErrInUse and the operator's message, and succeeds once the first closes.
func TestInUseInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []*Options{nil, {ReadOnly: true}} {
		_, err = Open(path, opts)
		if !errors.Is(err, ErrInUse) {
			t.Fatalf("second Open %+v: got %v, want %v", opts, err, ErrInUse)
		}
		want := fmt.Sprintf("data directory %s is in use by another process", path)
		if err.Error() != want {
			t.Fatalf("second Open: got %q, want %q", err, want)
		}
	}
	db.Close()
	db, err = Open(path, nil)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	db.Close()
}

// TestReadOnly ensures a read-only DB reads, refuses writes, and can share
// its directory with other read-only DBs.
func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	if _, err := Open(path, &Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only Open of a missing store succeeded")
	}
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := Key(BucketMeta, []byte("x"))
	if err := db.Put(key, []byte("y")); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ro1, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open: %v", err)
	}
	defer ro1.Close()
	ro2, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("second read-only Open: %v", err)
	}
	defer ro2.Close()
	if got, err := ro2.Get(key); err != nil || string(got) != "y" {
		t.Fatalf("Get: got %q, %v", got, err)
	}
	b := ro1.NewBatch()
	b.Put(key, nil)
	if err := ro1.Write(b); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Write: got %v, want %v", err, ErrReadOnly)
	}
	if err := ro1.Put(key, nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put: got %v, want %v", err, ErrReadOnly)
	}
	if err := ro1.Delete(key); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Delete: got %v, want %v", err, ErrReadOnly)
	}
	if err := ro1.Sync(); err != nil {
		t.Errorf("Sync: %v", err)
	}
	if _, err := Open(path, nil); !errors.Is(err, ErrInUse) {
		t.Errorf("writable Open beside read-only: got %v, want %v", err, ErrInUse)
	}
}

// TestOptions ensures out-of-range options are refused with a message naming
// the range.
func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"defaults", Options{}, true},
		{"small", Options{CacheSizeMB: 1, WriteBufferMB: 1}, true},
		{"max write buffer", Options{WriteBufferMB: MaxWriteBufferMB}, true},
		{"negative cache", Options{CacheSizeMB: -1}, false},
		{"huge cache", Options{CacheSizeMB: MaxCacheSizeMB + 1}, false},
		{"negative buffer", Options{WriteBufferMB: -1}, false},
		{"huge buffer", Options{WriteBufferMB: MaxWriteBufferMB + 1}, false},
	}
	for _, test := range tests {
		_, err := checkOptions(&test.opts)
		if test.ok != (err == nil) {
			t.Errorf("%s: got %v, want ok %v", test.name, err, test.ok)
			continue
		}
		if err != nil && (!errors.Is(err, ErrInvalidOptions) ||
			!strings.Contains(err.Error(), "must be 0")) {
			t.Errorf("%s: got %v, want %v naming the range", test.name,
				err, ErrInvalidOptions)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "db"),
		&Options{CacheSizeMB: -5}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Open: got %v, want %v", err, ErrInvalidOptions)
	}
}
