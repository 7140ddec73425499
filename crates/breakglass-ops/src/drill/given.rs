//! The credentials a person brings to a drill on paper: which label each `--sheet` and
//! `--shares` value is for, and that its files exist before anyone signs in.

use std::collections::BTreeMap;
use std::path::PathBuf;

use breakglass_core::config::{Config, CredentialPolicy, StoreKind};

use crate::error::{Error, config_error, usage_error};

/// Where `--sheet` and `--shares` files go, by label.
#[derive(Clone, Debug)]
pub enum GivenFiles {
    Sheet(PathBuf),
    Shares(Vec<PathBuf>),
}

fn split_label<'a>(
    config: &Config,
    value: &'a str,
    store: StoreKind,
    flag: &str,
) -> Result<(String, &'a str), Error> {
    if let Some((label, files)) = value.split_once('=')
        && config.credential(label).is_some()
    {
        return Ok((label.to_string(), files));
    }
    let candidates: Vec<&CredentialPolicy> = config
        .app
        .credentials
        .iter()
        .filter(|c| c.store == store)
        .collect();
    match candidates.as_slice() {
        [one] => Ok((one.label.clone(), value)),
        [] => Err(usage_error(format!(
            "`--{flag}` was given, but breakglass.toml keeps no credential there"
        ))
        .hinted(format!("name the label: `--{flag} LABEL=FILE…`"))),
        several => Err(usage_error(format!(
            "`--{flag}` does not say which credential it is for: {} are kept there",
            several
                .iter()
                .map(|c| format!("`{}`", c.label))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .hinted(format!("name the label: `--{flag} LABEL=FILE…`"))),
    }
}

/// The `--sheet` and `--shares` values, each `LABEL=FILE…` or, when breakglass.toml keeps
/// one credential in that store, just the files; every file checked to exist.
pub fn given_files(
    config: &Config,
    sheet: &[String],
    shares: &[String],
) -> Result<BTreeMap<String, GivenFiles>, Error> {
    let mut given = BTreeMap::new();
    for value in sheet {
        let (label, file) = split_label(config, value, StoreKind::Sheet, "sheet")?;
        if given
            .insert(label.clone(), GivenFiles::Sheet(PathBuf::from(file)))
            .is_some()
        {
            return Err(usage_error(format!("`{label}` is given twice")));
        }
    }
    for value in shares {
        let (label, files) = split_label(config, value, StoreKind::Shares, "shares")?;
        let files: Vec<PathBuf> = files
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(PathBuf::from)
            .collect();
        if files.is_empty() {
            return Err(usage_error(format!(
                "`--shares` for `{label}` names no file"
            )));
        }
        if given
            .insert(label.clone(), GivenFiles::Shares(files))
            .is_some()
        {
            return Err(usage_error(format!("`{label}` is given twice")));
        }
    }
    // A mistyped path is told before signing in: recorded as a failed proof, it would read
    // as an emergency credential that does not work.
    for (label, source) in &given {
        let files = match source {
            GivenFiles::Sheet(file) => std::slice::from_ref(file),
            GivenFiles::Shares(files) => files.as_slice(),
        };
        for file in files.iter().filter(|f| f.as_os_str() != "-") {
            if !file.is_file() {
                let what = if file.is_dir() {
                    "is a folder"
                } else {
                    "does not exist"
                };
                return Err(config_error(format!(
                    "{} (given for `{label}`) {what}",
                    file.display()
                ))
                .hinted("pass the file holding the scanned text of the sheet or share; nothing was signed in or recorded"));
            }
        }
    }
    Ok(given)
}
