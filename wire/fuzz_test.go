package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// The fuzz targets below share one contract: no input panics, and whatever
// decodes re-encodes to exactly the input (every encoding is canonical) and
// decodes again to an equal value. Seeds are the hand-written fixtures plus
// the files in testdata/fuzz/<FuzzName>/.

// addSeeds adds hand-written hex seeds to a fuzz target.
func addSeeds(f *testing.F, hexes ...string) {
	for _, h := range hexes {
		f.Add(unhex(f, h))
	}
}

// addMsgSeeds adds the payload fixtures of the messages of one type.
func addMsgSeeds(f *testing.F, like Message) {
	for _, fx := range msgFixtures() {
		if reflect.TypeOf(fx.msg) == reflect.TypeOf(like) {
			f.Add(unhex(f, fx.payload))
		}
	}
}

// checkMessage decodes b as a fresh message from newMsg and, if it decodes,
// checks the canonical round trip and returns the message.
func checkMessage(t *testing.T, b []byte, newMsg func() Message) Message {
	msg := newMsg()
	if err := msg.Decode(b, ProtocolVersion); err != nil {
		var me MessageError
		if !errors.As(err, &me) {
			t.Fatalf("decode error %v is not a MessageError", err)
		}
		return nil
	}
	if uint32(len(b)) > msg.MaxPayloadLength(ProtocolVersion) {
		t.Fatalf("%s of %d bytes decoded, over its MaxPayloadLength %d",
			msg.Command(), len(b), msg.MaxPayloadLength(ProtocolVersion))
	}
	enc, err := msg.Encode(nil, ProtocolVersion)
	if err != nil {
		t.Fatalf("%s decoded but does not encode: %v", msg.Command(), err)
	}
	if !bytes.Equal(enc, b) {
		t.Fatalf("%s encoding is not canonical\n in  %x\n out %x", msg.Command(), b, enc)
	}
	again := newMsg()
	if err := again.Decode(enc, ProtocolVersion); err != nil {
		t.Fatalf("%s re-encoding does not decode: %v", msg.Command(), err)
	}
	if !reflect.DeepEqual(again, msg) {
		t.Fatalf("%s round trip differs\n got %+v\nwant %+v", msg.Command(), again, msg)
	}
	return msg
}

// FuzzReadMessage reads frames from arbitrary bytes until the stream fails,
// checking each frame it accepts and that refused unknown commands leave the
// stream aligned on the next frame.
func FuzzReadMessage(f *testing.F) {
	for _, fx := range msgFixtures() {
		fr := unhex(f, fx.frameHex())
		copy(fr, unhex(f, "736f7472")) // every seed on mainnet
		f.Add(fr)
	}
	// Two frames back to back, an unknown command before a ping, a bad
	// checksum and an oversized length.
	ping := unhex(f, "736f7472 70696e670000000000000000 08000000 33bc15e5 efcdab8967452301")
	f.Add(append(append([]byte(nil), ping...), ping...))
	f.Add(append(unhex(f, "736f7472 626f67757300000000000000 02000000 00000000 abcd"), ping...))
	f.Add(unhex(f, "736f7472 70696e670000000000000000 08000000 00000000 efcdab8967452301"))
	f.Add(unhex(f, "736f7472 626c6f636b00000000000000 ffffffff 00000000"))

	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		consumed := 0
		for frames := 0; ; frames++ {
			n, msg, payload, err := ReadMessage(r, ProtocolVersion, MainNet)
			start := consumed
			consumed += n
			if consumed != len(b)-r.Len() {
				t.Fatalf("ReadMessage reported %d bytes, consumed %d", consumed,
					len(b)-r.Len())
			}
			if errors.Is(err, ErrUnknownCommand) {
				// The whole frame was consumed: the next one follows.
				hdr, herr := DecodeMessageHeader(b[start : start+MessageHeaderSize])
				if herr != nil || n != MessageHeaderSize+int(hdr.Length) {
					t.Fatalf("unknown command consumed %d bytes of its frame", n)
				}
				continue
			}
			if err != nil {
				if msg != nil || payload != nil {
					t.Fatalf("message returned with error %v", err)
				}
				return
			}
			frame := b[start:consumed]
			enc, err := EncodeMessage(msg, ProtocolVersion, MainNet)
			if err != nil {
				t.Fatalf("%s read but does not encode: %v", msg.Command(), err)
			}
			if !bytes.Equal(enc, frame) {
				t.Fatalf("%s frame is not canonical\n in  %x\n out %x", msg.Command(), frame, enc)
			}
			if !bytes.Equal(payload, frame[MessageHeaderSize:]) {
				t.Fatalf("%s payload differs from the frame's", msg.Command())
			}
			_, again, _, err := ReadMessage(bytes.NewReader(enc), ProtocolVersion, MainNet)
			if err != nil || !reflect.DeepEqual(again, msg) {
				t.Fatalf("%s frame round trip: %v", msg.Command(), err)
			}
		}
	})
}

// FuzzMsgBlock decodes arbitrary bytes as a block.
func FuzzMsgBlock(f *testing.F) {
	addSeeds(f, blockHex, blockHeaderHex+" 00", genesisHeaderHex+" 01 "+coinbaseHex)
	f.Fuzz(func(t *testing.T, b []byte) {
		msg := checkMessage(t, b, func() Message { return &MsgBlock{} })
		if msg == nil {
			return
		}
		blk := msg.(*MsgBlock)
		if !bytes.Equal(blk.Serialize(), b) || blk.SerializeSize() != len(b) {
			t.Fatalf("Serialize differs from Encode")
		}
		var viaDeserialize MsgBlock
		if err := viaDeserialize.Deserialize(b); err != nil ||
			!reflect.DeepEqual(&viaDeserialize, blk) {
			t.Fatalf("Deserialize differs from Decode: %v", err)
		}
		hdr := blk.Header.Serialize()
		if blk.BlockHash() != DoubleHashH(hdr) || !bytes.Equal(hdr, b[:len(hdr)]) {
			t.Fatalf("block hash is not the hash of the header bytes")
		}
		ids := blk.TxIDs()
		if len(ids) != len(blk.Transactions) {
			t.Fatalf("TxIDs returned %d ids for %d transactions", len(ids), len(blk.Transactions))
		}
		_ = BlockMerkleRoot(blk.Transactions)
	})
}

// FuzzMsgTx decodes arbitrary bytes as a transaction.
func FuzzMsgTx(f *testing.F) {
	addSeeds(f, txHex, coinbaseHex, "0000 00 00 0000000000000000 00")
	f.Fuzz(func(t *testing.T, b []byte) {
		msg := checkMessage(t, b, func() Message { return &MsgTx{} })
		if msg == nil {
			return
		}
		tx := msg.(*MsgTx)
		if !bytes.Equal(tx.Serialize(), b) || tx.SerializeSize() != len(b) {
			t.Fatalf("Serialize differs from Encode")
		}
		if tx.TxID() != DoubleHashH(stripSigs(tx)) {
			t.Fatalf("txid is not the hash of the bytes without signatures")
		}
		if !reflect.DeepEqual(tx.Copy(), tx) {
			t.Fatalf("Copy differs")
		}
		prev := make([]TxOut, len(tx.TxIn))
		for i := range tx.TxIn {
			if _, err := SignatureHash(tx, i, prev); err != nil {
				t.Fatalf("SignatureHash input %d: %v", i, err)
			}
		}
		if _, err := SignatureHash(tx, len(tx.TxIn), prev); err == nil {
			t.Fatalf("SignatureHash accepted an index past the inputs")
		}
	})
}

// FuzzBlockHeader decodes arbitrary bytes as a block header.
func FuzzBlockHeader(f *testing.F) {
	addSeeds(f, headerHex, genesisHeaderHex, blockHeaderHex)
	f.Fuzz(func(t *testing.T, b []byte) {
		var h BlockHeader
		if err := h.Deserialize(b); err != nil {
			return
		}
		enc := h.Serialize()
		if !bytes.Equal(enc, b) || h.SerializeSize() != len(b) {
			t.Fatalf("header encoding is not canonical\n in  %x\n out %x", b, enc)
		}
		var again BlockHeader
		if err := again.Deserialize(enc); err != nil || !reflect.DeepEqual(again, h) {
			t.Fatalf("header round trip: %v", err)
		}
		if h.BlockHash() != DoubleHashH(b) {
			t.Fatalf("block hash is not the hash of the header bytes")
		}
		if !reflect.DeepEqual(h.Copy(), &h) {
			t.Fatalf("Copy differs")
		}
	})
}

// FuzzMsgVersion decodes arbitrary bytes as a version message.
func FuzzMsgVersion(f *testing.F) {
	addMsgSeeds(f, &MsgVersion{})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkMessage(t, b, func() Message { return &MsgVersion{} })
	})
}

// FuzzMsgInv decodes arbitrary bytes with the shared inv codec, as inv,
// getdata and notfound, which must agree.
func FuzzMsgInv(f *testing.F) {
	addMsgSeeds(f, &MsgInv{})
	addMsgSeeds(f, &MsgGetData{})
	addMsgSeeds(f, &MsgNotFound{})
	f.Fuzz(func(t *testing.T, b []byte) {
		inv := checkMessage(t, b, func() Message { return &MsgInv{} })
		gd := checkMessage(t, b, func() Message { return &MsgGetData{} })
		nf := checkMessage(t, b, func() Message { return &MsgNotFound{} })
		if (inv == nil) != (gd == nil) || (inv == nil) != (nf == nil) {
			t.Fatalf("inv, getdata and notfound disagree on %x", b)
		}
		if inv == nil {
			return
		}
		list := inv.(*MsgInv).InvList
		if !reflect.DeepEqual(list, gd.(*MsgGetData).InvList) ||
			!reflect.DeepEqual(list, nf.(*MsgNotFound).InvList) {
			t.Fatalf("inv, getdata and notfound decode different lists")
		}
	})
}

// FuzzMsgAddr decodes arbitrary bytes as an addr message.
func FuzzMsgAddr(f *testing.F) {
	addMsgSeeds(f, &MsgAddr{})
	f.Fuzz(func(t *testing.T, b []byte) {
		msg := checkMessage(t, b, func() Message { return &MsgAddr{} })
		if msg == nil {
			return
		}
		for i := range msg.(*MsgAddr).AddrList {
			_ = msg.(*MsgAddr).AddrList[i].String()
		}
	})
}

// FuzzMsgReject decodes arbitrary bytes as a reject message.
func FuzzMsgReject(f *testing.F) {
	addMsgSeeds(f, &MsgReject{})
	f.Fuzz(func(t *testing.T, b []byte) {
		msg := checkMessage(t, b, func() Message { return &MsgReject{} })
		if msg != nil {
			_ = msg.(*MsgReject).Code.String()
		}
	})
}

// FuzzMsgGetBlocks decodes arbitrary bytes as a getblocks message.
func FuzzMsgGetBlocks(f *testing.F) {
	addMsgSeeds(f, &MsgGetBlocks{})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkMessage(t, b, func() Message { return &MsgGetBlocks{} })
	})
}

// FuzzVarInt decodes a varint from the start of arbitrary bytes.
func FuzzVarInt(f *testing.F) {
	addSeeds(f, "00", "fc", "fdfd00", "fdffff", "fe00000100", "feffffffff",
		"ff0000000001000000", "ffffffffffffffffff", "fd0000", "fe00000000",
		"ff0000000000000000", "fdff")
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := ReadVarInt(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNonCanonical) {
				t.Fatalf("unexpected error kind %v", err)
			}
			return
		}
		enc := AppendVarInt(nil, v)
		if !bytes.Equal(enc, b[:n]) || VarIntSerializeSize(v) != n {
			t.Fatalf("varint %d is not canonical: in %x, out %x", v, b[:n], enc)
		}
		if v2, n2, err := ReadVarInt(enc); err != nil || v2 != v || n2 != n {
			t.Fatalf("varint round trip: %d %d %v", v2, n2, err)
		}
	})
}
