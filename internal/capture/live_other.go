//go:build !linux

package capture

import (
	"context"

	"github.com/citadel-city/citadel/internal/diag"
)

// Live is a live capture; only Linux (AF_PACKET) is supported.
type Live struct{}

// OpenLive fails outside Linux.
func OpenLive(ctx context.Context, iface string, ports []uint16) (*Live, error) {
	return nil, diag.Errorf("live capture is only supported on Linux")
}

// Next is never reached.
func (l *Live) Next(p *Packet) error { return diag.Errorf("live capture is only supported on Linux") }

// Close does nothing.
func (l *Live) Close() error { return nil }
