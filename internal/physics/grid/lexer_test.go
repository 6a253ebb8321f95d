package grid

import "testing"

func TestLexerStrings(t *testing.T) {
	for _, tc := range []struct {
		src, want, err string
	}{
		{src: `'abc'`, want: "abc"},
		{src: `'it''s'`, want: "it's"},
		{src: `"abc"`, want: "abc"},
		{src: `"say ""hi"""`, want: `say "hi"`},
		{src: `"it's"`, want: "it's"},
		{src: "'abc\n'", err: "unterminated string"},
		{src: `"abc`, err: "unterminated string"},
	} {
		lx := lexer{src: []byte(tc.src), line: 1, col: 1}
		tok, d := lx.next()
		switch {
		case tc.err != "":
			if d == nil || d.Msg != tc.err || d.Line != 1 || d.Col != 1 {
				t.Errorf("%q: got %+v, %v; want error %q at 1:1", tc.src, tok, d, tc.err)
			}
		case d != nil:
			t.Errorf("%q: %v", tc.src, d)
		case tok.kind != tString || tok.text != tc.want:
			t.Errorf("%q: got kind %v text %q, want string %q", tc.src, tok.kind, tok.text, tc.want)
		}
	}
}
