//go:build linux || darwin || freebsd

package database

import "syscall"

// freeSpace returns the bytes an unprivileged process may still write on
// the file system that holds path (the blocks reserved for root do not
// count: the node does not run as root).
func freeSpace(path string) (uint64, bool, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, false, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true, nil
}
