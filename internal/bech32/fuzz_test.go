package bech32

import (
	"strings"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// encodes back to the same string in lower case and decodes again to the
// same parts.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"a1lqfn3a",
		"abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
		"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
		"1qyrz8wqd2c9m",
		"M1VUXWEZ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hrp, data, err := Decode(s)
		if err != nil {
			return
		}
		enc, err := Encode(hrp, data)
		if err != nil {
			t.Fatalf("%q decoded but does not encode: %v", s, err)
		}
		if enc != strings.ToLower(s) {
			t.Fatalf("%q encoded again as %q", s, enc)
		}
		hrp2, data2, err := Decode(enc)
		if err != nil || hrp2 != hrp || string(data2) != string(data) {
			t.Fatalf("%q: round trip changed the parts", s)
		}
		if b, err := ConvertBits(data, 5, 8, false); err == nil {
			back, err := ConvertBits(b, 8, 5, true)
			if err != nil || string(back) != string(data) {
				t.Fatalf("%q: bit conversion does not round trip", s)
			}
		}
	})
}
