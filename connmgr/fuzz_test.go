package connmgr

import (
	"sort"
	"testing"

	"github.com/soterdag/soterd/wire"
)

// FuzzDecodeBans checks that any bans.json decodes without panicking and
// that what decodes survives encode -> decode unchanged.
func FuzzDecodeBans(f *testing.F) {
	f.Add([]byte(`{"version":1,"bans":[{"host":"1.2.3.4","until":"2030-01-02T03:04:05Z","reason":"x"}]}`))
	f.Add([]byte(`{"version":1,"bans":[{"host":"[2001:db8::1]:5","until":"2030-01-02T03:04:05.123456789+02:00"},{"host":"1.2.3.4"}]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		bans, err := decodeBans(data)
		if err != nil {
			return
		}
		list := make([]BanInfo, 0, len(bans))
		for _, b := range bans {
			list = append(list, b)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Host < list[j].Host })
		enc, err := encodeBans(list)
		if err != nil {
			// A time outside what JSON can carry (a year past 9999)
			// decodes but cannot be encoded; Save reports it.
			return
		}
		again, err := decodeBans(enc)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if len(again) != len(bans) {
			t.Fatalf("round trip: %d bans, want %d", len(again), len(bans))
		}
		for k, b := range bans {
			a, ok := again[k]
			if !ok || a.Host != b.Host || a.Reason != b.Reason || !a.Until.Equal(b.Until) {
				t.Fatalf("round trip of %s: got %+v, want %+v", k, a, b)
			}
		}
	})
}

// FuzzDecodePeers checks that any peers.json decodes without panicking,
// within the bound, and that what decodes survives encode -> decode.
func FuzzDecodePeers(f *testing.F) {
	netName := wire.SimNet.String()
	f.Add([]byte(`{"version":1,"network":"simnet","addresses":[{"addr":"8.8.8.8:18555","services":1,"timestamp":1700000000,"source":"1.1.1.1:1","attempts":2,"lastattempt":1700000001,"lastsuccess":1700000002}]}`))
	f.Add([]byte(`{"version":1,"network":"simnet","addresses":[{"addr":"[2a00:1450::1]:1"},{"addr":"8.8.8.8:0"},{"addr":"10.0.0.1:5"},{"addr":"::ffff:8.8.8.8:1"}]}`))
	f.Add([]byte(`{"version":1,"network":"mainnet"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		am := &AddrManager{}
		list, err := decodePeers(data, netName, am.acceptable)
		if err != nil {
			return
		}
		if len(list) > MaxAddresses {
			t.Fatalf("decoded %d addresses, over %d", len(list), MaxAddresses)
		}
		enc, err := encodePeers(list, netName)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		again, err := decodePeers(enc, netName, am.acceptable)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if len(again) != len(list) {
			t.Fatalf("round trip: %d addresses, want %d", len(again), len(list))
		}
		for i := range list {
			a, b := again[i], list[i]
			if a.key != b.key || a.src != b.src || a.attempts != b.attempts ||
				a.na.Timestamp != b.na.Timestamp || a.na.Services != b.na.Services ||
				!a.na.IP.Equal(b.na.IP) || a.na.Port != b.na.Port ||
				!a.lastAttempt.Equal(b.lastAttempt) || !a.lastSuccess.Equal(b.lastSuccess) {
				t.Fatalf("round trip of entry %d: got %+v, want %+v", i, a, b)
			}
		}
	})
}
