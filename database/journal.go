package database

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	lerrors "github.com/btcsuite/goleveldb/leveldb/errors"
	"github.com/btcsuite/goleveldb/leveldb/storage"
	"github.com/btcsuite/goleveldb/leveldb/util"
)

// LevelDB's journal is a sequence of 32 KiB blocks. Each block holds chunks
// of a 7-byte header (CRC-32C of type and payload, little-endian uint16
// payload length, type) and the payload; a record (one write batch) is one
// full chunk or a first, middles and a last chunk. A block tail shorter
// than a header is zero padding.
const (
	journalBlockSize  = 32 * 1024
	journalHeaderSize = 7

	chunkFull   = 1
	chunkFirst  = 2
	chunkMiddle = 3
	chunkLast   = 4
)

// tornTail is the result of scanning a journal whose replay failed.
type tornTail struct {
	// goodEnd is the offset just past the last complete, intact record.
	goodEnd int64

	// torn reports whether nothing intact follows the first damaged
	// chunk: the damage is the tail of a write that the process or the
	// machine did not finish (a full disk, a power loss), not damage to
	// records that were complete.
	torn bool
}

// scanJournal finds where the intact records of a journal end and whether
// everything past that point is a torn tail. It reads only data, so it
// never panics on any input.
func scanJournal(data []byte) tornTail {
	var (
		pos      int
		goodEnd  int
		inRecord bool
	)
	for pos < len(data) {
		left := journalBlockSize - pos%journalBlockSize
		if left < journalHeaderSize {
			pos += left
			continue
		}
		length, typ, ok := checkChunk(data, pos)
		if !ok {
			return tornTail{goodEnd: int64(goodEnd), torn: !intactAfter(data, pos)}
		}
		next := pos + journalHeaderSize + length
		switch typ {
		case chunkFull:
			inRecord = false
			goodEnd = next
		case chunkFirst:
			inRecord = true
		case chunkMiddle, chunkLast:
			if !inRecord {
				return tornTail{goodEnd: int64(goodEnd), torn: !intactAfter(data, pos)}
			}
			if typ == chunkLast {
				inRecord = false
				goodEnd = next
			}
		}
		pos = next
	}
	// A record whose last chunk never made it to the disk is torn.
	return tornTail{goodEnd: int64(goodEnd), torn: inRecord}
}

// checkChunk reports the payload length and type of the chunk at pos when
// its header is complete, its type known, its payload inside the block and
// the file, and its checksum right.
func checkChunk(data []byte, pos int) (length int, typ byte, ok bool) {
	if pos+journalHeaderSize > len(data) {
		return 0, 0, false
	}
	sum := binary.LittleEndian.Uint32(data[pos:])
	length = int(binary.LittleEndian.Uint16(data[pos+4:]))
	typ = data[pos+6]
	end := pos + journalHeaderSize + length
	blockEnd := pos - pos%journalBlockSize + journalBlockSize
	if typ < chunkFull || typ > chunkLast || end > blockEnd || end > len(data) {
		return 0, 0, false
	}
	if util.NewCRC(data[pos+6:end]).Value() != sum {
		return 0, 0, false
	}
	return length, typ, true
}

// intactAfter reports whether any intact chunk follows the damaged chunk at
// bad. Chunks after a damaged header cannot be found inside its block, but
// every block starts with a chunk; a damaged payload under a readable header
// still says where the next chunk of its block starts.
func intactAfter(data []byte, bad int) bool {
	if bad+journalHeaderSize <= len(data) {
		length := int(binary.LittleEndian.Uint16(data[bad+4:]))
		typ := data[bad+6]
		blockEnd := bad - bad%journalBlockSize + journalBlockSize
		next := bad + journalHeaderSize + length
		if typ >= chunkFull && typ <= chunkLast &&
			next+journalHeaderSize <= min(blockEnd, len(data)) {
			if _, _, ok := checkChunk(data, next); ok {
				return true
			}
		}
	}
	for block := bad - bad%journalBlockSize + journalBlockSize; block < len(data); block += journalBlockSize {
		if _, _, ok := checkChunk(data, block); ok {
			return true
		}
	}
	return false
}

// maxJournalScan bounds the journal read into memory to look for a torn
// tail. LevelDB starts a new journal when the write buffer fills, so a
// journal is about MaxWriteBufferMB at most; a larger file is not one this
// package wrote and is left to LevelDB's verdict.
const maxJournalScan = 2 * MaxWriteBufferMB * mib

// cutTornJournal handles a journal that LevelDB refused to replay. When the
// journal is the newest one and its damage is a torn tail (see scanJournal),
// it cuts the tail off, which undoes only writes that never completed, and
// reports true so that Open tries again. Damage anywhere else is left for
// Open to report.
func cutTornJournal(path string, err error) (bool, error) {
	cerr, ok := err.(*lerrors.ErrCorrupted)
	if !ok || cerr.Fd.Type != storage.TypeJournal {
		return false, nil
	}
	// Older journals were flushed when LevelDB closed them (syncStorage),
	// so only the newest can hold a write cut short.
	newest, err := newestJournal(path)
	if err != nil || newest != cerr.Fd.Num {
		return false, err
	}
	name := filepath.Join(path, fmt.Sprintf("%06d.log", cerr.Fd.Num))
	fi, err := os.Stat(name)
	if err != nil || fi.Size() > maxJournalScan {
		return false, err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return false, err
	}
	tail := scanJournal(data)
	if !tail.torn {
		return false, nil
	}
	log.Warnf("The journal %s ends with a write that did not complete (a full "+
		"disk or a power loss); dropping its last %d bytes", name,
		int64(len(data))-tail.goodEnd)
	if err := os.Truncate(name, tail.goodEnd); err != nil {
		return false, err
	}
	return true, nil
}

// newestJournal returns the number of the newest journal file in path.
func newestJournal(path string) (int64, error) {
	names, err := filepath.Glob(filepath.Join(path, "*.log"))
	if err != nil {
		return 0, err
	}
	newest := int64(-1)
	for _, name := range names {
		var num int64
		if _, err := fmt.Sscanf(filepath.Base(name), "%d.log", &num); err == nil && num > newest {
			newest = num
		}
	}
	return newest, nil
}
