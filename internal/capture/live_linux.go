//go:build linux

package capture

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/citadel-city/citadel/internal/diag"
)

// Live captures packets from a network interface with an AF_PACKET raw
// socket (no cgo, no libpcap). It needs CAP_NET_RAW. A kernel BPF filter
// keeps only TCP/UDP packets on the given ports. Timestamps are taken when
// the packet is read. It implements Source.
type Live struct {
	ctx  context.Context
	fd   int
	buf  []byte
	n    uint64
	lo   bool // loopback: every packet shows twice (outgoing and incoming)
	name string
}

// OpenLive opens interface iface; ports (at most 50, none for every
// packet) set the kernel filter. Next returns io.EOF once ctx is done.
func OpenLive(ctx context.Context, iface string, ports []uint16) (*Live, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, diag.Errorf("live capture: %v", err)
	}
	if len(ports) > 50 {
		return nil, diag.Errorf("live capture: at most 50 ports in the filter, got %d", len(ports))
	}
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, int(htons(syscall.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("live capture on %s: open AF_PACKET socket (needs CAP_NET_RAW): %w", iface, err)
	}
	l := &Live{ctx: ctx, fd: fd, buf: make([]byte, 262144), lo: ifi.Flags&net.FlagLoopback != 0, name: iface}
	if len(ports) > 0 {
		prog := portFilter(ports)
		fprog := struct {
			Len    uint16
			_      [6]byte
			Filter *bpfInsn
		}{Len: uint16(len(prog)), Filter: &prog[0]}
		if _, _, e := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET, syscall.SO_ATTACH_FILTER,
			uintptr(unsafe.Pointer(&fprog)), unsafe.Sizeof(fprog), 0); e != 0 {
			runtime.KeepAlive(prog)
			syscall.Close(fd)
			return nil, fmt.Errorf("live capture on %s: attach port filter: %w", iface, e)
		}
		runtime.KeepAlive(prog)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("live capture on %s: bind: %w", iface, err)
	}
	// Wake up regularly to notice the end of ctx.
	tv := syscall.NsecToTimeval(int64(200 * time.Millisecond))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("live capture on %s: %w", iface, err)
	}
	return l, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Next reads the next packet; it returns io.EOF when the context is done.
func (l *Live) Next(p *Packet) error {
	for {
		if l.ctx.Err() != nil {
			return io.EOF
		}
		n, from, err := syscall.Recvfrom(l.fd, l.buf, 0)
		if err == syscall.EAGAIN || err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("live capture on %s: %w", l.name, err)
		}
		if sa, ok := from.(*syscall.SockaddrLinklayer); ok && l.lo && sa.Pkttype == syscall.PACKET_OUTGOING {
			continue
		}
		l.n++
		p.Number = l.n
		p.TS = time.Now()
		p.LinkType = LinkEthernet
		p.Iface = 0
		p.OrigLen = n
		p.Data = l.buf[:min(n, len(l.buf))]
		return nil
	}
}

// Close closes the socket.
func (l *Live) Close() error { return syscall.Close(l.fd) }
