package wire

import (
	"encoding/binary"
	"net"
	"strconv"
)

// NetAddressSize is the encoded size of a NetAddress:
//
//	field      type                       size
//	timestamp  int64, unix seconds        8
//	services   uint64                     8
//	ip         16 bytes (IPv4 as ::ffff:)  16
//	port       uint16, big-endian         2
const NetAddressSize = 8 + 8 + 16 + 2

// NetAddress is a peer's address with the services it offers and when it was
// last seen.
type NetAddress struct {
	// Timestamp is the last time the address was seen, unix seconds.
	Timestamp int64
	Services  ServiceFlag
	IP        net.IP
	Port      uint16
}

// NewNetAddressIPPort builds a NetAddress.
func NewNetAddressIPPort(ip net.IP, port uint16, services ServiceFlag, timestamp int64) *NetAddress {
	return &NetAddress{Timestamp: timestamp, Services: services, IP: ip, Port: port}
}

// String returns "ip:port".
func (na *NetAddress) String() string {
	return net.JoinHostPort(na.IP.String(), strconv.Itoa(int(na.Port)))
}

func (na *NetAddress) append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, uint64(na.Timestamp))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(na.Services))
	var ip [16]byte
	if ip16 := na.IP.To16(); ip16 != nil {
		copy(ip[:], ip16)
	}
	dst = append(dst, ip[:]...)
	// Ports are big-endian, as network byte order, like Bitcoin.
	return binary.BigEndian.AppendUint16(dst, na.Port)
}

func (na *NetAddress) decode(r *reader) {
	na.Timestamp = int64(r.uint64("address timestamp"))
	na.Services = ServiceFlag(r.uint64("address services"))
	b := r.take(16, "address ip")
	if b == nil {
		return
	}
	ip := make(net.IP, 16)
	copy(ip, b)
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	na.IP = ip
	p := r.take(2, "address port")
	if p != nil {
		na.Port = binary.BigEndian.Uint16(p)
	}
}
