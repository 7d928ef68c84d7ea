package projections

import (
	"encoding/json"

	"ledger/domain"
)

// foldDomain applies a rare event to the aggregate's domain state, kept as
// JSON at "<kindKey><id>", and indexes a new aggregate under its region.
func foldDomain(w *writer, e *rec, kindKey string, fresh func() domain.State) {
	ev, err := domain.DecodeEvent(string(e.typ), e.payload)
	if err != nil {
		w.skip(e, err.Error())
		return
	}
	st := fresh()
	k := bkey(w.kb, w.short, kindKey, e.aggID)
	b := w.blob(k)
	if b != nil {
		if err := json.Unmarshal(b, st); err != nil {
			w.fail(err)
			return
		}
	} else {
		w.kb = append(append(bkey(w.kb, w.short, "r/", e.region), 0), e.aggID...)
		w.put(w.kb, nil)
	}
	st = domain.Evolve(st, ev)
	nb, err := json.Marshal(st)
	if err != nil {
		w.fail(err)
		return
	}
	w.setBlob(bkey(w.kb, w.short, kindKey, e.aggID), nb)
}

type consultProj struct{}

func (consultProj) name() string  { return Consultations }
func (consultProj) short() string { return shortConsult }

func (consultProj) apply(w *writer, e *rec) {
	if string(e.kind) != string(domain.KindConsultation) {
		return
	}
	foldDomain(w, e, "c/", func() domain.State {
		return &domain.Consultation{ID: string(e.aggID), Region: domain.Region(e.region)}
	})
}

type supervProj struct{}

func (supervProj) name() string  { return Supervision }
func (supervProj) short() string { return shortSuperv }

func (supervProj) apply(w *writer, e *rec) {
	if string(e.kind) != string(domain.KindInspection) {
		return
	}
	foldDomain(w, e, "i/", func() domain.State {
		return &domain.Inspection{ID: string(e.aggID), Region: domain.Region(e.region)}
	})
}
