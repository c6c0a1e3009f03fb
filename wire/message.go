package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Frame header layout:
//
//	field     type                                 size
//	magic     uint32 (SoterNet)                    4
//	command   ASCII, NUL-padded                    12
//	length    uint32, payload bytes                4
//	checksum  first 4 bytes of SHA-256d(payload)   4
const (
	// MessageHeaderSize is the size of a frame header.
	MessageHeaderSize = 4 + CommandSize + 4 + 4

	// CommandSize is the size of the command field.
	CommandSize = 12

	// MaxMessagePayload is the largest payload any frame may declare. A
	// larger length ends the connection before a byte of payload is read.
	MaxMessagePayload = 8 * 1024 * 1024
)

// The commands of the protocol.
const (
	CmdVersion   = "version"
	CmdVerAck    = "verack"
	CmdPing      = "ping"
	CmdPong      = "pong"
	CmdGetAddr   = "getaddr"
	CmdAddr      = "addr"
	CmdInv       = "inv"
	CmdGetData   = "getdata"
	CmdNotFound  = "notfound"
	CmdGetBlocks = "getblocks"
	CmdBlock     = "block"
	CmdTx        = "tx"
	CmdMemPool   = "mempool"
	CmdReject    = "reject"
)

// Message is one protocol message: it knows its command, its largest
// payload, and how to encode itself to and decode itself from a payload.
type Message interface {
	// Command returns the frame command, at most CommandSize bytes.
	Command() string

	// MaxPayloadLength returns the largest payload this message can have.
	MaxPayloadLength(pver uint32) uint32

	// Encode appends the payload to dst. It fails if the message breaks a
	// bound the decoder enforces, so we never send what we would reject.
	Encode(dst []byte, pver uint32) ([]byte, error)

	// Decode reads the message from a complete payload; bytes left over are
	// an error.
	Decode(payload []byte, pver uint32) error
}

// makeEmptyMessage returns a zero message for a command, or nil if the
// command is unknown.
func makeEmptyMessage(command string) Message {
	switch command {
	case CmdVersion:
		return &MsgVersion{}
	case CmdVerAck:
		return &MsgVerAck{}
	case CmdPing:
		return &MsgPing{}
	case CmdPong:
		return &MsgPong{}
	case CmdGetAddr:
		return &MsgGetAddr{}
	case CmdAddr:
		return &MsgAddr{}
	case CmdInv:
		return &MsgInv{}
	case CmdGetData:
		return &MsgGetData{}
	case CmdNotFound:
		return &MsgNotFound{}
	case CmdGetBlocks:
		return &MsgGetBlocks{}
	case CmdBlock:
		return &MsgBlock{}
	case CmdTx:
		return &MsgTx{}
	case CmdMemPool:
		return &MsgMemPool{}
	case CmdReject:
		return &MsgReject{}
	case CmdGetHeaders:
		return &MsgGetHeaders{}
	case CmdHeaders:
		return &MsgHeaders{}
	}
	return nil
}

// MessageHeader is a decoded frame header.
type MessageHeader struct {
	Magic    SoterNet
	Command  string
	Length   uint32
	Checksum [4]byte
}

// DecodeMessageHeader decodes a frame header. It checks the command field's
// shape but not the magic or the length; ReadMessage does that.
func DecodeMessageHeader(b []byte) (*MessageHeader, error) {
	if len(b) != MessageHeaderSize {
		return nil, messageError(ErrMalformed, fmt.Sprintf(
			"message header: %d bytes, want %d", len(b), MessageHeaderSize))
	}
	hdr := &MessageHeader{
		Magic:  SoterNet(binary.LittleEndian.Uint32(b[0:4])),
		Length: binary.LittleEndian.Uint32(b[16:20]),
	}
	copy(hdr.Checksum[:], b[20:24])
	cmd := b[4:16]
	end := CommandSize
	for i, c := range cmd {
		if c == 0 {
			end = i
			break
		}
	}
	for i, c := range cmd {
		if i < end && (c < 0x21 || c > 0x7e) {
			return nil, messageError(ErrBadCommand, "message header: command has a non-printable byte")
		}
		if i >= end && c != 0 {
			return nil, messageError(ErrBadCommand, "message header: command is not NUL-padded")
		}
	}
	if end == 0 {
		return nil, messageError(ErrBadCommand, "message header: empty command")
	}
	hdr.Command = string(cmd[:end])
	return hdr, nil
}

// EncodeMessage returns the complete frame for msg.
func EncodeMessage(msg Message, pver uint32, net SoterNet) ([]byte, error) {
	cmd := msg.Command()
	if len(cmd) > CommandSize {
		return nil, messageError(ErrBadCommand, fmt.Sprintf(
			"command %q is longer than %d bytes", cmd, CommandSize))
	}
	// Blocks and transactions know their size: allocate the frame once.
	size := MessageHeaderSize + 256
	if s, ok := msg.(interface{ SerializeSize() int }); ok {
		size = MessageHeaderSize + s.SerializeSize()
	}
	buf := make([]byte, MessageHeaderSize, size)
	buf, err := msg.Encode(buf, pver)
	if err != nil {
		return nil, err
	}
	payload := buf[MessageHeaderSize:]
	if len(payload) > MaxMessagePayload || uint32(len(payload)) > msg.MaxPayloadLength(pver) {
		return nil, messageError(ErrPayloadTooLarge, fmt.Sprintf(
			"%s payload of %d bytes is over its limit of %d", cmd, len(payload),
			msg.MaxPayloadLength(pver)))
	}
	binary.LittleEndian.PutUint32(buf[0:4], uint32(net))
	copy(buf[4:16], cmd)
	binary.LittleEndian.PutUint32(buf[16:20], uint32(len(payload)))
	sum := Checksum(payload)
	copy(buf[20:24], sum[:])
	return buf, nil
}

// WriteMessage writes msg as one frame and returns the bytes written.
func WriteMessage(w io.Writer, msg Message, pver uint32, net SoterNet) (int, error) {
	frame, err := EncodeMessage(msg, pver, net)
	if err != nil {
		return 0, err
	}
	return w.Write(frame)
}

// ReadMessage reads one frame from r and decodes its message. It returns the
// bytes read, the message and its raw payload.
//
// The header is checked before any payload is read or allocated: a wrong
// magic (ErrBadMagic) or a length over MaxMessagePayload or over the
// command's own limit (ErrPayloadTooLarge) fails at once. An unknown command
// (ErrUnknownCommand) has its payload read and discarded first, so the caller
// may choose to keep the connection. A checksum mismatch is ErrBadChecksum.
func ReadMessage(r io.Reader, pver uint32, net SoterNet) (int, Message, []byte, error) {
	return ReadMessageMax(r, pver, net, nil)
}

// ReadMessageMax is ReadMessage with the caller's own payload limit per
// command on top of the command's: limit (nil for none) returns the most
// payload bytes the caller accepts for a command, 0 for no further limit.
// A longer frame fails with ErrPayloadTooLarge before its payload is read,
// so a node whose consensus allows smaller blocks than the wire never
// buffers a larger one.
func ReadMessageMax(r io.Reader, pver uint32, net SoterNet,
	limit func(command string) uint32) (int, Message, []byte, error) {

	var hdrBuf [MessageHeaderSize]byte
	n, err := io.ReadFull(r, hdrBuf[:])
	if err != nil {
		return n, nil, nil, err
	}
	hdr, err := DecodeMessageHeader(hdrBuf[:])
	if err != nil {
		return n, nil, nil, err
	}
	if hdr.Magic != net {
		return n, nil, nil, messageError(ErrBadMagic, fmt.Sprintf(
			"frame magic 0x%08x is not %s (0x%08x)", uint32(hdr.Magic), net, uint32(net)))
	}
	if hdr.Length > MaxMessagePayload {
		return n, nil, nil, messageError(ErrPayloadTooLarge, fmt.Sprintf(
			"frame declares %d payload bytes, over the limit of %d", hdr.Length, MaxMessagePayload))
	}
	msg := makeEmptyMessage(hdr.Command)
	if msg == nil {
		// Skip the payload so the stream stays aligned on frames.
		discarded, err := io.CopyN(io.Discard, r, int64(hdr.Length))
		n += int(discarded)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return n, nil, nil, err
		}
		return n, nil, nil, messageError(ErrUnknownCommand, fmt.Sprintf(
			"unknown command %q", hdr.Command))
	}
	max := msg.MaxPayloadLength(pver)
	if limit != nil {
		if l := limit(hdr.Command); l > 0 && l < max {
			max = l
		}
	}
	if hdr.Length > max {
		return n, nil, nil, messageError(ErrPayloadTooLarge, fmt.Sprintf(
			"%s frame declares %d payload bytes, over its limit of %d", hdr.Command, hdr.Length, max))
	}
	payload, m, err := readPayload(r, int(hdr.Length))
	n += m
	if err != nil {
		return n, nil, nil, err
	}
	if Checksum(payload) != hdr.Checksum {
		return n, nil, nil, messageError(ErrBadChecksum, fmt.Sprintf(
			"%s frame checksum mismatch", hdr.Command))
	}
	if err := msg.Decode(payload, pver); err != nil {
		return n, nil, nil, err
	}
	return n, msg, payload, nil
}

// payloadChunk is how much payload memory ReadMessage commits before the
// bytes arrive. Beyond it the buffer grows only as the peer actually sends
// data, so a header that declares a 4 MiB block and then stalls costs us
// 64 KiB, not 4 MiB, per connection.
const payloadChunk = 64 * 1024

// readPayload reads exactly n bytes from r, growing its buffer with the bytes
// received rather than trusting the declared length up front. It returns the
// payload and the number of bytes read. The frame header has already been
// read, so the stream ending anywhere in the payload is io.ErrUnexpectedEOF.
func readPayload(r io.Reader, n int) ([]byte, int, error) {
	if n <= payloadChunk {
		buf := make([]byte, n)
		m, err := io.ReadFull(r, buf)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf, m, err
	}
	buf := make([]byte, payloadChunk)
	read := 0
	for {
		m, err := io.ReadFull(r, buf[read:])
		read += m
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, read, err
		}
		if read == n {
			return buf, read, nil
		}
		// The peer has sent a full buffer: grow it fourfold, up to the
		// declared length. Memory held stays within four times the bytes
		// received, and a block needs few copies.
		next := min(4*len(buf), n)
		grown := make([]byte, next)
		copy(grown, buf[:read])
		buf = grown
	}
}
