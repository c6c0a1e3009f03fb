package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/soterdag/soterd/wire"
)

// TestAssumeValid checks --assumevalid: the network's default when unset,
// off with 0, a block hash in display order, and the errors of bad values.
func TestAssumeValid(t *testing.T) {
	const hash = "3f2c8d0c1d5e2a1b7c9e4f6a8b0d2c4e6f8a0b2c4d6e8f0a1b3c5d7e9f0a2b4c"
	want, err := wire.NewHashFromStr(hash)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		conf    string
		args    []string
		want    wire.Hash
		wantErr bool
	}{
		{name: "unset: the network's default, none yet"},
		{name: "flag", args: []string{"--assumevalid=" + hash}, want: *want},
		{name: "conf file", conf: "assumevalid=" + hash + "\n", want: *want},
		{name: "off", args: []string{"--assumevalid=0"}},
		{name: "flag turns the conf file's off", conf: "assumevalid=" + hash + "\n",
			args: []string{"--assumevalid=0"}},
		{name: "short", args: []string{"--assumevalid=abcd"}, wantErr: true},
		{name: "not hex", args: []string{"--assumevalid=" + strings.Repeat("z", 64)}, wantErr: true},
	}
	for _, test := range tests {
		cfg, _, err := load(t, test.conf, test.args...)
		if test.wantErr {
			if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "assumevalid") {
				t.Errorf("%s: got %v, want an ErrInvalidOption naming assumevalid", test.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if cfg.AssumeValidHash != test.want {
			t.Errorf("%s: got %s, want %s", test.name, cfg.AssumeValidHash, test.want)
		}
	}
}
