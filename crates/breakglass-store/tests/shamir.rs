mod common;

use breakglass_store::secrecy::ExposeSecret as _;
use breakglass_store::shamir::{SHARE_PREFIX, ShamirShare};
use breakglass_store::{ShamirError, combine, split};
use common::*;
use proptest::prelude::*;

fn combos(n: usize, k: usize) -> Vec<Vec<usize>> {
    if k == 0 {
        return vec![vec![]];
    }
    if n < k {
        return vec![];
    }
    let mut with_last: Vec<Vec<usize>> = combos(n - 1, k - 1)
        .into_iter()
        .map(|mut c| {
            c.push(n - 1);
            c
        })
        .collect();
    with_last.extend(combos(n - 1, k));
    with_last
}

#[test]
fn any_three_of_five_recover_exactly() {
    for cred in [
        secret_credential("offline", KEY1),
        certificate_credential("rotating", KEY2),
    ] {
        let payload = cred.to_payload().unwrap();
        let shares = split(&payload, 3, 5).unwrap();
        assert_eq!(shares.len(), 5);
        let set = shares[0].set_id().to_string();
        for (i, s) in shares.iter().enumerate() {
            assert_eq!((s.threshold(), s.total(), s.index()), (3, 5, i as u8 + 1));
            assert_eq!(s.set_id(), set);
        }
        // Through the text form, as custodians would hand them over.
        let texts: Vec<String> = shares
            .iter()
            .map(|s| s.text().expose_secret().to_string())
            .collect();
        for t in &texts {
            assert!(t.starts_with(SHARE_PREFIX));
        }
        let combos3 = combos(5, 3);
        assert_eq!(combos3.len(), 10);
        for pick in combos3 {
            let picked: Vec<ShamirShare> = pick
                .iter()
                .map(|&i| ShamirShare::parse(&texts[i]).unwrap())
                .collect();
            let recovered = combine(&picked).unwrap();
            assert_eq!(
                recovered.text().expose_secret(),
                payload.text().expose_secret(),
                "{pick:?}"
            );
            assert_same(recovered.credential(), &cred);
        }
        for pick in combos(5, 4).into_iter().chain([vec![0, 1, 2, 3, 4]]) {
            let picked: Vec<ShamirShare> = pick.iter().map(|&i| shares[i].clone()).collect();
            assert_eq!(
                combine(&picked).unwrap().text().expose_secret(),
                payload.text().expose_secret()
            );
        }
    }
}

#[test]
fn two_of_three_needed_shares_fail_clearly() {
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    let shares = split(&payload, 3, 5).unwrap();
    let err = combine(&shares[1..3]).unwrap_err();
    assert_eq!(
        err,
        ShamirError::NotEnough {
            have: 2,
            need: 3,
            duplicates: 0
        }
    );
    assert_eq!(
        err.to_string(),
        "2 distinct share(s) given but 3 are needed: 1 more"
    );
    assert!(err.hint().contains("reveal nothing"));
    // A duplicate does not count twice.
    let err = combine(&[shares[0].clone(), shares[0].clone(), shares[1].clone()]).unwrap_err();
    assert_eq!(
        err,
        ShamirError::NotEnough {
            have: 2,
            need: 3,
            duplicates: 1
        }
    );
    assert_eq!(combine(&[]).unwrap_err(), ShamirError::NoShares);
}

#[test]
fn shares_of_different_splits_are_not_mixed() {
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    let a = split(&payload, 2, 3).unwrap();
    let b = split(&payload, 2, 3).unwrap();
    assert_ne!(a[0].set_id(), b[0].set_id());
    let err = combine(&[a[0].clone(), b[1].clone()]).unwrap_err();
    assert!(
        matches!(err, ShamirError::MixedSets { ref sets } if sets.len() == 2),
        "{err}"
    );
    assert!(err.to_string().contains(a[0].set_id()));
}

#[test]
fn corrupted_and_conflicting_shares_are_caught() {
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    let shares = split(&payload, 2, 3).unwrap();
    let text = shares[1].text().expose_secret().to_string();
    // A typo in the data.
    let at = text.len() - 20;
    let mut typo = text.clone();
    let replacement = if &typo[at..at + 1] == "A" { "B" } else { "A" };
    typo.replace_range(at..at + 1, replacement);
    assert_eq!(
        ShamirShare::parse(&typo).unwrap_err(),
        ShamirError::Checksum { index: Some(2) }
    );
    // A changed header (index) is caught by the checksum too.
    let changed = text.replacen(":I2:", ":I3:", 1);
    assert!(matches!(
        ShamirShare::parse(&changed).unwrap_err(),
        ShamirError::Checksum { .. }
    ));
    // Lowercase and line breaks are fine.
    let relaxed: String = text
        .to_lowercase()
        .chars()
        .enumerate()
        .flat_map(|(i, c)| if i % 50 == 49 { vec![c, '\n'] } else { vec![c] })
        .collect();
    assert_eq!(
        ShamirShare::parse(&relaxed).unwrap().text().expose_secret(),
        text
    );
    // Not a share.
    assert_eq!(
        ShamirShare::parse(payload.text().expose_secret()).unwrap_err(),
        ShamirError::NotAShare
    );
    // A share of another split relabelled with this set id and a recomputed checksum (tampering):
    // with its genuine twin it conflicts; alone it combines to a payload that fails its check.
    let other = split(&payload, 2, 3).unwrap();
    let forged = ShamirShare::parse(&reseal(&other[1].text().expose_secret().replacen(
        other[1].set_id(),
        shares[1].set_id(),
        1,
    )))
    .unwrap();
    assert_eq!(
        combine(&[shares[0].clone(), shares[1].clone(), forged.clone()]).unwrap_err(),
        ShamirError::Conflict { index: 2 }
    );
    assert_eq!(
        combine(&[shares[0].clone(), forged]).unwrap_err(),
        ShamirError::WrongResult
    );
}

/// Recomputes a share text's checksum (SHA-256, first 5 bytes, base32), as a forger could.
fn reseal(text: &str) -> String {
    use sha2::{Digest as _, Sha256};
    let head = text.rsplit_once(':').unwrap().0;
    let digest = Sha256::digest(head.as_bytes());
    let bits: u64 = digest[..5]
        .iter()
        .fold(0, |acc, &b| (acc << 8) | u64::from(b));
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let check: String = (0..8)
        .map(|i| char::from(alphabet[((bits >> (35 - 5 * i)) & 31) as usize]))
        .collect();
    format!("{head}:{check}")
}

#[test]
fn parameters_are_checked() {
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    for (k, n) in [(1, 3), (4, 3), (2, 17), (0, 0)] {
        assert_eq!(
            split(&payload, k, n).unwrap_err(),
            ShamirError::Parameters {
                threshold: k,
                total: n
            }
        );
    }
    split(&payload, 16, 16).unwrap();
    split(&payload, 2, 2).unwrap();
}

#[test]
fn share_debug_hides_data() {
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    let shares = split(&payload, 2, 3).unwrap();
    let debug = format!("{:?}", shares[0]);
    assert!(debug.contains("REDACTED"));
    let text = shares[0].text();
    let data = text.expose_secret().rsplit(':').nth(1).unwrap();
    assert!(!debug.contains(&data[..16]));
}

#[test]
fn long_certificate_shares_travel_in_several_qr_codes() {
    let payload = certificate_credential("rotating", KEY2)
        .to_payload()
        .unwrap();
    let shares = split(&payload, 2, 3).unwrap();
    let parts = shares[2].qr_texts();
    assert!(parts.len() >= 2);
    let lines: Vec<String> = parts
        .iter()
        .rev()
        .map(|p| p.expose_secret().to_string())
        .collect();
    let share = ShamirShare::from_scanned(&lines.join("\n")).unwrap();
    assert_eq!(
        share.text().expose_secret(),
        shares[2].text().expose_secret()
    );
    let recovered = combine(&[share, shares[0].clone()]).unwrap();
    assert_eq!(
        recovered.text().expose_secret(),
        payload.text().expose_secret()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn any_k_shares_round_trip(
        secret in "[A-Za-z0-9~._-]{1,64}",
        label in "[a-z][a-z0-9-]{0,10}",
        n in 2u8..=16,
        k_seed in any::<u8>(),
        pick_seed in any::<u64>(),
    ) {
        let k = 2 + k_seed % (n - 1);
        let mut cred = secret_credential(&label, KEY1);
        cred.kind = breakglass_store::CredentialKind::secret(breakglass_store::secrecy::SecretString::from(secret));
        let payload = cred.to_payload().unwrap();
        let shares = split(&payload, k, n).unwrap();
        // A pseudo-random choice of k distinct shares, in a shuffled order.
        let mut order: Vec<usize> = (0..n as usize).collect();
        let mut s = pick_seed;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let picked: Vec<ShamirShare> = order[..k as usize].iter().map(|&i| shares[i].clone()).collect();
        let recovered = combine(&picked).unwrap();
        prop_assert_eq!(recovered.text().expose_secret(), payload.text().expose_secret());
        if k > 2 {
            let too_few = combine(&picked[..k as usize - 1]).unwrap_err();
            let is_not_enough = matches!(too_few, ShamirError::NotEnough { .. });
            prop_assert!(is_not_enough);
        }
    }
}

#[test]
fn shares_from_parts_are_checked_as_parsed_ones_are() {
    let payload = secret_credential("offline", KEY1).to_payload().unwrap();
    let shares = split(&payload, 2, 3).unwrap();
    // A share rebuilt from its fields combines like the original.
    let rebuilt: Vec<ShamirShare> = shares
        .iter()
        .take(2)
        .map(|share| {
            let text = share.text().expose_secret().to_string();
            let head = text.rsplit_once(':').unwrap().0;
            let data = head.rsplit_once(':').unwrap().1;
            let reparsed = ShamirShare::parse(&text).unwrap();
            assert_eq!(reparsed.index(), share.index());
            let bytes = base32_decode(data);
            ShamirShare::from_parts(
                share.threshold(),
                share.total(),
                share.index(),
                share.set_id(),
                &bytes,
            )
            .unwrap()
        })
        .collect();
    assert_eq!(
        combine(&rebuilt).unwrap().text().expose_secret(),
        payload.text().expose_secret()
    );
    for (k, n, i, set, data) in [
        (1, 3, 1, "ABCDEFGH", &b"x"[..]),
        (4, 3, 1, "ABCDEFGH", b"x"),
        (2, 17, 1, "ABCDEFGH", b"x"),
        (2, 3, 0, "ABCDEFGH", b"x"),
        (2, 3, 4, "ABCDEFGH", b"x"),
        (2, 3, 1, "ABCDEFG", b"x"),
        (2, 3, 1, "ABCDEFGH", b""),
    ] {
        assert!(
            matches!(
                ShamirShare::from_parts(k, n, i, set, data),
                Err(ShamirError::Malformed)
            ),
            "{k} {n} {i} {set} {data:?}"
        );
    }
}

fn base32_decode(text: &str) -> Vec<u8> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {text}"),
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}
