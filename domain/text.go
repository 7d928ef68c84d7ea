package domain

import (
	"unicode"
	"unicode/utf8"
)

// checkText refuses free text that a reader cannot see as written: invalid
// UTF-8, control characters (NUL, newlines included), bidirectional
// embeddings, overrides and isolates (which reorder what is displayed),
// and strings with no visible character (only spaces or zero-width
// characters). The length in bytes must lie in [min, max]. The error has
// code "invalid_text" and names the field.
func checkText(field, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		return textErr(field, "长度不符", "has the wrong length")
	}
	if s == "" {
		return nil
	}
	if !utf8.ValidString(s) {
		return textErr(field, "不是有效的UTF-8", "is not valid UTF-8")
	}
	visible := false
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return textErr(field, "含控制字符", "contains a control character")
		case isBidiControl(r):
			return textErr(field, "含双向文本控制字符", "contains a bidirectional control character")
		case unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S, unicode.M):
			visible = true
		}
	}
	if !visible {
		return textErr(field, "没有可见字符", "has no visible character")
	}
	return nil
}

// isBidiControl reports the Unicode bidirectional formatting characters.
func isBidiControl(r rune) bool {
	return r == '\u061C' || r == '\u200E' || r == '\u200F' || r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

func textErr(field, zh, en string) *Error {
	return invalid("invalid_text", field+" "+zh, field+" "+en)
}

// checkTexts applies checkText to every element of xs.
func checkTexts(field string, xs []string, min, max int) error {
	for _, x := range xs {
		if err := checkText(field, x, min, max); err != nil {
			return err
		}
	}
	return nil
}

// MaxText is the most bytes a free-text field of a command may hold.
const MaxText = 4000

// ValidText reports whether s is acceptable free text (topics, opinions,
// summaries, reasons, reports): what [checkText] accepts, except that
// newlines and tabs are allowed, up to [MaxText] bytes. Blank text (spaces
// only, full-width ones too) is refused.
func ValidText(s string) bool {
	if len(s) > MaxText || !utf8.ValidString(s) {
		return false
	}
	visible := false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
		case unicode.IsControl(r) || isBidiControl(r):
			return false
		case unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S, unicode.M):
			visible = true
		}
	}
	return visible
}

func textOK(s string) bool { return ValidText(s) }
