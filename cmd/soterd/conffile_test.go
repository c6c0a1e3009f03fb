package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFirstStartWritesCredentials checks that the first start writes a conf
// file with random RPC credentials that the loaded config uses, that a
// second start keeps the file as it is, and that every start gets the same
// credentials.
func TestFirstStartWritesCredentials(t *testing.T) {
	home := t.TempDir()
	args := []string{"--regtest", "--appdata=" + home}
	cfg, err := loadConfig(args)
	if err != nil {
		t.Fatalf("first load: %v", err)
	}
	confPath := filepath.Join(home, "soterd.conf")
	data, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatalf("conf file not written: %v", err)
	}
	if cfg.RPCUser == "" || cfg.RPCPass == "" || cfg.DisableRPC {
		t.Fatalf("got user %q, pass set %v, RPC disabled %v; want credentials and RPC on",
			cfg.RPCUser, cfg.RPCPass != "", cfg.DisableRPC)
	}
	if !strings.Contains(string(data), "rpcuser="+cfg.RPCUser+"\n") ||
		!strings.Contains(string(data), "rpcpass="+cfg.RPCPass+"\n") {
		t.Fatalf("conf file does not hold the loaded credentials:\n%s", data)
	}
	info, err := os.Stat(confPath)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("conf file mode %o, want 600", perm)
	}

	again, err := loadConfig(args)
	if err != nil {
		t.Fatalf("second load: %v", err)
	}
	if again.RPCUser != cfg.RPCUser || again.RPCPass != cfg.RPCPass {
		t.Errorf("second start changed the credentials")
	}
	after, _ := os.ReadFile(confPath)
	if string(after) != string(data) {
		t.Errorf("second start rewrote the conf file")
	}

	other, err := loadConfig([]string{"--regtest", "--appdata=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if other.RPCUser == cfg.RPCUser || other.RPCPass == cfg.RPCPass {
		t.Errorf("two homes got the same random credentials")
	}
}

// TestExistingConfKept checks that an existing conf file without RPC
// credentials is left alone: RPC stays off, with a warning.
func TestExistingConfKept(t *testing.T) {
	home := t.TempDir()
	confPath := filepath.Join(home, "soterd.conf")
	if err := os.WriteFile(confPath, []byte("maxpeers=70\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig([]string{"--regtest", "--appdata=" + home})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxPeers != 70 || !cfg.DisableRPC || len(cfg.Warnings) == 0 {
		t.Errorf("got maxpeers %d, RPC disabled %v, %d warnings; want 70, true, a warning",
			cfg.MaxPeers, cfg.DisableRPC, len(cfg.Warnings))
	}
	data, _ := os.ReadFile(confPath)
	if string(data) != "maxpeers=70\n" {
		t.Errorf("existing conf file was changed: %q", data)
	}
}

// TestLoadConfigErrors checks that stray arguments and bad options are
// refused with a message naming them.
func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"stray argument", []string{"--regtest", "extra"}, "unexpected arguments"},
		{"bad value", []string{"--regtest", "--maxpeers=-3"}, "maxpeers"},
		{"unknown option", []string{"--regtest", "--nosuchoption"}, "nosuchoption"},
	}
	for _, test := range tests {
		args := append([]string{"--appdata=" + t.TempDir()}, test.args...)
		_, err := loadConfig(args)
		if err == nil || !strings.Contains(err.Error(), test.want) {
			t.Errorf("%s: got %v, want an error mentioning %q", test.name, err, test.want)
		}
	}
}

// TestFirstStartKeepsGivenCredentials checks that a first start with
// credentials or --norpc on the command line does not write random
// credentials that soterctl would then use against a server that does not
// know them.
func TestFirstStartKeepsGivenCredentials(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantFile  bool
		wantLines []string
	}{
		{"admin pair", []string{"--rpcuser=alice", "--rpcpass=secret1"}, true,
			[]string{"rpcuser=alice\n", "rpcpass=secret1\n"}},
		{"limited pair", []string{"--rpclimituser=bob", "--rpclimitpass=secret2"}, true,
			[]string{"rpclimituser=bob\n", "rpclimitpass=secret2\n"}},
		{"norpc", []string{"--norpc"}, false, nil},
	}
	for _, test := range tests {
		home := t.TempDir()
		args := append([]string{"--regtest", "--appdata=" + home}, test.args...)
		cfg, err := loadConfig(args)
		if err != nil {
			t.Fatalf("%s: %v", test.name, err)
		}
		data, err := os.ReadFile(filepath.Join(home, "soterd.conf"))
		if (err == nil) != test.wantFile {
			t.Errorf("%s: conf file written %v, want %v", test.name, err == nil, test.wantFile)
			continue
		}
		for _, line := range test.wantLines {
			if !strings.Contains(string(data), line) {
				t.Errorf("%s: conf file lacks %q:\n%s", test.name, line, data)
			}
		}
		if test.wantFile && strings.Count(string(data), "pass=") != 1 {
			t.Errorf("%s: conf file holds other credentials too:\n%s", test.name, data)
		}
		if test.name == "admin pair" && (cfg.RPCUser != "alice" || cfg.RPCPass != "secret1") {
			t.Errorf("%s: loaded user %q, want alice/secret1", test.name, cfg.RPCUser)
		}
		if test.name == "norpc" && !cfg.DisableRPC {
			t.Errorf("%s: RPC on, want off", test.name)
		}
	}
}
