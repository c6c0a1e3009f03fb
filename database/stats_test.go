package database

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// TestStats checks that LevelDB's statistics follow the writes, and that a
// closed store says so.
func TestStats(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "db"), &Options{WriteBufferMB: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 4 MiB through a 1 MiB write buffer: some tables reach the disk.
	value := make([]byte, 4096)
	for i := 0; i < 1024; i++ {
		if err := db.Put([]byte(fmt.Sprintf("key%06d", i)), value); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Sync(); err != nil {
		t.Fatal(err)
	}
	s, err := db.Stats()
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	if s.IOWrite == 0 || s.Tables == 0 || s.SizeBytes == 0 {
		t.Errorf("after 4 MiB of writes got %+v, want bytes written and tables", s)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Stats(); !errors.Is(err, ErrClosed) {
		t.Errorf("closed store: got %v, want ErrClosed", err)
	}
}
