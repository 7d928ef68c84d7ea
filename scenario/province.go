package scenario

import (
	"fmt"

	"ledger/domain"
)

// The province at scale 1 (DESIGN.md §5): Jilin's 2017-2018 round.
const (
	ProvinceCode        = "22"
	TotalCommunities    = 1451
	TotalVillages       = 9340
	TotalVotersApprox   = 21_000_000
	communityMeanVoters = 6800
	villageMeanVoters   = 1190
)

// City is a prefecture-level division (GB/T 2260 code, 4 digits).
type City struct {
	Code     domain.Region
	Name     string
	Counties []County
}

// County is a county-level division (6 digits) and its share of the
// province's communities and villages.
type County struct {
	Code        domain.Region
	Name        string
	Urban       bool // a city district (区): mostly communities
	Communities int
	Villages    int
}

// jilin lists Jilin's 9 prefecture-level divisions and their 60
// county-level divisions with their GB/T 2260 codes.
var jilin = []City{
	{Code: "2201", Name: "长春市", Counties: counties("2201",
		"02南关区*", "03宽城区*", "04朝阳区*", "05二道区*", "06绿园区*", "12双阳区", "13九台区",
		"22农安县", "82榆树市", "83德惠市", "84公主岭市")},
	{Code: "2202", Name: "吉林市", Counties: counties("2202",
		"02昌邑区*", "03龙潭区*", "04船营区*", "11丰满区*", "21永吉县", "81蛟河市", "82桦甸市", "83舒兰市", "84磐石市")},
	{Code: "2203", Name: "四平市", Counties: counties("2203",
		"02铁西区*", "03铁东区*", "22梨树县", "23伊通满族自治县", "82双辽市")},
	{Code: "2204", Name: "辽源市", Counties: counties("2204",
		"02龙山区*", "03西安区*", "21东丰县", "22东辽县")},
	{Code: "2205", Name: "通化市", Counties: counties("2205",
		"02东昌区*", "03二道江区*", "21通化县", "23辉南县", "24柳河县", "81梅河口市", "82集安市")},
	{Code: "2206", Name: "白山市", Counties: counties("2206",
		"02浑江区*", "05江源区", "21抚松县", "22靖宇县", "23长白朝鲜族自治县", "81临江市")},
	{Code: "2207", Name: "松原市", Counties: counties("2207",
		"02宁江区*", "21前郭尔罗斯蒙古族自治县", "22长岭县", "23乾安县", "81扶余市")},
	{Code: "2208", Name: "白城市", Counties: counties("2208",
		"02洮北区*", "21镇赉县", "22通榆县", "81洮南市", "82大安市")},
	{Code: "2224", Name: "延边朝鲜族自治州", Counties: counties("2224",
		"01延吉市*", "02图们市", "03敦化市", "04珲春市", "05龙井市", "06和龙市", "24汪清县", "26安图县")},
}

// counties parses "NNname" entries (a trailing * marks a city district).
func counties(city string, entries ...string) []County {
	out := make([]County, len(entries))
	for i, e := range entries {
		urban := e[len(e)-1] == '*'
		if urban {
			e = e[:len(e)-1]
		}
		out[i] = County{Code: domain.Region(city + e[:2]), Name: e[2:], Urban: urban}
	}
	return out
}

func init() { allocate(jilin) }

// allocate spreads the province's communities and villages over its
// counties by weight (largest remainder, so the totals are exact): city
// districts hold most communities, counties most villages.
func allocate(cities []City) {
	var cw, vw []float64
	for _, c := range cities {
		for _, k := range c.Counties {
			if k.Urban {
				cw, vw = append(cw, 6), append(vw, 0.25)
			} else {
				cw, vw = append(cw, 1), append(vw, 1)
			}
		}
	}
	cs, vs := apportion(TotalCommunities, cw), apportion(TotalVillages, vw)
	i := 0
	for ci := range cities {
		for ki := range cities[ci].Counties {
			cities[ci].Counties[ki].Communities, cities[ci].Counties[ki].Villages = cs[i], vs[i]
			i++
		}
	}
}

// apportion splits total into integers proportional to weights.
func apportion(total int, weights []float64) []int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	out := make([]int, len(weights))
	rem := make([]float64, len(weights))
	given := 0
	for i, w := range weights {
		exact := float64(total) * w / sum
		out[i] = int(exact)
		rem[i] = exact - float64(out[i])
		given += out[i]
	}
	for ; given < total; given++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// Cities returns the province's prefecture-level divisions with their
// counties, in code order. The slice is shared: do not modify it.
func Cities() []City { return jilin }

// Unit is one community (社区) or village (村): one committee election.
type Unit struct {
	Index     int           // 0-based, in the province's order (city, county, township, unit)
	Region    domain.Region // 12 digits
	Township  domain.Region // 9 digits
	City      int           // index into Cities()
	Community bool          // a residents' committee; else a villagers' committee
}

const (
	communitiesPerStreet = 8
	villagesPerTown      = 12
)

// townships returns the number of streets (for communities) and towns
// (for villages) of a county.
func (k County) townships() (streets, towns int) {
	return ceilDiv(k.Communities, communitiesPerStreet), ceilDiv(k.Villages, villagesPerTown)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// eachUnit calls fn with every unit of the province in order; it stops
// when fn returns false. Codes: streets 001-099 and towns 100-399 within
// a county; communities 001-199 and villages 200-399 within a township.
func eachUnit(fn func(Unit) bool) {
	idx := 0
	for ci, c := range jilin {
		for _, k := range c.Counties {
			for i := 0; i < k.Communities; i++ {
				ts := domain.Region(fmt.Sprintf("%s%03d", k.Code, 1+i/communitiesPerStreet))
				u := Unit{Index: idx, Township: ts, City: ci, Community: true,
					Region: domain.Region(fmt.Sprintf("%s%03d", ts, 1+i%communitiesPerStreet))}
				if idx++; !fn(u) {
					return
				}
			}
			for i := 0; i < k.Villages; i++ {
				ts := domain.Region(fmt.Sprintf("%s%03d", k.Code, 100+i/villagesPerTown))
				u := Unit{Index: idx, Township: ts, City: ci,
					Region: domain.Region(fmt.Sprintf("%s%03d", ts, 200+i%villagesPerTown))}
				if idx++; !fn(u) {
					return
				}
			}
		}
	}
}

// Shape counts the divisions of the province at scale 1.
type Shape struct {
	Cities, Counties, Townships, Communities, Villages int
}

// ProvinceShape returns the counts at scale 1, without generating commands.
func ProvinceShape() Shape {
	s := Shape{Cities: len(jilin)}
	for _, c := range jilin {
		for _, k := range c.Counties {
			st, tw := k.townships()
			s.Counties++
			s.Townships += st + tw
			s.Communities += k.Communities
			s.Villages += k.Villages
		}
	}
	return s
}

// selected reports whether the i-th of n units of a kind is part of a run
// at scale: an even stride, so that exactly round(n*scale) units are taken
// (at least atLeast).
func selected(i, n int, scale float64, atLeast int) bool {
	if scale >= 1 {
		return true
	}
	want := max(atLeast, int(float64(n)*scale+0.5))
	// unit i is taken when floor((i+1)*want/n) > floor(i*want/n)
	return (i+1)*want/n > i*want/n
}
