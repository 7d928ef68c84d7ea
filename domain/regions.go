package domain

import "unicode/utf8"

// KindRegions is a province's register of administrative divisions: the
// names of its regions, recorded by an admin as reference data so that
// names are versioned like every other fact. Its region is the province
// (2 digits); a province has one register, whose ID the first import
// chooses.
const KindRegions AggregateKind = "regions"

// MaxRegionBatch is the most entries one [RecordRegions] command may carry.
const MaxRegionBatch = 1000

// Regions is the state of a register: how many entries it recorded. The
// names themselves are read from the read model, not from this state, so
// that deciding a command never loads the whole register.
type Regions struct {
	ID       string
	Region   Region
	Recorded int
}

// Kind returns KindRegions.
func (*Regions) Kind() AggregateKind { return KindRegions }

// RegionEntry is one administrative division: its code, its name and its
// parent's code ("" for a province). Committee is the kind of committee of
// a community or village (12 digits) where the source says it, else "".
type RegionEntry struct {
	Code      Region        `json:"code"`
	Name      string        `json:"name"`
	Parent    Region        `json:"parent"`
	Committee CommitteeKind `json:"committee,omitempty"`
}

// RegionsRecorded records entries of a province's register; an entry for a
// code recorded before replaces it (a renamed village keeps its code).
type RegionsRecorded struct {
	Source  string        `json:"source"`
	Entries []RegionEntry `json:"entries"`
}

// EventType returns "regions.recorded".
func (RegionsRecorded) EventType() string { return "regions.recorded" }

func (ev RegionsRecorded) applyRegions(r *Regions) { r.Recorded += len(ev.Entries) }

// RecordRegions records up to [MaxRegionBatch] entries in the register of
// a province (Region: 2 digits). Every code must lie in the province, name
// its parent (the code one level up) and carry a name of 1 to 100
// characters; a committee kind is allowed on 12-digit codes only, and a
// code appears once per command. Source says where the names come from.
// Only an admin may record it (the server lets no other role write
// registers).
type RecordRegions struct {
	RegisterID string        `json:"register_id"`
	Region     Region        `json:"region"`
	Source     string        `json:"source"`
	Entries    []RegionEntry `json:"entries"`
}

// CommandType returns "record_regions".
func (RecordRegions) CommandType() string { return "record_regions" }

// Target returns the register's ref.
func (c RecordRegions) Target() AggregateRef {
	return AggregateRef{Kind: KindRegions, ID: c.RegisterID, Region: c.Region}
}

// Related returns nil.
func (RecordRegions) Related() []AggregateRef { return nil }

func (c RecordRegions) decideRegions(_ *Regions, _ Env) ([]Event, error) {
	if len(c.Entries) == 0 || len(c.Entries) > MaxRegionBatch {
		return nil, invalid("invalid_batch", "每条命令须含1至1000个区划", "a command carries 1 to 1000 regions")
	}
	if err := checkText("source", c.Source, 1, 500); err != nil {
		return nil, err
	}
	seen := make(map[Region]bool, len(c.Entries))
	for _, e := range c.Entries {
		if err := checkRegionEntry(c.Region, e); err != nil {
			return nil, err
		}
		if seen[e.Code] {
			return nil, invalid("duplicate_region", "同一区划在命令中出现两次: "+string(e.Code), "a region appears twice in the command: "+string(e.Code))
		}
		seen[e.Code] = true
	}
	return one(RegionsRecorded{Source: c.Source, Entries: c.Entries})
}

// checkRegionEntry checks one entry of the register of province prov.
func checkRegionEntry(prov Region, e RegionEntry) error {
	code := string(e.Code)
	if e.Code.Level() == LevelInvalid || code[:2] != string(prov) {
		return invalid("invalid_region", "区划代码须为本省的2、4、6、9或12位数字: "+code, "a region code has 2, 4, 6, 9 or 12 digits and lies in the register's province: "+code)
	}
	if e.Parent != e.Code.Parent() {
		return invalid("wrong_parent", "上级区划须为代码的上一级: "+code, "the parent must be the code one level up: "+code)
	}
	if err := checkText("name", e.Name, 1, 400); err != nil {
		return err
	}
	if utf8.RuneCountInString(e.Name) > 100 {
		return invalid("invalid_text", "名称不得超过100个字: "+code, "a name has at most 100 characters: "+code)
	}
	switch e.Committee {
	case "":
		return nil
	case CommitteeVillagers, CommitteeResidents:
		if e.Code.Level() == LevelVillage {
			return nil
		}
	}
	return invalid("invalid_committee", "委员会类型只用于12位村（社区）代码，须为 villagers 或 residents: "+code,
		"a committee kind (villagers or residents) goes with a 12-digit code only: "+code)
}
