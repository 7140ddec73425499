//! The randomness breakglass makes itself: account passwords and the random part of user
//! names. One of each, so the two kinds of account it makes cannot drift apart.
//!
//! Both come from the operating system's generator and are never seeded, not even for tests:
//! a seam that made emergency passwords or names predictable would be a way in. Tests that
//! compare output redact the random parts instead.

use rand::Rng as _;
use secrecy::SecretString;

/// Letters and digits that cannot be mistaken for one another when read aloud or typed from a
/// sheet: no `l`, `o`, `0` or `1`.
const NAME_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// How many random characters a user name carries: 32^10, about 10^15 names.
const NAME_LENGTH: usize = 10;

/// The character classes of a password; Entra asks for three of the four, breakglass uses all.
const PASSWORD_CLASSES: [&[u8]; 4] = [
    b"ABCDEFGHJKLMNPQRSTUVWXYZ",
    b"abcdefghijkmnopqrstuvwxyz",
    b"23456789",
    b"!#%&*+-=?@^_~",
];

const PASSWORD_LENGTH: usize = 32;

/// The random part of a user name: ten characters of [`NAME_ALPHABET`].
pub fn name_suffix() -> String {
    let mut rng = rand::rng();
    (0..NAME_LENGTH)
        .map(|_| NAME_ALPHABET[rng.random_range(0..NAME_ALPHABET.len())] as char)
        .collect()
}

/// A 32-character password with every character class, shuffled.
pub fn password() -> SecretString {
    let mut rng = rand::rng();
    let every: Vec<u8> = PASSWORD_CLASSES.concat();
    let mut chars: Vec<u8> = PASSWORD_CLASSES
        .iter()
        .map(|class| class[rng.random_range(0..class.len())])
        .collect();
    while chars.len() < PASSWORD_LENGTH {
        chars.push(every[rng.random_range(0..every.len())]);
    }
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.random_range(0..=i));
    }
    SecretString::from(String::from_utf8_lossy(&chars).into_owned())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    #[test]
    fn passwords_hold_every_class_and_differ() {
        let first = password();
        let text = first.expose_secret();
        assert_eq!(text.chars().count(), PASSWORD_LENGTH);
        for class in PASSWORD_CLASSES {
            assert!(text.bytes().any(|b| class.contains(&b)), "{class:?}");
        }
        assert_ne!(text, password().expose_secret());
    }

    #[test]
    fn name_suffixes_avoid_look_alikes() {
        let suffix = name_suffix();
        assert_eq!(suffix.len(), NAME_LENGTH);
        assert!(suffix.bytes().all(|b| NAME_ALPHABET.contains(&b)));
        assert!(!suffix.contains(['l', 'o', '0', '1']));
    }
}
