package database

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestBatchVisibility ensures readers never see part of a batch: a writer
// moves a fixed total between accounts with one batch per move, and readers
// scanning the accounts with iterators must always find the same total and
// every account of a batch written together.
func TestBatchVisibility(t *testing.T) {
	db := openTestDB(t, &Options{NoSync: true, WriteBufferMB: 1})
	const (
		accounts = 16
		total    = accounts * 1000
		moves    = 2000
		readers  = 2
	)
	account := func(i int) []byte { return Key(BucketVirtual, []byte{byte(i)}) }
	amount := func(v uint64) []byte {
		b := make([]byte, 8, 256)
		binary.BigEndian.PutUint64(b, v)
		// Padding makes the memtable fill and rotate during the test.
		return append(b, bytes.Repeat([]byte{0xaa}, 248)...)
	}

	b := db.NewBatch()
	balances := make([]uint64, accounts)
	for i := range balances {
		balances[i] = total / accounts
		b.Put(account(i), amount(balances[i]))
	}
	if err := db.Write(b); err != nil {
		t.Fatal(err)
	}

	done := make(chan struct{})
	errs := make(chan error, readers)
	var wg sync.WaitGroup
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				it := db.NewIterator([]byte{byte(BucketVirtual)})
				var sum uint64
				n := 0
				for it.Next() {
					sum += binary.BigEndian.Uint64(it.Value())
					n++
				}
				err := it.Err()
				it.Release()
				if err == nil && (sum != total || n != accounts) {
					err = fmt.Errorf("saw %d accounts summing to %d, want "+
						"%d summing to %d", n, sum, accounts, total)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}

	for m := 0; m < moves; m++ {
		from, to := m%accounts, (m*7+3)%accounts
		if from == to || balances[from] == 0 {
			continue
		}
		v := uint64(m%5 + 1)
		v = min(v, balances[from])
		balances[from] -= v
		balances[to] += v
		b.Reset()
		b.Put(account(from), amount(balances[from]))
		b.Put(account(to), amount(balances[to]))
		if err := db.Write(b); err != nil {
			t.Fatalf("move %d: %v", m, err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLargeBatch ensures a batch larger than the write buffer, which LevelDB
// writes straight to tables instead of the journal, is applied whole and
// survives a reopen.
func TestLargeBatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, &Options{WriteBufferMB: 1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // 3000 records of 1 KiB: three times the write buffer
	value := bytes.Repeat([]byte{7}, 1024)
	b := db.NewBatch()
	for i := 0; i < n; i++ {
		b.Put(Key(BucketBlocks, []byte(fmt.Sprintf("%05d", i))), value)
	}
	if err := db.Write(b); err != nil {
		t.Fatalf("Write: %v", err)
	}
	check := func(when string) {
		it := db.NewIterator([]byte{byte(BucketBlocks)})
		defer it.Release()
		got := 0
		for it.Next() {
			if !bytes.Equal(it.Value(), value) {
				t.Fatalf("%s: record %x has the wrong value", when, it.Key())
			}
			got++
		}
		if got != n || it.Err() != nil {
			t.Fatalf("%s: got %d records, %v, want %d", when, got, it.Err(), n)
		}
	}
	check("after Write")
	db.Close()
	if db, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check("after reopen")
}

// TestJournalSwitchSync ensures Sync keeps working as LevelDB switches
// journals, and that the journal it flushes is the newest one.
func TestJournalSwitchSync(t *testing.T) {
	db := openTestDB(t, &Options{NoSync: true, WriteBufferMB: 1})
	value := make([]byte, 4096)
	var first *journalWriter
	for i := 0; i < 1000; i++ {
		if err := db.Put(Key(BucketBlocks, []byte(fmt.Sprint(i))), value); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			db.stor.mu.Lock()
			first = db.stor.journal
			db.stor.mu.Unlock()
		}
		if i%100 == 0 {
			if err := db.Sync(); err != nil {
				t.Fatalf("Sync after %d puts: %v", i, err)
			}
		}
	}
	db.stor.mu.Lock()
	last := db.stor.journal
	db.stor.mu.Unlock()
	if first == nil || last == nil || first == last {
		t.Fatalf("journal did not switch: first %p, last %p", first, last)
	}
}

// TestConcurrentClose closes a DB while goroutines read, write and iterate,
// and ensures every operation either succeeds or fails with ErrClosed: no
// panic, no other error, no race.
func TestConcurrentClose(t *testing.T) {
	for round := 0; round < 5; round++ {
		db, err := Open(filepath.Join(t.TempDir(), "db"), &Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			db.Put(Key(BucketOrder, []byte{byte(i)}), []byte{byte(i)})
		}

		var wg sync.WaitGroup
		errs := make(chan error, 4)
		ok := func(err error) bool { return err == nil || errors.Is(err, ErrClosed) }
		work := []func() error{
			func() error {
				_, err := db.Get(Key(BucketOrder, []byte{1}))
				return err
			},
			func() error { return db.Put(Key(BucketOrder, []byte{1}), nil) },
			func() error {
				b := db.NewBatch()
				b.Put(Key(BucketOrder, []byte{2}), nil)
				return db.Write(b)
			},
			func() error {
				it := db.NewIterator(nil)
				defer it.Release()
				for it.Next() {
					it.Key()
					it.Value()
				}
				return it.Err()
			},
		}
		for _, f := range work {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					err := f()
					if !ok(err) {
						errs <- err
						return
					}
					if errors.Is(err, ErrClosed) {
						return
					}
				}
			}()
		}
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: got %v, want nil or %v", round, err, ErrClosed)
		}
	}
}
