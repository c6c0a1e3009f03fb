package database

import (
	"encoding/binary"
	"fmt"
)

// SchemaVersion is the version of the store's layout (buckets and the
// encodings of their records) that this software writes and reads. A change
// that an older or newer node would misread bumps it.
//
// Version 2 keeps the block index's reachability data, the height index,
// children, tips and the virtual's selected chain in the store, where
// version 1 rebuilt them in memory at every start; a version 1 store is
// refused with the advice to resync from peers (no public network has
// version 1 data worth an upgrade path), and a version 1 node refuses a
// version 2 store rather than letting the new records fall out of step.
const SchemaVersion uint32 = 2

// The schema version record in BucketMeta:
//
//	key:   BucketMeta | "schemaversion"
//
//	Field    Type    Size  Description
//	version  uint32  4     little-endian schema version
//
// It is written when a store is created and checked by every Open.
const schemaVersionSize = 4

// schemaVersionKey is the key of the schema version record.
var schemaVersionKey = Key(BucketMeta, []byte("schemaversion"))

// encodeSchemaVersion returns the record value for version.
func encodeSchemaVersion(version uint32) []byte {
	var b [schemaVersionSize]byte
	binary.LittleEndian.PutUint32(b[:], version)
	return b[:]
}

// decodeSchemaVersion parses a schema version record value.
func decodeSchemaVersion(b []byte) (uint32, error) {
	if len(b) != schemaVersionSize {
		str := fmt.Sprintf("schema version record is %d bytes, want %d",
			len(b), schemaVersionSize)
		return 0, dbError(ErrCorrupt, str)
	}
	return binary.LittleEndian.Uint32(b), nil
}

// checkSchema writes SchemaVersion into a new, empty store and otherwise
// checks that the store has that version.
func (db *DB) checkSchema() error {
	value, err := db.ldb.Get(schemaVersionKey, nil)
	if err == nil {
		return db.checkSchemaValue(value)
	}
	if kindErr := db.convertErr("read schema version", err); !isKind(kindErr, ErrNotFound) {
		return kindErr
	}

	// No version: fine for a new store, damage for one with records.
	iter := db.ldb.NewIterator(nil, nil)
	hasRecords := iter.First()
	iterErr := iter.Error()
	iter.Release()
	if iterErr != nil {
		return db.convertErr("read schema version", iterErr)
	}
	if hasRecords {
		str := fmt.Sprintf("database in %s has records but no schema "+
			"version, so it is damaged or was not written by soterd: %s",
			db.path, corruptAdvice(db.path))
		return dbError(ErrCorrupt, str)
	}
	if db.readOnly {
		// Nothing to misread, and nothing may be written.
		return nil
	}
	// The version is synced whatever Options.NoSync says: a store must not
	// exist on disk without it.
	err = db.ldb.Put(schemaVersionKey, encodeSchemaVersion(SchemaVersion),
		syncWrite)
	if err != nil {
		return db.convertErr("write schema version", err)
	}
	log.Infof("Created database in %s with schema version %d", db.path,
		SchemaVersion)
	return nil
}

// checkSchemaValue checks a stored schema version record against
// SchemaVersion.
func (db *DB) checkSchemaValue(value []byte) error {
	version, err := decodeSchemaVersion(value)
	if err != nil {
		str := fmt.Sprintf("database in %s is damaged (%v): %s", db.path,
			err, corruptAdvice(db.path))
		return dbError(ErrCorrupt, str)
	}
	switch {
	case version == SchemaVersion:
		return nil
	case version > SchemaVersion:
		str := fmt.Sprintf("database in %s has schema version %d but this "+
			"soterd reads only version %d: run a newer soterd, or remove "+
			"%s and restart to resync from peers", db.path, version,
			SchemaVersion, db.path)
		return dbError(ErrSchemaVersion, str)
	default:
		str := fmt.Sprintf("database in %s has schema version %d but this "+
			"soterd reads only version %d and cannot upgrade it: remove "+
			"%s and restart to resync from peers, or run the older soterd "+
			"that wrote it", db.path, version, SchemaVersion, db.path)
		return dbError(ErrSchemaVersion, str)
	}
}
