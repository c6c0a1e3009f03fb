//go:build windows

package database

import (
	"syscall"
	"unsafe"
)

var procGetDiskFreeSpaceEx = syscall.NewLazyDLL("kernel32.dll").NewProc("GetDiskFreeSpaceExW")

// freeSpace returns the bytes the process may still write on the volume
// that holds path.
func freeSpace(path string) (uint64, bool, error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return 0, false, err
	}
	var avail uint64
	r, _, err := procGetDiskFreeSpaceEx.Call(uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&avail)), 0, 0)
	if r == 0 {
		return 0, false, err
	}
	return avail, true, nil
}
