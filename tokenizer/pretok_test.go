package tokenizer

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// llama.cpp's regular expressions per pre-tokenizer (llm_tokenizer_bpe),
// used with a look-ahead regex engine as an oracle for the hand-written
// splitters.
const (
	reGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
	reLlama3 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	reQwen2  = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

var oracleRegexes = map[string][]string{
	"default":        {`[\p{P}\$\+<=>\^~\|]+`, reGPT2, `\p{N}+`, `[0-9][0-9][0-9]`},
	"gpt-2":          {reGPT2},
	"llama-bpe":      {reLlama3},
	"qwen2":          {reQwen2},
	"falcon":         {"[\\p{P}\\$\\+<=>\\^~\\|`]+", reGPT2, `[0-9][0-9][0-9]`},
	"starcoder":      {`\p{N}`, reGPT2},
	"deepseek-coder": {"[\r\n]", `\s?\p{L}+`, `\s?\p{P}+`, `[一-龥ࠀ-一가-퟿]+`, `\p{N}`},
	"deepseek-llm": {"[\r\n]",
		"\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1f7dᾀ-ᾴᾶ-ᾼ\u1fbeῂ-ῄῆ-ῌῐ-\u1fd3ῖ-\u1fdbῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212a-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
		`\s?[!-/:-~！-／：-～‘-‟　-。]+`, `\s+$`, `[一-龥ࠀ-一가-퟿]+`, `\p{N}+`},
	"bloom": {` ?[^(\s|.,!?…。，、।۔،)]+`},
}

// oracleSplit applies regexes as llama.cpp's unicode_regex_split does
// (matches and gaps become segments; each regex refines every segment).
func oracleSplit(t *testing.T, res []*regexp2.Regexp, text string) []string {
	// std::regex sees non-ASCII whitespace as \v.
	rs := []rune(text)
	w := make([]rune, len(rs))
	for i, r := range rs {
		w[i] = wide(r)
	}
	ends := []int{len(rs)}
	for _, re := range res {
		var next []int
		s := 0
		for _, e := range ends {
			seg := string(w[s:e])
			last := 0
			m, err := re.FindStringMatch(seg)
			for m != nil && err == nil {
				if m.RuneIndex > last {
					next = append(next, s+m.RuneIndex)
				}
				if m.RuneLength > 0 {
					next = append(next, s+m.RuneIndex+m.RuneLength)
				}
				last = m.RuneIndex + m.RuneLength
				m, err = re.FindNextMatch(m)
			}
			if err != nil {
				t.Fatal(err)
			}
			if last < e-s {
				next = append(next, e)
			}
			s = e
		}
		ends = next
	}
	var out []string
	s := 0
	for _, e := range ends {
		if e > s {
			out = append(out, string(rs[s:e]))
		}
		s = e
	}
	return out
}

func mySplit(sp splitter, text string) []string {
	var out []string
	var buf splitBuf
	sp.run(text, &buf, func(a, b int) { out = append(out, text[a:b]) })
	return out
}

var splitAlphabet = []rune("aZé ß  \t\n\r\r\n09١²'sStTmMdDrReEvVlL.,!?;:-_$+<=>^~|`@#()[]{}\"\\/*&%日本語中ࠀ가퟿한\u00a0\u3000\u2009\u0085。，！ＡｚΩЖ🙂\u0301\u200d\ufffd…،")

func randomText(rng *rand.Rand) string {
	n := rng.Intn(24)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(splitAlphabet[rng.Intn(len(splitAlphabet))])
	}
	return b.String()
}

func TestPreTokenizersMatchRegexOracle(t *testing.T) {
	fixed := []string{
		"", " ", "  ", "   ", "\t", "\n", "\n\n", "\t\n", "Hello world", " Hello World!", "Hello, world!",
		"   Hello", "    Hello\n    Hello", "I'm I'M it's IT'S we'll WE'LL 've 'RE", "3333333 12345 1.5 ١٢٣٤",
		"\n =", "' era", "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～", "!!!!!!", "a  b   c\n\n d",
		"🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)",
		"ied 4 ½ months", "Führer", "  ¿¡  ", "x\u3000y\u00a0 z", "end   ", "tab\t\t\tx",
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 400; i++ {
		fixed = append(fixed, randomText(rng))
	}
	// The oracle itself, on known values.
	gres := []*regexp2.Regexp{regexp2.MustCompile(reGPT2)}
	if got := strings.Join(oracleSplit(t, gres, "Hello  world's 123\t!"), "|"); got != "Hello| | world|'s| 123|\t|!" {
		t.Fatalf("oracle gpt-2 split = %q", got)
	}
	if got := strings.Join(mySplit(splitter{llama3Stage(3)}, "I'M  12345 \n\n x"), "|"); got != "I|'M| | |123|45| \n\n| x" {
		t.Fatalf("llama3 split = %q", got)
	}
	for pre, exprs := range oracleRegexes {
		t.Run(pre, func(t *testing.T) {
			var res []*regexp2.Regexp
			for _, e := range exprs {
				res = append(res, regexp2.MustCompile(e))
			}
			sp, _, _, err := preTokenizer(pre)
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			for _, s := range fixed {
				want := oracleSplit(t, res, s)
				got := mySplit(sp, s)
				if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
					if bad++; bad <= 5 {
						t.Errorf("%q:\n got  %q\n want %q", s, got, want)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d strings differ", bad, len(fixed))
			}
		})
	}
}

// FuzzPreTokenizers compares every hand-written splitter with llama.cpp's
// regular expressions on arbitrary valid UTF-8.
func FuzzPreTokenizers(f *testing.F) {
	for _, s := range []string{"Hello world", "  x\n\n y", "I'M 12345 ١٢ ²", "a\u3000b\u00a0 c", "日本語abc!!", "🙂 'll 'S"} {
		f.Add(s)
	}
	type pair struct {
		res []*regexp2.Regexp
		sp  splitter
	}
	var all []pair
	for pre, exprs := range oracleRegexes {
		var res []*regexp2.Regexp
		for _, e := range exprs {
			res = append(res, regexp2.MustCompile(e))
		}
		sp, _, _, err := preTokenizer(pre)
		if err != nil {
			f.Fatal(err)
		}
		all = append(all, pair{res, sp})
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || len(s) > 200 {
			return
		}
		for _, p := range all {
			want := strings.Join(oracleSplit(t, p.res, s), "\x00")
			if got := strings.Join(mySplit(p.sp, s), "\x00"); got != want {
				t.Fatalf("%q: got %q want %q", s, got, want)
			}
		}
	})
}
