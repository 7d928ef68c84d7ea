package domain

// How a residents' committee is elected (城市居民委员会组织法 art. 8): by
// all the residents with the right to vote, by one representative of each
// household, or by 2-3 representatives of each residents' group (居民小组).
// The roll holds the electorate of the method: voters, household
// representatives or group representatives; the thresholds of the profile
// apply to that electorate. A villagers' or supervision committee is
// always elected directly.
const (
	MethodDirect          = "direct"                // all registered voters
	MethodHousehold       = "household"             // one representative per household: each roll entry names its household, once
	MethodGroupDelegates  = "group_representatives" // 2-3 representatives per residents' group: each roll entry names its group
	minGroupDelegates     = 2
	maxGroupDelegates     = 3
	ruleResidentsElectors = lawR + "第八条" + lawRE + "art. 8: a residents' committee is elected by all residents with the right to vote, by one representative of each household, or by 2-3 representatives of each residents' group"
)

// methodFor returns the method an election of committee k is called with:
// m, "direct" when m is empty, or an error for a method the committee's
// law does not know.
func methodFor(k CommitteeKind, m string) (string, error) {
	switch {
	case m == "" || m == MethodDirect:
		return MethodDirect, nil
	case k != CommitteeResidents:
		return "", ruleErr("method_not_for_committee", lawOf(k).name,
			"只有居民委员会可由户代表或居民小组代表选举", "only a residents' committee may be elected by household or residents' group representatives")
	case m == MethodHousehold || m == MethodGroupDelegates:
		return m, nil
	}
	return "", invalid("invalid_method", "选举方式须为 direct、household 或 group_representatives",
		"the method must be direct, household or group_representatives")
}

// electorKey returns the household or group a roll entry represents under
// the election's method ("" under direct election).
func (e *Election) electorKey(v VoterEntry) string {
	switch e.Method {
	case MethodHousehold:
		return v.Household
	case MethodGroupDelegates:
		return v.Group
	}
	return ""
}

// admits refuses a roll entry that the election's method does not allow:
// no household or group named, a second representative of a household,
// a fourth of a group. pending counts the entries of the same batch
// already admitted, by household or group.
func (e *Election) admits(v VoterEntry, pending map[string]int) error {
	if e.Method == "" || e.Method == MethodDirect {
		return nil
	}
	k := e.electorKey(v)
	if k == "" || !validID(k) {
		return ruleErr("elector_unit_missing", ruleResidentsElectors, "户代表须写明户编码，居民小组代表须写明小组编码",
			"a household representative names the household, a group representative the residents' group")
	}
	n := e.Represented[k] + pending[k]
	if e.Method == MethodHousehold && n >= 1 {
		return ruleErr("household_represented", ruleResidentsElectors, "每户只有一名户代表: "+k, "a household has one representative: "+k)
	}
	if e.Method == MethodGroupDelegates && n >= maxGroupDelegates {
		return ruleErr("too_many_group_representatives", ruleResidentsElectors, "每个居民小组推选2至3人: "+k, "a residents' group has 2 to 3 representatives: "+k)
	}
	return nil
}

// checkGroups refuses a roll with a residents' group of fewer than 2
// representatives (groups of more than 3 are refused as they are
// registered).
func (e *Election) checkGroups() error {
	if e.Method != MethodGroupDelegates {
		return nil
	}
	for g, n := range e.Represented {
		if n < minGroupDelegates {
			return ruleErr("too_few_group_representatives", ruleResidentsElectors, "每个居民小组推选2至3人: "+g+" 只有 "+itoa(n)+" 人",
				"a residents' group has 2 to 3 representatives: "+g+" has "+itoa(n))
		}
	}
	return nil
}

// represent counts roll number n as a representative of key k (d = +1)
// or removes it (d = -1).
func (e *Election) represent(n int, k string, d int) {
	if k == "" {
		return
	}
	if e.Represented == nil {
		e.Represented, e.representing = map[string]int{}, map[int]string{}
	}
	if d > 0 {
		e.Represented[k]++
		e.representing[n] = k
		return
	}
	if e.Represented[k]--; e.Represented[k] <= 0 {
		delete(e.Represented, k)
	}
	delete(e.representing, n)
}

// methodTag is the method recorded in election.called: only a residents'
// committee records it (a villagers' committee is always elected
// directly, and its events stay as they were).
func methodTag(k CommitteeKind, m string) string {
	if k != CommitteeResidents {
		return ""
	}
	return m
}

// entry returns the roll entry an objection to add a voter would make.
func (o *Objection) entry() VoterEntry {
	return VoterEntry{RollNo: o.RollNo, StationID: o.StationID, Household: o.Household, Group: o.Group}
}
