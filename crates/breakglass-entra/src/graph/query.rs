//! OData query options: `$select`, `$filter`, `$top`, `$count`, `$expand`, `$orderby`, `$search`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Characters left as they are in a query value; everything else is percent-encoded
/// (notably space → `%20`, `+` → `%2B`, `&`, `=`, `#`, `%`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b',')
    .remove(b'(')
    .remove(b')')
    .remove(b'\'')
    .remove(b'/')
    .remove(b':')
    .remove(b'$')
    .remove(b'*')
    .remove(b'@');

/// Characters left as they are in one path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@')
    .remove(b'(')
    .remove(b')')
    .remove(b'\'')
    .remove(b'=');

/// Percent-encodes one path segment (a user principal name with `#EXT#`, for one).
pub fn path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}

/// An OData string literal: `'O''Brien'`.
pub fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// OData query options for a Graph request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    select: Vec<String>,
    filter: Option<String>,
    top: Option<u32>,
    count: bool,
    expand: Vec<String>,
    orderby: Vec<String>,
    search: Option<String>,
    eventual: bool,
    params: Vec<(String, String)>,
}

impl Query {
    pub fn new() -> Query {
        Query::default()
    }

    /// `$select=a,b`.
    pub fn select<I, S>(mut self, properties: I) -> Query
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.select.extend(properties.into_iter().map(Into::into));
        self
    }

    /// `$filter=…`; quote string literals with [`odata_string`].
    pub fn filter(mut self, filter: impl Into<String>) -> Query {
        self.filter = Some(filter.into());
        self
    }

    /// `$top=n` (page size).
    pub fn top(mut self, top: u32) -> Query {
        self.top = Some(top);
        self
    }

    /// `$count=true`, with the `ConsistencyLevel: eventual` header (advanced query).
    pub fn count(mut self) -> Query {
        self.count = true;
        self.eventual = true;
        self
    }

    /// `$expand=…`.
    pub fn expand(mut self, expand: impl Into<String>) -> Query {
        self.expand.push(expand.into());
        self
    }

    /// `$orderby=…`.
    pub fn orderby(mut self, orderby: impl Into<String>) -> Query {
        self.orderby.push(orderby.into());
        self
    }

    /// `$search="…"`, with `ConsistencyLevel: eventual`.
    pub fn search(mut self, search: impl Into<String>) -> Query {
        self.search = Some(search.into());
        self.eventual = true;
        self
    }

    /// Sends `ConsistencyLevel: eventual` without `$count`.
    pub fn eventual_consistency(mut self) -> Query {
        self.eventual = true;
        self
    }

    /// Any other parameter.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Query {
        self.params.push((key.into(), value.into()));
        self
    }

    /// Whether requests need the `ConsistencyLevel: eventual` header.
    pub fn needs_eventual_consistency(&self) -> bool {
        self.eventual
    }

    /// The encoded query string (without `?`), empty when there are no options.
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !self.select.is_empty() {
            pairs.push(("$select".into(), self.select.join(",")));
        }
        if let Some(filter) = &self.filter {
            pairs.push(("$filter".into(), filter.clone()));
        }
        if let Some(search) = &self.search {
            pairs.push(("$search".into(), search.clone()));
        }
        if !self.expand.is_empty() {
            pairs.push(("$expand".into(), self.expand.join(",")));
        }
        if !self.orderby.is_empty() {
            pairs.push(("$orderby".into(), self.orderby.join(",")));
        }
        if let Some(top) = self.top {
            pairs.push(("$top".into(), top.to_string()));
        }
        if self.count {
            pairs.push(("$count".into(), "true".into()));
        }
        pairs.extend(self.params.iter().cloned());
        pairs
            .iter()
            .map(|(key, value)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(key, QUERY_VALUE),
                    utf8_percent_encode(value, QUERY_VALUE)
                )
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Appends the options to `url`'s query.
    pub fn apply_to(&self, url: &mut Url) {
        let ours = self.to_query_string();
        if ours.is_empty() {
            return;
        }
        let query = match url.query() {
            Some(existing) if !existing.is_empty() => format!("{existing}&{ours}"),
            _ => ours,
        };
        url.set_query(Some(&query));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_options() {
        let query = Query::new()
            .select(["id", "displayName"])
            .filter(format!(
                "userPrincipalName eq {} and createdDateTime ge 2024-01-01T00:00:00+00:00",
                odata_string("o'brien@contoso.com")
            ))
            .top(999)
            .count()
            .expand("principal")
            .orderby("displayName desc");
        assert_eq!(
            query.to_query_string(),
            "$select=id,displayName&$filter=userPrincipalName%20eq%20'o''brien@contoso.com'%20and%20createdDateTime%20ge%202024-01-01T00:00:00%2B00:00&$expand=principal&$orderby=displayName%20desc&$top=999&$count=true"
        );
        assert!(query.needs_eventual_consistency());
        assert!(!Query::new().select(["id"]).needs_eventual_consistency());
        let mut url = Url::parse("https://graph.microsoft.com/v1.0/users?x=1").unwrap();
        Query::new().top(5).apply_to(&mut url);
        assert_eq!(url.query(), Some("x=1&$top=5"));
        let value = Query::new().param("a", "b&c=d#e%");
        assert_eq!(value.to_query_string(), "a=b%26c%3Dd%23e%25");
    }

    #[test]
    fn encodes_path_segments() {
        assert_eq!(
            path_segment("alice_fabrikam.com#EXT#@contoso.onmicrosoft.com"),
            "alice_fabrikam.com%23EXT%23@contoso.onmicrosoft.com"
        );
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
