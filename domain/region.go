package domain

// Region is an administrative division code: 2 digits province, 4
// city/prefecture, 6 county/district (GB/T 2260), 9 township/street, 12
// community/village. Build one with [ParseRegion].
type Region string

// Level is the administrative level of a [Region].
type Level int

const (
	// LevelInvalid is the level of a malformed region.
	LevelInvalid Level = iota
	// LevelProvince is a 2-digit code.
	LevelProvince
	// LevelCity is a 4-digit code (city or prefecture).
	LevelCity
	// LevelCounty is a 6-digit code (county or district).
	LevelCounty
	// LevelTownship is a 9-digit code (township or street).
	LevelTownship
	// LevelVillage is a 12-digit code (community or village).
	LevelVillage
)

// regionLengths maps a Level to its code length.
var regionLengths = [...]int{LevelProvince: 2, LevelCity: 4, LevelCounty: 6, LevelTownship: 9, LevelVillage: 12}

// ParseRegion validates s (ASCII digits only, length 2, 4, 6, 9 or 12) and
// returns it as a Region, or an *Error with code "invalid_region".
func ParseRegion(s string) (Region, error) {
	r := Region(s)
	if r.Level() == LevelInvalid {
		return "", invalid("invalid_region", "行政区划代码须为2、4、6、9或12位数字", "a region code has 2, 4, 6, 9 or 12 digits")
	}
	return r, nil
}

// Level returns the region's level, or LevelInvalid when r is malformed.
func (r Region) Level() Level {
	for i := 0; i < len(r); i++ {
		if r[i] < '0' || r[i] > '9' {
			return LevelInvalid
		}
	}
	for l := LevelProvince; l <= LevelVillage; l++ {
		if regionLengths[l] == len(r) {
			return l
		}
	}
	return LevelInvalid
}

// Parent returns the region one level up, "" for a province or a malformed region.
func (r Region) Parent() Region {
	l := r.Level()
	if l <= LevelProvince {
		return ""
	}
	return r[:regionLengths[l-1]]
}

// Levels returns r's ancestors from the province down to r itself, e.g.
// 22, 2201, 220102, 220102001, 220102001001; nil for a malformed region.
func (r Region) Levels() []Region {
	l := r.Level()
	if l == LevelInvalid {
		return nil
	}
	out := make([]Region, 0, int(l))
	for i := LevelProvince; i <= l; i++ {
		out = append(out, r[:regionLengths[i]])
	}
	return out
}
