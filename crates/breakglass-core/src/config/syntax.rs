//! Placing a TOML or type error in the file, and saying it the way a person editing the file
//! needs to read it.

/// A TOML or type error, placed: line, table and key, with what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The table the line is in, as written: `[app]`, `[[app.credentials]]`.
    pub table: Option<String>,
    pub key: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl SyntaxError {
    pub(crate) fn new(text: &str, error: &toml::de::Error) -> SyntaxError {
        let start = error.span().map(|span| span.start.min(text.len()));
        let (line, column) = match start {
            Some(start) => {
                let before = &text[..floor_char_boundary(text, start)];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        let lines: Vec<&str> = text.lines().collect();
        let current = line.and_then(|l| lines.get(l - 1)).copied().unwrap_or("");
        let key = current
            .split_once('=')
            .map(|(key, _)| key.trim().trim_matches('"').to_string())
            .filter(|key| !key.is_empty() && !key.starts_with('['));
        let table = line.and_then(|l| {
            lines[..l.min(lines.len())]
                .iter()
                .rev()
                .map(|l| l.trim())
                .find(|l| l.starts_with('[') && l.contains(']'))
                .map(|l| l.split('#').next().unwrap_or(l).trim().to_string())
        });
        let (message, hint) = explain(error.message());
        // The message already names an unknown key; saying it twice helps nobody.
        let key = key.filter(|_| !message.starts_with("unknown key"));
        SyntaxError {
            line,
            column,
            table,
            key,
            message,
            hint,
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}")?;
            if let Some(column) = self.column {
                write!(f, ", column {column}")?;
            }
            f.write_str(": ")?;
        }
        match (&self.key, &self.table) {
            (Some(key), Some(table)) => write!(f, "`{key}` in {table}: ")?,
            (Some(key), None) => write!(f, "`{key}`: ")?,
            (None, Some(table)) => write!(f, "{table}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// Turns serde's and toml's wording into what a person editing the file needs, with the
/// closest known key for a misspelt one.
fn explain(message: &str) -> (String, Option<String>) {
    let message = message.trim().lines().next().unwrap_or_default().trim();
    let ticked = |text: &str| -> Vec<String> {
        text.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = ticked(rest);
        if let Some((unknown, known)) = names.split_first() {
            let closest = known
                .iter()
                .min_by_key(|k| edit_distance(unknown, k))
                .filter(|k| edit_distance(unknown, k) <= 3);
            let hint = match closest {
                Some(k) => format!(
                    "did you mean `{k}`? the keys here are: {}",
                    known.join(", ")
                ),
                None => format!("the keys here are: {}", known.join(", ")),
            };
            return (format!("unknown key `{unknown}`"), Some(hint));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let names = ticked(rest);
        if let Some((unknown, known)) = names.split_first() {
            return (
                format!("`{unknown}` is not one of {}", known.join(", ")),
                Some(format!("write one of: {}", known.join(", "))),
            );
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = ticked(rest).into_iter().next().unwrap_or_default();
        return (
            format!("the required key `{field}` is missing"),
            Some(format!(
                "add `{field} = …` to this table; `breakglass init --stdout` shows every key with a comment"
            )),
        );
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.split_once(", expected ")
        {
            let expected = match expected.trim() {
                "u8" | "u16" | "u32" | "u64" | "usize" => {
                    "a whole number without quotes, e.g. 2".to_string()
                }
                "i8" | "i16" | "i32" | "i64" => "a whole number without quotes".to_string(),
                "a boolean" => "true or false, without quotes".to_string(),
                "a string" => "text in double quotes".to_string(),
                "a sequence" => "a list in brackets, e.g. [\"a\", \"b\"]".to_string(),
                other => other.to_string(),
            };
            let found = found.replace('`', "");
            return (
                format!("expected {expected}, found {found}"),
                Some(
                    "`breakglass init --stdout` shows every key with its type and a comment".into(),
                ),
            );
        }
    }
    (
        message.to_string(),
        Some("TOML needs `key = value` lines under [table] headers, text in double quotes; `breakglass init --stdout` prints a commented example".into()),
    )
}

/// Levenshtein distance, for suggesting the key a typo meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}
