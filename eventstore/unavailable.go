package eventstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrUnavailable means JetStream did not answer in time: the node's
// server is gone and the client is reconnecting, or the stream has no
// leader while its replicas elect one. It passes (a leader is usually
// elected within seconds): a command may or may not be recorded, and a
// retry with the same command ID is safe.
var ErrUnavailable = errors.New("eventstore: JetStream is unavailable")

// natsAttempt bounds one request to JetStream (a head read, a stream's
// info, a consumer's creation, a publish's acknowledgement): a request
// sent while the stream has no leader is never answered, so each attempt
// has a deadline of its own and the next one reaches the new leader as
// soon as it is elected. A healthy cluster answers in milliseconds; a
// publish sent again is stored once (its message ID).
const natsAttempt = time.Second

// natsPatience bounds how long a call whose context has no deadline
// retries before it reports ErrUnavailable.
const natsPatience = 15 * time.Second

// transient reports errors that a retry can cure: no answer in time, no
// server or no stream leader to answer, a connection being re-established.
func transient(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrPublishTimeout),
		errors.Is(err, nats.ErrTimeout), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrDisconnected), errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, jetstream.ErrAsyncPublishTimeout):
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && api.Code == http.StatusServiceUnavailable
}

// retry calls fn, each call with a deadline of attempt, until it
// returns nil or an error a retry cannot cure, or ctx ends (natsPatience
// when ctx has no deadline): then the last error, marked ErrUnavailable
// when transient.
func retry(ctx context.Context, attempt time.Duration, fn func(context.Context) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, natsPatience)
		defer cancel()
	}
	wait := 20 * time.Millisecond
	for {
		actx, cancel := context.WithTimeout(ctx, attempt)
		err := fn(actx)
		cancel()
		if err == nil || !transient(err) {
			return err
		}
		if ctx.Err() != nil {
			return unavailable(err)
		}
		select {
		case <-ctx.Done():
			return unavailable(err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
}

// unavailable marks a transient error ErrUnavailable.
func unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) || !transient(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
