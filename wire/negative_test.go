package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// countingReader counts the bytes read through it, so tests can prove that a
// frame was refused before its payload was read.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// frameHeader builds a frame header from its fields for the negative tests;
// the fixtures test pins the layout itself.
func frameHeader(net SoterNet, cmd string, length uint32, sum [4]byte) []byte {
	b := make([]byte, MessageHeaderSize)
	binary.LittleEndian.PutUint32(b[0:4], uint32(net))
	copy(b[4:16], cmd)
	binary.LittleEndian.PutUint32(b[16:20], length)
	copy(b[20:24], sum[:])
	return b
}

// frame builds a complete frame with a correct checksum.
func frame(net SoterNet, cmd string, payload []byte) []byte {
	return append(frameHeader(net, cmd, uint32(len(payload)), Checksum(payload)), payload...)
}

// TestTruncated checks that every decoder fails, and never panics, on every
// strict prefix of every fixture.
func TestTruncated(t *testing.T) {
	for _, test := range msgFixtures() {
		full := unhex(t, test.payload)
		for n := 0; n < len(full); n++ {
			msg := emptyLike(test.msg)
			if err := msg.Decode(full[:n], ProtocolVersion); err == nil {
				t.Errorf("%s: prefix of %d/%d bytes decoded", test.name, n, len(full))
			}
		}
		frame := unhex(t, test.frameHex())
		for n := 0; n < len(frame); n++ {
			_, _, _, err := ReadMessage(bytes.NewReader(frame[:n]), ProtocolVersion, test.net)
			if err == nil {
				t.Errorf("%s: frame prefix of %d/%d bytes read", test.name, n, len(frame))
			}
			if n > 0 && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s: frame prefix of %d bytes got %v, want io.ErrUnexpectedEOF",
					test.name, n, err)
			}
		}
	}

	codecs := []struct {
		name string
		hex  string
		dec  func([]byte) error
	}{
		{name: "header", hex: headerHex, dec: func(b []byte) error { return new(BlockHeader).Deserialize(b) }},
		{name: "genesis header", hex: genesisHeaderHex, dec: func(b []byte) error { return new(BlockHeader).Deserialize(b) }},
		{name: "tx", hex: txHex, dec: func(b []byte) error { return new(MsgTx).Deserialize(b) }},
		{name: "coinbase", hex: coinbaseHex, dec: func(b []byte) error { return new(MsgTx).Deserialize(b) }},
		{name: "block", hex: blockHex, dec: func(b []byte) error { return new(MsgBlock).Deserialize(b) }},
		{name: "frame header", hex: "736f7472 70696e670000000000000000 08000000 00000000",
			dec: func(b []byte) error { _, err := DecodeMessageHeader(b); return err }},
		{name: "varint 9", hex: "ff0000000001000000", dec: func(b []byte) error { _, _, err := ReadVarInt(b); return err }},
	}
	for _, test := range codecs {
		full := unhex(t, test.hex)
		if err := test.dec(full); err != nil {
			t.Errorf("%s: full input fails: %v", test.name, err)
		}
		for n := 0; n < len(full); n++ {
			if err := test.dec(full[:n]); err == nil {
				t.Errorf("%s: prefix of %d/%d bytes decoded", test.name, n, len(full))
			}
		}
	}
	// A frame header longer than 24 bytes is refused too.
	if _, err := DecodeMessageHeader(make([]byte, MessageHeaderSize+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("25-byte frame header: got %v, want ErrMalformed", err)
	}
}

// TestTrailingBytes checks that a byte after a complete message is refused.
func TestTrailingBytes(t *testing.T) {
	for _, test := range msgFixtures() {
		b := append(unhex(t, test.payload), 0)
		if err := emptyLike(test.msg).Decode(b, ProtocolVersion); !errors.Is(err, ErrTrailingBytes) {
			t.Errorf("%s: got %v, want ErrTrailingBytes", test.name, err)
		}
	}
	codecs := []struct {
		name string
		hex  string
		dec  func([]byte) error
	}{
		{name: "header", hex: headerHex, dec: func(b []byte) error { return new(BlockHeader).Deserialize(b) }},
		{name: "tx", hex: txHex, dec: func(b []byte) error { return new(MsgTx).Deserialize(b) }},
		{name: "block", hex: blockHex, dec: func(b []byte) error { return new(MsgBlock).Deserialize(b) }},
	}
	for _, test := range codecs {
		b := append(unhex(t, test.hex), 0)
		if err := test.dec(b); !errors.Is(err, ErrTrailingBytes) {
			t.Errorf("%s: got %v, want ErrTrailingBytes", test.name, err)
		}
	}
}

// TestDecodeBounds checks that every count over its bound is ErrTooMany,
// decided from the count alone, before any allocation, even when the payload
// is far too short to hold what the count claims.
func TestDecodeBounds(t *testing.T) {
	// Everything of the version message up to the user agent.
	versionHead := "01000000 0100000000000000 0000006500000000 " + na4Hex + " " + na6Hex +
		" 0807060504030201"
	versionToTips := versionHead + " 00 " + rep("11", 32) + " e8030000"

	tests := []struct {
		name string
		msg  Message
		hex  string
		err  ErrorKind
	}{
		{name: "inv 50001 entries", msg: &MsgInv{}, hex: "fd51c3 01000000", err: ErrTooMany},
		{name: "getdata 50001 entries", msg: &MsgGetData{}, hex: "fd51c3", err: ErrTooMany},
		{name: "notfound 2^64-1 entries", msg: &MsgNotFound{}, hex: "ffffffffffffffffff", err: ErrTooMany},
		{name: "inv 50000 entries, 1 present", msg: &MsgInv{},
			hex: "fd50c3 01000000" + rep("00", 36), err: ErrMalformed},
		{name: "addr 1001 entries", msg: &MsgAddr{}, hex: "fde903", err: ErrTooMany},
		{name: "addr 1000 entries, none present", msg: &MsgAddr{}, hex: "fde803", err: ErrMalformed},
		{name: "version 65 tips", msg: &MsgVersion{}, hex: versionToTips + " 41", err: ErrTooMany},
		{name: "version 64 tips, none present", msg: &MsgVersion{}, hex: versionToTips + " 40", err: ErrMalformed},
		{name: "version user agent 257", msg: &MsgVersion{}, hex: versionHead + " fd0101", err: ErrTooMany},
		{name: "version user agent 2^32", msg: &MsgVersion{}, hex: versionHead + " ff0000000001000000", err: ErrTooMany},
		{name: "reject command 13", msg: &MsgReject{}, hex: "0d", err: ErrTooMany},
		{name: "reject reason 257", msg: &MsgReject{}, hex: "02 7478 10 fd0101", err: ErrTooMany},
		{name: "tx 2^32 inputs in 20 bytes", msg: &MsgTx{},
			hex: "0100 ff0000000001000000 000000000000000000", err: ErrTooMany},
		{name: "tx max+1 inputs", msg: &MsgTx{}, hex: "0100 fdd8a3", err: ErrTooMany},
		{name: "tx max+1 outputs", msg: &MsgTx{}, hex: "0100 00 fe9a990100", err: ErrTooMany},
		{name: "tx payload 1025", msg: &MsgTx{}, hex: "0100 00 00 0000000000000000 fd0104", err: ErrTooMany},
		{name: "tx 1 input, none present", msg: &MsgTx{}, hex: "0100 01", err: ErrMalformed},
		{name: "block 65 parents", msg: &MsgBlock{}, hex: "01000000 41", err: ErrTooMany},
		{name: "block 64 parents, none present", msg: &MsgBlock{}, hex: "01000000 40", err: ErrMalformed},
		{name: "block max+1 txs", msg: &MsgBlock{}, hex: blockHeaderHex + " fe4fec0400", err: ErrTooMany},
		{name: "block 2^32 txs", msg: &MsgBlock{}, hex: blockHeaderHex + " ff0000000001000000", err: ErrTooMany},
		{name: "block 1000 txs, none present", msg: &MsgBlock{}, hex: blockHeaderHex + " fde803", err: ErrMalformed},
		{name: "non-canonical count", msg: &MsgInv{}, hex: "fd0100 01000000" + rep("00", 36), err: ErrNonCanonical},
		{name: "non-canonical tx payload length", msg: &MsgTx{},
			hex: "0100 00 00 0000000000000000 fd0000", err: ErrNonCanonical},
	}
	for _, test := range tests {
		err := test.msg.Decode(unhex(t, test.hex), ProtocolVersion)
		if !errors.Is(err, test.err) {
			t.Errorf("%s: got %v, want %v", test.name, err, test.err)
		}
		var me MessageError
		if !errors.As(err, &me) || me.Description == "" {
			t.Errorf("%s: error %v is not a described MessageError", test.name, err)
		}
	}

	// The constants the hex above was written from.
	if MaxTxInPerTx+1 != 0xa3d8 || bigTxSize() <= MaxBlockPayload || MaxTxOutPerTx+1 != 0x1999a || MaxTxPerBlock+1 != 0x4ec4f {
		t.Errorf("bounds moved: inputs %d, outputs %d, txs %d", MaxTxInPerTx,
			MaxTxOutPerTx, MaxTxPerBlock)
	}

	// A block payload over MaxBlockPayload is refused by its length alone.
	if err := new(MsgBlock).Deserialize(make([]byte, MaxBlockPayload+1)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("oversized block: got %v, want ErrPayloadTooLarge", err)
	}
}

// TestUnknownInvType checks that an inventory type other than tx or block
// is refused by the decoders and the encoders.
func TestUnknownInvType(t *testing.T) {
	for _, typ := range []string{"00000000", "03000000", "ffffffff", "00000001"} {
		payload := unhex(t, "01 "+typ+" "+seqHashHex+" 00000000")
		for _, msg := range []Message{&MsgInv{}, &MsgGetData{}, &MsgNotFound{}} {
			if err := msg.Decode(payload, ProtocolVersion); !errors.Is(err, ErrInvalidValue) {
				t.Errorf("%s type %s: got %v, want ErrInvalidValue", msg.Command(), typ, err)
			}
		}
	}
	bad := []InvVect{{Type: InvTypeTx}, {Type: 7}}
	for _, msg := range []Message{&MsgInv{InvList: bad}, &MsgGetData{InvList: bad},
		&MsgNotFound{InvList: bad}} {
		if _, err := msg.Encode(nil, ProtocolVersion); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s encode: got %v, want ErrInvalidValue", msg.Command(), err)
		}
	}
}

// TestEncodeBounds checks that encoders refuse what the decoders would
// refuse, so we never send a message a peer must reject.
func TestEncodeBounds(t *testing.T) {
	hashes := func(n int) []Hash { return make([]Hash, n) }
	invs := func(n int) []InvVect {
		l := make([]InvVect, n)
		for i := range l {
			l[i].Type = InvTypeBlock
		}
		return l
	}
	one := fxTx()
	tests := []struct {
		name string
		msg  Message
		err  ErrorKind
	}{
		{name: "inv 50001", msg: &MsgInv{InvList: invs(MaxInvPerMsg + 1)}, err: ErrTooMany},
		{name: "getdata 50001", msg: &MsgGetData{InvList: invs(MaxInvPerMsg + 1)}, err: ErrTooMany},
		{name: "notfound 50001", msg: &MsgNotFound{InvList: invs(MaxInvPerMsg + 1)}, err: ErrTooMany},
		{name: "addr 1001", msg: &MsgAddr{AddrList: make([]NetAddress, MaxAddrPerMsg+1)}, err: ErrTooMany},
		{name: "version 65 tips", msg: &MsgVersion{Tips: hashes(MaxVersionTips + 1)}, err: ErrTooMany},
		{name: "version user agent 257", msg: &MsgVersion{UserAgent: strings.Repeat("a", MaxUserAgentLen+1)}, err: ErrTooMany},
		{name: "reject command 13", msg: &MsgReject{Cmd: "abcdefghijklm"}, err: ErrTooMany},
		{name: "reject reason 257", msg: &MsgReject{Reason: strings.Repeat("r", MaxRejectReasonLen+1)}, err: ErrTooMany},
		{name: "tx payload 1025", msg: &MsgTx{Payload: make([]byte, MaxTxPayloadSize+1)}, err: ErrTooMany},
		{name: "tx inputs max+1", msg: &MsgTx{TxIn: make([]TxIn, MaxTxInPerTx+1)}, err: ErrTooMany},
		{name: "tx outputs max+1", msg: &MsgTx{TxOut: make([]TxOut, MaxTxOutPerTx+1)}, err: ErrTooMany},
		{name: "block 65 parents", msg: &MsgBlock{Header: BlockHeader{Parents: hashes(MaxParentsPerHeader + 1)}}, err: ErrTooMany},
		{name: "block tx over bound", msg: &MsgBlock{Transactions: []*MsgTx{{Payload: make([]byte, MaxTxPayloadSize+1)}}}, err: ErrTooMany},
		{name: "block max+1 txs", msg: &MsgBlock{Transactions: func() []*MsgTx {
			l := make([]*MsgTx, MaxTxPerBlock+1)
			for i := range l {
				l[i] = one
			}
			return l
		}()}, err: ErrTooMany},
		{name: "block over MaxBlockPayload", msg: &MsgBlock{Transactions: func() []*MsgTx {
			// 43 txs of 100,000 bytes: over 4 MiB with every count in bounds.
			big := &MsgTx{TxOut: make([]TxOut, 2500)}
			l := make([]*MsgTx, 43)
			for i := range l {
				l[i] = big
			}
			return l
		}()}, err: ErrPayloadTooLarge},
	}
	for _, test := range tests {
		if _, err := test.msg.Encode(nil, ProtocolVersion); !errors.Is(err, test.err) {
			t.Errorf("%s: Encode got %v, want %v", test.name, err, test.err)
		}
		if _, err := EncodeMessage(test.msg, ProtocolVersion, MainNet); !errors.Is(err, test.err) {
			t.Errorf("%s: EncodeMessage got %v, want %v", test.name, err, test.err)
		}
		var w bytes.Buffer
		if n, err := WriteMessage(&w, test.msg, ProtocolVersion, MainNet); !errors.Is(err, test.err) ||
			n != 0 || w.Len() != 0 {
			t.Errorf("%s: WriteMessage wrote %d bytes, err %v", test.name, n, err)
		}
	}

	// A tx whose counts are in bounds but whose size is over the frame
	// limit of its command is refused by EncodeMessage.
	bigTx := &MsgTx{TxIn: make([]TxIn, 1), TxOut: make([]TxOut, MaxTxOutPerTx)}
	if _, err := EncodeMessage(bigTx, ProtocolVersion, MainNet); !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("tx over its frame limit: got %v, want ErrPayloadTooLarge", err)
	}
	// A command longer than the field cannot be framed.
	if _, err := EncodeMessage(longCmdMsg{}, ProtocolVersion, MainNet); !errors.Is(err, ErrBadCommand) {
		t.Errorf("long command: got %v, want ErrBadCommand", err)
	}
}

// longCmdMsg is a message whose command does not fit the frame.
type longCmdMsg struct{}

func (longCmdMsg) Command() string                             { return "thirteenbytes" }
func (longCmdMsg) MaxPayloadLength(uint32) uint32              { return 0 }
func (longCmdMsg) Encode(dst []byte, _ uint32) ([]byte, error) { return dst, nil }
func (longCmdMsg) Decode([]byte, uint32) error                 { return nil }

// TestReadMessageErrors checks every way ReadMessage refuses a frame, how
// many bytes it consumed doing so, and that refused unknown commands leave
// the stream aligned.
func TestReadMessageErrors(t *testing.T) {
	ping := unhex(t, "efcdab8967452301")
	good := frame(MainNet, CmdPing, ping)
	badSum := append([]byte(nil), good...)
	badSum[20] ^= 0xff
	badPayload := append([]byte(nil), good...)
	badPayload[len(badPayload)-1] ^= 0x01
	withCmd := func(cmd string) []byte {
		b := append([]byte(nil), good...)
		copy(b[4:16], make([]byte, 12))
		copy(b[4:16], cmd)
		return b
	}

	tests := []struct {
		name     string
		in       []byte
		err      error
		consumed int // bytes ReadMessage may read from the stream
	}{
		{name: "empty stream", in: nil, err: io.EOF, consumed: 0},
		{name: "bad magic", in: append(frameHeader(TestNet, CmdPing, 8, Checksum(ping)), ping...),
			err: ErrBadMagic, consumed: MessageHeaderSize},
		{name: "bitcoin magic", in: append(frameHeader(0xd9b4bef9, CmdPing, 8, Checksum(ping)), ping...),
			err: ErrBadMagic, consumed: MessageHeaderSize},
		{name: "bad checksum", in: badSum, err: ErrBadChecksum, consumed: len(good)},
		{name: "corrupt payload", in: badPayload, err: ErrBadChecksum, consumed: len(good)},
		{name: "length over MaxMessagePayload",
			in:  append(frameHeader(MainNet, CmdBlock, MaxMessagePayload+1, [4]byte{}), make([]byte, 64)...),
			err: ErrPayloadTooLarge, consumed: MessageHeaderSize},
		{name: "length 2^32-1", in: frameHeader(MainNet, CmdBlock, 0xffffffff, [4]byte{}),
			err: ErrPayloadTooLarge, consumed: MessageHeaderSize},
		{name: "unknown command over MaxMessagePayload",
			in:  frameHeader(MainNet, "bogus", MaxMessagePayload+1, [4]byte{}),
			err: ErrPayloadTooLarge, consumed: MessageHeaderSize},
		{name: "ping over its limit", in: frame(MainNet, CmdPing, make([]byte, 9)),
			err: ErrPayloadTooLarge, consumed: MessageHeaderSize},
		{name: "verack with payload", in: frame(MainNet, CmdVerAck, []byte{0}),
			err: ErrPayloadTooLarge, consumed: MessageHeaderSize},
		{name: "block over its limit", in: frameHeader(MainNet, CmdBlock, MaxBlockPayload+1, [4]byte{}),
			err: ErrPayloadTooLarge, consumed: MessageHeaderSize},
		{name: "inv over its limit", in: frameHeader(MainNet, CmdInv, maxInvListPayload+1, [4]byte{}),
			err: ErrPayloadTooLarge, consumed: MessageHeaderSize},
		{name: "not NUL-padded", in: withCmd("ping\x00x"), err: ErrBadCommand, consumed: MessageHeaderSize},
		{name: "NUL then trailing byte at end", in: withCmd("ping\x00\x00\x00\x00\x00\x00\x00\x01"),
			err: ErrBadCommand, consumed: MessageHeaderSize},
		{name: "control byte", in: withCmd("pi\x01g"), err: ErrBadCommand, consumed: MessageHeaderSize},
		{name: "space", in: withCmd("pi g"), err: ErrBadCommand, consumed: MessageHeaderSize},
		{name: "DEL", in: withCmd("ping\x7f"), err: ErrBadCommand, consumed: MessageHeaderSize},
		{name: "high bit", in: withCmd("p\xe9ng"), err: ErrBadCommand, consumed: MessageHeaderSize},
		{name: "empty command", in: withCmd(""), err: ErrBadCommand, consumed: MessageHeaderSize},
		{name: "upper case is another command", in: withCmd("PING"), err: ErrUnknownCommand,
			consumed: len(good)},
		{name: "payload does not decode", in: frame(MainNet, CmdInv, unhex(t, "01 07000000"+rep("00", 36))),
			err: ErrInvalidValue, consumed: MessageHeaderSize + 41},
		{name: "payload truncated by the stream", in: good[:len(good)-1], err: io.ErrUnexpectedEOF,
			consumed: len(good) - 1},
		{name: "header truncated by the stream", in: good[:10], err: io.ErrUnexpectedEOF, consumed: 10},
		{name: "unknown command, payload truncated", in: frame(MainNet, "bogus", []byte{1, 2, 3})[:MessageHeaderSize+2],
			err: io.ErrUnexpectedEOF, consumed: MessageHeaderSize + 2},
	}
	for _, test := range tests {
		cr := &countingReader{r: bytes.NewReader(test.in)}
		n, msg, payload, err := ReadMessage(cr, ProtocolVersion, MainNet)
		if !errors.Is(err, test.err) {
			t.Errorf("%s: got %v, want %v", test.name, err, test.err)
		}
		if msg != nil || payload != nil {
			t.Errorf("%s: got a message with an error", test.name)
		}
		if cr.n != test.consumed || n != test.consumed {
			t.Errorf("%s: read %d bytes (reported %d), want %d", test.name, cr.n, n, test.consumed)
		}
	}
}

// TestUnknownCommandAligned checks that after an unknown command the next
// frame on the stream reads fine.
func TestUnknownCommandAligned(t *testing.T) {
	var stream []byte
	stream = append(stream, frame(MainNet, "futurecmd", []byte("some payload we do not know"))...)
	stream = append(stream, frame(MainNet, "empty", nil)...)
	stream = append(stream, frame(MainNet, CmdPing, unhex(t, "0100000000000000"))...)
	r := bytes.NewReader(stream)

	for _, cmd := range []string{"futurecmd", "empty"} {
		_, msg, _, err := ReadMessage(r, ProtocolVersion, MainNet)
		if !errors.Is(err, ErrUnknownCommand) || msg != nil {
			t.Fatalf("%s: got %v, %v, want ErrUnknownCommand", cmd, msg, err)
		}
		if !strings.Contains(err.Error(), cmd) {
			t.Errorf("%s: error %q does not name the command", cmd, err)
		}
	}
	_, msg, _, err := ReadMessage(r, ProtocolVersion, MainNet)
	if err != nil {
		t.Fatalf("frame after unknown commands: %v", err)
	}
	if !reflect.DeepEqual(msg, &MsgPing{Nonce: 1}) {
		t.Errorf("frame after unknown commands: got %+v", msg)
	}
	if r.Len() != 0 {
		t.Errorf("%d bytes left on the stream", r.Len())
	}
}

// TestReadMessageLarge checks ReadMessage on a payload bigger than its
// initial buffer, through a reader that returns a few bytes at a time.
func TestReadMessageLarge(t *testing.T) {
	blk := &MsgBlock{Header: fxHeader()}
	for i := 0; i < 1500; i++ {
		tx := fxTx()
		tx.LockTime = uint64(i)
		blk.Transactions = append(blk.Transactions, tx)
	}
	raw, err := EncodeMessage(blk, ProtocolVersion, SimNet)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 4*payloadChunk {
		t.Fatalf("test block of %d bytes does not exercise buffer growth", len(raw))
	}
	for _, step := range []int{1 << 20, 4093, 7} {
		n, msg, payload, err := ReadMessage(&chunkReader{b: raw, step: step}, ProtocolVersion, SimNet)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if n != len(raw) || !bytes.Equal(payload, raw[MessageHeaderSize:]) {
			t.Errorf("step %d: read %d bytes, want %d", step, n, len(raw))
		}
		if !reflect.DeepEqual(msg, blk) {
			t.Errorf("step %d: block differs", step)
		}
		// Truncated anywhere in a large payload is io.ErrUnexpectedEOF.
		cut := len(raw) - 1 - step%1000
		_, _, _, err = ReadMessage(&chunkReader{b: raw[:cut], step: step}, ProtocolVersion, SimNet)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("step %d: truncated at %d got %v", step, cut, err)
		}
	}
	// Cut exactly where the first buffer is full.
	cut := MessageHeaderSize + payloadChunk
	_, _, _, err = ReadMessage(bytes.NewReader(raw[:cut]), ProtocolVersion, SimNet)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated at the first chunk got %v", err)
	}
}

// chunkReader returns at most step bytes per Read.
type chunkReader struct {
	b    []byte
	step int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.step, len(c.b))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}

// TestDecodeResets checks that decoding into a used value leaves nothing of
// the old value behind.
func TestDecodeResets(t *testing.T) {
	full := []Message{fxVersion(), &MsgAddr{AddrList: []NetAddress{fxNA4()}},
		&MsgInv{InvList: []InvVect{{Type: InvTypeTx}}}, fxBlock(), fxTx(),
		&MsgReject{Cmd: "x", Reason: "y", Hash: Hash{1}}}
	for _, test := range msgFixtures() {
		for _, used := range full {
			if reflect.TypeOf(used) != reflect.TypeOf(test.msg) {
				continue
			}
			// Copy the used value so the table stays intact.
			b, err := used.Encode(nil, ProtocolVersion)
			if err != nil {
				t.Fatal(err)
			}
			msg := emptyLike(used)
			if err := msg.Decode(b, ProtocolVersion); err != nil {
				t.Fatal(err)
			}
			if err := msg.Decode(unhex(t, test.payload), ProtocolVersion); err != nil {
				t.Errorf("%s: %v", test.name, err)
				continue
			}
			if !reflect.DeepEqual(msg, test.msg) {
				t.Errorf("%s: decoding into a used value\n got %+v\nwant %+v", test.name, msg, test.msg)
			}
		}
	}
}

// bigTxSize is the size of the largest-output transaction TestEncodeBounds
// builds, which must be over the tx frame limit.
func bigTxSize() int {
	return (&MsgTx{TxIn: make([]TxIn, 1), TxOut: make([]TxOut, MaxTxOutPerTx)}).SerializeSize()
}

// TestReadMessageMaxLimit checks the caller's own limit per command: a
// block frame over it fails before a byte of payload is read, one within
// it decodes, and other commands keep only their own limits.
func TestReadMessageMaxLimit(t *testing.T) {
	block := &MsgBlock{Header: BlockHeader{Version: 1, Parents: []Hash{{1}}}}
	block.Transactions = []*MsgTx{{Version: TxVersion, TxOut: []TxOut{{Value: 1}}}}
	var frame bytes.Buffer
	if _, err := WriteMessage(&frame, block, ProtocolVersion, SimNet); err != nil {
		t.Fatal(err)
	}
	payloadLen := uint32(frame.Len() - MessageHeaderSize)
	limitTo := func(n uint32) func(string) uint32 {
		return func(cmd string) uint32 {
			if cmd == CmdBlock {
				return n
			}
			return 0
		}
	}
	cr := &countingReader{r: bytes.NewReader(frame.Bytes())}
	_, _, _, err := ReadMessageMax(cr, ProtocolVersion, SimNet, limitTo(payloadLen-1))
	if !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("block over the caller's limit: %v, want %v", err, ErrPayloadTooLarge)
	}
	if cr.n != MessageHeaderSize {
		t.Fatalf("read %d bytes before refusing, want the %d of the header", cr.n, MessageHeaderSize)
	}
	_, msg, _, err := ReadMessageMax(bytes.NewReader(frame.Bytes()), ProtocolVersion, SimNet, limitTo(payloadLen))
	if err != nil || msg.Command() != CmdBlock {
		t.Fatalf("block at the caller's limit: %v, %v", msg, err)
	}
	var ping bytes.Buffer
	if _, err := WriteMessage(&ping, &MsgPing{Nonce: 7}, ProtocolVersion, SimNet); err != nil {
		t.Fatal(err)
	}
	if _, msg, _, err := ReadMessageMax(&ping, ProtocolVersion, SimNet, limitTo(1)); err != nil || msg.Command() != CmdPing {
		t.Fatalf("ping under a block limit: %v, %v", msg, err)
	}
}
