package main

import (
	"context"
	"fmt"
	"io"

	"github.com/soterdag/soterd/database"
)

// bucketNames names the store's key buckets for the dbsize report.
var bucketNames = map[database.Bucket]string{
	database.BucketMeta:       "meta",
	database.BucketBlocks:     "block bodies",
	database.BucketBlockIndex: "block index",
	database.BucketUTXO:       "utxo set",
	database.BucketUndo:       "past diffs",
	database.BucketVirtual:    "virtual and dag state",
	database.BucketOrder:      "selected chain",
	database.BucketHeights:    "heights index",
	database.BucketTxIndex:    "tx index",
	database.BucketUTXOIndex:  "utxo index",
	database.BucketPrune:      "prune index",
}

// bucketSize is what one bucket holds.
type bucketSize struct {
	keys, bytes int64
}

// cmdDBSize adds up the live keys and values of a stopped node's store by
// bucket and sets them beside the store's size on disk, the figure issue
// 12's disk target compares with: what a compacted store would hold.
func cmdDBSize(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dbsize", stderr)
	dir := fs.String("db", "", "the store's directory (a soterd home's data/<network>/db) of a node that is not running")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return usageError{"-db is required"}
	}
	db, err := database.Open(*dir, &database.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	sizes, err := storeSizes(ctx, db)
	if err != nil {
		return err
	}
	onDisk, err := dirBytes(*dir)
	if err != nil {
		return err
	}
	var total int64
	for b := range 256 {
		s, ok := sizes[database.Bucket(b)]
		if !ok {
			continue
		}
		name := bucketNames[database.Bucket(b)]
		if name == "" {
			name = "unknown"
		}
		fmt.Fprintf(stdout, "bucket %#02x %-22s keys=%d mib=%.1f\n", b, name, s.keys, float64(s.bytes)/bytesPerMiB)
		total += s.bytes
	}
	over := 0.0
	if total > 0 {
		over = 100 * (float64(onDisk)/float64(total) - 1)
	}
	fmt.Fprintf(stdout, "dbsize live_mib=%.1f disk_mib=%.1f over_pct=%.1f\n",
		float64(total)/bytesPerMiB, float64(onDisk)/bytesPerMiB, over)
	return nil
}

// storeSizes walks the whole store and adds up key and value bytes by
// bucket.
func storeSizes(ctx context.Context, db *database.DB) (map[database.Bucket]bucketSize, error) {
	it := db.NewIterator(nil)
	defer it.Release()
	sizes := make(map[database.Bucket]bucketSize)
	for n := 0; it.Next(); n++ {
		if n%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		k := it.Key()
		if len(k) == 0 {
			continue
		}
		s := sizes[database.Bucket(k[0])]
		s.keys++
		s.bytes += int64(len(k) + len(it.Value()))
		sizes[database.Bucket(k[0])] = s
	}
	return sizes, it.Err()
}
