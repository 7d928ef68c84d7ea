package projections

import (
	"context"
	"encoding/json"

	"github.com/cockroachdb/pebble/v2"

	"ledger/domain"
)

// regionsProj keeps the names of the recorded regions (the registers of
// administrative divisions): one entry per code, the latest recorded, and
// an index of each region's children.
type regionsProj struct{}

func (regionsProj) name() string  { return Regions }
func (regionsProj) short() string { return shortRegions }

// storedRegion is the value at prg/n/<code>.
type storedRegion struct {
	Name      string `json:"n"`
	Parent    string `json:"p,omitempty"`
	Committee string `json:"c,omitempty"`
}

func (regionsProj) apply(w *writer, e *rec) {
	if string(e.kind) != string(domain.KindRegions) {
		return
	}
	ev, err := domain.DecodeEvent(string(e.typ), e.payload)
	if err != nil {
		w.skip(e, err.Error())
		return
	}
	rr, ok := ev.(domain.RegionsRecorded)
	if !ok {
		return
	}
	for _, r := range rr.Entries {
		b, err := json.Marshal(storedRegion{Name: r.Name, Parent: string(r.Parent), Committee: string(r.Committee)})
		if err != nil {
			w.fail(err)
			return
		}
		w.setBlob(key(nil, shortRegions, "n/", string(r.Code)), b)
		w.put(key(nil, shortRegions, "c/", string(r.Parent), "/", string(r.Code)), nil)
	}
}

// RegionName is a region's code and recorded name.
type RegionName struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Committee string `json:"committee,omitempty"`
}

// RegionView is a region as the registers record it: its name, the names
// of the regions above it (province first; those recorded) and its
// recorded subdivisions in code order. Known is false when the code itself
// was never recorded; Name is then "".
type RegionView struct {
	RegionName
	Known     bool         `json:"known"`
	Parent    string       `json:"parent,omitempty"`
	Ancestors []RegionName `json:"ancestors"`
	Children  []RegionName `json:"children"`
}

// RegionOf returns the recorded names of code, its ancestors and its
// children. Its cost grows with the number of children.
func RegionOf(ctx context.Context, db pebble.Reader, code string) (RegionView, error) {
	v := RegionView{RegionName: RegionName{Code: code}, Ancestors: []RegionName{}, Children: []RegionName{}}
	r := domain.Region(code)
	if r.Level() == domain.LevelInvalid {
		return v, ErrNotFound
	}
	for _, a := range r.Levels() {
		var s storedRegion
		found, err := getJSON(db, key(nil, shortRegions, "n/", string(a)), &s)
		if err != nil {
			return v, err
		}
		switch {
		case !found:
		case string(a) == code:
			v.Name, v.Committee, v.Parent, v.Known = s.Name, s.Committee, s.Parent, true
		default:
			v.Ancestors = append(v.Ancestors, RegionName{Code: string(a), Name: s.Name})
		}
	}
	err := scan(ctx, db, key(nil, shortRegions, "c/", code, "/"), func(k, _ []byte) error {
		var s storedRegion
		if _, err := getJSON(db, key(nil, shortRegions, "n/", string(k)), &s); err != nil {
			return err
		}
		v.Children = append(v.Children, RegionName{Code: string(k), Name: s.Name, Committee: s.Committee})
		return nil
	})
	return v, err
}
