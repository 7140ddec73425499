//! Reading a recovery sheet's payload or Shamir shares from the text of their QR codes, as
//! a scanner prints it or a person types it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use breakglass_store::{CredentialPayload, ShamirShare};
use zeroize::Zeroizing;

use crate::error::{Error, config_error};

/// Where a sheet's or a share's scanned text is: a file, or text the front end already read
/// (from stdin, say).
#[derive(Clone)]
pub enum Input {
    File(PathBuf),
    Text {
        text: Zeroizing<String>,
        /// How to name it in messages, e.g. `stdin`.
        from: String,
    },
}

/// The text of an input and how to name it in messages.
pub fn read_input(input: &Input, what: &str) -> Result<(Zeroizing<String>, String), Error> {
    let path = match input {
        Input::Text { text, from } => return Ok((text.clone(), from.clone())),
        Input::File(path) => path,
    };
    if path.is_dir() {
        return Err(
            config_error(format!("{} is a folder, not {what}", path.display()))
                .hinted("pass the file holding the scanned text, or `-` to paste it"),
        );
    }
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|err| {
        config_error(format!("cannot read {}: {err}", path.display()))
            .hinted("pass the file holding the scanned text, or `-` to paste it")
    })?);
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        config_error(format!("{} is not a text file", path.display())).hinted(
            "pass the text of the QR codes (e.g. `zbarimg --raw page.png > share.txt`), not the PDF or the image",
        )
    })?;
    Ok((Zeroizing::new(text.to_string()), path.display().to_string()))
}

/// Drops what scanners add in front of a code's text (`QR-Code:` from zbarimg).
fn scanner_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .map(|line| {
            let upper_prefix = line.get(..8).map(str::to_ascii_uppercase);
            if upper_prefix.as_deref() == Some("QR-CODE:") {
                line[8..].trim()
            } else {
                line
            }
        })
        .filter(|line| !line.is_empty())
        .collect()
}

/// A recovery sheet's payload from scanned or typed text.
pub(super) fn payload_from_text(text: &str, from: &str) -> Result<CredentialPayload, Error> {
    let cleaned = Zeroizing::new(scanner_lines(text).join("\n"));
    if cleaned.is_empty() {
        return Err(config_error(format!("{from} is empty")).hinted(
            "scan the sheet's QR codes (`zbarimg --raw`) or type the payload printed under them",
        ));
    }
    CredentialPayload::from_scanned(&cleaned).map_err(|err| {
        let mut error = config_error(format!("{from}: {err}")).hinted(err.hint());
        if matches!(err, breakglass_store::PayloadError::IsShare) {
            error =
                error.hinted("this is a custodian's Shamir share: pass k of them with `--shares`");
        }
        error
    })
}

/// Shares from one file's text: one share typed over several lines, one share per
/// `BGSHARE:` line, or the `BGPART:` lines of QR codes (grouped by the text they belong to).
pub fn shares_from_text(text: &str, from: &str) -> Result<Vec<ShamirShare>, Error> {
    let share_error = |err: breakglass_store::ShamirError| {
        let mut error = config_error(format!("{from}: {err}")).hinted(err.hint());
        if matches!(err, breakglass_store::ShamirError::NotAShare)
            && text
                .to_ascii_uppercase()
                .contains(breakglass_store::PAYLOAD_PREFIX)
        {
            error = error
                .hinted("this is a whole credential payload, not a share: pass it with `--sheet`");
        }
        error
    };
    let lines = scanner_lines(text);
    let is_part = |line: &str| {
        line.to_ascii_uppercase()
            .starts_with(breakglass_store::qr::PART_PREFIX)
    };
    let is_share = |line: &str| line.to_ascii_uppercase().starts_with("BGSHARE:");
    let share_lines = lines.iter().filter(|l| is_share(l)).count();
    if !lines.iter().any(|l| is_part(l)) && share_lines <= 1 {
        let joined = Zeroizing::new(lines.join("\n"));
        return Ok(vec![
            ShamirShare::from_scanned(&joined).map_err(share_error)?,
        ]);
    }
    let mut whole: Vec<Zeroizing<String>> = Vec::new();
    let mut parts: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for line in lines {
        if is_part(line) {
            let tag = line
                .split(':')
                .nth(2)
                .unwrap_or_default()
                .to_ascii_uppercase();
            parts.entry(tag).or_default().push(line);
        } else if is_share(line) {
            whole.push(Zeroizing::new(line.to_string()));
        } else if let Some(last) = whole.last_mut() {
            // A share typed over several lines continues here.
            last.push_str(line);
        }
        // Anything else before the first share is a stray code the scanner read from the
        // print (zbarimg reads every symbology): not a share, and left out.
    }
    let mut shares = Vec::new();
    for text in &whole {
        shares.push(ShamirShare::parse(text).map_err(share_error)?);
    }
    for lines in parts.values() {
        let joined = Zeroizing::new(lines.join("\n"));
        shares.push(ShamirShare::from_scanned(&joined).map_err(share_error)?);
    }
    Ok(shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zbarimg_prefixes_are_dropped() {
        let lines = scanner_lines("QR-Code:BGPART:1/2:ABC:xyz\n\n  qr-code:BGPART:2/2:ABC:uvw \n");
        assert_eq!(lines, ["BGPART:1/2:ABC:xyz", "BGPART:2/2:ABC:uvw"]);
    }
}
