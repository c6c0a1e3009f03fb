package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/soterdag/soterd/database"
)

// TestDBSize checks that dbsize adds up keys and values by bucket and
// refuses to run without a store.
func TestDBSize(t *testing.T) {
	dir := t.TempDir()
	db, err := database.Open(dir, &database.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	for i := 0; i < 3; i++ {
		// 1 + 32 bytes of key and 100 of value each.
		key := append([]byte{byte(database.BucketBlocks)}, bytes.Repeat([]byte{byte(i)}, 32)...)
		b.Put(key, make([]byte, 100))
	}
	b.Put([]byte{byte(database.BucketUTXO), 1}, []byte{2})
	if err := db.Write(b); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"dbsize", "-db", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"bucket 0x02 block bodies           keys=3 mib=0.0",
		"bucket 0x05 utxo set               keys=1 mib=0.0",
		"dbsize live_mib=0.0 disk_mib=",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	sizes, err := func() (map[database.Bucket]bucketSize, error) {
		db, err := database.Open(dir, &database.Options{ReadOnly: true})
		if err != nil {
			return nil, err
		}
		defer db.Close()
		return storeSizes(context.Background(), db)
	}()
	if err != nil {
		t.Fatal(err)
	}
	if got := sizes[database.BucketBlocks]; got.keys != 3 || got.bytes != 3*133 {
		t.Errorf("bodies: %+v, want 3 keys and %d bytes", got, 3*133)
	}

	if code := run(context.Background(), []string{"dbsize"}, &out, &errOut); code != 2 {
		t.Errorf("without -db: exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"dbsize", "-db", t.TempDir() + "/none"}, &out, &errOut); code != 1 {
		t.Errorf("without a store: exit %d, want 1", code)
	}
}
