package dnp3

import (
	"encoding/hex"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// The opendnp3 3.0 conformance harness logs (ITI/ICS-Security-Tools,
// pcaps/dnp3/opendnp3-3/conformance/*/log.html) print, for every frame sent
// or received, the raw bytes and opendnp3's decode of the link, transport
// and application layers, objects and points. TestConformanceOracle decodes
// the raw bytes with this package and compares every decoded line with
// opendnp3's.

var rowRE = regexp.MustCompile(`(?s)<tr class="([^"]*)">\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>`)

var unknownLinkRE = regexp.MustCompile(`Unknown\(0x[0-9A-F]{2}\)`)

type logRow struct {
	class, dir, text string
}

// logFrame is one frame of a log: the raw bytes and opendnp3's lines. For
// received frames the application lines are attached to the frame that
// completed the fragment.
type logFrame struct {
	file   string
	tx     bool
	raw    []byte
	link   string
	trans  string
	app    []string
	hexErr error
}

func parseLog(t *testing.T, path string) []*logFrame {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []logRow
	for _, m := range rowRE.FindAllStringSubmatch(string(b), -1) {
		rows = append(rows, logRow{m[1], strings.TrimSpace(html.UnescapeString(m[3])), strings.TrimSpace(html.UnescapeString(m[4]))})
	}
	var frames []*logFrame
	var pendLink, pendTrans string
	var pendApp []string
	var cur *logFrame   // frame whose raw bytes are being read
	var rxCur *logFrame // last received frame (gets L, T, A lines)
	var appTarget *[]string
	for _, r := range rows {
		c := r.class
		tx := strings.Contains(c, "transmit")
		rx := strings.Contains(c, "receive")
		if !tx && !rx {
			appTarget = nil
			if !strings.Contains(c, "warn") {
				cur = nil
			}
			continue
		}
		switch {
		case strings.Contains(c, "data-level-1"):
			raw, err := hex.DecodeString(strings.ReplaceAll(r.text, " ", ""))
			if strings.HasPrefix(c, "detail-level-0") && cur != nil && cur.tx == tx {
				cur.raw = append(cur.raw, raw...)
				if err != nil {
					cur.hexErr = err
				}
				continue
			}
			f := &logFrame{file: filepath.Base(filepath.Dir(path)), tx: tx, raw: raw, hexErr: err}
			if tx {
				f.link, f.trans, f.app = pendLink, pendTrans, pendApp
				pendLink, pendTrans, pendApp = "", "", nil
			} else {
				rxCur = f
			}
			appTarget = nil
			cur = f
			frames = append(frames, f)
		case strings.Contains(c, "data-level-2"):
			cur = nil
			if tx {
				pendLink = r.text
			} else if rxCur != nil {
				rxCur.link = r.text
			}
		case strings.Contains(c, "data-level-3"):
			cur = nil
			if tx {
				pendTrans = r.text
			} else if rxCur != nil {
				rxCur.trans = r.text
			}
		case strings.Contains(c, "data-level-4"):
			cur = nil
			if !strings.HasPrefix(c, "detail-level") {
				if tx {
					pendApp = []string{r.text}
					appTarget = &pendApp
				} else if rxCur != nil {
					rxCur.app = []string{r.text}
					appTarget = &rxCur.app
				}
				continue
			}
			if appTarget != nil {
				*appTarget = append(*appTarget, r.text)
			}
		}
	}
	return frames
}

type agreement struct {
	lines, match int
}

func TestConformanceOracle(t *testing.T) {
	dir := shareddata.Path(t, "pcap", "ics-security-tools", "pcaps", "dnp3", "opendnp3-3", "conformance")
	logs, _ := filepath.Glob(filepath.Join(dir, "*", "log.html"))
	if len(logs) == 0 {
		t.Fatalf("no conformance logs under %s", dir)
	}
	layers := map[string]*agreement{}
	add := func(layer string, ok bool) {
		a := layers[layer]
		if a == nil {
			a = &agreement{}
			layers[layer] = a
		}
		a.lines++
		if ok {
			a.match++
		}
	}
	var mismatches []string
	nframes := 0
	for _, path := range logs {
		frames := parseLog(t, path)
		var streams [2]Stream
		var reasm [2]Reassembler
		var fr Frame
		for _, lf := range frames {
			nframes++
			d := 0
			if lf.tx {
				d = 1
			}
			var got []string
			raw := lf.raw
			var frag []byte
			done := false
			var linkErr error
			for len(raw) > 0 {
				n, ok, err := streams[d].Next(raw, &fr)
				raw = raw[n:]
				if err != nil && linkErr == nil {
					linkErr = err
				}
				if !ok {
					continue
				}
				got = append(got, fmtLink(fr.Header))
				if fr.Header.Func().UserData() && len(fr.Data) > 0 {
					got = append(got, fmtTransport(fr.Data[0]))
					f, ok, _ := reasm[d].Add(fr.Header.Src, fr.Header.Dst, fr.Data)
					if ok {
						frag, done = f, true
					}
				}
			}
			cmp := func(layer, want, have string) {
				ok := want == have
				add(layer, ok)
				if !ok {
					mismatches = append(mismatches, lf.file+" "+layer+"\n\twant: "+want+"\n\thave: "+have)
				}
			}
			if lf.link == "" {
				// The harness sent a deliberately malformed frame (bad
				// sync, header CRC, or data CRC); the decoder must not
				// deliver an application fragment from it.
				cmp("rejected", "no fragment", map[bool]string{false: "no fragment", true: "fragment"}[done])
			}
			if lf.link != "" {
				// For undefined link functions opendnp3 prints
				// "Unknown(0xNN)" with a byte that is neither the control
				// octet nor the function code (0xC5 -> 0xD5, 0xCA -> 0xAA);
				// only the name is compared.
				lf.link = unknownLinkRE.ReplaceAllString(lf.link, "Unknown")
				have := ""
				if len(got) > 0 {
					have = got[0]
				} else if linkErr != nil {
					have = "error: " + linkErr.Error()
				}
				cmp("link", lf.link, have)
			}
			if lf.trans != "" {
				have := ""
				if len(got) > 1 {
					have = got[1]
				}
				cmp("transport", lf.trans, have)
			}
			if len(lf.app) > 0 {
				var app []string
				var err error
				if done {
					app, err = fmtFragment(frag)
				}
				for i, want := range lf.app {
					have := ""
					if i < len(app) {
						have = app[i]
					} else if err != nil {
						have = "error: " + err.Error()
					}
					layer := "app-header"
					if i > 0 {
						layer = "objects"
						if strings.HasPrefix(want, "[") || strings.Contains(want, ": ") && !strings.HasPrefix(want, "g") {
							layer = "points"
						}
					}
					cmp(layer, want, have)
				}
				if len(app) > len(lf.app) {
					cmp("extra", "", strings.Join(app[len(lf.app):], " | "))
				}
			}
		}
	}
	total := agreement{}
	var names []string
	for k := range layers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		a := layers[k]
		total.lines += a.lines
		total.match += a.match
		t.Logf("%-10s %5d/%5d lines agree (%.2f%%)", k, a.match, a.lines, 100*float64(a.match)/float64(a.lines))
	}
	t.Logf("TOTAL      %5d/%5d lines agree (%.2f%%) over %d frames in %d logs",
		total.match, total.lines, 100*float64(total.match)/float64(total.lines), nframes, len(logs))
	for i, m := range mismatches {
		if i >= 40 {
			t.Logf("... %d more", len(mismatches)-i)
			break
		}
		t.Log(m)
	}
	if total.match != total.lines {
		t.Errorf("%d lines disagree with opendnp3", total.lines-total.match)
	}
}
