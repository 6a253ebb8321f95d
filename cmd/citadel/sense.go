package main

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"sort"

	"github.com/citadel-city/citadel/internal/capture"
	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/heartbeat"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/sense"
	_ "github.com/citadel-city/citadel/internal/sense/analyzers/all" // protocol analyzers
	"github.com/citadel-city/citadel/internal/signals"
	"github.com/spf13/cobra"
)

func init() { register(newSenseCmd) }

func newSenseCmd() *cobra.Command {
	var (
		pcaps           []string
		out             string
		jsonOut         bool
		ignoreChecksums bool
		maxFlows        int
		learn           bool
		baselinePath    string
		modelPath       string
		heartbeatPath   string
		iface           string
		ports           []uint
	)
	cmd := &cobra.Command{
		Use:   "sense (--pcap FILE [--pcap FILE ...] | --iface IF [--port N]) --out DIR [--learn | --baseline FILE] [--json]",
		Short: "Decode OT traffic (Modbus/TCP, DNP3) into Zeek-style logs and a passive inventory",
		Long: `sense is Citadel's OT network sensor. It reads pcap or pcapng captures,
reassembles TCP streams, decodes the industrial protocols it knows (Modbus/TCP on
port 502 and every analyzer registered with the sensor) and writes into DIR:

  modbus.log      one row per Modbus PDU, in Zeek's modbus.log format
  weird.log       malformed or unexpected traffic, in Zeek's weird.log format
  dnp3.log        one row per DNP3 request/reply, in Zeek's dnp3.log format
  inventory.yaml  passive inventory: devices, roles, unit ids, registers seen
                  with read/write counts and value ranges, device identification
  alerts.json     alerts as Suricata EVE lines with ATT&CK for ICS technique ids:
                  station sweeps, identification enumeration, broadcast writes,
                  exception storms, mass toggling, DNP3 restarts, disabled
                  unsolicited reporting, file transfer, programming functions;
                  with --baseline also new talkers, new functions, writes from
                  hosts that never wrote and values outside the learned envelope
  baseline.json   with --learn: the learned baseline

Logs are Zeek TSV (#fields/#types headers, "-" for unset) or, with --json, one
JSON object per line. Like Zeek, packets with a bad IPv4, TCP or UDP checksum are
dropped and reported in weird.log unless --ignore-checksums (Zeek -C) is given.

Exit codes: 0 ok, 1 failure, 2 bad input (unreadable or corrupt capture; the
outputs for the packets before the damage are still written).`,
		Example: `  citadel sense --pcap plant.pcap --out /tmp/sense
  citadel sense --pcap a.pcapng --pcap b.pcap --out out --json
  citadel sense --pcap normal-week.pcap --out base --learn
  citadel sense --pcap today.pcap --out today --baseline base/baseline.json
  sudo citadel sense --iface eth1 --port 502 --out live`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(pcaps) == 0 && iface == "" {
				return diag.Errorf("give at least one --pcap FILE, or --iface IF for a live capture")
			}
			if out == "" {
				return diag.Errorf("give an output directory with --out DIR")
			}
			if learn && baselinePath != "" {
				return diag.Errorf("--learn and --baseline exclude each other: learn a baseline first, then detect with it")
			}
			var base *sense.Baseline
			if baselinePath != "" {
				b, err := sense.LoadBaseline(baselinePath)
				if err != nil {
					return err
				}
				base = b
			}
			var assets func(netip.Addr) (string, bool)
			var watch *signals.Watch
			if heartbeatPath != "" && modelPath == "" {
				return diag.Errorf("--heartbeat needs --model: the city model maps data points to the heartbeat's signals")
			}
			if modelPath != "" {
				c, err := model.Load(modelPath)
				if err != nil {
					return err
				}
				assets = c.AddressBook().Lookup
				if heartbeatPath != "" {
					f, err := os.Open(heartbeatPath)
					if err != nil {
						return diag.Errorf("open heartbeat model: %v", err)
					}
					hb, err := heartbeat.ReadModel(f, heartbeatPath)
					f.Close()
					if err != nil {
						return err
					}
					if watch, err = signals.NewWatch(signals.New(c), hb, c); err != nil {
						return err
					}
				}
			}
			var sources []capture.Source
			if iface != "" {
				var filter []uint16
				for _, p := range ports {
					if p == 0 || p > 65535 {
						return diag.Errorf("--port %d: not a port number", p)
					}
					filter = append(filter, uint16(p))
				}
				if len(filter) == 0 {
					filter = sense.PortNumbers()
				}
				live, err := capture.OpenLive(cmd.Context(), iface, filter)
				if err != nil {
					return err
				}
				defer live.Close()
				sources = append(sources, live)
				if !jsonOut {
					fmt.Fprintf(cmd.ErrOrStderr(), "capturing on %s (ports %v); stop with Ctrl-C to write the outputs\n", iface, filter)
				}
			}
			res, err := sense.Run(cmd.Context(), sense.Config{
				Sources:  sources,
				Pcaps:    pcaps,
				OutDir:   out,
				JSON:     jsonOut,
				Engine:   sense.EngineConfig{IgnoreChecksums: ignoreChecksums, MaxFlows: maxFlows},
				Learn:    learn,
				Baseline: base,
				Assets:   assets,
				Observer: observer(watch),
			})
			if watch != nil && !jsonOut {
				fmt.Fprintln(cmd.OutOrStdout(), watch)
			}
			if res != nil {
				printSenseResult(cmd, res, jsonOut)
			}
			if err != nil {
				return fmt.Errorf("sense: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&pcaps, "pcap", nil, "capture file to read (pcap or pcapng); repeat for several")
	f.StringVar(&out, "out", "", "output directory (created if missing)")
	f.BoolVar(&jsonOut, "json", false, "write logs as JSON lines and print the summary as JSON")
	f.BoolVarP(&ignoreChecksums, "ignore-checksums", "C", false, "do not drop packets with a bad IPv4, TCP or UDP checksum (Zeek -C)")
	f.IntVar(&maxFlows, "max-flows", sense.DefaultMaxFlows, "flow-table size; the least recently used flow is evicted beyond it")
	f.StringVar(&iface, "iface", "", "capture live from this Linux interface (AF_PACKET, needs CAP_NET_RAW); outputs are written when stopped")
	f.UintSliceVar(&ports, "port", nil, "with --iface: capture only these TCP/UDP ports (default: every analyzer's ports)")
	f.BoolVar(&learn, "learn", false, "learn a baseline (talkers, functions, writers, value envelopes) into DIR/baseline.json")
	f.StringVar(&heartbeatPath, "heartbeat", "", "with --model: run this trained heartbeat model (citadel heartbeat train) on the process values read from the traffic; its alarms go to alerts.json")
	f.StringVar(&modelPath, "model", "", "city model whose asset addresses name devices in inventory.yaml and alerts (asset ids)")
	f.StringVar(&baselinePath, "baseline", "", "detect deviations from this baseline.json (new talker, new function, new writer, value outside envelope)")
	return cmd
}

func printSenseResult(cmd *cobra.Command, res *sense.Result, asJSON bool) {
	w := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(w)
		enc.Encode(res)
		return
	}
	s := res.Stats
	alerts := 0
	for _, n := range res.Alerts {
		alerts += n
	}
	fmt.Fprintf(w, "packets %d (%d bytes), decoded %d, flows %d, transactions %d, alerts %d\n",
		s.Packets, s.Bytes, s.Decoded, s.Flows, s.Transactions, alerts)
	names := make([]string, 0, len(res.Rows))
	for n := range res.Rows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "%s.log: %d rows\n", n, res.Rows[n])
	}
}

// observer keeps a nil watch a nil interface.
func observer(w *signals.Watch) sense.Observer {
	if w == nil {
		return nil
	}
	return w
}
