package hotkeys

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error of [Parser.Parse]: the line is not
// a MONITOR line. The "OK" that redis-cli prints first is one of these.
var ErrMalformed = errors.New("not a MONITOR line")

// Command is one parsed MONITOR line,
//
//	1655767305.672853 [0 10.8.144.28:61122] "get" "post:3hg9w"
//
// Its byte slices point into the line and into the parser's buffer: they are
// valid until the next call to [Parser.Parse] and must be copied to be kept.
type Command struct {
	Time   []byte   // seconds since the epoch as logged, "1655767305.672853"
	DB     int      // database number; 0 when the line has no "[db addr]"
	Client []byte   // "10.8.144.28:61122", "lua", "unix:/tmp/redis.sock"; empty when absent
	Args   [][]byte // the command name as sent ("get") and its arguments, unescaped
}

// Name returns the command name as sent by the client, Args[0].
func (c Command) Name() []byte { return c.Args[0] }

// A Parser parses MONITOR lines, reusing its buffers from line to line. The
// zero value is ready to use. A Parser is not safe for concurrent use.
type Parser struct {
	buf  []byte   // unescaped arguments that needed unescaping
	args [][]byte // Command.Args
}

// maxDB bounds the database number so that a long run of digits can't
// overflow; Redis has 16 databases unless configured otherwise.
const maxDB = 1 << 20

// Parse parses one line, with or without its line ending. The "[db addr]"
// part is optional, as in MONITOR output before Redis 2.6. Arguments are
// unescaped the way redis-cli reads them: \" \\ \n \r \t \a \b and \xNN,
// and a backslash before any other byte stands for that byte. If the line is
// not a MONITOR line, Parse returns an error wrapping [ErrMalformed].
func (p *Parser) Parse(line []byte) (Command, error) {
	line = trimEOL(line)
	var c Command
	i := digits(line, 0)
	if i == 0 {
		return c, malformed("no timestamp", 0)
	}
	if i < len(line) && line[i] == '.' {
		j := digits(line, i+1)
		if j == i+1 {
			return c, malformed("no digits after the timestamp's dot", j)
		}
		i = j
	}
	c.Time = line[:i:i]
	if i >= len(line) || line[i] != ' ' {
		return c, malformed("want a space after the timestamp", i)
	}
	i++
	if i < len(line) && line[i] == '[' {
		i++
		j := digits(line, i)
		if j == i || j-i > 7 {
			return c, malformed("want a database number after [", i)
		}
		for _, d := range line[i:j] {
			c.DB = c.DB*10 + int(d-'0')
		}
		if c.DB > maxDB {
			return c, malformed("database number out of range", i)
		}
		if j >= len(line) || line[j] != ' ' {
			return c, malformed("want a space after the database number", j)
		}
		i = j + 1
		end := bytes.Index(line[i:], closeBracket)
		if end < 0 {
			return c, malformed(`want "] " after the client address`, i)
		}
		c.Client = line[i : i+end : i+end]
		i += end + len(closeBracket) - 1 // at the opening quote
	}
	p.buf = p.buf[:0]
	p.args = p.args[:0]
	for {
		arg, next, err := p.arg(line, i)
		if err != nil {
			return Command{}, err
		}
		p.args = append(p.args, arg)
		if next == len(line) {
			break
		}
		if line[next] != ' ' {
			return Command{}, malformed("want a space after an argument", next)
		}
		i = next + 1
	}
	c.Args = p.args[:len(p.args):len(p.args)]
	return c, nil
}

var closeBracket = []byte(`] "`)

// arg reads the quoted argument starting at line[i] and returns it and the
// position after its closing quote.
func (p *Parser) arg(line []byte, i int) ([]byte, int, error) {
	if i >= len(line) || line[i] != '"' {
		return nil, i, malformed("want a quoted argument", i)
	}
	i++
	start := i
	// Most arguments have no escapes: return them in place.
	for i < len(line) && line[i] != '"' && line[i] != '\\' {
		i++
	}
	if i >= len(line) {
		return nil, i, malformed("unterminated argument", start-1)
	}
	if line[i] == '"' {
		return line[start:i:i], i + 1, nil
	}
	from := len(p.buf)
	p.buf = append(p.buf, line[start:i]...)
	for {
		if i >= len(line) {
			return nil, i, malformed("unterminated argument", start-1)
		}
		b := line[i]
		switch b {
		case '"':
			return p.buf[from:len(p.buf):len(p.buf)], i + 1, nil
		case '\\':
			if i+1 >= len(line) {
				return nil, i, malformed("unterminated argument", start-1)
			}
			i++
			b = line[i]
			switch b {
			case 'n':
				b = '\n'
			case 'r':
				b = '\r'
			case 't':
				b = '\t'
			case 'b':
				b = '\b'
			case 'a':
				b = '\a'
			case 'x':
				if i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
					b = unhex(line[i+1])<<4 | unhex(line[i+2])
					i += 2
				}
			}
		}
		p.buf = append(p.buf, b)
		i++
	}
}

func malformed(what string, at int) error {
	return fmt.Errorf("%w: %s at byte %d", ErrMalformed, what, at)
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// digits returns the position of the first non-digit at or after i.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

func unhex(b byte) byte {
	switch {
	case b <= '9':
		return b - '0'
	case b <= 'F':
		return b - 'A' + 10
	}
	return b - 'a' + 10
}

// AppendQuote appends s quoted the way MONITOR prints an argument (Redis's
// sdscatrepr): printable ASCII as is, \" \\ \n \r \t \a \b escaped and any
// other byte as \xNN. [Parser.Parse] reads it back unchanged.
func AppendQuote(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case '\\', '"':
			dst = append(dst, '\\', b)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\a':
			dst = append(dst, '\\', 'a')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if b < 0x20 || b > 0x7e {
				dst = append(dst, '\\', 'x', hex[b>>4], hex[b&15])
			} else {
				dst = append(dst, b)
			}
		}
	}
	return append(dst, '"')
}

// Quote returns s quoted as by [AppendQuote].
func Quote(s string) string { return string(AppendQuote(nil, s)) }
