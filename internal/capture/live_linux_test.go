//go:build linux

package capture

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestLiveHelperClient is not a test: TestLiveCapture runs it inside the
// network namespace it creates, as the Modbus client.
func TestLiveHelperClient(t *testing.T) {
	addr := os.Getenv("CITADEL_LIVE_CLIENT")
	if addr == "" {
		t.Skip("helper process for TestLiveCapture")
	}
	c, err := net.DialTimeout("tcp", addr+":502", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte{0, 7, 0, 0, 0, 6, 1, 3, 0, 0x64, 0, 2})
	resp := make([]byte, 13)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, resp); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// Traffic on another port must be filtered out by the kernel.
	if c2, err := net.DialTimeout("tcp", addr+":5020", 2*time.Second); err == nil {
		c2.Write([]byte("not modbus"))
		c2.Close()
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

// TestLiveCapture creates a network namespace joined to this one by a veth
// pair, serves Modbus on the host end, runs a client in the namespace and
// checks that the AF_PACKET capture with a port filter sees the request
// and the response and nothing else.
func TestLiveCapture(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CAP_NET_RAW and CAP_NET_ADMIN to create a network namespace)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("live capture test needs the ip command (iproute2)")
	}
	id := os.Getpid() % 10000
	ns, host, peer := fmt.Sprintf("citadel-sense-%d", id), fmt.Sprintf("cs%dh", id), fmt.Sprintf("cs%dp", id)
	sub := 64 + id%128
	hostIP, peerIP := fmt.Sprintf("10.213.%d.1", sub), fmt.Sprintf("10.213.%d.2", sub)
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace here (%v: %s): live capture not tested", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run(t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer)
	t.Cleanup(func() { exec.Command("ip", "link", "del", host).Run() })
	run(t, "ip", "link", "set", peer, "netns", ns)
	run(t, "ip", "addr", "add", hostIP+"/30", "dev", host)
	run(t, "ip", "link", "set", host, "up")
	run(t, "ip", "netns", "exec", ns, "ip", "addr", "add", peerIP+"/30", "dev", peer)
	run(t, "ip", "netns", "exec", ns, "ip", "link", "set", peer, "up")

	ln, err := net.Listen("tcp", hostIP+":502")
	if err != nil {
		t.Skipf("cannot listen on %s:502: %v", hostIP, err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			req := make([]byte, 12)
			if _, err := io.ReadFull(c, req); err == nil {
				c.Write([]byte{req[0], req[1], 0, 0, 0, 7, 1, 3, 4, 0, 0xff, 0, 0x14})
			}
			c.Close()
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	live, err := OpenLive(ctx, host, []uint16{502})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	var payloads [][]byte
	done := make(chan error, 1)
	go func() {
		var p Packet
		var l Layers
		for {
			if err := live.Next(&p); err != nil {
				done <- err
				return
			}
			if Decode(p.LinkType, p.Data, &l, Options{}) != nil {
				continue
			}
			if l.SrcPort != 502 && l.DstPort != 502 {
				done <- fmt.Errorf("the filter let through %v:%d > %v:%d", l.Src, l.SrcPort, l.Dst, l.DstPort)
				return
			}
			if len(l.Payload) > 0 {
				payloads = append(payloads, bytes.Clone(l.Payload))
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestLiveHelperClient$", "-test.v")
	cmd.Env = append(os.Environ(), "CITADEL_LIVE_CLIENT="+hostIP)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	if err := <-done; err != io.EOF {
		t.Fatal(err)
	}
	if len(payloads) != 2 || payloads[0][7] != 3 || len(payloads[1]) != 13 {
		t.Fatalf("captured payloads %x, want the FC3 request and its response", payloads)
	}
}

// runBPF interprets the few classic BPF instructions portFilter emits.
func runBPF(t *testing.T, prog []bpfInsn, pkt []byte) uint32 {
	var a, x uint32
	ld := func(off uint32, n int) (uint32, bool) {
		if int(off)+n > len(pkt) {
			return 0, false
		}
		if n == 1 {
			return uint32(pkt[off]), true
		}
		return uint32(pkt[off])<<8 | uint32(pkt[off+1]), true
	}
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		ok := true
		switch in.Code {
		case bpfLdhAbs:
			a, ok = ld(in.K, 2)
		case bpfLdbAbs:
			a, ok = ld(in.K, 1)
		case bpfLdhInd:
			a, ok = ld(x+in.K, 2)
		case bpfLdxbMsh:
			var b uint32
			b, ok = ld(in.K, 1)
			x = 4 * (b & 0xf)
		case bpfJeq:
			if a == in.K {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpfJset:
			if a&in.K != 0 {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case bpfJa:
			pc += int(in.K)
		case bpfRet:
			return in.K
		default:
			t.Fatalf("unknown opcode %#x", in.Code)
		}
		if !ok {
			return 0
		}
	}
	t.Fatal("program fell off its end")
	return 0
}

func TestPortFilterProgram(t *testing.T) {
	prog := portFilter([]uint16{502, 20000})
	tcp502 := frame("10.0.0.1", "10.0.0.2", 40000, 502, 1, FlagACK, []byte("x"))
	tcp80 := frame("10.0.0.1", "10.0.0.2", 40000, 80, 1, FlagACK, []byte("x"))
	fromPort := frame("10.0.0.2", "10.0.0.1", 20000, 40000, 1, FlagACK, nil)
	udp := bytes.Clone(tcp502)
	udp[14+9] = ProtoUDP
	frag := bytes.Clone(tcp502)
	frag[14+6] = 0x01 // fragment offset 8
	v6 := make([]byte, 14+40+20)
	v6[12], v6[13] = 0x86, 0xdd
	v6[14] = 0x60
	v6[14+6] = ProtoTCP
	v6[54], v6[55] = 0x4e, 0x20 // source port 20000
	arp := append(bytes.Clone(tcp502[:12]), 0x08, 0x06, 0, 1)
	for _, tc := range []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"tcp 502", tcp502, true}, {"tcp 80", tcp80, false}, {"from 20000", fromPort, true},
		{"udp 502", udp, true}, {"fragment", frag, false}, {"ipv6 20000", v6, true},
		{"arp", arp, false}, {"short", tcp502[:20], false},
	} {
		if got := runBPF(t, prog, tc.pkt) != 0; got != tc.want {
			t.Errorf("%s: accepted %v, want %v", tc.name, got, tc.want)
		}
	}
}
