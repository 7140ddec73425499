//! A small YAML writer for the documents breakglass writes: maps in a fixed key order,
//! sequences, strings, integers, booleans, and literal blocks for queries.
//!
//! Strings that could be read as anything but a string (numbers, booleans, null, text with
//! `:` or `#`, leading or trailing spaces…) are written double-quoted with JSON escapes,
//! which YAML's double-quoted style reads back unchanged.

/// A YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
    Str(String),
    /// A multi-line string written as a literal block (`|-`), kept byte for byte.
    Block(String),
    Int(i64),
    Bool(bool),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    pub fn str(value: impl Into<String>) -> Yaml {
        Yaml::Str(value.into())
    }

    /// A map from (key, value) pairs, in the given order.
    pub fn map<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Yaml)>) -> Yaml {
        Yaml::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A sequence of strings.
    pub fn strs<'a>(values: impl IntoIterator<Item = &'a str>) -> Yaml {
        Yaml::Seq(values.into_iter().map(Yaml::str).collect())
    }
}

/// Whether a string can be written without quotes and still read back as the same string.
fn plain_is_safe(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
    ];
    let mut chars = value.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !WORDS.contains(&value.to_ascii_lowercase().as_str())
}

/// A scalar string: plain when safe, otherwise double-quoted.
pub fn scalar(value: &str) -> String {
    if plain_is_safe(value) {
        value.to_string()
    } else {
        serde_json::Value::String(value.to_string()).to_string()
    }
}

fn key(name: &str) -> String {
    scalar(name)
}

fn is_inline(value: &Yaml) -> bool {
    match value {
        Yaml::Str(_) | Yaml::Int(_) | Yaml::Bool(_) => true,
        Yaml::Seq(items) => items.is_empty(),
        Yaml::Map(pairs) => pairs.is_empty(),
        Yaml::Block(_) => false,
    }
}

fn inline(value: &Yaml) -> String {
    match value {
        Yaml::Str(s) => scalar(s),
        Yaml::Int(i) => i.to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Seq(_) => "[]".to_string(),
        Yaml::Map(_) => "{}".to_string(),
        Yaml::Block(_) => unreachable!("blocks are never inline"),
    }
}

fn block(text: &str, indent: usize, out: &mut String) {
    // A literal block's indentation is taken from its first line; a text starting with a
    // space needs the indentation written out.
    let indicator = if text.starts_with(' ') { "2" } else { "" };
    out.push_str(&format!("|{indicator}-\n"));
    let pad = " ".repeat(indent + 2);
    for line in text.trim_end_matches('\n').split('\n') {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&pad);
            out.push_str(line);
            out.push('\n');
        }
    }
}

/// Writes `pairs` as a block map at `indent`; the first key's indentation is already written
/// when `first_inline` (a map inside a sequence item).
fn write_map(pairs: &[(String, Yaml)], indent: usize, first_inline: bool, out: &mut String) {
    let pad = " ".repeat(indent);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if !(i == 0 && first_inline) {
            out.push_str(&pad);
        }
        out.push_str(&key(name));
        out.push(':');
        match value {
            v if is_inline(v) => {
                out.push(' ');
                out.push_str(&inline(v));
                out.push('\n');
            }
            Yaml::Block(text) => {
                out.push(' ');
                block(text, indent, out);
            }
            Yaml::Seq(items) => {
                out.push('\n');
                write_seq(items, indent + 2, out);
            }
            Yaml::Map(inner) => {
                out.push('\n');
                write_map(inner, indent + 2, false, out);
            }
            _ => unreachable!("inline values are handled above"),
        }
    }
}

fn write_seq(items: &[Yaml], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for item in items {
        out.push_str(&pad);
        out.push_str("- ");
        match item {
            v if is_inline(v) => {
                out.push_str(&inline(v));
                out.push('\n');
            }
            Yaml::Block(text) => block(text, indent, out),
            Yaml::Map(pairs) => write_map(pairs, indent + 2, true, out),
            Yaml::Seq(inner) => {
                out.push('\n');
                write_seq(inner, indent + 2, out);
            }
            _ => unreachable!("inline values are handled above"),
        }
    }
}

/// The YAML document of a top-level map.
pub fn to_string(document: &[(String, Yaml)]) -> String {
    let mut out = String::new();
    write_map(document, 0, false, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaml_rust2::{Yaml as Parsed, YamlLoader};

    fn parse(text: &str) -> Parsed {
        let mut docs = YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(docs.len(), 1, "{text}");
        docs.remove(0)
    }

    #[test]
    fn tricky_strings_read_back_unchanged() {
        let tricky = [
            "plain",
            "1.0.0",
            "5m",
            "true",
            "No",
            "null",
            "",
            " leading",
            "trailing ",
            "a: b",
            "# not a comment",
            "quote \" and back\\slash",
            "Update application \u{2013} Certificates and secrets management",
            "line\nbreak",
            "tab\there",
            "{{Criticality}} placeholder",
            "- dash",
            "[bracket]",
            "d1ad7bf2-efe4-4ad4-81dd-33c4cd024a4f",
            "123e4567-e89b-12d3-a456-426614174000",
            "1e5",
        ];
        for value in tricky {
            let text = to_string(&[("key".to_string(), Yaml::str(value))]);
            assert_eq!(parse(&text)["key"].as_str(), Some(value), "{text}");
        }
    }

    #[test]
    fn literal_blocks_keep_queries_byte_for_byte() {
        let queries = [
            "let A = dynamic([\"x\"]);\nAuditLogs\n| where X == \"a: b\" // comment #1\n\n| project A",
            "  starts with spaces\nand continues",
            "single line",
        ];
        for query in queries {
            let document = vec![
                ("query".to_string(), Yaml::Block(query.to_string())),
                ("after".to_string(), Yaml::str("x")),
            ];
            let text = to_string(&document);
            let parsed = parse(&text);
            assert_eq!(parsed["query"].as_str(), Some(query), "{text}");
            assert_eq!(parsed["after"].as_str(), Some("x"));
        }
    }

    #[test]
    fn nested_maps_and_sequences() {
        let document = vec![
            ("n".to_string(), Yaml::Int(0)),
            ("b".to_string(), Yaml::Bool(true)),
            ("empty".to_string(), Yaml::Seq(vec![])),
            (
                "list".to_string(),
                Yaml::Seq(vec![
                    Yaml::map([
                        ("entityType", Yaml::str("Account")),
                        (
                            "fieldMappings",
                            Yaml::Seq(vec![Yaml::map([
                                ("identifier", Yaml::str("FullName")),
                                ("columnName", Yaml::str("Actor")),
                            ])]),
                        ),
                    ]),
                    Yaml::str("second"),
                ]),
            ),
            (
                "map".to_string(),
                Yaml::map([("inner", Yaml::strs(["a", "b"]))]),
            ),
        ];
        let parsed = parse(&to_string(&document));
        assert_eq!(parsed["n"].as_i64(), Some(0));
        assert_eq!(parsed["b"].as_bool(), Some(true));
        assert_eq!(parsed["empty"].as_vec().map(Vec::len), Some(0));
        assert_eq!(
            parsed["list"][0]["fieldMappings"][0]["columnName"].as_str(),
            Some("Actor")
        );
        assert_eq!(parsed["list"][1].as_str(), Some("second"));
        assert_eq!(parsed["map"]["inner"][1].as_str(), Some("b"));
    }
}
