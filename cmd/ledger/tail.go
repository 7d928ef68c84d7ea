package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"ledger/domain"
	"ledger/envelope"
	"ledger/eventstore"
	"ledger/natsusers"
)

// tailOptions are the flags of ledger tail.
type tailOptions struct {
	from    uint64
	subject string
	region  string
	json    bool
	limit   int
}

func newTailCmd(g *globals) *cobra.Command {
	var o tailOptions
	cmd := &cobra.Command{
		Use:   "tail [--from SEQ] [--subject FILTER | --region CODE] [--json]",
		Short: "Follow the ledger's event stream over NATS and print each event",
		Long: `tail follows the ledger's JetStream stream as a downstream system sees it and
prints one line per event (stream sequence, recorded-at, type, aggregate,
region, actor), or with --json one JSON object per line for scripts.

It connects to --nats-url (default ` + natsusers.DefaultNATSURL + `) with --nats-creds (a
file from "ledger nats-user create", or a NATS .creds file). A local data
directory cannot be read while "ledger serve" runs (JetStream and Pebble lock
it), so run the node with --nats-listen, for example:

  ledger serve --nats-listen 127.0.0.1:4222
  ledger nats-user create --name me --out me.json     (then restart serve)
  ledger tail --nats-creds me.json --from 1 --region 2201

--from is a stream sequence: 1 replays everything, N resumes after a
consumer that last saw N-1; without it tail prints only new events. A
message that records a command with several events prints them as SEQ#1,
SEQ#2, ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter, err := o.filter()
			if err != nil {
				return usageError{err}
			}
			return runTail(cmd.Context(), g, o, filter, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&o.from, "from", 0, "start at this stream sequence (1: the beginning); 0: new events only")
	f.StringVar(&o.subject, "subject", "", `subject filter, e.g. "ledger.ev.22.2201.>" (the "ledger.ev." prefix may be left out)`)
	f.StringVar(&o.region, "region", "", "only events of this region code and below (2, 4, 6, 9 or 12 digits)")
	f.BoolVar(&o.json, "json", false, "print one JSON object per event")
	f.IntVar(&o.limit, "limit", 0, "stop after this many events (0: follow until interrupted)")
	return cmd
}

// filter returns the subject filter the flags ask for.
func (o tailOptions) filter() (string, error) {
	switch {
	case o.subject != "" && o.region != "":
		return "", errors.New("--subject and --region exclude each other")
	case o.region != "":
		if _, err := domain.ParseRegion(o.region); err != nil {
			return "", fmt.Errorf("--region %q: %w", o.region, err)
		}
		var toks []string
		for _, t := range eventstore.RegionTokens(o.region) {
			if t != "_" {
				toks = append(toks, t)
			}
		}
		return natsusers.NATSSubjectPrefix + "." + strings.Join(toks, ".") + ".>", nil
	case o.subject == "":
		return natsusers.NATSSubjectPrefix + ".>", nil
	case strings.HasPrefix(o.subject, natsusers.NATSSubjectPrefix+"."):
		return o.subject, nil
	}
	return natsusers.NATSSubjectPrefix + "." + o.subject, nil
}

// tailConnect connects to the NATS server the flags name.
func tailConnect(g *globals) (*nats.Conn, error) {
	url := g.natsURL
	opts := []nats.Option{nats.Name("ledger tail")}
	if g.natsCreds != "" {
		credsURL, copts, err := natsusers.ReadNATSCredentials(g.natsCreds)
		if err != nil {
			return nil, err
		}
		if url == "" {
			url = credsURL
		}
		opts = append(opts, copts...)
	}
	if url == "" {
		url = natsusers.DefaultNATSURL
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s (does serve run with --nats-listen?): %w", url, err)
	}
	return nc, nil
}

func runTail(ctx context.Context, g *globals, o tailOptions, filter string, out, errOut io.Writer) error {
	nc, err := tailConnect(g)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}, DeliverPolicy: jetstream.DeliverNewPolicy}
	if o.from > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, o.from
	}
	cons, err := js.OrderedConsumer(ctx, natsusers.NATSStream, cfg)
	if err != nil {
		return fmt.Errorf("follow stream %s: %w", natsusers.NATSStream, err)
	}
	msgs, err := cons.Messages(jetstream.PullMaxBytes(eventstore.PullBytes))
	if err != nil {
		return err
	}
	defer msgs.Stop()
	go func() { <-ctx.Done(); msgs.Stop() }()
	printed := 0
	for o.limit == 0 || printed < o.limit {
		m, err := msgs.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil {
			return nil // interrupted
		}
		if err != nil {
			return err
		}
		n, err := printMessage(m, o, out, errOut)
		if err != nil {
			return err
		}
		printed += n
	}
	return nil
}

// printMessage prints the events of one stream message and returns how many.
func printMessage(m jetstream.Msg, o tailOptions, out, errOut io.Writer) (int, error) {
	md, err := m.Metadata()
	if err != nil {
		return 0, err
	}
	seq := md.Sequence.Stream
	events, err := eventstore.DecodeMessage(m.Headers(), m.Data(), seq)
	if err != nil {
		fmt.Fprintf(errOut, "seq %d: %v\n", seq, err) // reported, and the tail goes on
		return 0, nil
	}
	for i := range events {
		if err := printEvent(out, &events[i], i, len(events), o.json); err != nil {
			return i, err
		}
	}
	return len(events), nil
}

func printEvent(w io.Writer, e *eventstore.Envelope, i, n int, asJSON bool) error {
	pos := fmt.Sprint(e.Seq)
	index := 0
	if n > 1 {
		index = i + 1
		pos = fmt.Sprintf("%d#%d", e.Seq, index)
	}
	if !asJSON {
		actor := e.Actor
		if actor == "" {
			actor = "-"
		}
		_, err := fmt.Fprintf(w, "%-8s %s  %-36s %s/%s  %-12s %s\n", pos,
			e.RecordedAt.UTC().Format("2006-01-02T15:04:05.000Z"), e.Type, e.AggregateKind, e.AggregateID, e.Region, actor)
		return err
	}
	ev := envelope.EventOf(e)
	ev.Position, ev.Index = 0, index // the --json form gives the message and the place in it
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
