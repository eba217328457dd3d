package main

import (
	"net"
	"syscall"
	"time"
	"unsafe"
)

// The system calls the event loop makes directly: it runs on one OS thread and must not hand
// its waits to Go's scheduler (see attack.go).

const (
	sysEpollPwait2 = 441 // the same number on every Linux architecture (≥ 5.11)
)

// pwait2Missing: the kernel has no epoll_pwait2 (before 5.11); waits round up to milliseconds.
var pwait2Missing bool

// epollWait waits for events at most `timeout` (negative: without limit).
func epollWait(epfd int, events []syscall.EpollEvent, timeout time.Duration) (int, error) {
	if timeout >= 0 && !pwait2Missing {
		ts := syscall.NsecToTimespec(int64(timeout))
		n, _, errno := syscall.Syscall6(sysEpollPwait2, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
		if errno == syscall.ENOSYS || errno == syscall.EPERM {
			// Before Linux 5.11, or a seccomp profile that refuses what it does not know.
			pwait2Missing = true
		} else if errno != 0 {
			return 0, errno
		} else {
			return int(n), nil
		}
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	return syscall.EpollWait(epfd, events, ms)
}

// setTimerSlack sets the calling thread's timer slack (PR_SET_TIMERSLACK); best effort.
func setTimerSlack(slack time.Duration) {
	syscall.RawSyscall(syscall.SYS_PRCTL, 29, uintptr(slack.Nanoseconds()), 0)
}

// sockaddr resolves host:port once, before the run.
func sockaddr(addr string) (syscall.Sockaddr, int, error) {
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil, 0, err
	}
	if ip4 := tcp.IP.To4(); ip4 != nil {
		sa := &syscall.SockaddrInet4{Port: tcp.Port}
		copy(sa.Addr[:], ip4)
		return sa, syscall.AF_INET, nil
	}
	sa := &syscall.SockaddrInet6{Port: tcp.Port}
	copy(sa.Addr[:], tcp.IP.To16())
	return sa, syscall.AF_INET6, nil
}

// dial starts a non-blocking connect; the socket becomes writable when it is done.
func dial(sa syscall.Sockaddr, family int) (int, error) {
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	if err := syscall.Connect(fd, sa); err != nil && err != syscall.EINPROGRESS {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}
