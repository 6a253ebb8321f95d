package capture

// A cBPF program for the kernel filter of live captures, built by hand (no
// libpcap): accept Ethernet IPv4/IPv6 TCP or UDP packets whose source or
// destination port is one of ports, like tcpdump's "port N or port M"
// (untagged frames; IPv4 fragments after the first are dropped).

// bpfInsn is struct sock_filter.
type bpfInsn struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

// Classic BPF opcodes used here.
const (
	bpfLdhAbs  = 0x28
	bpfLdbAbs  = 0x30
	bpfLdhInd  = 0x48
	bpfLdxbMsh = 0xb1
	bpfJeq     = 0x15
	bpfJset    = 0x45
	bpfJa      = 0x05
	bpfRet     = 0x06
)

// asm assembles instructions whose jump targets are labels.
type asm struct {
	ins    []bpfInsn
	jt, jf []string
	labels map[string]int
}

func (a *asm) op(code uint16, k uint32, jt, jf string) {
	a.ins = append(a.ins, bpfInsn{Code: code, K: k})
	a.jt = append(a.jt, jt)
	a.jf = append(a.jf, jf)
}

func (a *asm) label(l string) { a.labels[l] = len(a.ins) }

func (a *asm) build() []bpfInsn {
	for i := range a.ins {
		if a.ins[i].Code == bpfJa {
			a.ins[i].K = uint32(a.labels[a.jt[i]] - i - 1)
			continue
		}
		if a.jt[i] != "" {
			a.ins[i].Jt = uint8(a.labels[a.jt[i]] - i - 1)
		}
		if a.jf[i] != "" {
			a.ins[i].Jf = uint8(a.labels[a.jf[i]] - i - 1)
		}
	}
	return a.ins
}

// portFilter returns the program for the given ports (at most 50, so
// that every jump stays below 256 instructions).
func portFilter(ports []uint16) []bpfInsn {
	a := &asm{labels: map[string]int{}}
	matchPorts := func() {
		for _, p := range ports {
			a.op(bpfJeq, uint32(p), "accept", "")
		}
	}
	a.op(bpfLdhAbs, 12, "", "")
	a.op(bpfJeq, 0x86dd, "", "v4")
	a.op(bpfLdbAbs, 20, "", "")
	a.op(bpfJeq, ProtoTCP, "v6ports", "")
	a.op(bpfJeq, ProtoUDP, "v6ports", "drop")
	a.label("v6ports")
	a.op(bpfLdhAbs, 54, "", "")
	matchPorts()
	a.op(bpfLdhAbs, 56, "", "")
	matchPorts()
	a.op(bpfJa, 0, "drop", "")
	a.label("v4")
	a.op(bpfJeq, 0x0800, "", "drop")
	a.op(bpfLdbAbs, 23, "", "")
	a.op(bpfJeq, ProtoTCP, "v4ports", "")
	a.op(bpfJeq, ProtoUDP, "v4ports", "drop")
	a.label("v4ports")
	a.op(bpfLdhAbs, 20, "", "")
	a.op(bpfJset, 0x1fff, "drop", "")
	a.op(bpfLdxbMsh, 14, "", "")
	a.op(bpfLdhInd, 14, "", "")
	matchPorts()
	a.op(bpfLdhInd, 16, "", "")
	matchPorts()
	a.op(bpfJa, 0, "drop", "")
	a.label("accept")
	a.op(bpfRet, 262144, "", "")
	a.label("drop")
	a.op(bpfRet, 0, "", "")
	return a.build()
}
