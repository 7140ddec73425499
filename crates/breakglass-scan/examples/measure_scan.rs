//! Measures the scanner's parts on one file (used by `scripts/bench-scan`):
//! the sampled prefilter against one `memchr::memmem` pass per needle and case, and the
//! whole scan with and without the `\u` escape fallback, on one thread.
//!
//! ```sh
//! cargo run --release -p breakglass-scan --example measure_scan -- FILE IDS.json
//! ```
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use breakglass_core::identities::EmergencyIdentities;
use breakglass_scan::{ScanOptions, Watchlist, scan_files};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, ids] = args.as_slice() else {
        eprintln!("usage: measure_scan FILE IDS.json");
        std::process::exit(2);
    };
    let identities: EmergencyIdentities = serde_json::from_str(&std::fs::read_to_string(ids)?)?;
    let watch = Watchlist::new(identities)?;
    let data = std::fs::read(file)?;
    let gb = data.len() as f64 / 1e9;
    let rate = |secs: f64| gb / secs;

    // The sampled prefilter, per line, in memory.
    let start = Instant::now();
    let mut hits = 0usize;
    let mut at = 0;
    while at < data.len() {
        let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i);
        hits += watch.prefilter().find(&data[at..end]).is_some() as usize;
        at = end + 1;
    }
    let sampled = start.elapsed().as_secs_f64();
    println!(
        "prefilter (sampled, {} needles, any case): {hits} lines, {:.2} GB/s",
        watch.prefilter().needles().len(),
        rate(sampled)
    );

    // One memmem pass per needle, lower and upper case, over the whole buffer.
    let finders: Vec<memchr::memmem::Finder<'static>> = watch
        .prefilter()
        .needles()
        .iter()
        .flat_map(|n| [n.clone(), n.to_ascii_uppercase()])
        .map(|n| memchr::memmem::Finder::new(&n).into_owned())
        .collect();
    let start = Instant::now();
    let mut found = 0usize;
    for finder in &finders {
        found += finder.find_iter(&data).count();
    }
    let memmem = start.elapsed().as_secs_f64();
    println!(
        "memmem, {} needles x 2 cases, one pass each: {found} occurrences, {:.2} GB/s",
        watch.prefilter().needles().len(),
        rate(memmem)
    );
    let one = &finders[0];
    let start = Instant::now();
    let count = one.find_iter(&data).count();
    println!(
        "memmem, the app id alone: {count} occurrences, {:.2} GB/s",
        rate(start.elapsed().as_secs_f64())
    );
    drop(data);

    for fallback in [true, false, true, false] {
        let options = ScanOptions {
            threads: 1,
            escape_fallback: fallback,
            ..ScanOptions::default()
        };
        let start = Instant::now();
        let report = scan_files(&[file.into()], &watch, &options);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "scan_files, 1 thread, escape fallback {}: {} events, {:.2} GB/s",
            if fallback { "on " } else { "off" },
            report.events.len(),
            rate(secs)
        );
    }
    Ok(())
}
