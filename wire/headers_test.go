package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Hand-written payloads of the header messages.
const (
	// getHeadersHex: two wanted hashes, seqHash and 0x77...
	getHeadersHex = "02 " + seqHashHex + " " +
		"7777777777777777777777777777777777777777777777777777777777777777"

	// headersHex: two headers, headerHex then genesisHeaderHex.
	headersHex = "02 " + headerHex + " " + genesisHeaderHex
)

// TestHeaderMessageFixtures checks both messages against hand-written
// payloads and frames, both ways.
func TestHeaderMessageFixtures(t *testing.T) {
	tests := []struct {
		name    string
		msg     Message
		payload string
		command string
	}{
		{"getheaders", &MsgGetHeaders{Wanted: []Hash{seqHash(), repHash(0x77)}},
			getHeadersHex, "676574686561646572730000"},
		{"getheaders empty", &MsgGetHeaders{}, "00", "676574686561646572730000"},
		{"headers", &MsgHeaders{Headers: []BlockHeader{fxHeader(), fxGenesisHeader()}},
			headersHex, "686561646572730000000000"},
		{"headers empty", &MsgHeaders{}, "00", "686561646572730000000000"},
	}
	for _, test := range tests {
		want := unhex(t, test.payload)
		got, err := test.msg.Encode(nil, ProtocolVersion)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: encode got %x (%v), want %x", test.name, got, err, want)
			continue
		}
		decoded := emptyLike(test.msg)
		if err := decoded.Decode(want, ProtocolVersion); err != nil ||
			!reflect.DeepEqual(decoded, test.msg) {
			t.Errorf("%s: decode got %+v (%v), want %+v", test.name, decoded, err, test.msg)
		}
		frame, err := EncodeMessage(test.msg, ProtocolVersion, SimNet)
		if err != nil {
			t.Errorf("%s: EncodeMessage: %v", test.name, err)
			continue
		}
		if cmd := frame[4:16]; !bytes.Equal(cmd, unhex(t, test.command)) {
			t.Errorf("%s: command field %x, want %s", test.name, cmd, test.command)
		}
		_, read, _, err := ReadMessage(bytes.NewReader(frame), ProtocolVersion, SimNet)
		if err != nil || !reflect.DeepEqual(read, test.msg) {
			t.Errorf("%s: ReadMessage got %+v (%v), want %+v", test.name, read, err, test.msg)
		}
	}
}

// TestHeaderMessageBounds checks that counts over the bounds, or over what
// the payload can hold, fail before allocation, and that the encoders
// refuse what the decoders would.
func TestHeaderMessageBounds(t *testing.T) {
	decodeTests := []struct {
		name string
		msg  Message
		hex  string
		want ErrorKind
	}{
		{"getheaders count over the bound", &MsgGetHeaders{}, "fd1127", ErrTooMany},
		{"getheaders count over the payload", &MsgGetHeaders{}, "02" + seqHashHex, ErrMalformed},
		{"getheaders trailing byte", &MsgGetHeaders{}, "01" + seqHashHex + "00", ErrTrailingBytes},
		{"getheaders non-canonical count", &MsgGetHeaders{}, "fd0100" + seqHashHex, ErrNonCanonical},
		{"headers count over the bound", &MsgHeaders{}, "fdd107", ErrTooMany},
		{"headers count over the payload", &MsgHeaders{}, "02 " + headerHex, ErrMalformed},
		{"headers truncated header", &MsgHeaders{}, "01 " + headerHex[:40], ErrMalformed},
		{"headers trailing byte", &MsgHeaders{}, "01 " + headerHex + " 00", ErrTrailingBytes},
		{"headers with too many parents", &MsgHeaders{}, "01 01000000 41" +
			strings.Repeat("11", 65*HashSize) + strings.Repeat("00", 52), ErrTooMany},
	}
	for _, test := range decodeTests {
		err := test.msg.Decode(unhex(t, test.hex), ProtocolVersion)
		if !errors.Is(err, test.want) {
			t.Errorf("%s: got %v, want %v", test.name, err, test.want)
		}
	}

	wanted := make([]Hash, MaxGetHeadersWanted+1)
	if _, err := (&MsgGetHeaders{Wanted: wanted}).Encode(nil, ProtocolVersion); !errors.Is(err, ErrTooMany) {
		t.Errorf("getheaders encode over the bound: got %v, want ErrTooMany", err)
	}
	if _, err := (&MsgGetHeaders{Wanted: wanted[:MaxGetHeadersWanted]}).Encode(nil, ProtocolVersion); err != nil {
		t.Errorf("getheaders encode at the bound: %v", err)
	}
	headers := make([]BlockHeader, MaxHeadersPerMsg+1)
	if _, err := (&MsgHeaders{Headers: headers}).Encode(nil, ProtocolVersion); !errors.Is(err, ErrTooMany) {
		t.Errorf("headers encode over the bound: got %v, want ErrTooMany", err)
	}
	wide := BlockHeader{Parents: make([]Hash, MaxParentsPerHeader+1)}
	if _, err := (&MsgHeaders{Headers: []BlockHeader{wide}}).Encode(nil, ProtocolVersion); !errors.Is(err, ErrTooMany) {
		t.Errorf("headers encode with too many parents: got %v, want ErrTooMany", err)
	}

	// The largest headers message fits its limit and decodes.
	full := make([]BlockHeader, MaxHeadersPerMsg)
	for i := range full {
		full[i] = BlockHeader{Parents: make([]Hash, MaxParentsPerHeader), Nonce: uint64(i)}
	}
	frame, err := EncodeMessage(&MsgHeaders{Headers: full}, ProtocolVersion, SimNet)
	if err != nil {
		t.Fatalf("largest headers message: %v", err)
	}
	if got := len(frame) - MessageHeaderSize; got != int((&MsgHeaders{}).MaxPayloadLength(ProtocolVersion)) {
		t.Errorf("largest headers payload is %d bytes, MaxPayloadLength says %d", got,
			(&MsgHeaders{}).MaxPayloadLength(ProtocolVersion))
	}
	if _, _, _, err := ReadMessage(bytes.NewReader(frame), ProtocolVersion, SimNet); err != nil {
		t.Errorf("largest headers message does not read back: %v", err)
	}
}

// FuzzMsgGetHeaders decodes arbitrary bytes as a getheaders message.
func FuzzMsgGetHeaders(f *testing.F) {
	addSeeds(f, getHeadersHex, "00", "01"+seqHashHex, "fd1127")
	f.Fuzz(func(t *testing.T, b []byte) {
		msg := checkMessage(t, b, func() Message { return &MsgGetHeaders{} })
		if msg != nil && len(msg.(*MsgGetHeaders).Wanted) > MaxGetHeadersWanted {
			t.Fatalf("decoded %d wanted hashes, over the bound", len(msg.(*MsgGetHeaders).Wanted))
		}
	})
}

// FuzzMsgHeaders decodes arbitrary bytes as a headers message; every header
// it accepts hashes as the bytes it was read from.
func FuzzMsgHeaders(f *testing.F) {
	addSeeds(f, headersHex, "00", "01 "+blockHeaderHex, "01 "+headerHex[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		msg := checkMessage(t, b, func() Message { return &MsgHeaders{} })
		if msg == nil {
			return
		}
		hs := msg.(*MsgHeaders).Headers
		if len(hs) > MaxHeadersPerMsg {
			t.Fatalf("decoded %d headers, over the bound", len(hs))
		}
		_, off, _ := ReadVarInt(b)
		for i := range hs {
			enc := hs[i].Serialize()
			if !bytes.Equal(enc, b[off:off+len(enc)]) || hs[i].BlockHash() != DoubleHashH(enc) {
				t.Fatalf("header %d is not hashed as it was read", i)
			}
			off += len(enc)
		}
	})
}
