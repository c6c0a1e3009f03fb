package wire

import (
	"bytes"
	"testing"
)

// TestVersionLowestHeight checks the pruned node's lowest height: on the
// wire after the tips only with SFNodePruned, and decoded back.
func TestVersionLowestHeight(t *testing.T) {
	tests := []struct {
		name     string
		services ServiceFlag
		lowest   uint32
		tail     []byte // the bytes after the tips
		want     uint32 // decoded LowestHeight
	}{
		{"archive", SFNodeNetwork, 0x01020304, nil, 0},
		{"pruned", SFNodeNetwork | SFNodePruned, 0x01020304, []byte{4, 3, 2, 1}, 0x01020304},
		{"pruned at zero", SFNodePruned, 0, []byte{0, 0, 0, 0}, 0},
	}
	for _, test := range tests {
		m := fxVersion()
		m.Services, m.LowestHeight = test.services, test.lowest
		base := fxVersion()
		base.Services = test.services &^ SFNodePruned
		b, err := m.Encode(nil, ProtocolVersion)
		if err != nil {
			t.Fatalf("%s: encode: %v", test.name, err)
		}
		bb, _ := base.Encode(nil, ProtocolVersion)
		// The services field differs; compare lengths and the tail.
		if got := b[len(bb):]; !bytes.Equal(got, test.tail) {
			t.Errorf("%s: tail %x, want %x", test.name, got, test.tail)
		}
		var d MsgVersion
		if err := d.Decode(b, ProtocolVersion); err != nil {
			t.Fatalf("%s: decode: %v", test.name, err)
		}
		if d.LowestHeight != test.want || d.Services != test.services {
			t.Errorf("%s: decoded services %v lowest %d, want %v %d", test.name,
				d.Services, d.LowestHeight, test.services, test.want)
		}
		if uint32(len(b)) > m.MaxPayloadLength(ProtocolVersion) {
			t.Errorf("%s: %d bytes over the limit", test.name, len(b))
		}
	}
	// The pruned flag without the height is truncated.
	m := fxVersion()
	b, _ := m.Encode(nil, ProtocolVersion)
	b[4] |= byte(SFNodePruned)
	var d MsgVersion
	if err := d.Decode(b, ProtocolVersion); err == nil {
		t.Errorf("a pruned version without its lowest height decoded")
	}
	if got := (SFNodeNetwork | SFNodePruned | 1<<5).String(); got != "SFNodeNetwork|SFNodePruned|0x20" {
		t.Errorf("flags %q", got)
	}
}
