package keys

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Key file format: the private key as 64 lower-case hex characters and a
// newline, nothing else, in a file of mode 0600. Readers accept surrounding
// white space (an editor's trailing newline) but nothing more.

// KeyFileMode is the permission a key file is created with: readable and
// writable by its owner only.
const KeyFileMode fs.FileMode = 0o600

// maxKeyFileSize bounds what LoadKeyFile reads, so pointing it at a large
// file by mistake costs nothing; a key file is 65 bytes.
const maxKeyFileSize = 1024

// LoadKeyFile reads the private key in the key file at path. On Unix it
// refuses a file that group or other users may read or write, as ssh does,
// because such a key must be assumed known to others.
func LoadKeyFile(path string) (*btcec.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, keyError(ErrKeyFile, fmt.Sprintf("key file %s is not a regular file", path))
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, keyError(ErrKeyFile, fmt.Sprintf(
			"key file %s has mode %04o, which lets other users read or change it; "+
				"run chmod 600 on it", path, info.Mode().Perm()))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load key file: %w", err)
	}
	if len(b) > maxKeyFileSize {
		return nil, keyError(ErrKeyFile, fmt.Sprintf(
			"key file %s is over %d bytes, so it is not a key file", path, maxKeyFileSize))
	}
	priv, err := ParsePrivateKeyHex(string(b))
	if err != nil {
		return nil, keyError(ErrKeyFile, fmt.Sprintf("key file %s: %v", path, err))
	}
	return priv, nil
}

// WriteKeyFile writes priv to a new key file at path with mode 0600,
// creating missing parent directories with mode 0700. It never overwrites:
// if path exists the error is ErrKeyFileExists, so a key that may hold coins
// is never lost to a typo.
func WriteKeyFile(path string, priv *btcec.PrivateKey) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("write key file: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, KeyFileMode)
	if errors.Is(err, fs.ErrExist) {
		return keyError(ErrKeyFileExists, fmt.Sprintf(
			"key file %s already exists; refusing to overwrite it", path))
	}
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	_, err = f.WriteString(EncodePrivateKeyHex(priv) + "\n")
	if err == nil {
		// The key must be on disk before anything is paid to it.
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// A partial key file would fail every later load; remove it so
		// the next attempt starts clean.
		os.Remove(path)
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}

// LoadOrCreateKeyFile returns the private key in the key file at path,
// creating the file with a new key first if it does not exist. created
// reports whether it did, so the caller can log the new public key. Two
// processes racing to create the file end up with the same key.
func LoadOrCreateKeyFile(path string) (priv *btcec.PrivateKey, created bool, err error) {
	priv, err = LoadKeyFile(path)
	if err == nil {
		return priv, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	priv, _, err = GenerateKey()
	if err != nil {
		return nil, false, err
	}
	err = WriteKeyFile(path, priv)
	if errors.Is(err, ErrKeyFileExists) {
		// Another process created it between our load and write.
		priv, err = LoadKeyFile(path)
		return priv, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return priv, true, nil
}
