//! The OData query options Graph supports on the collections breakglass reads:
//! `$filter` (a subset: eq, ne, ge, le, gt, lt, in, startswith, endswith, any,
//! and/or/not, parentheses), `$select`, `$top`, `$skiptoken`, `$count`, `$orderby`.

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Filter {
    Compare {
        path: Vec<String>,
        op: CompareOp,
        value: Literal,
    },
    In {
        path: Vec<String>,
        values: Vec<Literal>,
    },
    Function {
        name: String,
        path: Vec<String>,
        value: String,
    },
    Any {
        path: Vec<String>,
        variable: String,
        inner: Box<Filter>,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Ge,
    Le,
    Gt,
    Lt,
}

impl Filter {
    /// Whether this filter needs the advanced query capabilities
    /// (`ConsistencyLevel: eventual` and `$count=true`) on directory objects.
    pub fn needs_advanced_query(&self) -> bool {
        match self {
            Filter::Compare { op, value, .. } => *op == CompareOp::Ne || *value == Literal::Null,
            Filter::Function { name, .. } => name == "endswith",
            Filter::Not(_) => true,
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.needs_advanced_query() || b.needs_advanced_query()
            }
            Filter::Any { inner, .. } => inner.needs_advanced_query(),
            Filter::In { .. } => false,
        }
    }

    /// The properties of the item this filter reads (the first segment of each path), so a
    /// stored object need parse only those.
    pub fn properties(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.collect_properties(&mut names);
        names.sort_unstable();
        names.dedup();
        names
    }

    fn collect_properties<'a>(&'a self, names: &mut Vec<&'a str>) {
        match self {
            Filter::Compare { path, .. }
            | Filter::In { path, .. }
            | Filter::Function { path, .. } => names.extend(path.first().map(String::as_str)),
            Filter::Any { path, inner, .. } => {
                names.extend(path.first().map(String::as_str));
                inner.collect_properties(names);
            }
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.collect_properties(names);
                b.collect_properties(names);
            }
            Filter::Not(inner) => inner.collect_properties(names),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(f64),
    Open,
    Close,
    Comma,
    Colon,
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            ':' => {
                tokens.push(Token::Colon);
                i += 1;
            }
            '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string literal".into()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            text.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            text.push(*ch);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Str(text));
            }
            _ => {
                let start = i;
                // Timestamps such as 2026-01-01T00:00:00Z carry colons; lambda variables do not start with a digit.
                let temporal = c.is_ascii_digit();
                while i < chars.len()
                    && !matches!(chars[i], ' ' | '\t' | '(' | ')' | ',' | '\'')
                    && (temporal || chars[i] != ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let numeric = word
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_digit() || ch == '-')
                    && !looks_like_guid(&word)
                    && !word.contains('T');
                match word.parse::<f64>() {
                    Ok(number) if numeric => tokens.push(Token::Num(number)),
                    _ => tokens.push(Token::Ident(word)),
                }
            }
        }
    }
    Ok(tokens)
}

fn looks_like_guid(word: &str) -> bool {
    uuid::Uuid::try_parse(word).is_ok()
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).map(|t| match t {
            Token::Ident(s) => Token::Ident(s.clone()),
            Token::Str(s) => Token::Str(s.clone()),
            Token::Num(n) => Token::Num(*n),
            Token::Open => Token::Open,
            Token::Close => Token::Close,
            Token::Comma => Token::Comma,
            Token::Colon => Token::Colon,
        });
        self.position += 1;
        token
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, expected: Token) -> Result<(), String> {
        match self.next() {
            Some(token) if token == expected => Ok(()),
            other => Err(format!("expected {expected:?}, found {other:?}")),
        }
    }

    fn or_expr(&mut self) -> Result<Filter, String> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            self.next();
            let right = self.and_expr()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.next();
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.next();
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.next();
            let inner = self.or_expr()?;
            self.expect(Token::Close)?;
            return Ok(inner);
        }
        self.primary()
    }

    fn literal(&mut self) -> Result<Literal, String> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Literal::Str(s)),
            Some(Token::Num(n)) => Ok(Literal::Num(n)),
            Some(Token::Ident(w)) if w == "true" => Ok(Literal::Bool(true)),
            Some(Token::Ident(w)) if w == "false" => Ok(Literal::Bool(false)),
            Some(Token::Ident(w)) if w == "null" => Ok(Literal::Null),
            // GUIDs and DateTimeOffset values are written without quotes.
            Some(Token::Ident(w)) => Ok(Literal::Str(w)),
            other => Err(format!("expected a value, found {other:?}")),
        }
    }

    fn primary(&mut self) -> Result<Filter, String> {
        let Some(Token::Ident(word)) = self.next() else {
            return Err("expected a property or function".into());
        };
        let lower = word.to_ascii_lowercase();
        if (lower == "startswith" || lower == "endswith") && self.peek() == Some(&Token::Open) {
            self.next();
            let Some(Token::Ident(property)) = self.next() else {
                return Err(format!("{lower} expects a property first"));
            };
            self.expect(Token::Comma)?;
            let Some(Token::Str(value)) = self.next() else {
                return Err(format!("{lower} expects a string second"));
            };
            self.expect(Token::Close)?;
            return Ok(Filter::Function {
                name: lower,
                path: split_path(&property),
                value,
            });
        }
        if let Some(collection) = word.strip_suffix("/any") {
            self.expect(Token::Open)?;
            let Some(Token::Ident(variable)) = self.next() else {
                return Err("any() expects a lambda variable".into());
            };
            self.expect(Token::Colon)?;
            let inner = self.or_expr()?;
            self.expect(Token::Close)?;
            return Ok(Filter::Any {
                path: split_path(collection),
                variable,
                inner: Box::new(inner),
            });
        }
        let path = split_path(&word);
        let Some(Token::Ident(op)) = self.next() else {
            return Err(format!("expected an operator after `{word}`"));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "ge" => CompareOp::Ge,
            "le" => CompareOp::Le,
            "gt" => CompareOp::Gt,
            "lt" => CompareOp::Lt,
            "in" => {
                self.expect(Token::Open)?;
                let mut values = vec![self.literal()?];
                while self.peek() == Some(&Token::Comma) {
                    self.next();
                    values.push(self.literal()?);
                }
                self.expect(Token::Close)?;
                return Ok(Filter::In { path, values });
            }
            other => return Err(format!("operator `{other}` is not supported")),
        };
        let value = self.literal()?;
        Ok(Filter::Compare { path, op, value })
    }
}

fn split_path(text: &str) -> Vec<String> {
    text.split('/').map(str::to_string).collect()
}

pub(crate) fn parse_filter(input: &str) -> Result<Filter, String> {
    let mut parser = Parser {
        tokens: tokenize(input)?,
        position: 0,
    };
    let filter = parser.or_expr()?;
    if parser.position != parser.tokens.len() {
        return Err("unexpected text after the expression".into());
    }
    Ok(filter)
}

/// What a filter is evaluated on: a JSON value, or a stored object's properties as they are,
/// so a listing need not copy every object to filter it.
#[derive(Clone, Copy)]
enum Root<'a> {
    Value(&'a Value),
    Object(&'a Map<String, Value>),
}

fn lookup<'a>(
    item: Root<'a>,
    path: &[String],
    variable: Option<(&str, &'a Value)>,
) -> Option<&'a Value> {
    let mut segments = path.iter();
    let mut current = match (variable, path.first()) {
        (Some((name, bound)), Some(first)) if first == name => {
            segments.next();
            bound
        }
        _ => match item {
            Root::Value(value) => value,
            Root::Object(map) => map.get(segments.next()?.as_str())?,
        },
    };
    for segment in segments {
        current = current.get(segment.as_str())?;
    }
    Some(current)
}

fn compare(actual: Option<&Value>, op: CompareOp, expected: &Literal) -> bool {
    let actual = actual.unwrap_or(&Value::Null);
    let ordering = match (actual, expected) {
        (Value::Null, Literal::Null) => Some(std::cmp::Ordering::Equal),
        (Value::Null, _) | (_, Literal::Null) => None,
        (Value::String(a), Literal::Str(b)) => {
            // Timestamps and strings compare case-insensitively as Graph does for most properties.
            Some(a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()))
        }
        (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
        (Value::Number(a), Literal::Num(b)) => a.as_f64().and_then(|a| a.partial_cmp(b)),
        _ => None,
    };
    use std::cmp::Ordering::*;
    match (op, ordering) {
        (CompareOp::Eq, Some(o)) => o == Equal,
        (CompareOp::Eq, None) => false,
        (CompareOp::Ne, Some(o)) => o != Equal,
        (CompareOp::Ne, None) => true,
        (CompareOp::Ge, Some(o)) => o != Less,
        (CompareOp::Le, Some(o)) => o != Greater,
        (CompareOp::Gt, Some(o)) => o == Greater,
        (CompareOp::Lt, Some(o)) => o == Less,
        (_, None) => false,
    }
}

fn evaluate_bound<'a>(
    filter: &Filter,
    item: Root<'a>,
    variable: Option<(&str, &'a Value)>,
) -> bool {
    match filter {
        Filter::Compare { path, op, value } => compare(lookup(item, path, variable), *op, value),
        Filter::In { path, values } => {
            let actual = lookup(item, path, variable);
            values.iter().any(|v| compare(actual, CompareOp::Eq, v))
        }
        Filter::Function { name, path, value } => {
            let actual = lookup(item, path, variable)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let needle = value.to_ascii_lowercase();
            if name == "startswith" {
                actual.starts_with(&needle)
            } else {
                actual.ends_with(&needle)
            }
        }
        Filter::Any {
            path,
            variable: name,
            inner,
        } => lookup(item, path, variable)
            .and_then(Value::as_array)
            .is_some_and(|elements| {
                elements
                    .iter()
                    .any(|element| evaluate_bound(inner, item, Some((name.as_str(), element))))
            }),
        Filter::And(a, b) => evaluate_bound(a, item, variable) && evaluate_bound(b, item, variable),
        Filter::Or(a, b) => evaluate_bound(a, item, variable) || evaluate_bound(b, item, variable),
        Filter::Not(inner) => !evaluate_bound(inner, item, variable),
    }
}

/// Parses `filter` as a `$filter` and applies it to `item`, as a collection listing does.
/// Public because a filter is untrusted request text: the fuzz target and its corpus replay
/// test call it, and the parser stays private.
pub fn filter_matches(filter: &str, item: &Value) -> Result<bool, String> {
    let parsed = parse_filter(filter)?;
    // A listing asks this of every filter before it evaluates one.
    let _ = parsed.needs_advanced_query();
    Ok(evaluate(&parsed, item))
}

pub(crate) fn evaluate(filter: &Filter, item: &Value) -> bool {
    evaluate_bound(filter, Root::Value(item), None)
}

/// [`evaluate`] on an object's properties.
pub(crate) fn evaluate_object(filter: &Filter, item: &Map<String, Value>) -> bool {
    evaluate_bound(filter, Root::Object(item), None)
}

/// Keeps only the selected properties (plus `id` and `@odata.type`).
pub(crate) fn select(item: &Value, properties: &[String]) -> Value {
    let Value::Object(map) = item else {
        return item.clone();
    };
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        if key == "id"
            || key.starts_with('@')
            || properties.iter().any(|p| p.eq_ignore_ascii_case(key))
        {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_the_shapes_breakglass_sends() {
        let app = json!({"appId": "A1", "displayName": "Emergency access", "tags": ["breakglass", "x"], "web": {"homePageUrl": null}});
        let cases = [
            ("appId eq 'a1'", true),
            ("displayName eq 'Other'", false),
            ("startswith(displayName,'Emerg')", true),
            ("tags/any(t:t eq 'breakglass')", true),
            ("tags/any(t: t eq 'nope')", false),
            ("appId in ('zz', 'A1')", true),
            (
                "appId eq 'A1' and not(displayName eq 'Emergency access')",
                false,
            ),
            ("(appId eq 'no' or displayName eq 'Emergency access')", true),
            ("web/homePageUrl eq null", true),
        ];
        for (text, expected) in cases {
            let filter = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(evaluate(&filter, &app), expected, "{text}");
        }
    }

    #[test]
    fn guids_and_dates_need_no_quotes() {
        let item = json!({"principalId": "5a1b2c3d-0000-4000-8000-000000000001", "createdDateTime": "2026-01-02T03:04:05Z"});
        let filter = parse_filter("principalId eq 5a1b2c3d-0000-4000-8000-000000000001 and createdDateTime ge 2026-01-01T00:00:00Z").unwrap();
        assert!(evaluate(&filter, &item));
    }

    #[test]
    fn rejects_what_it_cannot_parse() {
        for text in [
            "appId",
            "appId eq",
            "appId like 'x'",
            "startswith(appId)",
            "(appId eq 'x'",
        ] {
            assert!(parse_filter(text).is_err(), "{text}");
        }
    }
}
