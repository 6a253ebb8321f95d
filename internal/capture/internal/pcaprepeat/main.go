// Command pcaprepeat builds a large capture for benchmarks by repeating
// input captures: each copy is shifted in time (after the previous one) and
// in address space (the third octet of every IPv4 address grows by the copy
// number), with checksums recomputed, so copies are distinct flows.
//
//	go run ./internal/capture/internal/pcaprepeat -n 1000000 -o big.pcap a.pcap b.pcap
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/citadel-city/citadel/internal/capture"
)

func main() {
	n := flag.Int("n", 1_000_000, "packets to write")
	out := flag.String("o", "", "output pcap")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: pcaprepeat -n PACKETS -o OUT.pcap IN.pcap...")
		os.Exit(2)
	}
	if err := run(*n, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "pcaprepeat:", err)
		os.Exit(1)
	}
}

type pkt struct {
	ts   time.Time
	data []byte
	ipv4 []int // offsets of the IPv4 source and destination addresses
}

func load(paths []string) ([]pkt, error) {
	var all []pkt
	for _, path := range paths {
		r, err := capture.Open(path)
		if err != nil {
			return nil, err
		}
		var p capture.Packet
		for {
			err := r.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				r.Close()
				return nil, err
			}
			if p.LinkType != capture.LinkEthernet {
				continue
			}
			var l capture.Layers
			if capture.Decode(p.LinkType, p.Data, &l, capture.Options{IgnoreChecksums: true}) != nil || l.IPVersion != 4 {
				continue
			}
			data := append([]byte(nil), p.Data...)
			// Find the IPv4 header right after Ethernet (and VLAN tags).
			off := 14 + 4*l.NVLAN
			all = append(all, pkt{ts: p.TS, data: data, ipv4: []int{off + 12, off + 16}})
		}
		r.Close()
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no Ethernet IPv4 packets in the inputs")
	}
	return all, nil
}

func run(n int, out string, paths []string) error {
	pkts, err := load(paths)
	if err != nil {
		return err
	}
	first, last := pkts[0].ts, pkts[0].ts
	for _, p := range pkts {
		if p.ts.Before(first) {
			first = p.ts
		}
		if p.ts.After(last) {
			last = p.ts
		}
	}
	span := last.Sub(first) + time.Second
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w, err := capture.NewWriter(f, capture.LinkEthernet)
	if err != nil {
		f.Close()
		return err
	}
	buf := make([]byte, 0, 65536)
	for i := 0; i < n; i++ {
		copyNo := i / len(pkts)
		p := pkts[i%len(pkts)]
		buf = append(buf[:0], p.data...)
		for _, o := range p.ipv4 {
			buf[o+2] += byte(copyNo)
			buf[o+1] += byte(copyNo >> 8)
		}
		capture.FixChecksums(capture.LinkEthernet, buf)
		if err := w.Write(p.ts.Add(time.Duration(copyNo)*span), buf, len(buf)); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
