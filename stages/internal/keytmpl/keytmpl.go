// Package keytmpl builds store keys from templates such as
// "community:{community_id}:hot", filled from the request's context entity.
//
// A template is literal text with placeholders in braces:
//
//   - {id} is the context entity's id;
//   - {item} is the list item a fan-out source is fetching (only where the
//     stage allows it);
//   - {name} is the context feature name, which must be a string or an int.
//
// {{ and }} stand for literal braces, so a Redis Cluster hash tag is written
// "user:{{{id}}}:viewed". Rendering fails, with an error naming the template
// and the placeholder, when the context has no id, or lacks the feature, or
// holds it with another kind, or holds an empty string: a key built from a
// missing value would silently read another list.
package keytmpl

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rankflow/rankflow/rank"
)

// Doc describes the template syntax for stage docs.
const Doc = "Key templates: {id} is the context entity's id, {name} a context string or int feature; " +
	"{{ and }} are literal braces. A missing id or feature (or an empty string) fails the request with an error naming it."

type partKind uint8

const (
	literal partKind = iota
	ctxID
	listItem
	feature
)

type part struct {
	kind partKind
	text string // the literal, or the feature name
}

// Template is a parsed key template. It is immutable and safe for concurrent
// use.
type Template struct {
	src   string
	parts []part
}

// Parse parses src. allowItem says whether {item} names the fan-out item;
// otherwise it is an ordinary context feature called "item".
func Parse(src string, allowItem bool) (*Template, error) {
	if src == "" {
		return nil, errors.New("key template is empty")
	}
	t := &Template{src: src}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{kind: literal, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '{' && i+1 < len(src) && src[i+1] == '{':
			lit.WriteByte('{')
			i++
		case c == '}' && i+1 < len(src) && src[i+1] == '}':
			lit.WriteByte('}')
			i++
		case c == '}':
			return nil, fmt.Errorf("key template %q: unmatched } at offset %d (write }} for a literal brace)", src, i)
		case c == '{':
			end := strings.IndexByte(src[i+1:], '}')
			if end < 0 {
				return nil, fmt.Errorf("key template %q: unclosed { at offset %d (write {{ for a literal brace)", src, i)
			}
			name := src[i+1 : i+1+end]
			if name == "" || strings.ContainsAny(name, "{ ") {
				return nil, fmt.Errorf("key template %q: bad placeholder {%s} at offset %d", src, name, i)
			}
			flush()
			switch {
			case name == "id":
				t.parts = append(t.parts, part{kind: ctxID})
			case name == "item" && allowItem:
				t.parts = append(t.parts, part{kind: listItem})
			default:
				t.parts = append(t.parts, part{kind: feature, text: name})
			}
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return t, nil
}

// String returns the template's source.
func (t *Template) String() string { return t.src }

// Features returns the context features the template reads, each once.
func (t *Template) Features() []string {
	var out []string
	for _, p := range t.parts {
		if p.kind == feature && !slices.Contains(out, p.text) {
			out = append(out, p.text)
		}
	}
	return out
}

// Render fills the template from ctx (which may be nil: no id, no features)
// and item. It allocates only the returned key.
func (t *Template) Render(ctx *rank.Entity, item string) (string, error) {
	if len(t.parts) == 1 && t.parts[0].kind == literal {
		return t.parts[0].text, nil
	}
	var buf [128]byte
	b := buf[:0]
	for _, p := range t.parts {
		switch p.kind {
		case literal:
			b = append(b, p.text...)
		case ctxID:
			if ctx == nil || ctx.ID == "" {
				return "", fmt.Errorf("key %q: the context has no id", t.src)
			}
			b = append(b, ctx.ID...)
		case listItem:
			b = append(b, item...)
		case feature:
			var v rank.Value
			var ok bool
			if ctx != nil {
				v, ok = ctx.Feature(p.text)
			}
			if !ok {
				return "", fmt.Errorf("key %q: the context has no feature %q", t.src, p.text)
			}
			if s, isStr := v.AsString(); isStr {
				if s == "" {
					return "", fmt.Errorf("key %q: context feature %q is empty", t.src, p.text)
				}
				b = append(b, s...)
			} else if n, isInt := v.AsInt(); isInt {
				b = strconv.AppendInt(b, n, 10)
			} else {
				return "", fmt.Errorf("key %q: context feature %q is a %s, want a string or an int", t.src, p.text, v.Kind())
			}
		}
	}
	return string(b), nil
}
