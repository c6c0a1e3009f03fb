package rpcserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/soterdag/soterd/blockdag"
)

func TestGenCertPair(t *testing.T) {
	dir := t.TempDir()
	certFile := filepath.Join(dir, "sub", "rpc.cert")
	keyFile := filepath.Join(dir, "sub", "rpc.key")
	if err := GenCertPair(certFile, keyFile, []string{"node.example", "192.0.2.7", ""}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	b, _ := os.ReadFile(certFile)
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("cert is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"localhost", "node.example", "127.0.0.1", "192.0.2.7", "::1"} {
		if err := cert.VerifyHostname(host); err != nil {
			t.Errorf("cert not valid for %s: %v", host, err)
		}
	}
	if years := cert.NotAfter.Sub(cert.NotBefore).Hours() / 24 / 365; years < 9.9 {
		t.Errorf("cert valid for %.1f years, want 10", years)
	}
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		t.Errorf("pair does not load: %v", err)
	}
	// Leftover temporary files would clutter the data directory.
	entries, _ := os.ReadDir(filepath.Dir(certFile))
	if len(entries) != 2 {
		t.Errorf("directory holds %d files, want 2", len(entries))
	}

	// An unwritable location is an ErrCert.
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	err = GenCertPair(filepath.Join(blocker, "c"), filepath.Join(blocker, "k"), nil)
	if !errors.Is(err, ErrCert) {
		t.Errorf("got %v, want ErrCert", err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile := filepath.Join(dir, "rpc.cert")
	keyFile := filepath.Join(dir, "rpc.key")
	ts := newTestServer(t, func(c *Config, _ *fakes) {
		c.NoTLS = false
		c.RPCCert, c.RPCKey = certFile, keyFile
		// TLS may listen beyond loopback; the test still uses loopback.
	})
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatalf("certificate not generated on first start: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	url := "https://" + ts.Addrs()[0].String() + "/"
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"id":1,"method":"getblockcount"}`))
	req.SetBasicAuth(adminUser, adminPass)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("TLS request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HTTP %d", resp.StatusCode)
	}

	// Plain HTTP to a TLS listener gets no JSON-RPC answer.
	if resp, err := http.Post("http://"+ts.Addrs()[0].String()+"/", "application/json",
		strings.NewReader("{}")); err == nil {
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP served by a TLS listener")
		}
		resp.Body.Close()
	}

	// A second start reuses the pair instead of generating a new one.
	before, _ := os.ReadFile(certFile)
	params := blockdag.RegressionNetParams()
	s, err := New(&Config{ListenAddrs: []string{"127.0.0.1:0"}, RPCCert: certFile, RPCKey: keyFile,
		RPCUser: "u", RPCPass: "p", Params: params, DAG: newFakeDAG(params)})
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	after, _ := os.ReadFile(certFile)
	if string(before) != string(after) {
		t.Errorf("certificate regenerated although it existed")
	}

	// A key without its certificate is an error, not a silent overwrite.
	os.Remove(certFile)
	_, err = New(&Config{ListenAddrs: []string{"127.0.0.1:0"}, RPCCert: certFile, RPCKey: keyFile,
		RPCUser: "u", RPCPass: "p", Params: params, DAG: newFakeDAG(params)})
	if !errors.Is(err, ErrCert) {
		t.Errorf("missing cert with key present: got %v, want ErrCert", err)
	}
}
