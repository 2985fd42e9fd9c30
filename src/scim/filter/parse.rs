//! Parser for SCIM filters (RFC 7644 §3.4.2.2, the ABNF of Figure 1) and PATCH paths
//! (RFC 7644 §3.5.2), type-checked against a resource type's schema (RFC 7643 §2.3, §7).
//!
//! Grammar, with the precedence of §3.4.2.2 (`not` binds tighter than `and`, which binds
//! tighter than `or`; `and` and `or` associate to the left):
//!
//! ```text
//! filter    = and *("or" and)
//! and       = unary *("and" unary)
//! unary     = "not" "(" filter ")" / "(" filter ")" / attrPath "pr"
//!           / attrPath compareOp compValue / attrPath "[" filter "]"
//! compValue = false / null / true / number / string     ; JSON (RFC 8259) literals
//! attrPath  = [URI ":"] ATTRNAME ["." ATTRNAME]
//! PATH      = attrPath / attrPath "[" filter "]" ["." ATTRNAME] / extension-URI   ; PATCH
//! ```
//!
//! Operators and the keywords `and or not pr true false null` are case-insensitive, and so
//! are attribute names (RFC 7643 §2.1) and schema URNs. Tokens may be separated by any run of
//! spaces, tabs, CRs or LFs (the ABNF's single SP is accepted as a special case). Attribute
//! names may start with `$` so that `$ref` sub-attributes can be named.
//!
//! Type rules, on the attribute a comparison applies to (`Resolved::target`): strings and
//! references take a string and every operator; booleans take `true`/`false` with `eq`/`ne`;
//! dateTimes take an RFC 3339 string (converted to `Literal::DateTime` milliseconds) with
//! `eq ne gt ge lt le`; integers and decimals take a number with the same operators; complex
//! attributes cannot be compared; `null` goes with `eq`/`ne` only, on any attribute. Inside
//! `attr[…]` names are sub-attributes of `attr`, which must be multi-valued and complex;
//! value filters do not nest. An attribute that is never returned (`password`) cannot be
//! filtered on, as the filter would reveal it.
//!
//! Limits: [`MAX_FILTER_LEN`] bytes of input, [`MAX_DEPTH`] levels of `(`, `not (` and `[`,
//! [`MAX_TERMS`] comparisons (`pr` included). Every error carries the byte offset where the
//! problem starts.

use serde_json::Number;

use super::ast::{CompareOp, Filter, FilterError, Literal, Path};
use crate::scim::schema::{AttrType, Attribute, Resolved, ResourceType, Returned};
use crate::time;

/// Longest filter or PATCH path accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not (…)` and value filters `[…]`.
pub const MAX_DEPTH: usize = 32;
/// Most comparisons (`pr` included) in one filter.
pub const MAX_TERMS: usize = 64;

const OPERATORS: &str = "a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\"";
const VALUES: &str = "a value (a string, a number, true, false or null)";

/// Parses a filter (the `filter` query parameter or a `/.search` body's `filter`).
pub fn parse(text: &str, rt: &'static ResourceType) -> Result<Filter, FilterError> {
    let mut p = Parser::new(text, rt, None, 0)?;
    let filter = p.filter()?;
    p.finish(None)?;
    Ok(filter)
}

/// Parses the inside of the brackets of `parent[…]` (a PATCH path's value filter given
/// apart): names are sub-attributes of `parent`, which must be multi-valued and complex.
pub fn parse_value_filter(text: &str, rt: &'static ResourceType, parent: Resolved) -> Result<Filter, FilterError> {
    check_value_filter_parent(&parent, parent.attr.name, 0)?;
    let mut p = Parser::new(text, rt, Some(parent), 1)?;
    let filter = p.filter()?;
    p.finish(None)?;
    Ok(filter)
}

fn err(position: usize, message: impl Into<String>) -> FilterError {
    FilterError { position, message: message.into() }
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum Kind<'a> {
    /// An attribute path or a keyword: `ALPHA / "$"` then `ALPHA / DIGIT / - _ . : $`.
    Word(&'a str),
    /// A JSON string, unescaped.
    Str(String),
    Num(Number),
    /// Any other single character: `( ) [ ] .` and stray ones such as `=`.
    Punct(char),
    End,
}

#[derive(Debug, Clone)]
struct Token<'a> {
    kind: Kind<'a>,
    start: usize,
    end: usize,
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn token(&mut self) -> Result<Token<'a>, FilterError> {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
        let start = self.pos;
        let kind = match self.rest().chars().next() {
            None => Kind::End,
            Some('"') => Kind::Str(self.string()?),
            Some('-' | '0'..='9') => Kind::Num(self.number()?),
            Some(c) if c.is_ascii_alphabetic() || c == '$' => Kind::Word(self.word()),
            Some(c) => {
                self.pos += c.len_utf8();
                Kind::Punct(c)
            }
        };
        Ok(Token { kind, start, end: self.pos })
    }

    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || "-_.:$".contains(c))).unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).unwrap_or_default()
    }

    /// A JSON number (RFC 8259 §6).
    fn number(&mut self) -> Result<Number, FilterError> {
        let start = self.pos;
        let text = json_number_len(self.rest().as_bytes())
            .and_then(|len| self.rest().get(..len))
            .ok_or_else(|| err(start, "invalid number: expected a JSON number such as 42, -1.5 or 2e3"))?;
        self.pos += text.len();
        serde_json::from_str(text).map_err(|_| err(start, format!("number {text} is out of range")))
    }

    /// A JSON string (RFC 8259 §7), opening quote at `self.pos`.
    fn string(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let at = self.pos;
            let Some(c) = self.rest().chars().next() else {
                return Err(err(start, "unterminated string: expected a closing '\"'"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => out.push(self.escape(at)?),
                c if c < ' ' => {
                    return Err(err(
                        at,
                        format!("control character U+{:04X} must be escaped in a string", u32::from(c)),
                    ))
                }
                c => out.push(c),
            }
        }
    }

    /// The character after a backslash at `at`.
    fn escape(&mut self, at: usize) -> Result<char, FilterError> {
        let c = self.rest().chars().next().ok_or_else(|| err(at, "unterminated escape at end of input"))?;
        self.pos += c.len_utf8();
        Ok(match c {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => return self.unicode_escape(at),
            other => {
                return Err(err(
                    at,
                    format!("invalid escape \"\\{other}\"; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"),
                ))
            }
        })
    }

    /// `\uXXXX`, or a UTF-16 surrogate pair `\uD83D\uDE00`; `at` is the backslash.
    fn unicode_escape(&mut self, at: usize) -> Result<char, FilterError> {
        let high = self.hex4(at)?;
        let code = match high {
            0xD800..=0xDBFF => {
                let low_at = self.pos;
                if !self.rest().starts_with("\\u") {
                    return Err(err(
                        at,
                        format!("\\u{high:04X} is a high surrogate: expected a \\uDC00-\\uDFFF after it"),
                    ));
                }
                self.pos += 2;
                let low = self.hex4(low_at)?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(err(low_at, format!("expected a low surrogate \\uDC00-\\uDFFF, found \\u{low:04X}")));
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(err(at, format!("\\u{high:04X} is a low surrogate without a high one"))),
            code => code,
        };
        char::from_u32(code).ok_or_else(|| err(at, "invalid \\u escape"))
    }

    fn hex4(&mut self, at: usize) -> Result<u32, FilterError> {
        let digits = self
            .rest()
            .get(..4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| err(at, "\\u must be followed by four hexadecimal digits"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| err(at, "\\u must be followed by four hexadecimal digits"))
    }
}

/// Length of the JSON number at the start of `b`, if one is there.
fn json_number_len(b: &[u8]) -> Option<usize> {
    let digits = |from: usize| b.get(from..).map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count());
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => i += 1,
        Some(b'1'..=b'9') => i += digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        (n > 0).then_some(())?;
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let n = digits(i);
        (n > 0).then_some(())?;
        i += n;
    }
    Some(i)
}

// ---------------------------------------------------------------------------------------------
// Grammar

struct Parser<'a> {
    lex: Lexer<'a>,
    peeked: Option<Token<'a>>,
    rt: &'static ResourceType,
    /// Inside `attr[…]`: `attr`, whose sub-attributes the names are.
    parent: Option<Resolved>,
    depth: usize,
    terms: usize,
}

impl<'a> Parser<'a> {
    fn new(
        src: &'a str,
        rt: &'static ResourceType,
        parent: Option<Resolved>,
        depth: usize,
    ) -> Result<Self, FilterError> {
        if src.len() > MAX_FILTER_LEN {
            return Err(err(
                MAX_FILTER_LEN,
                format!("input is {} bytes long; at most {MAX_FILTER_LEN} are accepted", src.len()),
            ));
        }
        Ok(Parser { lex: Lexer { src, pos: 0 }, peeked: None, rt, parent, depth, terms: 0 })
    }

    fn peek(&mut self) -> Result<&Token<'a>, FilterError> {
        let token = match self.peeked.take() {
            Some(t) => t,
            None => self.lex.token()?,
        };
        Ok(self.peeked.insert(token))
    }

    fn next(&mut self) -> Result<Token<'a>, FilterError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.token(),
        }
    }

    /// Consumes the next token if it is the keyword `keyword`.
    fn keyword(&mut self, keyword: &str) -> Result<bool, FilterError> {
        let found = matches!(self.peek()?.kind, Kind::Word(w) if w.eq_ignore_ascii_case(keyword));
        if found {
            self.peeked = None;
        }
        Ok(found)
    }

    fn describe(&self, t: &Token) -> String {
        let text = self.lex.src.get(t.start..t.end).unwrap_or_default();
        let short: String = text.chars().take(40).collect();
        let ellipsis = if short.len() < text.len() { "…" } else { "" };
        match t.kind {
            Kind::End => "end of input".to_string(),
            Kind::Str(_) => format!("the string {short}{ellipsis}"),
            _ => format!("\"{short}{ellipsis}\""),
        }
    }

    fn expected(&self, t: &Token, what: &str) -> FilterError {
        err(t.start, format!("expected {what}, found {}", self.describe(t)))
    }

    /// After a complete filter: the end of input, or `closer` (`)` or `]`), which is consumed.
    fn finish(&mut self, closer: Option<char>) -> Result<(), FilterError> {
        let t = self.next()?;
        match (&t.kind, closer) {
            (Kind::End, None) => Ok(()),
            (Kind::Punct(c), Some(want)) if *c == want => Ok(()),
            (_, Some(want)) => Err(self.expected(&t, &format!("\"and\", \"or\" or \"{want}\""))),
            (_, None) => Err(self.expected(&t, "\"and\", \"or\" or end of input")),
        }
    }

    fn enter(&mut self, at: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(at, format!("nesting deeper than {MAX_DEPTH} levels of \"(\", \"not (\" and \"[\"")));
        }
        Ok(())
    }

    fn count_term(&mut self, at: usize) -> Result<(), FilterError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(err(at, format!("more than {MAX_TERMS} comparisons in one filter")));
        }
        Ok(())
    }

    fn filter(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.keyword("or")? {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.keyword("and")? {
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        let t = self.next()?;
        match t.kind {
            Kind::Punct('(') => self.group(t.start),
            Kind::Word(w) if w.eq_ignore_ascii_case("not") => {
                let open = self.next()?;
                if open.kind != Kind::Punct('(') {
                    return Err(self.expected(&open, "\"(\" after \"not\""));
                }
                Ok(Filter::Not(Box::new(self.group(t.start)?)))
            }
            Kind::Word(w) => self.attr_expr(w, t.start),
            _ => Err(self.expected(&t, "an attribute path, \"(\" or \"not (\"")),
        }
    }

    /// The rest of `( filter )`, the opening parenthesis consumed.
    fn group(&mut self, at: usize) -> Result<Filter, FilterError> {
        self.enter(at)?;
        let filter = self.filter()?;
        self.finish(Some(')'))?;
        self.depth -= 1;
        Ok(filter)
    }

    /// `attrPath pr`, `attrPath op value` or `attrPath [ filter ]`, the path just read.
    fn attr_expr(&mut self, word: &'a str, start: usize) -> Result<Filter, FilterError> {
        let path = Path { resolved: self.resolve(word, start)?, text: word.to_string() };
        let t = self.next()?;
        let op = match t.kind {
            Kind::Punct('[') => {
                let filter = self.value_filter(path.resolved, word, t.start)?;
                return Ok(Filter::ValuePath { path, filter: Box::new(filter) });
            }
            Kind::Word(w) if w.eq_ignore_ascii_case("pr") => {
                self.count_term(start)?;
                return Ok(Filter::Present { path });
            }
            Kind::Word(w) => compare_op(w),
            _ => None,
        };
        match op {
            Some(op) => self.comparison(path, (op, &t), start),
            None => Err(self.expected(&t, &format!("{OPERATORS} after \"{word}\""))),
        }
    }

    /// The rest of `attr[ filter ]`, the bracket at `at` consumed.
    fn value_filter(&mut self, parent: Resolved, text: &str, at: usize) -> Result<Filter, FilterError> {
        if self.parent.is_some() {
            return Err(err(at, "value filters \"[…]\" cannot be nested"));
        }
        check_value_filter_parent(&parent, text, at)?;
        self.enter(at)?;
        self.parent = Some(parent);
        let filter = self.filter()?;
        self.finish(Some(']'))?;
        self.parent = None;
        self.depth -= 1;
        Ok(filter)
    }

    fn comparison(
        &mut self,
        path: Path,
        (op, op_token): (CompareOp, &Token),
        start: usize,
    ) -> Result<Filter, FilterError> {
        let op_text = self.lex.src.get(op_token.start..op_token.end).unwrap_or_default();
        let t = self.next()?;
        let value = match &t.kind {
            Kind::Str(s) => Raw::Str(s),
            Kind::Num(n) => Raw::Num(n),
            Kind::Word(w) if w.eq_ignore_ascii_case("true") => Raw::Bool(true),
            Kind::Word(w) if w.eq_ignore_ascii_case("false") => Raw::Bool(false),
            Kind::Word(w) if w.eq_ignore_ascii_case("null") => Raw::Null,
            _ => return Err(self.expected(&t, &format!("{VALUES} after \"{op_text}\""))),
        };
        let value = typed(&path, (op, op_text), value, &self.describe(&t))
            .map_err(|e| err(if e.on_op { op_token.start } else { t.start }, e.message))?;
        self.count_term(start)?;
        Ok(Filter::Compare { path, op, value })
    }

    fn resolve(&self, word: &str, at: usize) -> Result<Resolved, FilterError> {
        let resolved = match self.parent {
            Some(parent) => sub_of(parent, word, at)?,
            None => resolve_top(self.rt, word, at)?,
        };
        let never = |a: &Attribute| a.returned == Returned::Never;
        if never(resolved.attr) || resolved.sub.is_some_and(never) {
            return Err(err(at, format!("\"{word}\" is never returned, so it cannot be used in a filter")));
        }
        Ok(resolved)
    }
}

fn compare_op(word: &str) -> Option<CompareOp> {
    const OPS: [(&str, CompareOp); 9] = [
        ("eq", CompareOp::Eq),
        ("ne", CompareOp::Ne),
        ("co", CompareOp::Co),
        ("sw", CompareOp::Sw),
        ("ew", CompareOp::Ew),
        ("gt", CompareOp::Gt),
        ("ge", CompareOp::Ge),
        ("lt", CompareOp::Lt),
        ("le", CompareOp::Le),
    ];
    OPS.iter().find(|(name, _)| name.eq_ignore_ascii_case(word)).map(|(_, op)| *op)
}

// ---------------------------------------------------------------------------------------------
// Names

/// `[urn:]attr[.sub]` against the resource type's schemas; `at` is where the text starts.
fn resolve_top(rt: &ResourceType, text: &str, at: usize) -> Result<Resolved, FilterError> {
    let (urn, rest) = rt.split_urn(text).ok_or_else(|| {
        let urns: Vec<&str> = rt.schemas().map(|s| s.id).collect();
        err(at, format!("unknown schema URN in \"{text}\"; {} accepts {}", rt.id, urns.join(", ")))
    })?;
    let at = at + (text.len() - rest.len());
    if rest.is_empty() {
        return Err(err(at, format!("expected an attribute name after the schema URN in \"{text}\"")));
    }
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    let attr = rt.resolve(urn, name, None).ok_or_else(|| err(at, format!("unknown {} attribute \"{name}\"", rt.id)))?;
    match sub {
        None => Ok(attr),
        Some(sub) => rt.resolve(urn, name, Some(sub)).ok_or_else(|| no_such_sub(attr.attr, sub, at + name.len() + 1)),
    }
}

/// A sub-attribute of `parent` named alone (inside `parent[…]`, or after `].`).
fn sub_of(parent: Resolved, name: &str, at: usize) -> Result<Resolved, FilterError> {
    let sub = parent.attr.sub_attributes.iter().find(|s| s.name.eq_ignore_ascii_case(name));
    match sub {
        Some(sub) => Ok(Resolved { sub: Some(sub), ..parent }),
        None => Err(no_such_sub(parent.attr, name, at)),
    }
}

fn no_such_sub(attr: &Attribute, sub: &str, at: usize) -> FilterError {
    if attr.sub_attributes.is_empty() {
        return err(at, format!("\"{}\" has no sub-attributes, found \"{sub}\"", attr.name));
    }
    err(at, format!("\"{}\" has no sub-attribute \"{sub}\"; it has {}", attr.name, sub_names(attr)))
}

fn sub_names(attr: &Attribute) -> String {
    attr.sub_attributes.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

fn check_value_filter_parent(parent: &Resolved, text: &str, at: usize) -> Result<(), FilterError> {
    if parent.sub.is_some() || parent.attr.ty != AttrType::Complex || !parent.attr.multi_valued {
        return Err(err(
            at,
            format!("\"{text}\" is not a multi-valued complex attribute, so it cannot take a value filter \"[…]\""),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Types

/// A comparison value as written, before its type is checked.
enum Raw<'t> {
    Str(&'t str),
    Num(&'t Number),
    Bool(bool),
    Null,
}

/// Why a comparison is ill-typed, and whether the operator (rather than the value) is at fault.
struct TypeError {
    on_op: bool,
    message: String,
}

/// Checks `path op value` and converts the value to the attribute's literal type; `found` is
/// how the value reads in messages.
fn typed(path: &Path, (op, op_text): (CompareOp, &str), value: Raw, found: &str) -> Result<Literal, TypeError> {
    let target = path.resolved.target();
    let name = &path.text;
    let kind = AttrType::as_str(target.ty);
    let equality = matches!(op, CompareOp::Eq | CompareOp::Ne);
    let ordering = !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    let on_value = |message: String| TypeError { on_op: false, message };
    let wrong_value = |expected: &str| {
        on_value(format!("\"{name}\" is a {kind} attribute: expected {expected} after \"{op_text}\", found {found}"))
    };
    let wrong_op = |allowed: &str| TypeError {
        on_op: true,
        message: format!("\"{op_text}\" does not apply to the {kind} attribute \"{name}\"; use {allowed}"),
    };
    match (target.ty, value) {
        (_, Raw::Null) if equality => Ok(Literal::Null),
        (_, Raw::Null) => Err(wrong_op("eq or ne to compare with null")),
        (AttrType::Complex, _) => Err(on_value(format!(
            "\"{name}\" is a complex attribute and cannot be compared; compare one of its sub-attributes ({})",
            sub_names(path.resolved.attr)
        ))),
        (AttrType::String | AttrType::Reference, Raw::Str(s)) => Ok(Literal::Str(s.to_string())),
        (AttrType::String | AttrType::Reference, _) => Err(wrong_value("a string")),
        (AttrType::Boolean, _) if !equality => Err(wrong_op("eq or ne")),
        (AttrType::Boolean, Raw::Bool(b)) => Ok(Literal::Bool(b)),
        (AttrType::Boolean, _) => Err(wrong_value("true or false")),
        (_, _) if !ordering => Err(wrong_op("eq, ne, gt, ge, lt or le")),
        (AttrType::DateTime, Raw::Str(s)) => time::parse(s).map(Literal::DateTime).map_err(|e| {
            on_value(format!("\"{name}\" is a dateTime attribute: {found} is not an RFC 3339 date-time ({e})"))
        }),
        (AttrType::DateTime, _) => Err(wrong_value("an RFC 3339 date-time string")),
        (AttrType::Integer, Raw::Num(n)) if n.is_i64() || n.is_u64() => Ok(Literal::Number(n.clone())),
        (AttrType::Integer, _) => Err(wrong_value("an integer")),
        (AttrType::Decimal, Raw::Num(n)) => Ok(Literal::Number(n.clone())),
        (AttrType::Decimal, _) => Err(wrong_value("a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{Mutability, Uniqueness, ENTERPRISE_URN, GROUP_TYPE, USER, USER_TYPE, USER_URN};

    fn user(text: &str) -> Result<Filter, FilterError> {
        parse(text, &USER_TYPE)
    }

    fn ok(text: &str) -> Filter {
        user(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    /// The error's position and message.
    fn fails(text: &str) -> (usize, String) {
        match user(text) {
            Ok(f) => panic!("{text} parsed: {f:?}"),
            Err(e) => (e.position, e.message),
        }
    }

    /// A compact rendering: `(a and b)`, `not (a)`, `attr.sub op value`, `attr[…]`.
    fn show(f: &Filter) -> String {
        let path = |p: &Path| match p.resolved.sub {
            Some(sub) => format!("{}.{}", p.resolved.attr.name, sub.name),
            None => p.resolved.attr.name.to_string(),
        };
        match f {
            Filter::Compare { path: p, op, value } => format!("{} {op:?} {value:?}", path(p)),
            Filter::Present { path: p } => format!("{} pr", path(p)),
            Filter::And(a, b) => format!("({} and {})", show(a), show(b)),
            Filter::Or(a, b) => format!("({} or {})", show(a), show(b)),
            Filter::Not(a) => format!("not ({})", show(a)),
            Filter::ValuePath { path: p, filter } => format!("{}[{}]", path(p), show(filter)),
        }
    }

    fn str_lit(s: &str) -> Literal {
        Literal::Str(s.to_string())
    }

    /// RFC 7644 §3.4.2.2: the example filters, with what they parse to. (`ims` and `schemas`
    /// are not attributes of this server's schema: see the next test.)
    #[test]
    fn rfc7644_3_4_2_2_example_filters_parse() {
        let examples = [
            ("userName eq \"bjensen\"", "userName Eq Str(\"bjensen\")"),
            ("name.familyName co \"O'Malley\"", "name.familyName Co Str(\"O'Malley\")"),
            ("userName sw \"J\"", "userName Sw Str(\"J\")"),
            ("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"", "userName Sw Str(\"J\")"),
            ("title pr", "title pr"),
            ("meta.lastModified gt \"2011-05-13T04:42:34Z\"", "meta.lastModified Gt DateTime(1305261754000)"),
            ("meta.lastModified ge \"2011-05-13T04:42:34Z\"", "meta.lastModified Ge DateTime(1305261754000)"),
            ("meta.lastModified lt \"2011-05-13T04:42:34Z\"", "meta.lastModified Lt DateTime(1305261754000)"),
            ("meta.lastModified le \"2011-05-13T04:42:34Z\"", "meta.lastModified Le DateTime(1305261754000)"),
            ("title pr and userType eq \"Employee\"", "(title pr and userType Eq Str(\"Employee\"))"),
            ("title pr or userType eq \"Intern\"", "(title pr or userType Eq Str(\"Intern\"))"),
            (
                "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
                "(userType Eq Str(\"Employee\") and (emails Co Str(\"example.com\") or emails.value Co Str(\"example.org\")))",
            ),
            (
                "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")",
                "(userType Ne Str(\"Employee\") and not ((emails Co Str(\"example.com\") or emails.value Co Str(\"example.org\"))))",
            ),
            (
                "userType eq \"Employee\" and (emails.type eq \"work\")",
                "(userType Eq Str(\"Employee\") and emails.type Eq Str(\"work\"))",
            ),
            (
                "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
                "(userType Eq Str(\"Employee\") and emails[(emails.type Eq Str(\"work\") and emails.value Co Str(\"@example.com\"))])",
            ),
            (
                "emails[type eq \"work\" and value co \"@example.com\"] or phoneNumbers[type eq \"xmpp\" and value co \"@foo.com\"]",
                "(emails[(emails.type Eq Str(\"work\") and emails.value Co Str(\"@example.com\"))] or \
                 phoneNumbers[(phoneNumbers.type Eq Str(\"xmpp\") and phoneNumbers.value Co Str(\"@foo.com\"))])",
            ),
        ];
        for (text, expected) in examples {
            assert_eq!(show(&ok(text)), expected, "{text}");
        }
    }

    /// RFC 7644 §3.4.2.2's `ims` and `schemas` examples name attributes this server does not
    /// declare (schema.rs): refused as unknown, at the attribute's position.
    #[test]
    fn rfc7644_3_4_2_2_examples_outside_our_schema_are_refused() {
        let (at, message) = fails(
            "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]",
        );
        assert_eq!((at, message.as_str()), (54, "unknown User attribute \"ims\""));
        let (at, message) = fails("schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"");
        assert_eq!((at, message.as_str()), (0, "unknown User attribute \"schemas\""));
    }

    /// RFC 7644 §3.4.2.2, Table 5: `not` binds tighter than `and`, `and` tighter than `or`;
    /// parentheses group; `and` and `or` associate to the left.
    #[test]
    fn rfc7644_3_4_2_2_precedence() {
        let cases = [
            ("title pr or userType pr and locale pr", "(title pr or (userType pr and locale pr))"),
            ("title pr and userType pr or locale pr", "((title pr and userType pr) or locale pr)"),
            ("(title pr or userType pr) and locale pr", "((title pr or userType pr) and locale pr)"),
            ("not (title pr) and locale pr", "(not (title pr) and locale pr)"),
            ("not (title pr and locale pr) or nickName pr", "(not ((title pr and locale pr)) or nickName pr)"),
            ("title pr and userType pr and locale pr", "((title pr and userType pr) and locale pr)"),
            ("title pr or userType pr or locale pr", "((title pr or userType pr) or locale pr)"),
            ("((title pr))", "title pr"),
            ("not(not(title pr))", "not (not (title pr))"),
            (
                "title pr or emails[type eq \"a\" or primary eq true and value pr] and locale pr",
                "(title pr or (emails[(emails.type Eq Str(\"a\") or (emails.primary Eq Bool(true) and emails.value pr))] \
                 and locale pr))",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(show(&ok(text)), expected, "{text}");
        }
    }

    /// RFC 7644 §3.4.2.2: operators and keywords are case-insensitive; RFC 7643 §2.1:
    /// attribute names too (resolved to the canonical names).
    #[test]
    fn rfc7644_3_4_2_2_case_insensitive_operators_keywords_and_names() {
        let f = ok("USERNAME EQ \"X\" AND Title PR OR NOT (Active Eq TRUE) and NAME.FAMILYNAME Sw \"a\"");
        assert_eq!(
            show(&f),
            "((userName Eq Str(\"X\") and title pr) or (not (active Eq Bool(true)) and name.familyName Sw Str(\"a\")))"
        );
        assert_eq!(show(&ok("title eq NULL")), "title Eq Null");
        assert_eq!(show(&ok("active ne False")), "active Ne Bool(false)");
        assert_eq!(show(&ok("EMAILS[TYPE eq \"work\"]")), "emails[emails.type Eq Str(\"work\")]");
        let Filter::Compare { path, .. } = ok("DisplayName eq \"x\"") else { panic!() };
        assert_eq!((path.text.as_str(), path.resolved.attr.name), ("DisplayName", "displayName"));
    }

    /// RFC 7644 §3.10: attribute names may carry their schema URN (case-insensitively); the
    /// enterprise extension's attributes resolve into its schema with or without it.
    #[test]
    fn rfc7644_3_10_urn_qualified_attribute_names() {
        let resolved = |text: &str| match ok(text) {
            Filter::Compare { path, .. } | Filter::Present { path } => path.resolved,
            other => panic!("{other:?}"),
        };
        let r = resolved("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq \"a\"");
        assert_eq!((r.schema.id, r.attr.name, r.sub.map(|s| s.name)), (USER_URN, "name", Some("givenName")));
        let r = resolved("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"u_2\"");
        assert_eq!((r.schema.id, r.attr.name, r.sub.map(|s| s.name)), (ENTERPRISE_URN, "manager", Some("value")));
        assert!(r.in_extension());
        let r = resolved("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:Department pr");
        assert_eq!((r.schema.id, r.attr.name), (ENTERPRISE_URN, "department"));
        let r = resolved("department eq \"R&D\"");
        assert_eq!(r.schema.id, ENTERPRISE_URN);
        let r = resolved("urn:ietf:params:scim:schemas:core:2.0:User:meta.created gt \"2020-01-01\"");
        assert_eq!((r.schema.id, r.attr.name), (USER_URN, "meta"));
        assert!(parse("urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq \"x\"", &GROUP_TYPE).is_ok());

        let (at, message) = fails("urn:example:foo:bar eq \"x\"");
        assert_eq!(at, 0);
        assert!(message.starts_with("unknown schema URN in \"urn:example:foo:bar\""), "{message}");
        assert_eq!(
            fails("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User eq \"x\""),
            (
                58,
                "expected an attribute name after the schema URN in \
                 \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\""
                    .to_string()
            )
        );
        assert_eq!(
            fails("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName eq \"x\""),
            (59, "unknown User attribute \"userName\"".to_string())
        );
        let e = parse("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"x\"", &GROUP_TYPE).unwrap_err();
        assert!(e.message.starts_with("unknown schema URN"), "{e}");
    }

    /// RFC 7644 §3.4.2.2 valuePath: the inner filter's names are sub-attributes of the
    /// multi-valued attribute and hold for one element.
    #[test]
    fn rfc7644_3_4_2_2_value_paths() {
        let f = ok("emails[type eq \"work\" and not (primary eq true)]");
        let Filter::ValuePath { path, filter } = &f else { panic!("{f:?}") };
        assert_eq!((path.resolved.attr.name, path.resolved.sub), ("emails", None));
        let Filter::And(left, _) = filter.as_ref() else { panic!() };
        let Filter::Compare { path: inner, .. } = left.as_ref() else { panic!() };
        assert_eq!((inner.resolved.attr.name, inner.resolved.sub.map(|s| s.name)), ("emails", Some("type")));
        assert_eq!(inner.text, "type");
        assert!(parse("members[value eq \"u_1\"]", &GROUP_TYPE).is_ok());
        assert!(ok("groups[display co \"eng\"]") != ok("groups.display co \"eng\""));

        let cases = [
            ("name[givenName eq \"a\"]", 4, "\"name\" is not a multi-valued complex attribute"),
            ("emails.value[type eq \"a\"]", 12, "\"emails.value\" is not a multi-valued complex attribute"),
            ("userName[value eq \"a\"]", 8, "\"userName\" is not a multi-valued complex attribute"),
            ("emails[type[value eq \"a\"]]", 11, "value filters \"[…]\" cannot be nested"),
            ("emails[emails.type eq \"a\"]", 7, "\"emails\" has no sub-attribute \"emails.type\""),
            (
                "emails[nope eq \"a\"]",
                7,
                "\"emails\" has no sub-attribute \"nope\"; it has value, display, type, primary",
            ),
            ("emails[type eq \"a\"", 18, "expected \"and\", \"or\" or \"]\", found end of input"),
            ("emails[type eq \"a\")", 18, "expected \"and\", \"or\" or \"]\", found \")\""),
            ("emails[]", 7, "expected an attribute path, \"(\" or \"not (\", found \"]\""),
            ("emails[type eq \"work\"].value eq \"x\"", 22, "expected \"and\", \"or\" or end of input, found \".\""),
        ];
        for (text, at, message) in cases {
            let (got_at, got) = fails(text);
            assert!(got.starts_with(message) && got_at == at, "{text}: {got_at}: {got}");
        }
    }

    /// Every operator against every attribute type (RFC 7644 §3.4.2.2 Table 3, typed by RFC
    /// 7643 §2.3): which combinations are accepted, and the literal they produce.
    #[test]
    fn rfc7644_3_4_2_2_operators_by_attribute_type() {
        let ops = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];
        let values = ["\"x\"", "\"2011-05-13T04:42:34Z\"", "true", "42", "null"];
        // (path, accepted (op, value) pairs as "op value" strings)
        let equality = |op: &str| op == "eq" || op == "ne";
        let string_ok = |op: &str, v: &str| v.starts_with('"') || (v == "null" && equality(op));
        let bool_ok = |op: &str, v: &str| equality(op) && (v == "true" || v == "null");
        let date_ok = |op: &str, v: &str| match v {
            "\"2011-05-13T04:42:34Z\"" => !["co", "sw", "ew"].contains(&op),
            "null" => equality(op),
            _ => false,
        };
        let complex_ok = |op: &str, v: &str| v == "null" && equality(op);
        type Rule<'r> = (&'r str, &'r dyn Fn(&str, &str) -> bool);
        let rules: [Rule; 8] = [
            ("userName", &string_ok),
            ("emails", &string_ok),
            ("groups.$ref", &string_ok),
            ("active", &bool_ok),
            ("emails.primary", &bool_ok),
            ("meta.created", &date_ok),
            ("name", &complex_ok),
            ("manager", &complex_ok),
        ];
        let mut accepted = 0;
        for (path, rule) in rules {
            for op in ops {
                for value in values {
                    let text = format!("{path} {op} {value}");
                    let result = user(&text);
                    assert_eq!(result.is_ok(), rule(op, value), "{text}: {result:?}");
                    accepted += usize::from(result.is_ok());
                }
            }
        }
        assert_eq!(accepted, 3 * 20 + 2 * 4 + 8 + 2 * 2);
        let Filter::Compare { value, .. } = ok("meta.created ge \"2011-05-13T06:42:34+02:00\"") else { panic!() };
        assert_eq!(value, Literal::DateTime(1_305_261_754_000));
        let Filter::Compare { value, .. } = ok("meta.created lt \"2011-05-13\"") else { panic!() };
        assert_eq!(value, Literal::DateTime(1_305_244_800_000));
        assert_eq!(
            parse("members.type eq \"User\"", &GROUP_TYPE).map(|f| show(&f)),
            Ok("members.type Eq Str(\"User\")".into())
        );
        assert!(parse("displayName gt \"a\"", &GROUP_TYPE).is_ok());
    }

    /// Integer and decimal attributes (none in this server's schema yet) take numbers and
    /// the ordering operators.
    #[test]
    fn rfc7643_2_3_numbers_typed_against_integer_and_decimal_attributes() {
        static SUBS: [Attribute; 2] = [
            Attribute { name: "count", ty: AttrType::Integer, ..TEMPLATE },
            Attribute { name: "ratio", ty: AttrType::Decimal, ..TEMPLATE },
        ];
        static TEMPLATE: Attribute = Attribute {
            name: "",
            ty: AttrType::String,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: crate::scim::schema::Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
            description: "",
        };
        static PARENT: Attribute =
            Attribute { name: "stats", ty: AttrType::Complex, multi_valued: true, sub_attributes: &SUBS, ..TEMPLATE };
        let parent = Resolved { schema: &USER, attr: &PARENT, sub: None };
        let show_value = |text: &str| parse_value_filter(text, &USER_TYPE, parent).map(|f| show(&f));
        assert_eq!(show_value("count gt 41"), Ok("stats.count Gt Number(Number(41))".into()));
        assert_eq!(show_value("ratio le -1.5e3"), Ok("stats.ratio Le Number(Number(-1500.0))".into()));
        assert_eq!(show_value("ratio eq 0"), Ok("stats.ratio Eq Number(Number(0))".into()));
        assert!(show_value("count eq 1.5").unwrap_err().message.contains("expected an integer"));
        assert!(show_value("count co 1").unwrap_err().message.starts_with("\"co\" does not apply"));
        assert!(show_value("count eq \"1\"").is_err());
        assert_eq!(show_value("ratio eq 1e400").map_err(|e| e.message), Err("number 1e400 is out of range".into()));
        for bad in ["count eq 01", "count eq 1.", "count eq -", "count eq .5", "count eq 1e", "count eq +1"] {
            assert!(show_value(bad).is_err(), "{bad}");
        }
    }

    /// RFC 7644 §3.4.2.2: string literals are JSON strings (RFC 8259 §7).
    #[test]
    fn rfc8259_7_string_escapes() {
        let Filter::Compare { value, .. } = ok(r#"title eq "q\"b\\s\/ \b\f\n\r\t \u00e9\u00C9 \ud83d\ude00 é""#)
        else {
            panic!()
        };
        assert_eq!(value, str_lit("q\"b\\s/ \u{8}\u{c}\n\r\t éÉ 😀 é"));
        let cases = [
            (r#"title eq "abc"#, 9, "unterminated string"),
            (r#"title eq "a\x""#, 11, "invalid escape \"\\x\""),
            (r#"title eq "\u12""#, 10, "\\u must be followed by four hexadecimal digits"),
            (r#"title eq "\u+123""#, 10, "\\u must be followed by four hexadecimal digits"),
            (r#"title eq "\ud83d""#, 10, "\\uD83D is a high surrogate"),
            (r#"title eq "\ud83d\u0041""#, 16, "expected a low surrogate"),
            (r#"title eq "\ude00""#, 10, "\\uDE00 is a low surrogate without a high one"),
            ("title eq \"a\u{1}\"", 11, "control character U+0001 must be escaped"),
            (r#"title eq "\"#, 10, "unterminated escape"),
        ];
        for (text, at, message) in cases {
            let (got_at, got) = fails(text);
            assert!(got.starts_with(message) && got_at == at, "{text}: {got_at}: {got}");
        }
    }

    /// Errors say where (byte offset) and what was expected against what was found.
    #[test]
    fn rfc7644_3_4_2_2_errors_with_positions() {
        let cases: [(&str, usize, &str); 20] = [
            ("", 0, "expected an attribute path, \"(\" or \"not (\", found end of input"),
            ("userName equals \"x\"", 9, "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after \"userName\", found \"equals\""),
            ("userName = \"x\"", 9, "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after \"userName\", found \"=\""),
            ("userName", 8, "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\" after \"userName\", found end of input"),
            ("userName eq", 11, "expected a value (a string, a number, true, false or null) after \"eq\", found end of input"),
            ("userName eq bjensen", 12, "expected a value (a string, a number, true, false or null) after \"eq\", found \"bjensen\""),
            ("userName eq 42", 12, "\"userName\" is a string attribute: expected a string after \"eq\", found \"42\""),
            ("userName eq \"a\" \"b\"", 16, "expected \"and\", \"or\" or end of input, found the string \"b\""),
            ("userName eq \"a\" and", 19, "expected an attribute path, \"(\" or \"not (\", found end of input"),
            ("userName eq \"a\" nand title pr", 16, "expected \"and\", \"or\" or end of input, found \"nand\""),
            ("(userName eq \"a\"", 16, "expected \"and\", \"or\" or \")\", found end of input"),
            ("userName eq \"a\")", 15, "expected \"and\", \"or\" or end of input, found \")\""),
            ("not userName eq \"a\"", 4, "expected \"(\" after \"not\", found \"userName\""),
            ("nickname pr and foo eq \"x\"", 16, "unknown User attribute \"foo\""),
            ("name.nope eq \"x\"", 5, "\"name\" has no sub-attribute \"nope\"; it has formatted, familyName"),
            ("userName.x eq \"x\"", 9, "\"userName\" has no sub-attributes, found \"x\""),
            ("active gt true", 7, "\"gt\" does not apply to the boolean attribute \"active\"; use eq or ne"),
            ("meta.created eq \"yesterday\"", 16, "\"meta.created\" is a dateTime attribute: the string \"yesterday\" is not an RFC 3339 date-time"),
            ("title co null", 6, "\"co\" does not apply to the string attribute \"title\"; use eq or ne to compare with null"),
            ("password eq \"hunter2\"", 0, "\"password\" is never returned, so it cannot be used in a filter"),
        ];
        for (text, at, message) in cases {
            let (got_at, got) = fails(text);
            assert!(
                got.starts_with(message) && got_at == at,
                "{text}:\n  got      {got_at}: {got}\n  expected {at}: {message}"
            );
        }
        assert_eq!(
            fails("name eq \"x\"").1,
            "\"name\" is a complex attribute and cannot be compared; compare one of its sub-attributes \
             (formatted, familyName, givenName, middleName, honorificPrefix, honorificSuffix)"
        );
        assert_eq!(
            fails("title eq \"é\" and é pr"),
            (18, "expected an attribute path, \"(\" or \"not (\", found \"é\"".into())
        );
        let long = format!("\"{}\"", "x".repeat(60));
        assert_eq!(
            fails(&format!("title eq {long} {long}")).1,
            format!("expected \"and\", \"or\" or end of input, found the string \"{}…", "x".repeat(39))
        );
        let e = FilterError { position: 3, message: "m".into() };
        assert_eq!(e.to_string(), "at position 3: m");
    }

    #[test]
    fn whitespace_between_tokens_is_flexible() {
        assert_eq!(show(&ok(" \t userName\neq\r\n\"a\"  ")), "userName Eq Str(\"a\")");
        assert_eq!(show(&ok("(title pr)and(locale pr)")), "(title pr and locale pr)");
        assert_eq!(show(&ok("emails[type eq\"w\"]")), "emails[emails.type Eq Str(\"w\")]");
    }

    /// Limits: length, nesting depth, number of comparisons.
    #[test]
    fn limits() {
        let padded = |n: usize| format!("title eq \"{}\"", "x".repeat(n - 11));
        assert_eq!(padded(MAX_FILTER_LEN).len(), MAX_FILTER_LEN);
        assert!(user(&padded(MAX_FILTER_LEN)).is_ok());
        assert_eq!(
            fails(&padded(MAX_FILTER_LEN + 1)),
            (MAX_FILTER_LEN, format!("input is {} bytes long; at most 4096 are accepted", MAX_FILTER_LEN + 1))
        );
        let nested = |n: usize| format!("{}title pr{}", "(".repeat(n), ")".repeat(n));
        assert!(user(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(
            fails(&nested(MAX_DEPTH + 1)),
            (MAX_DEPTH, "nesting deeper than 32 levels of \"(\", \"not (\" and \"[\"".into())
        );
        let nots = |n: usize| format!("{}title pr{}", "not (".repeat(n), ")".repeat(n));
        assert!(user(&nots(MAX_DEPTH)).is_ok());
        assert_eq!(fails(&nots(MAX_DEPTH + 1)).0, 5 * MAX_DEPTH);
        let in_value_path = |n: usize| format!("{}emails[type pr]{}", "(".repeat(n), ")".repeat(n));
        assert!(user(&in_value_path(MAX_DEPTH - 1)).is_ok());
        assert_eq!(fails(&in_value_path(MAX_DEPTH)).0, MAX_DEPTH + 6);
        assert_eq!(fails(&"(".repeat(MAX_FILTER_LEN)).0, MAX_DEPTH);

        let terms = |n: usize| vec!["title pr"; n].join(" or ");
        assert!(user(&terms(MAX_TERMS)).is_ok());
        assert_eq!(fails(&terms(MAX_TERMS + 1)), (12 * MAX_TERMS, "more than 64 comparisons in one filter".into()));
        let inner = format!("emails[{}]", vec!["type pr"; MAX_TERMS].join(" and "));
        assert!(user(&inner).is_ok());
        assert!(user(&format!("{inner} or title pr")).is_err());
    }

    /// No input makes the parser panic: random token soups and every prefix of valid filters.
    #[test]
    fn never_panics_on_arbitrary_input() {
        let pieces = [
            "userName",
            "emails",
            "[",
            "]",
            "(",
            ")",
            "not",
            "and",
            "or",
            "pr",
            "eq",
            "sw",
            "gt",
            "\"x\"",
            "\"",
            "\\",
            "\\u",
            "d83d",
            "1",
            "-",
            "1e",
            ".",
            "value",
            "é",
            "😀",
            " ",
            "urn:ietf:params:scim:schemas:core:2.0:User:",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            ":",
            "true",
            "null",
            "meta.created",
            "\"2011-05-13T04:42:34Z\"",
            "name.",
            "$ref",
            "\u{0}",
            "\u{7f}",
        ];
        let mut seed = 0x1234_5678_u64;
        let mut accepted = 0;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            seed >> 33
        };
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..next() % 8 {
                text.push_str(pieces[next() as usize % pieces.len()]);
                text.push(' ');
            }
            accepted += usize::from(user(&text).is_ok());
            let _ = parse(&text, &GROUP_TYPE);
        }
        assert!(accepted > 0, "the soup never forms a valid filter");
        let valid = "emails[type eq \"wörk\" and value co \"\\ud83d\\ude00\"] or not (meta.created gt \"2011-05-13T04:42:34Z\")";
        for (i, _) in valid.char_indices() {
            let _ = user(&valid[..i]);
        }
    }

    #[test]
    fn value_filter_given_apart() {
        let emails = USER_TYPE.resolve(None, "emails", None).unwrap();
        let f = parse_value_filter("type eq \"work\" and primary eq true", &USER_TYPE, emails).unwrap();
        assert_eq!(show(&f), "(emails.type Eq Str(\"work\") and emails.primary Eq Bool(true))");
        let f = parse_value_filter("value eq \"u_1\"", &GROUP_TYPE, GROUP_TYPE.resolve(None, "members", None).unwrap());
        assert_eq!(f.map(|f| show(&f)), Ok("members.value Eq Str(\"u_1\")".into()));
        let name = USER_TYPE.resolve(None, "name", None).unwrap();
        let e = parse_value_filter("givenName eq \"a\"", &USER_TYPE, name).unwrap_err();
        assert_eq!(e.position, 0);
        assert!(parse_value_filter("type[value pr]", &USER_TYPE, emails).unwrap_err().message.contains("nested"));
        let deep = format!("{}type pr{}", "(".repeat(MAX_DEPTH - 1), ")".repeat(MAX_DEPTH - 1));
        assert!(parse_value_filter(&deep, &USER_TYPE, emails).is_ok());
        assert!(parse_value_filter(&format!("({deep})"), &USER_TYPE, emails).is_err());
    }
}
