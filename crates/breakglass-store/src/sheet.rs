//! Printed sheets (PDF, A4, base-14 fonts): the recovery sheet of a credential and the custodian
//! sheet of a Shamir share. QR codes are drawn as filled rectangles, one per run of dark modules.
//!
//! The PDF bytes hold the secret in clear; write them with [`crate::write_secret_file`] (0600).

use jiff::Timestamp;
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
use secrecy::ExposeSecret as _;
use zeroize::Zeroizing;

use crate::credential::{CredentialKind, StoredCredential};
use crate::payload::CredentialPayload;
use crate::qr::{self, QrMatrix};
use crate::shamir::ShamirShare;

/// Wording on the sheets that depends on the organisation.
#[derive(Clone, Debug)]
pub struct SheetOptions {
    /// Who to tell when the credential is used, e.g. `SOC +1 555 0100, soc@contoso.com`.
    pub report_to: String,
    /// The command that turns the scanned sheet into a token.
    pub token_command: String,
    /// The command that combines shares.
    pub combine_command: String,
    /// The date printed on the sheet; `None` means now.
    pub generated_at: Option<Timestamp>,
}

impl Default for SheetOptions {
    fn default() -> Self {
        SheetOptions {
            report_to: "your security operations team".to_string(),
            token_command: "breakglass token --sheet scan.txt".to_string(),
            combine_command: "breakglass shares combine".to_string(),
            generated_at: None,
        }
    }
}

/// Why a sheet could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SheetError {
    /// A QR code could not be built (the text is too long; not expected).
    #[error("cannot build a QR code for the sheet: {0}")]
    Qr(String),
}

impl SheetError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        "report this as a bug in breakglass"
    }
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
const BOTTOM: f32 = 60.0;

#[derive(Clone, Copy)]
enum Font {
    Regular,
    Bold,
    Mono,
    MonoBold,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
            Font::Mono => Name(b"F3"),
            Font::MonoBold => Name(b"F4"),
        }
    }
}

/// A very small flowing layout: lines of text top to bottom, new pages as needed.
struct Doc {
    pages: Vec<Content>,
    y: f32,
    footer: String,
}

impl Doc {
    fn new(footer: String) -> Doc {
        Doc {
            pages: vec![Content::new()],
            y: PAGE_H - MARGIN,
            footer,
        }
    }

    fn page(&mut self) -> &mut Content {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_H - MARGIN;
    }

    fn need(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    fn put(&mut self, font: Font, size: f32, x: f32, y: f32, text: &str) {
        let text = ascii(text);
        let page = self.page();
        page.begin_text();
        page.set_font(font.name(), size);
        page.next_line(x, y);
        page.show(Str(text.as_bytes()));
        page.end_text();
    }

    fn line(&mut self, font: Font, size: f32, text: &str) {
        self.line_at(font, size, MARGIN, text);
    }

    fn line_at(&mut self, font: Font, size: f32, x: f32, text: &str) {
        let step = size * 1.35;
        self.need(step);
        self.y -= step;
        let y = self.y;
        self.put(font, size, x, y, text);
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// Prose wrapped at word boundaries; `first` prefixes the first line (e.g. "3."), later lines
    /// are indented to match.
    fn paragraph(&mut self, font: Font, size: f32, first: &str, text: &str) {
        let max = ((PAGE_W - 2.0 * MARGIN - 20.0) / (size * 0.5)) as usize;
        let indent = if first.is_empty() { 0.0 } else { 18.0 };
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            if !current.is_empty() && current.len() + 1 + word.len() > max {
                lines.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        if !current.is_empty() {
            lines.push(current);
        }
        for (i, l) in lines.iter().enumerate() {
            let step = size * 1.35;
            self.need(step);
            self.y -= step;
            let y = self.y;
            if i == 0 && !first.is_empty() {
                self.put(Font::Bold, size, MARGIN, y, first);
            }
            self.put(font, size, MARGIN + indent, y, l);
        }
    }

    /// A label and a value on one row.
    fn field(&mut self, label: &str, value: &str) {
        let step = 10.0 * 1.45;
        self.need(step);
        self.y -= step;
        let y = self.y;
        self.put(Font::Bold, 10.0, MARGIN, y, label);
        self.put(Font::Mono, 10.0, MARGIN + 150.0, y, value);
    }

    /// Monospace text broken into fixed-width lines.
    fn mono_block(&mut self, font: Font, size: f32, text: &str, per_line: usize) {
        let chars: Vec<char> = text.chars().collect();
        for chunk in chars.chunks(per_line.max(1)) {
            let line: Zeroizing<String> = Zeroizing::new(chunk.iter().collect());
            self.line_at(font, size, MARGIN + 10.0, &line);
        }
    }

    /// Draws a QR code with its top-left corner (quiet zone included) at (x, top).
    fn qr(&mut self, code: &QrMatrix, x: f32, top: f32, size: f32) {
        let modules = code.width + 8;
        let m = size / modules as f32;
        let origin_x = x + 4.0 * m;
        let origin_top = top - 4.0 * m;
        let page = self.page();
        page.save_state();
        page.set_fill_gray(0.0);
        for row in 0..code.width {
            let mut col = 0;
            while col < code.width {
                if code.dark[row * code.width + col] {
                    let start = col;
                    while col < code.width && code.dark[row * code.width + col] {
                        col += 1;
                    }
                    let y = origin_top - (row as f32 + 1.0) * m;
                    page.rect(origin_x + start as f32 * m, y, (col - start) as f32 * m, m);
                } else {
                    col += 1;
                }
            }
        }
        page.fill_nonzero();
        page.restore_state();
    }

    /// Lays out QR codes: one large code inline, or a grid of two per row.
    fn qr_codes(
        &mut self,
        texts: &[secrecy::SecretString],
        caption: &str,
    ) -> Result<(), SheetError> {
        let matrices = texts
            .iter()
            .map(|t| qr::matrix(t.expose_secret()).map_err(|e| SheetError::Qr(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        if matrices.len() == 1 {
            let size = 230.0;
            self.need(size + 20.0);
            let top = self.y - 6.0;
            self.qr(&matrices[0], MARGIN - 10.0, top, size);
            let mid = top - size / 2.0;
            self.put(Font::Bold, 10.0, MARGIN + size, mid + 8.0, caption);
            self.put(
                Font::Regular,
                9.0,
                MARGIN + size,
                mid - 6.0,
                "One QR code carries everything.",
            );
            self.y = top - size - 4.0;
            return Ok(());
        }
        let size = 240.0;
        let n = matrices.len();
        for (i, code) in matrices.iter().enumerate() {
            if i % 2 == 0 {
                self.need(size + 24.0);
            }
            let top = self.y;
            let x = if i % 2 == 0 {
                MARGIN - 12.0
            } else {
                PAGE_W / 2.0 + 2.0
            };
            self.qr(code, x, top, size);
            let label = format!("{caption} - part {} of {n}", i + 1);
            self.put(Font::Bold, 9.0, x + 12.0, top - size - 2.0, &label);
            if i % 2 == 1 || i + 1 == n {
                self.y = top - size - 22.0;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Zeroizing<Vec<u8>> {
        let total = self.pages.len();
        let footer = std::mem::take(&mut self.footer);
        let mut pages = std::mem::take(&mut self.pages);
        for (i, page) in pages.iter_mut().enumerate() {
            let text = ascii(&format!("{footer} - page {} of {total}", i + 1));
            page.begin_text();
            page.set_font(Font::Regular.name(), 8.0);
            page.next_line(MARGIN, 30.0);
            page.show(Str(text.as_bytes()));
            page.end_text();
        }

        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let fonts = [
            (Font::Regular, "Helvetica"),
            (Font::Bold, "Helvetica-Bold"),
            (Font::Mono, "Courier"),
            (Font::MonoBold, "Courier-Bold"),
        ];
        let font_refs: Vec<Ref> = (0..fonts.len() as i32).map(|i| Ref::new(3 + i)).collect();
        let first_page = 3 + fonts.len() as i32;
        let page_refs: Vec<Ref> = (0..total as i32)
            .map(|i| Ref::new(first_page + 2 * i))
            .collect();

        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_refs.iter().copied())
            .count(total as i32);
        for ((font, base), id) in fonts.iter().zip(&font_refs) {
            let _ = font;
            pdf.type1_font(*id)
                .base_font(Name(base.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        for (page, id) in pages.into_iter().zip(&page_refs) {
            let content_id = Ref::new(id.get() + 1);
            {
                let mut p = pdf.page(*id);
                p.parent(tree)
                    .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                    .contents(content_id);
                let mut resources = p.resources();
                let mut dict = resources.fonts();
                for ((font, _), fid) in fonts.iter().zip(&font_refs) {
                    dict.pair(font.name(), *fid);
                }
            }
            let data = Zeroizing::new(page.finish().into_vec());
            pdf.stream(content_id, &data);
        }
        Zeroizing::new(pdf.finish())
    }
}

/// Replaces anything outside printable ASCII, which the base-14 fonts cannot be relied on for.
fn ascii(text: &str) -> Zeroizing<String> {
    Zeroizing::new(
        text.chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
            .collect(),
    )
}

fn date(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn app_name(c: &StoredCredential) -> String {
    c.display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "(no display name)".into())
}

/// Renders the recovery sheet of a credential. The result is the PDF file's bytes.
pub fn render_recovery_sheet(
    payload: &CredentialPayload,
    options: &SheetOptions,
) -> Result<Zeroizing<Vec<u8>>, SheetError> {
    let c = payload.credential();
    let generated = options.generated_at.unwrap_or_else(Timestamp::now);
    let mut doc = Doc::new(format!(
        "CONFIDENTIAL - break-glass recovery sheet - {} / {} - printed {}",
        c.client_id,
        c.label,
        date(generated)
    ));
    doc.line(Font::Bold, 18.0, "EMERGENCY ACCESS - Microsoft Entra ID");
    doc.line(Font::Bold, 12.0, "Break-glass credential recovery sheet");
    doc.gap(4.0);
    doc.paragraph(
        Font::Regular,
        9.5,
        "",
        "This sheet holds a credential of an application with the Global Administrator role. Keep it \
         sealed in a safe. Anyone holding it controls the whole tenant.",
    );
    doc.gap(8.0);
    credential_fields(&mut doc, payload);
    doc.gap(8.0);
    credential_secret(&mut doc, c);
    doc.gap(6.0);
    let texts = payload.qr_texts();
    let single = texts.len() == 1;
    if single {
        doc.qr_codes(&texts, "Scan for breakglass token --sheet")?;
    }
    doc.gap(6.0);
    emergency_procedure(&mut doc, c, options, texts.len());
    if !c.note.trim().is_empty() {
        doc.gap(6.0);
        doc.line(Font::Bold, 10.0, "Note");
        doc.paragraph(Font::Regular, 10.0, "", &c.note);
    }
    if !single {
        doc.new_page();
        doc.line(
            Font::Bold,
            12.0,
            &format!("QR codes of credential {} / {}", c.client_id, c.label),
        );
        doc.paragraph(
            Font::Regular,
            9.5,
            "",
            "Scan every code; the order does not matter.",
        );
        doc.gap(6.0);
        doc.qr_codes(&texts, "Payload")?;
    }
    Ok(doc.finish())
}

/// What the credential is, for the person holding the sheet.
fn credential_fields(doc: &mut Doc, payload: &CredentialPayload) {
    let c = payload.credential();
    doc.field("Application", &app_name(c));
    doc.field("Tenant ID", &c.tenant_id);
    doc.field("Client (application) ID", &c.client_id.to_string());
    doc.field("Credential label", &c.label);
    doc.field("Credential kind", c.kind.name());
    doc.field("Key ID", &c.key_id.to_string());
    doc.field("Valid from", &date(c.start));
    doc.field("Expires", &date(c.end));
    doc.field("Cloud", &c.cloud);
    doc.field("Authority host", &c.authority_host);
    doc.field("Payload checksum", payload.check());
}

/// The secret to type, or for a certificate its thumbprint (the key is in the QR codes).
fn credential_secret(doc: &mut Doc, c: &StoredCredential) {
    match &c.kind {
        CredentialKind::Secret { value, .. } => {
            doc.line(
                Font::Bold,
                11.0,
                "Client secret (type exactly; it is case-sensitive):",
            );
            doc.gap(2.0);
            doc.mono_block(Font::MonoBold, 14.0, value.expose_secret(), 52);
        }
        CredentialKind::Certificate(cert) => {
            doc.line(Font::Bold, 11.0, "Certificate thumbprint (SHA-1):");
            let grouped: Vec<String> = cert
                .thumbprint_sha1_hex()
                .as_bytes()
                .chunks(4)
                .map(|g| String::from_utf8_lossy(g).into_owned())
                .collect();
            doc.mono_block(Font::MonoBold, 13.0, &grouped.join(" "), 60);
            doc.gap(2.0);
            doc.paragraph(
                Font::Regular,
                9.5,
                "",
                "The private key and certificate are in the QR codes below; scan all of them.",
            );
        }
    }
}

/// The numbered steps of an emergency use, and whom to tell.
fn emergency_procedure(
    doc: &mut Doc,
    c: &StoredCredential,
    options: &SheetOptions,
    qr_count: usize,
) {
    doc.line(Font::Bold, 12.0, "Emergency procedure");
    let steps = [
        "Use this sheet only when no normal administrator can sign in. Write down the time and the reason.".to_string(),
        format!(
            "Scan {} on this sheet into one text file, one line per code (e.g. a phone scanner, or \
             zbarimg --raw -q page.png > scan.txt).",
            if qr_count == 1 { "the QR code".to_string() } else { format!("all {qr_count} QR codes") }
        ),
        format!(
            "Run: {} - it checks the checksum and prints an access token for Microsoft Graph in tenant {}.",
            options.token_command, c.tenant_id
        ),
        format!(
            "Report the use at once to {}. Every sign-in with this credential raises an alert.",
            options.report_to
        ),
        "When the emergency is over, rotate this credential, print a new sheet and destroy this one.".to_string(),
    ];
    for (i, step) in steps.iter().enumerate() {
        doc.paragraph(Font::Regular, 10.0, &format!("{}.", i + 1), step);
    }
}

/// Renders the custodian sheet of one Shamir share. `credential` names what the share is for
/// (its secret is not used); `custodian` is printed when given.
pub fn render_share_sheet(
    share: &ShamirShare,
    credential: &StoredCredential,
    custodian: Option<&str>,
    options: &SheetOptions,
) -> Result<Zeroizing<Vec<u8>>, SheetError> {
    let generated = options.generated_at.unwrap_or_else(Timestamp::now);
    let (k, n, i) = (share.threshold(), share.total(), share.index());
    let mut doc = Doc::new(format!(
        "CONFIDENTIAL - break-glass recovery share {i} of {n} (set {}) - printed {}",
        share.set_id(),
        date(generated)
    ));
    doc.line(Font::Bold, 18.0, &format!("Recovery share {i} of {n}"));
    doc.line(
        Font::Bold,
        12.0,
        &format!("Any {k} of the {n} shares recover the break-glass credential"),
    );
    doc.gap(8.0);
    doc.field("Set ID", share.set_id());
    doc.field("Share", &format!("{i} of {n} (threshold {k})"));
    doc.field(
        "Custodian",
        custodian.unwrap_or("______________________________"),
    );
    doc.field("Application", &app_name(credential));
    doc.field("Tenant ID", &credential.tenant_id);
    doc.field("Client (application) ID", &credential.client_id.to_string());
    doc.field(
        "Credential",
        &format!(
            "{} ({}), key {}",
            credential.label,
            credential.kind.name(),
            credential.key_id
        ),
    );
    doc.field("Expires", &date(credential.end));
    doc.gap(8.0);
    let texts = share.qr_texts();
    doc.qr_codes(&texts, "Share")?;
    doc.gap(6.0);
    doc.line(Font::Bold, 12.0, "Custodian procedure");
    let steps = [
        "Keep this sheet sealed and offline. Do not photograph, copy or type it anywhere outside an emergency.".to_string(),
        format!(
            "In an emergency the incident lead asks {k} custodians to bring their sheets. Fewer than {k} shares \
             reveal nothing about the credential. Only shares with set ID {} combine.",
            share.set_id()
        ),
        format!(
            "Scan the QR code{} of this sheet, or type the text below, into: {}",
            if texts.len() > 1 { "s" } else { "" },
            options.combine_command
        ),
        format!("Report the use at once to {}. Every use of the credential raises an alert.", options.report_to),
        "When a new split is made, destroy this sheet: shares of older splits are void.".to_string(),
    ];
    for (idx, step) in steps.iter().enumerate() {
        doc.paragraph(Font::Regular, 10.0, &format!("{}.", idx + 1), step);
    }
    doc.gap(8.0);
    doc.line(
        Font::Bold,
        10.0,
        "Share text (only if scanning fails; case does not matter):",
    );
    let text = share.text();
    doc.mono_block(Font::Mono, 8.0, text.expose_secret(), 96);
    Ok(doc.finish())
}
