package database

import "fmt"

// FreeSpace returns the bytes that can still be written on the file system
// that holds path, an existing file or directory. ok is false on systems
// where this package does not measure it.
func FreeSpace(path string) (free uint64, ok bool, err error) {
	free, ok, err = freeSpace(path)
	if err != nil {
		return 0, false, dbError(ErrIO, fmt.Sprintf("free space of %s: %v", path, err))
	}
	return free, ok, nil
}
