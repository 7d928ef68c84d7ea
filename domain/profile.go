package domain

import "strings"

// KindProfile is a provincial rules profile, registered by an admin; its
// region is the province (2 digits).
const KindProfile AggregateKind = "profile"

// Profile is a named set of provincial rules for one committee kind, at or
// stricter than every national floor. The caller owns it (see [State]).
type Profile struct {
	ID         string
	Region     Region
	Registered bool
	Name       string
	Committee  CommitteeKind
	Source     string
	Rules      Rules
}

// Kind returns KindProfile.
func (*Profile) Kind() AggregateKind { return KindProfile }

// A built-in profile: rules written in code, for any election in Province
// ("" = anywhere) of committee kind Committee ("" = any kind).
type builtinProfile struct {
	Province  Region
	Committee CommitteeKind
	Source    string
	Rules     Rules
}

// ProfileNational is the profile of the national floors, used when an
// election names none.
const ProfileNational = "national"

// builtinProfiles are the profiles written in code. Their numbers are the
// floors except where the provincial text cited says more.
var builtinProfiles = map[string]builtinProfile{
	ProfileNational: {Source: "村民委员会组织法 2018; 城市居民委员会组织法 2018 (national floors)"},
	"jilin": {Province: "22", Committee: CommitteeVillagers,
		Source: "吉林省村民委员会选举办法 2012 第四条 / Jilin 2012 art. 4: a committee of 3, 5 or 7 members",
		Rules:  Rules{OddSeats: true}},
	"shanghai-2020": {Province: "31", Committee: CommitteeVillagers,
		Source: "上海市村民委员会选举办法 2020 第十六条、第十九条、第二十三条 / Shanghai 2020 arts. 16, 19, 23"},
	"zhejiang-2020": {Province: "33", Committee: CommitteeVillagers,
		Source: "浙江省村民委员会选举办法 2020 第二十二条、第二十五条 / Zhejiang 2020 arts. 22, 25"},
}

// BuiltinProfiles returns the names of the profiles written in code.
func BuiltinProfiles() []string {
	return []string{ProfileNational, "jilin", "shanghai-2020", "zhejiang-2020"}
}

// ProfileRegistered records a provincial rules profile (rules with the
// national floors filled in).
type ProfileRegistered struct {
	Name      string        `json:"name"`
	Committee CommitteeKind `json:"committee"`
	Source    string        `json:"source"`
	Rules     Rules         `json:"rules"`
}

// EventType returns "profile.registered".
func (ProfileRegistered) EventType() string { return "profile.registered" }

func (ev ProfileRegistered) applyProfile(p *Profile) {
	p.Registered, p.Name, p.Committee, p.Source, p.Rules = true, ev.Name, ev.Committee, ev.Source, ev.Rules
}

// RegisterProfile registers a provincial rules profile for elections of
// one committee kind in a province (Region: 2 digits). Zero rules take the
// national floor; a rule below its floor is refused with "rules_below_law"
// naming the floor. A profile never changes: a revision is a new profile.
// Only an admin may record it (the server lets no other role write profiles).
type RegisterProfile struct {
	ProfileID string        `json:"profile_id"`
	Region    Region        `json:"region"`
	Name      string        `json:"name"`
	Committee CommitteeKind `json:"committee"`
	Source    string        `json:"source"`
	Rules     Rules         `json:"rules"`
}

// CommandType returns "register_profile".
func (RegisterProfile) CommandType() string { return "register_profile" }

// Target returns the profile's ref.
func (c RegisterProfile) Target() AggregateRef {
	return AggregateRef{Kind: KindProfile, ID: c.ProfileID, Region: c.Region}
}

// Related returns nil.
func (RegisterProfile) Related() []AggregateRef { return nil }

func (c RegisterProfile) decideProfile(p *Profile, _ Env) ([]Event, error) {
	if p.Registered {
		return nil, conflict("profile_exists", "该规则配置已登记（修订须登记新配置）", "the profile is registered; a revision is a new profile")
	}
	if _, ok := seatDefaults[c.Committee]; !ok {
		return nil, invalid("invalid_committee", "委员会类型须为 villagers、residents 或 supervision", "committee must be villagers, residents or supervision")
	}
	if err := checkText("name", c.Name, 1, 200); err != nil {
		return nil, err
	}
	if err := checkText("source", c.Source, 1, 1000); err != nil {
		return nil, err
	}
	if _, builtin := builtinProfiles[c.Name]; builtin {
		return nil, conflict("profile_exists", "与内置规则配置重名", "the name is a built-in profile's")
	}
	rules := c.Rules.WithDefaults(c.Committee)
	if err := rules.CheckFloors(c.Committee); err != nil {
		return nil, err
	}
	return one(ProfileRegistered{Name: c.Name, Committee: c.Committee, Source: c.Source, Rules: rules})
}

// profileRef is the ref of a registered profile named by an election in region.
func profileRef(id string, region Region) AggregateRef {
	prov := region
	if len(prov) > 2 {
		prov = prov[:2]
	}
	return AggregateRef{Kind: KindProfile, ID: id, Region: prov}
}

// resolveRules returns the rules of the profile an election of kind k in
// region names: a built-in name, or the ULID of a registered profile of the
// election's province (loaded in env). The rules are checked against the
// floors again, so that no stored profile can loosen them.
func resolveRules(name string, k CommitteeKind, region Region, env Env) (string, Rules, error) {
	if name == "" {
		name = ProfileNational
	}
	var (
		prov Region
		kind CommitteeKind
		r    Rules
	)
	if b, ok := builtinProfiles[name]; ok {
		prov, kind, r = b.Province, b.Committee, b.Rules.WithDefaults(k)
	} else {
		p, _ := env.Related[profileRef(name, region)].(*Profile)
		if !validULID(name) || p == nil || !p.Registered {
			return "", Rules{}, notFound("profile_not_found", "未找到该选举规则配置", "no such rules profile")
		}
		prov, kind, r = p.Region, p.Committee, p.Rules
	}
	if !strings.HasPrefix(string(region), string(prov)) || kind != "" && kind != k {
		return "", Rules{}, invalid("profile_not_applicable", "该规则配置不适用于本地区或本委员会类型", "the profile is for another province or committee kind")
	}
	if err := r.CheckFloors(k); err != nil {
		return "", Rules{}, err
	}
	return name, r, nil
}
