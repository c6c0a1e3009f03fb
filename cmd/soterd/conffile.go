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
// file does not exist yet, it writes one with a random RPC user and
// password, as btcd does, so the RPC server and soterctl (which reads
// soterd.conf) work without any set-up; then it loads again.
func loadConfig(args []string) (*config.Config, error) {
	cfg, rest, err := config.Load(args)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("unexpected arguments %q (soterd takes only options; see --help)",
			strings.Join(rest, " "))
	}
	if cfg.ShowVersion {
		return cfg, nil
	}
	created, err := createDefaultConfFile(cfg.ConfigFile)
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
	cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("Created %s with a random RPC "+
		"user and password; soterctl reads them from there", cfg.ConfigFile))
	return cfg, nil
}

// createDefaultConfFile writes a minimal conf file with random RPC
// credentials at path unless a file is already there. It reports whether it
// wrote one.
func createDefaultConfFile(path string) (bool, error) {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	user, err := randomToken(12)
	if err != nil {
		return false, err
	}
	pass, err := randomToken(24)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("create the conf file's directory: %w", err)
	}
	content := "; soterd configuration, written on first start.\n" +
		"; Every option is described in sample-soterd.conf in the source tree.\n\n" +
		"rpcuser=" + user + "\n" +
		"rpcpass=" + pass + "\n"
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
