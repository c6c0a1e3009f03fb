//go:build unix

package database

import (
	"errors"
	"os"
	"syscall"
)

// isLockHeld reports whether err, from opening LevelDB's file storage, means
// that another open file holds the LOCK file. LevelDB returns the bare errno
// of flock (or of fcntl on some systems), while a failure to open or create
// the LOCK file itself comes wrapped in an *os.PathError and is not a lock
// conflict.
func isLockHeld(err error) bool {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return false
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	return errno == syscall.EWOULDBLOCK || errno == syscall.EAGAIN ||
		errno == syscall.EACCES
}

// syncDir flushes the directory entries of dir to the disk, so that files
// created in it (a new journal) survive a power loss.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
