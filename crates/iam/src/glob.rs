//! Wildcard matching for IAM's `*` (any run of characters, including none) and `?` (exactly one
//! character).
//!
//! IAM wildcards appear in `Action`, `Resource`, ARN condition values and `StringLike`. Policies
//! arrive over the network (STS session policies), so matching must stay cheap on adversarial
//! input: a naive backtracking matcher is exponential on patterns such as `*a*a*a*a*b`. This
//! matcher never backtracks:
//!
//! * The pattern is split at its `*`s into segments. The first segment must match at the start,
//!   the last at the end, and each middle segment is searched **leftmost** in what remains. Taking
//!   the leftmost occurrence is always safe, because whatever a later occurrence could leave for
//!   the rest of the pattern, an earlier one leaves more.
//! * A literal segment is searched with `str::find` (the two-way algorithm: linear).
//! * A segment containing `?` has a fixed length in characters and is searched with the
//!   bit-parallel Shift-And algorithm: one pass over the text, `O(n · ⌈k/64⌉)` for a segment of
//!   `k` characters.
//!
//! So matching is linear in the text for a fixed pattern. Case-insensitive matching (actions,
//! `StringEqualsIgnoreCase`) is done by the callers lowercasing both sides.
//!
//! Tests check that claim by counting work instead of timing it: with `cfg(test)` or the
//! `step-count` feature, every match adds the bytes it examined to a per-thread counter
//! ([`take_steps`]). Without them the counter compiles away.

use std::fmt;

#[cfg(any(test, feature = "step-count"))]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Records `n` units of matching work (bytes of text or pattern examined).
#[inline(always)]
fn count(n: usize) {
    #[cfg(any(test, feature = "step-count"))]
    STEPS.with(|s| s.set(s.get().saturating_add(n as u64)));
    #[cfg(not(any(test, feature = "step-count")))]
    let _ = n;
}

/// The matching work done on this thread since the last call, and resets it to zero.
///
/// A deterministic stand-in for wall-clock time in tests: a matcher that backtracks shows up
/// here as a count far above the text's length, whatever the machine's speed.
#[cfg(any(test, feature = "step-count"))]
pub fn take_steps() -> u64 {
    STEPS.with(|s| s.replace(0))
}

/// One element of a wildcard pattern. Literal `*` and `?` (from the policy variables `${*}` and
/// `${?}`, or from substituted values) are `Lit`, never wildcards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Token {
    Lit(char),
    One,
    Many,
}

/// Splits pattern text into tokens, reading every `*` and `?` as a wildcard.
pub(crate) fn tokens(pattern: &str) -> impl Iterator<Item = Token> + '_ {
    pattern.chars().map(|c| match c {
        '*' => Token::Many,
        '?' => Token::One,
        other => Token::Lit(other),
    })
}

/// True if the text contains a `*` or `?`.
pub(crate) fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// A compiled wildcard pattern.
#[derive(Clone)]
pub struct Glob {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// No wildcard at all.
    Exact(Box<str>),
    /// Only `*`s: matches everything.
    Any,
    /// Literal text followed by a single trailing `*` (the most common shape: `s3:Get*`).
    Prefix(Box<str>),
    /// `?`s but no `*`: the segment must cover the whole text.
    Whole(Box<Segment>),
    /// At least one `*`.
    Split(Box<SplitRepr>),
}

#[derive(Clone)]
struct SplitRepr {
    head: Segment,
    middle: Box<[Segment]>,
    tail: Segment,
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.repr {
            Repr::Exact(_) => "exact",
            Repr::Any => "any",
            Repr::Prefix(_) => "prefix",
            Repr::Whole(_) => "whole",
            Repr::Split(_) => "split",
        };
        write!(f, "Glob({kind})")
    }
}

impl Glob {
    /// Compiles pattern text where every `*` and `?` is a wildcard.
    pub fn new(pattern: &str) -> Glob {
        if !has_wildcard(pattern) {
            return Glob {
                repr: Repr::Exact(pattern.into()),
            };
        }
        let toks: Vec<Token> = tokens(pattern).collect();
        Glob::from_tokens(&toks)
    }

    /// Compiles a token sequence (used when policy variables have been substituted).
    pub(crate) fn from_tokens(toks: &[Token]) -> Glob {
        // Split at every `*`. Empty middle segments (from `**`) mean nothing and are dropped.
        let mut segments: Vec<Vec<Token>> = vec![Vec::new()];
        for &t in toks {
            if t == Token::Many {
                segments.push(Vec::new());
            } else if let Some(last) = segments.last_mut() {
                last.push(t);
            }
        }
        let mut compiled: Vec<Segment> = segments.iter().map(|s| Segment::compile(s)).collect();
        if compiled.len() == 1 {
            return Glob {
                repr: match compiled.pop() {
                    Some(Segment::Wild(w)) => Repr::Whole(Box::new(Segment::Wild(w))),
                    Some(Segment::Lit(s)) => Repr::Exact(s),
                    None => Repr::Exact("".into()),
                },
            };
        }
        let tail = compiled.pop().unwrap_or(Segment::Lit("".into()));
        let mut rest = compiled.into_iter();
        let head = rest.next().unwrap_or(Segment::Lit("".into()));
        let middle: Vec<Segment> = rest.filter(|s| !s.is_empty()).collect();
        match (&head, middle.is_empty(), &tail) {
            (h, true, t) if h.is_empty() && t.is_empty() => Glob { repr: Repr::Any },
            (Segment::Lit(h), true, t) if t.is_empty() => Glob {
                repr: Repr::Prefix(h.clone()),
            },
            _ => Glob {
                repr: Repr::Split(Box::new(SplitRepr {
                    head,
                    middle: middle.into_boxed_slice(),
                    tail,
                })),
            },
        }
    }

    /// True if the pattern matches everything (`*`).
    pub fn is_any(&self) -> bool {
        matches!(self.repr, Repr::Any)
    }

    /// True if the whole text matches the pattern.
    pub fn is_match(&self, text: &str) -> bool {
        match &self.repr {
            Repr::Exact(s) => {
                count(s.len());
                text == &**s
            }
            Repr::Any => true,
            Repr::Prefix(p) => {
                count(p.len());
                text.starts_with(&**p)
            }
            Repr::Whole(seg) => seg.match_prefix(text, 0) == Some(text.len()),
            Repr::Split(split) => {
                let SplitRepr { head, middle, tail } = &**split;
                let Some(mut pos) = head.match_prefix(text, 0) else {
                    return false;
                };
                let Some(limit) = tail.match_suffix(text) else {
                    return false;
                };
                if limit < pos {
                    return false;
                }
                for seg in middle.iter() {
                    match seg.find(text, pos, limit) {
                        Some(end) => pos = end,
                        None => return false,
                    }
                }
                true
            }
        }
    }
}

/// The text between two `*`s.
#[derive(Clone)]
enum Segment {
    Lit(Box<str>),
    Wild(WildSegment),
}

impl Segment {
    fn compile(toks: &[Token]) -> Segment {
        if toks.iter().all(|t| matches!(t, Token::Lit(_))) {
            let s: String = toks
                .iter()
                .filter_map(|t| match t {
                    Token::Lit(c) => Some(*c),
                    _ => None,
                })
                .collect();
            return Segment::Lit(s.into());
        }
        let pat: Box<[Option<char>]> = toks
            .iter()
            .map(|t| match t {
                Token::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        Segment::Wild(WildSegment::new(pat))
    }

    fn is_empty(&self) -> bool {
        match self {
            Segment::Lit(s) => s.is_empty(),
            Segment::Wild(w) => w.pat.is_empty(),
        }
    }

    /// Matches at `text[from..]`; returns the end offset.
    fn match_prefix(&self, text: &str, from: usize) -> Option<usize> {
        let rest = text.get(from..)?;
        match self {
            Segment::Lit(s) => {
                count(s.len());
                rest.starts_with(&**s).then(|| from + s.len())
            }
            Segment::Wild(w) => {
                count(w.pat.len());
                let mut chars = rest.char_indices();
                for p in w.pat.iter() {
                    let (_, c) = chars.next()?;
                    if p.is_some_and(|p| p != c) {
                        return None;
                    }
                }
                Some(chars.next().map_or(text.len(), |(i, _)| from + i))
            }
        }
    }

    /// Matches ending exactly at the end of `text`; returns the start offset.
    fn match_suffix(&self, text: &str) -> Option<usize> {
        match self {
            Segment::Lit(s) => {
                count(s.len());
                text.ends_with(&**s).then(|| text.len() - s.len())
            }
            Segment::Wild(w) => {
                count(w.pat.len());
                let mut chars = text.char_indices().rev();
                let mut start = text.len();
                for p in w.pat.iter().rev() {
                    let (i, c) = chars.next()?;
                    if p.is_some_and(|p| p != c) {
                        return None;
                    }
                    start = i;
                }
                Some(start)
            }
        }
    }

    /// Leftmost occurrence inside `text[from..to]`; returns its end offset.
    fn find(&self, text: &str, from: usize, to: usize) -> Option<usize> {
        let window = text.get(from..to)?;
        let found = match self {
            Segment::Lit(s) => window.find(&**s).map(|i| i + s.len()),
            Segment::Wild(w) => w.find(window),
        };
        // The search reads the window up to the match (or all of it), once per state word.
        let words = match self {
            Segment::Lit(s) => {
                count(s.len());
                1
            }
            Segment::Wild(w) => w.words,
        };
        count(found.unwrap_or(window.len()).saturating_mul(words));
        found.map(|end| from + end)
    }
}

/// A segment containing `?`, searched with Shift-And.
///
/// Bit `j` of the state is set after reading a character when `pat[..=j]` matches the text
/// ending at that character. Masks are kept per ASCII character in a table and, for the rare
/// non-ASCII literal characters, in a sorted list.
#[derive(Clone)]
struct WildSegment {
    pat: Box<[Option<char>]>,
    words: usize,
    /// `128 * words` masks: for ASCII `c`, the positions holding `c` or `?`.
    ascii: Box<[u64]>,
    /// Positions holding `?`: the mask of every character not otherwise listed.
    wild: Box<[u64]>,
    /// Non-ASCII literal characters with their masks (including the `?` positions).
    other: Box<[(char, Box<[u64]>)]>,
}

impl WildSegment {
    fn new(pat: Box<[Option<char>]>) -> WildSegment {
        let words = pat.len().div_ceil(64).max(1);
        let mut wild = vec![0u64; words];
        for (j, p) in pat.iter().enumerate() {
            if p.is_none() {
                set_bit(&mut wild, j);
            }
        }
        let mut ascii = vec![0u64; 128 * words];
        for chunk in ascii.chunks_mut(words) {
            chunk.copy_from_slice(&wild);
        }
        let mut other: Vec<(char, Box<[u64]>)> = Vec::new();
        for (j, p) in pat.iter().enumerate() {
            let Some(c) = *p else { continue };
            if c.is_ascii() {
                let base = (c as usize) * words;
                if let Some(chunk) = ascii.get_mut(base..base + words) {
                    set_bit(chunk, j);
                }
            } else {
                match other.binary_search_by(|(k, _)| k.cmp(&c)) {
                    Ok(i) => {
                        if let Some((_, m)) = other.get_mut(i) {
                            set_bit(m, j);
                        }
                    }
                    Err(i) => {
                        let mut m = wild.clone();
                        set_bit(&mut m, j);
                        other.insert(i, (c, m.into_boxed_slice()));
                    }
                }
            }
        }
        WildSegment {
            pat,
            words,
            ascii: ascii.into_boxed_slice(),
            wild: wild.into_boxed_slice(),
            other: other.into_boxed_slice(),
        }
    }

    fn mask(&self, c: char) -> &[u64] {
        if c.is_ascii() {
            let base = (c as usize) * self.words;
            if let Some(m) = self.ascii.get(base..base + self.words) {
                return m;
            }
        } else if let Ok(i) = self.other.binary_search_by(|(k, _)| k.cmp(&c))
            && let Some((_, m)) = self.other.get(i)
        {
            return m;
        }
        &self.wild
    }

    /// End offset (within `window`) of the leftmost occurrence. All occurrences have the same
    /// length in characters, so the one that ends first also starts first.
    fn find(&self, window: &str) -> Option<usize> {
        let k = self.pat.len();
        let last_word = (k - 1) / 64;
        let last_bit = 1u64 << ((k - 1) % 64);
        let mut state: smallvec::SmallVec<[u64; 2]> = smallvec::smallvec![0u64; self.words];
        for (i, c) in window.char_indices() {
            let mask = self.mask(c);
            // state = ((state << 1) | 1) & mask, across words.
            let mut carry = 1u64;
            for (w, m) in state.iter_mut().zip(mask) {
                let next_carry = *w >> 63;
                *w = ((*w << 1) | carry) & m;
                carry = next_carry;
            }
            if state.get(last_word).is_some_and(|w| w & last_bit != 0) {
                return Some(i + c.len_utf8());
            }
        }
        None
    }
}

fn set_bit(words: &mut [u64], j: usize) {
    if let Some(w) = words.get_mut(j / 64) {
        *w |= 1u64 << (j % 64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p).is_match(t)
    }

    #[test]
    fn literal_and_star() {
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("**", "x"));
        assert!(m("ab*", "ab"));
        assert!(m("ab*", "abzzz"));
        assert!(!m("ab*", "a"));
        assert!(m("*b", "aab"));
        assert!(!m("*b", "aba"));
        assert!(m("a*b*c", "abc"));
        assert!(m("a*b*c", "a-b-b-c"));
        assert!(!m("a*b*c", "a-c-b"));
        assert!(!m("a*a", "a"));
        assert!(m("a*a", "aa"));
        assert!(m("*a*", "bab"));
        assert!(!m("", "x"));
        assert!(m("", ""));
    }

    #[test]
    fn question_mark() {
        assert!(m("?", "x"));
        assert!(!m("?", ""));
        assert!(!m("?", "xy"));
        assert!(m("a?c", "abc"));
        assert!(m("*?", "x"));
        assert!(!m("*??", "x"));
        assert!(m("*a?c*", "zzabczz"));
        assert!(m("*a?c*", "zzaacabczz"));
        assert!(m("?é?", "aéb"));
        assert!(m("*é?x", "ééyx"));
        assert!(!m("?", "éé"));
    }

    #[test]
    fn long_question_segments_use_several_words() {
        let pat = format!("*{}x*", "?".repeat(100));
        let text = format!("{}x", "a".repeat(100));
        assert!(m(&pat, &text));
        assert!(!m(&pat, &"a".repeat(101)));
        let text2 = format!("{}x", "a".repeat(99));
        assert!(!m(&pat, &text2));
    }

    /// Matches and returns the work it took (the counter is per thread, so parallel tests do
    /// not disturb it).
    fn steps(p: &str, t: &str) -> (bool, u64) {
        let g = Glob::new(p);
        take_steps();
        let matched = g.is_match(t);
        (matched, take_steps())
    }

    #[test]
    fn adversarial_work_is_linear() {
        let text = "a".repeat(20_000);
        let n = text.len() as u64;
        // A backtracking matcher is exponential on this; ours reads the text about once.
        let pat = format!("{}*b*", "*a".repeat(200));
        let (matched, work) = steps(&pat, &text);
        assert!(!matched);
        assert!(work <= 2 * n + pat.len() as u64, "{work} steps");
        // `?` segments: Shift-And reads the text once per 64-bit word of state (here 7 words).
        let pat2 = format!("*{}b*", "a?".repeat(200));
        let (matched, work) = steps(&pat2, &text);
        assert!(!matched);
        let words = (400u64).div_ceil(64);
        assert!(work <= words * n + pat2.len() as u64, "{work} steps");
    }

    #[test]
    fn work_grows_linearly_with_the_text() {
        let pat = format!("{}*b*", "*a?a".repeat(50));
        let (_, small) = steps(&pat, &"a".repeat(1_000));
        let (_, large) = steps(&pat, &"a".repeat(10_000));
        // Ten times the text, at most ten times the work (plus the pattern's fixed cost).
        assert!(large <= 10 * small + pat.len() as u64, "{small} -> {large}");
        assert!(
            large >= 5 * small,
            "the counter counts the text: {small} -> {large}"
        );
    }

    #[test]
    fn literal_wildcard_tokens() {
        let g = Glob::from_tokens(&[Token::Lit('a'), Token::Lit('*'), Token::Many]);
        assert!(g.is_match("a*b"));
        assert!(!g.is_match("ab"));
        let g = Glob::from_tokens(&[Token::Lit('?')]);
        assert!(g.is_match("?"));
        assert!(!g.is_match("x"));
    }
}
