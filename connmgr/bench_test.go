package connmgr

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/soterdag/soterd/wire"
)

// BenchmarkAddScore measures scoring a host, done for every misbehaviour.
func BenchmarkAddScore(b *testing.B) {
	bm, err := NewBanManager(&BanConfig{Threshold: 1 << 30})
	if err != nil {
		b.Fatalf("NewBanManager: %v", err)
	}
	hosts := make([]string, 1000)
	for i := range hosts {
		hosts[i] = net.IPv4(11, 0, byte(i>>8), byte(i)).String() + ":" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bm.AddScore(hosts[i%len(hosts)], 0, 1, "bench")
	}
}

// BenchmarkIsBanned measures the ban check done for every connection.
func BenchmarkIsBanned(b *testing.B) {
	bm, err := NewBanManager(nil)
	if err != nil {
		b.Fatalf("NewBanManager: %v", err)
	}
	for i := 0; i < 1000; i++ {
		bm.Ban(net.IPv4(11, 1, byte(i>>8), byte(i)).String(), time.Hour)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bm.IsBanned("11.1.0.7:18555")
	}
}

// BenchmarkAddAddresses measures adding a full addr message to a full book,
// which evicts one entry per new address.
func BenchmarkAddAddresses(b *testing.B) {
	am, clock := newTestAddrManager(b, "", false)
	now := clock.now().Unix()
	batch := make([]wire.NetAddress, wire.MaxAddrPerMsg)
	next := 0
	fill := func() {
		for i := range batch {
			batch[i] = routableAddr(next, now)
			next++
		}
	}
	for am.NumAddresses() < MaxAddresses {
		fill()
		am.AddAddresses(batch, "src")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fill()
		b.StartTimer()
		am.AddAddresses(batch, "src")
	}
}

// BenchmarkGetAddress measures choosing an outbound address from a full
// book.
func BenchmarkGetAddress(b *testing.B) {
	am, clock := newTestAddrManager(b, "", false)
	now := clock.now().Unix()
	for start := 0; start < MaxAddresses; start += wire.MaxAddrPerMsg {
		batch := make([]wire.NetAddress, wire.MaxAddrPerMsg)
		for i := range batch {
			batch[i] = routableAddr(start+i, now)
		}
		am.AddAddresses(batch, "src")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := am.GetAddress(); err != nil {
			b.Fatalf("GetAddress: %v", err)
		}
	}
}

// BenchmarkAddressCache measures building a getaddr answer from a full
// book.
func BenchmarkAddressCache(b *testing.B) {
	am, clock := newTestAddrManager(b, "", false)
	now := clock.now().Unix()
	for start := 0; start < MaxAddresses; start += wire.MaxAddrPerMsg {
		batch := make([]wire.NetAddress, wire.MaxAddrPerMsg)
		for i := range batch {
			batch[i] = routableAddr(start+i, now)
		}
		am.AddAddresses(batch, "src")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		am.AddressCache()
	}
}
