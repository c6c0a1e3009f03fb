// Package logrotate implements a size-based rotating log file writer.
//
// A Writer is an io.WriteCloser for the daemon's log backend. Write copies
// the bytes into a bounded in-memory buffer and returns at once; one
// goroutine owned by the Writer appends the buffer to the file and rotates
// it. So a slow or hung disk never blocks a caller of Write: when the buffer
// is full, the message is dropped and counted, and a line saying how much was
// lost is written to the file once the disk accepts writes again.
//
// Rotation happens before a write that would take the file past MaxSize: the
// file becomes Filename.1, Filename.1 becomes Filename.2 and so on, and the
// oldest beyond MaxBackups is removed. With Compress the rotated file is
// gzipped to Filename.1.gz. The bytes of one Write call are never split
// across two files; a single Write larger than MaxSize gets a file of its
// own.
//
// Package logrotate does not format, timestamp or filter log lines (that is
// the log backend's job), does not rotate by age, and does not react to
// signals; the file it writes is its own, not shared with another process.
package logrotate
