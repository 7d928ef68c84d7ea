// Package scenario generates a province's committee elections,
// consultations and inspections as commands, deterministically from a
// seed, at any scale from a few villages to all of Jilin (DESIGN.md §5:
// 9 prefectures, 60 counties, 1,451 communities, 9,340 villages, about
// 21 million voters), and records them through the command path.
//
// Each community or village (a [Unit]) holds one committee election:
// call, roll (by roll number only), objections, nominations, proxies,
// polling stations and mobile boxes, check-ins through election day
// (morning peak, midday dip, afternoon), the public count ballot by
// ballot, the result, certification and sealing. Some elections fall
// under the turnout threshold and vote again, some leave seats to a second
// round (另行选举), a few boxes return more ballots than were issued, a
// member is recalled and a by-election fills the seat, a result won by
// fraud is voided by an inspection; some units hold consultations with
// follow-ups, some are inspected. A few commands are refused on purpose
// (a late objection, a re-delegated proxy, a voter trying to vote twice):
// each [Step] says which domain error it expects.
//
// Outcomes are planned, not discovered: the generator decides every
// ballot, so it knows each round's result (with distinct vote counts, so
// no ties) and produces the next round's commands without reading the
// ledger. Generation streams: a unit's plan is small (numbers, not
// commands) and its commands are made while they are recorded.
//
//	sc := scenario.New(scenario.Config{Scale: 0.002, Seed: 1})
//	for step := range sc.Steps() { ... }           // every command, in a valid order
//	sum, err := scenario.Record(ctx, ledger, cfg, nil) // concurrently, through app.Ledger
package scenario

import (
	"encoding/binary"
	"iter"
	"math/rand/v2"
	"time"

	"github.com/oklog/ulid/v2"

	"ledger/app"
	"ledger/domain"
)

// DefaultScale is the scale of `ledger demo` without --scale: 22
// elections, about 40,000 voters and 65,000 events; about 2 s on a quiet
// 2-core machine with the demo's batches (DeviceBatch), 9 s with one
// command per check-in and per ballot.
const DefaultScale = 0.002

// DeviceBatch is the batch the demo records with: a station's device
// uploads its check-ins 50 at a time (about a quarter of an hour of the
// morning peak at a station of 700 voters), and counters enter 50 ballots
// a tally sheet.
const DeviceBatch = 50

// Config selects a scenario. The zero value of every field means its default.
type Config struct {
	// Scale is the share of the province's units recorded, (0, 1]. Default DefaultScale.
	Scale float64
	// Seed makes the scenario: the same seed gives the same commands.
	Seed uint64
	// Recorders is how many commands Record keeps in flight. Default 64.
	Recorders int
	// LiveIDs mints command IDs with the recording clock's time (as a
	// device does when it records a command as it happens) and
	// deterministic entropy. Without it a command ID carries the command's
	// occurred-at time, so the same seed gives the very same IDs and a
	// second recording into the same log is deduplicated; but the event
	// store then looks up every command ID in Pebble (an ID older than
	// half its duplicate window may be a retry), which costs about a tenth
	// of the command path's CPU. With LiveIDs a second recording of the
	// same seed into the same log is refused (the aggregates exist).
	LiveIDs bool
	// Batch is how many check-ins one command records, and how many
	// ballots of a count: 1 (the default) records each with its own
	// check_in or record_ballot command; more records them with
	// check_ins and record_ballots commands of up to Batch items (at most
	// domain.MaxStationBatch), as a station's device uploads what it
	// recorded since its last upload and counters enter a tally sheet.
	// The events are the same either way.
	Batch int
}

func (c Config) withDefaults() Config {
	if c.Scale <= 0 {
		c.Scale = DefaultScale
	}
	c.Scale = min(c.Scale, 1)
	if c.Recorders <= 0 {
		c.Recorders = 64
	}
	c.Batch = min(max(c.Batch, 1), domain.MaxStationBatch)
	return c
}

// Step is one command to record, with its metadata (a deterministic
// command ID, the actor, when it happened) and the code of the domain
// error it is meant to provoke ("" when it must succeed).
type Step struct {
	Cmd       domain.Command
	Meta      app.Meta
	WantError string
	// Round is the voting round of a check-in or a ballot, else 0.
	Round int
}

// Scenario is one generated province. It is immutable and safe for
// concurrent use.
type Scenario struct {
	cfg   Config
	units []Unit
}

// New selects the units of cfg's scale: an even stride through the
// province's communities and another through its villages, so that every
// city is represented in proportion and both kinds keep their share
// (round(1451*scale) communities, round(9340*scale) villages, at least one).
func New(cfg Config) *Scenario {
	cfg = cfg.withDefaults()
	s := &Scenario{cfg: cfg}
	communities, villages := 0, 0
	eachUnit(func(u Unit) bool {
		var take bool
		if u.Community {
			take = selected(communities, TotalCommunities, cfg.Scale, 0)
			communities++
		} else {
			take = selected(villages, TotalVillages, cfg.Scale, 1)
			villages++
		}
		if take {
			s.units = append(s.units, u)
		}
		return true
	})
	return s
}

// Config returns the scenario's configuration with defaults filled in.
func (s *Scenario) Config() Config { return s.cfg }

// Units returns the selected units, in province order.
func (s *Scenario) Units() []Unit { return s.units }

// Steps yields every command of the scenario in a valid order: unit by
// unit, each unit's phases in order. Record runs the same steps
// concurrently.
func (s *Scenario) Steps() iter.Seq[Step] {
	return func(yield func(Step) bool) {
		for i := range s.units {
			p := s.plan(i)
			for ph := range p.phases() {
				for _, j := range ph {
					for st := range j.steps {
						if !yield(st) {
							return
						}
					}
				}
			}
		}
	}
}

// Estimate returns about how many commands the scenario holds (for a
// progress bar), computed from the plans without generating commands.
func (s *Scenario) Estimate() int {
	n := 0
	for i := range s.units {
		n += s.plan(i).estimate()
	}
	return n
}

// ProvinceVoters returns the number of voters on the rolls of every unit
// of the province at scale 1 (about 21 million), without generating
// commands.
func ProvinceVoters(seed uint64) int {
	n := 0
	eachUnit(func(u Unit) bool {
		n += unitVoters(newRand(seed, uint64(u.Index), tagPlan), u)
		return true
	})
	return n
}

// Random streams: one PCG per (seed, unit, purpose), so that a unit's
// commands do not depend on which other units are selected or on the
// order in which they are recorded.
const (
	tagPlan uint64 = iota + 1
	tagStation
	tagConsult
	tagInspect
	tagPrep
	tagCount
)

func newRand(seed, unit, tag uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x5ce7a1110c0ffee, unit<<16|tag))
}

// chinaTime is UTC+8, the civil time of every recorded moment.
var chinaTime = time.FixedZone("CST", 8*3600)

// mix is splitmix64's finalizer.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// newULID returns a deterministic ULID with time t and 80 bits of
// entropy derived from the seed and (a, b).
func newULID(seed uint64, t time.Time, a, b uint64) string {
	var u ulid.ULID
	_ = u.SetTime(ulid.Timestamp(t))
	x := mix(seed ^ mix(a^mix(b)))
	binary.BigEndian.PutUint64(u[6:14], x)
	binary.BigEndian.PutUint16(u[14:16], uint16(mix(x)))
	return u.String()
}

var (
	surnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文朴")
	given    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰凤云建国志海春红梅林峰松柏德福安宁东晓雪庆丰文武成立新宏波")
)

// personName returns a plausible Chinese name (public officials and
// candidates only; voters are never named).
func personName(r *rand.Rand) string {
	n := string(surnames[r.IntN(len(surnames))]) + string(given[r.IntN(len(given))])
	if r.IntN(3) > 0 {
		n += string(given[r.IntN(len(given))])
	}
	return n
}

// distinctNames returns n different names.
func distinctNames(r *rand.Rand, n int, prefix string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		name := prefix + personName(r)
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
