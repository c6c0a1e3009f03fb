package config

import (
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btclog"
	"github.com/soterdag/soterd/address"
	"github.com/soterdag/soterd/blockdag"
)

func TestParseDebugLevel(t *testing.T) {
	subs := []string{"DAG", "PEER", "SYNC"}
	tests := []struct {
		name  string
		spec  string
		level btclog.Level
		per   map[string]btclog.Level
		err   string // substring of the error; "" for success
	}{
		{"level", "debug", btclog.LevelDebug, map[string]btclog.Level{}, ""},
		{"short level", "trc", btclog.LevelTrace, map[string]btclog.Level{}, ""},
		{"upper case level", "WARN", btclog.LevelWarn, map[string]btclog.Level{}, ""},
		{"off", "off", btclog.LevelOff, map[string]btclog.Level{}, ""},
		{"pairs", "DAG=debug,PEER=trace", btclog.LevelInfo,
			map[string]btclog.Level{"DAG": btclog.LevelDebug, "PEER": btclog.LevelTrace}, ""},
		{"level and pairs", "error, sync = debug", btclog.LevelError,
			map[string]btclog.Level{"SYNC": btclog.LevelDebug}, ""},
		{"pair then level", "peer=critical,warn", btclog.LevelWarn,
			map[string]btclog.Level{"PEER": btclog.LevelCritical}, ""},
		{"empty", "", 0, nil, "debuglevel: empty"},
		{"blank", "  ", 0, nil, "debuglevel: empty"},
		{"empty item", "info,,DAG=debug", 0, nil, "debuglevel: empty item"},
		{"trailing comma", "info,", 0, nil, "debuglevel: empty item"},
		{"unknown level", "verbose", 0, nil, "debuglevel: unknown level \"verbose\" (want trace, debug, info, warn, error, critical or off)"},
		{"unknown pair level", "DAG=loud", 0, nil, "debuglevel: unknown level \"loud\""},
		{"unknown subsystem", "RPC=debug", 0, nil, "debuglevel: unknown subsystem \"RPC\" (want one of DAG, PEER, SYNC)"},
		{"empty subsystem", "=debug", 0, nil, "debuglevel: unknown subsystem \"\""},
		{"two levels", "info,debug", 0, nil, "debuglevel: more than one level"},
		{"subsystem twice", "DAG=info,dag=debug", 0, nil, "debuglevel: subsystem DAG given twice"},
		{"two equals", "DAG=debug=trace", 0, nil, "debuglevel: unknown level \"debug=trace\""},
	}
	for _, test := range tests {
		level, per, err := ParseDebugLevel(test.spec, subs)
		if test.err != "" {
			if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), test.err) {
				t.Errorf("%s: got error %v, want %q", test.name, err, test.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if level != test.level || !reflect.DeepEqual(per, test.per) {
			t.Errorf("%s: got %v %v, want %v %v", test.name, level, per,
				test.level, test.per)
		}
	}
}

func TestSubsystems(t *testing.T) {
	subs := Subsystems()
	for i := 1; i < len(subs); i++ {
		if subs[i-1] >= subs[i] {
			t.Errorf("not sorted and unique: %v", subs)
		}
	}
	for _, s := range subs {
		if _, _, err := ParseDebugLevel(s+"=debug", subs); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	// The result is a copy: changing it does not change the package's.
	subs[0] = "XXXX"
	if Subsystems()[0] == "XXXX" {
		t.Errorf("Subsystems returned the package's slice")
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  string
	}{
		{"0", 0, ""},
		{"0.00001", 1000, ""},
		{"1", blockdag.BaseUnitsPerCoin, ""},
		{"1.", blockdag.BaseUnitsPerCoin, ""},
		{".5", blockdag.BaseUnitsPerCoin / 2, ""},
		{"0.00000001", 1, ""},
		{" 12.345 ", 1_234_500_000, ""},
		{"210000000", blockdag.MaxSupply, ""},
		{"", 0, "is not an amount"},
		{".", 0, "is not an amount"},
		{"-1", 0, "is not an amount"},
		{"+1", 0, "is not an amount"},
		{"1e3", 0, "is not an amount"},
		{"1.2.3", 0, "is not an amount"},
		{"0x10", 0, "is not an amount"},
		{"1,5", 0, "is not an amount"},
		{"0.000000001", 0, "more than 8 decimal places"},
		{"210000000.00000001", 0, "more than the supply"},
		{"184467440737.09551615", 0, "more than the supply"},
		{"99999999999999999999999", 0, "more than the supply"},
	}
	for _, test := range tests {
		got, err := ParseAmount(test.in)
		if test.err != "" {
			if err == nil || !strings.Contains(err.Error(), test.err) {
				t.Errorf("%q: got %d, %v; want error %q", test.in, got, err, test.err)
			}
			continue
		}
		if err != nil || got != test.want {
			t.Errorf("%q: got %d, %v; want %d", test.in, got, err, test.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0"},
		{1, "0.00000001"},
		{1000, "0.00001"},
		{blockdag.BaseUnitsPerCoin, "1"},
		{150_000_000, "1.5"},
		{blockdag.MaxSupply, "210000000"},
	}
	for _, test := range tests {
		if got := FormatAmount(test.in); got != test.want {
			t.Errorf("%d: got %q, want %q", test.in, got, test.want)
		}
	}
}

func TestParseMiningAddr(t *testing.T) {
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	valid := schnorr.SerializePubKey(priv.PubKey())
	validHex := hex.EncodeToString(valid)

	// Find an x that is below the field prime but not on the curve.
	offCurve := ""
	for i := 0; i < 256 && offCurve == ""; i++ {
		x := make([]byte, 32)
		x[31] = byte(i)
		if _, err := schnorr.ParsePubKey(x); err != nil {
			offCurve = hex.EncodeToString(x)
		}
	}
	if offCurve == "" {
		t.Fatal("no small x off the curve")
	}

	addr := address.Encode("soter", [32]byte(valid))
	addrTypo := addr[:12] + "q" + addr[13:]
	if addrTypo == addr {
		addrTypo = addr[:12] + "p" + addr[13:]
	}
	tests := []struct {
		name string
		in   string
		err  string
	}{
		{"valid", validHex, ""},
		{"valid upper case", strings.ToUpper(validHex), ""},
		{"valid with spaces", " " + validHex + "\n", ""},
		{"valid address", addr, ""},
		{"address typo", addrTypo, "has a typo"},
		{"address of another network", address.Encode("sotertest", [32]byte(valid)), "another network"},
		{"empty", "", "is not an address"},
		{"short", validHex[:62], "is not an address"},
		{"long", validHex + "00", "is not an address"},
		{"compressed key", "02" + validHex, "is not an address"},
		{"not hex", "g" + validHex[1:], "is not an address"},
		{"above the field prime", strings.Repeat("ff", 32), "is not a valid public key"},
		{"off the curve", offCurve, "is not a valid public key"},
	}
	for _, test := range tests {
		key, err := ParseMiningAddr("soter", test.in)
		if test.err != "" {
			if err == nil || !strings.Contains(err.Error(), test.err) {
				t.Errorf("%s: got %v, want error %q", test.name, err, test.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if string(key[:]) != string(valid) {
			t.Errorf("%s: got %x, want %x", test.name, key, valid)
		}
	}
}

func TestNormalizeAddr(t *testing.T) {
	tests := []struct {
		in       string
		needHost bool
		zeroPort bool
		want     string
		err      string
	}{
		{"1.2.3.4", true, false, "1.2.3.4:100", ""},
		{"1.2.3.4:5", true, false, "1.2.3.4:5", ""},
		{" 1.2.3.4:05 ", true, false, "1.2.3.4:5", ""},
		{"::1", true, false, "[::1]:100", ""},
		{"[::1]", true, false, "[::1]:100", ""},
		{"[::1]:7", true, false, "[::1]:7", ""},
		{"fe80::1%eth0", true, false, "[fe80::1%eth0]:100", ""},
		{"localhost", true, false, "localhost:100", ""},
		{"node-1.example.org:8", true, false, "node-1.example.org:8", ""},
		{":9", false, false, ":9", ""},
		{"", false, false, "", "empty address"},
		{":9", true, false, "", "has no host"},
		{"h:0", false, true, "h:0", ""},
		{"h:0", false, false, "", "is not in 1..65535"},
		{"h:65536", false, true, "", "is not in 0..65535"},
		{"h:", false, false, "", "port \"\""},
		{"h:x", false, false, "", "port \"x\""},
		{"1:2:3", false, false, "", "is not a host"},
		{"[::1", false, false, "", "is not a host"},
		{"bad_host!", false, false, "", "is not an IP address or a host name"},
		{"a..b", false, false, "", "is not an IP address or a host name"},
		{strings.Repeat("a", 64) + ".org", false, false, "", "is not an IP address or a host name"},
	}
	for _, test := range tests {
		got, err := normalizeAddr("opt", test.in, "100", test.needHost, test.zeroPort)
		if test.err != "" {
			if err == nil || !strings.Contains(err.Error(), test.err) ||
				!strings.HasPrefix(err.Error(), "opt: ") {
				t.Errorf("%q: got %q, %v; want error %q", test.in, got, err, test.err)
			}
			continue
		}
		if err != nil || got != test.want {
			t.Errorf("%q: got %q, %v; want %q", test.in, got, err, test.want)
		}
	}
}

// FuzzParseAmount checks that ParseAmount never panics and that what it
// accepts formats and parses back to the same value.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "0.00001", "1.5", "210000000", ".1", "1.", "-1", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		units, err := ParseAmount(s)
		if err != nil {
			return
		}
		if units > blockdag.MaxSupply {
			t.Fatalf("%q: %d above the supply", s, units)
		}
		back, err := ParseAmount(FormatAmount(units))
		if err != nil || back != units {
			t.Fatalf("%q: %d formats as %q, which parses as %d, %v", s,
				units, FormatAmount(units), back, err)
		}
	})
}

// FuzzParseDebugLevel checks that ParseDebugLevel never panics and only
// returns known subsystems.
func FuzzParseDebugLevel(f *testing.F) {
	for _, s := range []string{"info", "DAG=debug,PEER=trace", "warn,sync=off", "", "=", ",,"} {
		f.Add(s)
	}
	subs := Subsystems()
	f.Fuzz(func(t *testing.T, spec string) {
		_, per, err := ParseDebugLevel(spec, subs)
		if err != nil {
			return
		}
		for tag := range per {
			found := false
			for _, s := range subs {
				found = found || s == tag
			}
			if !found {
				t.Fatalf("%q: unknown subsystem %q accepted", spec, tag)
			}
		}
	})
}

// FuzzConfFile checks that no conf file content makes the parser panic, and
// that every failure is an Error of one of the conf-file kinds.
func FuzzConfFile(f *testing.F) {
	for _, s := range []string{
		"maxpeers=5\n",
		"[Application Options]\nlisten=:1\n",
		"; comment\n# comment\n",
		"maxpeers=\"5\n",
		"[x]\n",
		"[\n",
		"a=b=c\n",
		"addpeer=1.2.3.4\naddpeer=5.6.7.8\n",
		"MaxPeers=1\nbanduration=1h\nnolisten=true\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := defaultConfig()
		parser, err := newParser(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = parseConfData(parser, "fuzz.conf", data)
		if err == nil {
			return
		}
		if !errors.Is(err, ErrUnknownOption) && !errors.Is(err, ErrInvalidOption) &&
			!errors.Is(err, ErrConfigFile) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
