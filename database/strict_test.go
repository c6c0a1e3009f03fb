package database

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// makeJournalStore creates a store in path whose n records, one batch each,
// are only in the journal (the write buffer never fills), and returns the
// journal's name.
func makeJournalStore(t *testing.T, path string, n int) string {
	t.Helper()
	db, err := Open(path, &Options{NoSync: true, WriteBufferMB: 8})
	if err != nil {
		t.Fatal(err)
	}
	value := make([]byte, 300)
	for i := 0; i < n; i++ {
		if err := db.Put(journalKey(i), value); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	journals := storeFiles(t, path, "*.log")
	return journals[len(journals)-1]
}

// journalKey is the key of record i of makeJournalStore.
func journalKey(i int) []byte {
	return Key(BucketBlocks, []byte(fmt.Sprintf("%08d", i)))
}

// prefixLen opens path and returns k such that records 0..k-1 of
// makeJournalStore are present and k..n-1 are not, failing the test when
// the records present are not such a prefix.
func prefixLen(t *testing.T, path string, n int) int {
	t.Helper()
	db, err := Open(path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	k := -1
	for i := 0; i < n; i++ {
		ok, err := db.Has(journalKey(i))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !ok && k < 0:
			k = i
		case ok && k >= 0:
			t.Fatalf("record %d is present after missing record %d", i, k)
		}
	}
	if k < 0 {
		k = n
	}
	return k
}

// TestTornJournal cuts or zero-fills the end of the journal, as a full disk,
// a crash in the middle of a write or a power loss leaves it, and ensures
// the store reopens with a prefix of the writes that includes every record
// wholly before the damage.
func TestTornJournal(t *testing.T) {
	const n = 2000
	tests := []struct {
		name string
		// damage returns the offset before which every record must
		// survive.
		damage func(t *testing.T, journal string, size int64) int64
	}{{
		name: "cut in a record",
		damage: func(t *testing.T, journal string, size int64) int64 {
			cut := size*2/3 + 5
			if err := os.Truncate(journal, cut); err != nil {
				t.Fatal(err)
			}
			return cut - 400
		},
	}, {
		name: "cut in a header",
		damage: func(t *testing.T, journal string, size int64) int64 {
			cut := size - 3
			if err := os.Truncate(journal, cut); err != nil {
				t.Fatal(err)
			}
			return cut - 400
		},
	}, {
		name: "zero-filled tail",
		damage: func(t *testing.T, journal string, size int64) int64 {
			start := size - 70000
			overwrite(t, journal, start, make([]byte, 70000))
			return start - 400
		},
	}, {
		name: "garbage in the last record",
		damage: func(t *testing.T, journal string, size int64) int64 {
			overwrite(t, journal, size-20, []byte("not a record"))
			return size - 400
		},
	}}
	for _, test := range tests {
		path := filepath.Join(t.TempDir(), "db")
		journal := makeJournalStore(t, path, n)
		fi, err := os.Stat(journal)
		if err != nil {
			t.Fatal(err)
		}
		safe := test.damage(t, journal, fi.Size())
		k := prefixLen(t, path, n)
		// Each record takes a little over 300 bytes of journal.
		if min := int(safe / 340); k < min || k == n {
			t.Errorf("%s: %d records survived, want %d to %d", test.name, k, min, n-1)
		}
		// The store is whole again: a second open changes nothing.
		if k2 := prefixLen(t, path, n); k2 != k {
			t.Errorf("%s: second reopen has %d records, first had %d", test.name, k2, k)
		}
	}
}

// TestStrictDamage damages records that were complete, in the journal and
// in the manifest, and ensures Open refuses the store with ErrCorrupt,
// naming the file and the remedy, where LevelDB without strict checks
// would drop the records and go on.
func TestStrictDamage(t *testing.T) {
	tests := []struct {
		name   string
		store  func(t *testing.T, path string) string // returns the file to damage
		offset func(size int64) int64
		words  []string
	}{{
		name:   "flipped byte in the middle of the journal",
		store:  func(t *testing.T, path string) string { return makeJournalStore(t, path, 2000) },
		offset: func(size int64) int64 { return size / 2 },
		words:  []string{"journal", ".log", "damaged"},
	}, {
		name:   "flipped byte in the first journal block",
		store:  func(t *testing.T, path string) string { return makeJournalStore(t, path, 2000) },
		offset: func(size int64) int64 { return 100 },
		words:  []string{"journal", "damaged"},
	}, {
		name: "flipped byte in the manifest",
		store: func(t *testing.T, path string) string {
			makeTableStore(t, path)
			return storeFiles(t, path, "MANIFEST-*")[0]
		},
		offset: func(size int64) int64 { return size / 2 },
		words:  []string{"manifest", "MANIFEST-", "damaged"},
	}}
	for _, test := range tests {
		path := filepath.Join(t.TempDir(), "db")
		name := test.store(t, path)
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		flipByte(t, name, test.offset(fi.Size()))

		if !refusedAsDamaged(t, test.name, path, test.words) {
			continue
		}
		// The refused store is left as it was: a second Open
		// refuses it again rather than finding a repaired store.
		if db, err := Open(path, nil); !errors.Is(err, ErrCorrupt) {
			if db != nil {
				db.Close()
			}
			t.Errorf("%s: second Open: got %v, want %v", test.name, err, ErrCorrupt)
		}
	}
}

// flipByte inverts the bits of the byte at offset in the file name.
func flipByte(t *testing.T, name string, offset int64) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, offset); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, offset); err != nil {
		t.Fatal(err)
	}
}

// TestBackgroundDamage damages a table that no read touches and ensures a
// compaction that meets it makes the store fail, through Failed and Err,
// before any write meets the error, and refuses later writes.
func TestBackgroundDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	makeTableStore(t, path)
	for _, table := range storeFiles(t, path, "*.ldb") {
		fi, err := os.Stat(table)
		if err != nil {
			t.Fatal(err)
		}
		flipByte(t, table, fi.Size()/2)
	}
	db, err := Open(path, &Options{NoSync: true, WriteBufferMB: 1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	select {
	case <-db.Failed():
		t.Fatalf("store failed before any compaction: %v", db.Err())
	default:
	}

	// New records fill level 0 until LevelDB compacts
	// it on its own, reading the damaged table. The records come a
	// write buffer at a time, with a pause after each for the flush and
	// any compaction it set off: goleveldb v1.0.0 reads its next file
	// number without the atomic load when a failed compaction drops its
	// output (session.reuseFileNum), so a memtable switch during that
	// compaction is a data race inside LevelDB that -race reports. The
	// node meets it only when a compaction fails, and then stops.
	value := make([]byte, 1000)
	b := db.NewBatch()
	deadline := time.Now().Add(30 * time.Second)
	failed := func() bool {
		select {
		case <-db.Failed():
			return true
		default:
			return false
		}
	}
	for i := 0; !failed(); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no failure after %d records", i*100)
		}
		b.Reset()
		for j := 0; j < 100; j++ {
			// Keys among the damaged table's, so that the
			// compaction must merge it rather than move it.
			b.Put(Key(BucketBlocks, []byte(fmt.Sprint((i*100+j)%3000, "/", i))), value)
		}
		db.Write(b) // fails once the store did; checked below
		if i%11 == 10 {
			for pause := time.Now().Add(300 * time.Millisecond); time.Now().Before(pause) && !failed(); {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	err = db.Err()
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "resync from peers") ||
		!strings.Contains(err.Error(), "background compaction") {
		t.Fatalf("Err: got %v, want %v from the background compaction, with advice", err, ErrCorrupt)
	}
	if err := db.Put(Key(BucketMeta, []byte("x")), nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Put after the failure: got %v, want %v", err, ErrCorrupt)
	}

	// The damage is recorded: the store is refused at the next Open,
	// although LevelDB would only find the table damaged when it reads
	// it again.
	db.Close()
	if _, err := os.Stat(filepath.Join(path, DamagedFilename)); err != nil {
		t.Fatalf("no damage record: %v", err)
	}
	reopened, err := Open(path, nil)
	if err == nil {
		reopened.Close()
		t.Fatal("a store found damaged reopened")
	}
	advice := fmt.Sprintf("remove %s and restart to resync from peers", path)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), advice) ||
		!strings.Contains(err.Error(), "earlier run") {
		t.Fatalf("reopen: got %v, want %v with advice", err, ErrCorrupt)
	}
}

// TestDiskFull fills a small tmpfs and ensures the first failed write makes
// the store fail with ErrIO and advice, refuses later writes, and that every
// write that returned is there when the store is reopened with space to
// spare. It mounts the tmpfs, so it needs root.
func TestDiskFull(t *testing.T) {
	mnt := smallTmpfs(t)

	path := filepath.Join(mnt, "db")
	db, err := Open(path, &Options{WriteBufferMB: 1, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	free, ok, err := FreeSpace(path)
	if err != nil || !ok || free == 0 || free > 3<<20 {
		t.Errorf("FreeSpace: got %d, %v, %v, want 1 to %d bytes", free, ok, err, 3<<20)
	}
	value := make([]byte, 1000)
	written := 0
	var werr error
	for ; written < 100000; written++ {
		if werr = db.Put(journalKey(written), value); werr != nil {
			break
		}
	}
	if werr == nil {
		t.Fatalf("wrote %d records to a 3 MiB tmpfs", written)
	}
	select {
	case <-db.Failed():
	default:
		t.Fatalf("Put failed with %v but the store did not fail", werr)
	}
	if !errors.Is(werr, ErrIO) || !strings.Contains(werr.Error(), "free space") ||
		!strings.Contains(werr.Error(), path) {
		t.Errorf("Put: got %v, want %v naming the path and free space", werr, ErrIO)
	}
	if err := db.Put(journalKey(written), value); !errors.Is(err, ErrIO) {
		t.Errorf("Put after the failure: got %v, want %v", err, ErrIO)
	}
	db.Close()

	// Reopening on the full disk is refused or works; either way it must
	// not lose what was written. Then move to a disk with space.
	moved := filepath.Join(t.TempDir(), "db")
	if out, err := exec.Command("cp", "-a", path, moved).CombinedOutput(); err != nil {
		t.Fatalf("copy the store: %v: %s", err, out)
	}
	if k := prefixLen(t, moved, written+1); k != written {
		t.Fatalf("reopened with %d records, want the %d written", k, written)
	}
}

// TestLogWatch feeds LevelDB log lines to the log watch and checks which
// make the store fail, and with what kind.
func TestLogWatch(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  error // nil: no failure
	}{
		{"quiet", []string{"table@compaction L0·4 -> L1·1 S·4MiB Q·10", "table@compaction committed F-1 S-1KiB Ke·0 D·0 T·10ms"}, nil},
		{"damaged table", []string{`table@build error I·0 "leveldb/table: corruption on data-block (pos=5): checksum mismatch [file=000003.ldb]"`}, ErrCorrupt},
		{"corruption exit", []string{`table@build error I·0 "something"`, "table@build exiting (corruption detected)"}, ErrCorrupt},
		{"one retry", []string{`memdb@flush error I·0 "write 000009.ldb: no space left on device"`, "memdb@flush retrying N·1"}, nil},
		{"failing on", []string{`memdb@flush error I·0 "write 000009.ldb: no space left on device"`, "memdb@flush retrying N·1",
			`memdb@flush error I·0 "write 000009.ldb: no space left on device"`, "memdb@flush retrying N·2"}, ErrIO},
	}
	for _, test := range tests {
		h := newHealth(t.TempDir(), true)
		w := &logWatch{path: h.path, health: h}
		for _, line := range test.lines {
			w.line(line)
		}
		h.mu.Lock()
		err := h.err
		h.mu.Unlock()
		switch {
		case test.want == nil && err != nil:
			t.Errorf("%s: got %v, want no failure", test.name, err)
		case test.want != nil && !errors.Is(err, test.want):
			t.Errorf("%s: got %v, want %v", test.name, err, test.want)
		case err != nil && !strings.Contains(err.Error(), h.path):
			t.Errorf("%s: message %q does not name the path", test.name, err)
		}
	}
}

// smallTmpfs mounts a 3 MiB tmpfs for a test that fills it, and unmounts it
// when the test ends; it skips the test in -short mode or without root.
func smallTmpfs(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("fills a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("needs root to mount a tmpfs (run as root, or in CI): %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	return mnt
}
