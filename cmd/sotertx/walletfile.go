package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/soterdag/soterd/keys"
	"github.com/soterdag/soterd/wire"
)

// Wallet file format: text lines, in a file of mode 0600.
//
//	line                      meaning
//	soterwallet 1             format and version, the first line
//	network <name>            the network the keys' addresses are for
//	key <64 hex characters>   a private key, oldest first; one or more
//
// A wallet is a list of independent keys, not a seed: every new address
// is a new random key, so a backup taken before the newest address (a
// change address of the latest send, say) does not hold it. Back the file
// up after each send. Keys are stored in plain hex, protected only by the
// file's mode, as soterd's mining key is.

const walletHeader = "soterwallet 1"

// maxWalletKeys bounds the keys a wallet file may hold, and so what
// loading one reads: about 70 bytes a key.
const maxWalletKeys = 100_000

// maxWalletFileSize is the largest wallet file read.
const maxWalletFileSize = maxWalletKeys*72 + 1024

// wallet is a loaded wallet file.
type wallet struct {
	path    string
	network string
	keys    []*btcec.PrivateKey
	byPub   map[[wire.PubKeySize]byte]*btcec.PrivateKey
}

// newWallet returns an empty wallet for network, to be saved at path.
func newWallet(path, network string) *wallet {
	return &wallet{path: path, network: network, byPub: make(map[[wire.PubKeySize]byte]*btcec.PrivateKey)}
}

// add adds a key; it reports false when the wallet holds it already.
func (w *wallet) add(priv *btcec.PrivateKey) bool {
	pub := keys.PubKey(priv)
	if _, ok := w.byPub[pub]; ok {
		return false
	}
	if len(w.keys) >= maxWalletKeys {
		return false
	}
	w.keys = append(w.keys, priv)
	w.byPub[pub] = priv
	return true
}

// pubKeys returns the wallet's public keys, oldest first.
func (w *wallet) pubKeys() [][wire.PubKeySize]byte {
	out := make([][wire.PubKeySize]byte, len(w.keys))
	for i, k := range w.keys {
		out[i] = keys.PubKey(k)
	}
	return out
}

// loadWallet reads the wallet file at path. Like key files, on Unix it
// refuses a file that other users may read or write.
func loadWallet(path string) (*wallet, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no wallet file %s: make one with sotertx createwallet", path)
		}
		return nil, fmt.Errorf("open wallet file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open wallet file: %w", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("wallet file %s has mode %04o, which lets other users read or "+
			"change it; run chmod 600 on it", path, info.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxWalletFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read wallet file: %w", err)
	}
	if len(b) > maxWalletFileSize {
		return nil, fmt.Errorf("wallet file %s is over %d bytes: not a wallet file", path, maxWalletFileSize)
	}
	return parseWallet(path, b)
}

// parseWallet decodes a wallet file's contents.
func parseWallet(path string, b []byte) (*wallet, error) {
	bad := func(line int, format string, args ...interface{}) error {
		return fmt.Errorf("wallet file %s line %d: %s", path, line, fmt.Sprintf(format, args...))
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var w *wallet
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		switch {
		case n == 1:
			if line != walletHeader {
				return nil, bad(n, "not a wallet file (want %q first)", walletHeader)
			}
		case n == 2:
			name, ok := strings.CutPrefix(line, "network ")
			if !ok || name == "" {
				return nil, bad(n, "want \"network <name>\"")
			}
			w = newWallet(path, name)
		default:
			hexKey, ok := strings.CutPrefix(line, "key ")
			if !ok {
				return nil, bad(n, "want \"key <private key hex>\"")
			}
			priv, err := keys.ParsePrivateKeyHex(hexKey)
			if err != nil {
				return nil, bad(n, "%v", err)
			}
			if !w.add(priv) {
				return nil, bad(n, "the key is listed twice, or the file holds more than %d keys", maxWalletKeys)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wallet file %s: %w", path, err)
	}
	if w == nil || len(w.keys) == 0 {
		return nil, fmt.Errorf("wallet file %s holds no keys", path)
	}
	return w, nil
}

// encode returns the file's contents.
func (w *wallet) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nnetwork %s\n", walletHeader, w.network)
	for _, k := range w.keys {
		fmt.Fprintf(&b, "key %s\n", keys.EncodePrivateKeyHex(k))
	}
	return b.Bytes()
}

// save writes the wallet atomically: a temporary file beside it, flushed
// to disk, renamed over the old one. A crash leaves the old file or the
// new one, never a mix, so no key handed out is ever lost.
func (w *wallet) save() error {
	dir := filepath.Dir(w.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save wallet: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(w.path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save wallet: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(keys.KeyFileMode); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("save wallet: %w", err)
	}
	if _, err := tmp.Write(w.encode()); err != nil {
		tmp.Close()
		return fmt.Errorf("save wallet: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save wallet: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save wallet: %w", err)
	}
	if err := os.Rename(tmp.Name(), w.path); err != nil {
		return fmt.Errorf("save wallet: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
