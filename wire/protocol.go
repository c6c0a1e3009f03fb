package wire

import (
	"fmt"
	"strconv"
	"strings"
)

const (
	// ProtocolVersion is the latest protocol version this package speaks.
	ProtocolVersion uint32 = 1

	// MinProtocolVersion is the oldest protocol version a peer may announce
	// and still be served.
	MinProtocolVersion uint32 = 1
)

// ServiceFlag is a bit set of the services a node offers.
type ServiceFlag uint64

const (
	// SFNodeNetwork means the node keeps and serves the DAG: with
	// SFNodePruned, only the block bodies from the lowest height its
	// version message names up.
	SFNodeNetwork ServiceFlag = 1 << iota

	// SFNodePruned means the node pruned old block bodies (soterd
	// --prune): its version message carries the lowest height it still
	// serves, and it answers notfound below it.
	SFNodePruned
)

// String returns the set flags by name, and any unknown bits as hex.
func (f ServiceFlag) String() string {
	if f == 0 {
		return "0x0"
	}
	var parts []string
	if f&SFNodeNetwork != 0 {
		parts = append(parts, "SFNodeNetwork")
		f &^= SFNodeNetwork
	}
	if f&SFNodePruned != 0 {
		parts = append(parts, "SFNodePruned")
		f &^= SFNodePruned
	}
	if f != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(f), 16))
	}
	return strings.Join(parts, "|")
}

// SoterNet is the magic number that starts every frame of one network, so
// that nodes of different networks cannot confuse each other's messages.
type SoterNet uint32

// The magic of each network: "sotr" followed by a per-network letter in the
// low byte, read as a little-endian uint32.
const (
	MainNet SoterNet = 0x72746f73 // "sotr"
	TestNet SoterNet = 0x74746f73 // "sott"
	RegTest SoterNet = 0x67746f73 // "sotg"
	SimNet  SoterNet = 0x6d746f73 // "sotm"
)

var netNames = map[SoterNet]string{
	MainNet: "mainnet",
	TestNet: "testnet",
	RegTest: "regtest",
	SimNet:  "simnet",
}

// String returns the network's name, or its magic in hex if unknown.
func (n SoterNet) String() string {
	if s, ok := netNames[n]; ok {
		return s
	}
	return fmt.Sprintf("unknown network 0x%08x", uint32(n))
}
