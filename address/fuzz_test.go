package address

import (
	"testing"
)

// FuzzParse checks that Parse never panics and that every key it accepts
// encodes to an address that decodes to the same key.
func FuzzParse(f *testing.F) {
	f.Add("soter1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqdtykwq")
	f.Add(Encode("soter", genKey(f)))
	f.Add(genX)
	f.Add("sotertest1qqqqq")
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := Parse("soter", s)
		if err != nil {
			return
		}
		back, err := Decode("soter", Encode("soter", pub))
		if err != nil || back != pub {
			t.Fatalf("%q: key %x does not round trip: %v", s, pub, err)
		}
	})
}
