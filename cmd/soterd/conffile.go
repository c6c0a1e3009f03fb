package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/soterdag/soterd/config"
)

// loadConfig loads the configuration. On the very first start, when the conf
// file does not exist yet, it writes one so that soterctl (which reads
// soterd.conf) finds the credentials the RPC server uses: those given on the
// command line, or else a random RPC user and password, as btcd does; then
// it loads again. With --norpc it writes nothing, since a file without
// credentials would leave RPC off on the next start too.
func loadConfig(args []string) (*config.Config, error) {
	cfg, rest, err := config.Load(args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("unexpected arguments %q (soterd takes only options; see --help)",
			strings.Join(rest, " "))
	}
	if cfg.ShowVersion || (cfg.DisableRPC && !cfg.RPCOffForCredentials) {
		return cfg, nil
	}
	// Nothing comes from the conf file when it does not exist, so the
	// credentials here, if any, are the command line's.
	creds := confCredentials{
		user: cfg.RPCUser, pass: cfg.RPCPass,
		limitUser: cfg.RPCLimitUser, limitPass: cfg.RPCLimitPass,
	}
	given := creds.user != "" || creds.limitUser != ""
	if !given {
		if creds.user, err = randomToken(12); err != nil {
			return nil, err
		}
		if creds.pass, err = randomToken(24); err != nil {
			return nil, err
		}
	}
	created, err := createDefaultConfFile(cfg.ConfigFile, creds)
	if err != nil {
		return nil, err
	}
	if !created {
		return cfg, nil
	}
	cfg, _, err = config.Load(args)
	if err != nil {
		return nil, err
	}
	what := "a random RPC user and password"
	if given {
		what = "the RPC credentials given on the command line"
	}
	cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("Created %s with %s; "+
		"soterctl reads them from there", cfg.ConfigFile, what))
	return cfg, nil
}

// confCredentials are the RPC credentials a first-start conf file holds;
// an empty user leaves its pair out.
type confCredentials struct {
	user, pass           string
	limitUser, limitPass string
}

// createDefaultConfFile writes a minimal conf file holding creds at path
// unless a file is already there. It reports whether it wrote one.
func createDefaultConfFile(path string, creds confCredentials) (bool, error) {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	// A line break in a value given on the command line would end the
	// option's line and start another: leave such a file unwritten.
	for _, v := range []string{creds.user, creds.pass, creds.limitUser, creds.limitPass} {
		if strings.ContainsAny(v, "\r\n") {
			return false, nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("create the conf file's directory: %w", err)
	}
	content := "; soterd configuration, written on first start.\n" +
		"; Every option is described in sample-soterd.conf in the source tree.\n\n"
	if creds.user != "" {
		content += "rpcuser=" + creds.user + "\n" + "rpcpass=" + creds.pass + "\n"
	}
	if creds.limitUser != "" {
		content += "rpclimituser=" + creds.limitUser + "\n" + "rpclimitpass=" + creds.limitPass + "\n"
	}
	// O_EXCL: never overwrite a file another process wrote meanwhile.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("write the conf file %s: %w", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return false, fmt.Errorf("write the conf file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return false, fmt.Errorf("write the conf file %s: %w", path, err)
	}
	return true, nil
}

// randomToken returns n random bytes as URL-safe base64, safe in a conf
// file and in HTTP basic auth.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
