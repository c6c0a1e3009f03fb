package rpcclient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	home := t.TempDir()
	conf := filepath.Join(home, "soterd.conf")
	if err := os.WriteFile(conf, []byte("[Application Options]\n; c\nrpcuser = alice\nrpcpass=secret\nother=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		opts       ConnOptions
		network    string
		server     string
		user, pass string
		cert       string
		err        string
	}{
		{name: "defaults", network: "mainnet", server: "127.0.0.1:18912",
			cert: filepath.Join(home, ".soterd", "rpc.cert")},
		{name: "simnet", opts: ConnOptions{SimNet: true}, network: "simnet", server: "127.0.0.1:18942"},
		{name: "regtest host", opts: ConnOptions{RegTest: true, RPCServer: "node.example"},
			network: "regtest", server: "node.example:18932"},
		{name: "ipv6 host", opts: ConnOptions{RPCServer: "::1"}, network: "mainnet", server: "[::1]:18912"},
		{name: "host and port", opts: ConnOptions{TestNet: true, RPCServer: "10.0.0.1:5"},
			network: "testnet", server: "10.0.0.1:5"},
		{name: "credentials from soterd", opts: ConnOptions{SoterdConfig: conf}, network: "mainnet",
			user: "alice", pass: "secret"},
		{name: "given credentials win", opts: ConnOptions{SoterdConfig: conf, RPCUser: "bob"},
			network: "mainnet", user: "bob"},
		{name: "cert given", opts: ConnOptions{RPCCert: "/x.pem"}, network: "mainnet", cert: "/x.pem"},
		{name: "missing named soterd config", opts: ConnOptions{SoterdConfig: filepath.Join(home, "none")},
			err: "none"},
		{name: "two networks", opts: ConnOptions{SimNet: true, RegTest: true}, err: "at most one"},
	}
	for _, test := range tests {
		o := test.opts
		params, err := o.Resolve(home)
		if test.err != "" {
			if err == nil || !strings.Contains(err.Error(), test.err) {
				t.Errorf("%s: got %v, want an error with %q", test.name, err, test.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", test.name, err)
			continue
		}
		if params.Name != test.network {
			t.Errorf("%s: network %s, want %s", test.name, params.Name, test.network)
		}
		if test.server != "" && o.RPCServer != test.server {
			t.Errorf("%s: server %s, want %s", test.name, o.RPCServer, test.server)
		}
		if o.RPCUser != test.user || o.RPCPass != test.pass {
			t.Errorf("%s: credentials %q %q, want %q %q", test.name, o.RPCUser, o.RPCPass, test.user, test.pass)
		}
		if test.cert != "" && o.RPCCert != test.cert {
			t.Errorf("%s: cert %s, want %s", test.name, o.RPCCert, test.cert)
		}
	}
}

func TestTLSConfigAndURL(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "bad.pem")
	os.WriteFile(notPEM, []byte("not pem"), 0o600)
	tests := []struct {
		name  string
		opts  ConnOptions
		nilOK bool
		http  string
		ws    string
		err   string
	}{
		{name: "notls", opts: ConnOptions{NoTLS: true, RPCServer: "h:1"}, nilOK: true,
			http: "http://h:1/", ws: "ws://h:1/ws"},
		{name: "skipverify", opts: ConnOptions{SkipVerify: true, RPCServer: "h:1", RPCCert: notPEM},
			http: "https://h:1/", ws: "wss://h:1/ws"},
		{name: "missing cert", opts: ConnOptions{RPCCert: filepath.Join(dir, "none")}, err: "rpccert"},
		{name: "not PEM", opts: ConnOptions{RPCCert: notPEM}, err: "PEM"},
	}
	for _, test := range tests {
		cfg, err := test.opts.TLSConfig()
		if test.err != "" {
			if err == nil || !strings.Contains(err.Error(), test.err) {
				t.Errorf("%s: got %v, want an error with %q", test.name, err, test.err)
			}
			continue
		}
		if err != nil || (cfg == nil) != test.nilOK {
			t.Errorf("%s: config %v, error %v", test.name, cfg, err)
		}
		if got := test.opts.URL("/", false); got != test.http {
			t.Errorf("%s: URL %s, want %s", test.name, got, test.http)
		}
		if got := test.opts.URL("/ws", true); got != test.ws {
			t.Errorf("%s: websocket URL %s, want %s", test.name, got, test.ws)
		}
	}
}
