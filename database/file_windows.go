package database

import (
	"errors"
	"syscall"
)

// errSharingViolation is the Windows error ERROR_SHARING_VIOLATION, which
// LevelDB's file storage gets when another handle holds the LOCK file open
// without sharing.
const errSharingViolation = syscall.Errno(32)

// isLockHeld reports whether err, from opening LevelDB's file storage, means
// that another open file holds the LOCK file.
func isLockHeld(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && errno == errSharingViolation
}

// syncDir does nothing on Windows: a directory cannot be opened for flushing
// there, and NTFS journals directory entries with the file's own metadata.
func syncDir(dir string) error {
	return nil
}
