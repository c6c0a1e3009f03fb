package database

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/btcsuite/goleveldb/leveldb"
)

// TestWriteAsyncVisible checks that what WriteAsync queued is seen at once
// by Get, Has and iterators, that later batches win over earlier ones,
// deletes included, and that Close writes the queue out.
func TestWriteAsyncVisible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) []byte { return Key(BucketBlocks, []byte(fmt.Sprintf("k%05d", i))) }
	const n = 2000
	for i := 0; i < n; i++ {
		b := db.NewBatch()
		b.Put(key(i), []byte(fmt.Sprint(i)))
		if i > 0 {
			// Rewrite the previous key, and delete every tenth.
			b.Put(key(i-1), []byte(fmt.Sprint("re", i-1)))
			if (i-1)%10 == 0 {
				b.Delete(key(i - 1))
			}
		}
		if err := db.WriteAsync(b); err != nil {
			t.Fatal(err)
		}
		// The batch is copied: resetting it changes nothing queued.
		b.Reset()
		v, err := db.Get(key(i))
		if err != nil || string(v) != fmt.Sprint(i) {
			t.Fatalf("Get of key %d right after WriteAsync: %q, %v", i, v, err)
		}
		if i > 0 {
			ok, err := db.Has(key(i - 1))
			if err != nil || ok != ((i-1)%10 != 0) {
				t.Fatalf("Has of key %d: %v, %v", i-1, ok, err)
			}
		}
	}
	check := func(db *DB, when string) {
		t.Helper()
		it := db.NewIterator([]byte{byte(BucketBlocks)})
		defer it.Release()
		count := 0
		for it.Next() {
			count++
			if bytes.HasSuffix(it.Key(), []byte(fmt.Sprintf("k%05d", n-1))) {
				if string(it.Value()) != fmt.Sprint(n-1) {
					t.Errorf("%s: last key holds %q", when, it.Value())
				}
				continue
			}
			if !bytes.HasPrefix(it.Value(), []byte("re")) {
				t.Errorf("%s: key %q holds %q, want the rewrite", when, it.Key(), it.Value())
			}
		}
		if want := n - (n-1+9)/10; count != want {
			t.Errorf("%s: %d keys, want %d", when, count, want)
		}
	}
	check(db, "before close")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check(db, "after reopening")
}

// TestWriteAsyncOrder races asynchronous and waiting writers of one key
// and checks that the store ends with the last write each made, in the
// order the calls returned.
func TestWriteAsyncOrder(t *testing.T) {
	db := openTestDB(t, &Options{NoSync: true})
	k := []byte{byte(BucketMeta), 'x'}
	var mu sync.Mutex // orders the calls, as the DAG's writer lock does
	var last string
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				v := fmt.Sprintf("%d-%d", w, i)
				mu.Lock()
				var err error
				if w%2 == 0 {
					b := db.NewBatch()
					b.Put(k, []byte(v))
					err = db.WriteAsync(b)
				} else {
					err = db.Put(k, []byte(v))
				}
				if err == nil {
					last = v
				}
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if v, err := db.ldb.Get(k, nil); err != nil || string(v) != last {
		t.Fatalf("LevelDB holds %q, %v; the last write was %q", v, err, last)
	}
}

// TestWriteAsyncFailure fills a tmpfs with asynchronous writes: the first
// failed one fails the store, later ones are refused with its error, and
// Flush reports it.
func TestWriteAsyncFailure(t *testing.T) {
	mnt := smallTmpfs(t)
	db, err := Open(filepath.Join(mnt, "db"), &Options{WriteBufferMB: 1, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	value := make([]byte, 1000)
	var werr error
	for i := 0; i < 100000 && werr == nil; i++ {
		b := db.NewBatch()
		b.Put(journalKey(i), value)
		werr = db.WriteAsync(b)
	}
	if werr == nil {
		t.Fatal("100,000 asynchronous writes of 1 kB fit a 3 MiB tmpfs")
	}
	select {
	case <-db.Failed():
	default:
		t.Fatalf("WriteAsync refused with %v but the store did not fail", werr)
	}
	if !errors.Is(werr, ErrIO) || !strings.Contains(werr.Error(), "free space") {
		t.Errorf("WriteAsync: got %v, want %v naming the free space", werr, ErrIO)
	}
	if err := db.Flush(); !errors.Is(err, ErrIO) {
		t.Errorf("Flush: got %v, want %v", err, ErrIO)
	}
	if err := db.Put([]byte{1}, []byte{2}); !errors.Is(err, ErrIO) {
		t.Errorf("Put after the failure: got %v, want %v", err, ErrIO)
	}
}

// TestWriteAsyncReadOnly checks that a read-only store refuses
// asynchronous writes as it refuses the others.
func TestWriteAsyncReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	b := ro.NewBatch()
	b.Put([]byte{1}, []byte{2})
	if err := ro.WriteAsync(b); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("WriteAsync on a read-only store: %v, want %v", err, ErrReadOnly)
	}
	if err := ro.Flush(); err != nil {
		t.Fatalf("Flush on a read-only store: %v", err)
	}
}

// TestMergeBatches checks that a group of queued batches merges into each
// key's last operation, in key order: later puts win, a delete after a put
// deletes, a put after a delete puts.
func TestMergeBatches(t *testing.T) {
	db := openTestDB(t, &Options{NoSync: true})
	k := func(s string) []byte { return Key(BucketBlocks, []byte(s)) }
	mk := func(ops ...string) *queuedBatch {
		t.Helper()
		b := db.NewBatch()
		for _, o := range ops {
			if key, ok := strings.CutPrefix(o, "-"); ok {
				b.Delete(k(key))
			} else {
				key, val, _ := strings.Cut(o, "=")
				b.Put(k(key), []byte(val))
			}
		}
		data := append([]byte(nil), b.b.Dump()...)
		qb := &queuedBatch{vals: map[string][]byte{}, dels: map[string]struct{}{}}
		if err := qb.b.Load(data); err != nil {
			t.Fatal(err)
		}
		if err := qb.b.Replay(replayInto{qb}); err != nil {
			t.Fatal(err)
		}
		return qb
	}
	group := []*queuedBatch{
		mk("d=1", "a=1", "c=1", "e=1"),
		mk("a=2", "-c", "b=2", "-e"),
		mk("-a", "c=3", "e=3", "-f"),
	}
	var merged leveldb.Batch
	mergeBatches(&merged, group)
	var got []string
	rec := recorder{put: func(key, v []byte) { got = append(got, string(key[1:])+"="+string(v)) },
		del: func(key []byte) { got = append(got, "-"+string(key[1:])) }}
	if err := merged.Replay(rec); err != nil {
		t.Fatal(err)
	}
	want := "-a b=2 c=3 d=1 e=3 -f"
	if strings.Join(got, " ") != want {
		t.Fatalf("merged: %q, want %q", strings.Join(got, " "), want)
	}
}

// recorder replays a LevelDB batch into two functions.
type recorder struct {
	put func(k, v []byte)
	del func(k []byte)
}

func (r recorder) Put(k, v []byte) { r.put(k, v) }
func (r recorder) Delete(k []byte) { r.del(k) }
