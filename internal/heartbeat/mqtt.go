package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

// MQTTOptions says where to read IoT telemetry from.
type MQTTOptions struct {
	Broker   string // mqtt://host:1883 (tcp:// and ws:// are accepted too)
	Topic    string // subscription filter, e.g. city/+/telemetry
	ClientID string // unique client id; "citadel-heartbeat" when empty
}

// SubscribeMQTT connects to the broker (MQTT v5), subscribes to the topic
// and sends every message's payload to out until ctx ends or subscribing
// fails. Reconnection is automatic. out is never closed: the reader stops
// on ctx.
func SubscribeMQTT(ctx context.Context, opt MQTTOptions, out chan<- []byte) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u, err := url.Parse(opt.Broker)
	if err != nil || u.Host == "" {
		return diag.Errorf("broker %q is not a URL such as mqtt://127.0.0.1:1883", opt.Broker)
	}
	if opt.Topic == "" {
		return diag.Errorf("no MQTT topic to subscribe to")
	}
	id := opt.ClientID
	if id == "" {
		id = "citadel-heartbeat"
	}
	subErr := make(chan error, 1)
	cfg := autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     20,
		CleanStartOnInitialConnection: true,
		ConnectTimeout:                5 * time.Second,
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			if _, err := cm.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: opt.Topic, QoS: 1}}}); err != nil {
				select {
				case subErr <- fmt.Errorf("subscribe %s: %w", opt.Topic, err):
				default:
				}
			}
		},
		ClientConfig: paho.ClientConfig{
			ClientID: id,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){
				func(pr paho.PublishReceived) (bool, error) {
					p := append([]byte(nil), pr.Packet.Payload...)
					select {
					case out <- p:
					case <-ctx.Done():
					}
					return true, nil
				},
			},
		},
	}
	cm, err := autopaho.NewConnection(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect %s: %w", opt.Broker, err)
	}
	select {
	case err := <-subErr:
		cancel()
		<-cm.Done()
		return err
	case <-ctx.Done():
	}
	<-cm.Done()
	return nil
}

// WatchMQTT subscribes to opt's topic and runs the telemetry through
// WatchSamples until ctx ends, maxRows rows (when > 0) have been scored or
// subscribing fails. An ended ctx is a normal stop, not an error.
func (m *Model) WatchMQTT(ctx context.Context, opt MQTTOptions, maxRows int, emit func(Alert) error, bad func(error)) (rows int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := make(chan []byte, 256)
	subErr := make(chan error, 1)
	go func() {
		subErr <- SubscribeMQTT(ctx, opt, msgs)
		cancel()
	}()
	rows, err = m.WatchSamples(ctx, msgs, maxRows, emit, bad)
	cancel()
	if serr := <-subErr; serr != nil {
		return rows, fmt.Errorf("mqtt: %w", serr)
	}
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return rows, err
}
