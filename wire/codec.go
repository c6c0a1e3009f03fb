package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Variable-length integers use the Bitcoin encoding: values below 0xfd take
// one byte; 0xfd, 0xfe and 0xff prefix a little-endian uint16, uint32 and
// uint64. Only the shortest encoding of a value is accepted, so every value
// has exactly one byte representation and hashes cannot be malleated.

// VarIntSerializeSize returns the number of bytes the varint encoding of v
// takes.
func VarIntSerializeSize(v uint64) int {
	switch {
	case v < 0xfd:
		return 1
	case v <= math.MaxUint16:
		return 3
	case v <= math.MaxUint32:
		return 5
	default:
		return 9
	}
}

// AppendVarInt appends the canonical varint encoding of v to dst.
func AppendVarInt(dst []byte, v uint64) []byte {
	switch {
	case v < 0xfd:
		return append(dst, byte(v))
	case v <= math.MaxUint16:
		dst = append(dst, 0xfd)
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	case v <= math.MaxUint32:
		dst = append(dst, 0xfe)
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	default:
		dst = append(dst, 0xff)
		return binary.LittleEndian.AppendUint64(dst, v)
	}
}

// reader decodes fields from an in-memory payload. The first failure is kept
// in err and every later read is a no-op returning zero values, so decoders
// can read a whole structure and check the error once where that reads
// better. Nothing in it can panic: every read checks the remaining length.
type reader struct {
	buf []byte
	off int
	err error
	// what names the structure being decoded, for error messages.
	what string
}

func newReader(b []byte, what string) *reader {
	return &reader{buf: b, what: what}
}

// remaining returns the number of unread bytes.
func (r *reader) remaining() int {
	return len(r.buf) - r.off
}

func (r *reader) fail(kind ErrorKind, format string, args ...interface{}) {
	if r.err == nil {
		r.err = messageError(kind, r.what+": "+fmt.Sprintf(format, args...))
	}
}

// take returns the next n bytes, or nil after recording ErrMalformed if fewer
// remain.
func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.remaining() < n {
		r.fail(ErrMalformed, "%s: need %d bytes, have %d", field, n, r.remaining())
		return nil
	}
	b := r.buf[r.off : r.off+n]
	r.off += n
	return b
}

func (r *reader) uint8(field string) uint8 {
	b := r.take(1, field)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) uint16(field string) uint16 {
	b := r.take(2, field)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *reader) uint32(field string) uint32 {
	b := r.take(4, field)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *reader) uint64(field string) uint64 {
	b := r.take(8, field)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *reader) hash(field string) (h Hash) {
	b := r.take(HashSize, field)
	if b != nil {
		copy(h[:], b)
	}
	return h
}

// varInt reads a canonical varint.
func (r *reader) varInt(field string) uint64 {
	prefix := r.uint8(field)
	if r.err != nil {
		return 0
	}
	var v, min uint64
	switch prefix {
	case 0xfd:
		v, min = uint64(r.uint16(field)), 0xfd
	case 0xfe:
		v, min = uint64(r.uint32(field)), math.MaxUint16+1
	case 0xff:
		v, min = r.uint64(field), math.MaxUint32+1
	default:
		return uint64(prefix)
	}
	if r.err == nil && v < min {
		r.fail(ErrNonCanonical, "%s: varint %d is not in its shortest form", field, v)
		return 0
	}
	return v
}

// count reads a varint element count and checks it against max and against
// the bytes that remain, given that each element takes at least minSize
// bytes. Checking both before any allocation means a hostile count can never
// make the decoder allocate more than the payload it was given justifies.
func (r *reader) count(field string, max uint64, minSize int) int {
	n := r.varInt(field)
	if r.err != nil {
		return 0
	}
	if n > max {
		r.fail(ErrTooMany, "%s: count %d exceeds maximum %d", field, n, max)
		return 0
	}
	if minSize > 0 && n > uint64(r.remaining()/minSize) {
		r.fail(ErrMalformed, "%s: count %d needs at least %d bytes, have %d",
			field, n, n*uint64(minSize), r.remaining())
		return 0
	}
	return int(n)
}

// varBytes reads a varint length and that many bytes, bounded by max. The
// result is a copy, so the caller may keep it after the payload is reused.
func (r *reader) varBytes(field string, max uint64) []byte {
	n := r.count(field, max, 1)
	if r.err != nil {
		return nil
	}
	b := r.take(n, field)
	if b == nil {
		return nil
	}
	out := make([]byte, n)
	copy(out, b)
	return out
}

// varString reads a varint-prefixed string bounded by max bytes.
func (r *reader) varString(field string, max uint64) string {
	n := r.count(field, max, 1)
	if r.err != nil {
		return ""
	}
	return string(r.take(n, field))
}

// finish returns the first error, or ErrTrailingBytes if input is left over.
func (r *reader) finish() error {
	if r.err == nil && r.remaining() != 0 {
		r.fail(ErrTrailingBytes, "%d unexpected bytes after the end", r.remaining())
	}
	return r.err
}

// ReadVarInt decodes one canonical varint from the start of b and returns it
// with the number of bytes it took.
func ReadVarInt(b []byte) (uint64, int, error) {
	r := newReader(b, "varint")
	v := r.varInt("value")
	return v, r.off, r.err
}

func appendVarBytes(dst, b []byte) []byte {
	dst = AppendVarInt(dst, uint64(len(b)))
	return append(dst, b...)
}
