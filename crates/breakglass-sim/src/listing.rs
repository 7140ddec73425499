//! Graph's collection listings: `$filter`, `$orderby`, `$count`, paging and `$select`, for
//! any collection (`list`) and for the directory objects (`/users`, `/groups`,
//! `/applications`, `/servicePrincipals`) without copying the directory: a `$filter`
//! on an indexed property reads only the objects the index names (as Entra answers it), the
//! others are evaluated on the stored objects in place, and only the page returned is copied
//! and shaped for the answer.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;
use serde_json::{Value, json};

use crate::graph::context::Ctx;
use crate::http::SimResponse;
use crate::index::INDEXED;
use crate::odata::{self, CompareOp, Filter, Literal};
use crate::state::{DirObject, Kind, Tenant};

/// One collection of directory objects and how it answers.
pub(crate) struct Listing<'a> {
    pub kind: Kind,
    pub context: &'a str,
    pub paging: Paging,
    pub default_select: Option<&'a [&'a str]>,
}

/// Objects that may match `filter`, from the index; `None` when the filter names no indexed
/// property in a way the index answers, and every object must be read.
fn candidates<'t>(tenant: &'t Tenant, kind: Kind, filter: &Filter) -> Option<Vec<&'t DirObject>> {
    let found = match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Literal::Str(value),
        } => tenant.objects.lookup(kind, indexed(path)?, value, false),
        // An empty prefix matches objects without the property too, which the index lacks.
        Filter::Function { name, path, value } if name == "startswith" && !value.is_empty() => {
            tenant.objects.lookup(kind, indexed(path)?, value, true)
        }
        Filter::In { path, values } => {
            let property = indexed(path)?;
            let mut found = Vec::new();
            for value in values {
                let Literal::Str(value) = value else {
                    return None;
                };
                found.extend(tenant.objects.lookup(kind, property, value, false));
            }
            found
        }
        // `tags/any(t: t eq 'x')`: the objects with that string among their `tags`.
        Filter::Any {
            path,
            variable,
            inner,
        } => match &**inner {
            Filter::Compare {
                path: compared,
                op: CompareOp::Eq,
                value: Literal::Str(value),
            } if compared.as_slice() == [variable.as_str()] => {
                tenant.objects.lookup(kind, indexed(path)?, value, false)
            }
            _ => return None,
        },
        Filter::And(a, b) => {
            return candidates(tenant, kind, a).or_else(|| candidates(tenant, kind, b));
        }
        Filter::Or(a, b) => {
            let mut found = candidates(tenant, kind, a)?;
            found.extend(candidates(tenant, kind, b)?);
            found
        }
        _ => return None,
    };
    Some(found)
}

/// The indexed property a filter's path names, if it names one.
fn indexed(path: &[String]) -> Option<&'static str> {
    match path {
        [property] => INDEXED.iter().copied().find(|p| p == property),
        _ => None,
    }
}

/// In the order a scan of the directory gives them (by id), each once.
fn in_id_order(mut objects: Vec<&DirObject>) -> Vec<&DirObject> {
    objects.sort_by(|a, b| a.id().cmp(b.id()));
    objects.dedup_by(|a, b| a.id() == b.id());
    objects
}

fn parsed_filter(ctx: &Ctx<'_>, advanced: bool) -> Result<Option<Filter>, SimResponse> {
    let Some(text) = ctx.request.query_param("$filter") else {
        return Ok(None);
    };
    let filter = odata::parse_filter(&text).map_err(|reason| {
        ctx.error(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            &format!("Invalid filter clause: {reason}."),
        )
    })?;
    if filter.needs_advanced_query() && !advanced {
        return Err(ctx.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified. This filter needs the ConsistencyLevel header set to eventual and $count=true."));
    }
    Ok(Some(filter))
}

/// Sorts by `$orderby` (one property, `asc` or `desc`).
pub(crate) fn order<T>(
    ctx: &Ctx<'_>,
    items: &mut [T],
    property_of: impl Fn(&T, &str) -> Option<String>,
) {
    let Some(order) = ctx.request.query_param("$orderby") else {
        return;
    };
    let mut words = order.split_whitespace();
    let property = words.next().unwrap_or_default().to_string();
    let descending = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
    let key = |item: &T| {
        property_of(item, &property)
            .map(|p| p.to_ascii_lowercase())
            .unwrap_or_default()
    };
    if descending {
        items.sort_by_cached_key(|item| std::cmp::Reverse(key(item)));
    } else {
        items.sort_by_cached_key(|item| key(item));
    }
}

pub(crate) fn page_bounds(ctx: &Ctx<'_>, paging: Paging) -> Result<(usize, usize), SimResponse> {
    let top = match ctx.request.query_param("$top") {
        None => paging.default_top,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=paging.max_top).contains(&n) => n,
            _ => {
                return Err(ctx.bad_request(&format!(
                    "Invalid page size specified: '{text}'. Must be between 1 and {} inclusive.",
                    paging.max_top
                )));
            }
        },
    };
    let offset = match ctx.request.query_param("$skiptoken") {
        None => 0,
        Some(token) => decode_skip_token(&token).ok_or_else(|| {
            ctx.bad_request("The specified page token value has expired and can no longer be included in your request.")
        })?,
    };
    Ok((top, offset))
}

/// `$count` asked for (with the header it needs), and the parsed `$filter`.
pub(crate) fn query_options(ctx: &Ctx<'_>) -> Result<(bool, Option<Filter>), SimResponse> {
    let request = ctx.request;
    let eventual = request
        .header("consistencylevel")
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    let count_requested = request
        .query_param("$count")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if count_requested && !eventual {
        return Err(ctx.bad_request("$count is not currently supported without the ConsistencyLevel header set to eventual."));
    }
    let filter = parsed_filter(ctx, eventual && count_requested)?;
    Ok((count_requested, filter))
}

/// Answers the page `$top` and `$skiptoken` ask for of `matched`, copying only that page.
fn answer_page<T>(
    ctx: &Ctx<'_>,
    listing: &Listing<'_>,
    count_requested: bool,
    matched: Vec<T>,
    present: impl Fn(T) -> Value,
) -> SimResponse {
    let (top, offset) = match page_bounds(ctx, listing.paging) {
        Ok(bounds) => bounds,
        Err(response) => return response,
    };
    let total = matched.len();
    let selected: Option<Vec<String>> = ctx
        .request
        .query_param("$select")
        .map(|s| {
            s.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .or_else(|| {
            listing
                .default_select
                .map(|d| d.iter().map(|s| s.to_string()).collect())
        });
    let page: Vec<Value> = matched
        .into_iter()
        .skip(offset)
        .take(top)
        .map(|item| {
            let item = present(item);
            match &selected {
                Some(properties) => odata::select(&item, properties),
                None => item,
            }
        })
        .collect();
    let mut body = json!({"@odata.context": ctx.context_url(listing.context)});
    if count_requested && offset == 0 {
        body["@odata.count"] = json!(total);
    }
    if offset + top < total {
        body["@odata.nextLink"] = json!(next_link(ctx, offset + top));
    }
    body["value"] = Value::Array(page);
    ctx.json(StatusCode::OK, &body)
}

/// Answers one page of `listing`'s objects that `keep` lets through, each shaped by `present`.
pub(crate) fn list_objects(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    listing: &Listing<'_>,
    keep: impl Fn(&DirObject) -> bool,
    present: impl Fn(&DirObject) -> Value,
) -> SimResponse {
    let (count_requested, filter) = match query_options(ctx) {
        Ok(options) => options,
        Err(response) => return response,
    };
    let mut matched: Vec<&DirObject> = match &filter {
        Some(filter) => {
            // Each object parses only what the filter reads.
            let read = filter.properties();
            match candidates(tenant, listing.kind, filter) {
                Some(found) => in_id_order(found),
                None => tenant.live(listing.kind).collect(),
            }
            .into_iter()
            .filter(|o| {
                o.kind == listing.kind && odata::evaluate_object(filter, &o.properties(&read))
            })
            .filter(|o| keep(o))
            .collect()
        }
        None => tenant.live(listing.kind).filter(|o| keep(o)).collect(),
    };
    order(ctx, &mut matched, |o, property| {
        o.get(property).map(|value| value.to_string())
    });
    answer_page(ctx, listing, count_requested, matched, present)
}

/// `list` for items the tenant holds: filters and sorts them in place and copies
/// only the page it returns (`listing.kind` is not used).
pub(crate) fn list_values(ctx: &Ctx<'_>, items: Vec<&Value>, listing: &Listing<'_>) -> SimResponse {
    let (count_requested, filter) = match query_options(ctx) {
        Ok(options) => options,
        Err(response) => return response,
    };
    let mut matched = items;
    if let Some(filter) = &filter {
        matched.retain(|item| odata::evaluate(filter, item));
    }
    order(ctx, &mut matched, |item, property| {
        item.get(property).map(Value::to_string)
    });
    answer_page(ctx, listing, count_requested, matched, Value::clone)
}

/// `list_values` for items found by key: only the page's keys are read, unless `$filter` or
/// `$orderby` needs every item.
pub(crate) fn list_keyed<'t, K>(
    ctx: &Ctx<'_>,
    keys: Vec<K>,
    listing: &Listing<'_>,
    read: impl Fn(&K) -> Option<&'t Value>,
) -> SimResponse {
    let request = ctx.request;
    if request.query_param("$filter").is_some() || request.query_param("$orderby").is_some() {
        let items = keys.iter().filter_map(&read).collect();
        return list_values(ctx, items, listing);
    }
    let (count_requested, _) = match query_options(ctx) {
        Ok(options) => options,
        Err(response) => return response,
    };
    // The index holds live objects only, so every key reads.
    answer_page(ctx, listing, count_requested, keys, |k| {
        read(&k).cloned().unwrap_or(Value::Null)
    })
}

/// Paging and query limits of one collection.
#[derive(Clone, Copy)]
pub(crate) struct Paging {
    pub default_top: usize,
    pub max_top: usize,
}

pub(crate) const DIRECTORY_PAGING: Paging = Paging {
    default_top: 100,
    max_top: 999,
};
pub(crate) const LOG_PAGING: Paging = Paging {
    default_top: 1000,
    max_top: 1000,
};

/// Applies `$filter`, `$orderby`, `$count`, `$top`, `$skiptoken` and `$select` to a
/// collection and answers with one page.
pub(crate) fn list(
    ctx: &Ctx<'_>,
    items: Vec<Value>,
    context: &str,
    paging: Paging,
    default_select: Option<&[&str]>,
) -> SimResponse {
    let request = ctx.request;
    let (count_requested, filter) = match query_options(ctx) {
        Ok(options) => options,
        Err(refused) => return refused,
    };
    let mut items = items;
    if let Some(filter) = filter {
        items.retain(|item| odata::evaluate(&filter, item));
    }
    order(ctx, &mut items, |item, property| {
        item.get(property).map(Value::to_string)
    });
    let (top, offset) = match page_bounds(ctx, paging) {
        Ok(bounds) => bounds,
        Err(refused) => return refused,
    };
    let total = items.len();
    let selected: Option<Vec<String>> = request
        .query_param("$select")
        .map(|s| {
            s.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .or_else(|| default_select.map(|d| d.iter().map(|s| s.to_string()).collect()));
    let page: Vec<Value> = items
        .into_iter()
        .skip(offset)
        .take(top)
        .map(|item| match &selected {
            Some(properties) => odata::select(&item, properties),
            None => item,
        })
        .collect();
    let mut body = json!({"@odata.context": ctx.context_url(context)});
    if count_requested && offset == 0 {
        body["@odata.count"] = json!(total);
    }
    if offset + top < total {
        body["@odata.nextLink"] = json!(next_link(ctx, offset + top));
    }
    body["value"] = Value::Array(page);
    ctx.json(StatusCode::OK, &body)
}

pub(crate) fn next_link(ctx: &Ctx<'_>, offset: usize) -> String {
    let kept: Vec<(String, String)> = ctx
        .request
        .query_pairs()
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
        .collect();
    // Graph writes option names such as `$filter` literally and encodes only the values.
    let encode = |text: &str| percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string();
    let mut query: Vec<String> = kept
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    query.push(format!("$skiptoken={}", encode_skip_token(offset)));
    format!(
        "{}{}?{}",
        ctx.sim.origin(),
        ctx.request.path,
        query.join("&")
    )
}

const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'$')
    .remove(b'(')
    .remove(b')')
    .remove(b',');

fn encode_skip_token(offset: usize) -> String {
    format!(
        "RFNwdAIAAQAAA{}",
        URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
    )
}

pub(crate) fn decode_skip_token(token: &str) -> Option<usize> {
    let encoded = token.strip_prefix("RFNwdAIAAQAAA")?;
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
    text.strip_prefix("offset:")?.parse().ok()
}
