package wire

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// Bounds on message lists and strings. The decoders check each one before
// allocating.
const (
	// MaxUserAgentLen bounds the user agent of a version message.
	MaxUserAgentLen = 256

	// MaxVersionTips bounds the tip hashes a version message carries. A
	// node with more tips sends the ones with the most blue work.
	MaxVersionTips = 64

	// MaxAddrPerMsg bounds the addresses of one addr message.
	MaxAddrPerMsg = 1000

	// MaxInvPerMsg bounds the vectors of one inv, getdata or notfound
	// message.
	MaxInvPerMsg = 50000

	// MaxBlocksPerInv is the most block hashes a node puts in the inv that
	// answers one getblocks.
	MaxBlocksPerInv = 1000

	// MaxRejectReasonLen bounds the reason of a reject message.
	MaxRejectReasonLen = 256
)

// checkCount checks a list length against its bound before encoding.
func checkCount(what string, n, max int) error {
	if n > max {
		return messageError(ErrTooMany, fmt.Sprintf("%s: %d entries, over the limit of %d", what, n, max))
	}
	return nil
}

// MsgVersion opens a connection: each side sends one and answers the other's
// with verack. Payload:
//
//	field            type                 size
//	protocolVersion  uint32               4
//	services         uint64               8
//	timestamp        int64, unix seconds  8
//	addrRecv         NetAddress           34
//	addrFrom         NetAddress           34
//	nonce            uint64               8
//	userAgent        varint + bytes       1-3 + up to 256
//	genesisHash      hash                 32
//	maxHeight        uint32               4
//	tips             varint + hashes      1-3 + up to 64*32
//	lowestHeight     uint32               4, only when services has SFNodePruned
type MsgVersion struct {
	ProtocolVersion uint32
	Services        ServiceFlag
	Timestamp       int64
	AddrRecv        NetAddress
	AddrFrom        NetAddress
	// Nonce is random per connection, so a node can detect a connection
	// to itself.
	Nonce     uint64
	UserAgent string
	// GenesisHash lets peers of the same magic but a different chain part
	// at once.
	GenesisHash Hash
	MaxHeight   uint32
	Tips        []Hash
	// LowestHeight is the lowest height whose block bodies a pruned node
	// serves; it is on the wire only when Services has SFNodePruned, and
	// decodes as 0 otherwise.
	LowestHeight uint32
}

// Command implements Message.
func (m *MsgVersion) Command() string { return CmdVersion }

// MaxPayloadLength implements Message.
func (m *MsgVersion) MaxPayloadLength(uint32) uint32 {
	return 4 + 8 + 8 + 2*NetAddressSize + 8 + 3 + MaxUserAgentLen + HashSize + 4 + 3 + MaxVersionTips*HashSize + 4
}

// Encode implements Message.
func (m *MsgVersion) Encode(dst []byte, _ uint32) ([]byte, error) {
	if len(m.UserAgent) > MaxUserAgentLen {
		return nil, messageError(ErrTooMany, fmt.Sprintf(
			"version: user agent of %d bytes, over the limit of %d", len(m.UserAgent), MaxUserAgentLen))
	}
	if err := checkCount("version tips", len(m.Tips), MaxVersionTips); err != nil {
		return nil, err
	}
	dst = binary.LittleEndian.AppendUint32(dst, m.ProtocolVersion)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(m.Services))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(m.Timestamp))
	dst = m.AddrRecv.append(dst)
	dst = m.AddrFrom.append(dst)
	dst = binary.LittleEndian.AppendUint64(dst, m.Nonce)
	dst = appendVarBytes(dst, []byte(m.UserAgent))
	dst = append(dst, m.GenesisHash[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, m.MaxHeight)
	dst = AppendVarInt(dst, uint64(len(m.Tips)))
	for i := range m.Tips {
		dst = append(dst, m.Tips[i][:]...)
	}
	if m.Services&SFNodePruned != 0 {
		dst = binary.LittleEndian.AppendUint32(dst, m.LowestHeight)
	}
	return dst, nil
}

// Decode implements Message.
func (m *MsgVersion) Decode(b []byte, _ uint32) error {
	r := newReader(b, "version")
	m.ProtocolVersion = r.uint32("protocol version")
	m.Services = ServiceFlag(r.uint64("services"))
	m.Timestamp = int64(r.uint64("timestamp"))
	m.AddrRecv.decode(r)
	m.AddrFrom.decode(r)
	m.Nonce = r.uint64("nonce")
	m.UserAgent = r.varString("user agent", MaxUserAgentLen)
	m.GenesisHash = r.hash("genesis hash")
	m.MaxHeight = r.uint32("max height")
	n := r.count("tip count", MaxVersionTips, HashSize)
	m.Tips = nil
	if n > 0 {
		m.Tips = make([]Hash, n)
		for i := range m.Tips {
			m.Tips[i] = r.hash("tip")
		}
	}
	m.LowestHeight = 0
	if m.Services&SFNodePruned != 0 {
		m.LowestHeight = r.uint32("lowest height")
	}
	return r.finish()
}

// decodeEmpty is the codec of messages without a payload.
func decodeEmpty(cmd string, b []byte) error {
	if len(b) != 0 {
		return messageError(ErrTrailingBytes, fmt.Sprintf("%s: %d unexpected payload bytes", cmd, len(b)))
	}
	return nil
}

// MsgVerAck acknowledges a version message. It has no payload.
type MsgVerAck struct{}

// Command implements Message.
func (m *MsgVerAck) Command() string { return CmdVerAck }

// MaxPayloadLength implements Message.
func (m *MsgVerAck) MaxPayloadLength(uint32) uint32 { return 0 }

// Encode implements Message.
func (m *MsgVerAck) Encode(dst []byte, _ uint32) ([]byte, error) { return dst, nil }

// Decode implements Message.
func (m *MsgVerAck) Decode(b []byte, _ uint32) error { return decodeEmpty(CmdVerAck, b) }

// MsgGetAddr asks for known peer addresses. It has no payload.
type MsgGetAddr struct{}

// Command implements Message.
func (m *MsgGetAddr) Command() string { return CmdGetAddr }

// MaxPayloadLength implements Message.
func (m *MsgGetAddr) MaxPayloadLength(uint32) uint32 { return 0 }

// Encode implements Message.
func (m *MsgGetAddr) Encode(dst []byte, _ uint32) ([]byte, error) { return dst, nil }

// Decode implements Message.
func (m *MsgGetAddr) Decode(b []byte, _ uint32) error { return decodeEmpty(CmdGetAddr, b) }

// MsgMemPool asks for an inv of the peer's mempool transactions. It has no
// payload.
type MsgMemPool struct{}

// Command implements Message.
func (m *MsgMemPool) Command() string { return CmdMemPool }

// MaxPayloadLength implements Message.
func (m *MsgMemPool) MaxPayloadLength(uint32) uint32 { return 0 }

// Encode implements Message.
func (m *MsgMemPool) Encode(dst []byte, _ uint32) ([]byte, error) { return dst, nil }

// Decode implements Message.
func (m *MsgMemPool) Decode(b []byte, _ uint32) error { return decodeEmpty(CmdMemPool, b) }

// MsgPing checks that a peer is alive; it answers with a pong carrying the
// same nonce. Payload: nonce uint64.
type MsgPing struct {
	Nonce uint64
}

// Command implements Message.
func (m *MsgPing) Command() string { return CmdPing }

// MaxPayloadLength implements Message.
func (m *MsgPing) MaxPayloadLength(uint32) uint32 { return 8 }

// Encode implements Message.
func (m *MsgPing) Encode(dst []byte, _ uint32) ([]byte, error) {
	return binary.LittleEndian.AppendUint64(dst, m.Nonce), nil
}

// Decode implements Message.
func (m *MsgPing) Decode(b []byte, _ uint32) error {
	r := newReader(b, "ping")
	m.Nonce = r.uint64("nonce")
	return r.finish()
}

// MsgPong answers a ping. Payload: nonce uint64.
type MsgPong struct {
	Nonce uint64
}

// Command implements Message.
func (m *MsgPong) Command() string { return CmdPong }

// MaxPayloadLength implements Message.
func (m *MsgPong) MaxPayloadLength(uint32) uint32 { return 8 }

// Encode implements Message.
func (m *MsgPong) Encode(dst []byte, _ uint32) ([]byte, error) {
	return binary.LittleEndian.AppendUint64(dst, m.Nonce), nil
}

// Decode implements Message.
func (m *MsgPong) Decode(b []byte, _ uint32) error {
	r := newReader(b, "pong")
	m.Nonce = r.uint64("nonce")
	return r.finish()
}

// MsgAddr gossips peer addresses. Payload: varint count + NetAddress each,
// at most MaxAddrPerMsg.
type MsgAddr struct {
	AddrList []NetAddress
}

// Command implements Message.
func (m *MsgAddr) Command() string { return CmdAddr }

// MaxPayloadLength implements Message.
func (m *MsgAddr) MaxPayloadLength(uint32) uint32 {
	return 3 + MaxAddrPerMsg*NetAddressSize
}

// Encode implements Message.
func (m *MsgAddr) Encode(dst []byte, _ uint32) ([]byte, error) {
	if err := checkCount("addr", len(m.AddrList), MaxAddrPerMsg); err != nil {
		return nil, err
	}
	dst = AppendVarInt(dst, uint64(len(m.AddrList)))
	for i := range m.AddrList {
		dst = m.AddrList[i].append(dst)
	}
	return dst, nil
}

// Decode implements Message.
func (m *MsgAddr) Decode(b []byte, _ uint32) error {
	r := newReader(b, "addr")
	n := r.count("address count", MaxAddrPerMsg, NetAddressSize)
	m.AddrList = nil
	if n > 0 {
		m.AddrList = make([]NetAddress, n)
		for i := range m.AddrList {
			m.AddrList[i].decode(r)
		}
	}
	return r.finish()
}

// encodeInvList is the shared encoder of inv, getdata and notfound: varint count +
// InvVect each, at most MaxInvPerMsg.
func encodeInvList(dst []byte, cmd string, list []InvVect) ([]byte, error) {
	if err := checkCount(cmd, len(list), MaxInvPerMsg); err != nil {
		return nil, err
	}
	// The decoder rejects unknown types, so refuse to send one.
	for i := range list {
		if t := list[i].Type; t != InvTypeTx && t != InvTypeBlock {
			return nil, messageError(ErrInvalidValue, fmt.Sprintf(
				"%s: entry %d has unknown inventory type %d", cmd, i, uint32(t)))
		}
	}
	dst = AppendVarInt(dst, uint64(len(list)))
	for i := range list {
		iv := &list[i]
		dst = binary.LittleEndian.AppendUint32(dst, uint32(iv.Type))
		dst = append(dst, iv.Hash[:]...)
		dst = binary.LittleEndian.AppendUint32(dst, iv.Height)
	}
	return dst, nil
}

// decodeInvList is the shared decoder of inv, getdata and notfound.
func decodeInvList(b []byte, cmd string) ([]InvVect, error) {
	r := newReader(b, cmd)
	n := r.count("inventory count", MaxInvPerMsg, InvVectSize)
	var list []InvVect
	if n > 0 {
		list = make([]InvVect, n)
		for i := range list {
			list[i].decode(r)
		}
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return list, nil
}

const maxInvListPayload = 3 + MaxInvPerMsg*InvVectSize

// MsgInv announces blocks and transactions.
type MsgInv struct {
	InvList []InvVect
}

// AddInvVect appends a vector, failing once the list is full.
func (m *MsgInv) AddInvVect(iv *InvVect) error {
	if err := checkCount(CmdInv, len(m.InvList)+1, MaxInvPerMsg); err != nil {
		return err
	}
	m.InvList = append(m.InvList, *iv)
	return nil
}

// Command implements Message.
func (m *MsgInv) Command() string { return CmdInv }

// MaxPayloadLength implements Message.
func (m *MsgInv) MaxPayloadLength(uint32) uint32 { return maxInvListPayload }

// Encode implements Message.
func (m *MsgInv) Encode(dst []byte, _ uint32) ([]byte, error) {
	return encodeInvList(dst, CmdInv, m.InvList)
}

// Decode implements Message.
func (m *MsgInv) Decode(b []byte, _ uint32) (err error) {
	m.InvList, err = decodeInvList(b, CmdInv)
	return err
}

// MsgGetData asks for the blocks and transactions it names.
type MsgGetData struct {
	InvList []InvVect
}

// AddInvVect appends a vector, failing once the list is full.
func (m *MsgGetData) AddInvVect(iv *InvVect) error {
	if err := checkCount(CmdGetData, len(m.InvList)+1, MaxInvPerMsg); err != nil {
		return err
	}
	m.InvList = append(m.InvList, *iv)
	return nil
}

// Command implements Message.
func (m *MsgGetData) Command() string { return CmdGetData }

// MaxPayloadLength implements Message.
func (m *MsgGetData) MaxPayloadLength(uint32) uint32 { return maxInvListPayload }

// Encode implements Message.
func (m *MsgGetData) Encode(dst []byte, _ uint32) ([]byte, error) {
	return encodeInvList(dst, CmdGetData, m.InvList)
}

// Decode implements Message.
func (m *MsgGetData) Decode(b []byte, _ uint32) (err error) {
	m.InvList, err = decodeInvList(b, CmdGetData)
	return err
}

// MsgNotFound answers a getdata for objects the peer does not have.
type MsgNotFound struct {
	InvList []InvVect
}

// AddInvVect appends a vector, failing once the list is full.
func (m *MsgNotFound) AddInvVect(iv *InvVect) error {
	if err := checkCount(CmdNotFound, len(m.InvList)+1, MaxInvPerMsg); err != nil {
		return err
	}
	m.InvList = append(m.InvList, *iv)
	return nil
}

// Command implements Message.
func (m *MsgNotFound) Command() string { return CmdNotFound }

// MaxPayloadLength implements Message.
func (m *MsgNotFound) MaxPayloadLength(uint32) uint32 { return maxInvListPayload }

// Encode implements Message.
func (m *MsgNotFound) Encode(dst []byte, _ uint32) ([]byte, error) {
	return encodeInvList(dst, CmdNotFound, m.InvList)
}

// Decode implements Message.
func (m *MsgNotFound) Decode(b []byte, _ uint32) (err error) {
	m.InvList, err = decodeInvList(b, CmdNotFound)
	return err
}

// MsgGetBlocks asks for an inv of the blocks from StartHeight up to EndHash
// (the zero hash means up to the tips), sorted by height, at most
// MaxBlocksPerInv. Payload:
//
//	field        type    size
//	startHeight  uint32  4
//	endHash      hash    32
type MsgGetBlocks struct {
	StartHeight uint32
	EndHash     Hash
}

// Command implements Message.
func (m *MsgGetBlocks) Command() string { return CmdGetBlocks }

// MaxPayloadLength implements Message.
func (m *MsgGetBlocks) MaxPayloadLength(uint32) uint32 { return 4 + HashSize }

// Encode implements Message.
func (m *MsgGetBlocks) Encode(dst []byte, _ uint32) ([]byte, error) {
	dst = binary.LittleEndian.AppendUint32(dst, m.StartHeight)
	return append(dst, m.EndHash[:]...), nil
}

// Decode implements Message.
func (m *MsgGetBlocks) Decode(b []byte, _ uint32) error {
	r := newReader(b, "getblocks")
	m.StartHeight = r.uint32("start height")
	m.EndHash = r.hash("end hash")
	return r.finish()
}

// Command implements Message.
func (b *MsgBlock) Command() string { return CmdBlock }

// MaxPayloadLength implements Message.
func (b *MsgBlock) MaxPayloadLength(uint32) uint32 { return MaxBlockPayload }

// Encode implements Message.
func (b *MsgBlock) Encode(dst []byte, _ uint32) ([]byte, error) {
	if err := checkCount("block parents", len(b.Header.Parents), MaxParentsPerHeader); err != nil {
		return nil, err
	}
	if err := checkCount("block transactions", len(b.Transactions), MaxTxPerBlock); err != nil {
		return nil, err
	}
	for _, tx := range b.Transactions {
		if err := tx.checkBounds(); err != nil {
			return nil, err
		}
	}
	// Deserialize refuses blocks over MaxBlockPayload, so refuse to send one.
	start := len(dst)
	dst = slices.Grow(dst, b.SerializeSize())
	dst = b.AppendSerialize(dst)
	if len(dst)-start > MaxBlockPayload {
		return nil, messageError(ErrPayloadTooLarge, fmt.Sprintf(
			"block: encoded size %d over the maximum block payload %d",
			len(dst)-start, MaxBlockPayload))
	}
	return dst, nil
}

// Decode implements Message.
func (b *MsgBlock) Decode(payload []byte, _ uint32) error {
	return b.Deserialize(payload)
}

// Command implements Message.
func (tx *MsgTx) Command() string { return CmdTx }

// MaxPayloadLength implements Message.
func (tx *MsgTx) MaxPayloadLength(uint32) uint32 { return MaxBlockPayload }

// checkBounds fails if the transaction breaks a bound the decoder enforces.
func (tx *MsgTx) checkBounds() error {
	if err := checkCount("tx inputs", len(tx.TxIn), MaxTxInPerTx); err != nil {
		return err
	}
	if err := checkCount("tx outputs", len(tx.TxOut), MaxTxOutPerTx); err != nil {
		return err
	}
	return checkCount("tx payload bytes", len(tx.Payload), MaxTxPayloadSize)
}

// Encode implements Message.
func (tx *MsgTx) Encode(dst []byte, _ uint32) ([]byte, error) {
	if err := tx.checkBounds(); err != nil {
		return nil, err
	}
	return tx.AppendSerialize(slices.Grow(dst, tx.SerializeSize())), nil
}

// Decode implements Message.
func (tx *MsgTx) Decode(payload []byte, _ uint32) error {
	return tx.Deserialize(payload)
}

// RejectCode says why a message was rejected.
type RejectCode uint8

// The reject codes, with Bitcoin's values.
const (
	RejectMalformed       RejectCode = 0x01
	RejectInvalid         RejectCode = 0x10
	RejectObsolete        RejectCode = 0x11
	RejectDuplicate       RejectCode = 0x12
	RejectNonstandard     RejectCode = 0x40
	RejectDust            RejectCode = 0x41
	RejectInsufficientFee RejectCode = 0x42
)

// String returns the code's name.
func (c RejectCode) String() string {
	switch c {
	case RejectMalformed:
		return "REJECT_MALFORMED"
	case RejectInvalid:
		return "REJECT_INVALID"
	case RejectObsolete:
		return "REJECT_OBSOLETE"
	case RejectDuplicate:
		return "REJECT_DUPLICATE"
	case RejectNonstandard:
		return "REJECT_NONSTANDARD"
	case RejectDust:
		return "REJECT_DUST"
	case RejectInsufficientFee:
		return "REJECT_INSUFFICIENTFEE"
	}
	return fmt.Sprintf("unknown reject code %d", uint8(c))
}

// MsgReject tells a peer that one of its messages was rejected. Payload:
//
//	field    type            size
//	command  varint + bytes  1 + up to 12
//	code     uint8           1
//	reason   varint + bytes  1-3 + up to 256
//	hash     hash            32 (zero when the message names no object)
type MsgReject struct {
	Cmd    string
	Code   RejectCode
	Reason string
	Hash   Hash
}

// Command implements Message.
func (m *MsgReject) Command() string { return CmdReject }

// MaxPayloadLength implements Message.
func (m *MsgReject) MaxPayloadLength(uint32) uint32 {
	return 1 + CommandSize + 1 + 3 + MaxRejectReasonLen + HashSize
}

// Encode implements Message.
func (m *MsgReject) Encode(dst []byte, _ uint32) ([]byte, error) {
	if len(m.Cmd) > CommandSize {
		return nil, messageError(ErrTooMany, fmt.Sprintf("reject: command of %d bytes, over %d", len(m.Cmd), CommandSize))
	}
	reason := m.Reason
	if len(reason) > MaxRejectReasonLen {
		return nil, messageError(ErrTooMany, fmt.Sprintf("reject: reason of %d bytes, over %d", len(reason), MaxRejectReasonLen))
	}
	dst = appendVarBytes(dst, []byte(m.Cmd))
	dst = append(dst, byte(m.Code))
	dst = appendVarBytes(dst, []byte(reason))
	return append(dst, m.Hash[:]...), nil
}

// Decode implements Message.
func (m *MsgReject) Decode(b []byte, _ uint32) error {
	r := newReader(b, "reject")
	m.Cmd = r.varString("command", CommandSize)
	m.Code = RejectCode(r.uint8("code"))
	m.Reason = r.varString("reason", MaxRejectReasonLen)
	m.Hash = r.hash("hash")
	return r.finish()
}
