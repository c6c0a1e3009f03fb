package address

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/soterdag/soterd/internal/bech32"
	"github.com/soterdag/soterd/wire"
)

// genX is the x coordinate of the secp256k1 generator, a valid x-only key.
const genX = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"

func genKey(t testing.TB) [wire.PubKeySize]byte {
	var pub [wire.PubKeySize]byte
	b, _ := hex.DecodeString(genX)
	copy(pub[:], b)
	return pub
}

func TestRoundTrip(t *testing.T) {
	pub := genKey(t)
	for _, prefix := range []string{"soter", "sotertest", "soterreg", "sotersim"} {
		a := Encode(prefix, pub)
		if !strings.HasPrefix(a, prefix+"1q") {
			t.Errorf("%s: got %s, want prefix %s1q", prefix, a, prefix)
		}
		got, err := Decode(prefix, a)
		if err != nil || got != pub {
			t.Errorf("%s: got %x, %v; want %x", prefix, got, err, pub)
		}
		// Upper case (QR codes) decodes too.
		got, err = Parse(prefix, strings.ToUpper(a))
		if err != nil || got != pub {
			t.Errorf("%s upper case: got %x, %v", prefix, got, err)
		}
	}
}

// TestEveryTypoRefused changes each character of the data part to every
// other alphabet character: no single typo gives a usable address.
func TestEveryTypoRefused(t *testing.T) {
	const alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	a := Encode("soter", genKey(t))
	for i := len("soter1"); i < len(a); i++ {
		for _, c := range alphabet {
			if byte(c) == a[i] {
				continue
			}
			typo := a[:i] + string(c) + a[i+1:]
			if _, err := Parse("soter", typo); !errors.Is(err, ErrChecksum) {
				t.Fatalf("%s: got %v, want %v", typo, err, ErrChecksum)
			}
		}
	}
	// A dropped character is refused too.
	if _, err := Parse("soter", a[:20]+a[21:]); err == nil {
		t.Errorf("address with a dropped character was accepted")
	}
}

func TestRefused(t *testing.T) {
	pub := genKey(t)
	mk := func(prefix string, data []byte) string {
		s, err := bech32.Encode(prefix, data)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	groups, _ := bech32.ConvertBits(pub[:], 8, 5, true)
	var notOnCurve [32]byte // x = 0 is not on secp256k1
	zeroGroups, _ := bech32.ConvertBits(notOnCurve[:], 8, 5, true)
	tests := []struct {
		name string
		s    string
		want ErrorKind
	}{
		{"other network", Encode("sotertest", pub), ErrWrongNetwork},
		{"version 1", mk("soter", append([]byte{1}, groups...)), ErrVersion},
		{"short", mk("soter", append([]byte{0}, groups[:40]...)), ErrVersion},
		{"no data", mk("soter", nil), ErrVersion},
		{"not on curve", mk("soter", append([]byte{0}, zeroGroups...)), ErrBadKey},
		{"hex not on curve", strings.Repeat("00", 32), ErrBadKey},
		{"garbage", "hello", ErrMalformed},
		{"empty", "", ErrMalformed},
	}
	for _, tc := range tests {
		_, err := Parse("soter", tc.s)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseHexKey(t *testing.T) {
	pub := genKey(t)
	got, err := Parse("soter", "  "+strings.ToUpper(genX)+"\n")
	if err != nil || got != pub {
		t.Errorf("got %x, %v; want %x", got, err, pub)
	}
}

// TestErrorMessages checks that the messages tell a person what happened.
func TestErrorMessages(t *testing.T) {
	a := Encode("soter", genKey(t))
	typo := a[:10] + "q" + a[11:]
	if typo == a {
		typo = a[:10] + "p" + a[11:]
	}
	_, err := Parse("soter", typo)
	if err == nil || !strings.Contains(err.Error(), "typo") {
		t.Errorf("typo: got %v, want a message naming the typo", err)
	}
	_, err = Parse("soterreg", a)
	if err == nil || !strings.Contains(err.Error(), "another network") {
		t.Errorf("wrong network: got %v", err)
	}
}
