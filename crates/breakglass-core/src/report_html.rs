//! What the HTML pages for people share: escaping, the one stylesheet, and the page around a
//! body. No script, no font, no image, and a Content-Security-Policy that forbids every fetch,
//! so a page reads the same offline, on a phone, and printed.

/// Text made safe for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) const STYLE: &str = r#"
:root { --critical: #a4001d; --high: #c43e00; --medium: #8a6100; --low: #2f5f8a; --info: #555; --ok: #1d6b33; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; line-height: 1.45; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 0 0 .3rem; }
.meta { color: #444; margin: 0; overflow-wrap: anywhere; }
.verdict { display: inline-block; font-weight: 600; padding: .2rem .6rem; border-radius: .3rem; color: #fff; margin: .5rem 0; }
.verdict.failed { background: var(--critical); }
.verdict.passed { background: var(--ok); }
table.counts { border-collapse: collapse; width: 100%; max-width: 36rem; }
table.counts th, table.counts td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; }
article { border-left: .35rem solid var(--info); padding: .5rem .75rem; margin: .75rem 0; background: #f7f7f7; break-inside: avoid; }
article.critical { border-color: var(--critical); }
article.high { border-color: var(--high); }
article.medium { border-color: var(--medium); }
article.low { border-color: var(--low); }
article.not-checked { border-color: #777; background: #fff8e5; }
article.pass { border-color: var(--ok); }
table.checks { border-collapse: collapse; width: 100%; margin: .3rem 0; }
table.checks td { border-top: 1px solid #ddd; padding: .25rem .4rem; vertical-align: top; overflow-wrap: anywhere; }
.status { font-weight: 700; white-space: nowrap; }
.check { font-family: ui-monospace, monospace; font-size: .85rem; color: #444; }
.label { font-weight: 700; text-transform: uppercase; font-size: .8rem; }
ul.evidence { margin: .3rem 0; padding-left: 1.2rem; overflow-wrap: anywhere; }
.hint { margin: .3rem 0 0; }
ul.passed { columns: 2 18rem; padding-left: 1.2rem; }
.wide { overflow-x: auto; }
table.tenants { max-width: none; }
table.tenants td { vertical-align: top; overflow-wrap: anywhere; }
.status.passed { color: var(--ok); }
.status.failed, .status.not-read { color: var(--critical); }
section.tenant { margin-top: 2.5rem; border-top: 3px solid #333; padding-top: .5rem; }
footer { margin-top: 2rem; font-size: .85rem; color: #555; }
@media print { body { max-width: none; } .verdict { border: 1px solid #000; color: #000; background: none; } article { background: none; } }
"#;

/// A whole page: `title` is already escaped, `body` is markup.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n"
    )
}
