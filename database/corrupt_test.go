package database

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeTableStore creates a store in path whose records are in LevelDB table
// files, not only in the journal, and returns the number of records.
func makeTableStore(t *testing.T, path string) int {
	t.Helper()
	const n = 3000
	db, err := Open(path, &Options{NoSync: true, WriteBufferMB: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Batches of 100 records of 500 bytes fill the 1 MiB write buffer
	// about once a table.
	value := make([]byte, 500)
	b := db.NewBatch()
	for i := 0; i < n; i++ {
		b.Put(Key(BucketBlocks, []byte(fmt.Sprint(i))), value)
		if b.Len() == 100 {
			if err := db.Write(b); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
	}
	db.Close()
	// Opening again replays the journal into a table.
	db, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return n
}

// storeFiles returns the names in path that match one of the patterns.
func storeFiles(t *testing.T, path, pattern string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(path, pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no %s files in %s", pattern, path)
	}
	return names
}

// overwrite writes garbage into the file name at offset.
func overwrite(t *testing.T, name string, offset int64, garbage []byte) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(garbage, offset); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptOpen damages a store in the ways LevelDB notices at Open and
// ensures Open fails with ErrCorrupt and a message saying what is wrong and
// what to do.
func TestCorruptOpen(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		words  []string // besides the advice
	}{{
		name: "corrupt manifest",
		damage: func(t *testing.T, path string) {
			for _, m := range storeFiles(t, path, "MANIFEST-*") {
				overwrite(t, m, 10, []byte("this is not a manifest record"))
			}
		},
		words: []string{"manifest"},
	}, {
		name: "missing table",
		damage: func(t *testing.T, path string) {
			tables := storeFiles(t, path, "*.ldb")
			if err := os.Remove(tables[0]); err != nil {
				t.Fatal(err)
			}
		},
		words: []string{"files are missing", ".ldb"},
	}, {
		name: "missing CURRENT",
		damage: func(t *testing.T, path string) {
			for _, c := range storeFiles(t, path, "CURRENT*") {
				if err := os.Remove(c); err != nil {
					t.Fatal(err)
				}
			}
		},
		words: []string{"CURRENT file"},
	}, {
		name: "missing manifest",
		damage: func(t *testing.T, path string) {
			for _, m := range storeFiles(t, path, "MANIFEST-*") {
				if err := os.Remove(m); err != nil {
					t.Fatal(err)
				}
			}
		},
		words: []string{"manifest"},
	}, {
		name: "garbage CURRENT",
		damage: func(t *testing.T, path string) {
			for _, c := range storeFiles(t, path, "CURRENT*") {
				if err := os.WriteFile(c, []byte("junk"), 0644); err != nil {
					t.Fatal(err)
				}
			}
		},
		words: []string{"CURRENT"},
	}}
	for _, test := range tests {
		path := filepath.Join(t.TempDir(), "db")
		makeTableStore(t, path)
		test.damage(t, path)

		if !refusedAsDamaged(t, test.name, path, test.words) {
			continue
		}
		// The failed Open must not hold the directory.
		if _, err := Open(path, nil); errors.Is(err, ErrInUse) {
			t.Errorf("%s: failed Open left the directory locked", test.name)
		}
	}
}

// TestCorruptTable damages the data blocks of a table, which LevelDB only
// notices when it reads them, and ensures reads report ErrCorrupt.
func TestCorruptTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	n := makeTableStore(t, path)
	// Damage the middle of each table, away from the first block, where
	// the schema version record that Open reads sits.
	for _, table := range storeFiles(t, path, "*.ldb") {
		fi, err := os.Stat(table)
		if err != nil {
			t.Fatal(err)
		}
		overwrite(t, table, fi.Size()/2, make([]byte, 2000))
	}

	db, err := Open(path, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	var getErr error
	for i := 0; i < n && getErr == nil; i++ {
		_, getErr = db.Get(Key(BucketBlocks, []byte(fmt.Sprint(i))))
	}
	if !errors.Is(getErr, ErrCorrupt) ||
		!strings.Contains(getErr.Error(), "resync from peers") {
		t.Errorf("Get: got %v, want %v with advice", getErr, ErrCorrupt)
	}

	it := db.NewIterator([]byte{byte(BucketBlocks)})
	for it.Next() {
	}
	if err := it.Err(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("iterator: got %v, want %v", err, ErrCorrupt)
	}
	it.Release()
	if err := it.Err(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("iterator after Release: got %v, want %v", err, ErrCorrupt)
	}
}

// TestOpenNotDirectory ensures a path that is a file fails with ErrIO.
func TestOpenNotDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte("x"), 0600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, nil); !errors.Is(err, ErrIO) {
		t.Fatalf("got %v, want %v", err, ErrIO)
	}
	if _, err := Open(filepath.Join(path, "db"), nil); !errors.Is(err, ErrIO) {
		t.Fatalf("below a file: got %v, want %v", err, ErrIO)
	}
}

// TestOpenCreatesPrivateDir ensures Open creates missing directories with
// mode 0700.
func TestOpenCreatesPrivateDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0077 != 0 {
		t.Fatalf("mode: got %v, want no group or other access", perm)
	}
}

// refusedAsDamaged opens the store at path and checks that it is refused
// with ErrCorrupt, a message holding words and the advice to remove it and
// resync; it reports whether the store was refused at all.
func refusedAsDamaged(t *testing.T, name, path string, words []string) bool {
	t.Helper()
	db, err := Open(path, nil)
	if err == nil {
		db.Close()
		t.Errorf("%s: Open succeeded", name)
		return false
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("%s: got %v, want %v", name, err, ErrCorrupt)
		return false
	}
	advice := fmt.Sprintf("remove %s and restart to resync from peers", path)
	for _, w := range append(words, advice) {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: message %q lacks %q", name, err, w)
		}
	}
	return true
}
