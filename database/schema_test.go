package database

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestSchemaNew ensures a new store records SchemaVersion durably.
func TestSchemaNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	value, err := db.Get(schemaVersionKey)
	if err != nil {
		t.Fatalf("Get schema version: %v", err)
	}
	version, err := decodeSchemaVersion(value)
	if err != nil || version != SchemaVersion {
		t.Fatalf("schema version: got %d, %v, want %d", version, err,
			SchemaVersion)
	}
}

// TestSchemaMismatch ensures Open refuses stores with another schema
// version, a damaged version record, or records but no version, with
// messages that say what to do.
func TestSchemaMismatch(t *testing.T) {
	tests := []struct {
		name  string
		value []byte // schema record to store; nil deletes it
		kind  ErrorKind
		words []string
	}{{
		name:  "newer",
		value: encodeSchemaVersion(SchemaVersion + 1),
		kind:  ErrSchemaVersion,
		words: []string{fmt.Sprintf("schema version %d", SchemaVersion+1),
			fmt.Sprintf("version %d", SchemaVersion), "newer soterd", "resync from peers"},
	}, {
		name:  "older",
		value: encodeSchemaVersion(SchemaVersion - 1),
		kind:  ErrSchemaVersion,
		words: []string{fmt.Sprintf("schema version %d", SchemaVersion-1),
			fmt.Sprintf("version %d", SchemaVersion), "cannot upgrade", "resync from peers"},
	}, {
		name:  "short record",
		value: []byte{1, 0},
		kind:  ErrCorrupt,
		words: []string{"2 bytes", "resync from peers"},
	}, {
		name:  "long record",
		value: []byte{1, 0, 0, 0, 0},
		kind:  ErrCorrupt,
		words: []string{"5 bytes", "resync from peers"},
	}, {
		name:  "missing record",
		value: nil,
		kind:  ErrCorrupt,
		words: []string{"no schema version", "resync from peers"},
	}}
	for _, test := range tests {
		path := filepath.Join(t.TempDir(), "db")
		db, err := Open(path, nil)
		if err != nil {
			t.Fatalf("%s: Open: %v", test.name, err)
		}
		b := db.NewBatch()
		b.Put(Key(BucketBlocks, []byte("some block")), []byte("data"))
		if test.value == nil {
			b.Delete(schemaVersionKey)
		} else {
			b.Put(schemaVersionKey, test.value)
		}
		if err := db.Write(b); err != nil {
			t.Fatalf("%s: Write: %v", test.name, err)
		}
		db.Close()

		for _, opts := range []*Options{nil, {ReadOnly: true}} {
			db, err = Open(path, opts)
			if err == nil {
				db.Close()
				t.Errorf("%s: Open %+v succeeded", test.name, opts)
				continue
			}
			if !errors.Is(err, test.kind) {
				t.Errorf("%s: got %v, want %v", test.name, err, test.kind)
			}
			for _, w := range append(test.words, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: message %q lacks %q", test.name, err, w)
				}
			}
		}
	}
}

// TestSchemaEmptyReadOnly ensures an empty store without a version, which
// only a crash between creating the store and writing the version leaves,
// opens read-only and gets its version on the next writable Open.
func TestSchemaEmptyReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(schemaVersionKey); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(path, &Options{ReadOnly: true}); err != nil {
		t.Fatalf("read-only Open of empty store: %v", err)
	}
	db.Close()
	if db, err = Open(path, nil); err != nil {
		t.Fatalf("Open of empty store: %v", err)
	}
	defer db.Close()
	if ok, _ := db.Has(schemaVersionKey); !ok {
		t.Fatal("schema version not written to empty store")
	}
}
