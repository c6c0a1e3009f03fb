package rpcclient

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/soterdag/soterd/blockdag"
)

// ConnOptions say how to reach and log in to soterd's RPC server. Commands
// embed it in their go-flags options struct, so every client spells these
// options the same way.
type ConnOptions struct {
	SoterdConfig string `long:"soterdconfig" description:"soterd config file to read rpcuser/rpcpass from (default ~/.soterd/soterd.conf)"`
	RPCUser      string `short:"u" long:"rpcuser" description:"RPC user name"`
	RPCPass      string `short:"P" long:"rpcpass" default-mask:"-" description:"RPC password"`
	RPCServer    string `short:"s" long:"rpcserver" description:"RPC server host[:port] (default 127.0.0.1 and the network's RPC port)"`
	RPCCert      string `short:"c" long:"rpccert" description:"Certificate of the RPC server (default ~/.soterd/rpc.cert)"`
	NoTLS        bool   `long:"notls" description:"Use plain HTTP"`
	SkipVerify   bool   `long:"skipverify" description:"Do not verify the server's certificate (testing only)"`
	TestNet      bool   `long:"testnet" description:"Use the test network's RPC port"`
	RegTest      bool   `long:"regtest" description:"Use the regression test network's RPC port"`
	SimNet       bool   `long:"simnet" description:"Use the simulation network's RPC port"`
}

// Resolve fills in the defaults of the options left empty and returns the
// network they select: the credentials from soterd's config file when
// neither a user nor a password is given, the server's address with the
// network's RPC port, and the certificate file. home is the user's home
// directory.
func (o *ConnOptions) Resolve(home string) (*blockdag.Params, error) {
	if o.RPCUser == "" && o.RPCPass == "" {
		soterdConf := o.SoterdConfig
		if soterdConf == "" {
			soterdConf = filepath.Join(home, ".soterd", "soterd.conf")
		}
		user, pass, err := ReadSoterdCredentials(soterdConf)
		if err != nil && (o.SoterdConfig != "" || !errors.Is(err, os.ErrNotExist)) {
			return nil, fmt.Errorf("soterd config file %s: %w", soterdConf, err)
		}
		o.RPCUser, o.RPCPass = user, pass
	}

	nets := 0
	params := blockdag.MainNetParams()
	if o.TestNet {
		nets++
		params = blockdag.TestNetParams()
	}
	if o.RegTest {
		nets++
		params = blockdag.RegressionNetParams()
	}
	if o.SimNet {
		nets++
		params = blockdag.SimNetParams()
	}
	if nets > 1 {
		return nil, errors.New("testnet, regtest and simnet: choose at most one")
	}
	if o.RPCServer == "" {
		o.RPCServer = net.JoinHostPort("127.0.0.1", params.RPCPort)
	} else if _, _, err := net.SplitHostPort(o.RPCServer); err != nil {
		o.RPCServer = net.JoinHostPort(strings.Trim(o.RPCServer, "[]"), params.RPCPort)
	}
	if o.RPCCert == "" {
		o.RPCCert = filepath.Join(home, ".soterd", "rpc.cert")
	}
	return params, nil
}

// TLSConfig returns the TLS configuration for the options: nil with
// NoTLS, no verification with SkipVerify, else trusting the certificate
// file.
func (o *ConnOptions) TLSConfig() (*tls.Config, error) {
	if o.NoTLS {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.SkipVerify {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	pem, err := os.ReadFile(o.RPCCert)
	if err != nil {
		return nil, fmt.Errorf("rpccert: %w (use --rpccert, or --notls for a plain HTTP server)", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("rpccert: %s holds no PEM certificate", o.RPCCert)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// URL returns the server's URL for path ("/" for HTTP POST, "/ws" for the
// websocket), with the scheme the options' TLS setting implies.
func (o *ConnOptions) URL(path string, websocket bool) string {
	scheme := "http"
	if websocket {
		scheme = "ws"
	}
	if !o.NoTLS {
		scheme += "s"
	}
	return scheme + "://" + o.RPCServer + path
}

// ReadSoterdCredentials reads rpcuser and rpcpass from soterd's config
// file: "key=value" lines; sections, comments and other keys are ignored.
func ReadSoterdCredentials(path string) (user, pass string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' || line[0] == '#' || line[0] == '[' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "rpcuser":
			user = strings.TrimSpace(value)
		case "rpcpass":
			pass = strings.TrimSpace(value)
		}
	}
	return user, pass, sc.Err()
}
